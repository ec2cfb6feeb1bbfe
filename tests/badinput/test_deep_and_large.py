"""Class 2: one bounded JSON/YAML reader (``trailwarden.jsonfile``) and bounded filter nesting.

Deep nesting never escapes as a RecursionError; it is one line naming the input, or, inside a
scanned account, one filter reported as unreadable while the scan completes.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error
from tests.scan.build import make_snapshot, make_trail
from tests.scan.test_controls_cloudwatch import chain, results

from trailwarden import jsonfile
from trailwarden.controls import Status
from trailwarden.filterpattern import FilterPatternError, parse
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.filterpattern.parser import MAX_NESTING
from trailwarden.snapshot import save_snapshot
from trailwarden.snapshot.model import MetricFilter

DEEP_JSON = "[" * 100_000 + "]" * 100_000
DEEP_YAML = "a: " + "[" * 5_000 + "]" * 5_000 + "\n"
# ~330 nested parentheses, under the 1,024-character pattern limit.
DEEP_PATTERN = "{ " + "(" * 330 + "$.eventName = X" + ")" * 330 + " }"


def test_limits_at_the_reader() -> None:
    at_limit = "[" * jsonfile.MAX_DEPTH + "]" * jsonfile.MAX_DEPTH
    assert jsonfile.depth_of(jsonfile.parse_json(at_limit)) == jsonfile.MAX_DEPTH
    for text in (DEEP_JSON, "[" + at_limit + "]", '{"a": ' * 150 + "1" + "}" * 150):
        with pytest.raises(jsonfile.TooDeep):
            jsonfile.parse_json(text)
    with pytest.raises(jsonfile.TooDeep):
        jsonfile.parse_yaml_all(DEEP_YAML)
    assert jsonfile.parse_yaml("a: [[1]]\n") == {"a": [[1]]}


def test_size_is_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2049)
    with pytest.raises(jsonfile.UsageError, match="larger than 2 KiB"):
        jsonfile.read_limited(big, "snapshot", 2048)
    # A device that never ends is cut at the limit, not read whole.
    with pytest.raises(jsonfile.UsageError, match="larger than"):
        jsonfile.read_limited(Path("/dev/zero"), "snapshot", 2**20)


@pytest.mark.parametrize("command", ["scan", "plan"])
def test_deep_snapshot_is_one_line(command: str, tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP_JSON)
    line = one_line_error(cli([command, "--from-snapshot", str(path)]))
    assert str(path) in line and "nested deeper" in line


def test_deep_plan_and_findings_are_one_line(tmp_path: Path, cli: Any) -> None:
    path = tmp_path / "deep.json"
    path.write_text(DEEP_JSON)
    for argv in (["apply", str(path), "--yes"], ["verify", str(path)], ["report", str(path)]):
        line = one_line_error(cli(argv))
        assert "nested deeper" in line, argv


def test_deep_suppressions_are_one_line(tmp_path: Path, cli: Any, snapshot_file: Path) -> None:
    findings = tmp_path / "findings.json"
    cli(["scan", "--from-snapshot", str(snapshot_file), "--out", str(findings)])
    rules = tmp_path / "suppressions.yaml"
    rules.write_text(DEEP_YAML)
    line = one_line_error(cli(["report", str(findings), "--suppressions", str(rules)]))
    assert str(rules) in line and "nested deeper" in line


def test_deep_sigma_rule_is_listed_not_raised(tmp_path: Path) -> None:
    from trailwarden.logs.sigma import load_rules

    (tmp_path / "deep.yml").write_text(DEEP_YAML)
    rules, problems = load_rules(tmp_path)
    assert rules == []
    assert [(p.name, "nested deeper" in why) for p, why in problems] == [("deep.yml", True)]


def test_deep_digest_is_invalid_not_a_crash() -> None:
    from trailwarden.integrity.digest import INVALID_FORMAT, load
    from trailwarden.trailstore.source import StoredObject

    body = gzip.compress(DEEP_JSON.encode())
    with pytest.raises(Exception) as caught:
        load("b", "k", StoredObject(body, {"signature": "00", "signature-algorithm": "x"}))
    assert not isinstance(caught.value, RecursionError)
    assert str(caught.value) == INVALID_FORMAT


def test_filter_nesting_is_bounded(cli: Any) -> None:
    assert len(DEEP_PATTERN) < 1024
    nested_ok = "{ " + "(" * MAX_NESTING + "$.a = 1" + ")" * MAX_NESTING + " }"
    parse(nested_ok)
    with pytest.raises(FilterPatternError, match="nested deeper"):
        parse(DEEP_PATTERN)
    for argv in (
        ["filter", "canonical", DEEP_PATTERN],
        ["filter", "compare", DEEP_PATTERN, "--control", "CloudWatch.1"],
    ):
        assert "nested deeper" in one_line_error(cli(argv)), argv


@pytest.fixture
def default_recursion_limit() -> Iterator[None]:
    """The CLI runs under Python's default limit; the test session raises it."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


@pytest.mark.usefixtures("default_recursion_limit")
def test_a_scanned_deep_filter_is_unreadable_and_the_scan_completes(
    tmp_path: Path, cli: Any
) -> None:
    trail = make_trail()
    first = CIS_CONTROLS[0]
    group = chain(trail)
    filters = [
        MetricFilter(name=first.metric_name, pattern=DEEP_PATTERN, metrics=f.metrics)
        if f.name == first.metric_name
        else f
        for f in group.metric_filters or []
    ]
    snap = make_snapshot(
        [trail], groups={trail.account: [group.model_copy(update={"metric_filters": filters})]}
    )
    status, reason = results(snap, first.control_id)["us-east-1"]
    assert status != Status.PASSED
    assert f"filter {first.metric_name!r} could not be read" in reason
    assert "nested deeper" in reason
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    for command in ("scan", "plan"):
        res = cli([command, "--from-snapshot", str(path), "-o", "json"])
        assert res.code in (0, 1), (command, res.stderr)
        assert "Traceback" not in res.stderr
        json.loads(res.stdout)
