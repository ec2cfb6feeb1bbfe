"""A plan around steps a test made with one part of the organisation planner alone.

apply refuses an organisation step whose part the plan does not carry (plan/step_rules.py):
a guardrail step needs ``organization.guardrail``, a drift step ``organization.drift``. Tests
that plan one part by hand wrap its steps here, with the section that part returned.
"""

from __future__ import annotations

from datetime import UTC, datetime

from trailwarden.plan.model import AccountPlan, Drift, Guardrail, OrgPlan, Plan, Step


def org_plan_of(
    steps: list[Step],
    management: str,
    *,
    guardrail: Guardrail | None = None,
    drift: Drift | None = None,
) -> Plan:
    accounts = sorted({management, *(s.account for s in steps)})
    return Plan(
        generated_at=datetime.now(UTC),
        steps=steps,
        accounts=[AccountPlan(account=a, trail="skip") for a in accounts],
        organization=OrgPlan(
            org_id="o-testtesttt",
            management_account=management,
            trail_arn=f"arn:aws:cloudtrail:us-east-1:{management}:trail/org",
            home_region="us-east-1",
            bucket="org-logs",
            guardrail=guardrail,
            drift=drift,
        ),
    )
