"""Class 1 beyond single files: evidence folders, the ingest database, apply's journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
from tests.badinput.conftest import one_line_error


def test_evidence_download_onto_a_file_or_unwritable_place(
    aws: str, tmp_path: Path, cli: Any
) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail-bucket")
    a_file = tmp_path / "a-file"
    a_file.write_text("kept\n")
    for where in (a_file, a_file / "below", Path("/proc/evidence")):
        line = one_line_error(
            cli(["evidence", "download", "--bucket", "trail-bucket", "--dir", str(where)])
        )
        assert str(where) in line
    assert a_file.read_text() == "kept\n"


def test_a_failed_download_leaves_no_empty_folder(aws: str, tmp_path: Path, cli: Any) -> None:
    copy = tmp_path / "evidence" / "nested"
    res = cli(["evidence", "download", "--bucket", "no-such-bucket", "--dir", str(copy)])
    assert res.code == 2 and "Traceback" not in res.stderr
    assert not copy.exists()
    assert not (tmp_path / "evidence").exists()


def test_evidence_download_refuses_a_malformed_trail_arn(tmp_path: Path, cli: Any) -> None:
    line = one_line_error(
        cli(["evidence", "download", "--trail-arn", "xyz", "--dir", str(tmp_path / "e")])
    )
    assert "Invalid trail ARN" in line
    assert not (tmp_path / "e").exists()


def test_a_failed_ingest_leaves_no_database(aws: str, tmp_path: Path, cli: Any) -> None:
    db = tmp_path / "events.duckdb"
    res = cli(["logs", "ingest", "--source", "s3://missing-bucket/AWSLogs/", "--db", str(db)])
    assert res.code == 2 and "Traceback" not in res.stderr, res.stderr
    assert list(tmp_path.iterdir()) == []


def test_apply_checks_its_journal_before_any_aws_write(
    aws: str, tmp_path: Path, cli: Any, snapshot_file: Path
) -> None:
    plan_file = tmp_path / "plan.json"
    made = cli(["plan", "--from-snapshot", str(snapshot_file), "--out", str(plan_file)])
    assert made.code == 0, made.stderr
    for journal in (tmp_path, tmp_path / "missing" / "j.jsonl", Path("/proc/j.jsonl")):
        line = one_line_error(cli(["apply", str(plan_file), "--yes", "--journal", str(journal)]))
        assert "cannot write" in line and str(journal) in line
    line = one_line_error(cli(["apply", str(plan_file), "--yes", "--out", "/proc/report.json"]))
    assert "cannot write /proc/report.json" in line
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []
