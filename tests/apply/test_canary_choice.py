"""The filter-pattern engine picks each CIS control's canary; three controls have none."""

from __future__ import annotations

from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.verify.canaries import CANDIDATES, WITHOUT_CANARY, Target, canary_for, matches

TARGET = Target(
    "111111111111",
    "eu-west-1",
    "t",
    "arn:aws:cloudtrail:eu-west-1:111111111111:trail/t",
    "b",
    "0b6f6a53-9c1e-4f59-8a0e-3d5a7c1e2f40",
)
EXPECTED = {
    "CloudWatch.2": "AssumeRole",
    "CloudWatch.4": "DetachRolePolicy",
    "CloudWatch.5": "StartLogging",
    "CloudWatch.7": "DisableKey",
    "CloudWatch.8": "DeleteBucketCors",
    "CloudWatch.9": "StopConfigurationRecorder",
    "CloudWatch.10": "CreateSecurityGroup",
    "CloudWatch.11": "CreateNetworkAcl",
    "CloudWatch.12": "CreateInternetGateway",
    "CloudWatch.13": "CreateRouteTable",
    "CloudWatch.14": "CreateVpc",
}


def test_each_control_gets_the_candidate_its_pattern_matches() -> None:
    chosen = {c.control_id: canary_for(c, TARGET) for c in CIS_CONTROLS}
    got = {k: v.candidate.operation for k, v in chosen.items() if v.candidate is not None}
    assert got == EXPECTED
    assert {k for k, v in chosen.items() if v.candidate is None} == set(WITHOUT_CANARY)
    # Each canary trips its own filter and no other (with the permission it expects).
    assert all(v.also_matches == () for v in chosen.values())


def test_no_candidate_matches_the_controls_without_one() -> None:
    for control in CIS_CONTROLS:
        if control.control_id in WITHOUT_CANARY:
            assert not any(matches(control.pattern, c.record(TARGET)) for c in CANDIDATES)


def test_a_refused_canary_still_trips_its_filter_and_unauthorized_calls() -> None:
    (vpc,) = [c for c in CANDIDATES if c.operation == "CreateVpc"]
    refused = {**vpc.record(TARGET), "errorCode": "Client.UnauthorizedOperation"}
    tripped = {c.control_id for c in CIS_CONTROLS if matches(c.pattern, refused)}
    assert tripped == {"CloudWatch.2", "CloudWatch.14"}


def test_names_point_at_nothing_that_exists() -> None:
    assert TARGET.marker.startswith("trailwarden-canary-") and len(TARGET.marker) == 35
    (key,) = [c for c in CANDIDATES if c.operation == "DisableKey"]
    assert key.params(TARGET) == {"KeyId": TARGET.nonce}
    assert all(c.method == c.method.lower() for c in CANDIDATES)
    assert {c.method for c in CANDIDATES} >= {"start_logging", "delete_bucket_cors"}
