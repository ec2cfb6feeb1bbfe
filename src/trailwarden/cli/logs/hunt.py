"""``trailwarden logs hunt|sigma``: canned hunts and Sigma rules; exit 1 when anything is found."""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, note
from trailwarden.cli.logs import group
from trailwarden.cli.options import AthenaArgs, AwsArgs, ProfileArgs, with_option_groups
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.logs import ask
from trailwarden.logs.hunts import HUNTS, by_event_names
from trailwarden.logs.layout import make_scope
from trailwarden.logs.sigma import load_rules
from trailwarden.trailstore.records import ReadStats


@group.logs_app.command("hunt")
@with_option_groups
def hunt_cmd(
    name: str | None = typer.Argument(None, help=f"One of: {', '.join(HUNTS)} (default: all)."),
    db: group.Db = None,
    source: group.Source = None,
    start: group.Start = None,
    end: group.End = None,
    account: group.AccountFilter = None,
    region: group.RegionFilter = None,
    event_name: list[str] | None = typer.Option(
        None, "--event-name", help="Ad-hoc hunt for events with this name (repeatable)."
    ),
    output: group.TableOutput = TableFormat.table,
    engine: group.EngineChoice = group.Engine.duckdb,
    where: AthenaArgs = AthenaArgs(),
    aws: ProfileArgs = ProfileArgs(),
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
    results = ask.hunt(
        hunts,
        [name] if name else list(HUNTS),
        scope,
        athena=group.athena(source, where, aws) if engine == group.Engine.athena else None,
        files=aws.files(source) if source and engine == group.Engine.duckdb else None,
        open_database=lambda: group.database(db, source, aws, scope),
        on_note=note,
    )
    if output == TableFormat.table:
        for n, rows in results.items():
            render(rows, output, f"{n}: {hunts[n].title}")
    else:
        render([{"hunt": n, **row} for n, rows in results.items() for row in rows], output)
    raise typer.Exit(EXIT_FINDINGS if any(results.values()) else EXIT_OK)


@group.logs_app.command("sigma")
@with_option_groups
def sigma_cmd(
    rules: Path = typer.Option(..., "--rules", help="Folder of Sigma rules (YAML)."),
    source: str | None = typer.Argument(None, help="Folder, file or s3://bucket/prefix."),
    db: group.Db = None,
    start: group.Start = None,
    end: group.End = None,
    output: group.TableOutput = TableFormat.table,
    aws: AwsArgs = AwsArgs(),
) -> None:
    """Run Sigma rules for aws/cloudtrail over the records; exit 1 when any rule matches."""
    if not rules.is_dir():
        raise UsageError(f"--rules {rules} is not a folder")
    if (db is None) == (source is None):
        raise UsageError("give exactly one of SOURCE or --db FILE")
    loaded, problems = load_rules(rules)
    for path, why in problems:
        note(f"rule {path.name}: {why}")
    if not loaded:
        raise UsageError(f"no usable aws/cloudtrail Sigma rules in {rules}")
    stats = ReadStats()
    scope = make_scope(None, None, start, end)
    events = ask.records(db, aws.files(source) if source else None, scope, stats)
    matches = ask.sigma_matches(loaded, events)
    ask.corrupt_notes(stats, note)
    if output == TableFormat.table:
        matched = {m["rule"] for m in matches}
        console.print(
            f"{len(loaded)} rules run, {len(matched)} matched, {len(matches)} matches", markup=False
        )
    render(matches, output, "Sigma matches")
    raise typer.Exit(EXIT_FINDINGS if matches else EXIT_OK)
