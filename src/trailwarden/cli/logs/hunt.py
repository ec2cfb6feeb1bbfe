"""``trailwarden logs hunt|sigma``: canned hunts and Sigma rules; exit 1 when anything is found."""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, emit_json, note
from trailwarden.cli.logs import group
from trailwarden.cli.options import AthenaArgs, AwsArgs, Filters, Window, with_option_groups
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.logs import ask
from trailwarden.logs.hunts import HUNTS, by_event_names
from trailwarden.logs.sigma import load_rules
from trailwarden.trailstore.records import ReadStats


@group.logs_app.command("hunt")
@with_option_groups
def hunt_cmd(
    name: str | None = typer.Argument(None, help=f"One of: {', '.join(HUNTS)} (default: all)."),
    records: group.Records = group.Records(),
    window: Window = Window(),
    filters: Filters = Filters(),
    event_name: list[str] | None = typer.Option(
        None, "--event-name", help="Ad-hoc hunt for events with this name (repeatable)."
    ),
    shown: group.Shown = group.Shown(),
    engine: group.EngineChoice = group.Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: AwsArgs = AwsArgs(),
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
    when = group.scope(window, filters)
    on_athena = engine == group.Engine.athena
    source = records.source
    results = ask.hunt(
        hunts,
        [name] if name else list(HUNTS),
        when,
        athena=records.athena(where, aws) if on_athena else None,
        files=aws.files(source) if source and not on_athena else None,
        open_database=lambda: records.database(aws, when),
        on_note=note,
    )
    found = [{"hunt": n, **row} for n, rows in results.items() for row in rows]
    if shown.output == TableFormat.table:
        for n, rows in results.items():
            render(rows, TableFormat.table, f"{n}: {hunts[n].title}")
        if shown.out is not None:
            emit_json(found, shown.out)
    else:
        shown.render(found)
    raise typer.Exit(EXIT_FINDINGS if any(results.values()) else EXIT_OK)


@group.logs_app.command("sigma")
@with_option_groups
def sigma_cmd(
    rules: Path = typer.Option(..., "--rules", help="Folder of Sigma rules (YAML)."),
    positional: group.OldSource = None,
    records: group.Records = group.Records(),
    window: Window = Window(),
    shown: group.Shown = group.Shown(),
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Run Sigma rules for aws/cloudtrail over the records; exit 1 when any rule matches."""
    records = group.source_of(records, positional)
    if not rules.is_dir():
        raise UsageError(f"--rules {rules} is not a folder")
    if (records.db is None) == (records.source is None):
        raise UsageError("give exactly one of --source SOURCE or --db FILE")
    loaded, problems = load_rules(rules)
    for path, why in problems:
        note(f"rule {path.name}: {why}")
    if not loaded:
        raise UsageError(f"no usable aws/cloudtrail Sigma rules in {rules}")
    stats = ReadStats()
    files = aws.files(records.source) if records.source else None
    matches = ask.sigma_matches(loaded, ask.records(records.db, files, group.scope(window), stats))
    ask.read_notes(stats, note, group.scope(window), records.db)
    if shown.output == TableFormat.table:
        matched = {m["rule"] for m in matches}
        console.print(
            f"{len(loaded)} rules run, {len(matched)} matched, {len(matches)} matches", markup=False
        )
    shown.render(matches, "Sigma matches")
    raise typer.Exit(EXIT_FINDINGS if matches else EXIT_OK)
