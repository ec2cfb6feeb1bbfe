"""plan/apply --org-trail run from a CloudTrail delegated administrator: the trail is still the
management account's, built there through the role apply assumes."""

from __future__ import annotations

import boto3
import pytest
from tests.org.support import HOME, MANAGEMENT, act_as, apply, build_org, org_plan, org_scan


def test_a_delegated_admin_builds_the_management_accounts_trail(
    aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = build_org(trusted_access=True)
    boto3.client("organizations").register_delegated_administrator(
        AccountId=org.archive, ServicePrincipal="cloudtrail.amazonaws.com"
    )
    act_as(monkeypatch, org.archive)

    # The delegated administrator reads where each account sits too (the guardrail's check).
    read = org_scan().organization
    assert read is not None and all(a.parents for a in read.accounts), read.errors
    plan = org_plan()
    assert plan.organization is not None and not plan.organization.blocked
    line = next(p for p in plan.organization.prerequisites if "delegated administrator" in p)
    assert org.archive in line and MANAGEMENT in line
    assert {s.account for s in plan.steps} == {MANAGEMENT}
    assert plan.organization.trail_arn.split(":")[4] == MANAGEMENT
    assert apply(plan).failed is None
    assert org_plan().changes() == []
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    trail = boto3.client("cloudtrail", region_name=HOME).get_trail(Name="trailwarden")["Trail"]
    assert trail["IsOrganizationTrail"] is True
