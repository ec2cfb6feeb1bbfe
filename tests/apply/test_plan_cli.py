"""``trailwarden plan`` output (JSON schema, --format, --from-snapshot) and plan-file errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.apply.support import REGIONS
from tests.scan.build import make_snapshot, make_trail

from trailwarden.snapshot import save_snapshot

STEP_KEYS = {"id", "account", "region", "action", "service", "operation", "params", "reason"}


@pytest.mark.slow
def test_plan_json_schema_and_snapshot_round_trip(aws: str, cli: Any, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    live = cli(
        ["plan", "--regions", ",".join(REGIONS), "--output", "json", "--save-snapshot", str(snap)]
    )
    assert live.code == 0, live.stderr
    doc = json.loads(live.stdout)
    assert doc["schema"] == "trailwarden.plan/1" and doc["probed"] is True
    assert doc["steps"] and all(STEP_KEYS | {"controls"} <= set(s) for s in doc["steps"])
    assert {s["action"] for s in doc["steps"]} <= {"create", "update", "noop"}
    (account,) = doc["accounts"]
    assert account["baseline"]["schema"] == "trailwarden.baseline/1"
    assert {"total_usd_per_month", "confidence", "lines"} <= set(account["cost"])
    calls = doc["api_calls"][account["account"]]
    assert calls["scan"] > 0 and calls["plan checks"] > 0

    offline = cli(
        ["plan", "--from-snapshot", str(snap), "--home-region", "us-east-1", "-o", "json"]
    )
    assert offline.code == 0, offline.stderr
    predicted = json.loads(offline.stdout)
    assert predicted["probed"] is False and predicted["api_calls"] == {}
    assert [s["operation"] for s in predicted["steps"]] == [s["operation"] for s in doc["steps"]]

    text = cli(["plan", "--from-snapshot", str(snap), "--home-region", "us-east-1"])
    assert (
        "+ cloudtrail:CreateTrail" in text.stdout and "predicted from the snapshot" in text.stdout
    )


@pytest.mark.slow
def test_format_prints_the_baseline_as_iac(aws: str, cli: Any, tmp_path: Path) -> None:
    result = cli(["plan", "--regions", "us-east-1", "--format", "cloudformation"])
    assert result.code == 0, result.stderr
    assert "AWS::CloudTrail::Trail" in result.stdout
    out = tmp_path / "main.tf"
    result = cli(["plan", "--regions", "us-east-1", "--format", "terraform", "--out", str(out)])
    assert result.code == 0 and 'resource "aws_cloudtrail"' in out.read_text()
    bad = cli(["plan", "--regions", "us-east-1", "--format", "pulumi"])
    assert bad.code == 2 and bad.stderr.startswith("trailwarden: error: --format 'pulumi'")


def test_format_wins_over_an_output_default_from_the_environment(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRAILWARDEN_OUTPUT=json is every command's default; --format typed for this one run says
    what this run prints (only -o typed beside it is refused, tests/badinput)."""
    snap = tmp_path / "snap.json"
    save_snapshot(make_snapshot([make_trail(multi=False)]), snap)
    monkeypatch.setenv("TRAILWARDEN_OUTPUT", "json")
    args = ["plan", "--from-snapshot", str(snap), "--home-region", "us-east-1"]
    as_json = cli(args)
    assert as_json.code == 0 and as_json.stdout.startswith("{")  # the variable is read at all
    result = cli([*args, "--format", "terraform"])
    assert result.code == 0, result.stderr
    assert 'resource "aws_cloudtrail"' in result.stdout


def _valid_plan() -> dict[str, Any]:
    return {
        "schema": "trailwarden.plan/1",
        "generated_at": "2026-11-24T10:00:00Z",
        "accounts": [{"account": "123456789012", "trail": "skip"}],
        "steps": [
            {
                "id": "123456789012:01",
                "account": "123456789012",
                "region": "us-east-1",
                "action": "update",
                "service": "cloudtrail",
                "operation": "StartLogging",
                "params": {"Name": "x"},
                "reason": "r",
                "target": "x",
            }
        ],
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "plan file not found"),
        ("not json", "is not JSON (line 1"),
        ("[]", "is not a trailwarden plan"),
        (json.dumps({"schema": "trailwarden.plan/9"}), "has plan schema 'trailwarden.plan/9'"),
        (json.dumps({**_valid_plan(), "steps": [{"id": "x"}]}), "is not a valid plan: steps.0"),
        (
            json.dumps(
                {**_valid_plan(), "steps": [{**_valid_plan()["steps"][0], "action": "delete"}]}
            ),
            "is not a valid plan: steps.0.action",
        ),
        (
            json.dumps({**_valid_plan(), "steps": _valid_plan()["steps"] * 2}),
            "duplicate step ids",
        ),
        (
            json.dumps(
                {
                    **_valid_plan(),
                    "steps": [{**_valid_plan()["steps"][0], "operation": "DeleteTrail"}],
                }
            ),
            "cannot apply cloudtrail:DeleteTrail",
        ),
    ],
)
def test_bad_plan_file_is_one_line_error(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, message: str
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    path = tmp_path / "plan.json"
    if content is not None:
        path.write_text(content)
    result = cli(["apply", str(path), "--yes"])
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("trailwarden: error: "), result.stderr
    assert message in lines[0]


def test_apply_without_yes_off_a_terminal_refuses(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_valid_plan()))
    result = cli(["apply", str(path)])
    assert result.code == 2 and "pass --yes" in result.stderr
