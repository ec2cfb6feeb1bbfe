"""``trailwarden plan --org-trail`` and ``apply`` through the real CLI on moto, and its bad input:
no organisation, not the management account, a log-archive account that cannot be assumed, an
option without --org-trail. Each bad input is one line on stderr and exit 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.org.support import MANAGEMENT, act_as, build_org

from trailwarden.apply import CountingAccess
from trailwarden.errors import AccessError

PLAN = ["plan", "--org-trail", "--no-guardrail", "--no-drift", "--regions", "us-east-1"]


def _one_line(res: Any) -> str:
    assert res.code == 2, (res.stdout, res.stderr)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trailwarden: error: "), res.stderr
    assert "Traceback" not in res.stderr
    return str(lines[0])


def test_plan_then_apply_then_nothing_to_change(aws: str, cli: Any, tmp_path: Path) -> None:
    org = build_org()
    out = tmp_path / "plan.json"
    res = cli([*PLAN, "--out", str(out)])
    assert res.code == 0, res.stderr
    assert (
        f"organisation {org.org_id}: trail arn:aws:cloudtrail:us-east-1:{MANAGEMENT}" in res.stdout
    )
    assert "prerequisite fix: trusted access for cloudtrail.amazonaws.com" in res.stdout
    assert f"duplicate {org.with_trail} {org.member_trail_arn}: $6.00/month, kept" in res.stdout
    assert "SCPs do not apply" not in res.stdout  # no guardrail planned
    saved = json.loads(out.read_text())
    assert saved["organization"]["org_id"] == org.org_id
    assert saved["api_calls"][MANAGEMENT]["plan checks"] > 0
    applied = cli(["apply", str(out), "--yes"])
    assert applied.code == 0, applied.stderr
    again = cli([*PLAN, "--output", "json"])
    assert again.code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["organization"]["trail_arn"].endswith(":trail/trailwarden")
    assert [s for s in doc["steps"] if s["action"] != "noop"] == []


def test_no_organisation(aws: str, cli: Any) -> None:
    line = _one_line(cli(PLAN))
    assert "is not in an organisation" in line


def test_not_the_management_account(aws: str, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    org = build_org()
    act_as(monkeypatch, org.without_trail)
    line = _one_line(cli(PLAN))
    assert f"account {org.without_trail} is neither the management account" in line
    assert "register-delegated-administrator" in line


def test_log_archive_account_that_cannot_be_assumed(
    aws: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    org = build_org()
    real = CountingAccess.credentials

    def refuse(self: CountingAccess, account: str) -> Any:
        # moto lets any cross-account AssumeRole through (gap (k)); AWS refuses a missing role.
        if account == org.archive:
            raise AccessError(f"cannot assume {account}") from RuntimeError("AccessDenied")
        return real(self, account)

    monkeypatch.setattr(CountingAccess, "credentials", refuse)
    line = _one_line(cli([*PLAN, "--log-archive-account", org.archive]))
    assert f"--log-archive-account {org.archive} cannot be assumed" in line


def test_log_archive_account_outside_the_organisation(aws: str, cli: Any) -> None:
    build_org()
    line = _one_line(cli([*PLAN, "--log-archive-account", "999999999999"]))
    assert "not an active account of organisation" in line


def test_consolidated_billing_prints_the_plan_and_exits_2(aws: str, cli: Any) -> None:
    build_org(feature_set="CONSOLIDATED_BILLING")
    res = cli(PLAN)
    line = _one_line(res)
    assert "enable all features in Organizations" in line
    assert "blocked: " in res.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--log-archive-account", "111111111111"], "--log-archive-account only applies"),
        (["--retire-duplicate-trails"], "--retire-duplicate-trails only applies"),
        (["--approved-role", "arn:aws:iam::*:role/X"], "--approved-role only applies"),
        (["--target-ous", "r-abcd"], "--target-ous only applies"),
        (["--no-drift"], "--no-drift only applies"),
        (["--org-trail", "--target-ous", "ou-abcd-1"], "is not an OU id"),
        (["--org-trail", "--log-archive-account", "12"], "is not a 12-digit"),
        (["--org-trail", "--no-guardrail", "--approved-role", "x"], "--no-guardrail leaves"),
        (["--org-trail", "--accounts", "111111111111"], "leave out --accounts"),
    ],
)
def test_bad_org_options(cli: Any, args: list[str], said: str) -> None:
    assert said in _one_line(cli(["plan", *args]))


def test_a_saved_organisation_snapshot_plans_the_same_steps(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    build_org()
    snap = tmp_path / "org.json"
    live = cli([*PLAN, "--save-snapshot", str(snap), "--output", "json"])
    assert live.code == 0, live.stderr
    saved = cli(
        ["plan", "--org-trail", "--no-guardrail", "--no-drift", "--from-snapshot", str(snap)]
    )
    assert saved.code == 0, saved.stderr
    assert "(predicted from the snapshot)" in saved.stdout
    offline = cli(
        [
            "plan",
            "--org-trail",
            "--no-guardrail",
            "--no-drift",
            "--from-snapshot",
            str(snap),
            "-o",
            "json",
        ]
    )
    ids = [(s["id"], s["operation"]) for s in json.loads(offline.stdout)["steps"]]
    assert ids == [(s["id"], s["operation"]) for s in json.loads(live.stdout)["steps"]]


def test_every_part_through_the_cli_plan_apply_export_and_verify(
    aws: str, cli: Any, tmp_path: Path
) -> None:
    """plan --org-trail with the guardrail and drift on, apply, the organisation IaC, and
    verify --org: the parts built apart work together through the commands users run."""
    org = build_org()
    out = tmp_path / "plan.json"
    approved = "arn:aws:iam::*:role/OrganizationAccountAccessRole"
    args = ["plan", "--org-trail", "--regions", "us-east-1", "--log-archive-account", org.archive]
    res = cli([*args, "--approved-role", approved, "--out", str(out)])
    assert res.code == 0, res.stderr
    assert "SCPs do not apply to the management account" in res.stdout
    applied = cli(["apply", str(out), "--yes"])
    assert applied.code == 0, applied.stderr
    iac = tmp_path / "iac"
    exported = cli(
        [*args, "--approved-role", approved, "--format", "cloudformation", "--out", str(iac)]
    )
    assert exported.code == 0, exported.stderr
    assert sorted(p.name for p in iac.iterdir())[:2] == ["1-log-archive.yaml", "2-management.yaml"]
    verified = cli(["verify", str(out), "--org", "--output", "json"])
    doc = json.loads(verified.stdout)
    # moto delivers no log file: every account's coverage fails, every organisation-level
    # check (trail, SCP content and attachment, conformance pack, rule and target) passes.
    assert verified.code == 1
    org_checks = {c["check"]: c["status"] for c in doc["checks"]}
    assert set(org_checks.values()) == {"PASS"}, org_checks
    assert {a["status"] for a in doc["accounts"]} == {"FAIL"}
