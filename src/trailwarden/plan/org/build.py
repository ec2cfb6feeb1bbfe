"""``plan --org-trail`` (pure): a snapshot with its ``Organization`` -> the organisation's plan.

In plan order (apply runs steps in this order, docs/org.md#order):

1. the prerequisites trailwarden can fix (trusted access), each one line in
   ``OrgPlan.prerequisites``; any it cannot fix goes to ``OrgPlan.blocked`` and the plan then has
   no step at all, so nothing is half-applied;
2. the baseline as one organisation trail in the management account: buckets and key first (in
   the log-archive account with ``--log-archive-account``, the Control Tower shape), then the log
   group and delivery role, the trail (an existing organisation trail of the management account
   is repaired, never duplicated), its selectors, StartLogging, and the alarm chain;
3. the members' duplicate trails (``migration``), retired only with ``--retire-duplicate-trails``;
4. the guardrail SCP and the drift rules, from their own modules, when enabled.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from trailwarden import arns
from trailwarden.errors import UsageError
from trailwarden.placeholders import kms_alias_ref
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.build_base import PlanOptions
from trailwarden.plan.model import AccountPlan, OrgPlan, Plan, Step
from trailwarden.plan.names import ACCOUNT_RE
from trailwarden.plan.org.context import DriftOptions, GuardrailOptions, OrgTarget
from trailwarden.plan.org.migration import OrgTrailPlace, find_duplicates
from trailwarden.plan.org.prerequisites import check_prerequisites
from trailwarden.plan.repair import TrailChoice, choose_trail
from trailwarden.plan.settings import DEFAULT_TRAIL_NAME
from trailwarden.plan.steps import _Builder, account_cost
from trailwarden.snapshot.model import AccountScan, Organization, Snapshot, Trail

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"  # the role apply assumes (aws/__init__.py)
# Steps acting on the log bucket, the access-log bucket or the key: run in the account that owns
# them (the log-archive account in that shape).
RESOURCE_SERVICES = ("s3", "kms")


@dataclass(frozen=True)
class OrgPlanOptions:
    plan: PlanOptions = field(default_factory=PlanOptions)
    log_archive_account: str | None = None
    retire_duplicate_trails: bool = False
    guardrail: GuardrailOptions = field(default_factory=GuardrailOptions)
    drift: DriftOptions = field(default_factory=DriftOptions)
    role_name: str = DEFAULT_ROLE_NAME  # --role-name: what apply assumes in other accounts


def build_org_plan(
    snapshot: Snapshot, options: OrgPlanOptions, now: datetime | None = None
) -> Plan:
    org = snapshot.organization
    if org is None:
        raise UsageError(
            "the snapshot has no organisation: scan with --org from the management account or"
            " a CloudTrail delegated administrator"
        )
    management = org.management_account_id
    home = str(options.plan.baseline.get("home_region", "us-east-1"))
    archive = _log_archive(org, options.log_archive_account)
    plan = Plan(generated_at=now or datetime.now(UTC))
    checks = check_prerequisites(org, home, options.role_name, options.drift.enabled)
    scan = next((s for s in snapshot.accounts if s.account == management), None)
    if scan is None or not scan.reachable:
        checks.blocked.append(
            f"the management account {management} was not scanned (or could not be reached"
            f" through role {options.role_name}): the organisation trail is built there"
        )
    org_plan = OrgPlan(
        org_id=org.id,
        management_account=management,
        trail_arn="",
        home_region=home,
        bucket="",
        log_archive_account=archive,
        prerequisites=checks.lines,
        blocked=checks.blocked,
        # verify --org expects a file from every account in each Region the scan read.
        regions=sorted(
            {r.region for r in snapshot.regions if r.account == management and r.state == "scanned"}
        ),
    )
    plan.organization = org_plan
    if checks.blocked or scan is None:
        plan.accounts = [AccountPlan(account=management, trail="skip", notes=checks.blocked)]
        return plan

    baseline, choice, notes = _baseline(org, scan, snapshot, options, archive)
    builder = _Builder(scan, baseline, choice, options.plan)
    builder.build()
    trail_steps = [_rehome(step, baseline) for step in builder.steps]
    org_plan.trail_arn = baseline.trail_arn
    org_plan.home_region = baseline.trail.home_region
    org_plan.bucket = baseline.bucket.name
    target = org_target(org, baseline, options.role_name)
    place = OrgTrailPlace.of(target, baseline.bucket.prefix)
    duplicates, retire_steps = find_duplicates(
        snapshot.accounts, place, options.plan.events_per_month, options.retire_duplicate_trails
    )
    org_plan.duplicates = duplicates
    extra: list[Step] = []
    if options.guardrail.enabled:
        from trailwarden.plan.org.guardrail import plan_guardrail

        org_plan.guardrail, steps = plan_guardrail(target, options.guardrail)
        extra.extend(steps)
    if options.drift.enabled:
        from trailwarden.plan.org.drift import plan_drift

        org_plan.drift, steps = plan_drift(target, options.drift)
        extra.extend(steps)
    plan.steps = _numbered([*checks.steps, *trail_steps, *retire_steps]) + extra
    management_plan = AccountPlan(
        account=management,
        trail="repair" if choice.trail else "create",
        trail_arn=baseline.trail_arn,
        baseline=baseline,
        notes=[*notes, *_without_repeats(choice.notes, notes), *builder.notes],
        cost=account_cost(
            scan,
            baseline,
            builder.steps,
            options.plan.events_per_month,
            False,
            choice.trail,
        ),
    )
    plan.accounts = [management_plan, *_other_accounts(snapshot, org, plan.steps, place)]
    plan.cost_usd_per_month = round(
        sum(a.cost.total_usd_per_month for a in plan.accounts if a.cost), 2
    )
    return plan


def _without_repeats(choice_notes: Sequence[str], ours: Sequence[str]) -> list[str]:
    """The repair choice's notes, less the one ours already says more precisely."""
    repairing = any(n.startswith("repairing the existing organisation trail") for n in ours)
    return [n for n in choice_notes if not (repairing and n.startswith("repairing existing"))]


def _log_archive(org: Organization, account: str | None) -> str | None:
    if account is None:
        return None
    if not ACCOUNT_RE.match(account):
        raise UsageError(f"--log-archive-account: {account!r} is not a 12-digit AWS account ID")
    if account == org.management_account_id:
        raise UsageError(
            "--log-archive-account is the management account: leave it out to keep the bucket"
            " and key there"
        )
    active = {a.id for a in org.accounts if a.status == "ACTIVE"}
    if account not in active:
        raise UsageError(
            f"--log-archive-account {account} is not an active account of organisation {org.id}"
        )
    return account


def _existing_org_trail(scan: AccountScan, management: str) -> Trail | None:
    """The management account's own organisation trail to repair, the best one first."""
    owned = [t for t in scan.trails if t.account == management and t.is_organization_trail]
    owned.sort(
        key=lambda t: (
            not (t.status is not None and t.status.is_logging),
            not t.is_multi_region,
            t.arn,
        )
    )
    return owned[0] if owned else None


def _baseline(
    org: Organization,
    scan: AccountScan,
    snapshot: Snapshot,
    options: OrgPlanOptions,
    archive: str | None,
) -> tuple[Baseline, TrailChoice, list[str]]:
    management = org.management_account_id
    given: dict[str, Any] = dict(options.plan.baseline)
    notes: list[str] = []
    existing = _existing_org_trail(scan, management)
    if existing is not None and "trail_name" not in given:
        given["trail_name"] = existing.name
        notes.append(f"repairing the existing organisation trail {existing.name}")
    given.setdefault("trail_name", DEFAULT_TRAIL_NAME)
    choice = choose_trail(scan, given)
    if choice.trail is not None and not choice.trail.is_organization_trail:
        notes.append(
            f"trail {choice.trail.name} becomes the organisation trail (IsOrganizationTrail):"
            " one trail, no second copy"
        )
    for trail in _foreign_org_trails(snapshot, management):
        notes.append(
            f"organisation trail {trail.arn} is owned by account {trail.account}, not the"
            " management account: never touched"
        )
    kwargs: dict[str, Any] = {"home_region": "us-east-1", **given, **choice.overrides}
    resources = archive or management
    if archive is not None:
        # The Control Tower shape: whatever bucket the repaired trail had, the plan's bucket and
        # key are the log-archive account's unless named.
        for key in ("bucket", "bucket_region", "access_log_bucket", "kms_key", "prefix"):
            if key in choice.overrides and key not in options.plan.baseline:
                kwargs.pop(key)
        choice = replace(choice, bucket_owned=True)
    if "bucket" not in kwargs:
        region = kwargs.get("bucket_region") or kwargs["home_region"]
        kwargs["bucket"] = f"trailwarden-{resources}-{region}"
    baseline = Baseline.from_options(
        account_id=management,
        org_id=org.id,
        management_account_id=management,
        log_archive_account_id=archive,
        org_account_ids=[a.id for a in org.accounts if a.status == "ACTIVE"],
        **kwargs,
    )
    return baseline, choice, notes


def _foreign_org_trails(snapshot: Snapshot, management: str) -> list[Trail]:
    seen: dict[str, Trail] = {}
    for scan in snapshot.accounts:
        for trail in scan.trails:
            if trail.is_organization_trail and trail.account != management:
                seen.setdefault(trail.arn, trail)
    return [seen[arn] for arn in sorted(seen)]


def _rehome(step: Step, baseline: Baseline) -> Step:
    """A bucket or key step runs in the account that owns the bucket or key."""
    if step.service not in RESOURCE_SERVICES:
        return step
    owner = baseline.resource_account
    key = step.params.get("KeyId")
    if step.service == "kms" and isinstance(key, str) and key.startswith("arn:"):
        owner = arns.arn_account(key)
    return step.model_copy(update={"account": owner})


def _numbered(steps: Sequence[Step]) -> list[Step]:
    """Ids ``ACCOUNT:NN`` in plan order, counted per account (stable for apply's journal)."""
    counts: dict[str, int] = {}
    out = []
    for step in steps:
        counts[step.account] = counts.get(step.account, 0) + 1
        out.append(step.model_copy(update={"id": f"{step.account}:{counts[step.account]:02d}"}))
    return out


def _other_accounts(
    snapshot: Snapshot, org: Organization, steps: Sequence[Step], place: OrgTrailPlace
) -> list[AccountPlan]:
    management = org.management_account_id
    accounts = {s.account for s in snapshot.accounts} | {s.account for s in steps}
    accounts |= {a.id for a in org.accounts if a.status == "ACTIVE"}
    accounts.discard(management)
    plans = []
    for account in sorted(accounts):
        note = f"covered by organisation trail {place.trail_arn}"
        if account == place.bucket_account:
            note += f"; log archive: holds bucket {place.bucket} and the trail's key"
        plans.append(AccountPlan(account=account, trail="skip", notes=[note]))
    return plans


def runner_principals(org: Organization, role_name: str) -> tuple[str, ...]:
    """Who apply and verify act as: the caller (an assumed-role session as its role) and the
    role assumed in every other account."""
    partition = arns.partition_for_region("us-east-1")
    caller = org.caller_arn
    if caller:
        partition = arns.arn_partition(caller) or partition
    principals = [caller_role_arn(caller)] if caller else []
    for account in org.accounts:
        if account.status == "ACTIVE" and account.id != org.caller_account_id:
            principals.append(arns.role_arn(account.id, role_name, partition))
    return tuple(dict.fromkeys(principals))


def caller_role_arn(caller_arn: str) -> str:
    """``arn:P:sts::A:assumed-role/ROLE/SESSION`` -> ``arn:P:iam::A:role/ROLE``; others as given."""
    parts = caller_arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return caller_arn


def org_target(org: Organization, baseline: Baseline, role_name: str) -> OrgTarget:
    kms = baseline.kms
    key: str | None = None
    if kms.mode == "existing":
        key = kms.key_arn
    elif kms.mode == "new":
        assert kms.alias is not None
        owner = baseline.resource_account
        key = kms_alias_ref(
            baseline.kms_region, kms.alias, owner if owner != baseline.account_id else None
        )
    return OrgTarget(
        org=org,
        management_account=org.management_account_id,
        home_region=baseline.trail.home_region,
        trail_name=baseline.trail.name,
        trail_arn=baseline.trail_arn,
        bucket=baseline.bucket.name,
        bucket_account=baseline.resource_account,
        bucket_region=baseline.bucket.region,
        kms_key=key,
        kms_key_account=(
            arns.arn_account(key) if key and key.startswith("arn:") else baseline.resource_account
        ),
        topic_arn=baseline.alarms.topic_arn if baseline.alarms else None,
        accounts=tuple(a.id for a in org.accounts if a.status == "ACTIVE"),
        runner_principals=runner_principals(org, role_name),
    )


__all__ = ["OrgPlanOptions", "build_org_plan", "org_target", "runner_principals"]
