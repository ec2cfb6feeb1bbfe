"""Alarm replay: fires on exactly the events the CIS patterns match, with CloudWatch's timing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest

from trailwarden.errors import UsageError
from trailwarden.filterpattern import evaluate, parse
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.logs.replay import AlarmSpec, load_specs, replay
from trailwarden.trailstore.records import Record


def _replay_json(cli: Any, args: list[str]) -> list[dict[str, Any]]:
    res = cli(["alarms", "replay", *args, "-o", "json"])
    assert res.code in (0, 1), res.stderr
    doc = json.loads(res.stdout)
    assert isinstance(doc, list)
    return doc


@pytest.mark.parametrize("mode", ["files", "db"])
def test_cis_replay_fires_on_exactly_the_matching_events(
    cli: Any, trail_tree: Path, trail_db: Path, all_records: list[Record], mode: str
) -> None:
    where = [str(trail_tree)] if mode == "files" else ["--db", str(trail_db)]
    rows = _replay_json(cli, where)
    for control in CIS_CONTROLS:
        pattern = parse(control.pattern)
        # The reference evaluator, record by record, on the original files' records.
        expected = {r["eventID"] for r in all_records if evaluate(pattern, r)}
        name = f"{control.control_id} {control.metric_name}"
        got = {eid for row in rows if row["alarm"] == name for eid in row["eventIDs"]}
        assert got == expected, name
    assert any(r["alarm"].startswith("CloudWatch.5") for r in rows)  # DeleteTrail/StopLogging
    assert any(r["alarm"].startswith("CloudWatch.3") for r in rows)  # console without MFA


def _ev(eid: str, when: str, name: str = "DeleteTrail") -> Record:
    return {"eventID": eid, "eventTime": when, "eventName": name}


def test_periods_thresholds_and_evaluation_periods() -> None:
    recs = [
        _ev("a", "2024-01-01T00:01:00Z"),
        _ev("b", "2024-01-01T00:04:59Z"),
        _ev("c", "2024-01-01T00:05:00Z"),  # next 5-minute period: the same firing continues
        _ev("d", "2024-01-01T00:20:00Z"),  # after a quiet period: a new firing
        _ev("x", "2024-01-01T00:02:00Z", "ListTrails"),
    ]
    pattern = "{$.eventName = DeleteTrail}"
    firings = replay(recs, [AlarmSpec("any", pattern)])
    assert [(f.start.strftime("%H:%M"), f.end.strftime("%H:%M"), f.event_ids) for f in firings] == [
        ("00:00", "00:10", ["a", "b", "c"]),
        ("00:20", "00:25", ["d"]),
    ]
    two = replay(recs, [AlarmSpec("two", pattern, threshold=2)])
    assert [f.event_ids for f in two] == [["a", "b"]]
    consecutive = replay(recs, [AlarmSpec("c", pattern, evaluation_periods=2)])
    assert [(f.start.strftime("%H:%M"), f.event_ids) for f in consecutive] == [
        ("00:00", ["a", "b", "c"])
    ]
    hourly = replay(recs, [AlarmSpec("h", pattern, period=3600, threshold=4)])
    assert [f.event_ids for f in hourly] == [["a", "b", "c", "d"]]


def test_patterns_file_and_bad_inputs(cli: Any, tmp_path: Path, trail_tree: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(json.dumps([{"name": "stops", "pattern": '{$.eventName = "StopLogging"}'}]))
    rows = _replay_json(cli, [str(trail_tree), "--patterns", str(f)])
    assert [r["eventNames"] for r in rows] == ["StopLogging"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"name": "x", "pattern": "{$.eventName = "}]))
    res = cli(["alarms", "replay", str(trail_tree), "--patterns", str(bad)])
    assert res.code == 2 and res.stderr.startswith("trailwarden: error: invalid filter pattern")
    bad.write_text("{}")
    with pytest.raises(UsageError):
        load_specs(bad)
    assert cli(["alarms", "replay", "--patterns", "nope"]).code == 2


def test_account_filters_and_alarms(cli: Any, aws: str, trail_tree: Path) -> None:
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="trail")
    for name, pattern in [
        ("tampering", '{ ($.eventName = "StopLogging") || ($.eventName = "DeleteTrail") }'),
        ("orphan", '{ $.eventName = "ConsoleLogin" }'),
    ]:
        logs.put_metric_filter(
            logGroupName="trail",
            filterName=name,
            filterPattern=pattern,
            metricTransformations=[
                {"metricName": name, "metricNamespace": "Sec", "metricValue": "1"}
            ],
        )
    boto3.client("cloudwatch", region_name="us-east-1").put_metric_alarm(
        AlarmName="tampering-alarm",
        MetricName="tampering",
        Namespace="Sec",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    rows = _replay_json(cli, [str(trail_tree), "--patterns", "account"])
    assert {r["eventNames"] for r in rows if "tampering-alarm" in r["alarm"]} == {
        "DeleteTrail",
        "StopLogging",
    }
    assert any("orphan (no alarm" in r["alarm"] for r in rows)
