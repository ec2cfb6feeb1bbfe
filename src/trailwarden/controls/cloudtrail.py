"""CloudTrail.1-5, .9, .10 with Security Hub's semantics (docs/aws-facts/controls.md).

The trail's bucket (CloudTrail.6, .7) is in buckets.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trailwarden.controls.causes import LakeStores, RootCause
from trailwarden.controls.context import AccountView, account_resource, repair_target, trail_cause
from trailwarden.controls.model import (
    ControlMeta,
    Finding,
    Gap,
    Remediation,
    Severity,
    Status,
    Verdict,
)
from trailwarden.controls.registry import register
from trailwarden.controls.selectors import covers_all_management, describe_management
from trailwarden.snapshot.model import EventDataStore, RegionState, Trail

_NIST_CT1 = [
    "AC-2(4)",
    "AC-4(26)",
    "AC-6(9)",
    "AU-10",
    "AU-12",
    "AU-2",
    "AU-3",
    "AU-6(3)",
    "AU-6(4)",
    "AU-14(1)",
    "CA-7",
    "SC-7(9)",
    "SI-3(8)",
    "SI-4(20)",
    "SI-7(8)",
    "SA-8(22)",
]
_NIST_CT5 = [
    "AC-2(4)",
    "AC-4(26)",
    "AC-6(9)",
    "AU-10",
    "AU-12",
    "AU-2",
    "AU-3",
    "AU-6(1)",
    "AU-6(3)",
    "AU-6(4)",
    "AU-6(5)",
    "AU-7(1)",
    "CA-7",
    "SC-7(9)",
    "SI-20",
    "SI-3(8)",
    "SI-4(20)",
    "SI-4(5)",
    "SI-7(8)",
]

CT1 = ControlMeta(
    id="CloudTrail.1",
    title="CloudTrail should be enabled and configured with at least one multi-Region trail that "
    "includes read and write management events",
    severity=Severity.HIGH,
    resource_type="AWS::::Account",
    remediation=Remediation(
        detail="Run one multi-Region trail that is logging and records all read and write "
        "management events with no excluded event source (trailwarden plan).",
        step="make it multi-Region, logging all read and write management events",
    ),
    compliance={
        "CIS": ["v1.2.0/2.1", "v1.4.0/3.1", "v3.0.0/3.1", "v5.0.0/3.1"],
        "NIST 800-53 r5": _NIST_CT1,
    },
)
CT2 = ControlMeta(
    id="CloudTrail.2",
    title="CloudTrail should have encryption at-rest enabled",
    severity=Severity.MEDIUM,
    resource_type="AWS::CloudTrail::Trail",
    remediation=Remediation(
        detail="Set KmsKeyId on the trail to a KMS key in the bucket's Region whose policy lets "
        "CloudTrail encrypt.",
        step="encrypt with a KMS key",
    ),
    compliance={
        "CIS": ["v1.2.0/2.7", "v1.4.0/3.7", "v3.0.0/3.5", "v5.0.0/3.5"],
        "NIST 800-53 r5": [
            "AU-9",
            "CA-9(1)",
            "CM-3(6)",
            "SC-13",
            "SC-28",
            "SC-28(1)",
            "SC-7(10)",
            "SI-7(6)",
        ],
        "PCI DSS": ["v3.2.1/3.4"],
    },
)
CT3 = ControlMeta(
    id="CloudTrail.3",
    title="At least one CloudTrail trail should be enabled",
    severity=Severity.HIGH,
    resource_type="AWS::::Account",
    remediation=Remediation(
        detail="Create a trail and start logging (a multi-Region trail covers every Region).",
        step="start logging",
        covered_by="CloudTrail.1",  # a multi-Region, logging trail is logging everywhere
    ),
    compliance={"PCI DSS": ["v3.2.1/10.1", "v3.2.1/10.2.1-10.2.7", "v3.2.1/10.3.1-10.3.6"]},
)
CT4 = ControlMeta(
    id="CloudTrail.4",
    title="CloudTrail log file validation should be enabled",
    severity=Severity.LOW,
    resource_type="AWS::CloudTrail::Trail",
    remediation=Remediation(
        detail="UpdateTrail with EnableLogFileValidation=true in the trail's home Region.",
        step="enable log file validation",
    ),
    compliance={
        "CIS": ["v1.2.0/2.2", "v1.4.0/3.2", "v3.0.0/3.2", "v5.0.0/3.2"],
        "NIST 800-53 r5": ["AU-9", "SI-4", "SI-7(1)", "SI-7(3)", "SI-7(7)"],
        "PCI DSS": ["v3.2.1/10.5.2", "v3.2.1/10.5.5"],
    },
)
CT5 = ControlMeta(
    id="CloudTrail.5",
    title="CloudTrail trails should be integrated with Amazon CloudWatch Logs",
    severity=Severity.LOW,
    resource_type="AWS::CloudTrail::Trail",
    remediation=Remediation(
        detail="Create a log group and delivery role in the home Region, then UpdateTrail with "
        "CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn.",
        step="deliver to CloudWatch Logs",
    ),
    compliance={
        "CIS": ["v1.2.0/2.4", "v1.4.0/3.4"],
        "NIST 800-53 r5": _NIST_CT5,
        "PCI DSS": ["v3.2.1/10.5.3"],
    },
)
CT9 = ControlMeta(
    id="CloudTrail.9",
    title="CloudTrail trails should be tagged",
    severity=Severity.LOW,
    resource_type="AWS::CloudTrail::Trail",
    remediation=Remediation(
        detail="AddTags on the trail (in its home Region) with at least one non-aws: tag.",
        step="tag it",
    ),
)
CT10 = ControlMeta(
    id="CloudTrail.10",
    title="CloudTrail Lake event data stores should be encrypted with customer managed AWS KMS "
    "keys",
    severity=Severity.MEDIUM,
    resource_type="AWS::CloudTrail::EventDataStore",
    remediation=Remediation(
        detail="Create event data stores with a customer managed KMS key (it cannot be changed "
        "later).",
        step="use customer managed KMS keys for event data stores",
    ),
)


# The per-trail reads CloudTrail.1 and CloudWatch.x depend on (their failures explain unknowns).
_TRAIL_READS = ("cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors")


def _ct1_problems(trail: Trail) -> list[str] | None:
    """What keeps this trail from satisfying CloudTrail.1 (empty: nothing); None when unknown.

    Every fact that was read is judged before asking what could not be: a single-Region trail
    fails whatever its unreadable status says (issue 14: a certain FAIL wins over an unknown)."""
    problems = []
    if not trail.is_multi_region:
        problems.append("single-Region")
    if trail.status is not None and not trail.status.is_logging:
        problems.append("not logging")
    if trail.selectors is not None and not covers_all_management(trail.selectors):
        problems.append(f"records {describe_management(trail.selectors)}")
    if problems:
        return problems
    return None if trail.status is None or trail.selectors is None else []


def _not_opted_in(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Opt-in Regions the account has not enabled are listed, never scanned: Security Hub does
    not run there either, so NO_DATA (CloudTrail cannot record there until it is enabled)."""
    for region in view.regions:
        if region.state == RegionState.NOT_OPTED_IN:
            yield view.not_scanned(
                meta,
                region.region,
                "opt-in Region not enabled for this account: not scanned",
                Status.NO_DATA,
            )


# What an account-level control says about one Region's visible trails, and the trail it blames.
_RegionVerdict = tuple[Status, str, RootCause, Gap | None]


def _per_region(
    view: AccountView,
    meta: ControlMeta,
    judge: Callable[[AccountView, list[Trail]], _RegionVerdict],
) -> Iterator[Finding]:
    """The account-level skeleton (CloudTrail.1, .3): one finding per Region, judged from the
    trails visible there; a Region whose trails could not be listed is not judged."""
    yield from _not_opted_in(view, meta)
    for region in view.scanned_regions:
        if region.state == RegionState.ERROR:
            yield view.unlisted(meta, region.region)
            continue
        status, reason, root_cause, gap = judge(view, view.visible_trails(region))
        yield view.finding(
            meta,
            status,
            region=region.region,
            resource=account_resource(view.account),
            reason=reason,
            root_cause=root_cause,
            gap=gap,
        )


def _ct1_region(view: AccountView, trails: list[Trail]) -> _RegionVerdict:
    verdicts = {t.arn: _ct1_problems(t) for t in trails}
    passing = [t for t in trails if verdicts[t.arn] == []]
    if passing:
        best = sorted(passing, key=lambda t: (t.account != view.account, t.arn))[0]
        owner = "organisation trail " if best.account != view.account else "trail "
        reason = (
            f"{owner}{best.name} is multi-Region, logging and records all read and write "
            "management events"
        )
        return Status.PASSED, reason, trail_cause(best), None
    if any(v is None for v in verdicts.values()):
        unknown = [t for t in trails if verdicts[t.arn] is None]
        names = ", ".join(t.name for t in unknown)
        why = view.why(unknown[0].home_region, *_TRAIL_READS)
        reason = f"could not read status or selectors of {names}{why}"
        return Status.NOT_AVAILABLE, reason, repair_target(view, trails), None
    listed = (
        "; ".join(f"{t.name}: {', '.join(verdicts[t.arn] or [])}" for t in trails)
        if trails
        else "no trail exists in this Region"
    )
    reason = (
        "no single trail is multi-Region, logging and records all read and write management "
        f"events ({listed})"
    )
    gap = Gap.NO_QUALIFYING_TRAIL if trails else Gap.NO_TRAIL
    return Status.FAILED, reason, repair_target(view, trails), gap


def _ct3_region(view: AccountView, trails: list[Trail]) -> _RegionVerdict:
    logging = [t for t in trails if t.status is not None and t.status.is_logging]
    unknown = [t for t in trails if t.status is None]
    if logging:
        reason = f"trail {logging[0].name} is logging in this Region"
        return Status.PASSED, reason, trail_cause(logging[0]), None
    if unknown:
        reason = f"could not read the status of {', '.join(t.name for t in unknown)}" + view.why(
            unknown[0].home_region, "cloudtrail:GetTrailStatus"
        )
        return Status.NOT_AVAILABLE, reason, repair_target(view, trails), None
    if trails:
        reason = f"{len(trails)} trail(s) visible but none is logging"
        return Status.FAILED, reason, repair_target(view, trails), Gap.NOT_LOGGING
    return Status.FAILED, "no trail covers this Region", repair_target(view, trails), Gap.NO_TRAIL


@register(CT1)
def cloudtrail_1(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _per_region(view, meta, _ct1_region)


@register(CT3)
def cloudtrail_3(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _per_region(view, meta, _ct3_region)


def _foreign(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Organisation trails seen from a member: Security Hub grades them only for their owner,
    so here they are NO_DATA, never PASSED or FAILED."""
    for trail in view.foreign_trails():
        yield view.finding(
            meta,
            Status.NO_DATA,
            region=trail.home_region,
            resource=trail.arn,
            reason=f"organisation trail owned by account {trail.account}: evaluated in that "
            "account",
            root_cause=trail_cause(trail),
        )


def _per_owned_trail(
    view: AccountView,
    meta: ControlMeta,
    check: Callable[[Trail], Verdict],
    reads: tuple[str, ...] = (),
) -> Iterator[Finding]:
    """The per-trail skeleton (CloudTrail.2, .4, .5, .9): each trail this account owns is graded
    in its home Region; organisation trails and unlisted Regions are said, never graded."""
    for trail in view.owned_trails():
        yield view.graded(
            meta,
            check(trail),
            region=trail.home_region,
            resource=trail.arn,
            root_cause=trail_cause(trail),
            reads=reads,
            reads_region=trail.home_region,
        )
    yield from _foreign(view, meta)
    yield from view.unlisted_regions(meta)


# CloudTrail.2, .4 and .5 each ask one thing of every owned trail: that a setting is present.
# (control, Trail attribute, reason when set, reason when not, the gap it leaves); {name} is the
# trail's name.
_SETTINGS = (
    (
        CT2,
        "kms_key_id",
        "{name} encrypts log files with KMS",
        "{name} has no KmsKeyId (SSE-S3 only)",
        Gap.NOT_ENCRYPTED,
    ),
    (
        CT4,
        "log_file_validation_enabled",
        "{name} has log file validation",
        "{name} has log file validation off",
        Gap.NO_LOG_FILE_VALIDATION,
    ),
    (
        CT5,
        "cloudwatch_logs_log_group_arn",
        "{name} delivers to CloudWatch Logs",
        "{name} has no CloudWatchLogsLogGroupArn",
        Gap.NO_CLOUDWATCH_LOGS,
    ),
)


def _register_setting(control: ControlMeta, attr: str, passed: str, failed: str, gap: Gap) -> None:
    def check(trail: Trail) -> Verdict:
        if getattr(trail, attr):
            return Status.PASSED, passed.format(name=trail.name), None
        return Status.FAILED, failed.format(name=trail.name), gap

    @register(control)
    def evaluate(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
        yield from _per_owned_trail(view, meta, check)


for _spec in _SETTINGS:
    _register_setting(*_spec)


def _tags_verdict(trail: Trail, required: tuple[str, ...]) -> Verdict:
    """At least one non-aws: tag, or every key of the requiredTagKeys parameter."""
    if trail.tags is None:
        return Status.NOT_AVAILABLE, f"could not read the tags of {trail.name}", None
    if required:
        missing = [k for k in required if k not in trail.tags]
        if missing:
            reason = f"{trail.name} lacks required tag(s) {', '.join(missing)}"
            return Status.FAILED, reason, Gap.MISSING_REQUIRED_TAGS
        return Status.PASSED, f"{trail.name} has every required tag", None
    user_tags = sorted(k for k in trail.tags if not k.startswith("aws:"))
    if user_tags:
        return Status.PASSED, f"{trail.name} is tagged ({', '.join(user_tags)})", None
    return Status.FAILED, f"{trail.name} has no tags other than aws: system tags", Gap.UNTAGGED


@register(CT9)
def cloudtrail_9(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    required = view.params.required_tag_keys
    yield from _per_owned_trail(
        view, meta, lambda trail: _tags_verdict(trail, required), ("cloudtrail:ListTags",)
    )


@register(CT10)
def cloudtrail_10(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Only where event data stores exist: an account without any gets no finding. Stores are
    listed by their own call, so a Region whose DescribeTrails failed still has them graded."""
    cause = LakeStores(view.account)
    for region in view.scanned_regions:
        if region.event_data_stores is None:
            yield view.finding(
                meta,
                Status.NOT_AVAILABLE,
                region=region.region,
                resource=account_resource(view.account),
                reason="could not list CloudTrail Lake event data stores"
                + view.why(region.region, "cloudtrail:ListEventDataStores"),
                root_cause=cause,
            )
            continue
        for store in region.event_data_stores:
            yield view.graded(
                meta,
                _store_key(store),
                region=region.region,
                resource=store.arn,
                root_cause=cause,
                reads=("cloudtrail:GetEventDataStore", "kms:DescribeKey"),
            )


def _store_key(store: EventDataStore) -> Verdict:
    label = store.name or store.arn
    if not store.described:
        return Status.NOT_AVAILABLE, f"could not read event data store {label}", None
    if not store.kms_key_id:
        return Status.FAILED, f"{label} uses the default key", Gap.NO_CUSTOMER_MANAGED_KEY
    if store.key_manager == "CUSTOMER":
        return Status.PASSED, f"{label} uses a customer key", None
    if store.key_manager is None:
        return Status.NOT_AVAILABLE, f"could not describe the KMS key of {label}", None
    return Status.FAILED, f"{label} uses an AWS managed key", Gap.NO_CUSTOMER_MANAGED_KEY


def meets_cloudtrail_1(trail: Trail) -> bool:
    """The trail alone satisfies CloudTrail.1 (known multi-Region, logging, all management
    events): what the organisation coverage view asks of each trail an account relies on."""
    return _ct1_problems(trail) == []
