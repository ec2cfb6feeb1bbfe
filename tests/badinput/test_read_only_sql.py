"""Class 4: ``logs query`` reads the audit trail and nothing else (``store.sandbox``)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error

RECORD = {
    "eventVersion": "1.08",
    "eventTime": "2024-01-02T03:04:05Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "CreateUser",
    "awsRegion": "us-east-1",
    "eventID": "11111111-2222-3333-4444-555555555555",
    "recipientAccountId": "123456789012",
    "userIdentity": {"type": "IAMUser", "userName": "[/]root:x:0"},
}


@pytest.fixture
def events_db(tmp_path: Path, cli: Any) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    with gzip.open(folder / "one.json.gz", "wt") as handle:
        json.dump({"Records": [RECORD]}, handle)
    db = tmp_path / "events.duckdb"
    res = cli(["logs", "ingest", "--source", str(folder), "--db", str(db)])
    assert res.code == 0, res.stderr
    return db


def test_queries_read_the_events(events_db: Path, cli: Any) -> None:
    res = cli(
        ["logs", "query", "SELECT eventName FROM events", "--db", str(events_db), "-o", "json"]
    )
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout) == [{"eventName": "CreateUser"}]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "COPY (SELECT * FROM events) TO '{out}'",
        "ATTACH '{out}' AS other",
        "EXPORT DATABASE '{out}'",
        "INSTALL httpfs",
        "SET enable_external_access = true",
    ],
)
def test_queries_touch_no_file(sql: str, events_db: Path, tmp_path: Path, cli: Any) -> None:
    out = tmp_path / "stolen"
    line = one_line_error(cli(["logs", "query", sql.format(out=out), "--db", str(events_db)]))
    assert line.startswith("trailwarden: error: query failed:"), line
    assert not out.exists()
