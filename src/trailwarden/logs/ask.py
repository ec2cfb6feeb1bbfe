"""Where a question is asked, and asking it: a DuckDB database (given, or the files ingested into
a throwaway one), the files read directly, or Athena (any ``RunSql``, Trino text in, rows out).

What the logs commands share once their options are parsed; nothing here draws or prints:
a corrupt file or a hunt Athena cannot run is reported through ``on_note``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import duckdb

from trailwarden.errors import UsageError
from trailwarden.logs import athena_sql, lossless, questions, store
from trailwarden.logs.direct import iter_matching_records
from trailwarden.logs.hunts import Hunt, event_row
from trailwarden.logs.layout import Scope
from trailwarden.logs.readers import in_window, iter_records
from trailwarden.logs.sigma import Rule
from trailwarden.trailstore.files import TrailFiles
from trailwarden.trailstore.records import ReadStats

Rows = list[dict[str, Any]]
RunSql = Callable[[str], Rows]
"""Runs one statement as written (Athena's ``run``)."""
Note = Callable[[str], None]
"""Told what the user should know but is not a result (a corrupt file skipped...)."""
Question = Callable[..., Rows]
"""``questions.who`` or ``questions.actor``: ``(runner, subject, scope[, extra])``."""
OpenDatabase = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


def corrupt_notes(stats: ReadStats, on_note: Note) -> None:
    for name, reason in stats.corrupt:
        on_note(f"skipped corrupt file {name}: {reason}")


@contextmanager
def database(
    db: Path | None,
    source: str | None,
    open_files: Callable[[str], TrailFiles],
    scope: Scope,
    on_note: Note,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database to question: ``db`` as is, or the files at ``source`` ingested into a
    throwaway one."""
    if (db is None) == (source is None):
        raise UsageError("give exactly one of --db FILE or --source SOURCE")
    if db is not None:
        con = store.connect(db, read_only=True)
        try:
            yield con
        finally:
            con.close()
        return
    assert source is not None
    with tempfile.TemporaryDirectory(prefix="trailwarden-") as tmp:
        path = Path(tmp) / "events.duckdb"
        corrupt_notes(store.ingest(open_files(source), path, scope).stats, on_note)
        con = store.connect(path, read_only=True)
        try:
            yield con
        finally:
            con.close()


def records(
    db: Path | None, files: TrailFiles | None, scope: Scope, stats: ReadStats
) -> Iterator[dict[str, Any]]:
    """Every record in the window, from a database or read from the files."""
    if db is not None:
        return _db_records(db, scope, stats)
    assert files is not None
    return iter_records(files, scope, stats)


def _db_records(db: Path, scope: Scope, stats: ReadStats) -> Iterator[dict[str, Any]]:
    """A database's records in the window, counted as the files path counts them."""
    con = store.connect(db, read_only=True)
    windowed = scope.start is not None or scope.end is not None
    for r in store.iter_db_records(con):
        if in_window(r, scope, stats, windowed):
            yield r


def read_notes(stats: ReadStats, on_note: Note, scope: Scope, db: Path | None) -> None:
    """What a command over records says beside its results: corrupt files skipped, records
    without a time left out of the window, and what a database cannot give back as delivered."""
    corrupt_notes(stats, on_note)
    if scope.start is not None or scope.end is not None:
        undated = questions.undated_note(stats.undated)
        if undated is not None:
            on_note(undated)
    if db is not None:
        on_note(lossless.DATABASE_NOTE)


def on_athena(run: RunSql) -> questions.Runner:
    """Run DuckDB-dialect question SQL on Athena, rendered for Trino."""
    return lambda sql: list(run(athena_sql.render(sql)))


def answer_on_athena(question: Question, run: RunSql, subject: str, scope: Scope) -> Rows:
    """who/actor on Athena: the window also prunes the table's day partitions."""
    return question(on_athena(run), subject, scope, athena_sql.day_filter(scope))


def timeline_on_athena(run: RunSql, scope: Scope, limit: int) -> Rows:
    return run(
        athena_sql.render(questions.timeline_sql(scope, limit, athena_sql.day_filter(scope)))
    )


def hunt(
    hunts: dict[str, Hunt],
    names: list[str],
    scope: Scope,
    *,
    athena: RunSql | None,
    files: TrailFiles | None,
    open_database: OpenDatabase,
    on_note: Note,
) -> dict[str, Rows]:
    """Each named hunt's rows, in ``names`` order: on Athena when given (a hunt it cannot run is
    left out, with a note); else per-event hunts read ``files`` directly (no database) when
    given, and the rest ask the database."""
    results: dict[str, Rows] = {}
    if athena is not None:
        window = questions.window_sql(scope) + " AND " + athena_sql.day_filter(scope)
        for n in names:
            sql = hunts[n].athena_sql(window)
            if sql is None:
                on_note(f"hunt {n}: not available on Athena (use duckdb)")
                continue
            results[n] = athena(athena_sql.render(sql))
        return results
    if files is not None:
        for n in names:
            if hunts[n].predicate is not None:
                results[n] = hunt_files(hunts[n], files, scope, on_note)
    rest = [n for n in names if n not in results]
    if rest:
        with open_database() as con:
            for n in rest:
                results[n] = questions.hunt(con, hunts[n], scope)
    return {n: results[n] for n in names}


def hunt_files(hunt: Hunt, files: TrailFiles, scope: Scope, on_note: Note) -> Rows:
    """A per-event hunt over the files, oldest first."""
    assert hunt.predicate is not None
    stats = ReadStats()
    # Needles let most records skip JSON parsing entirely; the predicate then decides exactly.
    found = (
        iter_matching_records(files, scope, stats, hunt.needles)
        if hunt.needles
        else iter_records(files, scope, stats)
    )
    rows = [event_row(rec) for rec in found if hunt.predicate(rec)]
    corrupt_notes(stats, on_note)
    rows.sort(key=lambda r: (str(r["eventTime"]), str(r["eventID"])))
    return rows


def sigma_matches(rules: list[Rule], events: Iterator[dict[str, Any]]) -> Rows:
    """One row per (rule, matching event), by rule, then time."""
    matches = [
        {"rule": rule.title, "level": rule.level, "ruleId": rule.id, **event_row(rec)}
        for rec in events
        for rule in rules
        if rule.match(rec)
    ]
    matches.sort(key=lambda m: (str(m["rule"]), str(m["eventTime"]), str(m["eventID"])))
    return matches
