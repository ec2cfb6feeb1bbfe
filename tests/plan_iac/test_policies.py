"""Every statement, condition and ARN docs/aws-facts/trail-setup.md#policies requires, for prefix/no
prefix, org/no org."""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.plan.baseline import Baseline
from trailwarden.policies import apply_policy, builders, check_policy

from .support import ACCOUNT, ORG_ID, REGION

TRAIL_ARN = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/trailwarden"
BUCKET = f"trailwarden-{ACCOUNT}-{REGION}"


def by_sid(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


@pytest.mark.parametrize("prefix", [None, "audit/cloudtrail"])
@pytest.mark.parametrize("org", [False, True])
def test_trail_bucket_policy_matches_spec(
    make_baseline: Any, prefix: str | None, org: bool
) -> None:
    baseline: Baseline = make_baseline(prefix=prefix, org_id=ORG_ID if org else None)
    doc = baseline.bucket_policy()
    check_policy(doc, "resource")
    statements = by_sid(doc)
    path = f"{prefix}/" if prefix else ""
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}

    acl = statements["AWSCloudTrailAclCheck20150319"]
    assert acl["Principal"] == cloudtrail and acl["Effect"] == "Allow"
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Resource"] == f"arn:aws:s3:::{BUCKET}"
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}

    write = statements["AWSCloudTrailWrite20150319"]
    assert write["Principal"] == cloudtrail and write["Action"] == "s3:PutObject"
    assert write["Resource"] == f"arn:aws:s3:::{BUCKET}/{path}AWSLogs/{ACCOUNT}/*"
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}
    }

    if org:
        org_write = statements["AWSCloudTrailOrganizationWrite20150319"]
        assert org_write["Resource"] == f"arn:aws:s3:::{BUCKET}/{path}AWSLogs/{ORG_ID}/*"
        assert org_write["Condition"] == write["Condition"]
        assert org_write["Action"] == "s3:PutObject" and org_write["Principal"] == cloudtrail
    else:
        assert "AWSCloudTrailOrganizationWrite20150319" not in statements

    tls = statements["TrailwardenDenyInsecureTransport"]
    assert tls["Effect"] == "Deny" and tls["Principal"] == "*" and tls["Action"] == "s3:*"
    assert tls["Resource"] == [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert len(statements) == (4 if org else 3)


def test_prefix_in_policy_matches_trail_prefix(make_baseline: Any) -> None:
    # docs/aws-facts/trail-setup.md#s3-key-prefix: a mismatch between S3KeyPrefix and the policy
    # Resource stops delivery.
    baseline: Baseline = make_baseline(prefix="a/b")
    resource = by_sid(baseline.bucket_policy())["AWSCloudTrailWrite20150319"]["Resource"]
    prefix = baseline.create_trail_params("arn:aws:kms:eu-west-1:1:key/x")["S3KeyPrefix"]
    assert resource.split(":::", 1)[1] == f"{baseline.bucket.name}/{prefix}/AWSLogs/{ACCOUNT}/*"


def test_access_log_bucket_policy(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline()
    doc = baseline.access_log_bucket_policy()
    check_policy(doc, "resource")
    logs = by_sid(doc)["TrailwardenS3ServerAccessLogs"]
    access = baseline.bucket.access_log_bucket
    assert access != baseline.bucket.name
    assert logs["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert logs["Action"] == "s3:PutObject"
    assert logs["Resource"] == f"arn:aws:s3:::{access}/{baseline.bucket.name}/*"
    assert logs["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{baseline.bucket.name}"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }
    assert baseline.logging_target()["TargetPrefix"] == f"{baseline.bucket.name}/"
    assert by_sid(doc)["TrailwardenDenyInsecureTransport"]["Resource"][0].endswith(access)


@pytest.mark.parametrize("readers", [(), (f"arn:aws:iam::{ACCOUNT}:role/LogReader",)])
def test_kms_statements_match_spec(make_baseline: Any, readers: tuple[str, ...]) -> None:
    baseline: Baseline = make_baseline(kms_readers=readers)
    statements = {s["Sid"]: s for s in baseline.key_policy_statements()}
    cloudtrail = {"Service": "cloudtrail.amazonaws.com"}
    encrypt = statements["Allow CloudTrail to encrypt logs"]
    assert encrypt["Principal"] == cloudtrail and encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Resource"] == "*"
    assert encrypt["Condition"] == {
        "StringLike": {
            "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
        },
        "StringEquals": {"aws:SourceArn": TRAIL_ARN},
    }
    describe = statements["Allow CloudTrail to describe key"]
    assert describe["Action"] == "kms:DescribeKey" and describe["Principal"] == cloudtrail
    assert describe["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    decrypt = statements["Allow CloudTrail to decrypt a trail"]
    assert decrypt["Action"] == "kms:Decrypt" and decrypt["Principal"] == cloudtrail
    reader = statements.get("Enable CloudTrail log decrypt permissions")
    if readers:
        assert reader is not None
        assert reader["Principal"] == {"AWS": readers[0]}
        assert reader["Condition"] == {
            "Null": {"kms:EncryptionContext:aws:cloudtrail:arn": "false"}
        }
    else:
        assert reader is None


def test_new_key_policy_keeps_the_default_statement(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline()
    doc = baseline.new_key_policy()
    check_policy(doc, "resource")
    default = by_sid(doc)["Enable IAM User Permissions"]
    assert default["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    assert default["Action"] == "kms:*"
    assert doc["Statement"][1:] == baseline.key_policy_statements()


@pytest.mark.parametrize("org", [False, True])
def test_cloudwatch_role_policies(make_baseline: Any, org: bool) -> None:
    baseline: Baseline = make_baseline(org_id=ORG_ID if org else None, log_group="ct/main")
    trust = baseline.cloudwatch_trust_policy()
    check_policy(trust, "trust")
    (assume,) = trust["Statement"]
    assert assume["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert assume["Action"] == "sts:AssumeRole"

    permissions = baseline.cloudwatch_role_policy()
    check_policy(permissions, "identity")
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:ct/main"
    expected = [f"{group}:log-stream:{ACCOUNT}_CloudTrail_*"]
    if org:
        expected.append(f"{group}:log-stream:{ORG_ID}_*")
    statements = by_sid(permissions)
    assert statements["AWSCloudTrailCreateLogStream20141101"]["Action"] == ["logs:CreateLogStream"]
    assert statements["AWSCloudTrailPutLogEvents20141101"]["Action"] == ["logs:PutLogEvents"]
    for statement in statements.values():
        assert statement["Resource"] == expected
    assert baseline.log_group_arn == f"{group}:*"


def test_sns_alarm_statement(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline()
    statement = baseline.topic_policy_statement()
    assert statement is not None
    check_policy(builders.document([statement]), "resource")
    assert statement["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert statement["Resource"] == baseline.alarms.topic_arn  # type: ignore[union-attr]
    assert statement["Condition"]["ArnLike"]["aws:SourceArn"] == (
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"
    )


def test_other_partitions_use_their_arns(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline(account_id=ACCOUNT, home_region="cn-north-1")
    assert baseline.trail_arn.startswith("arn:aws-cn:cloudtrail:cn-north-1:")
    for statement in baseline.bucket_policy()["Statement"]:
        resources = statement["Resource"]
        for resource in resources if isinstance(resources, list) else [resources]:
            assert resource.startswith("arn:aws-cn:s3:::")


# Calls apply makes in the order of docs/aws-facts/trail-setup.md#setup-order; each must be allowed
# by the shipped policy.
APPLY_CALLS = [
    "s3:CreateBucket",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketPolicy",
    "s3:PutBucketLogging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "kms:CreateKey",
    "kms:PutKeyPolicy",
    "logs:CreateLogGroup",
    "logs:PutRetentionPolicy",
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:PassRole",
    "cloudtrail:CreateTrail",
    "cloudtrail:UpdateTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:StartLogging",
    "sns:CreateTopic",
    "sns:Subscribe",
    "logs:PutMetricFilter",
    "cloudwatch:PutMetricAlarm",
]


def test_apply_policy_is_valid_and_covers_section_4_8() -> None:
    doc = apply_policy()
    check_policy(doc, "identity")
    allowed: list[str] = []
    for statement in doc["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        allowed.extend([actions] if isinstance(actions, str) else actions)
    missing = [call for call in APPLY_CALLS if call not in allowed]
    assert not missing
    assert not [a for a in allowed if a.endswith(":*") or a == "*"], "no wildcard actions"
    assert not [a for a in allowed if ":Delete" in a], "apply never deletes"
    # The statements follow the order of operations (Sid = StepN...).
    steps = [int(s["Sid"][4]) for s in doc["Statement"]]
    assert steps == sorted(steps)
    slr = next(s for s in doc["Statement"] if s["Action"] == "iam:CreateServiceLinkedRole")
    assert slr["Condition"]["StringEquals"]["iam:AWSServiceName"] == "cloudtrail.amazonaws.com"
    passrole = next(s for s in doc["Statement"] if s["Action"] == "iam:PassRole")
    assert passrole["Condition"]["StringEquals"]["iam:PassedToService"] == (
        "cloudtrail.amazonaws.com"
    )
