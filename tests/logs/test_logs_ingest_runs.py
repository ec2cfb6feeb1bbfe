"""Ingest runs: a run that stops leaves whole files, the next run completes and deduplicates.

Writers commit every ``store.COMMIT_ROWS`` rows, a file's records together with its ``tw_files``
row, and deduplication runs once per run from the ``tw_state`` watermark.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from trailwarden.errors import TrailwardenError
from trailwarden.logs import staging, store
from trailwarden.logs.layout import Scope
from trailwarden.logs.store import connect, ingest
from trailwarden.trailstore.files import local_files
from trailwarden.trailstore.records import Record


def _write(folder: Path, name: str, recs: list[Record]) -> None:
    (folder / name).write_text(json.dumps({"Records": recs}))


def _tree(tmp_path: Path, stratus: dict[str, list[Record]]) -> tuple[Path, list[Record], int]:
    """A folder whose first two files hold the same events, then one file per technique."""
    folder = tmp_path / "logs"
    folder.mkdir()
    first = stratus["aws.defense-evasion.cloudtrail-stop"]
    _write(folder, "00-a.json", first)
    _write(folder, "01-a-again.json", first)  # the same events delivered twice
    others = [k for k in sorted(stratus) if k != "aws.defense-evasion.cloudtrail-stop"]
    for i, name in enumerate(others):
        _write(folder, f"{i + 2:02d}-{name}.json", stratus[name])
    everything = [r for k in ["aws.defense-evasion.cloudtrail-stop", *others] for r in stratus[k]]
    return folder, everything, len(first)


def _one_batch_per_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(staging, "BATCH_BYTES", 1)  # every file fills a batch
    monkeypatch.setattr(store, "COMMIT_ROWS", 1)  # every batch commits
    monkeypatch.setattr(store, "WRITERS", 1)  # files are written in order


def _files_are_whole(db: Path, *, deduplicated: bool = False) -> list[str]:
    """Names of the files listed as ingested; fails if any listed file lacks rows or vice versa.

    ``records`` counts what was read from the file; a later copy of an event is then dropped.
    """
    con = connect(db, read_only=True)
    listed = con.execute(
        "SELECT file_id, name, records FROM tw_files WHERE status = 'ok' ORDER BY file_id"
    ).fetchall()
    rows = dict(con.execute("SELECT file_id, count(*) FROM tw_records GROUP BY file_id").fetchall())
    names = []
    for fid, name, records in listed:
        if deduplicated:
            assert rows.get(fid, 0) <= records, name
        else:
            assert rows.get(fid, 0) == records, name  # every listed file has exactly its rows
        names.append(name)
    listed_ids = {r[0] for r in con.execute("SELECT file_id FROM tw_files").fetchall()}
    assert set(rows) <= listed_ids  # no rows of a file that is not listed
    con.close()
    return names


def test_a_stopped_run_leaves_whole_files_and_the_next_run_deduplicates_them(
    tmp_path: Path, stratus: dict[str, list[Record]], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, everything, first = _tree(tmp_path, stratus)
    distinct = {str(r["eventID"]) for r in everything}
    db = tmp_path / "t.duckdb"
    _one_batch_per_file(monkeypatch)
    real_insert = store._insert
    calls = {"n": 0}

    def failing(cur: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 4:  # after both copies and one more file committed
            raise duckdb.IOException("IO Error: No space left on device")
        real_insert(cur, paths)

    with monkeypatch.context() as m:
        m.setattr(store, "_insert", failing)
        with pytest.raises(TrailwardenError, match=r"^ingest into .* failed: IO Error: No space"):
            ingest(local_files(folder), db, Scope())
    done = _files_are_whole(db)
    assert [Path(n).name for n in done][:2] == ["00-a.json", "01-a-again.json"]
    assert 2 < len(done) < len(list(folder.iterdir()))
    con = connect(db, read_only=True)
    # The stopped run never reached its dedupe: both copies are still there.
    assert con.execute("SELECT count(*) - count(DISTINCT eventID) FROM tw_records").fetchone() == (
        first,
    )
    con.close()

    again = ingest(local_files(folder), db, Scope())
    assert again.skipped_seen == len(done)
    assert again.stats.duplicates == first  # the earlier run's copies, caught by the watermark
    _files_are_whole(db, deduplicated=True)
    con = connect(db, read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT eventID) FROM events").fetchone() == (
        len(distinct),
        len(distinct),
    )
    # The earliest file's copy is the one kept.
    kept = con.execute(
        "SELECT DISTINCT f.name FROM tw_records r JOIN tw_files f USING (file_id) "
        "WHERE r.eventID IN (SELECT eventID FROM tw_records WHERE file_id = "
        "(SELECT file_id FROM tw_files WHERE name LIKE '%00-a.json'))"
    ).fetchall()
    assert [Path(n).name for (n,) in kept] == ["00-a.json"]


def test_a_failing_writer_stops_the_whole_run(
    tmp_path: Path, trail_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "BATCH_BYTES", 1)
    monkeypatch.setattr(store, "WRITERS", 2)
    real_insert = store._insert
    calls = {"n": 0}

    def failing(cur: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise duckdb.IOException("IO Error: No space left on device")
        real_insert(cur, paths)

    monkeypatch.setattr(store, "_insert", failing)
    db = tmp_path / "t.duckdb"
    with pytest.raises(TrailwardenError, match="No space left"):
        ingest(local_files(trail_tree), db, Scope())
    files = len(list(trail_tree.rglob("*.json.gz")))
    # The other writer stops too instead of loading the remaining files.
    assert files > 20 and calls["n"] <= 6
    # Nothing was committed (both transactions rolled back), so the database this run created
    # is removed rather than left to pass for an empty audit trail.
    assert not db.exists()


def test_several_writers_load_the_same_rows_as_one(
    tmp_path: Path, trail_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staging, "BATCH_BYTES", 20_000)  # many batches shared by the writers

    def load(writers: int) -> list[tuple[Any, ...]]:
        monkeypatch.setattr(store, "WRITERS", writers)
        db = tmp_path / f"w{writers}.duckdb"
        res = ingest(local_files(trail_tree), db, Scope())
        assert res.inserted > 0
        con = connect(db, read_only=True)
        rows = con.execute("SELECT * FROM events ORDER BY eventID").fetchall()
        con.close()
        return rows

    assert load(3) == load(1)


def test_a_database_from_before_the_watermark_is_deduplicated_against(
    tmp_path: Path, stratus: dict[str, list[Record]]
) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    recs = stratus["aws.persistence.iam-backdoor-user"]
    _write(folder, "a.json", recs)
    db = tmp_path / "t.duckdb"
    ingest(local_files(folder), db, Scope())
    con = duckdb.connect(str(db))
    con.execute("DROP TABLE tw_state")  # as written by the version that deduplicated per batch
    con.close()
    _write(folder, "b.json", [*recs, stratus["aws.persistence.iam-create-admin-user"][0]])
    res = ingest(local_files(folder), db, Scope())
    assert (res.stats.files, res.stats.duplicates, res.inserted) == (1, len(recs), 1)
    con = connect(db, read_only=True)
    assert con.execute("SELECT max(deduped_through) FROM tw_state").fetchone() == (2,)


def test_a_corrupt_file_is_listed_with_its_size_and_read_again_only_when_it_changes(
    tmp_path: Path, stratus: dict[str, list[Record]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "WRITERS", 2)
    folder = tmp_path / "logs"
    folder.mkdir()
    _write(folder, "a.json", stratus["aws.persistence.iam-backdoor-user"])
    bad = folder / "b.json"
    bad.write_text('{"Records": [{"eventID": "zz"')
    (folder / "c.json.gz").write_bytes(b"\x1f\x8b\x08\x00 not gzip at all")
    db = tmp_path / "t.duckdb"
    first = ingest(local_files(folder), db, Scope())
    assert sorted((Path(n).name, why.split(":")[0]) for n, why in first.stats.corrupt) == [
        ("b.json", "bad JSON"),
        ("c.json.gz", "bad gzip"),
    ]
    con = connect(db, read_only=True)
    sizes = dict(con.execute("SELECT name, size FROM tw_files WHERE status = 'corrupt'").fetchall())
    con.close()
    assert sizes == {str(bad): bad.stat().st_size, str(folder / "c.json.gz"): 20}
    second = ingest(local_files(folder), db, Scope())
    assert (second.stats.files, second.skipped_seen) == (0, 3)
    bad.write_text(json.dumps({"Records": stratus["aws.persistence.iam-create-admin-user"]}))
    third = ingest(local_files(folder), db, Scope())
    assert (third.stats.files, third.stats.corrupt) == (1, [])
    assert third.inserted == len(stratus["aws.persistence.iam-create-admin-user"])


# A CLI ingest whose reads are slowed, that says when five files were read: the test interrupts
# it there, as Ctrl-C would, wherever the reader and the writers are.
_SLOW_INGEST = """
import os, sys, time
import trailwarden.trailstore.files as files, trailwarden.logs.staging as staging
import trailwarden.logs.store as store
read, count = files.TrailFiles.read, [0]
def slow(self, ref):
    count[0] += 1
    if count[0] == 5:
        open(os.environ["TW_READY"], "w").close()
    time.sleep(0.05)
    return read(self, ref)
files.TrailFiles.read = slow
staging.BATCH_BYTES = 1
store.COMMIT_ROWS = 1
staging.scratch_parent = lambda: os.environ["TW_SCRATCH"]
store.scratch_parent = staging.scratch_parent
from trailwarden.__main__ import main
sys.argv[0] = "trailwarden"
main()
"""


def test_an_interrupted_ingest_exits_cleanly_and_the_next_run_completes(
    tmp_path: Path, trail_tree: Path, all_records: list[Record]
) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    db, ready, scratch = tmp_path / "t.duckdb", tmp_path / "ready", tmp_path / "scratch"
    scratch.mkdir()
    env = {**os.environ, "TW_READY": str(ready), "TW_SCRATCH": str(scratch)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_INGEST, "logs", "ingest", str(trail_tree), "--db", str(db)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(600):
        if ready.exists() or proc.poll() is not None:
            break
        time.sleep(0.05)
    assert ready.exists(), proc.communicate()[1]
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert list(scratch.iterdir()) == []  # the scratch folder was removed, nothing was left
    done = _files_are_whole(db)
    total = len(list(trail_tree.rglob("*.json.gz")))
    assert len(done) < total  # it did stop early
    again = ingest(local_files(trail_tree), db, Scope())
    assert again.skipped_seen == len(done)
    _files_are_whole(db)
    con = connect(db, read_only=True)
    distinct = len({str(r["eventID"]) for r in all_records})
    assert con.execute("SELECT count(*), count(DISTINCT eventID) FROM events").fetchone() == (
        distinct,
        distinct,
    )
