"""The guardrail's steps applied to an organisation on the moto server (over HTTP).

moto stores SCPs and their attachments but never enforces them (docs/aws-facts/moto.md):
these tests prove what apply writes and that it writes it once, not that AWS would deny.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from tests.apply.support import access, apply
from tests.guardrail.support import MGMT, options, org, target
from tests.support.orgplans import org_plan_of

from trailwarden.apply.runner import probe
from trailwarden.plan.model import Plan
from trailwarden.plan.org.guardrail import plan_guardrail
from trailwarden.policies.scp import compact

APPROVED = "arn:aws:iam::*:role/TrailwardenApply"
NAME = "trailwarden-org-trail-guardrail"


def guardrail_plan(o: dict[str, Any], *ous: str) -> Plan:
    t = target(
        org(
            management_account_id=o["mgmt"],
            caller_account_id=o["mgmt"],
            caller_arn="",
            root_ids=[o["root"]],
            scp_enabled=None,
        )
    )
    t = replace(
        t,
        management_account=o["mgmt"],
        trail_arn=t.trail_arn.replace(MGMT, o["mgmt"]),
        bucket_account=o["archive"],
        kms_key_account=o["archive"],
        kms_key=t.kms_key.replace("222222222222", o["archive"]) if t.kms_key else None,
        runner_principals=(f"arn:aws:iam::{o['archive']}:role/TrailwardenApply",),
    )
    guardrail, steps = plan_guardrail(t, options(APPROVED, ous=ous))
    assert guardrail.refused is None
    return org_plan_of(steps, o["mgmt"], guardrail=guardrail)


def policy_named(orgs: Any, name: str) -> dict[str, Any] | None:
    found = orgs.list_policies(Filter="SERVICE_CONTROL_POLICY")["Policies"]
    return next((p for p in found if p["Name"] == name), None)


def test_creates_tags_and_attaches_to_the_root_then_a_second_apply_changes_nothing(
    organisation: dict[str, Any],
) -> None:
    orgs, root = organisation["client"], organisation["root"]
    plan = guardrail_plan(organisation)
    report = apply(plan)
    assert report.failed is None, report.to_dict()
    assert [r.result for r in report.results] == ["done", "done", "done"]
    summary = policy_named(orgs, NAME)
    assert summary is not None
    content = orgs.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
    assert json.loads(content) == plan.steps[1].params["Content"]
    assert content == compact(plan.steps[1].params["Content"])  # sent without white space
    tags = orgs.list_tags_for_resource(ResourceId=summary["Id"])["Tags"]
    assert {"Key": "managed-by", "Value": "trailwarden"} in tags
    targets = orgs.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
    assert [t["TargetId"] for t in targets] == [root]
    types = orgs.list_roots()["Roots"][0]["PolicyTypes"]
    assert {"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"} in types

    again = apply(guardrail_plan(organisation))
    assert again.nothing_to_change, again.to_dict()
    assert all(s.action == "noop" for s in probe(access(), guardrail_plan(organisation)).steps)


def test_attaches_to_each_target_ou(organisation: dict[str, Any]) -> None:
    orgs = organisation["client"]
    report = apply(guardrail_plan(organisation, organisation["ou"]))
    assert report.failed is None, report.to_dict()
    summary = policy_named(orgs, NAME)
    assert summary is not None
    targets = orgs.list_targets_for_policy(PolicyId=summary["Id"])["Targets"]
    assert [t["TargetId"] for t in targets] == [organisation["ou"]]


def test_our_policy_changed_by_hand_is_put_back(organisation: dict[str, Any]) -> None:
    orgs = organisation["client"]
    assert apply(guardrail_plan(organisation)).failed is None
    summary = policy_named(orgs, NAME)
    assert summary is not None
    weakened = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "s3:x", "Resource": "*"}],
    }
    orgs.update_policy(PolicyId=summary["Id"], Content=json.dumps(weakened))
    plan = guardrail_plan(organisation)
    assert [s.action for s in probe(access(), plan).steps][1] == "update"
    report = apply(plan)
    assert [r.result for r in report.results] == ["noop", "done", "noop"]
    content = orgs.describe_policy(PolicyId=summary["Id"])["Policy"]["Content"]
    assert json.loads(content) == plan.steps[1].params["Content"]


def test_a_foreign_policy_with_the_same_name_is_never_overwritten(
    organisation: dict[str, Any],
) -> None:
    orgs = organisation["client"]
    orgs.enable_policy_type(RootId=organisation["root"], PolicyType="SERVICE_CONTROL_POLICY")
    theirs = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Deny", "Action": "ec2:*", "Resource": "*"}],
    }
    created = orgs.create_policy(
        Name=NAME, Description="theirs", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(theirs)
    )["Policy"]["PolicySummary"]
    report = apply(guardrail_plan(organisation))
    failed = report.failed
    assert failed is not None and failed.step.operation == "CreatePolicy"
    assert "is not trailwarden's" in failed.detail and "never overwrites" in failed.detail
    assert [r.result for r in report.results] == ["noop", "failed", "not-done"]
    content = orgs.describe_policy(PolicyId=created["Id"])["Policy"]["Content"]
    assert json.loads(content) == theirs
    assert orgs.list_targets_for_policy(PolicyId=created["Id"])["Targets"] == []


def test_every_recorded_guardrail_call_is_in_the_apply_policy(organisation: dict[str, Any]) -> None:
    """Least privilege from recorded calls: create + tag + attach, then update our policy."""
    from tests.apply.test_apply_policy import allowed, iam_actions

    acc = access()
    assert apply(guardrail_plan(organisation), acc=acc).failed is None
    orgs = organisation["client"]
    summary = policy_named(orgs, NAME)
    assert summary is not None
    orgs.update_policy(PolicyId=summary["Id"], Content=json.dumps({"Version": "2012-10-17"}))
    assert apply(guardrail_plan(organisation), acc=acc).failed is None
    recorded = {(service, op) for (_, service, op) in acc.calls}
    assert ("organizations", "UpdatePolicy") in recorded
    needed = {a for service, op in recorded for a in iam_actions(service, op)}
    needed |= {"organizations:TagResource"}  # Tags on CreatePolicy
    assert needed - allowed() == set()


def test_simulated_drift_the_attached_guardrail_denies_stopping_the_org_trail(
    organisation: dict[str, Any],
) -> None:
    """moto accepts any call an SCP denies; the decision AWS would take is computed from the
    policies attached on the member's path, read back (docs/aws-facts/scp.md#simulated)."""
    from trailwarden.aws.scps import attached_scps
    from trailwarden.policies.evaluate import Decision, NamedPolicy, explain_scp_decision

    orgs, mgmt = organisation["client"], organisation["mgmt"]
    plan = guardrail_plan(organisation, organisation["ou"])
    assert apply(plan).failed is None
    member = orgs.create_account(Email="new@example.com", AccountName="new")
    member_id = member["CreateAccountStatus"]["AccountId"]
    orgs.move_account(
        AccountId=member_id,
        SourceParentId=organisation["root"],
        DestinationParentId=organisation["ou"],
    )
    path = [[NamedPolicy(n, d) for n, d in level] for level in attached_scps(orgs, member_id)]
    assert [[p.name for p in level] for level in path] == [
        ["FullAWSAccess"],
        ["FullAWSAccess", NAME],
        ["FullAWSAccess"],
    ]
    trail = f"arn:aws:cloudtrail:us-east-1:{mgmt}:trail/org-trail"

    def decide(principal: str, action: str = "cloudtrail:StopLogging") -> Any:
        return explain_scp_decision(path, principal, action, trail, management_account=mgmt)

    stop = decide(f"arn:aws:iam::{member_id}:role/Admin")
    assert stop.decision is Decision.DENIED
    assert (stop.policy, stop.level, stop.statement_id) == (NAME, 1, "ProtectOrgTrail")
    assert decide(f"arn:aws:iam::{member_id}:role/TrailwardenApply").decision is Decision.ALLOWED
    assert decide(f"arn:aws:iam::{member_id}:role/Admin", "cloudtrail:StartLogging").decision is (
        Decision.ALLOWED
    )
    assert decide(f"arn:aws:iam::{mgmt}:role/Admin").decision is Decision.ALLOWED
