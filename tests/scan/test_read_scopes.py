"""What could not be read stays unknown, in its own scope, with its error (issue 14, items 5 and 7):
a scan on a moto server over HTTP with faults injected by a proxy in front of it."""

from __future__ import annotations

import json
from typing import Any

import boto3
from tests.scan.build import MGMT, make_snapshot, make_trail
from tests.scan.seed import MANAGEMENT, create_trail, session_for
from tests.support.proxy import Fault

from trailwarden.controls import Status, evaluate
from trailwarden.snapshot.model import EventDataStore

REGIONS = "us-east-1,eu-west-1"


def scan(cli: Any) -> dict[str, Any]:
    result = cli(["scan", "--regions", REGIONS, "--output", "json", "--max-attempts", "2"])
    assert result.code in (0, 1), result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def findings(doc: dict[str, Any], control: str, region: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["control"] == control and f["region"] == region]


def lake_store(region: str) -> str:
    """An event data store without a KMS key: CloudTrail.10 FAILS it when it can be read."""
    ct = boto3.client("cloudtrail", region_name=region)
    return str(ct.create_event_data_store(Name="lake")["EventDataStoreArn"])


# -- item 5: CloudTrail.10 -------------------------------------------------------------------------


def test_ct10_grades_stores_listed_where_describe_trails_failed() -> None:
    store = EventDataStore(arn="arn:aws:cloudtrail:eu-west-1:1:eventdatastore/x", name="x")
    snap = make_snapshot(
        [make_trail()],
        region_errors={(MGMT, "eu-west-1")},
        stores={(MGMT, "eu-west-1"): [store]},
    )
    (finding,) = evaluate(snap, only=["CloudTrail.10"]).findings
    assert (finding.region, finding.resource, finding.status) == (
        "eu-west-1",
        store.arn,
        Status.FAILED,
    )


def test_ct10_store_in_a_region_whose_trails_could_not_be_listed_is_graded(
    proxy: Any, cli: Any
) -> None:
    create_trail(session_for(MANAGEMENT), "main")
    store = lake_store("eu-west-1")
    proxy.add_fault(Fault(region="eu-west-1", service="cloudtrail", operation="DescribeTrails"))
    doc = scan(cli)
    graded = findings(doc, "CloudTrail.10", "eu-west-1")
    assert [(f["resource"], f["status"]) for f in graded] == [(store, "FAILED")]


def test_ct10_unreadable_store_is_not_available_never_no_key(proxy: Any, cli: Any) -> None:
    create_trail(session_for(MANAGEMENT), "main")
    store = lake_store("us-east-1")
    proxy.add_fault(Fault(service="cloudtrail", operation="GetEventDataStore"))
    doc = scan(cli)
    graded = findings(doc, "CloudTrail.10", "us-east-1")
    assert [(f["resource"], f["status"]) for f in graded] == [(store, "NOT_AVAILABLE")]
    assert ("us-east-1", "cloudtrail:GetEventDataStore") in {
        (e["region"], e["operation"]) for e in doc["errors"]
    }


# -- item 7: every scope that could not be read is NOT_AVAILABLE, with its error ------------------

PER_TRAIL = ["CloudTrail.2", "CloudTrail.4", "CloudTrail.5", "CloudTrail.6", "CloudTrail.7"]


def test_region_whose_trails_could_not_be_listed_is_never_silent(proxy: Any, cli: Any) -> None:
    """A single-Region trail homed in eu-west-1 is invisible anywhere else: when DescribeTrails
    fails there, each per-trail control must say so for that Region."""
    create_trail(session_for(MANAGEMENT), "main")
    create_trail(session_for(MANAGEMENT), "irish", multi=False, home="eu-west-1")
    proxy.add_fault(Fault(region="eu-west-1", service="cloudtrail", operation="DescribeTrails"))
    doc = scan(cli)
    for control in [*PER_TRAIL, "CloudTrail.9", "CloudTrail.1", "CloudTrail.3"]:
        got = findings(doc, control, "eu-west-1")
        assert [f["status"] for f in got] == ["NOT_AVAILABLE"], control
        assert "DescribeTrails" in got[0]["reason"] and "AccessDenied" in got[0]["reason"]


def test_unknowns_name_the_error_behind_them(proxy: Any, cli: Any) -> None:
    create_trail(session_for(MANAGEMENT), "main")
    proxy.add_fault(Fault(service="cloudtrail", operation="ListTags"))
    proxy.add_fault(Fault(service="cloudtrail", operation="GetTrailStatus"))
    doc = scan(cli)
    ct9 = findings(doc, "CloudTrail.9", "us-east-1")
    assert [f["status"] for f in ct9] == ["NOT_AVAILABLE"]
    assert "cloudtrail:ListTags: AccessDenied" in ct9[0]["reason"]
    ct1 = findings(doc, "CloudTrail.1", "eu-west-1")
    assert "cloudtrail:GetTrailStatus: AccessDenied" in ct1[0]["reason"]


def test_regions_that_could_not_be_listed_are_one_unknown_per_control(proxy: Any, cli: Any) -> None:
    create_trail(session_for(MANAGEMENT), "main")
    proxy.add_fault(Fault(service="ec2", operation="DescribeRegions"))
    result = cli(["scan", "--output", "json", "--max-attempts", "2"])  # every enabled Region
    doc = json.loads(result.stdout)
    unlisted = [f for f in doc["findings"] if f["region"] == "-"]
    controls = {f["control"] for f in doc["findings"]}
    assert sorted(f["control"] for f in unlisted) == sorted(controls)
    assert all("ec2:DescribeRegions: UnauthorizedOperation" in f["reason"] for f in unlisted)
    assert {f["status"] for f in unlisted} == {"NOT_AVAILABLE"}
