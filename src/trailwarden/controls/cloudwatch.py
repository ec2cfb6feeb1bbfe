"""CloudWatch.1-14: Security Hub's chain from a logging multi-Region trail to a paged human.

trail (owned, home Region, multi-Region, logging, read+write management events) -> its log group
-> a metric filter whose canonical pattern equals the CIS pattern -> an alarm on that filter's
metric NAME AND NAMESPACE -> an SNS topic in the alarm's actions with a confirmed subscriber
(docs/aws-facts/controls.md#cloudwatch-controls). For filters that are not the exact CIS pattern the
reason also says what they catch, judged on the built-in corpus (beyond Security Hub).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from trailwarden.arns import arn_service
from trailwarden.controls.causes import TrailCause
from trailwarden.controls.context import AccountView, account_resource, repair_target, trail_cause
from trailwarden.controls.model import ControlMeta, Finding, Gap, Remediation, Severity, Status
from trailwarden.controls.registry import register
from trailwarden.controls.selectors import records_read_write_management
from trailwarden.filterpattern import FilterPatternError, canonical
from trailwarden.filterpattern.cis import CIS_CONTROLS, CisControl
from trailwarden.filterpattern.compare import compare
from trailwarden.snapshot.model import LogGroup, RegionScan, RegionState, Trail, TrailClass

# The reads along the chain, in the trail's home Region: their failures explain an unknown.
_CHAIN_READS = (
    "cloudtrail:GetTrailStatus",
    "cloudtrail:GetEventSelectors",
    "logs:",
    "cloudwatch:",
    "sns:",
)

# Outcomes ordered from worst to best: the best trail in a Region decides the verdict.
_RANK = {Status.FAILED: 0, Status.NOT_AVAILABLE: 1, Status.WARNING: 2, Status.PASSED: 3}


@dataclass(frozen=True)
class Outcome:
    status: Status
    reason: str
    depth: int  # how far along the chain it got: the most advanced failure explains best
    gap: Gap | None = None  # the missing link, when FAILED


def _failed(gap: Gap, reason: str, depth: int) -> Outcome:
    return Outcome(Status.FAILED, reason, depth, gap)


def _canonical(pattern: str) -> str | None:
    try:
        return canonical(pattern)
    except FilterPatternError:
        return None


def _trail_link(trail: Trail, cis: CisControl) -> Outcome | None:
    """The trail's own links. Facts that were read decide before reads that failed: a stopped
    trail fails even when its selectors could not be read."""
    if not trail.is_multi_region:
        return _failed(Gap.NOT_MULTI_REGION, f"{trail.name} is not multi-Region", 0)
    if trail.status is not None and not trail.status.is_logging:
        return _failed(Gap.NOT_LOGGING, f"{trail.name} is not logging", 0)
    kms = "kms.amazonaws.com" if cis.control_id == "CloudWatch.7" else ""
    if trail.selectors is not None and not records_read_write_management(
        trail.selectors, must_include=kms
    ):
        extra = " (or excludes KMS events)" if kms else ""
        return _failed(
            Gap.INCOMPLETE_SELECTORS,
            f"{trail.name} does not record all read and write management events{extra}",
            0,
        )
    if not trail.cloudwatch_logs_log_group_arn:
        return _failed(
            Gap.NO_CLOUDWATCH_LOGS, f"{trail.name} does not deliver to CloudWatch Logs", 1
        )
    return None


def _group_link(view: AccountView, trail: Trail) -> tuple[LogGroup | None, Outcome | None]:
    group = view.log_group(str(trail.cloudwatch_logs_log_group_arn))
    if group is None:
        return None, Outcome(Status.NOT_AVAILABLE, "the trail's log group was not read", 1)
    if group.account != view.account:
        return None, _failed(
            Gap.FOREIGN_LOG_GROUP, f"log group {group.name} belongs to account {group.account}", 1
        )
    if group.exists is None or (group.exists and group.metric_filters is None):
        return None, Outcome(Status.NOT_AVAILABLE, f"could not read log group {group.name}", 1)
    if not group.exists:
        return None, _failed(Gap.LOG_GROUP_MISSING, f"log group {group.name} does not exist", 1)
    return group, None


def _near_miss(group: LogGroup, cis: CisControl) -> str:
    """Beyond Security Hub: what the closest non-exact filter on the group actually catches."""
    notes = []
    for f in group.metric_filters or []:
        try:
            result = compare(f.pattern, cis.control_id)
        except FilterPatternError as exc:
            # Said, not skipped: a filter trailwarden cannot read may be the one meant here.
            notes.append(f"filter {f.name!r} could not be read ({exc})")
            continue
        if result.verdict not in ("unrelated", "exact"):
            notes.append(f"filter {f.name!r}: {result.explanation}")
    return ("; " + "; ".join(notes[:2])) if notes else ""


def _chain(view: AccountView, trail: Trail, cis: CisControl) -> Outcome:
    early = _trail_link(trail, cis)
    if early is not None:
        return early
    rest = _group_chain(view, trail, cis)
    if (trail.status is None or trail.selectors is None) and rest.status != Status.FAILED:
        # Only now does the unread status/selectors matter: a later missing link already failed.
        return Outcome(Status.NOT_AVAILABLE, f"could not read {trail.name}'s status/selectors", 0)
    return rest


def _group_chain(view: AccountView, trail: Trail, cis: CisControl) -> Outcome:
    """Log group -> exact filter -> alarm -> subscribed topic, for a trail that could qualify."""
    group, problem = _group_link(view, trail)
    if problem is not None or group is None:
        return problem or Outcome(Status.NOT_AVAILABLE, "log group unknown", 1)
    want = _canonical(cis.pattern)
    exact = [f for f in group.metric_filters or [] if _canonical(f.pattern) == want]
    if not exact:
        return _failed(
            Gap.NO_METRIC_FILTER,
            f"no metric filter on {group.name} has the exact CIS pattern{_near_miss(group, cis)}",
            2,
        )
    if group.alarms is None:
        return Outcome(Status.NOT_AVAILABLE, f"could not read the alarms of {group.name}", 2)
    metrics = {m for f in exact for m in f.metrics}
    alarms = [a for a in group.alarms if (a.metric_name, a.namespace) in metrics]
    if not alarms:
        names = {name for name, _ in metrics}
        elsewhere = [a for a in group.alarms if a.metric_name in names]
        hint = (
            f" (alarm {elsewhere[0].name} watches {elsewhere[0].metric_name} in namespace "
            f"{elsewhere[0].namespace}, not the filter's)"
            if elsewhere
            else ""
        )
        listed = ", ".join(f"{ns}/{name}" for name, ns in sorted(metrics))
        return _failed(Gap.NO_ALARM, f"no alarm on metric {listed}{hint}", 3)
    topics = {t.arn: t for t in group.topics or []}
    sns = [a for alarm in alarms for a in alarm.actions if arn_service(a) == "sns"]
    if not sns:
        return _failed(Gap.NO_SNS_ACTION, f"alarm {alarms[0].name} has no SNS action", 4)
    states = [topics.get(arn) for arn in sns]
    if any(t is not None and (t.confirmed_subscriptions or 0) > 0 for t in states):
        return Outcome(Status.PASSED, f"{trail.name} -> filter -> alarm -> SNS subscriber", 6)
    if any(t is None or t.confirmed_subscriptions is None for t in states):
        return Outcome(
            Status.WARNING, f"cannot read the subscriptions of the alarm's topic {sns[0]}", 5
        )
    pending = sum(t.pending_subscriptions for t in states if t is not None)
    note = f" ({pending} pending confirmation)" if pending else ""
    return _failed(
        Gap.NO_CONFIRMED_SUBSCRIBER, f"topic {sns[0]} has no confirmed subscriber{note}", 5
    )


def _region_finding(
    view: AccountView, meta: ControlMeta, cis: CisControl, region: RegionScan
) -> Finding:
    resource = account_resource(view.account)
    if region.state == RegionState.ERROR:
        return view.unlisted(meta, region.region)
    home = [
        t
        for s in region.trails
        if s.classification == TrailClass.OWNED_HOME and (t := view.trail(s.arn)) is not None
    ]
    if not home:
        others = [s for s in region.trails if s.classification != TrailClass.OWNED_HOME]
        if others:
            first = view.trail(others[0].arn)
            if first is None:  # a sighting the snapshot has no record of: owner unknown
                where, cause = "trail homed elsewhere", TrailCause(others[0].arn, owner=None)
            elif first.account != view.account:
                where, cause = f"organisation trail of account {first.account}", trail_cause(first)
            else:
                where, cause = f"trail homed in {first.home_region}", trail_cause(first)
            # Security Hub evaluates the chain only in the trail's home Region and owner account
            # (docs/aws-facts/controls.md#cloudwatch-controls): NO_DATA, unless nothing is known
            # about the trail at all.
            return view.finding(
                meta,
                Status.NOT_AVAILABLE if first is None else Status.NO_DATA,
                region=region.region,
                resource=resource,
                reason=f"{where}: evaluated there",
                root_cause=cause,
            )
        return view.finding(
            meta,
            Status.FAILED,
            region=region.region,
            resource=resource,
            reason="no trail is configured in this Region",
            root_cause=repair_target(view, []),
            gap=Gap.NO_TRAIL,
        )
    outcomes = [(t, _chain(view, t, cis)) for t in home]
    trail, best = max(outcomes, key=lambda o: (_RANK[o[1].status], o[1].depth))
    if best.status == Status.FAILED:  # explain with the trail that got furthest
        trail, best = max(outcomes, key=lambda o: (o[1].depth, _RANK[o[1].status]))
    reason = best.reason
    if best.status in (Status.NOT_AVAILABLE, Status.WARNING):
        reason += view.why(region.region, *_CHAIN_READS)
    return view.finding(
        meta,
        best.status,
        region=region.region,
        resource=resource,
        reason=reason,
        root_cause=trail_cause(trail),
        gap=best.gap,
    )


# Every CloudWatch.x is cleared by the same work on the trail's log group; when all of a trail's
# failures stop at the same link, the report names only that link.
_STEP = "add the CIS metric filters, alarms and a confirmed SNS subscriber"
_NARROWER = {
    Gap.NO_CONFIRMED_SUBSCRIBER: "confirm a subscriber of the alarms' SNS topic",
    Gap.NO_ALARM: "add alarms (with an SNS action) on the CIS metric filters",
}


def _make(cis: CisControl) -> None:
    compliance = {
        "CIS": [f"v1.2.0/{i}" for i in cis.cis_v12] + [f"v1.4.0/{i}" for i in cis.cis_v14]
    }
    if cis.control_id == "CloudWatch.1":
        compliance["PCI DSS"] = ["v3.2.1/7.2.1"]
    meta = ControlMeta(
        id=cis.control_id,
        title=cis.title,
        severity=Severity.LOW,
        resource_type="AWS::::Account",
        remediation=Remediation(
            step=_STEP,
            by_gap=_NARROWER,
            detail=f"On the trail's log group (home Region) create the metric filter "
            f"{cis.pattern} with metric {cis.namespace}/{cis.metric_name}, an alarm on it "
            f"({cis.statistic} over {cis.period} s >= {cis.threshold:g}) and an SNS topic with "
            "a confirmed subscriber.",
        ),
        compliance=compliance,
    )

    @register(meta)
    def control(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
        for region in view.scanned_regions:
            yield _region_finding(view, meta, cis, region)


for _cis in CIS_CONTROLS:
    _make(_cis)
