"""Ingest CloudTrail files into an embedded DuckDB database, incrementally and in bounded memory.

A reader thread reads and decompresses (isal) each file into a RAM-backed scratch folder, in
batches of about BATCH_BYTES of JSON; one writer thread per core takes whole batches and has
DuckDB read those documents (``read_text``) and type them with its JSON functions (one
``json_transform`` per document, see schema.select_documents), several times faster than
parsing in Python. Each run ends with one SQL deduplication. Memory stays bounded by a few
batches whatever the input size. A ``tw_files`` table remembers every file read (name and
size), so a second ingest reads only new files.
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

from trailwarden.concurrency import get, put
from trailwarden.errors import TrailwardenError, UsageError
from trailwarden.logs import schema
from trailwarden.logs.interrupt import interrupt, run_off_main
from trailwarden.logs.layout import Scope
from trailwarden.logs.staging import (
    Batch,
    by_kind,
    file_id,
    produce,
    records_sql,
    scratch_parent,
    stage,
    unparsable,
)
from trailwarden.trailstore.files import FileRef
from trailwarden.trailstore.records import Files, ReadStats

TABLE = "tw_records"
# Writers: one per core. Each inserts whole batches on its own cursor and its own thread only (a
# statement over read_text gains nothing from DuckDB's worker threads); the reader thread
# decompresses the next batches meanwhile, in the time the GIL is free.
WRITERS = max(1, min(4, os.cpu_count() or 1))
# Rows per transaction before a writer commits: several DuckDB row groups (122,880 rows), so
# nearly every row is written once, compressed, straight to the database file. A commit of less
# than a row group goes through the WAL and a checkpoint that recompresses the table's last row
# group: 128 MB commits cost ~1.7 CPU s per GB more than one transaction.
COMMIT_ROWS = 8 * 122_880
# Document kinds typed whole by one json_transform (schema.select_documents); the others are split
# into records first. Emptied by the equality test to run the split path on everything.
WHOLE_DOCUMENT_KINDS = frozenset({"records", "array"})
# JSON text per INSERT statement: DuckDB holds the parsed documents of a whole vector (up to
# 2,048 files) at once, several times the text's size, so each batch is inserted in runs of
# about this much text.
STATEMENT_BYTES = 16 * 1024 * 1024

_FILES_DDL = (
    "CREATE TABLE IF NOT EXISTS tw_files (file_id INTEGER, name VARCHAR, size BIGINT, "
    "records BIGINT, status VARCHAR, reason VARCHAR, ingested_at TIMESTAMP)"
)
# Files up to ``deduped_through`` have been deduplicated against everything before them; a run
# that stopped before its dedupe leaves the watermark behind, and the next run catches up.
_STATE_DDL = "CREATE TABLE IF NOT EXISTS tw_state (deduped_through INTEGER)"


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
    # DuckDB draws its own bar on stdout for a statement over 2 s, into a pipe or a file too,
    # between the rows a user redirects: progress is the CLI's to draw, on a terminal only.
    con.execute("SET enable_progress_bar = false")
    # Bounded memory whatever the input size; insertion order does not matter for an audit log.
    con.execute("SET preserve_insertion_order = false")
    # CloudTrail times are UTC; never let the machine's zone shift them.
    con.execute("SET TimeZone = 'UTC'")
    if read_only:
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        if TABLE not in tables:
            raise UsageError(f"{db} is not a trailwarden logs database")
        sandbox(con)
    return con


def sandbox(con: duckdb.DuckDBPyConnection) -> None:
    """Confine a questioning connection to its database: every query command (and the SQL a
    user types into ``logs query``) can read the audit trail and nothing else. No file is
    read or written (``read_text``, ``COPY ... TO``, ``ATTACH``, ``INSTALL``, ``EXPORT``
    are refused), and the configuration is locked so a query cannot turn it back on."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def init(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(_FILES_DDL)
    con.execute(schema.table_ddl(TABLE))
    con.execute(schema.events_view(TABLE))
    con.execute(_STATE_DDL)
    if _one(con, "SELECT count(*) FROM tw_state") == 0:
        # A database from before the watermark was deduplicated batch by batch: all of it.
        con.execute("INSERT INTO tw_state SELECT coalesce(max(file_id), 0) FROM tw_files")


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def ingest(
    source: Files,
    db: Path,
    scope: Scope,
    on_file: Callable[[FileRef, int], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    memory_limit: str = "1GB",
) -> IngestResult:
    """Load every unseen file of ``source`` into ``db``; return counts for the summary.

    A run that fails on a database it created, before any file was committed, removes it
    again: an empty database left behind would later pass for an ingested (and empty) audit
    trail. Files already committed stay, so the next run resumes.
    """
    created = not db.exists()
    try:
        return _ingest(source, db, scope, on_file, on_batch, memory_limit)
    except duckdb.Error as exc:
        # Disk full, a database locked by another process, a damaged database file...
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        if created:
            _remove_if_empty(db)
        raise TrailwardenError(f"ingest into {db} failed: {first}") from None
    except Exception:
        if created:
            _remove_if_empty(db)
        raise


def _remove_if_empty(db: Path) -> None:
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            tables = {
                r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
            }
            committed = _one(con, "SELECT count(*) FROM tw_files") if "tw_files" in tables else 0
        finally:
            con.close()
    except duckdb.Error:
        return  # not readable as a database: leave it for the user to look at
    if committed == 0:
        for path in (db, db.with_name(db.name + ".wal")):
            path.unlink(missing_ok=True)


class _Unseen:
    """The source without the files an earlier run ingested (same name and size)."""

    def __init__(self, source: Files, seen: set[tuple[str, int]], result: IngestResult) -> None:
        self.source, self.seen, self.result = source, seen, result
        self.reads_in_flight = source.reads_in_flight

    def files(self, scope: Scope) -> Iterator[FileRef]:
        for ref in self.source.files(scope):
            if (ref.name, ref.size) in self.seen:
                self.result.skipped_seen += 1
                continue
            yield ref

    def read(self, ref: FileRef) -> bytes:
        return self.source.read(ref)


class _Cancel:
    """How the main thread stops an ingest running on its worker thread: the run's stop events
    (its threads watch them) and the DuckDB connections whose running statement it interrupts."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self._lock = threading.Lock()
        self._connections: list[duckdb.DuckDBPyConnection] = []
        self._stops: list[threading.Event] = []

    def watch(
        self, *connections: duckdb.DuckDBPyConnection, stop: threading.Event | None = None
    ) -> None:
        with self._lock:
            self._connections.extend(connections)
            self._stops.extend([stop] if stop is not None else [])
            cancelled = self.cancelled.is_set()
        if cancelled:  # cancelled while these were being opened
            self._stop(list(connections), [stop] if stop is not None else [])

    def check(self) -> None:
        """Before each long statement: a cancelled run starts nothing new."""
        if self.cancelled.is_set():
            raise KeyboardInterrupt

    def interrupt(self) -> None:
        with self._lock:
            self.cancelled.set()
            connections, stops = list(self._connections), list(self._stops)
        self._stop(connections, stops)

    @staticmethod
    def _stop(connections: list[duckdb.DuckDBPyConnection], stops: list[threading.Event]) -> None:
        for stop in stops:
            stop.set()
        for connection in connections:
            interrupt(connection)


def _ingest(
    source: Files,
    db: Path,
    scope: Scope,
    on_file: Callable[[FileRef, int], None] | None,
    on_batch: Callable[[int], None] | None,
    memory_limit: str,
) -> IngestResult:
    """Run the ingest on a worker thread while the main thread only waits for it
    (``logs.interrupt``: why Ctrl-C must not meet DuckDB or ``Thread.join`` on the main thread).
    Ctrl-C cancels the run: every thread sees ``stop``, every statement is interrupted, the
    writers roll back and the connection closes before KeyboardInterrupt is raised."""
    cancel = _Cancel()
    return run_off_main(
        lambda: _ingest_on(cancel, source, db, scope, on_file, on_batch, memory_limit),
        cancel.interrupt,
    )


def _ingest_on(
    cancel: _Cancel,
    source: Files,
    db: Path,
    scope: Scope,
    on_file: Callable[[FileRef, int], None] | None,
    on_batch: Callable[[int], None] | None,
    memory_limit: str,
) -> IngestResult:
    started = time.perf_counter()
    result = IngestResult()
    con = connect(db)
    cancel.watch(con)
    try:
        con.execute(f"SET memory_limit = '{memory_limit}'")
        con.execute("SET threads = 1")
        init(con)
        _load(con, source, scope, result, on_file, on_batch, cancel)
        cancel.check()
        result.stats.duplicates += _dedupe(con)
        result.inserted = result.stats.records - result.stats.duplicates
        cancel.check()
        con.execute("CHECKPOINT")
    finally:
        con.close()  # also after a failure: the same process may open the database again
    result.seconds = time.perf_counter() - started
    return result


def _load(
    con: duckdb.DuckDBPyConnection,
    source: Files,
    scope: Scope,
    result: IngestResult,
    on_file: Callable[[FileRef, int], None] | None,
    on_batch: Callable[[int], None] | None,
    cancel: _Cancel,
) -> None:
    """Read every unseen file and insert its records, one writer thread per core."""
    seen = {(n, s) for n, s in con.execute("SELECT name, size FROM tw_files").fetchall()}
    ids = itertools.count(_one(con, "SELECT max(file_id) FROM tw_files") + 1)
    checker = duckdb.connect()  # the reader thread's own, for json_valid
    stop = threading.Event()  # set when the run is cancelled or fails, and when it ends

    def vet(batch: Batch) -> None:
        # Found before a writer sees the batch: a failed statement would abort the writer's
        # whole transaction (several batches). One more parse, on the reader's thread.
        if bad := unparsable(checker, batch.paths):
            result.stats.corrupt.extend((name, "bad JSON") for name in batch.drop(bad, "bad JSON"))

    with tempfile.TemporaryDirectory(prefix="trailwarden-", dir=scratch_parent()) as tmp:
        # At most WRITERS batches are being inserted, one waits and one fills: memory stays
        # bounded by a few batches whatever the input size.
        batches: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)
        reader = threading.Thread(
            target=produce,
            args=(_Unseen(source, seen, result), scope, result.stats, on_file, Path(tmp), ids),
            kwargs={"out": batches, "vet": vet, "stop": stop},
            daemon=True,
        )
        reader.start()
        writers = [_Writer(con.cursor(), result, on_batch, stop) for _ in range(WRITERS)]
        cancel.watch(*(w.cur for w in writers), stop=stop)
        threads = [threading.Thread(target=w.run, args=(batches,)) for w in writers]
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        finally:  # every thread stops before the scratch folder goes
            stop.set()
            reader.join()
    checker.close()
    for w in writers:
        w.cur.close()
    failures = [w.error for w in writers if w.error is not None]
    if failures:
        raise failures[0]


class _Writer:
    """Inserts batches from the queue on its own cursor, committing every COMMIT_ROWS rows.

    A file's records and its ``tw_files`` row commit together, so a run that stops anywhere
    leaves only whole files behind: the next run reads exactly the files not listed.
    """

    _lock = threading.Lock()  # the shared counters

    def __init__(
        self,
        cur: duckdb.DuckDBPyConnection,
        result: IngestResult,
        on_batch: Callable[[int], None] | None,
        stop: threading.Event,
    ) -> None:
        self.cur, self.result, self.on_batch, self.stop = cur, result, on_batch, stop
        self.open = False  # a transaction is open
        self.pending = 0  # rows inserted in it
        self.error: BaseException | None = None

    def run(self, batches: queue.Queue[Batch | BaseException | None]) -> None:
        while True:
            item = get(batches, self.stop)
            if item is None or isinstance(item, BaseException):
                put(batches, item, self.stop)  # for the other writers
                if isinstance(item, BaseException) and self.error is None:
                    self.error = item
                break
            try:
                if self.error is None and not self.stop.is_set():
                    self.write(item)
            except BaseException as exc:  # re-raised by the main thread; keep draining
                self.error = exc
                self.stop.set()  # the whole run stops: disk full, a damaged database...
                if self.open:
                    self.cur.execute("ROLLBACK")
                    self.open = False
            finally:
                item.clear()
        if self.open and (self.error is not None or self.stop.is_set()):
            self.cur.execute("ROLLBACK")  # interrupted: these files are read again next time
        elif self.open:
            self.cur.execute("COMMIT")

    def write(self, batch: Batch) -> None:
        ids = [*batch.files, *batch.corrupt]
        if not ids:
            return
        if not self.open:
            self.cur.execute("BEGIN")
            self.open, self.pending = True, 0
        for run in _slices(batch.paths, batch.sizes):
            _insert(self.cur, run)
        counts = dict(
            self.cur.execute(
                f"SELECT file_id, count(*) FROM {TABLE} WHERE file_id BETWEEN ? AND ? GROUP BY ALL",
                [min(ids), max(ids)],
            ).fetchall()
        )
        rows: list[tuple[int, str, int, int, str, str | None]] = [
            (f, r.name, r.size, int(counts.get(f, 0)), "ok", None) for f, r in batch.files.items()
        ]
        rows += [(f, r.name, r.size, 0, "corrupt", why) for f, (r, why) in batch.corrupt.items()]
        # One statement for the batch's files: executemany runs a statement per row (~0.5 ms each).
        cols = [list(c) for c in zip(*rows, strict=True)]
        self.cur.execute(
            "INSERT INTO tw_files SELECT unnest($1), unnest($2), unnest($3), unnest($4), "
            "unnest($5), unnest($6::VARCHAR[]), now()",
            cols,
        )
        total = sum(counts.values())
        self.pending += max(total, 1)
        if self.pending >= COMMIT_ROWS:
            self.cur.execute("COMMIT")
            self.open = False
        with self._lock:
            self.result.stats.records += total
        if self.on_batch is not None:
            self.on_batch(total)


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
    _insert_rows(cur, rows, list(groups.values()))
    whole = [p for kind in WHOLE_DOCUMENT_KINDS for p in groups.get(kind, [])]
    if whole:
        _refill(cur, whole)


def _insert_rows(cur: duckdb.DuckDBPyConnection, rows: str, params: list[Any]) -> None:
    # Objects that are not CloudTrail records (no eventName, no eventID) are not events, and
    # Insights events are not API calls (records.is_insight): both stay out of the table.
    cur.execute(
        f"INSERT INTO {TABLE} SELECT * FROM ({rows}) "
        'WHERE ("eventName" IS NOT NULL OR eventID IS NOT NULL) '
        "AND \"eventCategory\" IS DISTINCT FROM 'Insight'",
        params,
    )


def _refill(cur: duckdb.DuckDBPyConnection, paths: list[str]) -> None:
    """Type again, record by record, the documents holding a record the typed columns do not
    hold exactly (schema.REFILL): there each record's own text is at hand for ``extra``.

    Rare in CloudTrail's own files (only such records pay), so the whole-document typing keeps
    its speed; a converted export where every record needs it costs the split path's time.
    """
    ids = [file_id(p) for p in paths]
    found = cur.execute(
        f"SELECT DISTINCT file_id FROM {TABLE} WHERE file_id BETWEEN ? AND ? "
        "AND extra IS NOT NULL AND list_contains(?, file_id)",
        [min(ids), max(ids), ids],
    ).fetchall()
    if not found:
        return
    again = {int(fid) for (fid,) in found}
    cur.execute(f"DELETE FROM {TABLE} WHERE list_contains(?, file_id)", [sorted(again)])
    groups = by_kind(p for p in paths if file_id(p) in again)
    params = {kind: i + 1 for i, kind in enumerate(groups)}
    _insert_rows(cur, schema.select_typed(records_sql(params)), list(groups.values()))


def _dedupe(con: duckdb.DuckDBPyConnection) -> int:
    """Keep each eventID once (the earliest file's copy); return how many rows were dropped.

    Once per run, for every file after the watermark, on the narrow (rowid, eventID, file_id)
    columns: far cheaper than a window or anti-join over whole wide rows before the insert.
    """
    through = _one(con, "SELECT max(deduped_through) FROM tw_state")
    con.execute("BEGIN")
    row = con.execute(
        f"DELETE FROM {TABLE} WHERE rowid IN (SELECT rowid FROM (SELECT rowid, row_number() "
        "OVER (PARTITION BY eventID ORDER BY file_id, rowid) AS n "
        f"FROM {TABLE} WHERE eventID IN (SELECT eventID FROM {TABLE} WHERE file_id > ? "
        "AND eventID IS NOT NULL)) WHERE n > 1)",
        [through],
    ).fetchone()
    con.execute("UPDATE tw_state SET deduped_through = (SELECT max(file_id) FROM tw_files)")
    con.execute("COMMIT")
    return int(row[0]) if row else 0


def _prune(value: Any, shape: Any) -> Any:
    """A typed value as the record held it: NULL members of STRUCTs left out (in the typed
    columns NULL means "not there"; an object that was there stays, even empty) and JSON
    members parsed."""
    if isinstance(value, dict) and isinstance(shape, dict):
        return {k: _prune(v, shape.get(k)) for k, v in value.items() if v is not None}
    if shape == "JSON" and isinstance(value, str):
        return json.loads(value)
    return value


def iter_db_records(con: duckdb.DuckDBPyConnection, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Rebuild each stored event as a CloudTrail record dict (for Sigma and alarm replay).

    JSON members come back exactly (present-but-null stays null, missing stays missing). A record
    the typed columns do not hold exactly (lossless.py) comes back from ``extra``, as delivered;
    the others from the typed columns, whose NULL members are left out.
    """
    cur = con.execute(f"SELECT * EXCLUDE (file_id) FROM {TABLE} ORDER BY eventTime, eventID")
    names = [d[0] for d in cur.description or []]
    json_cols = set(schema.JSON_COLUMNS)
    while rows := cur.fetchmany(chunk):
        for row in rows:
            values = dict(zip(names, row, strict=True))
            extra = values.pop("extra")
            rec: dict[str, Any] = json.loads(extra) if extra is not None else {}
            for name, value in values.items():
                if value is None or (extra is not None and name not in json_cols):
                    continue
                if name in json_cols:
                    rec[name] = json.loads(value)
                elif name == "eventTime":
                    rec[name] = value.strftime("%Y-%m-%dT%H:%M:%SZ")
                else:
                    rec[name] = _prune(value, schema.TYPED[name])
            yield rec
