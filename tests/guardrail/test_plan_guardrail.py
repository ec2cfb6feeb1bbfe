"""plan_guardrail on hand-built organisation targets: steps, targets, self-lockout refusal."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.guardrail.support import (
    ARCHIVE,
    MGMT,
    OU,
    ROOT,
    existing,
    options,
    org,
    role,
    target,
)

from trailwarden.errors import UsageError
from trailwarden.plan.org.guardrail import plan_guardrail, role_arn_of, runner_actions
from trailwarden.snapshot.model import OrgAccount, Organization

APPROVED = "arn:aws:iam::*:role/TrailwardenApply"


def test_root_target_enables_scps_creates_and_attaches() -> None:
    guardrail, steps = plan_guardrail(target(), options(APPROVED))
    assert guardrail.refused is None
    assert guardrail.targets == [ROOT]
    assert [(s.id, s.operation, s.action) for s in steps] == [
        (f"{MGMT}:scp-01", "EnablePolicyType", "update"),
        (f"{MGMT}:scp-02", "CreatePolicy", "create"),
        (f"{MGMT}:scp-03", "AttachPolicy", "create"),
    ]
    assert {(s.service, s.account, s.region) for s in steps} == {
        ("organizations", MGMT, "us-east-1")
    }
    assert steps[0].params == {"RootId": ROOT, "PolicyType": "SERVICE_CONTROL_POLICY"}
    assert steps[1].params["Content"] == guardrail.document
    assert steps[1].params["Tags"] == [{"Key": "managed-by", "Value": "trailwarden"}]
    assert steps[2].params == {
        "PolicyId": "${scp:trailwarden-org-trail-guardrail}",
        "TargetId": ROOT,
    }
    assert "SCPs do not apply to the management account" in steps[2].reason


def test_ou_targets_attach_to_each_ou_and_scps_already_on_are_not_enabled_again() -> None:
    second = "ou-ab12-22222222"
    _, steps = plan_guardrail(
        target(org(scp_enabled=True)), options(APPROVED, ous=(OU, second, OU))
    )
    assert [(s.operation, s.target) for s in steps] == [
        ("CreatePolicy", "trailwarden-org-trail-guardrail"),
        ("AttachPolicy", OU),
        ("AttachPolicy", second),
    ]


def test_an_existing_policy_of_that_name_is_updated_or_left_alone() -> None:
    guardrail, _ = plan_guardrail(target(), options(APPROVED))
    same = org(scp_enabled=True, policies=[existing(guardrail.document, [ROOT])])
    _, steps = plan_guardrail(target(same), options(APPROVED))
    assert [(s.operation, s.action) for s in steps] == [
        ("UpdatePolicy", "noop"),
        ("AttachPolicy", "noop"),
    ]
    other = org(scp_enabled=True, policies=[existing({"Version": "2012-10-17"}, [])])
    _, steps = plan_guardrail(target(other), options(APPROVED))
    assert [(s.operation, s.action) for s in steps] == [
        ("UpdatePolicy", "update"),
        ("AttachPolicy", "create"),
    ]


def test_apply_role_in_the_log_archive_account_not_approved_refuses_in_one_line() -> None:
    guardrail, steps = plan_guardrail(target(), options())
    assert steps == []
    assert guardrail.refused is not None and "\n" not in guardrail.refused
    assert role(ARCHIVE) in guardrail.refused
    assert "s3:Put" in guardrail.refused or "s3:Delete" in guardrail.refused
    assert "--approved-role arn:aws:iam::*:role/TrailwardenApply" in guardrail.refused


def test_an_approval_for_another_role_does_not_help() -> None:
    guardrail, steps = plan_guardrail(target(), options("arn:aws:iam::*:role/SomeoneElse"))
    assert steps == [] and guardrail.refused is not None
    assert any("SomeoneElse matches none" in note for note in guardrail.notes)


def test_the_key_planned_by_apply_is_checked_as_well() -> None:
    """Only kms actions on the key: the bucket lives in the management account here."""
    placeholder = "${kms-alias:us-east-1:alias/org-trail}"
    runners = (role(MGMT), role(ARCHIVE))
    t = replace(target(kms_key=placeholder, runners=runners), bucket_account=MGMT)
    guardrail, steps = plan_guardrail(t, options())
    assert steps == []
    assert guardrail.refused is not None and " kms:PutKeyPolicy " in guardrail.refused
    assert placeholder in str(guardrail.document)


def test_everything_in_the_management_account_needs_no_approval() -> None:
    """SCPs do not apply to the management account: nothing can lock its principals out."""
    guardrail, steps = plan_guardrail(target(archive=False, runners=(role(MGMT),)), options())
    assert guardrail.refused is None
    assert [s.operation for s in steps][-1] == "AttachPolicy"


def test_a_delegated_admin_caller_is_checked_on_the_trail() -> None:
    delegated = "444444444444"
    caller = org(
        caller_account_id=delegated,
        caller_arn=f"arn:aws:sts::{delegated}:assumed-role/TrailwardenApply/s",
    )
    guardrail, steps = plan_guardrail(target(caller, archive=False, runners=()), options())
    assert steps == []
    assert guardrail.refused is not None
    assert f"arn:aws:iam::{delegated}:role/TrailwardenApply cloudtrail:" in guardrail.refused
    approved, steps = plan_guardrail(target(caller, archive=False, runners=()), options(APPROVED))
    assert approved.refused is None and steps


def test_approved_pattern_matching_nobody_is_a_note_not_a_refusal() -> None:
    guardrail, steps = plan_guardrail(target(), options(APPROVED, "arn:aws:iam::*:role/BreakGlass"))
    assert guardrail.refused is None and steps
    assert len(guardrail.notes) == 1
    assert "BreakGlass matches none of the principals" in guardrail.notes[0]


def test_disabled_plans_nothing() -> None:
    from trailwarden.plan.org.context import GuardrailOptions

    guardrail, steps = plan_guardrail(target(), GuardrailOptions(enabled=False))
    assert steps == [] and guardrail.targets == []


@pytest.mark.parametrize(
    ("opts", "message"),
    [
        (options("TrailwardenApply"), "not an IAM principal ARN pattern"),
        (options(APPROVED, ous=("r-ab12",)), "not an OU id"),
    ],
)
def test_bad_input_is_a_usage_error(opts: object, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        plan_guardrail(target(), opts)  # type: ignore[arg-type]


def test_no_root_known_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="root id is unknown"):
        plan_guardrail(target(org(root_ids=[])), options(APPROVED))


def test_runner_actions_come_from_the_declared_grants() -> None:
    actions = runner_actions()
    assert "s3:PutBucketPolicy" in actions  # apply's bucket policy handler
    assert "kms:PutKeyPolicy" in actions
    assert "cloudtrail:UpdateTrail" in actions
    assert "s3:GetObject" in actions  # verify reads delivered files
    assert all(a.split(":")[0] in ("cloudtrail", "s3", "kms") for a in actions)


def test_role_sessions_count_as_their_role() -> None:
    assert role_arn_of("arn:aws:sts::1:assumed-role/Apply/session") == "arn:aws:iam::1:role/Apply"
    assert role_arn_of("arn:aws:iam::1:user/alice") == "arn:aws:iam::1:user/alice"


def test_a_pattern_approving_every_role_is_a_note() -> None:
    guardrail, steps = plan_guardrail(target(), options("arn:aws:iam::*:role/*"))
    assert steps and guardrail.refused is None
    assert [n for n in guardrail.notes if "exempts every role" in n]


def _placed(parents: dict[str, list[str] | None]) -> Organization:
    """An organisation whose scan recorded where each account sits (None: not read)."""
    return org(accounts=[OrgAccount(id=a, parents=p) for a, p in parents.items()])


def test_target_ous_refuse_only_when_the_runner_s_account_is_under_one() -> None:
    """The log-archive apply role is not approved: that locks it out only if the guardrail is on
    its account's path, which the scan's OU walk says exactly."""
    elsewhere = "ou-ab12-22222222"
    outside = _placed({MGMT: [ROOT], ARCHIVE: [ROOT, elsewhere]})
    guardrail, steps = plan_guardrail(target(outside), options(ous=(OU,)))
    assert guardrail.refused is None
    assert [s.operation for s in steps][-1] == "AttachPolicy"
    assert not any("was not read" in note for note in guardrail.notes)

    under = _placed({MGMT: [ROOT], ARCHIVE: [ROOT, elsewhere, OU]})  # OU nested deeper
    guardrail, steps = plan_guardrail(target(under), options(ous=(OU,)))
    assert steps == [] and guardrail.refused is not None and role(ARCHIVE) in guardrail.refused


def test_target_ous_with_placement_unknown_assume_the_worst_and_say_so() -> None:
    unknown = _placed({MGMT: [ROOT], ARCHIVE: None})
    guardrail, steps = plan_guardrail(target(unknown), options(ous=(OU,)))
    assert steps == [] and guardrail.refused is not None
    assert any(f"account(s) {ARCHIVE} sit" in note for note in guardrail.notes)
