"""An organisation target built by hand (no dependency on the organisation plan's builder)."""

from __future__ import annotations

from typing import Any

from trailwarden.plan.org.context import GuardrailOptions, OrgTarget
from trailwarden.snapshot.model import Organization, ServiceControlPolicy

MGMT = "111111111111"
ARCHIVE = "222222222222"
MEMBER = "333333333333"
ROOT = "r-ab12"
OU = "ou-ab12-11111111"
HOME = "us-east-1"
TRAIL = f"arn:aws:cloudtrail:{HOME}:{MGMT}:trail/org-trail"
BUCKET = "org-trail-logs"
KEY = f"arn:aws:kms:{HOME}:{ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
APPLY_ROLE = "TrailwardenApply"


def role(account: str, name: str = APPLY_ROLE) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def org(**fields: Any) -> Organization:
    base: dict[str, Any] = {
        "id": "o-abcdef1234",
        "feature_set": "ALL",
        "management_account_id": MGMT,
        "caller_account_id": MGMT,
        "caller_arn": f"arn:aws:sts::{MGMT}:assumed-role/Admin/me",
        "root_ids": [ROOT],
        "scp_enabled": False,
        "policies": [],
    }
    return Organization(**{**base, **fields})


def target(
    organization: Organization | None = None,
    *,
    archive: bool = True,
    kms_key: str | None = KEY,
    runners: tuple[str, ...] | None = None,
) -> OrgTarget:
    where = ARCHIVE if archive else MGMT
    return OrgTarget(
        org=organization or org(),
        management_account=MGMT,
        home_region=HOME,
        trail_name="org-trail",
        trail_arn=TRAIL,
        bucket=BUCKET,
        bucket_account=where,
        bucket_region=HOME,
        kms_key=kms_key,
        kms_key_account=where,
        topic_arn=None,
        accounts=(MGMT, ARCHIVE, MEMBER),
        runner_principals=runners if runners is not None else (role(MGMT), role(ARCHIVE)),
    )


def options(*approved: str, ous: tuple[str, ...] = ()) -> GuardrailOptions:
    return GuardrailOptions(approved_roles=approved, target_ous=ous)


def existing(document: dict[str, Any], targets: list[str]) -> ServiceControlPolicy:
    return ServiceControlPolicy(
        id="p-abcd1234", name="trailwarden-org-trail-guardrail", document=document, targets=targets
    )
