"""Ingest CloudTrail files into an embedded DuckDB database, incrementally and in bounded memory.

Python reads and decompresses (isal) each file into a RAM-backed scratch folder; every
BATCH_BYTES of JSON, DuckDB reads those documents (``read_text``) and its JSON functions type
them (one ``json_transform`` per document, see schema.select_documents), then SQL deduplicates
them; several times faster than parsing in Python. Memory stays
bounded by the batch size whatever the input size. A ``tw_files`` table remembers every
file read (name and size), so a second ingest reads only new files.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from trailwarden.errors import TrailwardenError, UsageError
from trailwarden.logs import schema
from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import FileRef, ReadStats, Source
from trailwarden.logs.staging import (
    Batch,
    by_kind,
    produce,
    records_sql,
    scratch_parent,
    stage,
    unparsable,
    without,
)

TABLE = "tw_records"
# Concurrent inserts per batch: half the machine's cores (the reader thread decompresses the
# next batch meanwhile), within reason. Each runs its statements on its own thread only: a
# statement over read_text gains nothing from DuckDB's worker threads, which cost ~15% more CPU.
PARALLEL = max(1, min(4, (os.cpu_count() or 1) // 2))
# Document kinds typed whole by one json_transform (schema.select_documents); the others are split
# into records first. Emptied by the equality test to run the split path on everything.
WHOLE_DOCUMENT_KINDS = frozenset({"records", "array"})
# JSON text per INSERT statement: DuckDB holds the parsed documents of a whole vector (up to
# 2,048 files) at once, several times the text's size, so each part is inserted in runs of
# about this much text, all in one transaction.
STATEMENT_BYTES = 16 * 1024 * 1024

_FILES_DDL = (
    "CREATE TABLE IF NOT EXISTS tw_files (file_id INTEGER, name VARCHAR, size BIGINT, "
    "records BIGINT, status VARCHAR, reason VARCHAR, ingested_at TIMESTAMP)"
)


@dataclass
class IngestResult:
    stats: ReadStats = field(default_factory=ReadStats)
    skipped_seen: int = 0  # files already ingested by an earlier run
    inserted: int = 0
    seconds: float = 0.0


def connect(db: Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a query command on a missing database is a usage error."""
    if read_only and not db.exists():
        raise UsageError(f"database {db} does not exist: run `trailwarden logs ingest` first")
    try:
        con = duckdb.connect(str(db), read_only=read_only)
    except duckdb.Error as exc:
        raise UsageError(f"cannot open database {db}: {exc}") from None
    # Bounded memory whatever the input size; insertion order does not matter for an audit log.
    con.execute("SET preserve_insertion_order = false")
    # CloudTrail times are UTC; never let the machine's zone shift them.
    con.execute("SET TimeZone = 'UTC'")
    if read_only:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if TABLE not in tables:
            raise UsageError(f"{db} is not a trailwarden logs database")
    return con


def init(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_FILES_DDL)
    con.execute(schema.table_ddl(TABLE))
    con.execute(schema.events_view(TABLE))


def ingest(
    source: Source,
    db: Path,
    scope: Scope,
    on_file: Callable[[FileRef, int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    memory_limit: str = "1GB",
) -> IngestResult:
    """Load every unseen file of ``source`` into ``db``; return counts for the summary."""
    try:
        return _ingest(source, db, scope, on_file, on_batch, memory_limit)
    except duckdb.Error as exc:
        # Disk full, a database locked by another process, a damaged database file...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TrailwardenError(f"ingest into {db} failed: {first}") from None


def _ingest(
    source: Source,
    db: Path,
    scope: Scope,
    on_file: Callable[[FileRef, int], None] | None,
    on_batch: Callable[[int], None] | None,
    memory_limit: str,
) -> IngestResult:
    started = time.perf_counter()
    result = IngestResult()
    con = connect(db)
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET threads = 1")
    init(con)
    seen = {(n, s) for n, s in con.execute("SELECT name, size FROM tw_files").fetchall()}
    top = con.execute("SELECT coalesce(max(file_id), 0) FROM tw_files").fetchone()
    next_id = int(top[0] if top else 0) + 1

    class _Unseen:
        def files(self, sc: Scope) -> Any:
            for ref in source.files(sc):
                if (ref.name, ref.size) in seen:
                    result.skipped_seen += 1
                    continue
                yield ref

        def read(self, ref: FileRef) -> bytes:
            return source.read(ref)

    ids = itertools.count(next_id)
    with tempfile.TemporaryDirectory(prefix="trailwarden-", dir=scratch_parent()) as tmp:
        # Reading and decompressing (Python, isal releases the GIL) overlaps DuckDB's insert of
        # the previous batch; at most two batches exist at once, so memory stays bounded.
        batches: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)
        worker = threading.Thread(
            target=produce,
            args=(_Unseen(), scope, result.stats, on_file, Path(tmp), ids, batches),
            daemon=True,
        )
        worker.start()
        reported = 0
        marked: set[str] = set()  # corrupt files already in tw_files (by _flush or here)
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            # Files the reader could not decompress or decode: remember them, listed once.
            corrupt = list(result.stats.corrupt)
            for name, reason in corrupt[reported:]:
                if name not in marked:
                    _mark(con, next(ids), name, -1, "corrupt", reason)
                    marked.add(name)
            reported = len(corrupt)
            if item is None:
                break
            _flush(con, item, result, on_batch, marked)
        worker.join()
    con.execute("CHECKPOINT")
    con.close()
    result.seconds = time.perf_counter() - started
    return result


def _mark(
    con: duckdb.DuckDBPyConnection, fid: int, name: str, size: int, status: str, reason: str
) -> None:
    con.execute(
        "INSERT INTO tw_files VALUES (?, ?, ?, 0, ?, ?, now())", [fid, name, size, status, reason]
    )


def _flush(
    con: duckdb.DuckDBPyConnection,
    batch: Batch,
    result: IngestResult,
    on_batch: Callable[[int], None] | None,
    marked: set[str],
) -> None:
    if not batch.files:
        return
    first = min(batch.files)
    # DuckDB runs a read_text scan on one thread, so the batch is split and the parts inserted
    # concurrently, each on its own cursor and transaction (appends do not conflict). If the run
    # stops before tw_files is written, those files are read again and deduplicated then.
    parts = [(batch.paths[i::PARALLEL], batch.sizes[i::PARALLEL]) for i in range(PARALLEL)]
    bad: set[int] = set()
    errors: list[BaseException] = []

    def work(paths: list[str], sizes: list[int]) -> None:
        try:
            bad.update(_insert_part(con.cursor(), paths, sizes))
        except BaseException as exc:  # re-raised below, in the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=work, args=p) for p in parts if p[0]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    con.execute("BEGIN")
    counts = {
        int(fid): int(n)
        for fid, n in con.execute(
            f"SELECT file_id, count(*) FROM {TABLE} WHERE file_id >= ? GROUP BY ALL", [first]
        ).fetchall()
    }
    duplicates = _dedupe(con, first)
    total = sum(counts.values())
    result.inserted += total - duplicates
    result.stats.records += total
    result.stats.duplicates += duplicates
    rows: list[tuple[int, str, int, int, str, str | None]] = []
    for fid, ref in batch.files.items():
        if fid in bad:
            marked.add(ref.name)
            result.stats.corrupt.append((ref.name, "bad JSON"))
            rows.append((fid, ref.name, ref.size, 0, "corrupt", "bad JSON"))
        else:
            rows.append((fid, ref.name, ref.size, counts.get(fid, 0), "ok", None))
    # One statement for the batch's files: executemany runs a statement per row (~0.5 ms each).
    cols = [list(c) for c in zip(*rows, strict=True)]
    con.execute(
        "INSERT INTO tw_files SELECT unnest($1), unnest($2), unnest($3), unnest($4), unnest($5), "
        "unnest($6::VARCHAR[]), now()",
        cols,
    )
    con.execute("COMMIT")
    batch.clear()
    if on_batch is not None:
        on_batch(total)


def _slices(paths: list[str], sizes: list[int]) -> list[list[str]]:
    """Cut a part into runs of about STATEMENT_BYTES of JSON text, in order."""
    out: list[list[str]] = []
    run: list[str] = []
    nbytes = 0
    for path, size in zip(paths, sizes, strict=True):
        if run and nbytes + size > STATEMENT_BYTES:
            out.append(run)
            run, nbytes = [], 0
        run.append(path)
        nbytes += size
    return [*out, run] if run else out


def _insert_part(cur: duckdb.DuckDBPyConnection, paths: list[str], sizes: list[int]) -> set[int]:
    """Insert the records of these scratch files; return the ids of files that do not parse."""
    slices = _slices(paths, sizes)
    cur.execute("BEGIN")
    try:
        for run in slices:
            _insert(cur, run)
        cur.execute("COMMIT")
        return set()
    except duckdb.InvalidInputException:
        # Optimistic: corrupt files are rare, so only now find them (one more parse) and retry
        # without them; a file whose document does not parse is skipped whole, and listed.
        cur.execute("ROLLBACK")
    # In runs too: json_valid parses whole documents as well.
    bad = {fid for run in slices for fid in unparsable(cur, run)}
    cur.execute("BEGIN")
    for run in slices:
        _insert(cur, without(run, bad))
    cur.execute("COMMIT")
    return bad


def _insert(cur: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    groups = by_kind(paths)
    if not groups:
        return
    params = {kind: i + 1 for i, kind in enumerate(groups)}
    # Lists of records (what CloudTrail delivers, event-history exports, JSON lines) are typed
    # whole; single records and odd shapes are split first (select_typed, same columns).
    parts = [
        schema.select_documents(stage(params[kind]), kind)
        for kind in params
        if kind in WHOLE_DOCUMENT_KINDS
    ]
    if split := {k: i for k, i in params.items() if k not in WHOLE_DOCUMENT_KINDS}:
        parts.append(schema.select_typed(records_sql(split)))
    rows = " UNION ALL ".join(f"SELECT * FROM ({part})" for part in parts)
    # Objects that are not CloudTrail records (no eventName, no eventID) are not events.
    cur.execute(
        f"INSERT INTO {TABLE} SELECT * FROM ({rows}) "
        'WHERE "eventName" IS NOT NULL OR eventID IS NOT NULL',
        list(groups.values()),
    )


def _dedupe(con: duckdb.DuckDBPyConnection, first: int) -> int:
    """Keep each eventID once (the earliest file's copy); return how many rows were dropped.

    Done after the insert on the narrow (rowid, eventID, file_id) columns: far cheaper than a
    window or anti-join over whole wide rows before it.
    """
    row = con.execute(
        f"DELETE FROM {TABLE} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() "
        "OVER (PARTITION BY eventID ORDER BY file_id, rowid) AS n "
        f"FROM {TABLE} WHERE eventID IN (SELECT eventID FROM {TABLE} WHERE file_id >= ? "
        "AND eventID IS NOT NULL)) WHERE n > 1)",
        [first],
    ).fetchone()
    return int(row[0]) if row else 0


def _prune(value: Any) -> Any:
    """Drop NULL members of typed STRUCTs: in the typed columns NULL means "not there"."""
    if isinstance(value, dict):
        out = {k: _prune(v) for k, v in value.items() if v is not None}
        return {k: v for k, v in out.items() if v != {}}
    return value


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        elif value != {}:
            base[key] = value


def iter_db_records(con: duckdb.DuckDBPyConnection, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Rebuild each stored event as a CloudTrail record dict (for Sigma and alarm replay).

    JSON members come back exactly (present-but-null stays null, missing stays missing); typed
    members that are NULL are left out; ``extra`` restores fields the columns do not hold.
    """
    cur = con.execute(f"SELECT * EXCLUDE (file_id) FROM {TABLE} ORDER BY eventTime, eventID")
    names = [d[0] for d in cur.description or []]
    json_cols = set(schema.JSON_COLUMNS)
    while rows := cur.fetchmany(chunk):
        for row in rows:
            rec: dict[str, Any] = {}
            extra = None
            for name, value in zip(names, row, strict=True):
                if name == "extra":
                    extra = value
                elif value is None:
                    continue
                elif name in json_cols:
                    rec[name] = json.loads(value)
                elif name == "eventTime":
                    rec[name] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
                else:
                    pruned = _prune(value)
                    if pruned != {}:
                        rec[name] = pruned
            if extra is not None:
                _merge(rec, json.loads(extra))
            yield rec
