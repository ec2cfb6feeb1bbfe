"""``report FILE.json``: scan once, render many ways; bad input; nothing half-written."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from tests.scan.build import make_snapshot, make_trail

from trailwarden.report.render import ReportFormat
from trailwarden.snapshot import save_snapshot


@pytest.fixture
def scanned(tmp_path: Path, cli: Any) -> Path:
    snap = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(multi=False, kms_key_id=None)]), snap)
    findings = tmp_path / "findings.json"
    assert (
        cli(["scan", "--from-snapshot", str(snap), "-o", "json", "--out", str(findings)]).code == 1
    )
    return findings


@pytest.mark.parametrize("fmt", [f.value for f in ReportFormat if f.value != "text"])
def test_report_renders_a_saved_scan_as_scan_does(
    fmt: str, scanned: Path, tmp_path: Path, cli: Any
) -> None:
    out = tmp_path / f"report.{fmt}"
    result = cli(["report", str(scanned), "-o", fmt, "--out", str(out)])
    assert result.code == 1  # the saved scan has HIGH failures
    text = out.read_text()
    assert text
    assert not list(tmp_path.glob(".report.*"))  # no temporary file left behind
    direct = cli(["scan", "--from-snapshot", str(tmp_path / "s.json"), "-o", fmt])
    # The same findings give the same report, but for the time of the run some formats carry
    # (as written, or as epoch milliseconds in OCSF): the two runs may fall in different seconds.
    saved_at = json.loads(scanned.read_text())["generated_at"]
    millis = str(int(datetime.fromisoformat(saved_at).timestamp() * 1000))
    if saved_at not in text and millis not in text:
        assert direct.stdout == text


def test_report_reads_findings_saved_as_version_1(scanned: Path, tmp_path: Path, cli: Any) -> None:
    """/2 only added a status: a /1 file (its no-data places under NOT_AVAILABLE) still renders."""
    doc = json.loads(scanned.read_text())
    doc["schema"] = "trailwarden.findings/1"
    doc["findings"] = [
        {**f, "status": "NOT_AVAILABLE"} if f["status"] == "NO_DATA" else f for f in doc["findings"]
    ]
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    result = cli(["report", str(old), "-o", "csv"])
    assert result.code == 1, result.stderr
    assert "NO_DATA" not in result.stdout and "FAILED" in result.stdout


def test_report_text_summarises_root_causes(scanned: Path, cli: Any) -> None:
    result = cli(["report", str(scanned)])
    assert "trailwarden report" in result.stdout and "trail/main" in result.stdout


@pytest.mark.parametrize(
    "content",
    [
        '{"schema": "trailwarden.findings/3", "findings": []}',
        '{"schema": "trailwarden.snapshot/1", "accounts": []}',
        '{"schema": "trailwarden.findings/1", "findings": [{"control": 1}]}',
        "not json",
    ],
)
def test_bad_findings_files_are_one_line_errors(tmp_path: Path, cli: Any, content: str) -> None:
    path = tmp_path / "f.json"
    path.write_text(content)
    out = tmp_path / "out.html"
    result = cli(["report", str(path), "-o", "html", "--out", str(out)])
    assert result.code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("trailwarden: error:")
    assert not out.exists()


def test_an_error_leaves_an_existing_report_untouched(
    scanned: Path, tmp_path: Path, cli: Any
) -> None:
    out = tmp_path / "report.csv"
    out.write_text("the previous report\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text("suppressions:\n  - {control: X.1, reason: r, owner: o, expires: soon}\n")
    result = cli(
        ["report", str(scanned), "-o", "csv", "--out", str(out), "--suppressions", str(bad)]
    )
    assert result.code == 2 and "is not a date" in result.stderr
    assert out.read_text() == "the previous report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["s.json", "findings.json", "report.csv", "bad.yaml"]
    )


def test_piped_text_report_has_no_borders_and_whole_rows(tmp_path: Path, cli: Any) -> None:
    """Piped (as the in-process CLI's stdout is), the report's tables are tab-separated rows:
    one line each, every value whole, no box drawing for grep to trip on."""
    snap = tmp_path / "two.json"
    save_snapshot(make_snapshot([make_trail("a"), make_trail("b")]), snap)
    res = cli(["scan", "--from-snapshot", str(snap), "--compliance", "cis-1.4"])
    assert "# Health signals (not graded by Security Hub)" in res.stdout, res.stdout
    assert "# CIS" in res.stdout
    assert not set("│┃┏┗━─") & set(res.stdout)
    rows = [line.split("\t") for line in res.stdout.splitlines() if line.count("\t") == 3]
    assert rows[0] == ["severity", "account", "region", "signal"]
    assert any("billed" in row[3] for row in rows[1:])
