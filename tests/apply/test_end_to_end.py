"""End to end on the moto server: scan fails -> plan -> apply -> scan passes -> apply again (no
changes). Through the real CLI, so the plan file, journal and exit codes are exercised too."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.apply.support import EMAIL, MUST_PASS, REGIONS, not_passing, scan

from trailwarden.demo.motogaps import confirm_subscription_for_demo

pytestmark = pytest.mark.slow


def test_scan_plan_apply_scan_apply_again(aws: str, cli: Any, tmp_path: Path) -> None:
    regions = ",".join(REGIONS)
    before = not_passing(scan())
    assert set(before) == set(MUST_PASS), "a fresh account fails the whole family"

    plan_file = tmp_path / "plan.json"
    result = cli(["plan", "--regions", regions, "--alarm-email", EMAIL, "--out", str(plan_file)])
    assert result.code == 0, result.stderr
    assert "Plan: " in result.stdout and "to create" in result.stdout
    plan = json.loads(plan_file.read_text())
    assert plan["schema"] == "trailwarden.plan/1"
    operations = [s["operation"] for s in plan["steps"]]
    assert operations.count("CreateTrail") == 1 and "UpdateTrail" not in operations

    result = cli(["apply", str(plan_file), "--yes", "--output", "json"])
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] and report["counts"]["failed"] == 0
    assert report["counts"]["done"] >= len(plan["steps"]) - 2  # new buckets may come encrypted
    (calls,) = report["api_calls"].values()
    assert calls > len(plan["steps"])  # one live check per step at least, plus the writes
    journal = (tmp_path / "plan.journal.jsonl").read_text().splitlines()
    assert len(journal) == len(plan["steps"])
    assert {json.loads(line)["result"] for line in journal} <= {"done", "noop"}

    (subscriptions,) = report["subscriptions"].values()
    assert not_passing(scan()) == [f"CloudWatch.{n}" for n in range(1, 15)], (
        "everything passes except CloudWatch.x, which wait for the e-mail confirmation"
    )
    for arn in subscriptions:
        confirm_subscription_for_demo(arn)  # the recipient clicks the link
    assert not_passing(scan()) == []

    again = cli(["apply", str(plan_file), "--yes"])
    assert again.code == 0, again.stderr
    assert "nothing to change" in again.stdout

    replan = cli(["plan", "--regions", regions, "--alarm-email", EMAIL, "--output", "json"])
    assert replan.code == 0, replan.stderr
    replanned = json.loads(replan.stdout)
    assert {s["action"] for s in replanned["steps"]} == {"noop"}
    assert [s["operation"] for s in replanned["steps"]].count("UpdateTrail") == 1  # repair, no 2nd
    (account,) = replanned["accounts"]
    assert account["trail"] == "repair"
    assert account["cost"]["total_usd_per_month"] == 0
