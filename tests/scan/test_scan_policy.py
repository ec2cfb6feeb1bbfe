"""Least privilege, shipped: every operation a full scan makes is allowed by scan-policy.json."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.client
import pytest
from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for

from trailwarden.aws.iam_actions import (
    NO_PERMISSION_NEEDED,
    allowed_actions,
    iam_action,
    shipped_policy,
)
from trailwarden.filterpattern.cis import CIS_CONTROLS


def _full_chain(region: str = "us-east-1") -> None:
    """A trail with KMS, CloudWatch Logs, the CIS filters, alarms, SNS, plus a Lake store, so the
    scan walks every branch of collection."""
    kms = boto3.client("kms", region_name=region)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    logs = boto3.client("logs", region_name=region)
    logs.create_log_group(logGroupName="trail-logs")
    group_arn = f"arn:aws:logs:{region}:{MANAGEMENT}:log-group:trail-logs:*"
    boto3.client("cloudtrail", region_name=region).update_trail(
        Name="main",
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{MANAGEMENT}:role/ct",
    )
    sns = boto3.client("sns", region_name=region)
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="sec@example.com")
    cw = boto3.client("cloudwatch", region_name=region)
    for c in CIS_CONTROLS[:3]:
        logs.put_metric_filter(
            logGroupName="trail-logs",
            filterName=c.metric_name,
            filterPattern=c.pattern,
            metricTransformations=[
                {"metricName": c.metric_name, "metricNamespace": c.namespace, "metricValue": "1"}
            ],
        )
        cw.put_metric_alarm(
            AlarmName=c.metric_name,
            MetricName=c.metric_name,
            Namespace=c.namespace,
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic],
        )
    boto3.client("cloudtrail", region_name=region).create_event_data_store(Name="lake")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> set[tuple[str, str]]:
    """Record (service, operation) of every botocore call made while the test runs."""
    seen: set[tuple[str, str]] = set()
    original = botocore.client.BaseClient._make_api_call

    def recording(self: Any, operation_name: str, api_params: Any) -> Any:
        seen.add((self.meta.service_model.service_name, operation_name))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    return seen


def test_every_scan_operation_is_in_the_shipped_read_only_policy(
    aws: str, cli: Any, recorded: set[tuple[str, str]]
) -> None:
    (member,) = create_org(1)
    create_trail(session_for(MANAGEMENT), "main")
    create_trail(session_for(member), "local", multi=False)
    _full_chain()
    recorded.clear()  # only the scan's own calls count
    result = cli(["scan", "--org", "--output", "json", "--max-workers", "8"])
    assert result.code in (0, 1), result.stderr
    assert json.loads(result.stdout)["errors"] == []
    # The recording saw the whole collection, or this test proves nothing.
    must_see = {
        ("organizations", "ListAccounts"),
        ("sts", "AssumeRole"),
        ("ec2", "DescribeRegions"),
        ("cloudtrail", "DescribeTrails"),
        ("cloudtrail", "GetEventDataStore"),
        ("s3control", "GetPublicAccessBlock"),
        ("kms", "DescribeKey"),
        ("logs", "DescribeMetricFilters"),
        ("cloudwatch", "DescribeAlarmsForMetric"),
        ("sns", "ListSubscriptionsByTopic"),
    }
    assert must_see <= recorded
    allowed = allowed_actions(shipped_policy("scan-policy.json"))
    missing = sorted(
        iam_action(s, op)
        for s, op in recorded - NO_PERMISSION_NEEDED
        if iam_action(s, op) not in allowed
    )
    assert missing == []
    assert all(
        ":" in a and not a.split(":")[1].startswith(("Put", "Create", "Delete", "Update"))
        for a in allowed
    ), "the scan policy must stay read-only"
