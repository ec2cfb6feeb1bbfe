"""What plan/apply --org-trail cost in API calls per account, and that every call they make is
allowed by the shipped least-privilege policies (scan-policy.json for the scan, apply-policy.json
for plan's checks and apply's writes). The calls are recorded by CountingAccess."""

from __future__ import annotations

from collections import Counter

import boto3
from tests.org.support import MANAGEMENT, access, apply, build_org, org_plan
from tests.scan.seed import session_for

from trailwarden.aws.iam_actions import (
    NO_PERMISSION_NEEDED,
    allowed_actions,
    iam_action,
    shipped_policy,
)

# Implied by parameters: CreateTrail passes the role and tags; the rest tag on create.
IMPLIED = {
    ("cloudtrail", "CreateTrail"): ["iam:PassRole", "cloudtrail:AddTags"],
    ("kms", "CreateKey"): ["kms:TagResource"],
    ("iam", "CreateRole"): ["iam:TagRole"],
    ("sns", "CreateTopic"): ["sns:TagResource"],
    ("logs", "CreateLogGroup"): ["logs:TagResource"],
}


def _missing(calls: Counter[tuple[str, str, str]], policy: str) -> list[str]:
    allowed = allowed_actions(shipped_policy(policy))
    needed = {
        action
        for (_, service, op) in calls
        if (service, op) not in NO_PERMISSION_NEEDED
        for action in [iam_action(service, op), *IMPLIED.get((service, op), [])]
    }
    return sorted(needed - allowed)


def _per_account(calls: Counter[tuple[str, str, str]]) -> dict[str, int]:
    totals: Counter[str] = Counter()
    for (account, _, _), n in calls.items():
        totals[account or MANAGEMENT] += n
    return dict(totals)


def test_calls_per_account_and_least_privilege(aws: str) -> None:
    org = build_org()
    scan_access = access()
    from tests.org.support import org_options, org_scan

    from trailwarden.apply import probe
    from trailwarden.plan.org.build import build_org_plan

    snapshot = org_scan(scan_access)
    scan_calls = scan_access.snapshot_counts()
    assert not _missing(scan_calls, "scan-policy.json")
    check_access = access()
    plan = probe(
        check_access, build_org_plan(snapshot, org_options(log_archive_account=org.archive))
    )
    plan_calls = check_access.snapshot_counts()
    apply_access = access()
    assert apply(plan, apply_access).failed is None
    apply_calls = apply_access.snapshot_counts()
    assert not _missing(plan_calls + apply_calls, "apply-policy.json")

    # Retiring a duplicate reads the organisation trail and the log bucket across accounts.
    prefix = f"AWSLogs/{org.org_id}/{org.with_trail}/"
    assert plan.organization is not None
    session_for(org.archive).client("s3").put_object(
        Bucket=plan.organization.bucket, Key=f"{prefix}x.json.gz", Body=b"x"
    )
    retire = org_plan(log_archive_account=org.archive, retire_duplicate_trails=True)
    retire_access = access()
    assert apply(retire, retire_access).failed is None
    retire_calls = retire_access.snapshot_counts()
    assert ("", "s3", "ListObjectsV2") not in retire_calls
    assert retire_calls[(org.archive, "s3", "ListObjectsV2")] == 1
    assert retire_calls[(org.with_trail, "cloudtrail", "StopLogging")] == 1
    assert not _missing(retire_calls, "apply-policy.json")

    figures = {
        "scan": _per_account(scan_calls),
        "plan checks": _per_account(plan_calls),
        "apply": _per_account(apply_calls),
        "apply (retire)": _per_account(retire_calls),
    }
    print("\nAPI calls per account (management, log archive, members):")
    for stage, per in figures.items():
        print(f"  {stage}: {per}")
    # The organisation trail is built in two accounts; members are only read (the scan).
    assert set(figures["apply"]) == {MANAGEMENT, org.archive}
    assert figures["apply"][MANAGEMENT] < 150 and figures["apply"][org.archive] < 60
    assert set(figures["plan checks"]) == {MANAGEMENT, org.archive}
    assert boto3.client("sts").get_caller_identity()["Account"] == MANAGEMENT
