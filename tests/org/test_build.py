"""build_org_plan without AWS: who apply runs as, what the guardrail and drift parts receive,
and how the organisation section reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from tests.org.support import org_options

from trailwarden.errors import UsageError
from trailwarden.plan.model import Drift, Guardrail, Step
from trailwarden.plan.org import build as build_module
from trailwarden.plan.org.build import build_org_plan, caller_role_arn, runner_principals
from trailwarden.plan.org.context import DriftOptions, GuardrailOptions, OrgTarget
from trailwarden.plan.text import render_plan
from trailwarden.snapshot.model import AccountScan, OrgAccount, Organization, Snapshot

MGMT, ARCHIVE, MEMBER = "111111111111", "222222222222", "333333333333"


def _snapshot(**org: Any) -> Snapshot:
    organization = Organization(
        id="o-abcdefghij",
        feature_set="ALL",
        management_account_id=MGMT,
        caller_account_id=MGMT,
        caller_arn=f"arn:aws:sts::{MGMT}:assumed-role/Platform/jane",
        service_access=["cloudtrail.amazonaws.com"],
        cloudtrail_delegated_admins=[],
        accounts=[OrgAccount(id=a) for a in (MGMT, ARCHIVE, MEMBER)]
        + [OrgAccount(id="444444444444", status="SUSPENDED")],
        **org,
    )
    return Snapshot(
        generated_at=datetime(2026, 1, 1, tzinfo=UTC),
        caller_account=MGMT,
        accounts=[AccountScan(account=a, regions_enabled=["us-east-1"]) for a in (MGMT, MEMBER)],
        organization=organization,
    )


def test_caller_role_arn_turns_a_session_into_its_role() -> None:
    assert caller_role_arn("arn:aws:sts::1:assumed-role/Admin/me") == "arn:aws:iam::1:role/Admin"
    assert caller_role_arn("arn:aws:iam::1:user/bob") == "arn:aws:iam::1:user/bob"


def test_runner_principals_are_the_caller_and_the_role_in_each_other_active_account() -> None:
    org = _snapshot().organization
    assert org is not None
    assert runner_principals(org, "Deployer") == (
        f"arn:aws:iam::{MGMT}:role/Platform",
        f"arn:aws:iam::{ARCHIVE}:role/Deployer",
        f"arn:aws:iam::{MEMBER}:role/Deployer",
    )


def test_guardrail_and_drift_get_the_target_and_their_steps_join_the_plan(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    def guardrail(target: OrgTarget, options: GuardrailOptions) -> tuple[Guardrail, list[Step]]:
        seen["guardrail"] = (target, options)
        step = Step(
            id=f"{MGMT}:scp-01",
            account=MGMT,
            region="us-east-1",
            action="create",
            service="organizations",
            operation="CreatePolicy",
            params={},
            reason="r",
        )
        return Guardrail(policy_name="p", document={}, targets=["r-ab12"], approved_roles=[]), [
            step
        ]

    def drift(target: OrgTarget, options: DriftOptions) -> tuple[Drift, list[Step]]:
        seen["drift"] = target
        return Drift(conformance_pack="c", config_rules=[], event_rule="e", event_pattern={}), []

    monkeypatch.setattr("trailwarden.plan.org.guardrail.plan_guardrail", guardrail)
    monkeypatch.setattr("trailwarden.plan.org.drift.plan_drift", drift)
    options = build_module.OrgPlanOptions(
        plan=org_options().plan,
        log_archive_account=ARCHIVE,
        guardrail=GuardrailOptions(approved_roles=("arn:aws:iam::*:role/Platform",)),
        drift=DriftOptions(),
        role_name="Deployer",
    )
    plan = build_org_plan(_snapshot(), options)
    target, given = seen["guardrail"]
    assert given.approved_roles == ("arn:aws:iam::*:role/Platform",)
    assert target is seen["drift"]
    assert target.trail_arn == f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/trailwarden"
    assert target.bucket_account == ARCHIVE and target.kms_key_account == ARCHIVE
    assert target.kms_key == f"${{kms-alias:{ARCHIVE}:us-east-1:alias/trailwarden-cloudtrail}}"
    assert target.accounts == (MGMT, ARCHIVE, MEMBER)  # the suspended account is not there
    assert f"arn:aws:iam::{MEMBER}:role/Deployer" in target.runner_principals
    assert target.topic_arn == f"arn:aws:sns:us-east-1:{MGMT}:trailwarden-cis-alarms"
    assert plan.steps[-1].id == f"{MGMT}:scp-01"
    assert plan.organization is not None and plan.organization.guardrail is not None
    text = "\n".join(render_plan(plan))
    assert f"SCPs do not apply to the management account {MGMT}" in text
    assert "drift: conformance pack c" in text
    # drift on: trusted access for AWS Config's principals is planned too
    principals = [s.target for s in plan.steps if s.operation == "EnableAWSServiceAccess"]
    assert "config.amazonaws.com" in principals


def test_no_organisation_in_the_snapshot() -> None:
    snapshot = _snapshot().model_copy(update={"organization": None})
    with pytest.raises(UsageError, match="no organisation"):
        build_org_plan(snapshot, org_options())


def test_a_suspended_account_is_no_log_archive() -> None:
    with pytest.raises(UsageError, match="not an active account"):
        build_org_plan(_snapshot(), org_options(log_archive_account="444444444444"))


def test_the_new_key_encrypts_for_every_account_and_only_the_org_trail() -> None:
    plan = build_org_plan(_snapshot(), org_options(log_archive_account=ARCHIVE))
    account = plan.account(MGMT)
    assert account is not None and account.baseline is not None
    b = account.baseline
    [encrypt] = [s for s in b.key_policy_statements() if s["Sid"].endswith("encrypt logs")]
    context = encrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:cloudtrail:arn"]
    assert context == [f"arn:aws:cloudtrail:*:{a}:trail/*" for a in (MGMT, ARCHIVE, MEMBER)]
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": b.trail_arn}
    access_logs = b.access_log_bucket_policy()["Statement"][0]
    assert access_logs["Condition"]["StringEquals"]["aws:SourceAccount"] == ARCHIVE
    role_policy = b.cloudwatch_role_policy()["Statement"][0]["Resource"]
    assert any(r.endswith(":log-stream:o-abcdefghij_*") for r in role_policy)
