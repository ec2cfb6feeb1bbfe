"""plan/apply --org-trail end to end on moto: one organisation trail, repaired not duplicated,
the Control Tower log-archive split, and a second apply that changes nothing."""

from __future__ import annotations

import json

import boto3
from tests.org.support import HOME, MANAGEMENT, apply, build_org, org_plan
from tests.scan.seed import session_for

from trailwarden.policies.builders import SID_KMS_ENCRYPT, SID_ORG_WRITE


def _trails(account: str) -> list[dict[str, object]]:
    ct = session_for(account).client("cloudtrail", region_name=HOME)
    return list(ct.describe_trails(includeShadowTrails=False)["trailList"])


def test_apply_builds_one_organisation_trail_and_a_second_apply_changes_nothing(aws: str) -> None:
    org = build_org()
    plan = org_plan()
    assert plan.organization is not None and not plan.organization.blocked
    assert plan.organization.trail_arn.endswith(f":{MANAGEMENT}:trail/trailwarden")
    create = next(s for s in plan.steps if s.operation == "CreateTrail")
    assert create.params["IsOrganizationTrail"] is True
    report = apply(plan)
    assert report.failed is None, report.failed
    trail = boto3.client("cloudtrail", region_name=HOME).get_trail(Name="trailwarden")["Trail"]
    assert trail["IsOrganizationTrail"] is True and trail["IsMultiRegionTrail"] is True
    access = boto3.client("organizations").list_aws_service_access_for_organization()
    assert "cloudtrail.amazonaws.com" in {
        p["ServicePrincipal"] for p in access["EnabledServicePrincipals"]
    }
    # A member sees the organisation trail (moto gap (d)) and the plan leaves it covered.
    member_view = session_for(org.without_trail).client("cloudtrail", region_name=HOME)
    arns = [t["TrailARN"] for t in member_view.describe_trails()["trailList"]]
    assert plan.organization.trail_arn in arns

    again = org_plan()
    assert again.changes() == [], [(s.id, s.operation) for s in again.changes()]
    second = apply(again)
    assert second.nothing_to_change
    assert [t["Name"] for t in _trails(MANAGEMENT)] == ["trailwarden"]


def test_an_existing_organisation_trail_is_repaired_not_duplicated(aws: str) -> None:
    build_org(trusted_access=True)
    s3 = boto3.client("s3", region_name=HOME)
    s3.create_bucket(Bucket="old-org-trail-bucket")
    ct = boto3.client("cloudtrail", region_name=HOME)
    arn = ct.create_trail(
        Name="org-trail",
        S3BucketName="old-org-trail-bucket",
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        EnableLogFileValidation=False,  # what the repair must fix
    )["TrailARN"]
    ct.start_logging(Name=arn)
    plan = org_plan()
    assert plan.organization is not None and plan.organization.trail_arn == arn
    operations = [s.operation for s in plan.changes()]
    assert "CreateTrail" not in operations
    update = next(s for s in plan.steps if s.operation == "UpdateTrail")
    assert update.action == "update" and update.params["EnableLogFileValidation"] is True
    assert apply(plan).failed is None
    assert [t["Name"] for t in _trails(MANAGEMENT)] == ["org-trail"]
    got = ct.get_trail(Name=arn)["Trail"]
    assert got["LogFileValidationEnabled"] is True and got["IsOrganizationTrail"] is True
    assert org_plan().changes() == []


def test_log_archive_account_holds_bucket_and_key_with_cross_account_policies(aws: str) -> None:
    org = build_org()
    plan = org_plan(log_archive_account=org.archive)
    assert plan.organization is not None
    assert plan.organization.log_archive_account == org.archive
    bucket = plan.organization.bucket
    assert bucket == f"trailwarden-{org.archive}-{HOME}"
    for step in plan.steps:
        if step.service in ("s3", "kms"):
            assert step.account == org.archive, step
        else:
            assert step.account == MANAGEMENT, step
    # Bucket and key steps come before the trail (apply runs steps in plan order).
    order = [s.operation for s in plan.steps]
    assert order.index("CreateKey") < order.index("CreateTrail")
    assert apply(plan).failed is None

    archive = session_for(org.archive)
    policy = json.loads(archive.client("s3").get_bucket_policy(Bucket=bucket)["Policy"])
    org_write = next(s for s in policy["Statement"] if s["Sid"] == SID_ORG_WRITE)
    assert org_write["Resource"] == f"arn:aws:s3:::{bucket}/AWSLogs/{org.org_id}/*"
    assert org_write["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    trail_arn = plan.organization.trail_arn
    assert org_write["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    archive.client("s3").head_bucket(Bucket=f"{bucket}-access-logs")

    kms = archive.client("kms", region_name=HOME)
    key = kms.describe_key(KeyId="alias/trailwarden-cloudtrail")["KeyMetadata"]["Arn"]
    key_policy = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    encrypt = next(s for s in key_policy["Statement"] if s["Sid"] == SID_KMS_ENCRYPT)
    context = encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]
    assert context[0] == f"arn:aws:cloudtrail:*:{MANAGEMENT}:trail/*"
    assert {f"arn:aws:cloudtrail:*:{a}:trail/*" for a in org.members} <= set(context)
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == trail_arn
    admin = next(s for s in key_policy["Statement"] if s["Sid"] == "Enable IAM User Permissions")
    assert admin["Principal"]["AWS"] == f"arn:aws:iam::{org.archive}:root"

    trail = boto3.client("cloudtrail", region_name=HOME).get_trail(Name=trail_arn)["Trail"]
    assert trail["S3BucketName"] == bucket and trail["KmsKeyId"] == key
    # CloudWatch Logs group and role stay with the trail, in the management account.
    assert trail["CloudWatchLogsLogGroupArn"].split(":")[4] == MANAGEMENT
    assert trail["CloudWatchLogsRoleArn"].split(":")[4] == MANAGEMENT
    assert org_plan(log_archive_account=org.archive).changes() == []
