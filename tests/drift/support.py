"""A hand-made OrgTarget (the organisation plan builds the real one) for the drift tests."""

from __future__ import annotations

import dataclasses
from typing import Any

from trailwarden.plan.org.context import OrgTarget
from trailwarden.snapshot.model import Organization

MANAGEMENT = "111111111111"
LOG_ARCHIVE = "222222222222"
MEMBER = "333333333333"
HOME = "us-east-1"
ORG_ID = "o-exampleorg1"
BUCKET = "org-trail-logs-111111111111"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{HOME}:{MANAGEMENT}:key/{KEY_ID}"
TOPIC = f"arn:aws:sns:{HOME}:{MANAGEMENT}:trailwarden-alarms"


def organization(
    recorders: dict[str, list[str]] | None = None,
    org_id: str = ORG_ID,
    management: str = MANAGEMENT,
) -> Organization:
    return Organization(
        id=org_id,
        management_account_id=management,
        caller_account_id=management,
        config_recorders=recorders,
    )


def target(**changes: Any) -> OrgTarget:
    """All in the management account unless changed (bucket_account=LOG_ARCHIVE, ...)."""
    accounts = changes.pop("accounts", (MANAGEMENT, LOG_ARCHIVE, MEMBER))
    base = OrgTarget(
        org=changes.pop("org", organization({a: [HOME] for a in accounts})),
        management_account=MANAGEMENT,
        home_region=HOME,
        trail_name="org-trail",
        trail_arn=f"arn:aws:cloudtrail:{HOME}:{MANAGEMENT}:trail/org-trail",
        bucket=BUCKET,
        bucket_account=MANAGEMENT,
        bucket_region=HOME,
        kms_key=KEY_ARN,
        kms_key_account=MANAGEMENT,
        topic_arn=TOPIC,
        accounts=tuple(accounts),
        runner_principals=(f"arn:aws:iam::{MANAGEMENT}:role/admin",),
    )
    return dataclasses.replace(base, **changes)
