"""The drift rule's pattern against recorded CloudTrail events, through EventBridge's envelope.

The datasets (tests/data/datasets) hold real recordings of StopLogging, DeleteTrail and
PutEventSelectors (Stratus Red Team detonations) and many unrelated calls: those three must
match, every other recorded event must not. They hold no S3 bucket-policy or KMS key-state
calls, so those records are built here from the examples AWS documents (the KMS developer
guide's DisableKey entry, https://docs.aws.amazon.com/kms/latest/developerguide/ct-disablekey.html,
and the same shape for the others), named as such.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.drift.support import BUCKET, KEY_ARN, KEY_ID
from tests.support.datasets import require

from trailwarden.eventpattern import envelope, rule_matches_record, simulate
from trailwarden.plan.org.drift_rules import drift_pattern

PATTERN = drift_pattern(BUCKET, KEY_ARN)
WEAKENING = {"StopLogging", "DeleteTrail", "PutEventSelectors"}


def recorded() -> Iterator[tuple[str, dict[str, Any]]]:
    root = require()
    for path in sorted((root / "stratus-red-team-detonation-logs").glob("*.json")):
        for record in json.loads(path.read_text()):
            yield path.name, record
    otrf = root / "otrf-aws-ec2-proxy-s3-exfiltration"
    for path in sorted(otrf.glob("*.json")):
        for line in path.read_text().splitlines():
            if line.strip():
                yield path.name, json.loads(line)


def test_recorded_weakening_calls_match_and_nothing_else_does() -> None:
    matched, others = [], 0
    for name, record in recorded():
        if rule_matches_record(PATTERN, record):
            matched.append((name, record["eventName"]))
        else:
            others += 1
            assert record["eventName"] not in WEAKENING, name
    assert sorted(e for _, e in matched) == sorted(WEAKENING)
    assert others > 300  # the rest of the recordings really were tried


def test_envelope_is_what_eventbridge_puts_on_the_bus() -> None:
    path = (
        require() / "stratus-red-team-detonation-logs" / "aws.defense-evasion.cloudtrail-stop.json"
    )
    (record,) = json.loads(path.read_text())
    event = envelope(record)
    assert event["detail-type"] == "AWS API Call via CloudTrail"
    assert event["source"] == "aws.cloudtrail"
    assert event["account"] == record["recipientAccountId"]
    assert (event["time"], event["region"]) == (record["eventTime"], record["awsRegion"])
    assert event["detail"] is record and event["resources"] == [] and event["version"] == "0"
    assert envelope(record)["id"] == event["id"]  # stable, so the demo is reproducible


def documented(
    event_name: str, source: str, request: dict[str, Any], response: Any
) -> dict[str, Any]:
    """A record in the shape of the KMS guide's DisableKey example (see the module docstring)."""
    return {
        "eventVersion": "1.02",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111122223333:user/Alice",
            "accountId": "111122223333",
        },
        "eventTime": "2014-11-04T00:52:43Z",
        "eventSource": source,
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "192.0.2.0",
        "requestParameters": request,
        "responseElements": response,
        "eventID": f"example-{event_name}",
        "readOnly": False,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333",
    }


KMS = "kms.amazonaws.com"
S3 = "s3.amazonaws.com"
BUILT = [
    (
        "DisableKey by key id",
        documented("DisableKey", KMS, {"keyId": KEY_ID}, {"keyId": KEY_ARN}),
        True,
    ),
    ("DisableKey by ARN, refused", documented("DisableKey", KMS, {"keyId": KEY_ARN}, None), True),
    (
        "ScheduleKeyDeletion",
        documented(
            "ScheduleKeyDeletion",
            KMS,
            {"keyId": KEY_ID, "pendingWindowInDays": 7},
            {"keyId": KEY_ARN, "keyState": "PendingDeletion"},
        ),
        True,
    ),
    (
        "DisableKey of another key",
        documented("DisableKey", KMS, {"keyId": "0987dcba-09fe-87dc-65ba-ab0987654321"}, None),
        False,
    ),
    ("EnableKey of the trail key", documented("EnableKey", KMS, {"keyId": KEY_ID}, None), False),
    (
        "PutBucketPolicy",
        documented("PutBucketPolicy", S3, {"bucketName": BUCKET, "policy": "{}"}, None),
        True,
    ),
    (
        "DeleteBucketPolicy",
        documented("DeleteBucketPolicy", S3, {"bucketName": BUCKET}, None),
        True,
    ),
    (
        "PutBucketPolicy on another bucket",
        documented("PutBucketPolicy", S3, {"bucketName": "someone-else"}, None),
        False,
    ),
    ("GetBucketPolicy", documented("GetBucketPolicy", S3, {"bucketName": BUCKET}, None), False),
]


@pytest.mark.parametrize(("record", "expected"), [b[1:] for b in BUILT], ids=[b[0] for b in BUILT])
def test_documented_bucket_and_key_calls(record: dict[str, Any], expected: bool) -> None:
    assert rule_matches_record(PATTERN, record) is expected


def test_a_member_stopping_its_own_trail_matches_and_a_case_change_does_not() -> None:
    path = (
        require() / "stratus-red-team-detonation-logs" / "aws.defense-evasion.cloudtrail-stop.json"
    )
    (record,) = json.loads(Path(path).read_text())
    assert rule_matches_record(PATTERN, record)
    other = copy.deepcopy(record)
    other["eventName"] = "stoplogging"  # EventBridge matching is case sensitive
    assert not rule_matches_record(PATTERN, other)


def test_simulation_says_what_fired_and_that_it_is_simulated() -> None:
    path = (
        require()
        / "stratus-red-team-detonation-logs"
        / "aws.defense-evasion.cloudtrail-delete.json"
    )
    (record,) = json.loads(path.read_text())
    result = simulate(PATTERN, record)
    assert result.matched
    line = result.line("trailwarden-trail-drift")
    assert line.startswith(f"DeleteTrail by {record['userIdentity']['arn']} in ")
    assert "rule trailwarden-trail-drift matches (simulated" in line
    assert not simulate(PATTERN, {**record, "eventName": "DescribeTrails"}).matched
