"""The demo's stand-in for an organisation trail's delivery (moto delivers nothing).

An organisation trail writes every member's log files and digests into the one bucket, under
``AWSLogs/o-ORGID/ACCOUNT/`` (docs/aws-facts/trail-setup.md, the S3 key layout), including
accounts that joined after the trail was created: nobody runs anything in them. The demo shows
that by calling ``simulate_org_delivery`` for every current member after apply, and again for an
account it creates later. Every object is labelled as the simulator's work, like
``demo/delivery.py``'s, and digests are signed with the demo's own key pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from trailwarden.aws.session import AwsAccess
from trailwarden.demo.delivery import SIMULATED, mark_delivered
from trailwarden.plan.baseline import Baseline
from trailwarden.trailstore.fixtures import Delivery, FixtureKey, s3_sink, write_trail_delivery


@dataclass
class OrgDelivery:
    """What the simulator wrote for the organisation trail, per member account."""

    bucket: str
    files: dict[str, int] = field(default_factory=dict)  # account -> objects written


def simulate_org_delivery(
    access: AwsAccess,
    baseline: Baseline,
    bucket_account: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    key: FixtureKey,
    now: datetime | None = None,
    report: OrgDelivery | None = None,
) -> OrgDelivery:
    """The first delivery after StartLogging, per account and Region: a log file and a signed
    digest, as the trail would write them.

    ``baseline`` is the organisation trail's (the management account's) baseline; the bucket
    is written through ``bucket_account`` (the log-archive account, or the management account).
    """
    org_id = baseline.org_id
    if org_id is None:
        raise ValueError("simulate_org_delivery needs an organisation trail's baseline")
    now = now or datetime.now(UTC)
    report = report or OrgDelivery(baseline.bucket.name)
    s3 = access.client(bucket_account, baseline.bucket.region, "s3")
    sink = s3_sink(s3, baseline.bucket.name)
    # CloudTrail's first delivery after StartLogging: a log file minutes later, the first digest
    # within the hour (fixtures: digests end at HH:34, so one log file lands at start + ~4 min).
    trail = access.client(
        baseline.trail_owner_account, baseline.trail.home_region, "cloudtrail"
    ).get_trail_status(Name=baseline.trail_arn)
    started = trail.get("StartLoggingTime") or now
    start = started.astimezone(UTC).replace(second=0, microsecond=0)
    delivery = Delivery(baseline.bucket.name, baseline.trail.name, baseline.trail.home_region)
    for account in accounts:
        written = 0

        def labelled(obj_key: str, body: bytes, metadata: dict[str, str]) -> None:
            nonlocal written
            sink(obj_key, body, {**metadata, **SIMULATED})
            written += 1

        write_trail_delivery(
            labelled,
            account,
            list(regions),
            start,
            1,
            key,
            org_id,
            bucket=baseline.bucket.name,
            trail_name=baseline.trail.name,
            home_region=baseline.trail.home_region,
            delivery=delivery,
            prefix=baseline.bucket.prefix or "",
            logs_per_hour=1,
            records_per_log=3,
        )
        report.files[account] = report.files.get(account, 0) + written
    mark_delivered(baseline.trail_arn, now)
    return report
