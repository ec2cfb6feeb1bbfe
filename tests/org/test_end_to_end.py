"""The whole organisation path on moto, every part on: plan --org-trail (trail in the management
account, bucket and key in the log-archive account, guardrail SCP, drift rules), apply, a
second apply that changes nothing, the (simulated) delivery, verify --org, and an account
created afterwards that is covered without any step of ours."""

from __future__ import annotations

import boto3
from tests.org.support import HOME, REGIONS, access, build_org, full_org_plan

from trailwarden.apply import Journal, Runner
from trailwarden.demo.org_delivery import simulate_org_delivery
from trailwarden.trailstore.fixtures import FixtureKey
from trailwarden.verify.org import verify_org


def test_plan_apply_apply_again_verify_and_a_new_account(aws: str) -> None:
    org = build_org()
    plan = full_org_plan(org.archive)
    assert plan.organization is not None and not plan.organization.blocked
    assert plan.organization.guardrail is not None and plan.organization.guardrail.refused is None
    assert plan.organization.drift is not None
    assert plan.organization.regions == sorted(REGIONS)
    kinds = {(s.service, s.operation) for s in plan.steps}
    assert {("organizations", "AttachPolicy"), ("events", "PutRule")} <= kinds
    assert ("config", "PutOrganizationConformancePack") in kinds

    first = Runner(access(), plan, Journal(None), sleep=lambda _: None).run()
    assert first.failed is None, first.failed
    again = Runner(access(), full_org_plan(org.archive), Journal(None), sleep=lambda _: None).run()
    assert again.failed is None and again.nothing_to_change, [
        (r.step.id, r.result) for r in again.results if r.result != "noop"
    ]

    baseline = plan.accounts[0].baseline
    assert baseline is not None and baseline.organization is not None
    key = FixtureKey.generate()
    members = [a.account for a in plan.accounts]
    simulate_org_delivery(access(), baseline, org.archive, members, REGIONS, key)
    report = verify_org(access(), plan)
    failing = [(c.name, c.evidence) for c in report.all_checks if c.status != "PASS"]
    assert report.ok, failing

    orgs = boto3.client("organizations", region_name=HOME)
    new = orgs.create_account(AccountName="joined-later", Email="later@example.com")
    new_id = str(new["CreateAccountStatus"]["AccountId"])
    late = verify_org(access(), plan)
    assert not late.ok  # no file from it yet: not proved
    simulate_org_delivery(access(), baseline, org.archive, [new_id], REGIONS, key)
    late = verify_org(access(), plan)
    assert late.ok, [(c.name, c.evidence) for c in late.all_checks if c.status != "PASS"]
    row = next(a for a in late.accounts if a.member.account == new_id)
    assert plan.organization.trail_arn.endswith("trail/" + row.covered_by)
    assert row.with_files == sorted(REGIONS) and "joined after" in row.note
