"""Hand decompressed CloudTrail documents to DuckDB in bounded batches (ingest and hunts).

Python reads and decompresses (isal) each file into a RAM-backed scratch folder, in a thread that
overlaps DuckDB's work on the previous batch; DuckDB reads a batch with ``read_text`` and parses it
with its C JSON functions (ingest types whole documents, hunts split them into records), which is
several times faster than ``json.loads``.
"""

from __future__ import annotations

import os
import queue
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import FileRef, ReadStats, Source, iter_file_bytes, split_documents

# 128 MB: enough rows per batch (>= one DuckDB row group) for DuckDB to write them straight to
# the database file instead of through the WAL, about a quarter less CPU than 48 MB batches.
BATCH_BYTES = 128 * 1024 * 1024

_RECORDS_HEAD = re.compile(rb'\s*\{\s*"Records"\s*:')


def doc_kind(body: bytes) -> str:
    """How to split a document into records, decided here so DuckDB parses each file once."""
    head = body[:64].lstrip()
    if head.startswith(b"["):
        return "array"
    if _RECORDS_HEAD.match(body[:64]):
        return "records"
    return "object" if b'"Records"' not in body else "unknown"


# The batch's documents: one scratch file per input file, named <file_id>.<kind>.json.
_FID = "CAST(regexp_extract(filename, '/(\\d+)\\.[a-z]+\\.json$', 1) AS INTEGER)"
STAGE = f"(SELECT {_FID} AS file_id, filename, content FROM read_text($1) {{where}})"
# One row per record, whatever the document's shape; each kind needs only one parse.
_SPLIT = {
    "records": "unnest(json_extract(content, '$.Records[*]'))",
    "array": "unnest(json_extract(content, '$[*]'))",
    "object": "content::JSON",
    "unknown": "unnest(CASE WHEN json_exists(content, '$.Records') "
    "THEN json_extract(content, '$.Records[*]') ELSE [content::JSON] END)",
}


def records_sql(kinds: set[str], where: str) -> str:
    parts = [
        f"SELECT file_id, {_SPLIT[k]} AS rec FROM {STAGE.format(where=where)} "
        f"WHERE filename LIKE '%.{k}.json'"
        for k in sorted(kinds)
    ]
    # Non-objects (a stray number in an array) type to an all-NULL row and are filtered out later.
    return "(" + " UNION ALL ".join(parts) + ")"


def documents_of_kind(kind: str, where: str) -> str:
    """The batch's documents of one kind, as (file_id, content) rows."""
    return (
        f"(SELECT file_id, content FROM {STAGE.format(where=where)} "
        f"WHERE filename LIKE '%.{kind}.json')"
    )


def kind_of(path: str) -> str:
    """The document kind a scratch file was named with (``<file_id>.<kind>.json``)."""
    return path.rsplit(".", 2)[-2]


class Batch:
    """Decompressed documents waiting in a scratch folder (RAM-backed when /dev/shm exists)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        self.paths: list[str] = []
        self.sizes: list[int] = []  # bytes of each scratch file, in ``paths`` order
        self.files: dict[int, FileRef] = {}
        self.kinds: set[str] = set()
        self.nbytes = 0

    def add(self, fid: int, ref: FileRef, data: bytes) -> None:
        if data[:256].lstrip().startswith(b'{"Records"'):
            body = data  # what CloudTrail delivers: one document, no need to look for lines
        else:
            docs = split_documents(data)
            # JSON lines become one array so that every file is exactly one document.
            body = data if len(docs) == 1 else b"[" + b",".join(docs) + b"]"
        kind = doc_kind(body)
        self.kinds.add(kind)
        path = self.scratch / f"{fid}.{kind}.json"
        path.write_bytes(body)
        self.paths.append(str(path))
        self.sizes.append(len(body))
        self.files[fid] = ref
        self.nbytes += len(body)

    def clear(self) -> None:
        for p in self.paths:
            Path(p).unlink(missing_ok=True)
        self.paths, self.sizes, self.files, self.kinds, self.nbytes = [], [], {}, set(), 0


def scratch_parent() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def produce(
    source: Source,
    scope: Scope,
    stats: ReadStats,
    on_file: Callable[[FileRef, int], None] | None,
    scratch: Path,
    ids: Iterator[int],
    out: queue.Queue[Batch | BaseException | None],
    keep: Callable[[bytes], bool] | None = None,
) -> None:
    """Fill batches of about BATCH_BYTES; ``keep`` may drop a file unparsed (hunt needles)."""
    try:
        batch = Batch(scratch)
        for ref, data in iter_file_bytes(source, scope, stats, on_file):
            try:
                # isascii is a fast scan with no copy; most CloudTrail files are pure ASCII.
                if not data.isascii():
                    data.decode("utf-8")
            except UnicodeDecodeError as exc:
                stats.corrupt.append((ref.name, f"not UTF-8: {exc.reason}"))
                continue
            if keep is not None and not keep(data):
                continue
            batch.add(next(ids), ref, data)
            if batch.nbytes >= BATCH_BYTES:
                out.put(batch)
                batch = Batch(scratch)
        out.put(batch)
        out.put(None)
    except BaseException as exc:  # handed to the main thread, which re-raises it
        out.put(exc)
