"""`trailwarden alarms replay`: would the metric-filter alarms have paged us on this history?"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer

from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    TableFormat,
    console,
    err_console,
    with_aws_options,
)
from trailwarden.errors import UsageError
from trailwarden.logs import store
from trailwarden.logs.layout import make_scope
from trailwarden.logs.readers import iter_records
from trailwarden.logs.replay import cis_specs, dumps_ids, firing_rows, load_specs, replay
from trailwarden.trailstore.records import ReadStats, event_time
from trailwarden.trailstore.s3 import open_source

alarms_app = typer.Typer(
    help="Metric-filter alarms: replay them over recorded CloudTrail history.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(alarms_app, name="alarms")


@alarms_app.command("replay")
@with_aws_options
def replay_cmd(
    source: str | None = typer.Argument(None, help="Folder, file or s3://bucket/prefix."),
    db: Path | None = typer.Option(None, "--db", help="DuckDB database from `logs ingest`."),
    patterns: str = typer.Option(
        "cis", "--patterns", help="cis (the 14 CIS filters), account, or a JSON/YAML file."
    ),
    log_group: str | None = typer.Option(
        None, "--log-group", help="With --patterns account: only this log group's filters."
    ),
    start: str | None = typer.Option(None, "--start", help="From (YYYY-MM-DD or ISO time)."),
    end: str | None = typer.Option(None, "--end", help="Until (an end date is the whole day)."),
    output: TableFormat = typer.Option(TableFormat.table, "--output", "-o", help="table/json/csv"),
) -> None:
    """Print when each alarm would have fired and on which events; exit 1 if any fired."""
    if (db is None) == (source is None):
        raise UsageError("give exactly one of SOURCE or --db FILE")
    if patterns == "cis":
        specs = cis_specs()
    elif patterns == "account":
        from trailwarden.logs.account import account_specs

        specs = account_specs(log_group)
    else:
        path = Path(patterns)
        if not path.is_file():
            raise UsageError(f"--patterns {patterns}: expected cis, account or a file")
        specs = load_specs(path)
    if not specs:
        raise UsageError("no metric filters to replay")
    scope = make_scope(None, None, start, end)
    stats = ReadStats()
    if db is not None:
        con = store.connect(db, read_only=True)
        records: Iterator[dict[str, Any]] = (
            r for r in store.iter_db_records(con) if scope.wants_time(event_time(r))
        )
    else:
        records = iter_records(open_source(source or ""), scope, stats)
    firings = replay(records, specs)
    for fname, reason in stats.corrupt:
        err_console.print(f"skipped corrupt file {fname}: {reason}", markup=False)
    rows = firing_rows(firings)
    if output == TableFormat.table:
        fired = {f.alarm for f in firings}
        console.print(
            f"{len(specs)} alarms replayed, {len(fired)} would have fired "
            f"({len(firings)} times); never fired: "
            + (", ".join(s.name for s in specs if s.name not in fired) or "none"),
            markup=False,
        )
        rows = [{**r, "eventIDs": dumps_ids(r["eventIDs"])} for r in rows]
    elif output == TableFormat.csv:
        rows = [{**r, "eventIDs": " ".join(r["eventIDs"])} for r in rows]
    from trailwarden.cli.logs import render

    render(rows, output, "alarm firings")
    raise typer.Exit(EXIT_FINDINGS if firings else EXIT_OK)
