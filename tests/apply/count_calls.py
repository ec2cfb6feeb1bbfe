"""API calls per account for plan, apply, a rerun of apply, and verify (issue 4's "benchmark").

Not a test: run it to print the figures docs/apply.md quotes.

    PYTHONPATH=src python -m tests.apply.count_calls

Each figure is the number of logical AWS calls (botocore ``before-call``; retries not counted)
made through ``CountingAccess`` for one account on a fresh moto server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from tests.apply.support import HOME, access, options
from tests.apply.test_merge import seed_legacy_trail

from trailwarden.apply import Runner, probe
from trailwarden.collect import ScanOptions, collect
from trailwarden.demo.delivery import simulate_delivery
from trailwarden.demo.motogaps import confirm_subscription_for_demo
from trailwarden.demo.server import moto_server, pointed_at, reset_moto
from trailwarden.plan.steps import build_plan
from trailwarden.trailstore.fixtures import FixtureKey
from trailwarden.verify import verify_plan

T = TypeVar("T")


def scenario(regions: list[str], seed: Callable[[], dict[str, str]] | None) -> dict[str, int]:
    extra = {}
    if seed is not None:
        extra["alarm_topic"] = seed()["topic"]
    acc = access()
    figures: dict[str, int] = {}

    def counted(name: str, run: Callable[[], T]) -> T:
        before = acc.snapshot_counts()
        result = run()
        figures[name] = sum(acc.per_account(before).values())
        return result

    snapshot = counted("scan", lambda: collect(acc, ScanOptions(regions=regions)))
    plan = counted("plan checks", lambda: probe(acc, build_plan(snapshot, options(**extra))))
    figures["steps"] = len(plan.steps)
    report = counted("apply", lambda: Runner(acc, plan).run())
    counted("apply again", lambda: Runner(acc, plan).run())
    for facts in report.facts.values():
        for arn in facts.subscriptions:
            confirm_subscription_for_demo(arn)
    key = FixtureKey.generate()
    simulate_delivery(acc, plan.accounts[0], key=key)
    counted("verify", lambda: verify_plan(acc, plan, public_keys=[key.public()]))
    return figures


def main() -> None:
    columns = ["steps", "scan", "plan checks", "apply", "apply again", "verify"]
    print(f"{'scenario':<38}" + "".join(f"{c:>13}" for c in columns))
    with moto_server() as endpoint, pointed_at(endpoint):
        cases = [
            ("fresh account, 2 Regions", [HOME, "eu-west-1"], None),
            ("fresh account, 4 Regions", [HOME, "eu-west-1", "us-west-2", "ap-south-1"], None),
            ("repair existing trail, 2 Regions", [HOME, "eu-west-1"], seed_legacy_trail),
        ]
        for name, regions, seed in cases:
            reset_moto(endpoint)
            figures = scenario(regions, seed)
            print(f"{name:<38}" + "".join(f"{figures[c]:>13}" for c in columns))


if __name__ == "__main__":
    main()
