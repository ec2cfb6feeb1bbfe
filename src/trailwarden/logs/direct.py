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
from trailwarden.logs.readers import ReadStats, Record, Source, event_time
from trailwarden.logs.staging import STAGE, Batch, produce, records_sql, scratch_parent


def iter_matching_records(
    source: Source, scope: Scope, stats: ReadStats, needles: tuple[bytes, ...]
) -> Iterator[Record]:
    """Records containing at least one needle (as raw JSON text), deduplicated, in the window."""
    if not needles:
        raise ValueError("a direct hunt needs at least one needle")
    texts = [n.decode() for n in needles]
    con = duckdb.connect()
    seen: set[str] = set()

    def keep(data: bytes) -> bool:
        return any(n in data for n in needles)

    with tempfile.TemporaryDirectory(prefix="trailwarden-", dir=scratch_parent()) as tmp:
        batches: queue.Queue[Batch | BaseException | None] = queue.Queue(maxsize=1)
        worker = threading.Thread(
            target=produce,
            args=(source, scope, stats, None, Path(tmp), itertools.count(1), batches, keep),
            daemon=True,
        )
        worker.start()
        while True:
            item = batches.get()
            if isinstance(item, BaseException):
                raise item
            if item is None:
                break
            for text in _matching(con, item, texts, stats):
                rec = json.loads(text)
                eid = rec.get("eventID")
                if isinstance(eid, str):
                    if eid in seen:
                        stats.duplicates += 1
                        continue
                    seen.add(eid)
                if (scope.start or scope.end) and not scope.wants_time(event_time(rec)):
                    stats.outside_window += 1
                    continue
                stats.records += 1
                yield rec
            item.clear()
        worker.join()
    con.close()


def _matching(
    con: duckdb.DuckDBPyConnection, batch: Batch, needles: list[str], stats: ReadStats
) -> list[str]:
    if not batch.files:
        return []
    cond = " OR ".join("contains(CAST(rec AS VARCHAR), ?)" for _ in needles)

    def run(where: str) -> list[str]:
        sql = f"SELECT CAST(rec AS VARCHAR) FROM {records_sql(batch.kinds, where)} WHERE {cond}"
        return [r[0] for r in con.execute(sql, [batch.paths, *needles]).fetchall()]

    try:
        return run("")
    except duckdb.InvalidInputException:
        # Some file does not parse: find which (rare, so only now), list it, run without it.
        bad = [
            int(fid)
            for (fid,) in con.execute(
                f"SELECT file_id FROM {STAGE.format(where='WHERE NOT json_valid(content)')}",
                [batch.paths],
            ).fetchall()
        ]
        for fid in bad:
            stats.corrupt.append((batch.files[fid].name, "bad JSON"))
        return run("WHERE file_id NOT IN (" + ",".join(map(str, bad or [-1])) + ")")
