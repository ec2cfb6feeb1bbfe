"""Ingest: the typed schema and the `events` view, incremental runs, corrupt and duplicate files."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import duckdb

from trailwarden.logs.layout import Scope
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.fixtures import write_layout
from trailwarden.trailstore.records import Record


def _ids(recs: list[Record]) -> set[str]:
    return {str(r["eventID"]) for r in recs}


def test_ingest_loads_every_distinct_event(trail_db: Path, all_records: list[Record]) -> None:
    con = connect(trail_db, read_only=True)
    got = {r[0] for r in con.execute("SELECT eventID FROM events").fetchall()}
    assert got == _ids(all_records)
    assert con.execute("SELECT count(*) FROM events").fetchone() == (len(_ids(all_records)),)


def test_events_view_keeps_cloudtrail_names_and_nesting(
    trail_db: Path, stratus: dict[str, list[Record]]
) -> None:
    con = connect(trail_db, read_only=True)
    stop = stratus["aws.defense-evasion.cloudtrail-stop"][0]
    row = con.execute(
        "SELECT userIdentity.arn, useridentity.accesskeyid, eventTime, typeof(eventTime), readOnly,"
        " json_extract_string(requestParameters, '$.name'), tlsDetails.tlsVersion "
        "FROM events WHERE eventID = ?",
        [stop["eventID"]],
    ).fetchone()
    assert row is not None
    arn, key, when, kind, ro, name, tls = row
    assert arn == stop["userIdentity"]["arn"] and key == stop["userIdentity"]["accessKeyId"]
    assert when.strftime("%Y-%m-%dT%H:%M:%SZ") == stop["eventTime"] and kind == "TIMESTAMP"
    assert ro is stop["readOnly"]
    assert name == stop["requestParameters"]["name"]
    assert tls == stop["tlsDetails"]["tlsVersion"]
    # The role-session issuer is a typed, nested member too.
    roles = {
        r["userIdentity"]["sessionContext"]["sessionIssuer"]["arn"]
        for recs in stratus.values()
        for r in recs
        if r["userIdentity"].get("type") == "AssumedRole"
    }
    got = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT userIdentity.sessionContext.sessionIssuer.arn FROM events "
            "WHERE userIdentity.type = 'AssumedRole' AND recipientAccountId != '123456789123'"
        ).fetchall()
    }
    assert got == roles


def test_null_and_missing_members_stay_distinct(trail_db: Path, all_records: list[Record]) -> None:
    con = connect(trail_db, read_only=True)
    null_ids = {
        r["eventID"]
        for r in all_records
        if "requestParameters" in r and r["requestParameters"] is None
    }
    missing_ids = {r["eventID"] for r in all_records if "requestParameters" not in r}
    assert null_ids  # the datasets have both cases (ConsoleLogin has a null)
    got_null = {
        r[0]
        for r in con.execute(
            "SELECT eventID FROM events WHERE requestParameters = 'null'"
        ).fetchall()
    }
    got_missing = {
        r[0]
        for r in con.execute(
            "SELECT eventID FROM events WHERE requestParameters IS NULL"
        ).fetchall()
    }
    assert got_null == null_ids
    assert got_missing == missing_ids


def test_logstash_timestamp_becomes_event_time(trail_db: Path, otrf: list[Record]) -> None:
    con = connect(trail_db, read_only=True)
    assert con.execute(
        "SELECT count(*) FROM events "
        "WHERE recipientAccountId = '123456789123' AND eventTime IS NULL"
    ).fetchone() == (0,)
    assert con.execute(
        "SELECT min(eventTime)::VARCHAR FROM events WHERE recipientAccountId = '123456789123'"
    ).fetchone() == (min(r["@timestamp"] for r in otrf)[:19].replace("T", " "),)


def test_second_ingest_reads_only_new_files(tmp_path: Path, trail_tree: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(trail_tree, tree)
    db = tmp_path / "t.duckdb"
    first = ingest(local_files(tree), db, Scope())
    assert first.stats.files > 1 and first.skipped_seen == 0
    second = ingest(local_files(tree), db, Scope())
    assert second.stats.files == 0 and second.skipped_seen == first.stats.files
    assert second.inserted == 0
    new = {
        "eventID": "new-1",
        "eventTime": "2025-01-01T00:00:00Z",
        "eventName": "DeleteTrail",
        "eventSource": "cloudtrail.amazonaws.com",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111111111111",
        "userIdentity": {"type": "Root"},
    }
    write_layout([new], tree)
    third = ingest(local_files(tree), db, Scope())
    assert (third.stats.files, third.inserted) == (1, 1)


def test_corrupt_and_duplicate_files(tmp_path: Path, stratus: dict[str, list[Record]]) -> None:
    recs = stratus["aws.credential-access.ec2-get-password-data"]
    body = gzip.compress(json.dumps({"Records": recs}).encode())
    (tmp_path / "a.json.gz").write_bytes(body)
    (tmp_path / "b-copy.json.gz").write_bytes(body)  # the same events delivered twice
    (tmp_path / "c-truncated.json.gz").write_bytes(body[:-40])
    (tmp_path / "d-bad.json").write_text('{"Records": [{"eventID": "zz"')
    db = tmp_path / "t.duckdb"
    res = ingest(local_files(tmp_path), db, Scope())
    assert res.inserted == len(_ids(recs))
    assert res.stats.duplicates == len(recs)
    assert sorted(Path(n).name for n, _ in res.stats.corrupt) == [
        "c-truncated.json.gz",
        "d-bad.json",
    ]
    con = duckdb.connect(str(db), read_only=True)
    listed = con.execute("SELECT name, status FROM tw_files").fetchall()
    assert len(listed) == 4  # each file once, corrupt ones included
    statuses = dict(listed)
    assert statuses[str(tmp_path / "d-bad.json")] == "corrupt"
    assert statuses[str(tmp_path / "a.json.gz")] == "ok"


def test_batches_do_not_change_the_result(
    tmp_path: Path, trail_tree: Path, monkeypatch: Any, all_records: list[Record]
) -> None:
    import trailwarden.logs.staging as staging

    monkeypatch.setattr(staging, "BATCH_BYTES", 10_000)  # many small batches
    db = tmp_path / "t.duckdb"
    ingest(local_files(trail_tree), db, Scope())
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT eventID) FROM events").fetchone() == (
        len(_ids(all_records)),
        len(_ids(all_records)),
    )


def test_cli_ingest_json_summary_and_errors(cli: Any, tmp_path: Path, trail_tree: Path) -> None:
    db = tmp_path / "c.duckdb"
    res = cli(["logs", "ingest", str(trail_tree), "--db", str(db), "-o", "json"])
    assert res.code == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["inserted"] > 0 and doc["corrupt_files"] == []
    res = cli(["logs", "ingest", str(tmp_path / "missing"), "--db", str(db)])
    assert res.code == 2 and res.stderr.startswith("trailwarden: error:")
    assert "Traceback" not in res.stderr
    res = cli(["logs", "ingest", str(trail_tree), "--db", str(db), "--start", "nonsense"])
    assert res.code == 2 and "invalid time" in res.stderr


def test_fields_the_schema_does_not_know_are_kept(tmp_path: Path) -> None:
    """Whatever the eventVersion: a newer one, or a known one with a member the schema lacks."""
    newer = {
        "eventVersion": "1.12",
        "eventID": "v112",
        "eventTime": "2026-01-01T00:00:00Z",
        "eventName": "GetObject",
        "brandNewField": {"a": [1, None]},
        "requestParameters": {"bucketName": "b"},
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::1:user/x", "newMember": "y"},
    }
    known = {**newer, "eventVersion": "1.09", "eventID": "v109"}
    plain = {k: v for k, v in known.items() if k != "brandNewField"}
    plain["eventID"], plain["userIdentity"] = "plain", {"type": "IAMUser"}
    (tmp_path / "x.json").write_text(json.dumps([newer, known, plain]))
    db = tmp_path / "t.duckdb"
    ingest(local_files(tmp_path), db, Scope())
    con = duckdb.connect(str(db), read_only=True)
    extra = dict(con.execute("SELECT eventID, extra FROM tw_records").fetchall())
    for eid, source in (("v112", newer), ("v109", known)):
        kept = json.loads(extra[eid])
        # The record as delivered, without the JSON columns (they are exact on their own).
        assert kept == {k: v for k, v in source.items() if k != "requestParameters"}
    assert extra["plain"] is None  # held exactly by the typed columns: not stored twice
