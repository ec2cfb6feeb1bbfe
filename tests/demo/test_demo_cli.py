"""`trailwarden demo` end to end: scan fails -> plan -> apply -> simulated delivery -> verify ->
scan again, and the family is cleared in the fixed accounts."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest


def test_demo_fixes_the_failing_accounts_and_proves_it(cli: Any, tmp_path: Path) -> None:
    out = tmp_path / "auditor"
    result = cli(["demo", "--output", "json", "--out", str(out)])
    assert result.code == 0, result.stderr[-2000:]
    doc = json.loads(result.stdout)
    _check_the_auditors_artefacts(cli, out, doc)
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
    _check_the_organisation_path(doc["organisation"])


def _check_the_organisation_path(org: dict[str, Any]) -> None:
    """One organisation trail, a guardrail and drift rules applied; every account proved covered,
    one created after apply included; the simulated drift refused or seen as it must be."""
    assert org["apply"]["ok"] is True
    assert org["plan"]["guardrail"]["refused"] is None and org["plan"]["drift"] is not None
    assert org["verify"]["ok"] is True and org["verify_after_join"]["ok"] is True
    joined = [a for a in org["verify_after_join"]["accounts"] if a["account"] == org["new_account"]]
    assert joined and joined[0]["status"] == "PASS" and "joined after" in joined[0]["note"]
    assert org["new_account"] not in {a["account"] for a in org["verify"]["accounts"]}
    stop_org, stop_own = org["drift"]
    assert stop_org["aws"] == "NotOrganizationMasterAccountException"
    assert stop_org["scp"].startswith("denied by") and " matches " in stop_org["rule"]
    assert stop_own["aws"] is None and stop_own["scp"].startswith("allowed")
    assert all(d["as_expected"] for d in org["drift"])
    assert org["retire"]["ok"] is True


def _check_the_auditors_artefacts(cli: Any, out: Path, doc: dict[str, Any]) -> None:
    """--out: the final scan as findings.json and a self-contained report.html, and an evidence
    pack whose manifest verifies and whose simulated digest chain validates."""
    saved = json.loads((out / "findings.json").read_text())
    assert saved["findings"] == doc["after"]["findings"]
    html = (out / "report.html").read_text()
    assert "<html" in html and "<script" not in html
    pack = out / "evidence-pack"
    verified = cli(["evidence", "verify", str(pack)])
    assert verified.code == 0, verified.stdout + verified.stderr
    (chain,) = json.loads((pack / "validation.json").read_text())["chains"]
    assert chain["digests_valid"] == chain["digests_total"] >= 1 and chain["invalid"] == []
    assert chain["account"] in doc["fixed_accounts"]
    (pack / "findings.json").write_text("{}")
    assert cli(["evidence", "verify", str(pack)]).code == 1  # a changed file is named, exit 1


def test_demo_scan_only_prints_the_findings(cli: Any) -> None:
    result = cli(["demo", "--scan-only", "--output", "json"])
    assert result.code == 0
    assert json.loads(result.stdout)["schema"] == "trailwarden.findings/2"


def test_demo_keep_serves_the_organisation_until_ctrl_c(cli: Any, tmp_path: Path) -> None:
    """What --keep prints is enough, in another process, to reach the organisation: the printed
    scan there finds what the demo's own scan found. Ctrl-C then stops the server cleanly."""
    from trailwarden.cli import demo as demo_cli

    seen: dict[str, Any] = {}

    def another_shell() -> None:
        printed = sys.stderr.getvalue()  # type: ignore[attr-defined]
        exports = dict(
            pair.split("=", 1)
            for line in printed.splitlines()
            if line.strip().startswith("export ")
            for pair in shlex.split(line.strip())[1:]
        )
        [scan] = [
            line.strip()
            for line in printed.splitlines()
            if line.strip().startswith("trailwarden scan") and "--out" not in line
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(exports, AWS_CONFIG_FILE=str(tmp_path / "none"))
        args = [*shlex.split(scan)[1:], "-o", "json"]
        done = subprocess.run(
            [sys.executable, "-m", "trailwarden", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        seen.update(exports=exports, code=done.returncode, scan=done.stdout, err=done.stderr)
        raise KeyboardInterrupt  # the user's Ctrl-C

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(demo_cli, "wait_for_interrupt", another_shell)
        result = cli(["demo", "--scan-only", "--keep", "--output", "json"])
    assert result.code == 0, result.stderr[-2000:]
    assert set(seen["exports"]) >= {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID"}
    assert seen["code"] == 1, seen["err"][-2000:]  # findings, as in the demo

    def failing(doc: dict[str, Any]) -> set[tuple[str, str]]:
        return {(f["account"], f["control"]) for f in doc["findings"] if f["status"] == "FAILED"}

    assert failing(json.loads(seen["scan"])) == failing(json.loads(result.stdout))
    assert "stopping the simulated organisation" in result.stderr
    with pytest.raises(OSError):  # the server is gone
        urllib.request.urlopen(seen["exports"]["AWS_ENDPOINT_URL"], timeout=5)


def test_what_the_demo_says_of_an_account_is_what_the_scan_shows(cli: Any) -> None:
    """The account described as failing CloudWatch Logs delivery for 3 days gets the signal that
    says so."""
    doc = json.loads(cli(["demo", "--scan-only", "--output", "json"]).stdout)
    [signal] = [
        s
        for s in doc["signals"]
        if s["kind"].startswith("cloudwatch-delivery") and "no-validation" in s["resource"]
    ]
    assert "AccessDeniedException" in signal["message"]
    assert "more than 24 h ago" in signal["message"]
