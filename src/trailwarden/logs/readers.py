"""The logs' view of a trail: every record once, inside the question's time window.

Files are listed and read by ``trailstore`` (layout pruning, reads in flight, every file shape,
corrupt files skipped and listed in ``ReadStats.corrupt``); what is the logs' own is
deduplication on ``eventID`` and the record-level time filter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trailwarden.logs.layout import Scope
from trailwarden.trailstore.records import (
    Files,
    ReadStats,
    Record,
    event_time,
    is_insight,
    iter_file_records,
)


def iter_records(
    files: Files,
    scope: Scope,
    stats: ReadStats,
    prefilter: Callable[[bytes], bool] | None = None,
) -> Iterator[Record]:
    """Every record once (deduplicated on eventID), inside the scope's time window.

    ``prefilter`` sees a file's decompressed bytes and may reject it without parsing: hunts pass a
    substring test, which is far cheaper than JSON parsing when most files cannot match.
    """
    seen: set[str] = set()
    windowed = scope.start is not None or scope.end is not None
    for _ref, records in iter_file_records(files, scope, stats, prefilter):
        for rec in records:
            if admit(rec, scope, stats, seen, windowed):
                yield rec


def admit(rec: Record, scope: Scope, stats: ReadStats, seen: set[str], windowed: bool) -> bool:
    """Whether a read record is yielded: not an Insights event, not an eventID already in
    ``seen`` (which it joins), inside the window. Counts each reason in ``stats``, so the file
    reader and the DuckDB staging reader (direct.py) account for records alike."""
    if is_insight(rec):
        stats.insights += 1
        return False
    eid = rec.get("eventID")
    if isinstance(eid, str):
        if eid in seen:
            stats.duplicates += 1
            return False
        seen.add(eid)
    if not in_window(rec, scope, stats, windowed):
        return False
    stats.records += 1
    return True


def in_window(rec: Record, scope: Scope, stats: ReadStats, windowed: bool) -> bool:
    """Whether a record is inside the scope's time window; counts records without a time
    (``ReadStats.undated``) and those outside (``outside_window``)."""
    when = event_time(rec)
    if when is None:
        stats.undated += 1
    if windowed and not scope.wants_time(when):
        stats.outside_window += 1
        return False
    return True
