"""Health signals: what Security Hub does not grade but a trail's owner must know (pure)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from trailwarden.controls.context import AccountView
from trailwarden.controls.model import Severity, Signal
from trailwarden.controls.selectors import logs_data_events, logs_management
from trailwarden.snapshot.model import TrailStatus

STALE_CLOUDWATCH = timedelta(hours=24)


def account_signals(view: AccountView) -> Iterator[Signal]:
    now = view.snapshot.generated_at
    acct = view.account
    for trail in view.owned_trails():
        region, arn = trail.home_region, trail.arn
        status = trail.status
        if status is not None and not status.is_logging:
            yield Signal(
                kind="trail-not-logging",
                severity=Severity.HIGH,
                account=acct,
                region=region,
                resource=arn,
                message=f"{trail.name} exists but is not logging: nothing is recorded",
            )
        if status is not None and status.latest_delivery_error:
            yield Signal(
                kind="delivery-error",
                severity=Severity.HIGH,
                account=acct,
                region=region,
                resource=arn,
                message=f"{trail.name} last S3 delivery failed: {status.latest_delivery_error}",
            )
        if status is not None and status.latest_digest_delivery_error:
            yield Signal(
                kind="digest-delivery-error",
                severity=Severity.MEDIUM,
                account=acct,
                region=region,
                resource=arn,
                message=f"{trail.name} last digest delivery failed: "
                f"{status.latest_digest_delivery_error}",
            )
        if trail.cloudwatch_logs_log_group_arn and status is not None:
            yield from _cloudwatch_health(view, trail.name, region, arn, status, now)
        if trail.kms_key_id:
            key = view.key(trail.kms_key_id)
            if key is not None and key.key_state not in (None, "Enabled"):
                yield Signal(
                    kind="kms-key-unusable",
                    severity=Severity.HIGH,
                    account=acct,
                    region=region,
                    resource=arn,
                    message=f"{trail.name}'s KMS key is {key.key_state}: CloudTrail cannot "
                    "encrypt, so nothing is delivered",
                )
        if trail.selectors is not None and logs_data_events(trail.selectors):
            yield Signal(
                kind="data-events",
                severity=Severity.INFORMATIONAL,
                account=acct,
                region=region,
                resource=arn,
                message=f"{trail.name} records data events, billed $0.10 per 100,000 events "
                "for every copy",
            )
        if trail.s3_bucket_name:
            bucket = view.bucket(trail.s3_bucket_name)
            if bucket is not None and not bucket.exists:
                yield Signal(
                    kind="bucket-missing",
                    severity=Severity.CRITICAL,
                    account=acct,
                    region=region,
                    resource=arn,
                    message=f"{trail.name}'s bucket {bucket.name} does not exist",
                )
        if trail.cloudwatch_logs_log_group_arn:
            group = view.log_group(trail.cloudwatch_logs_log_group_arn)
            if group is not None and group.exists is False:
                yield Signal(
                    kind="log-group-missing",
                    severity=Severity.HIGH,
                    account=acct,
                    region=region,
                    resource=arn,
                    message=f"{trail.name}'s log group {group.name} does not exist",
                )
    yield from _extra_copies(view)


def _cloudwatch_health(
    view: AccountView, name: str, region: str, arn: str, status: TrailStatus, now: datetime
) -> Iterator[Signal]:
    error = status.latest_cloudwatch_logs_delivery_error
    last = status.latest_cloudwatch_logs_delivery_time
    if error:
        yield Signal(
            kind="cloudwatch-delivery-error",
            severity=Severity.MEDIUM,
            account=view.account,
            region=region,
            resource=arn,
            message=f"{name}'s last CloudWatch Logs delivery failed: {error}",
        )
    elif last is not None and now - last > STALE_CLOUDWATCH:
        yield Signal(
            kind="cloudwatch-delivery-stale",
            severity=Severity.MEDIUM,
            account=view.account,
            region=region,
            resource=arn,
            message=f"{name} last delivered to CloudWatch Logs at {last:%Y-%m-%d %H:%M}Z, "
            "more than 24 h ago",
        )


def _extra_copies(view: AccountView) -> Iterator[Signal]:
    """More than one logging trail recording management events in a Region: all but the first
    copy are billed at $2.00 per 100,000 events (controls.md section 5). One signal per account."""
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
            resource=f"AWS::::Account:{view.account}",
            message=f"trails {', '.join(sorted(names))} each record management events in {where}: "
            "every copy after the first is billed at $2.00 per 100,000 events",
        )
