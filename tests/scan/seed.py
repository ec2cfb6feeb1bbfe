"""Seed a small organisation on the moto server with boto3, the way a user's AWS would look."""

from __future__ import annotations

from typing import Any

import boto3

from trailwarden.filterpattern.cis import CisControl

MANAGEMENT = "123456789012"  # moto's default account: the caller


def create_org(members: int) -> list[str]:
    orgs = boto3.client("organizations", region_name="us-east-1")
    orgs.create_organization(FeatureSet="ALL")
    ids = []
    for i in range(members):
        status = orgs.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")
        ids.append(status["CreateAccountStatus"]["AccountId"])
    return ids


def session_for(account: str) -> boto3.Session:
    if account == MANAGEMENT:
        return boto3.Session(region_name="us-east-1")
    sts = boto3.client("sts", region_name="us-east-1")
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="seed",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name="us-east-1",
    )


def create_trail(
    session: boto3.Session,
    name: str,
    *,
    multi: bool = True,
    read_write: str = "All",
    validation: bool = True,
    home: str = "us-east-1",
    start: bool = True,
) -> str:
    account = session.client("sts").get_caller_identity()["Account"]
    bucket = f"trail-{name}-{account}"
    s3 = session.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    ct = session.client("cloudtrail", region_name=home)
    arn: str = ct.create_trail(
        Name=name,
        S3BucketName=bucket,
        IsMultiRegionTrail=multi,
        EnableLogFileValidation=validation,
        TagsList=[{"Key": "owner", "Value": "security"}],
    )["TrailARN"]
    ct.put_event_selectors(
        TrailName=name,
        EventSelectors=[{"ReadWriteType": read_write, "IncludeManagementEvents": True}],
    )
    if start:
        ct.start_logging(Name=name)
    return arn


def put_cis_filter(logs: Any, group: str, cis: CisControl) -> None:
    """The CIS metric filter of one CloudWatch.x control on ``group``, exactly as CIS writes it."""
    metric = {"metricName": cis.metric_name, "metricNamespace": cis.namespace, "metricValue": "1"}
    logs.put_metric_filter(
        logGroupName=group,
        filterName=cis.metric_name,
        filterPattern=cis.pattern,
        metricTransformations=[metric],
    )


def put_cis_alarm(cloudwatch: Any, cis: CisControl, topic: str) -> None:
    """An alarm on the filter's metric (its name and namespace) notifying ``topic``."""
    cloudwatch.put_metric_alarm(
        AlarmName=f"{cis.metric_name}-alarm",
        MetricName=cis.metric_name,
        Namespace=cis.namespace,
        Statistic=cis.statistic,
        Period=cis.period,
        EvaluationPeriods=cis.evaluation_periods,
        Threshold=cis.threshold,
        ComparisonOperator=cis.comparison_operator,
        AlarmActions=[topic],
    )
