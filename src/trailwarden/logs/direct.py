"""Hunt directly over the files, without a database, at close to decompression speed.

Two filters before any Python JSON parsing: a file that contains none of the hunt's needles is
dropped as soon as it is decompressed; the rest go to an in-memory DuckDB that splits them into
records in C and hands back only the records containing a needle. Only those are parsed with
``json`` (so missing and null stay distinct) and tested with the hunt's exact predicate.
"""

from __future__ import annotations

import itertools
import json
import queue
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import duckdb

from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import admit
from trailwarden.logs.staging import (
    Batch,
    by_kind,
    produce,
    records_sql,
    scratch_parent,
    unparsable,
    without,
)
from trailwarden.trailstore.records import Files, ReadStats, Record


def iter_matching_records(
    source: Files, scope: Scope, stats: ReadStats, needles: tuple[bytes, ...]
) -> Iterator[Record]:
    """Records containing at least one needle (as raw JSON text), deduplicated, in the window."""
    if not needles:
        raise ValueError("a direct hunt needs at least one needle")
    texts = [n.decode() for n in needles]
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # as store.connect: the CLI draws progress
    seen: set[str] = set()

    def keep(data: bytes) -> bool:
        return any(n in data for n in needles)

    # Set when the consumer stops early (Ctrl-C, or it had enough): the reader stops too before
    # the scratch folder is removed.
    stop = threading.Event()
    with tempfile.TemporaryDirectory(prefix="trailwarden-", dir=scratch_parent()) as tmp:
        batches: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)
        worker = threading.Thread(
            target=produce,
            args=(source, scope, stats, None, Path(tmp), itertools.count(1), batches, keep),
            kwargs={"stop": stop},
            daemon=True,
        )
        worker.start()
        try:
            yield from _records(con, batches, texts, stats, scope, seen)
        finally:
            stop.set()
            worker.join()
    con.close()


def _records(
    con: duckdb.DuckDBPyConnection,
    batches: queue.Queue[Batch | BaseException | None],
    texts: list[str],
    stats: ReadStats,
    scope: Scope,
    seen: set[str],
) -> Iterator[Record]:
    windowed = scope.start is not None or scope.end is not None
    while True:
        item = batches.get()
        if isinstance(item, BaseException):
            raise item
        if item is None:
            break
        try:
            for text in _matching(con, item, texts, stats):
                rec = json.loads(text)
                if admit(rec, scope, stats, seen, windowed):
                    yield rec
        finally:
            item.clear()


def _matching(
    con: duckdb.DuckDBPyConnection, batch: Batch, needles: list[str], stats: ReadStats
) -> list[str]:
    if not batch.files:
        return []

    def run(paths: list[str]) -> list[str]:
        if not paths:
            return []
        groups = by_kind(paths)
        params = {kind: i + 1 for i, kind in enumerate(groups)}
        cond = " OR ".join(
            f"contains(CAST(rec AS VARCHAR), ${len(groups) + j + 1})" for j in range(len(needles))
        )
        sql = f"SELECT CAST(rec AS VARCHAR) FROM {records_sql(params)} WHERE {cond}"
        return [r[0] for r in con.execute(sql, [*groups.values(), *needles]).fetchall()]

    try:
        return run(batch.paths)
    except duckdb.InvalidInputException:
        # Some file does not parse: find which (rare, so only now), list it, run without it.
        bad = unparsable(con, batch.paths)
        for fid in sorted(bad):
            stats.corrupt.append((batch.files[fid].name, "bad JSON"))
        return run(without(batch.paths, bad))
