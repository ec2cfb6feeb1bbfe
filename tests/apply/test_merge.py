"""Repairing an existing trail: one trail, and every statement or rule someone else put on its
bucket, key, role and topic is still there afterwards, next to ours."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from tests.apply.support import ACCOUNT, HOME, apply, confirm_all, make_plan, not_passing, scan

from trailwarden.plan.baseline import Baseline

pytestmark = pytest.mark.slow

BUCKET = "legacy-trail-bucket"
GROUP = "legacy-group"
ROLE = "legacy-ct-role"
AUDITORS = {
    "Sid": "ReadOnlyForAuditors",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "s3:GetObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*",
}
SECURITY_TEAM = {
    "Sid": "AllowSecurityTeam",
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/security"},
    "Action": "kms:Decrypt",
    "Resource": "*",
}
LEGACY_TRUST = {
    "Sid": "LegacyTrust",
    "Effect": "Allow",
    "Principal": {"Service": "cloudtrail.amazonaws.com"},
    "Action": "sts:AssumeRole",
}
EXTRA_LOGS = {
    "Sid": "ExtraDescribe",
    "Effect": "Allow",
    "Action": "logs:DescribeLogStreams",
    "Resource": "*",
}
OTHER_RULE = {
    "ID": "archive-other",
    "Status": "Enabled",
    "Filter": {"Prefix": "other/"},
    "Expiration": {"Days": 30},
}


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def seed_legacy_trail() -> dict[str, str]:
    """A single-Region trail without validation, with its own bucket, key, log group, role."""
    s3 = boto3.client("s3", region_name=HOME)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=_doc(AUDITORS))
    s3.put_bucket_lifecycle_configuration(
        Bucket=BUCKET, LifecycleConfiguration={"Rules": [OTHER_RULE]}
    )
    kms = boto3.client("kms", region_name=HOME)
    default = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    key = kms.create_key(Policy=_doc(default, SECURITY_TEAM))["KeyMetadata"]["Arn"]
    logs = boto3.client("logs", region_name=HOME)
    logs.create_log_group(logGroupName=GROUP)
    iam = boto3.client("iam", region_name=HOME)
    role = iam.create_role(RoleName=ROLE, AssumeRolePolicyDocument=_doc(LEGACY_TRUST))["Role"]
    iam.put_role_policy(
        RoleName=ROLE,
        PolicyName="trailwarden-cloudtrail-to-cloudwatch-logs",
        PolicyDocument=_doc(EXTRA_LOGS),
    )
    sns = boto3.client("sns", region_name=HOME)
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    foreign_topic = {
        "Sid": "OpsPublish",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": "sns:Publish",
        "Resource": topic,
    }
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="Policy", AttributeValue=_doc(foreign_topic)
    )
    ct = boto3.client("cloudtrail", region_name=HOME)
    ct.create_trail(
        Name="legacy",
        S3BucketName=BUCKET,
        KmsKeyId=key,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:{HOME}:{ACCOUNT}:log-group:{GROUP}:*",
        CloudWatchLogsRoleArn=role["Arn"],
        TagsList=[{"Key": "owner", "Value": "security"}],
    )
    ct.start_logging(Name="legacy")
    return {"key": key, "topic": topic}


def statements(doc: Any) -> dict[str, dict[str, Any]]:
    doc = json.loads(doc) if isinstance(doc, str) else doc
    return {s.get("Sid", ""): s for s in doc["Statement"]}


def test_repair_merges_into_every_existing_policy(aws: str) -> None:
    seeded = seed_legacy_trail()
    plan = make_plan(alarm_topic=seeded["topic"])
    (account,) = plan.accounts
    assert account.trail == "repair"
    baseline = account.baseline
    assert isinstance(baseline, Baseline)
    assert (baseline.trail.name, baseline.bucket.name) == ("legacy", BUCKET)
    assert baseline.kms.key_arn == seeded["key"] and baseline.cloudwatch.role_name == ROLE
    operations = [s.operation for s in plan.steps]
    assert "CreateTrail" not in operations and "CreateKey" not in operations
    merges = [s for s in plan.steps if s.merges]
    assert {s.operation for s in merges} == {
        "PutBucketPolicy", "PutKeyPolicy", "UpdateAssumeRolePolicy", "PutRolePolicy",
        "SetTopicAttributes",
    }  # fmt: skip
    assert all("every other statement is kept" in s.reason for s in merges)

    report = apply(plan)
    assert report.failed is None, report.failed
    confirm_all(report)

    trails = boto3.client("cloudtrail", region_name=HOME).describe_trails()["trailList"]
    assert [t["Name"] for t in trails] == ["legacy"], "repaired, not duplicated"
    assert trails[0]["IsMultiRegionTrail"] and trails[0]["LogFileValidationEnabled"]

    s3 = boto3.client("s3", region_name=HOME)
    bucket_policy = statements(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert bucket_policy["ReadOnlyForAuditors"] == AUDITORS
    assert {"AWSCloudTrailAclCheck20150319", "AWSCloudTrailWrite20150319"} <= set(bucket_policy)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert {r["ID"] for r in rules} == {"archive-other", "trailwarden-retention"}

    kms = boto3.client("kms", region_name=HOME)
    key_policy = statements(kms.get_key_policy(KeyId=seeded["key"], PolicyName="default")["Policy"])
    assert key_policy["AllowSecurityTeam"] == SECURITY_TEAM
    assert "Allow CloudTrail to encrypt logs" in key_policy

    iam = boto3.client("iam", region_name=HOME)
    trust = statements(iam.get_role(RoleName=ROLE)["Role"]["AssumeRolePolicyDocument"])
    assert trust["LegacyTrust"] == LEGACY_TRUST
    inline = statements(
        iam.get_role_policy(RoleName=ROLE, PolicyName="trailwarden-cloudtrail-to-cloudwatch-logs")[
            "PolicyDocument"
        ]
    )
    assert inline["ExtraDescribe"] == EXTRA_LOGS
    assert "AWSCloudTrailPutLogEvents20141101" in inline

    sns = boto3.client("sns", region_name=HOME)
    topic_policy = statements(
        sns.get_topic_attributes(TopicArn=seeded["topic"])["Attributes"]["Policy"]
    )
    assert {"OpsPublish", "TrailwardenAllowCloudWatchAlarms"} <= set(topic_policy)

    tags = boto3.client("cloudtrail", region_name=HOME).list_tags(
        ResourceIdList=[trails[0]["TrailARN"]]
    )["ResourceTagList"][0]["TagsList"]
    assert {"owner", "managed-by"} <= {t["Key"] for t in tags}
    assert not_passing(scan()) == []
    assert apply(make_plan(alarm_topic=seeded["topic"])).nothing_to_change


def test_existing_key_given_by_alias_is_merged_and_stays_idempotent(aws: str) -> None:
    kms = boto3.client("kms", region_name=HOME)
    key = kms.create_key()["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/audit-logs", TargetKeyId=key)
    alias_arn = f"arn:aws:kms:{HOME}:{ACCOUNT}:alias/audit-logs"
    report = apply(make_plan(kms_key=alias_arn))
    assert report.failed is None, report.failed
    trail = boto3.client("cloudtrail", region_name=HOME).describe_trails()["trailList"][0]
    assert trail["KmsKeyId"] in (key, alias_arn)
    policy = statements(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    assert "Allow CloudTrail to encrypt logs" in policy
    assert apply(make_plan(kms_key=alias_arn)).nothing_to_change
