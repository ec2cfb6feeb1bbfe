"""One eventTime parser for every path: files, the DuckDB store and Athena's view agree.

A time with a UTC offset (converted or exported data) is the same instant everywhere; a time that
does not parse makes the record undated on every path: in no --start/--end window, counted.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from trailwarden.logs import schema
from trailwarden.logs.athena_sql import view_ddl
from trailwarden.logs.hunts import by_event_names, event_row
from trailwarden.logs.layout import make_scope
from trailwarden.logs.questions import hunt, timeline
from trailwarden.logs.readers import iter_records
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.records import ReadStats, event_time

GRAMMAR_CASES = [
    "2025-03-01T12:00:00Z",
    "2025-03-01T12:00:00+02:00",
    "2025-03-01T12:00:00+0200",
    "2025-03-01T12:00:00+02",
    "2025-03-01T12:00:00-05:30",
    "2025-03-01T12:00:00.5Z",
    "2025-03-01T12:00:00.123456789-00:00",
    "2025-03-01T12:00:00",  # no zone: UTC
    "2025-03-01 12:00:00Z",  # not ISO's T
    "2025-03-01T24:00:00Z",  # DuckDB alone would take it
    "2025-03-01T12:00:00+24:00",
    "2025-02-30T12:00:00Z",
    "2025-13-01T12:00:00Z",
    "2025-03-01",
    "1 March 2025",
    "",
    "2025-03-01T12:00:00ZZ",
]


@pytest.mark.parametrize("text", GRAMMAR_CASES)
def test_duckdb_parses_event_time_like_python(text: str) -> None:
    from trailwarden.trailstore.records import parse_event_time

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    row = con.execute(f"SELECT {schema.event_time_sql('$1::VARCHAR')}", [text]).fetchone()
    con.close()
    want = parse_event_time(text)
    got = row[0] if row else None
    assert got == (want.replace(tzinfo=None) if want else None)


def test_python_parser_keeps_the_instant() -> None:
    from trailwarden.trailstore.records import parse_event_time

    assert parse_event_time("2025-03-01T12:00:00+02:00") == datetime(2025, 3, 1, 10, tzinfo=UTC)
    assert parse_event_time("2025-03-01T12:00:00") == datetime(2025, 3, 1, 12, tzinfo=UTC)
    assert parse_event_time("not a time") is None


def test_athena_view_reads_the_same_grammar_in_utc() -> None:
    ddl = view_ddl("cloudtrail_logs")
    assert "AT TIME ZONE 'UTC'" in ddl
    assert "regexp_like(eventtime" in ddl


def _rec(eid: str, when: str, name: str = "DeleteTrail") -> dict[str, object]:
    return {
        "eventVersion": "1.08",
        "eventTime": when,
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "awsRegion": "eu-west-1",
        "eventID": eid,
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/a"},
        "recipientAccountId": "111122223333",
    }


@pytest.fixture()
def converted(tmp_path: Path) -> Path:
    """A flat folder of converted records: one with an offset, one UTC, one undated."""
    folder = tmp_path / "export"
    folder.mkdir()
    records = [
        _rec("offset", "2025-03-01T12:00:00+02:00"),  # 10:00 UTC
        _rec("utc", "2025-03-01T10:30:00Z"),
        _rec("undated", "yesterday at noon"),
    ]
    (folder / "records.json").write_text(json.dumps(records))
    return folder


def test_offset_time_is_the_same_instant_on_files_and_database(
    converted: Path, tmp_path: Path
) -> None:
    db = tmp_path / "t.duckdb"
    ingest(local_files(converted), db, make_scope())
    con = connect(db, read_only=True)
    stored = dict(con.execute("SELECT eventID, eventTime FROM events").fetchall())
    assert stored["offset"] == datetime(2025, 3, 1, 10, 0)
    window = make_scope(start="2025-03-01T09:55:00Z", end="2025-03-01T10:05:00Z")
    on_db = [r["eventID"] for r in timeline(con, window, 100)]
    db_rows = hunt(con, by_event_names(["DeleteTrail"]), make_scope())
    con.close()
    stats = ReadStats()
    on_files = [r["eventID"] for r in iter_records(local_files(converted), window, stats)]
    assert on_db == on_files == ["offset"]
    # The hunt rows name the same time on both paths.
    file_rows = [event_row(r) for r in iter_records(local_files(converted), make_scope(), stats)]
    times = {r["eventID"]: r["eventTime"] for r in file_rows}
    assert times == {r["eventID"]: r["eventTime"] for r in db_rows}
    assert times["offset"] == "2025-03-01T10:00:00Z"


def test_undated_record_is_in_no_window_on_every_path(converted: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    ingest(local_files(converted), db, make_scope())
    wide = make_scope(start="2000-01-01", end="2099-12-31")
    con = connect(db, read_only=True)
    on_db = {r["eventID"] for r in hunt(con, by_event_names(["DeleteTrail"]), wide)}
    everything = {r["eventID"] for r in hunt(con, by_event_names(["DeleteTrail"]), make_scope())}
    con.close()
    stats = ReadStats()
    on_files = {r["eventID"] for r in iter_records(local_files(converted), wide, stats)}
    assert on_db == on_files == {"offset", "utc"}
    assert stats.outside_window == 1 and getattr(stats, "undated", None) == 1
    assert "undated" in everything  # without a window it is there
    assert event_time({"eventTime": "yesterday at noon"}) is None


def test_database_counts_its_undated_records(converted: Path, tmp_path: Path) -> None:
    from trailwarden.logs.questions import duckdb_runner, undated, undated_note

    db = tmp_path / "t.duckdb"
    ingest(local_files(converted), db, make_scope())
    con = connect(db, read_only=True)
    count = undated(duckdb_runner(con))
    con.close()
    assert count == 1
    assert "1 record(s) without a parseable eventTime" in str(undated_note(count))
    assert undated_note(0) is None


WINDOW = ["--start-time", "2025-03-01T09:00:00Z", "--end-time", "2025-03-01T11:00:00Z"]


@pytest.mark.parametrize("path", ["files", "db"])
def test_commands_say_how_many_undated_records_their_window_left_out(
    converted: Path, tmp_path: Path, cli: object, path: str
) -> None:
    """The count is said in the output, on the files path and on a database alike."""
    where = ["--source", str(converted)]
    if path == "db":
        db = tmp_path / "n.duckdb"
        assert cli(["logs", "ingest", "--source", str(converted), "--db", str(db)]).code == 0  # type: ignore[operator]
        where = ["--db", str(db)]
    timeline_run = cli(["logs", "timeline", *where, *WINDOW, "-o", "json"])  # type: ignore[operator]
    assert timeline_run.code == 0, timeline_run.stderr
    assert "1 record(s) without a parseable eventTime" in timeline_run.stderr
    ids = {r["eventID"] for r in json.loads(timeline_run.stdout)}
    assert ids == {"offset", "utc"}
    replay = cli(["alarms", "replay", *where, *WINDOW, "-o", "json"])  # type: ignore[operator]
    assert "1 record(s) without a parseable eventTime" in replay.stderr, replay.stderr


def test_a_database_path_says_what_it_cannot_give_back(
    converted: Path, tmp_path: Path, cli: object
) -> None:
    from trailwarden.logs.lossless import DATABASE_NOTE

    db = tmp_path / "n.duckdb"
    assert cli(["logs", "ingest", "--source", str(converted), "--db", str(db)]).code == 0  # type: ignore[operator]
    on_db = cli(["alarms", "replay", "--db", str(db), "-o", "json"])  # type: ignore[operator]
    assert DATABASE_NOTE in on_db.stderr.replace("\n", " ")
    on_files = cli(["alarms", "replay", "--source", str(converted), "-o", "json"])  # type: ignore[operator]
    assert DATABASE_NOTE not in on_files.stderr.replace("\n", " ")
