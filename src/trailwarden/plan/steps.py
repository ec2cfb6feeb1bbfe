"""Snapshot + baseline -> the ordered steps that build the baseline (pure; issue 4 part 2).

One step is one AWS call, in the order of docs/aws-facts/trail-setup.md#setup-order: buckets and
their policies, the KMS key, the log group and delivery role, then CreateTrail/UpdateTrail (which
validates the bucket and key policies synchronously, so those come first), PutEventSelectors,
StartLogging, and after the trail the SNS topic, the 14 metric filters and the 14 alarms. Trail
mutations happen in the trail's home Region.

Each step's action (create / update / noop) is predicted from the snapshot here. The snapshot
does not hold everything (a bucket no trail uses yet, a role's inline policy), so unknown state
is predicted as a change; ``trailwarden plan`` then checks every step against live AWS
(``trailwarden.apply.runner.probe``) and ``apply`` checks again just before acting.
"""

from __future__ import annotations

from datetime import UTC, datetime

from trailwarden.controls.selectors import covers_all_management
from trailwarden.placeholders import kms_alias_ref
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.build_base import (
    CLOUDWATCH_CONTROLS,
    CREATE_TRAIL_CONTROLS,
    TRAIL_FIELDS,
    PlanOptions,
    log_group_of,
)
from trailwarden.plan.build_resources import ResourceSteps
from trailwarden.plan.build_trail import TrailSteps
from trailwarden.plan.cost import CostEstimate, estimate, inputs_for_baseline
from trailwarden.plan.model import AccountPlan, Plan, Step
from trailwarden.plan.repair import choose_trail, covered_by_organisation
from trailwarden.snapshot.model import AccountScan, Snapshot, Trail

__all__ = [
    "CLOUDWATCH_CONTROLS",
    "CREATE_TRAIL_CONTROLS",
    "TRAIL_FIELDS",
    "PlanOptions",
    "build_plan",
    "kms_alias_ref",
    "plan_account",
]


def build_plan(snapshot: Snapshot, options: PlanOptions, now: datetime | None = None) -> Plan:
    wanted = set(options.accounts) if options.accounts else None
    plan = Plan(generated_at=now or datetime.now(UTC))
    for scan in snapshot.accounts:
        if wanted is not None and scan.account not in wanted:
            continue
        if not scan.reachable:
            plan.accounts.append(
                AccountPlan(account=scan.account, trail="skip", notes=["account not reachable"])
            )
            continue
        account_plan, steps = plan_account(scan, options)
        plan.accounts.append(account_plan)
        plan.steps.extend(steps)
    plan.cost_usd_per_month = round(
        sum(a.cost.total_usd_per_month for a in plan.accounts if a.cost), 2
    )
    return plan


def plan_account(scan: AccountScan, options: PlanOptions) -> tuple[AccountPlan, list[Step]]:
    foreign = [t for t in scan.trails if t.account != scan.account]
    choice = choose_trail(scan, options.baseline)
    org_trail = covered_by_organisation(scan, foreign)
    if choice.trail is None and org_trail is not None:
        note = (
            f"covered by organisation trail {org_trail.arn}: plan it in account"
            f" {org_trail.account} (a trail here would be a billed second copy)"
        )
        return AccountPlan(account=scan.account, trail="skip", notes=[note]), []
    kwargs = {"home_region": "us-east-1", **options.baseline, **choice.overrides}
    baseline = Baseline.from_options(account_id=scan.account, **kwargs)
    builder = _Builder(scan, baseline, choice, options)
    builder.build()
    paid_copy = choice.trail is None and any(
        t.selectors is not None and covers_all_management(t.selectors) for t in scan.trails
    )
    account_plan = AccountPlan(
        account=scan.account,
        trail="repair" if choice.trail else "create",
        trail_arn=baseline.trail_arn,
        baseline=baseline,
        notes=[*choice.notes, *builder.notes],
    )
    account_plan.cost = account_cost(
        scan, baseline, builder.steps, options.events_per_month, paid_copy, choice.trail
    )
    return account_plan, builder.steps


def account_cost(
    scan: AccountScan,
    baseline: Baseline,
    steps: list[Step],
    events_per_month: int,
    paid_copy: bool,
    trail: Trail | None = None,
) -> CostEstimate:
    """The monthly cost the account's changed steps add (docs/aws-facts/cost.md via
    plan/cost.py)."""

    def changed(operation: str) -> list[Step]:
        return [s for s in steps if s.operation == operation and s.action != "noop"]

    group = log_group_of(scan, baseline)
    inputs = inputs_for_baseline(
        baseline,
        management_events_per_month=events_per_month,
        regions=max(1, len(scan.regions_enabled)),
        creates_paid_copy=paid_copy,
        existing_alarms=len(group.alarms or []) if group else 0,
        new_alarms=len(changed("PutMetricAlarm")),
        creates_key=bool(changed("CreateKey")),
    )
    if group is not None and group.exists:  # the trail already sends its events there
        inputs = inputs.model_copy(update={"cloudwatch_events_per_month": 0})
    if trail is not None and trail.kms_key_id:  # already encrypting: no new KMS requests
        inputs = inputs.model_copy(update={"kms_requests_per_month": 0})
    return estimate(inputs)


class _Builder(ResourceSteps, TrailSteps):
    """All of an account's steps, in the order of docs/aws-facts/trail-setup.md#setup-order."""

    def build(self) -> None:
        if self.bucket_owned:
            self.access_log_bucket()
            self.trail_bucket()
        self.kms_key()
        self.cloudwatch()
        self.trail_steps()
        if self.b.alarms is not None:
            self.alarms()
