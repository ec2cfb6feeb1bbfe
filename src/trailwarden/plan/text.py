"""A plan as a readable diff (pure): ``+`` creates, ``~`` updates, ``=`` unchanged."""

from __future__ import annotations

from trailwarden.plan.model import OrgPlan, Plan, Step

MARK = {"create": "+", "update": "~", "noop": "="}


def step_line(step: Step) -> str:
    controls = f"  [{_controls(step.controls)}]" if step.controls else ""
    return f"  {MARK[step.action]} {step.service}:{step.operation} {step.target}{controls}"


def _controls(ids: list[str]) -> str:
    """Collapse CloudWatch.1..14 into one range so lines stay short."""
    cw = [c for c in ids if c.startswith("CloudWatch.")]
    rest = [c for c in ids if not c.startswith("CloudWatch.")]
    if len(cw) == 14:
        rest.append("CloudWatch.1-14")
    else:
        rest.extend(cw)
    return ", ".join(rest)


def render_org(org: OrgPlan) -> list[str]:
    """The organisation section of ``plan --org-trail``: prerequisites, duplicates with their
    monthly cost, and what the guardrail and drift parts plan."""
    where = f"bucket {org.bucket}" if org.bucket else "no bucket yet"
    if org.log_archive_account:
        where += f" in log-archive account {org.log_archive_account}"
    trail = org.trail_arn or "(not planned)"
    lines = [
        f"organisation {org.org_id}: trail {trail} (management account"
        f" {org.management_account}, home Region {org.home_region}, {where})"
    ]
    lines.extend(f"  prerequisite {line}" for line in org.prerequisites)
    lines.extend(f"  blocked: {line}" for line in org.blocked)
    for d in org.duplicates:
        verdict = "retire (StopLogging, never deleted)" if d.retire else "kept"
        lines.append(
            f"  duplicate {d.account} {d.trail_arn}: ${d.usd_per_month:.2f}/month, {verdict}:"
            f" {d.reason}"
        )
    if org.duplicates:
        billed = sum(d.usd_per_month for d in org.duplicates)
        lines.append(
            f"  duplicates: {len(org.duplicates)} member trail(s), ${billed:.2f}/month of"
            " second copies"
        )
    g = org.guardrail
    if g is not None:
        targets = ", ".join(g.targets) or "nothing"
        exempt = ", ".join(g.approved_roles) or "no role"
        lines.append(f"  guardrail SCP {g.policy_name}: attached to {targets}; exempts {exempt}")
        if g.refused:
            lines.append(f"  guardrail not attached: {g.refused}")
        lines.append(
            f"  SCPs do not apply to the management account {org.management_account}: there,"
            " only IAM protects the trail"
        )
    d_ = org.drift
    if d_ is not None:
        lines.append(
            f"  drift: conformance pack {d_.conformance_pack} ({len(d_.config_rules)} rules),"
            f" EventBridge rule {d_.event_rule}" + (f" -> {d_.topic_arn}" if d_.topic_arn else "")
        )
        if d_.accounts_without_recorder:
            lines.append(
                "  no AWS Config recorder (rules do nothing there): "
                + ", ".join(d_.accounts_without_recorder)
            )
    return lines


def render_plan(plan: Plan, verbose: bool = False) -> list[str]:
    lines: list[str] = render_org(plan.organization) if plan.organization else []
    for account in plan.accounts:
        steps = [s for s in plan.steps if s.account == account.account]
        b = account.baseline
        if account.trail == "skip" or b is None:
            lines.append(f"account {account.account}: nothing planned")
        else:
            verb = "repair" if account.trail == "repair" else "create"
            lines.append(
                f"account {account.account}: {verb} trail {b.trail.name}"
                f" (home Region {b.trail.home_region}, bucket {b.bucket.name})"
            )
        for step in steps:
            if step.action != "noop" or verbose:
                lines.append(step_line(step))
                if verbose or step.action != "noop":
                    lines.append(f"      {step.reason}")
        unchanged = sum(1 for s in steps if s.action == "noop")
        if unchanged and not verbose:
            lines.append(f"  = {unchanged} step(s) already as planned (-v lists them)")
        lines.extend(f"  note: {note}" for note in account.notes)
        if account.cost is not None:
            cost = account.cost
            lines.append(
                f"  cost change: ${cost.total_usd_per_month:.2f}/month"
                f" (confidence {cost.confidence})"
            )
            lines.extend(
                f"    {line.item}: ${line.usd_per_month:.2f} ({line.basis})" for line in cost.lines
            )
        calls = plan.api_calls.get(account.account)
        if calls:
            lines.append("  API calls: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    lines.append(summary(plan))
    return lines


def summary(plan: Plan) -> str:
    counts = {a: sum(1 for s in plan.steps if s.action == a) for a in ("create", "update", "noop")}
    if not plan.changes():
        return f"Plan: nothing to change ({counts['noop']} step(s) already as planned)."
    how = "checked against live AWS" if plan.probed else "predicted from the snapshot"
    return (
        f"Plan: {counts['create']} to create, {counts['update']} to update,"
        f" {counts['noop']} unchanged ({how}); estimated"
        f" ${plan.cost_usd_per_month:.2f}/month."
    )
