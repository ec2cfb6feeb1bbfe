"""The real scan against a moto server over HTTP: several accounts via Organizations + AssumeRole,
and faults injected per account/Region/operation by a proxy in front of moto."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for
from tests.support.proxy import Fault

REGIONS = "us-east-1,eu-west-1"


@pytest.fixture
def org(aws: str) -> dict[str, str]:
    """management: good multi-Region trail; good member; member with a single-Region trail."""
    good, single = create_org(2)
    create_trail(session_for(MANAGEMENT), "main")
    create_trail(session_for(good), "main")
    create_trail(session_for(single), "local", multi=False)
    return {"good": good, "single": single}


def scan(cli: Any, *extra: str) -> tuple[int, dict[str, Any]]:
    result = cli(
        ["scan", "--org", "--regions", REGIONS, "--output", "json", "--max-attempts", "3", *extra]
    )
    assert result.code in (0, 1), result.stderr
    return result.code, json.loads(result.stdout)


def status(doc: dict[str, Any], control: str, account: str, region: str) -> set[str]:
    return {
        f["status"]
        for f in doc["findings"]
        if f["control"] == control and f["account"] == account and f["region"] == region
    }


def test_org_scan_reads_every_account_and_region(org: dict[str, str], cli: Any) -> None:
    code, doc = scan(cli)
    assert sorted(doc["accounts"]) == sorted([MANAGEMENT, org["good"], org["single"]])
    assert doc["regions"] == ["eu-west-1", "us-east-1"]
    for account in (MANAGEMENT, org["good"]):
        for region in ("us-east-1", "eu-west-1"):
            assert status(doc, "CloudTrail.1", account, region) == {"PASSED"}
    assert status(doc, "CloudTrail.1", org["single"], "us-east-1") == {"FAILED"}
    assert status(doc, "CloudTrail.3", org["single"], "us-east-1") == {"PASSED"}
    assert status(doc, "CloudTrail.3", org["single"], "eu-west-1") == {"FAILED"}
    assert code == 1
    assert doc["errors"] == []


def test_snapshot_saved_from_aws_evaluates_offline_identically(
    org: dict[str, str], cli: Any, tmp_path: Any
) -> None:
    path = tmp_path / "snap.json"
    _, live = scan(cli, "--save-snapshot", str(path))
    offline = json.loads(cli(["scan", "--from-snapshot", str(path), "--output", "json"]).stdout)
    assert offline["findings"] == live["findings"]


def test_access_denied_on_one_account_operation_is_not_available(
    org: dict[str, str], proxy: Any, cli: Any
) -> None:
    good = org["good"]
    proxy.add_fault(Fault(account=good, service="cloudtrail", operation="GetTrailStatus"))
    _, doc = scan(cli)
    for region in ("us-east-1", "eu-west-1"):
        assert status(doc, "CloudTrail.1", good, region) == {"NOT_AVAILABLE"}
        assert status(doc, "CloudTrail.3", good, region) == {"NOT_AVAILABLE"}
        assert status(doc, "CloudTrail.1", MANAGEMENT, region) == {"PASSED"}
    errors = [e for e in doc["errors"] if e["account"] == good]
    assert [e["operation"] for e in errors] == ["cloudtrail:GetTrailStatus"]
    assert "AccessDenied" in errors[0]["error"]


def test_throttling_that_clears_is_retried_away(org: dict[str, str], proxy: Any, cli: Any) -> None:
    proxy.add_fault(
        Fault(service="cloudtrail", operation="DescribeTrails", kind="throttle", times=2)
    )
    _, doc = scan(cli)
    assert doc["errors"] == []
    assert proxy.faults_served["throttle"] == 2
    assert status(doc, "CloudTrail.1", org["good"], "eu-west-1") == {"PASSED"}


@pytest.mark.parametrize("kind", ["throttle", "http500", "drop"])
def test_faults_that_never_clear_leave_one_region_not_available(
    org: dict[str, str], proxy: Any, cli: Any, kind: str
) -> None:
    good = org["good"]
    proxy.add_fault(
        Fault(
            account=good,
            region="eu-west-1",
            service="cloudtrail",
            operation="DescribeTrails",
            kind=kind,
        )
    )  # type: ignore[arg-type]
    _, doc = scan(cli)
    assert status(doc, "CloudTrail.1", good, "eu-west-1") == {"NOT_AVAILABLE"}
    assert status(doc, "CloudTrail.1", good, "us-east-1") == {"PASSED"}
    assert status(doc, "CloudTrail.1", org["single"], "us-east-1") == {"FAILED"}
    errors = [(e["account"], e["region"], e["operation"]) for e in doc["errors"]]
    assert errors == [(good, "eu-west-1", "cloudtrail:DescribeTrails")]


def test_unreadable_tags_and_bucket_give_not_available_never_passed(
    org: dict[str, str], proxy: Any, cli: Any
) -> None:
    good = org["good"]
    proxy.add_fault(Fault(account=good, operation="ListTags", kind="drop"))
    proxy.add_fault(Fault(account=good, service="s3", operation="GetBucketLogging"))
    _, doc = scan(cli)
    assert status(doc, "CloudTrail.9", good, "us-east-1") == {"NOT_AVAILABLE"}
    assert status(doc, "CloudTrail.7", good, "us-east-1") == {"NOT_AVAILABLE"}
    assert status(doc, "CloudTrail.9", MANAGEMENT, "us-east-1") == {"PASSED"}


def test_account_that_cannot_be_assumed_is_not_available(
    org: dict[str, str], proxy: Any, cli: Any
) -> None:
    proxy.add_fault(Fault(account=MANAGEMENT, service="sts", operation="AssumeRole"))
    _, doc = scan(cli)
    members = {org["good"], org["single"]}
    member_findings = [f for f in doc["findings"] if f["account"] in members]
    assert member_findings and {f["status"] for f in member_findings} == {"NOT_AVAILABLE"}
    assert status(doc, "CloudTrail.1", MANAGEMENT, "us-east-1") == {"PASSED"}
    assert {e["operation"] for e in doc["errors"]} == {"sts:AssumeRole"}


def test_without_regions_every_enabled_region_is_scanned(aws: str, cli: Any) -> None:
    import boto3

    create_trail(session_for(MANAGEMENT), "main")
    described = boto3.client("ec2", region_name="us-east-1").describe_regions(AllRegions=True)
    enabled = {
        r["RegionName"]
        for r in described["Regions"]
        if r.get("OptInStatus") in ("opt-in-not-required", "opted-in")
    }
    others = {r["RegionName"] for r in described["Regions"]} - enabled
    result = cli(["scan", "--output", "json", "--max-workers", "16"])
    doc = json.loads(result.stdout)
    ct1 = {f["region"]: f["status"] for f in doc["findings"] if f["control"] == "CloudTrail.1"}
    assert {r for r, s in ct1.items() if s == "PASSED"} == enabled
    assert {r for r, s in ct1.items() if s == "NO_DATA"} == others


def test_deleted_bucket_fails_the_bucket_controls_and_signals_it(aws: str, cli: Any) -> None:
    import boto3

    create_trail(session_for(MANAGEMENT), "main")
    bucket = f"trail-main-{MANAGEMENT}"
    boto3.client("s3", region_name="us-east-1").delete_bucket(Bucket=bucket)
    result = cli(["scan", "--regions", "us-east-1", "--output", "json"])
    doc = json.loads(result.stdout)
    for control in ("CloudTrail.6", "CloudTrail.7"):
        assert status(doc, control, MANAGEMENT, "us-east-1") == {"FAILED"}
    assert "bucket-missing" in {s["kind"] for s in doc["signals"]}
    assert doc["errors"] == []
