"""Each prerequisite of an organisation trail missing in turn: fixed by a step, or said in one
line with its fix (and then no step at all, so nothing is half-applied)."""

from __future__ import annotations

import boto3
from tests.org.support import MANAGEMENT, build_org, org_plan

from trailwarden.plan.org.prerequisites import CONFIG_PRINCIPALS, check_prerequisites
from trailwarden.snapshot.model import Organization


def test_consolidated_billing_only_blocks_with_the_fix_and_plans_nothing(aws: str) -> None:
    build_org(feature_set="CONSOLIDATED_BILLING")
    plan = org_plan()
    assert plan.organization is not None
    [line] = plan.organization.blocked
    assert "enable all features in Organizations (console" in line and "then rerun" in line
    assert plan.steps == []


def test_trusted_access_off_is_fixed_by_a_step_and_on_is_left_alone(aws: str) -> None:
    build_org()
    plan = org_plan()
    step = plan.steps[0]
    assert (step.service, step.operation, step.action) == (
        "organizations",
        "EnableAWSServiceAccess",
        "update",
    )
    assert step.params == {"ServicePrincipal": "cloudtrail.amazonaws.com"}
    assert plan.organization is not None
    assert any(p.startswith("fix: trusted access") for p in plan.organization.prerequisites)
    boto3.client("organizations").enable_aws_service_access(
        ServicePrincipal="cloudtrail.amazonaws.com"
    )
    again = org_plan()
    assert again.steps[0].operation == "EnableAWSServiceAccess"
    assert again.steps[0].action == "noop"


def test_another_delegated_admin_is_named(aws: str) -> None:
    org = build_org(trusted_access=True)
    boto3.client("organizations").register_delegated_administrator(
        AccountId=org.archive, ServicePrincipal="cloudtrail.amazonaws.com"
    )
    plan = org_plan()
    assert plan.organization is not None and not plan.organization.blocked
    note = next(p for p in plan.organization.prerequisites if p.startswith("note:"))
    assert org.archive in note and "delegated administrator" in note


def _org(**fields: object) -> Organization:
    base: dict[str, object] = {
        "id": "o-abcdefghij",
        "feature_set": "ALL",
        "management_account_id": MANAGEMENT,
        "caller_account_id": MANAGEMENT,
        "service_access": [],
        "cloudtrail_delegated_admins": [],
    }
    return Organization.model_validate({**base, **fields})


def test_drift_needs_trusted_access_for_config_too() -> None:
    found = check_prerequisites(_org(), "us-east-1", "Role", drift=True)
    assert [s.params["ServicePrincipal"] for s in found.steps] == [
        "cloudtrail.amazonaws.com",
        *CONFIG_PRINCIPALS,
    ]
    without = check_prerequisites(_org(), "us-east-1", "Role", drift=False)
    assert len(without.steps) == 1


def test_unreadable_trusted_access_is_unknown_and_still_planned() -> None:
    found = check_prerequisites(_org(service_access=None), "us-east-1", "Role", drift=False)
    assert found.steps[0].action == "update"
    assert any(line.startswith("unknown: trusted access") for line in found.lines)


def test_a_delegated_admin_caller_builds_in_the_management_account() -> None:
    org = _org(caller_account_id="210987654321", cloudtrail_delegated_admins=["210987654321"])
    found = check_prerequisites(org, "us-east-1", "Admin", drift=False)
    assert not found.blocked
    line = next(x for x in found.lines if "delegated administrator 210987654321" in x)
    assert f"management account {MANAGEMENT}" in line and "role Admin" in line
