"""Ingest CloudTrail files into an embedded DuckDB database, incrementally and in bounded memory.

Python reads and decompresses (isal) each file; batches of whole documents (about BATCH_BYTES of
JSON) go to DuckDB as text, and DuckDB's own JSON reader splits, types and deduplicates them in
SQL, which is several times faster than parsing in Python. A ``tw_files`` table remembers every
file read (name and size), so a second ingest reads only new files.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from trailwarden.errors import TrailwardenError, UsageError
from trailwarden.logs import schema
from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import FileRef, ReadStats, Source, iter_file_bytes, split_documents

TABLE = "tw_records"
BATCH_BYTES = 48 * 1024 * 1024

_FILES_DDL = (
    "CREATE TABLE IF NOT EXISTS tw_files (file_id INTEGER, name VARCHAR, size BIGINT, "
    "records BIGINT, status VARCHAR, reason VARCHAR, ingested_at TIMESTAMP)"
)

# One row per record, whatever the document's shape (Records wrapper, array, single object).
_UNNEST = (
    "SELECT file_id, unnest(CASE WHEN json_type(doc) = 'ARRAY' THEN json_extract(doc, '$[*]') "
    "WHEN json_exists(doc, '$.Records') THEN json_extract(doc, '$.Records[*]') "
    "ELSE [doc] END) AS rec FROM (SELECT file_id, doc::JSON AS doc FROM tw_stage)"
)
_OBJECTS = f"(SELECT * FROM ({_UNNEST}) WHERE json_type(rec) = 'OBJECT')"


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


class _Batch:
    def __init__(self) -> None:
        self.ids: list[int] = []
        self.docs: list[str] = []
        self.files: dict[int, FileRef] = {}
        self.nbytes = 0


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

    batch = _Batch()
    corrupt_before = 0
    for ref, data in iter_file_bytes(_Unseen(), scope, result.stats, on_file):
        # Files that failed to decompress were recorded by the reader: remember them too.
        for name, reason in result.stats.corrupt[corrupt_before:]:
            _mark(con, next_id, name, -1, "corrupt", reason)
            next_id += 1
        corrupt_before = len(result.stats.corrupt)
        try:
            docs = [d.decode("utf-8") for d in split_documents(data)]
        except UnicodeDecodeError as exc:
            result.stats.corrupt.append((ref.name, f"not UTF-8: {exc.reason}"))
            corrupt_before += 1
            _mark(con, next_id, ref.name, ref.size, "corrupt", "not UTF-8")
            next_id += 1
            continue
        batch.files[next_id] = ref
        batch.ids.extend([next_id] * len(docs))
        batch.docs.extend(docs)
        batch.nbytes += len(data)
        next_id += 1
        if batch.nbytes >= BATCH_BYTES:
            _flush(con, batch, result, on_batch)
            batch = _Batch()
    for name, reason in result.stats.corrupt[corrupt_before:]:
        _mark(con, next_id, name, -1, "corrupt", reason)
        next_id += 1
    _flush(con, batch, result, on_batch)
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
    batch: _Batch,
    result: IngestResult,
    on_batch: Callable[[int], None] | None,
) -> None:
    if not batch.files:
        return
    con.execute("BEGIN")
    con.execute("CREATE OR REPLACE TEMP TABLE tw_stage (file_id INTEGER, doc VARCHAR)")
    # One statement for the whole batch: lists bind as parameters, unnest makes the rows.
    con.execute(
        "INSERT INTO tw_stage SELECT unnest($1::INTEGER[]), unnest($2::VARCHAR[])",
        [batch.ids, batch.docs],
    )
    # A file with any unparsable document is skipped whole, and listed.
    bad = {
        fid
        for (fid,) in con.execute(
            "SELECT DISTINCT file_id FROM tw_stage WHERE NOT json_valid(doc)"
        ).fetchall()
    }
    if bad:
        con.execute(
            "DELETE FROM tw_stage WHERE file_id IN (SELECT unnest($1::INTEGER[]))", [list(bad)]
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE tw_batch AS SELECT * FROM ({schema.select_typed(_OBJECTS)}) "
        # Objects that are not CloudTrail records (no eventName, no eventID) are not events.
        'WHERE "eventName" IS NOT NULL OR "eventID" IS NOT NULL'
    )
    counts = dict(con.execute("SELECT file_id, count(*) FROM tw_batch GROUP BY file_id").fetchall())
    # Duplicates (same eventID) are kept once: across files of this batch and against the table.
    inserted = con.execute(
        f"INSERT INTO {TABLE} SELECT * FROM tw_batch b "
        f"WHERE b.eventID IS NULL OR NOT EXISTS "
        f"(SELECT 1 FROM {TABLE} r WHERE r.eventID = b.eventID) "
        "QUALIFY b.eventID IS NULL "
        "OR row_number() OVER (PARTITION BY b.eventID ORDER BY b.file_id) = 1"
    ).fetchone()
    n_inserted = int(inserted[0]) if inserted else 0
    total = sum(int(c) for c in counts.values())
    result.inserted += n_inserted
    result.stats.records += total
    result.stats.duplicates += total - n_inserted
    rows: list[tuple[int, str, int, int, str, str | None]] = []
    for fid, ref in batch.files.items():
        if fid in bad:
            result.stats.corrupt.append((ref.name, "bad JSON"))
            rows.append((fid, ref.name, ref.size, 0, "corrupt", "bad JSON"))
        else:
            rows.append((fid, ref.name, ref.size, int(counts.get(fid, 0)), "ok", None))
    con.executemany("INSERT INTO tw_files VALUES (?, ?, ?, ?, ?, ?, now())", rows)
    con.execute("DROP TABLE tw_stage")
    con.execute("DROP TABLE tw_batch")
    con.execute("COMMIT")
    if on_batch is not None:
        on_batch(total)
