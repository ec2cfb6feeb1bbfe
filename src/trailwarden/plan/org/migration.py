"""Migration without a blind hour (pure): members' own trails the organisation trail duplicates.

A member trail that logs management events next to the organisation trail is a billed second copy
(docs/aws-facts/cost.md#extra-trail-copies). It is listed with its monthly cost; with
``--retire-duplicate-trails`` a ``StopLogging`` step is planned for it, never a delete. The step
names what apply must see first (the organisation trail logging and a log file of that member
under ``AWSLogs/o-ORGID/MEMBER/``): its handler refuses until both are true. A trail that also
records data events or delivers somewhere the organisation trail does not is kept and named.
"""

from __future__ import annotations

from dataclasses import dataclass

from trailwarden.controls.selectors import logs_data_events, logs_management
from trailwarden.plan.cost import PRICES
from trailwarden.plan.model import DuplicateTrail, Step
from trailwarden.plan.org.context import OrgTarget
from trailwarden.snapshot.model import AccountScan, Trail


@dataclass(frozen=True)
class OrgTrailPlace:
    """Where the organisation trail writes: what a retire step checks before it stops a trail."""

    org_id: str
    management_account: str
    trail_arn: str
    home_region: str
    bucket: str
    bucket_account: str
    bucket_region: str
    prefix: str | None

    @classmethod
    def of(cls, target: OrgTarget, prefix: str | None) -> OrgTrailPlace:
        return cls(
            target.org.id,
            target.management_account,
            target.trail_arn,
            target.home_region,
            target.bucket,
            target.bucket_account,
            target.bucket_region,
            prefix,
        )

    def member_prefix(self, member: str) -> str:
        path = f"{self.prefix.strip('/')}/" if self.prefix else ""
        return f"{path}AWSLogs/{self.org_id}/{member}/"


def duplicate_cost(trail: Trail, scan: AccountScan, events_per_month: int) -> float:
    """The billed copy: all the account's management events for a multi-Region trail, one
    Region's share for a single-Region one."""
    price = PRICES["management_copy"]
    share = 1.0 if trail.is_multi_region else 1.0 / max(1, len(scan.regions_enabled))
    return round(events_per_month * share / price.per * price.usd, 2)


def _kept_because(trail: Trail, scan: AccountScan) -> str | None:
    assert trail.selectors is not None
    if logs_data_events(trail.selectors):
        return "records data events, which the organisation trail does not: kept"
    if trail.cloudwatch_logs_log_group_arn:
        return (
            f"also delivers to CloudWatch Logs {trail.cloudwatch_logs_log_group_arn} (what reads"
            " it there would go silent): kept"
        )
    bucket = next((b for b in scan.buckets if b.name == trail.s3_bucket_name), None)
    if bucket is not None and bucket.owned is False:
        return (
            f"delivers to bucket {trail.s3_bucket_name} of another account (a different"
            " destination someone else reads): kept"
        )
    return None


def find_duplicates(
    scans: list[AccountScan],
    place: OrgTrailPlace,
    events_per_month: int,
    retire: bool,
) -> tuple[list[DuplicateTrail], list[Step]]:
    duplicates: list[DuplicateTrail] = []
    steps: list[Step] = []
    for scan in scans:
        if scan.account == place.management_account or not scan.reachable:
            continue
        for trail in scan.trails:
            owned = trail.account == scan.account and not trail.is_organization_trail
            logging = trail.status is not None and trail.status.is_logging
            if not owned or not logging or trail.selectors is None:
                continue
            if not logs_management(trail.selectors):
                continue
            kept = _kept_because(trail, scan)
            cost = duplicate_cost(trail, scan, events_per_month)
            if kept is not None:
                duplicates.append(_entry(scan.account, trail.arn, False, kept, cost))
                continue
            reason = (
                f"records the management events the organisation trail {place.trail_arn}"
                " already records (a billed second copy)"
            )
            if not retire:
                reason += "; --retire-duplicate-trails stops its logging"
            duplicates.append(_entry(scan.account, trail.arn, retire, reason, cost))
            if retire:
                steps.append(_retire_step(scan.account, trail, place))
    return duplicates, steps


def _retire_step(member: str, trail: Trail, place: OrgTrailPlace) -> Step:
    prefix = place.member_prefix(member)
    return Step(
        id=f"{member}:00",  # renumbered with the plan's other steps
        account=member,
        region=trail.home_region,
        action="update",
        service="cloudtrail",
        operation="StopLogging",
        # Only Name goes to the API; the rest is what the handler checks first.
        params={
            "Name": trail.arn,
            "OrganizationTrail": place.trail_arn,
            "OrganizationTrailAccount": place.management_account,
            "OrganizationTrailRegion": place.home_region,
            "LogBucket": place.bucket,
            "LogBucketAccount": place.bucket_account,
            "LogBucketRegion": place.bucket_region,
            "MemberLogPrefix": prefix,
        },
        reason=(
            f"stop logging duplicate trail {trail.name} (never deleted) once the organisation"
            f" trail logs and a log file of {member} is under s3://{place.bucket}/{prefix};"
            f" undo: aws cloudtrail start-logging --name {trail.arn}"
        ),
        controls=[],
        target=trail.arn,
    )


def _entry(account: str, arn: str, retire: bool, reason: str, cost: float) -> DuplicateTrail:
    return DuplicateTrail(
        account=account, trail_arn=arn, retire=retire, reason=reason, usd_per_month=cost
    )
