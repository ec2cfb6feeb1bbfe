"""Resources several trails use are read once for what all of them need (issue 14, items 1 and 6):
a moto server over HTTP, seeded with boto3 as an administrator would."""

from __future__ import annotations

import json
from typing import Any

import boto3
from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail, owned_bucket
from tests.scan.seed import MANAGEMENT, create_org, create_trail, put_cis_filter, session_for

from trailwarden.controls import Status, evaluate
from trailwarden.controls.causes import BucketCause
from trailwarden.controls.grouping import group_failures
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.snapshot.model import Bucket

ROOT_USAGE = CIS_CONTROLS[0]  # CloudWatch.1


def scan(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(["scan", "--output", "json", *args])
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_control(doc: dict[str, Any], account: str, region: str) -> dict[str, tuple[str, str]]:
    return {
        f["control"]: (f["status"], f["reason"])
        for f in doc["findings"]
        if f["account"] == account and f["region"] == region
    }


# -- item 6: a log group shared by a single-Region and a multi-Region trail ------------------------


def test_log_group_shared_with_a_single_region_trail_is_read_for_the_cloudwatch_chain(
    aws: str, cli: Any
) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="shared")
    group_arn = logs.describe_log_groups(logGroupNamePrefix="shared")["logGroups"][0]["arn"]
    put_cis_filter(logs, "shared", ROOT_USAGE)
    session = session_for(MANAGEMENT)
    # The single-Region trail first: it is listed (and used to be read) before the other.
    for name, multi in (("a-local", False), ("main", True)):
        create_trail(session, name, multi=multi)
        boto3.client("cloudtrail", region_name="us-east-1").update_trail(
            Name=name,
            CloudWatchLogsLogGroupArn=group_arn,
            CloudWatchLogsRoleArn=f"arn:aws:iam::{MANAGEMENT}:role/CloudTrailToLogs",
        )
    # One worker: tasks run in the order they were queued, as on a busy pool.
    doc = scan(cli, "--regions", "us-east-1", "--max-workers", "1")
    found = by_control(doc, MANAGEMENT, "us-east-1")
    assert found[ROOT_USAGE.control_id][0] == "FAILED"
    assert "no alarm" in found[ROOT_USAGE.control_id][1]  # filter read, alarms read: none
    others = [c.control_id for c in CIS_CONTROLS[1:]]
    assert {found[c][0] for c in others} == {"FAILED"}
    assert all("no metric filter" in found[c][1] for c in others)


# -- item 1: a central log bucket is graded in the account that owns it ---------------------------


def central_bucket(owner: str, name: str) -> None:
    """A log-archive bucket: private, no server access logging (CloudTrail.7 FAILS it)."""
    session_for(owner).client("s3", region_name="us-east-1").create_bucket(Bucket=name)


def bucket_findings(doc: dict[str, Any], account: str, bucket: str) -> dict[str, str]:
    return {
        f["control"]: f["status"]
        for f in doc["findings"]
        if f["account"] == account and f["resource"] == f"arn:aws:s3:::{bucket}"
    }


def test_organisation_trail_bucket_is_graded_in_the_log_archive_account(aws: str, cli: Any) -> None:
    (archive,) = create_org(1)
    central_bucket(archive, "org-central-logs")
    ct = session_for(MANAGEMENT).client("cloudtrail", region_name="us-east-1")
    ct.create_trail(
        Name="org",
        S3BucketName="org-central-logs",
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
    )
    ct.start_logging(Name="org")
    doc = scan(cli, "--org", "--regions", "us-east-1")
    assert bucket_findings(doc, archive, "org-central-logs") == {
        "CloudTrail.6": "PASSED",
        "CloudTrail.7": "FAILED",
    }
    graded = [
        f for f in doc["findings"] if f["account"] == archive and f["control"] == "CloudTrail.7"
    ]
    assert graded[0]["region"] == "us-east-1"
    assert graded[0]["root_cause"] == "arn:aws:s3:::org-central-logs"  # the bucket, not the trail


def test_another_accounts_trail_delivering_to_our_bucket_is_graded_here(aws: str, cli: Any) -> None:
    producer, archive = create_org(2)
    central_bucket(archive, "shared-logs")
    ct = session_for(producer).client("cloudtrail", region_name="us-east-1")
    ct.create_trail(Name="app", S3BucketName="shared-logs", IsMultiRegionTrail=True)
    doc = scan(cli, "--accounts", f"{producer},{archive}", "--regions", "us-east-1")
    assert bucket_findings(doc, archive, "shared-logs") == {
        "CloudTrail.6": "PASSED",
        "CloudTrail.7": "FAILED",
    }
    # The trail owner has no say over it: not graded there.
    assert "FAILED" not in bucket_findings(doc, producer, "shared-logs").values()


def test_central_bucket_verdicts_and_fix_name_the_bucket_not_the_trail() -> None:
    org_trail = make_trail(org=True, s3_bucket_name="central")
    public = owned_bucket("central", public_access_block={}, policy_is_public=True)
    snap = make_snapshot([org_trail], accounts=[MGMT, MEMBER], buckets={MEMBER: [public], MGMT: []})
    found = [f for f in evaluate(snap, only=["CloudTrail.6"]).findings if f.account == MEMBER]
    assert [(f.status, f.root_cause) for f in found] == [
        (Status.FAILED, BucketCause(MEMBER, "arn:aws:s3:::central"))
    ]
    (group,) = group_failures(found)
    assert group.fix().startswith("fix bucket central: block public access")


def test_central_bucket_of_unknown_owner_is_not_available() -> None:
    org_trail = make_trail(org=True, s3_bucket_name="central")
    unknown = Bucket(name="central", owned=None)
    snap = make_snapshot([org_trail], accounts=[MGMT, MEMBER], buckets={MEMBER: [unknown]})
    found = [f for f in evaluate(snap, only=["CloudTrail.7"]).findings if f.account == MEMBER]
    assert [f.status for f in found] == [Status.NOT_AVAILABLE]
