"""``trailwarden logs who|actor|timeline|query``: questions asked of DuckDB or Athena."""

from __future__ import annotations

import typer

from trailwarden.cli.common import EXIT_OK, note
from trailwarden.cli.logs.group import (
    Engine,
    EngineChoice,
    Records,
    Shown,
    logs_app,
    scope,
)
from trailwarden.cli.options import AthenaArgs, AwsArgs, Filters, Window, with_option_groups
from trailwarden.errors import UsageError
from trailwarden.logs import ask, questions
from trailwarden.logs.ask import Question, Rows
from trailwarden.logs.layout import Scope


@logs_app.command("who")
@with_option_groups
def who_cmd(
    resource: str = typer.Option(..., "--resource", help="Resource ARN or name."),
    records: Records = Records(),
    window: Window = Window(),
    shown: Shown = Shown(),
    engine: EngineChoice = Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Every principal that touched a resource: first and last time, actions, source IPs."""
    rows = _answer(questions.who, resource, records, scope(window), engine, where, aws)
    shown.render(rows, f"who touched {resource}")
    raise typer.Exit(EXIT_OK)


@logs_app.command("actor")
@with_option_groups
def actor_cmd(
    principal: str = typer.Argument(..., help="User/role/session ARN, user name or access key."),
    records: Records = Records(),
    window: Window = Window(),
    shown: Shown = Shown(),
    engine: EngineChoice = Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Everything a principal did; `origin` follows role sessions back through AssumeRole."""
    rows = _answer(questions.actor, principal, records, scope(window), engine, where, aws)
    shown.render(rows, f"actions of {principal}")
    raise typer.Exit(EXIT_OK)


def _answer(
    question: Question,
    subject: str,
    records: Records,
    when: Scope,
    engine: Engine,
    where: AthenaArgs,
    aws: AwsArgs,
) -> Rows:
    """who or actor, asked of DuckDB or, with --engine athena, of Athena."""
    if engine == Engine.athena:
        return ask.answer_on_athena(question, records.athena(where, aws), subject, when)
    with records.database(aws, when) as con:
        run = questions.duckdb_runner(con)
        _undated_note(run, when)
        return question(run, subject, when)


def _undated_note(run: questions.Runner, when: Scope) -> None:
    """Records without a time are in no window: say how many a windowed question left out."""
    if when.start is not None or when.end is not None:
        text = questions.undated_note(questions.undated(run))
        if text is not None:
            note(text)


@logs_app.command("timeline")
@with_option_groups
def timeline_cmd(
    window: Window = Window(),
    records: Records = Records(),
    filters: Filters = Filters(),
    limit: int = typer.Option(10000, "--limit", min=1, help="At most this many events."),
    shown: Shown = Shown(),
    engine: EngineChoice = Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Events in a time window (--start-time and --end-time required), oldest first."""
    when = scope(window, filters, required=True)
    if engine == Engine.athena:
        rows = ask.timeline_on_athena(records.athena(where, aws), when, limit)
    else:
        with records.database(aws, when) as con:
            _undated_note(questions.duckdb_runner(con), when)
            rows = questions.timeline(con, when, limit)
    shown.render(rows, "timeline")
    raise typer.Exit(EXIT_OK)


@logs_app.command("query")
@with_option_groups
def query_cmd(
    sql: str = typer.Argument(..., help="SQL over the view `events` (CloudTrail field names)."),
    records: Records = Records(),
    shown: Shown = Shown(),
    engine: EngineChoice = Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Run SQL (DuckDB, or CloudTrail Lake / Athena syntax with the table renamed `events`).

    With --engine athena the SQL is sent as written (Trino) to the `events` view in Athena.
    """
    if engine == Engine.athena:
        if not sql.strip():
            raise UsageError("the query is empty")
        rows = records.athena(where, aws)(sql)
    else:
        with records.database(aws, Scope()) as con:
            rows = questions.query(con, sql)
    shown.render(rows)
    raise typer.Exit(EXIT_OK)
