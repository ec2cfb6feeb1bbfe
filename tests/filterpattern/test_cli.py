"""``trailwarden filter test|canonical|compare`` on the real dataset files."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

from trailwarden.filterpattern.cis import BY_ID

STRATUS = "stratus-red-team-detonation-logs"
OTRF = "otrf-aws-ec2-proxy-s3-exfiltration/ec2_proxy_s3_exfiltration_2020-09-14011940.json"


def stratus_records(datasets: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((datasets / STRATUS).glob("*.json")):
        records.extend(json.loads(path.read_text()))
    return records


def run_json(cli: Any, *args: str) -> dict[str, Any]:
    result = cli(["filter", *args, "--output", "json"])
    assert result.code == 0, result.stderr
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


def test_json_arrays_in_a_directory(cli: Any, datasets: Path) -> None:
    records = stratus_records(datasets)
    want = [r["eventID"] for r in records if r["eventName"] in ("DeleteTrail", "StopLogging")]
    doc = run_json(cli, "test", BY_ID["CloudWatch.5"].pattern, "--events", str(datasets / STRATUS))
    assert doc == {
        "schema": "trailwarden.filtertest/1",
        "pattern": BY_ID["CloudWatch.5"].pattern,
        "events": len(records),
        "matches": len(want),
        "matched_event_ids": want,
    }


def test_json_lines_file(cli: Any, datasets: Path) -> None:
    lines = (datasets / OTRF).read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    # The exfiltration: an assumed role (stolen instance credentials) reading S3.
    want = [
        r["eventID"]
        for r in records
        if r["userIdentity"]["type"] == "AssumedRole" and r["eventSource"] == "s3.amazonaws.com"
    ]
    pattern = '{$.userIdentity.type = AssumedRole && $.eventSource = "s3.amazonaws.com"}'
    doc = run_json(cli, "test", pattern, "--events", str(datasets / OTRF))
    assert doc["events"] == len(records)
    assert doc["matched_event_ids"] == want and want


def test_gzipped_records_files_walked_in_sorted_order(
    cli: Any, datasets: Path, tmp_path: Path
) -> None:
    # An S3-style tree: gzipped {"Records": [...]} files, a digest to skip, a manifest to skip.
    records = stratus_records(datasets)
    root = tmp_path / "AWSLogs" / "111122223333"
    trail = root / "CloudTrail" / "us-east-1" / "2024" / "08" / "01"
    trail.mkdir(parents=True)
    first, second = records[: len(records) // 2], records[len(records) // 2 :]
    for name, half in (("b.json.gz", second), ("a.json.gz", first)):
        (trail / name).write_bytes(gzip.compress(json.dumps({"Records": half}).encode()))
    digest = root / "CloudTrail-Digest" / "us-east-1"
    digest.mkdir(parents=True)
    (digest / "x.json.gz").write_bytes(gzip.compress(b'{"digestPublicKeyFingerprint": "ab"}'))
    shutil.copy(datasets / "cis-cloudwatch-metric-filters" / "cis_patterns.json", tmp_path)
    (tmp_path / "README.md").write_text("not events")
    doc = run_json(cli, "test", "", "--events", str(tmp_path))
    assert doc["matched_event_ids"] == [r["eventID"] for r in first + second]  # a before b
    assert doc["events"] == doc["matches"] == len(records)


def test_text_output_lists_matches_and_counts(cli: Any, datasets: Path) -> None:
    result = cli(["filter", "test", "{$.eventName = ConsoleLogin}", "--events", str(datasets)])
    assert result.code == 0
    lines = result.stdout.splitlines()
    otrf = [line for line in (datasets / OTRF).read_text().splitlines() if line.strip()]
    assert lines[-1] == f"1 of {len(stratus_records(datasets)) + len(otrf)} events match"
    assert "ConsoleLogin" in lines[0] and "865d9377-9c6b-4fd7-8aad-725e95f6a140" in lines[0]
    assert "skipped" in result.stderr and "cis_patterns.json" in result.stderr


def test_bad_pattern_is_one_line_with_position_and_exit_2(cli: Any, datasets: Path) -> None:
    result = cli(["filter", "test", "{$.eventName = }", "--events", str(datasets / STRATUS)])
    assert result.code == 2
    assert result.stderr.strip() == (
        "trailwarden: error: invalid filter pattern at column 16: expected a value after '=', "
        "found '}'"
    )
    assert result.stdout == ""


def test_bad_inputs_are_one_line_errors(cli: Any, tmp_path: Path) -> None:
    missing = cli(["filter", "test", "{$.a = 1}", "--events", str(tmp_path / "nope")])
    assert missing.code == 2 and "no such file or directory" in missing.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"eventVersion": "1.08", "eventName": "A"}\n{oops\n')
    broken = cli(["filter", "test", "{$.a = 1}", "--events", str(bad)])
    # A corrupt file is skipped and listed, as every command that reads CloudTrail files does.
    assert broken.code == 0 and broken.stdout.strip() == "0 of 0 events match"
    assert broken.stderr.startswith(f"skipped corrupt file {bad}: bad JSON on line 2: ")
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = cli(["filter", "test", "{$.a = 1}", "--events", str(empty)])
    assert nothing.code == 2 and "no .json" in nothing.stderr
    for result in (missing, broken, nothing):  # one line each, no traceback
        assert len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr


def test_canonical_command(cli: Any) -> None:
    result = cli(["filter", "canonical", "{ ($.eventName = DeleteTrail) }"])
    assert result.code == 0
    assert result.stdout.strip() == '{($.eventName="DeleteTrail")}'
    doc = run_json(cli, "canonical", "ERROR  -x")
    assert doc["canonical"] == '"ERROR" -"x"'


def test_compare_command(cli: Any) -> None:
    doc = run_json(cli, "compare", '{$.userIdentity.type = "Root"}', "--control", "CloudWatch.1")
    assert doc["verdict"] == "broader"
    assert doc["security_hub_pass"] is False
    assert "CloudWatch.1/root-invoked-by-service" in doc["extra"]
    text = cli(["filter", "compare", BY_ID["CloudWatch.7"].pattern, "--control", "CloudWatch.7"])
    assert text.code == 0 and text.stdout.startswith("CloudWatch.7: exact")
    unknown = cli(["filter", "compare", "{$.a = 1}", "--control", "CloudWatch.15"])
    assert unknown.code == 2 and "unknown control" in unknown.stderr
