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
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import duckdb

from trailwarden.concurrency import put
from trailwarden.logs.layout import Scope
from trailwarden.trailstore.files import FileRef
from trailwarden.trailstore.records import (
    Files,
    ReadStats,
    holds_records_documents,
    iter_file_bytes,
    split_documents,
)

# JSON per batch: the unit a writer takes and the bound on scratch memory (a few batches exist at
# once). Commits no longer follow batches (store.COMMIT_ROWS), so the size matters little:
# 32, 64 and 128 MB ran within 0.2 s wall of each other on the 1 GB tree (128 MB ~0.6 CPU s less).
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
# One row per record, whatever the document's shape; each kind needs only one parse.
_SPLIT = {
    "records": "unnest(json_extract(content, '$.Records[*]'))",
    "array": "unnest(json_extract(content, '$[*]'))",
    "object": "content::JSON",
    "unknown": "unnest(CASE WHEN json_exists(content, '$.Records') "
    "THEN json_extract(content, '$.Records[*]') ELSE [content::JSON] END)",
    # An array of lines, each a {"Records": [...]} document or a record.
    "lines": "unnest(flatten(list_transform(json_extract(content, '$[*]'), lambda d: "
    "CASE WHEN json_exists(d, '$.Records') THEN json_extract(d, '$.Records[*]') ELSE [d] END)))",
}


def stage(param: int) -> str:
    """(file_id, content) rows of the scratch files listed in SQL parameter ``$param``.

    Each document kind gets its own list and its own ``read_text``: filtering read_text's rows
    (by file name, or to leave out a corrupt file) made DuckDB copy every document before
    parsing it, which cost ~2.5 CPU s per GB of ingest. Callers drop files from the lists instead.
    """
    return f"(SELECT {_FID} AS file_id, content FROM read_text(${param}))"


def by_kind(paths: Iterable[str]) -> dict[str, list[str]]:
    """Scratch paths grouped by document kind, kinds in a stable (sorted) order."""
    out: dict[str, list[str]] = {}
    for path in paths:
        out.setdefault(kind_of(path), []).append(path)
    return dict(sorted(out.items()))


def file_id(path: str) -> int:
    """The file id a scratch file was named with (``<file_id>.<kind>.json``)."""
    return int(Path(path).name.split(".", 1)[0])


def records_sql(params: dict[str, int]) -> str:
    """(file_id, rec) rows, one per record, for each kind's files in parameter ``$params[kind]``."""
    parts = [f"SELECT file_id, {_SPLIT[k]} AS rec FROM {stage(i)}" for k, i in params.items()]
    # Non-objects (a stray number in an array) type to an all-NULL row and are filtered out later.
    return "(" + " UNION ALL ".join(parts) + ")"


def unparsable(con: duckdb.DuckDBPyConnection, paths: list[str]) -> set[int]:
    """Ids of the scratch files whose document is not valid JSON: one more parse, done by
    ingest on every batch (on the reader's thread) and by hunts only after a statement failed."""
    sql = f"SELECT file_id FROM {stage(1)} WHERE NOT json_valid(content)"
    return {int(fid) for (fid,) in con.execute(sql, [paths]).fetchall()}


def without(paths: list[str], ids: set[int]) -> list[str]:
    return [p for p in paths if file_id(p) not in ids]


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
        # Files read while this batch filled that cannot be loaded: id -> (file, reason).
        self.corrupt: dict[int, tuple[FileRef, str]] = {}
        self.nbytes = 0

    def add(self, fid: int, ref: FileRef, data: bytes) -> None:
        docs = split_documents(data)  # one document unless JSON lines: cheap for CloudTrail's
        # JSON lines become one array so that every file is exactly one document; lines holding
        # {"Records": ...} documents (Firehose) are their own kind, split per line.
        body = data if len(docs) == 1 else b"[" + b",".join(docs) + b"]"
        if len(docs) > 1 and b'"Records"' in data and holds_records_documents(docs):
            kind = "lines"
        else:
            kind = doc_kind(body)
        path = self.scratch / f"{fid}.{kind}.json"
        path.write_bytes(body)
        self.paths.append(str(path))
        self.sizes.append(len(body))
        self.files[fid] = ref
        self.nbytes += len(body)

    def drop(self, ids: set[int], reason: str) -> list[str]:
        """Take these files out of the batch as corrupt; return their names."""
        kept: list[tuple[str, int]] = []
        for path, size in zip(self.paths, self.sizes, strict=True):
            if file_id(path) in ids:
                Path(path).unlink(missing_ok=True)
            else:
                kept.append((path, size))
        self.paths, self.sizes = [p for p, _ in kept], [n for _, n in kept]
        self.nbytes = sum(self.sizes)
        for fid in ids:
            self.corrupt[fid] = (self.files.pop(fid), reason)
        return [self.corrupt[fid][0].name for fid in sorted(ids)]

    def clear(self) -> None:
        for p in self.paths:
            Path(p).unlink(missing_ok=True)
        self.paths, self.sizes, self.files, self.corrupt, self.nbytes = [], [], {}, {}, 0


def scratch_parent() -> str | None:
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


def produce(
    source: Files,
    scope: Scope,
    stats: ReadStats,
    on_file: Callable[[FileRef, int], None] | None,
    scratch: Path,
    ids: Iterator[int],
    out: queue.Queue[Batch | BaseException | None],
    keep: Callable[[bytes], bool] | None = None,
    vet: Callable[[Batch], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Fill batches of about BATCH_BYTES; ``keep`` may drop a file unparsed (hunt needles),
    ``vet`` sees each full batch before it is handed over (ingest drops bad JSON there).
    Once ``stop`` is set (the consumer was interrupted), it stops reading and returns."""
    try:
        batch = Batch(scratch)

        def corrupt(ref: FileRef, reason: str) -> None:
            batch.corrupt[next(ids)] = (ref, reason)

        def hand_over() -> bool:
            if vet is not None and batch.paths:
                vet(batch)
            return put(out, batch, stop)

        for ref, data in iter_file_bytes(source, scope, stats, on_file, corrupt):
            if stop is not None and stop.is_set():
                return
            try:
                # isascii is a fast scan with no copy; most CloudTrail files are pure ASCII.
                if not data.isascii():
                    data.decode("utf-8")
            except UnicodeDecodeError as exc:
                stats.corrupt.append((ref.name, f"not UTF-8: {exc.reason}"))
                corrupt(ref, f"not UTF-8: {exc.reason}")
                continue
            if keep is not None and not keep(data):
                continue
            batch.add(next(ids), ref, data)
            if batch.nbytes >= BATCH_BYTES:
                if not hand_over():
                    return
                batch = Batch(scratch)
        if hand_over():
            put(out, None, stop)
    except BaseException as exc:  # handed to the consumer, which re-raises it
        put(out, exc, stop)
