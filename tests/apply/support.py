"""Helpers for the apply tests: run plan/apply in-process against the moto server."""

from __future__ import annotations

from pathlib import Path

from trailwarden.apply import CountingAccess, Journal, Runner
from trailwarden.apply.runner import ApplyReport
from trailwarden.aws.session import AccessOptions
from trailwarden.collect import ScanOptions, collect
from trailwarden.controls import Evaluation, Status, evaluate
from trailwarden.demo.motogaps import confirm_subscription_for_demo
from trailwarden.plan.model import Plan
from trailwarden.plan.steps import PlanOptions, build_plan
from trailwarden.snapshot.model import Snapshot

ACCOUNT = "123456789012"  # moto's default account: the caller
HOME = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1"]
EMAIL = "security@example.com"
# What a full fix must leave PASSED in the home Region (CloudTrail.8 does not exist; .10 only
# applies to Lake event data stores).
MUST_PASS = [f"CloudTrail.{n}" for n in (1, 2, 3, 4, 5, 6, 7, 9)] + [
    f"CloudWatch.{n}" for n in range(1, 15)
]


def access() -> CountingAccess:
    """A fresh session: clients read AWS_ENDPOINT_URL when they are made."""
    return CountingAccess(AccessOptions(region=HOME, max_attempts=2))


def scan(acc: CountingAccess | None = None) -> Snapshot:
    return collect(acc or access(), ScanOptions(regions=REGIONS, max_workers=8))


def options(**baseline: object) -> PlanOptions:
    return PlanOptions(baseline={"home_region": HOME, "alarm_email": [EMAIL], **baseline})


def make_plan(**baseline: object) -> Plan:
    return build_plan(scan(), options(**baseline))


def apply(
    plan: Plan, journal: Path | None = None, acc: CountingAccess | None = None
) -> ApplyReport:
    return Runner(acc or access(), plan, Journal(journal), sleep=lambda _: None).run()


def confirm_all(report: ApplyReport) -> None:
    for facts in report.facts.values():
        for arn in facts.subscriptions:
            confirm_subscription_for_demo(arn)


def statuses(evaluation: Evaluation) -> dict[str, set[Status]]:
    """Control -> the statuses of its findings: CloudTrail.x in every Region, CloudWatch.x in the
    home Region (elsewhere they are NO_DATA by design: evaluated where the trail lives)."""
    found: dict[str, set[Status]] = {}
    for f in evaluation.findings:
        if f.control.startswith("CloudTrail.") or f.region == HOME:
            found.setdefault(f.control, set()).add(f.status)
    return found


def not_passing(snapshot: Snapshot) -> list[str]:
    """The MUST_PASS controls with any finding that is not PASSED."""
    found = statuses(evaluate(snapshot))
    return [c for c in MUST_PASS if found.get(c) != {Status.PASSED}]
