"""An organisation plan lists each change once: what ``plan --org-trail`` counts per operation is
what the first apply changes, and a second apply changes nothing.

Before, the drift part planned an ``UpdateAssumeRolePolicy`` merge into every member's forwarding
role right after the ``CreateRole`` that makes the role with that very statement, and the trail's
``PutEventSelectors`` right after the ``CreateTrail`` whose new trail has those selectors by
default (docs/aws-facts/trail-setup.md#default-selectors): at 100 members, 560 planned changes and
459 made. Those steps are now planned ``noop``, covered by the step that creates their target
(``Step.covered_by``), unless the target exists already.
"""

from __future__ import annotations

import json
from collections import Counter

from tests.org.support import access, build_org, full_org_plan
from tests.scan.seed import session_for

from trailwarden.apply import Journal, Runner
from trailwarden.apply.runner import ApplyReport
from trailwarden.plan.model import Plan
from trailwarden.plan.org.drift import FORWARD_ROLE


def _apply(plan: Plan) -> ApplyReport:
    return Runner(access(), plan, Journal(None), sleep=lambda _: None).run()


def _per_operation(pairs: list[tuple[str, str]]) -> Counter[str]:
    return Counter(f"{service}:{operation}" for service, operation in pairs)


def test_the_plan_counts_what_apply_changes_per_operation(aws: str) -> None:
    org = build_org()
    plan = full_org_plan(org.archive)
    planned = _per_operation([(s.service, s.operation) for s in plan.changes()])
    assert planned["iam:CreateRole"] >= len(org.members)  # a forwarding role per member
    report = _apply(plan)
    assert report.failed is None, report.failed
    done = _per_operation(
        [(r.step.service, r.step.operation) for r in report.results if r.result == "done"]
    )
    assert done == planned
    assert "iam:UpdateAssumeRolePolicy" not in planned
    assert "cloudtrail:PutEventSelectors" not in planned
    assert _apply(full_org_plan(org.archive)).nothing_to_change


def test_a_forwarding_role_made_earlier_gets_the_merge_and_no_create(aws: str) -> None:
    org = build_org()
    theirs = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Theirs",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    session_for(org.without_trail).client("iam").create_role(
        RoleName=FORWARD_ROLE, AssumeRolePolicyDocument=json.dumps(theirs)
    )
    plan = full_org_plan(org.archive)
    mine = {
        s.operation: s.action
        for s in plan.steps
        if s.account == org.without_trail and s.target == FORWARD_ROLE
    }
    assert mine["CreateRole"] == "noop" and mine["UpdateAssumeRolePolicy"] == "update"
    others = [
        s.action
        for s in plan.steps
        if s.operation == "UpdateAssumeRolePolicy" and s.account != org.without_trail
    ]
    assert others and set(others) == {"noop"}  # their CreateRole makes the role with it
    report = _apply(plan)
    assert report.failed is None, report.failed
    planned = _per_operation([(s.service, s.operation) for s in plan.changes()])
    done = _per_operation(
        [(r.step.service, r.step.operation) for r in report.results if r.result == "done"]
    )
    assert done == planned
    role = session_for(org.without_trail).client("iam").get_role(RoleName=FORWARD_ROLE)["Role"]
    sids = {s.get("Sid") for s in role["AssumeRolePolicyDocument"]["Statement"]}
    assert {"Theirs", "TrailwardenEventBridgeAssume"} <= sids
    assert _apply(full_org_plan(org.archive)).nothing_to_change
