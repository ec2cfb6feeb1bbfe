"""``trailwarden logs who|actor|timeline|query``: questions asked of DuckDB or Athena."""

from __future__ import annotations

import typer

from trailwarden.cli.common import EXIT_OK
from trailwarden.cli.logs.group import (
    AccountFilter,
    Asked,
    Db,
    Engine,
    EngineChoice,
    RegionFilter,
    Source,
    TableOutput,
    athena,
    database,
    logs_app,
)
from trailwarden.cli.options import AthenaArgs, AwsArgs, ProfileArgs, with_option_groups
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.logs import ask, questions
from trailwarden.logs.layout import Scope, make_scope


@logs_app.command("who")
@with_option_groups
def who_cmd(
    resource: str = typer.Option(..., "--resource", help="Resource ARN or name."),
    asked: Asked = Asked(),
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Every principal that touched a resource: first and last time, actions, source IPs."""
    rows = asked.answer(questions.who, resource, where, aws)
    render(rows, asked.output, f"who touched {resource}")
    raise typer.Exit(EXIT_OK)


@logs_app.command("actor")
@with_option_groups
def actor_cmd(
    principal: str = typer.Argument(..., help="User/role/session ARN, user name or access key."),
    asked: Asked = Asked(),
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Everything a principal did; `origin` follows role sessions back through AssumeRole."""
    rows = asked.answer(questions.actor, principal, where, aws)
    render(rows, asked.output, f"actions of {principal}")
    raise typer.Exit(EXIT_OK)


@logs_app.command("timeline")
@with_option_groups
def timeline_cmd(
    start: str = typer.Option(..., "--start", help="From (YYYY-MM-DD or ISO time, UTC)."),
    end: str = typer.Option(..., "--end", help="Until (an end date includes the whole day)."),
    db: Db = None,
    source: Source = None,
    account: AccountFilter = None,
    region: RegionFilter = None,
    limit: int = typer.Option(10000, "--limit", min=1, help="At most this many events."),
    output: TableOutput = TableFormat.table,
    engine: EngineChoice = Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: ProfileArgs = ProfileArgs(),
) -> None:
    """Events in a time window, oldest first."""
    scope = make_scope(account, region, start, end)
    if engine == Engine.athena:
        rows = ask.timeline_on_athena(athena(source, where, aws), scope, limit)
    else:
        with database(db, source, aws, scope) as con:
            rows = questions.timeline(con, scope, limit)
    render(rows, output, "timeline")
    raise typer.Exit(EXIT_OK)


@logs_app.command("query")
@with_option_groups
def query_cmd(
    sql: str = typer.Argument(..., help="SQL over the view `events` (CloudTrail field names)."),
    db: Db = None,
    source: Source = None,
    output: TableOutput = TableFormat.table,
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
        rows = athena(source, where, aws)(sql)
    else:
        with database(db, source, aws, Scope()) as con:
            rows = questions.query(con, sql)
    render(rows, output)
    raise typer.Exit(EXIT_OK)
