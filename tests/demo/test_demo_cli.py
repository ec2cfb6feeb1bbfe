"""`trailwarden demo` end to end: scan fails -> plan -> apply -> simulated delivery -> verify ->
scan again, and the family is cleared in the fixed accounts."""

from __future__ import annotations

import json
from typing import Any


def test_demo_fixes_the_failing_accounts_and_proves_it(cli: Any) -> None:
    result = cli(["demo", "--output", "json"])
    assert result.code == 0, result.stderr[-2000:]
    doc = json.loads(result.stdout)
    assert doc["schema"] == "trailwarden.demo/1"
    fixed = set(doc["fixed_accounts"])
    before = [f for f in doc["before"]["findings"] if f["account"] in fixed]
    after = [f for f in doc["after"]["findings"] if f["account"] in fixed]
    assert {f["control"] for f in before if f["status"] == "FAILED"} >= {
        "CloudTrail.1",
        "CloudTrail.3",
        "CloudTrail.4",
        "CloudTrail.6",
        "CloudWatch.1",
    }
    failed_after = {f["control"] for f in after if f["status"] == "FAILED"}
    assert failed_after <= {"CloudTrail.10"}  # a Lake store's key is outside the baseline
    passed_after = {(f["account"], f["control"]) for f in after if f["status"] == "PASSED"}
    for account in fixed:
        assert (account, "CloudTrail.1") in passed_after
        assert (account, "CloudTrail.4") in passed_after
        assert (account, "CloudWatch.1") in passed_after
    assert doc["verify"]["ok"] is True
    assert doc["apply"]["ok"] is True


def test_demo_scan_only_prints_the_findings(cli: Any) -> None:
    result = cli(["demo", "--scan-only", "--output", "json"])
    assert result.code == 0
    assert json.loads(result.stdout)["schema"] == "trailwarden.findings/2"
