"""Snapshot round trip, bad snapshot input, CLI exit codes and the findings JSON contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.scan.build import make_snapshot, make_trail

from trailwarden.snapshot import load_snapshot, save_snapshot


def test_snapshot_round_trip(tmp_path: Path) -> None:
    snap = make_snapshot([make_trail(), make_trail("org", org=True, home="eu-west-1")])
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    assert load_snapshot(path) == snap
    assert json.loads(path.read_text())["schema"] == "trailwarden.snapshot/1"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bad.json"
    path.write_text(text)
    return path


def test_bad_snapshots_give_one_line_errors(tmp_path: Path, cli: Any) -> None:
    good = make_snapshot([make_trail()]).model_dump(mode="json", by_alias=True)
    cases = {
        "not json": "{nope",
        "a list": "[]",
        "wrong version": json.dumps({**good, "schema": "trailwarden.snapshot/99"}),
        "bad field": json.dumps({**good, "accounts": [{"account": 5, "trails": "x"}]}),
    }
    for name, text in cases.items():
        result = cli(["scan", "--from-snapshot", str(_write(tmp_path, text))])
        assert result.code == 2, name
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("trailwarden: error:"), (name, lines)
        assert "Traceback" not in result.stderr
    missing = cli(["scan", "--from-snapshot", str(tmp_path / "absent.json")])
    assert missing.code == 2 and "not found" in missing.stderr


def test_exit_codes_follow_fail_on(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "s.json"
    # Only LOW controls fail (validation off, no tags): HIGH threshold passes, LOW fails.
    save_snapshot(make_snapshot([make_trail(log_file_validation_enabled=False, tags={})]), path)
    assert cli(["scan", "--from-snapshot", str(path)]).code == 0
    assert cli(["scan", "--from-snapshot", str(path), "--fail-on", "LOW"]).code == 1
    save_snapshot(make_snapshot([make_trail(multi=False)]), path)
    assert cli(["scan", "--from-snapshot", str(path)]).code == 1
    assert cli(["scan", "--from-snapshot", str(path), "--fail-on", "bogus"]).code == 2


def test_json_output_follows_the_contract(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(multi=False)]), path)
    result = cli(["scan", "--from-snapshot", str(path), "--output", "json"])
    doc = json.loads(result.stdout)
    assert doc["schema"] == "trailwarden.findings/2"
    assert set(doc) >= {"generated_at", "accounts", "regions", "findings", "signals", "errors"}
    keys = {
        "control",
        "status",
        "severity",
        "account",
        "region",
        "resource_type",
        "resource",
        "reason",
        "root_cause",
        "remediation",
        "compliance",
    }
    assert all(set(f) == keys for f in doc["findings"])
    statuses = {f["status"] for f in doc["findings"]}
    assert statuses <= {"PASSED", "FAILED", "WARNING", "NOT_AVAILABLE"}
    assert "FAILED" in statuses


def test_text_report_groups_by_root_cause(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(multi=False, kms_key_id=None)]), path)
    result = cli(["scan", "--from-snapshot", str(path)])
    assert "1 root cause" in result.stdout
    assert "fix trail main" in result.stdout


def test_usage_errors(cli: Any) -> None:
    assert cli(["scan", "--accounts", "12"]).code == 2
    assert cli(["scan", "--org", "--accounts", "111111111111"]).code == 2
    assert cli(["scan", "--max-workers", "0"]).code == 2


def _one_error_line(result: Any) -> str:
    lines = result.stderr.strip().splitlines()
    assert result.code == 2 and len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return str(lines[0])


def test_no_credentials_unreachable_endpoint_and_unknown_profile(
    cli: Any, monkeypatch: Any
) -> None:
    assert "no usable AWS credentials" in _one_error_line(cli(["scan"]))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    assert "cannot reach AWS" in _one_error_line(cli(["scan", "--max-attempts", "1"]))
    assert "profile (nope)" in _one_error_line(cli(["scan", "--profile", "nope"]))


def test_rejected_credentials(aws: str, cli: Any, monkeypatch: Any) -> None:
    from tests.support.proxy import Fault, latency_proxy

    with latency_proxy(aws, delay_s=0) as proxy:
        proxy.add_fault(Fault(service="sts", operation="GetCallerIdentity"))
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        assert "rejected the credentials" in _one_error_line(cli(["scan"]))


def test_required_tag_keys_option(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(tags={"owner": "security"})]), path)

    def ct9(*extra: str) -> set[str]:
        result = cli(["scan", "--from-snapshot", str(path), "--output", "json", *extra])
        return {
            f["status"]
            for f in json.loads(result.stdout)["findings"]
            if f["control"] == "CloudTrail.9"
        }

    assert ct9() == {"PASSED"}
    assert ct9("--required-tag-keys", "owner") == {"PASSED"}
    assert ct9("--required-tag-keys", "owner,cost-centre") == {"FAILED"}
