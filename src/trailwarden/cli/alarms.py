"""`trailwarden alarms replay`: would the metric-filter alarms have paged us on this history?"""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, note
from trailwarden.cli.options import AwsArgs, with_option_groups
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.logs import ask
from trailwarden.logs.layout import make_scope
from trailwarden.logs.replay import AlarmSpec, cis_specs, dumps_ids, firing_rows, load_specs, replay
from trailwarden.trailstore.records import ReadStats

alarms_app = typer.Typer(
    help="Metric-filter alarms: replay them over recorded CloudTrail history.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(alarms_app, name="alarms")


@alarms_app.command("replay")
@with_option_groups
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
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Print when each alarm would have fired and on which events; exit 1 if any fired."""
    if (db is None) == (source is None):
        raise UsageError("give exactly one of SOURCE or --db FILE")
    specs = _specs(patterns, log_group, aws)
    if not specs:
        raise UsageError("no metric filters to replay")
    scope = make_scope(None, None, start, end)
    stats = ReadStats()
    firings = replay(ask.records(db, aws.files(source) if source else None, scope, stats), specs)
    ask.corrupt_notes(stats, note)
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
    render(rows, output, "alarm firings")
    raise typer.Exit(EXIT_FINDINGS if firings else EXIT_OK)


def _specs(patterns: str, log_group: str | None, aws: AwsArgs) -> list[AlarmSpec]:
    """The alarms to replay: the CIS set, the account's own, or a file's."""
    if patterns == "cis":
        return cis_specs()
    if patterns == "account":
        from trailwarden.logs.account import account_specs

        access = aws.access()
        return account_specs(access.own_client("logs"), access.own_client("cloudwatch"), log_group)
    path = Path(patterns)
    if not path.is_file():
        raise UsageError(f"--patterns {patterns}: expected cis, account or a file")
    return load_specs(path)
