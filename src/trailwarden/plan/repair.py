"""Which trail an account's baseline is built on: an existing owned trail, or a new one (pure).

A second trail that records management events is billed (docs/aws-facts/cost.md#extra-trail-copies),
so the plan repairs the best trail the account already owns instead of adding one. The baseline is
then derived from that trail: its name and home Region, and its bucket, key, log group and role when
the account owns them, so their policies are merged into rather than replaced. Options the user gave
explicitly always win. Organisation trails owned by other accounts are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from trailwarden.arns import arn_account, arn_region, log_group_name
from trailwarden.controls.selectors import covers_all_management, logs_management
from trailwarden.plan.names import KMS_ARN_RE
from trailwarden.snapshot.model import AccountScan, Bucket, Trail


@dataclass(frozen=True)
class TrailChoice:
    trail: Trail | None  # None: create the baseline's trail
    overrides: dict[str, Any] = field(default_factory=dict)  # Baseline.from_options kwargs
    notes: tuple[str, ...] = ()
    bucket_owned: bool = True  # False: the trail writes to another account's bucket


def _rank(trail: Trail, wanted_name: str | None) -> tuple[int, ...]:
    logging = trail.status is not None and trail.status.is_logging
    covers = trail.selectors is not None and covers_all_management(trail.selectors)
    return (
        trail.name != wanted_name if wanted_name else 0,
        not trail.is_multi_region,
        not covers,
        not logging,
        trail.is_organization_trail,
    )


def choose_trail(scan: AccountScan, given: Mapping[str, Any]) -> TrailChoice:
    """The owned trail to repair (and the baseline options that follow from it), if any."""
    owned = [t for t in scan.trails if t.account == scan.account]
    if not owned:
        return TrailChoice(None)
    wanted = given.get("trail_name")
    trail = sorted(owned, key=lambda t: (*_rank(t, wanted), t.arn))[0]
    if wanted and trail.name != wanted:
        # The user named a trail that does not exist: they asked for a new one.
        return TrailChoice(None, notes=(_extra_copy_note(owned),))
    overrides: dict[str, Any] = {"trail_name": trail.name, "home_region": trail.home_region}
    notes = [f"repairing existing trail {trail.name} instead of creating a second (billed) copy"]
    bucket = _bucket(scan, trail.s3_bucket_name)
    owned_bucket = bucket is not None and bucket.owned is True and bucket.exists
    if trail.s3_bucket_name and "bucket" not in given:
        if owned_bucket or bucket is None or bucket.owned is not False:
            overrides["bucket"] = trail.s3_bucket_name
            overrides["prefix"] = trail.s3_key_prefix
            if bucket is not None and bucket.region:
                overrides["bucket_region"] = bucket.region
            if bucket is not None and bucket.logging_target:
                overrides["access_log_bucket"] = bucket.logging_target
        else:
            notes.append(
                f"bucket {trail.s3_bucket_name} belongs to another account: left as it is"
                " (CloudTrail.6/.7 are evaluated there)"
            )
    key = trail.kms_key_id
    if key and "kms_key" not in given:
        match = KMS_ARN_RE.match(key)
        bucket_region = overrides.get("bucket_region", given.get("bucket_region"))
        if match and match.group(2) == (bucket_region or trail.home_region):
            overrides["kms_key"] = key
    _existing_cloudwatch(trail, scan.account, given, overrides)
    for other in owned:
        if other.arn != trail.arn and other.selectors and logs_management(other.selectors):
            notes.append(
                f"trail {other.name} also records management events (a billed extra copy);"
                " trailwarden leaves it alone"
            )
    return TrailChoice(
        trail,
        overrides,
        tuple(notes),
        bucket_owned=not (bucket is not None and bucket.owned is False),
    )


def _existing_cloudwatch(
    trail: Trail, account: str, given: Mapping[str, Any], overrides: dict[str, Any]
) -> None:
    group = trail.cloudwatch_logs_log_group_arn
    if (
        group
        and "log_group" not in given
        and arn_account(group) == account
        and arn_region(group) == trail.home_region
    ):
        overrides["log_group"] = log_group_name(group)
    role = trail.cloudwatch_logs_role_arn
    if role and "cloudwatch_role" not in given and arn_account(role) == account:
        overrides["cloudwatch_role"] = role.rsplit("/", 1)[-1]


def _bucket(scan: AccountScan, name: str | None) -> Bucket | None:
    return next((b for b in scan.buckets if b.name == name), None) if name else None


def _extra_copy_note(owned: list[Trail]) -> str:
    names = ", ".join(t.name for t in owned)
    return f"a new trail is created next to {names}: its management events are a billed copy"


def covered_by_organisation(scan: AccountScan, foreign: list[Trail]) -> Trail | None:
    """An organisation trail (another account's) that already gives this account CloudTrail.1."""
    for trail in foreign:
        logging = trail.status is not None and trail.status.is_logging
        if (
            trail.is_multi_region
            and logging
            and trail.selectors is not None
            and covers_all_management(trail.selectors)
        ):
            return trail
    return None
