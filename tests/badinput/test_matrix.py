"""The bad-input matrix: every command against every class of bad input issue 15 fixed.

Each row is (command line, what must be said). Every row must end with exit 2, one line on
stderr starting ``trailwarden: error:``, no traceback, and every file that existed before
byte for byte unchanged. Placeholders in the command lines:

``{snap}``/``{plan}``/``{findings}``/``{db}``/``{logs}``: good inputs; ``{weak_plan}``: a plan
edited to record write-only events; ``{bare_plan}``: one whose bucket policy step lost its
MergeStatements; ``{deep}``: JSON nested 100k deep; ``{deep_yaml}``: YAML nested 5,000 deep;
``{rules}``: a folder holding it; ``{huge}``: a (sparse) file over the document size limit;
``{file}``: a plain file where a folder is expected; ``{nowhere}``: a path in a folder that
does not exist; ``{proc}``: a path no one can create; ``{full}``: /dev/full.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error

from trailwarden.jsonfile import MAX_DOCUMENT_BYTES

WINDOW = ["--start-time", "2024-01-01T00:00:00Z", "--end-time", "2024-01-02T00:00:00Z"]
DEEP_FILTER = "{ " + "(" * 330 + "$.eventName = X" + ")" * 330 + " }"

# (class, command line, what the line must say)
MATRIX: list[tuple[str, list[str], str]] = [
    # class 1: output files
    ("output", ["scan", "--from-snapshot", "{snap}", "--out", "{nowhere}"], "cannot write"),
    ("output", ["scan", "--from-snapshot", "{snap}", "--out", "{full}"], "cannot write"),
    ("output", ["scan", "--from-snapshot", "{snap}", "--out", "{logs}"], "cannot write"),
    ("output", ["scan", "--from-snapshot", "{snap}", "--save-snapshot", "{proc}"], "cannot write"),
    ("output", ["plan", "--from-snapshot", "{snap}", "--out", "{nowhere}"], "cannot write"),
    ("output", ["plan", "--from-snapshot", "{snap}", "--out", "{full}"], "cannot write"),
    ("output", ["report", "{findings}", "-o", "sarif", "--out", "{proc}"], "cannot write"),
    ("output", ["report", "{findings}", "-o", "html", "--out", "{full}"], "cannot write"),
    ("output", ["apply", "{plan}", "--yes", "--journal", "{proc}"], "cannot write"),
    ("output", ["apply", "{plan}", "--yes", "--out", "{nowhere}"], "cannot write"),
    ("output", ["evidence", "download", "--bucket", "b", "--dir", "{file}"], "not a folder"),
    ("output", ["logs", "ingest", "--source", "{logs}", "--db", "{nowhere}"], "{nowhere}"),
    ("output", ["logs", "query", "SELECT 1", "--db", "{db}", "--out", "{proc}"], "cannot write"),
    ("output", ["logs", "timeline", "--db", "{db}", *WINDOW, "-o", "csv", "--out", "{full}"], "c"),
    ("output", ["filter", "canonical", "{ $.a = 1 }", "--out", "{nowhere}"], "cannot write"),
    # class 2: deep documents and deep patterns
    ("deep", ["scan", "--from-snapshot", "{deep}"], "nested deeper"),
    ("deep", ["plan", "--from-snapshot", "{deep}"], "nested deeper"),
    ("deep", ["apply", "{deep}", "--yes"], "nested deeper"),
    ("deep", ["verify", "{deep}"], "nested deeper"),
    ("deep", ["report", "{deep}"], "nested deeper"),
    ("deep", ["report", "{findings}", "--suppressions", "{deep_yaml}"], "nested deeper"),
    ("deep", ["alarms", "replay", "--source", "{logs}", "--patterns", "{deep_yaml}"], "deeper"),
    ("deep", ["filter", "canonical", DEEP_FILTER], "nested deeper"),
    ("deep", ["filter", "compare", DEEP_FILTER, "--control", "CloudWatch.1"], "nested deeper"),
    ("deep", ["filter", "test", DEEP_FILTER, "--events", "{logs}"], "nested deeper"),
    ("deep", ["alarms", "replay", "--source", "{logs}", "--patterns", "{deep_pattern}"], "deeper"),
    # item 5: edited plans that weaken the trail or lost a parameter
    ("plan", ["apply", "{weak_plan}", "--yes"], "would weaken CloudTrail.1"),
    ("plan", ["apply", "{bare_plan}", "--yes"], "the plan has no MergeStatements"),
    # class 4: read-only SQL
    ("sql", ["logs", "query", "SELECT * FROM read_text('/etc/passwd')", "--db", "{db}"], "Perm"),
    ("sql", ["logs", "query", "COPY events TO '{nowhere_ok}'", "--db", "{db}"], "Permission"),
    # class 5: oversized inputs
    ("size", ["scan", "--from-snapshot", "{huge}"], "larger than"),
    ("size", ["plan", "--from-snapshot", "{huge}"], "larger than"),
    ("size", ["apply", "{huge}", "--yes"], "larger than"),
    ("size", ["verify", "{huge}"], "larger than"),
    ("size", ["report", "{huge}"], "larger than"),
    ("size", ["scan", "--from-snapshot", "/dev/zero"], "larger than"),
    # items 11 and 15: impossible scopes and names
    ("scope", ["scan", "--regions", "mars-1"], "not an AWS Region"),
    ("scope", ["scan", "--accounts", "abc"], "12-digit"),
    ("scope", ["scan", "--from-snapshot", "{snap}", "--accounts", "999999999999"], "not in"),
    ("scope", ["plan", "--from-snapshot", "{snap}", "--accounts", "999999999999"], "not in"),
    ("scope", ["plan", "--regions", "US-EAST-1"], "not an AWS Region"),
    ("scope", ["apply", "{plan}", "--yes", "--region", "mars-1"], "not an AWS Region"),
    ("scope", ["verify", "{plan}", "--region", "mars-1"], "not an AWS Region"),
    ("scope", ["verify", "{plan}", "--org"], "no organization section"),
    ("scope", ["verify", "{plan}", "--org", "--regions", "mars-1"], "not an AWS Region"),
    ("scope", ["verify", "{plan}", "--regions", "us-east-1"], "--regions needs --org"),
    ("scope", ["verify", "{plan}", "--org", "--canary"], "without --org"),
    ("scope", ["validate", "--bucket", "b", "--account", "abc", *WINDOW], "12-digit"),
    ("scope", ["validate", "--bucket", "b", "--regions", "mars-1", *WINDOW], "not an AWS"),
    ("scope", ["validate", "--trail-arn", "xyz", *WINDOW], "Invalid trail ARN"),
    ("scope", ["evidence", "download", "--trail-arn", "xyz", "--dir", "{nowhere}"], "Invalid"),
    ("scope", ["evidence", "download", "--bucket", "b", "--dir", "x", "--region", "x"], "Region"),
    ("scope", ["logs", "ingest", "--source", "{logs}", "--db", "{db}", "--regions", "x"], "Reg"),
    ("scope", ["logs", "who", "--resource", "r", "--db", "{db}", "--region", "x"], "Region"),
    ("scope", ["logs", "hunt", "--db", "{db}", "--accounts", "1"], "12-digit"),
    ("scope", ["alarms", "replay", "--source", "{logs}", "--region", "x"], "not an AWS Region"),
    # the commands added beside issue 15 (evidence, Security Hub, config, report)
    ("scope", ["evidence", "coverage", "--trail-arn", "xyz", *WINDOW], "Invalid trail ARN"),
    ("scope", ["evidence", "coverage", "--bucket", "b", "--start-time", "2999-01-01"], "future"),
    (
        "input",
        ["evidence", "coverage", "--bucket", "b", "--public-key", "{nowhere}", *WINDOW],
        "cannot read public key",
    ),
    ("output", ["evidence", "pack", "--out", "{logs}", "--bucket", "b", *WINDOW], "already exists"),
    ("input", ["evidence", "verify", "{nowhere}"], "not a folder"),
    ("scope", ["securityhub", "diff", "--region", "mars-1"], "not an AWS Region"),
    ("input", ["config", "show", "scan", "--config", "{file}"], "cannot read config file"),
    # issue 12: plan --org-trail (no organisation; not the management account and an
    # unassumable log-archive account need AWS: tests/org/test_cli.py)
    ("org", ["plan", "--from-snapshot", "{snap}", "--org-trail"], "no organisation"),
    ("org", ["plan", "--from-snapshot", "{snap}", "--log-archive-account", "1" * 12], "only"),
    ("org", ["plan", "--from-snapshot", "{snap}", "--retire-duplicate-trails"], "--org-trail"),
    ("org", ["plan", "--from-snapshot", "{snap}", "--no-guardrail"], "only applies with"),
    ("org", ["plan", "--from-snapshot", "{snap}", "--org-trail", "--target-ous", "o-1"], "OU"),
    # item 14: misleading messages
    ("message", ["filter", "test", "{ $.a = 1 }", "--events", "/dev/zero"], "not a file"),
    ("message", ["demo", "--max-workers", "0"], "--max-workers"),
    # issue 13: a scan's time bound and progress file
    ("message", ["scan", "--account-timeout", "soon"], "--account-timeout 'soon'"),
    ("message", ["plan", "--account-timeout", "-5m"], "--account-timeout"),
    ("message", ["scan", "--processes", "0"], "--processes must be at least 1"),
    ("message", ["plan", "--processes", "-2"], "--processes must be at least 1"),
    ("input", ["scan", "--from-snapshot", "{snap}", "--resume", "{file}"], "--resume"),
    # plan --format (the IaC in place of the plan) beside -o (the plan's format); said before
    # any scan (the rows without a snapshot would otherwise need AWS)
    ("format", ["plan", "--from-snapshot", "{snap}", "--format", "terraform", "-o", "json"], "one"),
    ("format", ["plan", "-o", "text", "--format", "cloudformation", "--out", "{nowhere}"], "one"),
    ("format", ["plan", "--format", "yaml"], "--format 'yaml' is not one of"),
    ("format", ["plan", "--org-trail", "--format", "terraform"], "give --out DIR"),
]


@pytest.fixture
def inputs(tmp_path: Path, snapshot_file: Path, cli: Any) -> dict[str, str]:
    """Every placeholder, with the good inputs made through the CLI itself."""
    findings, plan, db = tmp_path / "findings.json", tmp_path / "plan.json", tmp_path / "e.duckdb"
    assert cli(["scan", "--from-snapshot", str(snapshot_file), "--out", str(findings)]).code == 1
    assert cli(["plan", "--from-snapshot", str(snapshot_file), "--out", str(plan)]).code == 0
    logs = tmp_path / "logs"
    logs.mkdir()
    record = {"eventID": "e1", "eventName": "X", "eventTime": "2024-01-01T01:00:00Z"}
    (logs / "a.json.gz").write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    assert cli(["logs", "ingest", "--source", str(logs), "--db", str(db)]).code == 0
    edited = json.loads(plan.read_text())
    selectors = next(s for s in edited["steps"] if s["operation"] == "PutEventSelectors")
    selectors["params"]["EventSelectors"] = [{"ReadWriteType": "WriteOnly"}]
    weak_plan = tmp_path / "weak-plan.json"
    weak_plan.write_text(json.dumps(edited))
    policy = next(s for s in edited["steps"] if s["operation"] == "PutBucketPolicy")
    del policy["params"]["MergeStatements"]
    bare_plan = tmp_path / "bare-plan.json"
    bare_plan.write_text(json.dumps(edited))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_yaml = tmp_path / "deep.yaml"
    deep_yaml.write_text("- " + "[" * 5_000 + "]" * 5_000 + "\n")
    deep_pattern = tmp_path / "patterns.json"
    deep_pattern.write_text(json.dumps([{"name": "deep", "pattern": DEEP_FILTER}]))
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    a_file = tmp_path / "a-file"
    a_file.write_text("kept\n")
    return {
        "snap": str(snapshot_file),
        "plan": str(plan),
        "weak_plan": str(weak_plan),
        "bare_plan": str(bare_plan),
        "findings": str(findings),
        "db": str(db),
        "logs": str(logs),
        "deep": str(deep),
        "deep_yaml": str(deep_yaml),
        "deep_pattern": str(deep_pattern),
        "huge": str(huge),
        "file": str(a_file),
        "nowhere": str(tmp_path / "missing" / "out"),
        "nowhere_ok": str(tmp_path / "copied.csv"),
        "proc": "/proc/trailwarden-out",
        "full": "/dev/full",
    }


def _filled(text: str, inputs: dict[str, str]) -> str:
    for name, value in inputs.items():  # not str.format: filter patterns hold braces
        text = text.replace("{" + name + "}", value)
    return text


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(p): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.stat().st_size < 2**20
    }


@pytest.mark.parametrize(
    ("kind", "argv", "needle"), MATRIX, ids=[f"{k}: {' '.join(a)[:60]}" for k, a, _ in MATRIX]
)
def test_bad_input(
    kind: str,
    argv: list[str],
    needle: str,
    inputs: dict[str, str],
    tmp_path: Path,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if "{full}" in argv and not Path("/dev/full").exists():
        pytest.skip("needs /dev/full")
    monkeypatch.chdir(tmp_path)
    before = _contents(tmp_path)
    line = one_line_error(cli([_filled(a, inputs) for a in argv]))
    assert _filled(needle, inputs) in line, (kind, line)
    assert _contents(tmp_path) == before, "an existing file was changed"
    assert not (tmp_path / "missing").exists()
    assert not Path(inputs["nowhere_ok"]).exists()
