"""The ``logs`` command group and what its commands share: options, where the records are, where
Athena runs, how rows are shown."""

from __future__ import annotations

import dataclasses
import enum
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from trailwarden.cli import app
from trailwarden.cli.common import Out, note
from trailwarden.cli.options import AthenaArgs, AwsArgs, Filters, Window, option_group
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.logs import ask
from trailwarden.logs.ask import RunSql
from trailwarden.logs.layout import Scope, make_scope

logs_app = typer.Typer(
    help="Query the audit trail: ingest CloudTrail files, then ask who, what, when, where.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(logs_app, name="logs")


class Engine(enum.StrEnum):
    duckdb = "duckdb"
    athena = "athena"


Db = Annotated[Path | None, typer.Option("--db", help="DuckDB database written by `logs ingest`.")]
Source = Annotated[
    str | None,
    typer.Option("--source", help="CloudTrail files: a folder, a file or s3://bucket/prefix."),
]
# SOURCE was positional in ingest, sigma and alarms replay: still taken there, for one release.
OldSource = Annotated[str | None, typer.Argument(hidden=True, metavar="SOURCE", show_default=False)]
TableOutput = Annotated[
    TableFormat,
    typer.Option("--output", "-o", help="table, json, jsonl (one object per line) or csv"),
]
EngineChoice = Annotated[
    Engine,
    typer.Option(
        "--engine", help="duckdb (local) or athena (where the logs are; needs --source s3://)"
    ),
]


@option_group
@dataclasses.dataclass(frozen=True)
class Records:
    """Where the records are: a database from ``logs ingest``, or the files themselves."""

    db: Db = None
    source: Source = None

    def database(
        self, aws: AwsArgs, scope: Scope
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """``--db`` as is, or ``--source`` ingested into a throwaway database."""
        return ask.database(self.db, self.source, aws.files, scope, note)

    def athena(self, where: AthenaArgs, aws: AwsArgs) -> RunSql:
        """Run statements on Athena over the trail's bucket (its table and view put in place)."""
        from trailwarden.logs.athena import Athena
        from trailwarden.logs.lossless import ATHENA_NOTE
        from trailwarden.trailstore.s3 import open_source

        if self.source is None or not self.source.startswith("s3://"):
            raise UsageError("--engine athena needs --source s3://trail-bucket[/prefix]")
        note(ATHENA_NOTE)
        access = aws.access()
        client = access.own_client("athena")
        return Athena.over(open_source(self.source, access), client, **where.where()).run


@option_group
@dataclasses.dataclass(frozen=True)
class Shown:
    """How the rows are shown, and the file they are written to."""

    output: TableOutput = TableFormat.table
    out: Out = None

    def render(self, rows: ask.Rows, title: str | None = None) -> None:
        render(rows, self.output, title, self.out)


def scope(window: Window, filters: Filters | None = None, *, required: bool = False) -> Scope:
    """The accounts, Regions and time the question is about."""
    start, end = window.bounds(start_required=required, end_required=required)
    if filters is None:
        return make_scope(None, None, start, end)
    return make_scope(filters.account_list(), filters.region_list(), start, end)


def source_of(records: Records, positional: str | None) -> Records:
    """``--source``, or SOURCE given the old way (positional)."""
    if positional is not None and records.source is not None:
        raise UsageError("give SOURCE once, as --source")
    if positional is None:
        return records
    return dataclasses.replace(records, source=positional)
