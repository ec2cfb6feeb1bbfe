"""The ``logs`` command group and what its commands share: options, notes, where Athena runs."""

from __future__ import annotations

import dataclasses
import enum
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Annotated

import duckdb
import typer

from trailwarden.cli import app
from trailwarden.cli.common import note
from trailwarden.cli.options import AthenaArgs, OwnAccountArgs, option_group
from trailwarden.cli.tables import TableFormat
from trailwarden.errors import UsageError
from trailwarden.logs import ask, questions
from trailwarden.logs.ask import Question, Rows, RunSql
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
    typer.Option("--source", help="Read files directly (folder, file or s3://bucket/prefix)."),
]
Start = Annotated[
    str | None, typer.Option("--start", help="From this time (YYYY-MM-DD or ISO time, UTC).")
]
End = Annotated[
    str | None,
    typer.Option("--end", help="Until this time (an end date includes the whole day)."),
]
AccountFilter = Annotated[
    list[str] | None, typer.Option("--account", help="Only these accounts (repeatable).")
]
RegionFilter = Annotated[
    list[str] | None, typer.Option("--region", help="Only these Regions (repeatable).")
]
TableOutput = Annotated[TableFormat, typer.Option("--output", "-o", help="table, json or csv")]
EngineChoice = Annotated[
    Engine,
    typer.Option("--engine", help="duckdb (local) or athena (where the logs are; needs --source)"),
]


def database(
    db: Path | None, source: str | None, aws: OwnAccountArgs, scope: Scope
) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """``--db`` as is, or ``--source`` ingested into a throwaway database."""
    return ask.database(db, source, aws.files, scope, note)


def athena(source: str | None, where: AthenaArgs, aws: OwnAccountArgs) -> RunSql:
    """Run statements on Athena over the trail's bucket (its table and view put in place)."""
    from trailwarden.logs.athena import Athena
    from trailwarden.trailstore.s3 import open_source

    if source is None or not source.startswith("s3://"):
        raise UsageError("--engine athena needs --source s3://trail-bucket[/prefix]")
    access = aws.access()
    client = access.own_client("athena")
    return Athena.over(open_source(source, access), client, **where.where()).run


@option_group
@dataclasses.dataclass(frozen=True)
class Asked:
    """Where ``who`` and ``actor`` ask, over which window, and how they show the answer."""

    db: Db = None
    source: Source = None
    start: Start = None
    end: End = None
    output: TableOutput = TableFormat.table
    engine: EngineChoice = Engine.duckdb

    def answer(
        self, question: Question, subject: str, where: AthenaArgs, aws: OwnAccountArgs
    ) -> Rows:
        """The question asked of DuckDB or, with --engine athena, of Athena."""
        scope = make_scope(None, None, self.start, self.end)
        if self.engine == Engine.athena:
            return ask.answer_on_athena(question, athena(self.source, where, aws), subject, scope)
        with database(self.db, self.source, aws, scope) as con:
            return question(questions.duckdb_runner(con), subject, scope)
