"""Health signals: what Security Hub does not grade but a trail's owner must know (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from trailwarden.controls.context import AccountView, account_resource
from trailwarden.controls.model import Severity, Signal
from trailwarden.controls.selectors import logs_data_events, logs_management
from trailwarden.snapshot.model import Trail, TrailStatus

STALE_CLOUDWATCH = timedelta(hours=24)


# What a signal says about one trail: its kind, severity and message.
_Health = tuple[str, Severity, str]


def account_signals(view: AccountView) -> Iterator[Signal]:
    for trail in view.owned_trails():
        for kind, severity, message in _trail_health(view, trail):
            yield Signal(
                kind=kind,
                severity=severity,
                account=view.account,
                region=trail.home_region,
                resource=trail.arn,
                message=message,
            )
    yield from _extra_copies(view)


def _trail_health(view: AccountView, trail: Trail) -> Iterator[_Health]:
    name, status = trail.name, trail.status
    if status is not None and not status.is_logging:
        yield (
            "trail-not-logging",
            Severity.HIGH,
            f"{name} exists but is not logging: nothing is recorded",
        )
    if status is not None and status.latest_delivery_error:
        yield (
            "delivery-error",
            Severity.HIGH,
            f"{name} last S3 delivery failed: {status.latest_delivery_error}",
        )
    if status is not None and status.latest_digest_delivery_error:
        yield (
            "digest-delivery-error",
            Severity.MEDIUM,
            f"{name} last digest delivery failed: {status.latest_digest_delivery_error}",
        )
    if trail.cloudwatch_logs_log_group_arn and status is not None:
        yield from _cloudwatch_health(name, status, view.snapshot.generated_at)
    if trail.kms_key_id:
        key = view.key(trail.kms_key_id)
        if key is not None and key.key_state not in (None, "Enabled"):
            yield (
                "kms-key-unusable",
                Severity.HIGH,
                f"{name}'s KMS key is {key.key_state}: CloudTrail cannot encrypt, so nothing is "
                "delivered",
            )
    if trail.selectors is not None and logs_data_events(trail.selectors):
        yield (
            "data-events",
            Severity.INFORMATIONAL,
            f"{name} records data events, billed $0.10 per 100,000 events for every copy",
        )
    if trail.s3_bucket_name:
        bucket = view.bucket(trail.s3_bucket_name)
        if bucket is not None and not bucket.exists:
            yield (
                "bucket-missing",
                Severity.CRITICAL,
                f"{name}'s bucket {bucket.name} does not exist",
            )
    if trail.cloudwatch_logs_log_group_arn:
        group = view.log_group(trail.cloudwatch_logs_log_group_arn)
        if group is not None and group.exists is False:
            yield (
                "log-group-missing",
                Severity.HIGH,
                f"{name}'s log group {group.name} does not exist",
            )


def _cloudwatch_health(name: str, status: TrailStatus, now: datetime) -> Iterator[_Health]:
    error = status.latest_cloudwatch_logs_delivery_error
    last = status.latest_cloudwatch_logs_delivery_time
    stale = last is not None and now - last > STALE_CLOUDWATCH
    since = f"at {last:%Y-%m-%d %H:%M}Z, more than 24 h ago" if last is not None else ""
    if error:
        # How long it has been failing is what tells a blip from an outage: say it too.
        yield (
            "cloudwatch-delivery-error",
            Severity.MEDIUM,
            f"{name}'s last CloudWatch Logs delivery failed: {error}"
            + (f"; it last delivered {since}" if stale else ""),
        )
    elif stale:
        yield (
            "cloudwatch-delivery-stale",
            Severity.MEDIUM,
            f"{name} last delivered to CloudWatch Logs {since}",
        )


def _extra_copies(view: AccountView) -> Iterator[Signal]:
    """More than one logging trail recording management events in a Region: all but the first
    copy are billed at $2.00 per 100,000 events (docs/aws-facts/cost.md#extra-trail-copies). One
    signal per account."""
    regions: list[str] = []
    names: set[str] = set()
    for region in view.scanned_regions:
        copies = [
            t
            for t in view.visible_trails(region)
            if t.status is not None
            and t.status.is_logging
            and t.selectors is not None
            and logs_management(t.selectors)
        ]
        if len(copies) > 1:
            regions.append(region.region)
            names.update(t.name for t in copies)
    if regions:
        where = regions[0] if len(regions) == 1 else f"{len(regions)} Regions"
        yield Signal(
            kind="extra-management-copy",
            severity=Severity.LOW,
            account=view.account,
            region=regions[0] if len(regions) == 1 else "multiple",
            resource=account_resource(view.account),
            message=f"trails {', '.join(sorted(names))} each record management events in {where}: "
            "every copy after the first is billed at $2.00 per 100,000 events",
        )
