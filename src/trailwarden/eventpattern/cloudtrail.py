"""The EventBridge event AWS builds from a CloudTrail record, for matching recorded calls.

moto delivers no events, so the demo and the tests ask "would the rule have fired?" this way: the
record as CloudTrail logged it becomes the envelope EventBridge puts on the bus of the account and
Region where the call was made (docs/aws-facts/drift.md#envelope), and the rule's pattern is
matched against that.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from trailwarden.eventpattern.matcher import matches

# CloudTrail's eventType -> the detail-type EventBridge gives the event (the EventBridge user
# guide's "AWS service events delivered via AWS CloudTrail").
DETAIL_TYPES = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Signin via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
}
_IDS = uuid.UUID("6f1c1a52-0000-4000-8000-747261696c77")  # namespace for stable envelope ids


def envelope(record: dict[str, Any]) -> dict[str, Any]:
    """The event on the bus for one CloudTrail record (``detail`` is the record itself)."""
    service = str(record.get("eventSource", "")).removesuffix(".amazonaws.com")
    account = record.get("recipientAccountId") or record.get("userIdentity", {}).get("accountId")
    return {
        "version": "0",
        # Real ids are random; a stable one keeps the simulation reproducible.
        "id": str(uuid.uuid5(_IDS, str(record.get("eventID", "")))),
        "detail-type": DETAIL_TYPES.get(
            str(record.get("eventType", "")), "AWS API Call via CloudTrail"
        ),
        "source": f"aws.{service}",
        "account": account,
        "time": record.get("eventTime"),
        "region": record.get("awsRegion"),
        "resources": [],
        "detail": record,
    }


def rule_matches_record(pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    """Whether a rule with ``pattern``, on the bus the record's event reaches, would fire."""
    return matches(pattern, envelope(record))


@dataclass(frozen=True)
class Simulation:
    """What EventBridge would do with one recorded call, worked out rather than observed."""

    event: dict[str, Any]  # the envelope on the bus of the call's account and Region
    matched: bool

    def line(self, rule: str) -> str:
        detail = self.event["detail"]
        who = detail.get("userIdentity", {}).get("arn", "someone")
        where = f"{self.event['account']} {self.event['region']}"
        verdict = "matches" if self.matched else "does not match"
        return (
            f"{detail.get('eventName')} by {who} in {where}: rule {rule} {verdict} "
            "(simulated: the pattern matched against the event EventBridge would build)"
        )


def simulate(pattern: dict[str, Any], record: dict[str, Any]) -> Simulation:
    event = envelope(record)
    return Simulation(event, matches(pattern, event))
