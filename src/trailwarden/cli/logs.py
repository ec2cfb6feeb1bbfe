"""`trailwarden logs ...`: ingest the record, then ask it who did what, when and from where."""

from __future__ import annotations

import csv
import enum
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import typer
from rich.progress import Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OUTPUT_OPTION,
    OutputFormat,
    TableFormat,
    console,
    emit_json,
    err_console,
    show_progress,
    with_aws_options,
)
from trailwarden.errors import UsageError
from trailwarden.logs import athena_sql, questions, store
from trailwarden.logs.direct import iter_matching_records
from trailwarden.logs.hunts import HUNTS, Hunt, by_event_names, event_row
from trailwarden.logs.layout import Scope, make_scope
from trailwarden.logs.readers import iter_records
from trailwarden.logs.sigma import load_rules
from trailwarden.trailstore.records import ReadStats, event_time
from trailwarden.trailstore.s3 import open_source

logs_app = typer.Typer(
    help="Query the audit trail: ingest CloudTrail files, then ask who, what, when, where.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(logs_app, name="logs")

DB_OPTION = typer.Option(None, "--db", help="DuckDB database written by `logs ingest`.")
SOURCE_OPTION = typer.Option(
    None, "--source", help="Read files directly (folder, file or s3://bucket/prefix)."
)
START = typer.Option(None, "--start", help="From this time (YYYY-MM-DD or ISO time, UTC).")
END = typer.Option(None, "--end", help="Until this time (an end date includes the whole day).")
ACCOUNT = typer.Option(None, "--account", help="Only these accounts (repeatable).")
REGION = typer.Option(None, "--region", help="Only these Regions (repeatable).")
TABLE_OUTPUT = typer.Option(TableFormat.table, "--output", "-o", help="table, json or csv")


class Engine(enum.StrEnum):
    duckdb = "duckdb"
    athena = "athena"


ENGINE = typer.Option(
    Engine.duckdb, "--engine", help="duckdb (local) or athena (where the logs are; needs --source)"
)
ATHENA_DB = typer.Option("trailwarden", "--athena-database", help="Athena database.")
ATHENA_TABLE = typer.Option("cloudtrail_logs", "--athena-table", help="Athena table name.")
ATHENA_WG = typer.Option("primary", "--athena-workgroup", help="Athena workgroup.")
ATHENA_OUT = typer.Option(None, "--athena-output", help="s3:// location for Athena results.")


def _athena(source: str | None, database: str, table: str, workgroup: str, out: str | None) -> Any:
    """An Athena runner with the trail's table and ``events`` view in place."""
    from trailwarden.logs.athena import Athena
    from trailwarden.trailstore.s3 import open_source

    if source is None or not source.startswith("s3://"):
        raise UsageError("--engine athena needs --source s3://trail-bucket[/prefix]")
    runner = Athena(database, table, workgroup, out)
    runner.ensure(open_source(source))
    return runner


class _Progress:
    """Files, events and MB/s on stderr while ingesting (only on a terminal).

    Called from the reader thread (files) and the writer threads (events), hence the lock.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.files = 0
        self.events = 0
        self.nbytes = 0
        self.t0 = time.perf_counter()
        self.bar = Progress(
            TextColumn("{task.description}"), TimeElapsedColumn(), console=err_console
        )
        self.task = self.bar.add_task("")

    def on_file(self, _ref: Any, nbytes: int) -> None:
        with self.lock:
            self.files += 1
            self.nbytes += nbytes
            self._show()

    def on_batch(self, events: int) -> None:
        with self.lock:
            self.events += events
            self._show()

    def _show(self) -> None:
        rate = self.nbytes / 1e6 / max(time.perf_counter() - self.t0, 1e-9)
        self.bar.update(
            self.task,
            description=f"files {self.files:,}  events {self.events:,}  {rate:,.1f} MB/s",
        )


@logs_app.command("ingest")
@with_aws_options
def ingest_cmd(
    source: str = typer.Argument(
        ..., help="Folder, file or s3://bucket/prefix of CloudTrail logs."
    ),
    db: Path = typer.Option(..., "--db", help="DuckDB database file (created if absent)."),
    start: str | None = START,
    end: str | None = END,
    account: list[str] | None = ACCOUNT,
    region: list[str] | None = REGION,
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Load CloudTrail records into DuckDB; a second run reads only files it has not seen."""
    scope = make_scope(account, region, start, end)
    src = open_source(source)
    if show_progress():
        prog = _Progress()
        with prog.bar:
            result = store.ingest(src, db, scope, prog.on_file, prog.on_batch)
    else:
        result = store.ingest(src, db, scope)
    st = result.stats
    summary = {
        "files_read": st.files,
        "files_already_ingested": result.skipped_seen,
        "records": st.records,
        "inserted": result.inserted,
        "duplicates": st.duplicates,
        "corrupt_files": [{"file": n, "reason": r} for n, r in st.corrupt],
        "mb_decompressed": round(st.bytes_out / 1e6, 3),
        "seconds": round(result.seconds, 3),
    }
    if output == OutputFormat.json:
        emit_json(summary)
    else:
        rate = st.bytes_out / 1e6 / max(result.seconds, 1e-9)
        console.print(
            f"ingested {result.inserted:,} events from {st.files:,} files into {db} "
            f"({result.skipped_seen:,} files already ingested, {st.duplicates:,} duplicates "
            f"dropped, {rate:,.1f} MB/s)",
            markup=False,
        )
        for name, reason in st.corrupt:
            err_console.print(f"skipped corrupt file {name}: {reason}", markup=False)
    raise typer.Exit(EXIT_OK)


@contextmanager
def _database(
    db: Path | None, source: str | None, scope: Scope
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database to question: --db as is, or --source ingested into a throwaway one."""
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
        result = store.ingest(open_source(source), path, scope)
        for name, reason in result.stats.corrupt:
            err_console.print(f"skipped corrupt file {name}: {reason}", markup=False)
        con = store.connect(path, read_only=True)
        try:
            yield con
        finally:
            con.close()


def render(rows: list[dict[str, Any]], fmt: TableFormat, title: str | None = None) -> None:
    """Rows as a table, a JSON list of row objects, or CSV with a header."""
    if fmt == TableFormat.json:
        emit_json(rows)
        return
    if fmt == TableFormat.csv:
        # Rows of different hunts have different columns: the header is their union, in order.
        cols = list(dict.fromkeys(c for row in rows for c in row))
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in cols])
        return
    if not rows:
        console.print(f"{title + ': ' if title else ''}no matching events", markup=False)
        return
    table = Table(title=title, show_lines=False)
    for col in rows[0]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    console.print(table)


@logs_app.command("who")
@with_aws_options
def who_cmd(
    resource: str = typer.Option(..., "--resource", help="Resource ARN or name."),
    db: Path | None = DB_OPTION,
    source: str | None = SOURCE_OPTION,
    start: str | None = START,
    end: str | None = END,
    output: TableFormat = TABLE_OUTPUT,
    engine: Engine = ENGINE,
    athena_database: str = ATHENA_DB,
    athena_table: str = ATHENA_TABLE,
    athena_workgroup: str = ATHENA_WG,
    athena_output: str | None = ATHENA_OUT,
) -> None:
    """Every principal that touched a resource: first and last time, actions, source IPs."""
    athena = (source, athena_database, athena_table, athena_workgroup, athena_output)
    _answer(
        questions.who,
        resource,
        db,
        source,
        make_scope(None, None, start, end),
        engine,
        athena,
        output,
        f"who touched {resource}",
    )


@logs_app.command("actor")
@with_aws_options
def actor_cmd(
    principal: str = typer.Argument(..., help="User/role/session ARN, user name or access key."),
    db: Path | None = DB_OPTION,
    source: str | None = SOURCE_OPTION,
    start: str | None = START,
    end: str | None = END,
    output: TableFormat = TABLE_OUTPUT,
    engine: Engine = ENGINE,
    athena_database: str = ATHENA_DB,
    athena_table: str = ATHENA_TABLE,
    athena_workgroup: str = ATHENA_WG,
    athena_output: str | None = ATHENA_OUT,
) -> None:
    """Everything a principal did; `origin` follows role sessions back through AssumeRole."""
    athena = (source, athena_database, athena_table, athena_workgroup, athena_output)
    _answer(
        questions.actor,
        principal,
        db,
        source,
        make_scope(None, None, start, end),
        engine,
        athena,
        output,
        f"actions of {principal}",
    )


def _answer(
    question: Any,
    subject: str,
    db: Path | None,
    source: str | None,
    scope: Scope,
    engine: Engine,
    athena: tuple[str | None, str, str, str, str | None],
    output: TableFormat,
    title: str,
) -> None:
    """Ask a question (who, actor) of DuckDB or, with --engine athena, of Athena; exit 0."""
    if engine == Engine.athena:
        runner = _athena(*athena)
        extra = athena_sql.day_filter(scope)
        render(question(_on_athena(runner), subject, scope, extra), output, title)
        raise typer.Exit(EXIT_OK)
    with _database(db, source, scope) as con:
        render(question(questions.duckdb_runner(con), subject, scope), output, title)
    raise typer.Exit(EXIT_OK)


def _on_athena(runner: Any) -> questions.Runner:
    """Run DuckDB-dialect question SQL on Athena, rendered for Trino."""
    return lambda sql: list(runner.run(athena_sql.render(sql)))


@logs_app.command("timeline")
@with_aws_options
def timeline_cmd(
    start: str = typer.Option(..., "--start", help="From (YYYY-MM-DD or ISO time, UTC)."),
    end: str = typer.Option(..., "--end", help="Until (an end date includes the whole day)."),
    db: Path | None = DB_OPTION,
    source: str | None = SOURCE_OPTION,
    account: list[str] | None = ACCOUNT,
    region: list[str] | None = REGION,
    limit: int = typer.Option(10000, "--limit", min=1, help="At most this many events."),
    output: TableFormat = TABLE_OUTPUT,
    engine: Engine = ENGINE,
    athena_database: str = ATHENA_DB,
    athena_table: str = ATHENA_TABLE,
    athena_workgroup: str = ATHENA_WG,
    athena_output: str | None = ATHENA_OUT,
) -> None:
    """Events in a time window, oldest first."""
    scope = make_scope(account, region, start, end)
    if engine == Engine.athena:
        runner = _athena(source, athena_database, athena_table, athena_workgroup, athena_output)
        sql = questions.timeline_sql(scope, limit, athena_sql.day_filter(scope))
        render(runner.run(athena_sql.render(sql)), output, "timeline")
        raise typer.Exit(EXIT_OK)
    with _database(db, source, scope) as con:
        render(questions.timeline(con, scope, limit), output, "timeline")
    raise typer.Exit(EXIT_OK)


@logs_app.command("query")
@with_aws_options
def query_cmd(
    sql: str = typer.Argument(..., help="SQL over the view `events` (CloudTrail field names)."),
    db: Path | None = DB_OPTION,
    source: str | None = SOURCE_OPTION,
    output: TableFormat = TABLE_OUTPUT,
    engine: Engine = ENGINE,
    athena_database: str = ATHENA_DB,
    athena_table: str = ATHENA_TABLE,
    athena_workgroup: str = ATHENA_WG,
    athena_output: str | None = ATHENA_OUT,
) -> None:
    """Run SQL (DuckDB, or CloudTrail Lake / Athena syntax with the table renamed `events`).

    With --engine athena the SQL is sent as written (Trino) to the `events` view in Athena.
    """
    if engine == Engine.athena:
        if not sql.strip():
            raise UsageError("the query is empty")
        runner = _athena(source, athena_database, athena_table, athena_workgroup, athena_output)
        render(runner.run(sql), output)
        raise typer.Exit(EXIT_OK)
    with _database(db, source, Scope()) as con:
        render(questions.query(con, sql), output)
    raise typer.Exit(EXIT_OK)


@logs_app.command("hunt")
@with_aws_options
def hunt_cmd(
    name: str | None = typer.Argument(None, help=f"One of: {', '.join(HUNTS)} (default: all)."),
    db: Path | None = DB_OPTION,
    source: str | None = SOURCE_OPTION,
    start: str | None = START,
    end: str | None = END,
    account: list[str] | None = ACCOUNT,
    region: list[str] | None = REGION,
    event_name: list[str] | None = typer.Option(
        None, "--event-name", help="Ad-hoc hunt for events with this name (repeatable)."
    ),
    output: TableFormat = TABLE_OUTPUT,
    engine: Engine = ENGINE,
    athena_database: str = ATHENA_DB,
    athena_table: str = ATHENA_TABLE,
    athena_workgroup: str = ATHENA_WG,
    athena_output: str | None = ATHENA_OUT,
) -> None:
    """Canned hunts; exit 1 when any hunt finds something.

    With --source, per-event hunts read the files directly (no database); aggregate hunts ingest
    into a temporary database first.
    """
    if name is not None and name not in HUNTS:
        raise UsageError(f"unknown hunt {name!r}: choose from {', '.join(HUNTS)}")
    hunts = dict(HUNTS)
    if event_name:
        if name is not None:
            raise UsageError("give either a hunt NAME or --event-name, not both")
        hunts["event-name"] = by_event_names(event_name)
        name = "event-name"
    scope = make_scope(account, region, start, end)
    names = [name] if name else list(HUNTS)
    results: dict[str, list[dict[str, Any]]] = {}
    if engine == Engine.athena:
        runner = _athena(source, athena_database, athena_table, athena_workgroup, athena_output)
        window = questions.window_sql(scope) + " AND " + athena_sql.day_filter(scope)
        for n in names:
            sql = hunts[n].athena_sql(window)
            if sql is None:
                err_console.print(f"hunt {n}: not available on Athena (use duckdb)", markup=False)
                continue
            results[n] = runner.run(athena_sql.render(sql))
        names = [n for n in names if n in results]
    direct = [n for n in names if hunts[n].predicate is not None] if source else []
    direct = [n for n in direct if n not in results]
    for n in direct:
        results[n] = _hunt_files(hunts[n], source or "", scope)
    rest = [n for n in names if n not in results]
    if rest:
        with _database(db, source, scope) as con:
            for n in rest:
                results[n] = questions.hunt(con, hunts[n], scope)
    found = any(results.values())
    if output == TableFormat.table:
        for n in names:
            render(results[n], output, f"{n}: {hunts[n].title}")
    else:
        render([{"hunt": n, **row} for n in names for row in results[n]], output)
    raise typer.Exit(EXIT_FINDINGS if found else EXIT_OK)


def _hunt_files(hunt: Hunt, source: str, scope: Scope) -> list[dict[str, Any]]:
    assert hunt.predicate is not None
    stats = ReadStats()
    src = open_source(source)
    # Needles let most records skip JSON parsing entirely; the predicate then decides exactly.
    records = (
        iter_matching_records(src, scope, stats, hunt.needles)
        if hunt.needles
        else iter_records(src, scope, stats)
    )
    found = [event_row(rec) for rec in records if hunt.predicate(rec)]
    for fname, reason in stats.corrupt:
        err_console.print(f"skipped corrupt file {fname}: {reason}", markup=False)
    found.sort(key=lambda r: (str(r["eventTime"]), str(r["eventID"])))
    return found


@logs_app.command("sigma")
@with_aws_options
def sigma_cmd(
    rules: Path = typer.Option(..., "--rules", help="Folder of Sigma rules (YAML)."),
    source: str | None = typer.Argument(None, help="Folder, file or s3://bucket/prefix."),
    db: Path | None = DB_OPTION,
    start: str | None = START,
    end: str | None = END,
    output: TableFormat = TABLE_OUTPUT,
) -> None:
    """Run Sigma rules for aws/cloudtrail over the records; exit 1 when any rule matches."""
    if not rules.is_dir():
        raise UsageError(f"--rules {rules} is not a folder")
    if (db is None) == (source is None):
        raise UsageError("give exactly one of SOURCE or --db FILE")
    loaded, problems = load_rules(rules)
    for path, why in problems:
        err_console.print(f"rule {path.name}: {why}", markup=False)
    if not loaded:
        raise UsageError(f"no usable aws/cloudtrail Sigma rules in {rules}")
    scope = make_scope(None, None, start, end)
    stats = ReadStats()
    if db is not None:
        con = store.connect(db, read_only=True)
        records: Iterator[dict[str, Any]] = (
            r for r in store.iter_db_records(con) if scope.wants_time(event_time(r))
        )
    else:
        records = iter_records(open_source(source or ""), scope, stats)
    matches: list[dict[str, Any]] = []
    for rec in records:
        for rule in loaded:
            if rule.match(rec):
                matches.append(
                    {"rule": rule.title, "level": rule.level, "ruleId": rule.id, **event_row(rec)}
                )
    for fname, reason in stats.corrupt:
        err_console.print(f"skipped corrupt file {fname}: {reason}", markup=False)
    matches.sort(key=lambda m: (str(m["rule"]), str(m["eventTime"]), str(m["eventID"])))
    if output == TableFormat.table:
        summary: dict[str, int] = {}
        for m in matches:
            summary[m["rule"]] = summary.get(m["rule"], 0) + 1
        console.print(
            f"{len(loaded)} rules run, {len(summary)} matched, {len(matches)} matches", markup=False
        )
    render(matches, output, "Sigma matches")
    raise typer.Exit(EXIT_FINDINGS if matches else EXIT_OK)
