"""`trailwarden alarms replay`: would the metric-filter alarms have paged us on this history?"""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, note
from trailwarden.cli.logs.group import OldSource, Records, Shown, scope, source_of
from trailwarden.cli.options import AwsArgs, Window, with_option_groups
from trailwarden.cli.tables import TableFormat
from trailwarden.errors import UsageError
from trailwarden.logs import ask
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
    positional: OldSource = None,
    records: Records = Records(),
    patterns: str = typer.Option(
        "cis", "--patterns", help="cis (the 14 CIS filters), account, or a JSON/YAML file."
    ),
    log_group: str | None = typer.Option(
        None, "--log-group", help="With --patterns account: only this log group's filters."
    ),
    window: Window = Window(),
    shown: Shown = Shown(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Print when each alarm would have fired and on which events; exit 1 if any fired."""
    records = source_of(records, positional)
    if (records.db is None) == (records.source is None):
        raise UsageError("give exactly one of --source SOURCE or --db FILE")
    specs = _specs(patterns, log_group, aws)
    if not specs:
        raise UsageError("no metric filters to replay")
    stats = ReadStats()
    files = aws.files(records.source) if records.source else None
    firings = replay(ask.records(records.db, files, scope(window), stats), specs)
    ask.read_notes(stats, note, scope(window), records.db)
    rows = firing_rows(firings)
    if shown.output == TableFormat.table:
        fired = {f.alarm for f in firings}
        console.print(
            f"{len(specs)} alarms replayed, {len(fired)} would have fired "
            f"({len(firings)} times); never fired: "
            + (", ".join(s.name for s in specs if s.name not in fired) or "none"),
            markup=False,
        )
        rows = [{**r, "eventIDs": dumps_ids(r["eventIDs"])} for r in rows]
    elif shown.output == TableFormat.csv:
        rows = [{**r, "eventIDs": " ".join(r["eventIDs"])} for r in rows]
    shown.render(rows, "alarm firings")
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
