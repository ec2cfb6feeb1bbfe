"""``trailwarden filter``: test, canonicalise and compare CloudWatch Logs filter patterns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from trailwarden.cli import app as _app
from trailwarden.cli.common import EXIT_OK, Output, console, note
from trailwarden.cli.options import with_option_groups
from trailwarden.cli.progress import progress_bar
from trailwarden.errors import UsageError
from trailwarden.filterpattern import canonical, compile_pattern, parse
from trailwarden.filterpattern._events import EventFiles, looks_like_cloudtrail, read_events
from trailwarden.filterpattern.cis import BY_ID
from trailwarden.trailstore.records import ReadStats

filter_app = typer.Typer(
    name="filter",
    help="Test, canonicalise and compare CloudWatch Logs filter patterns, offline.",
    no_args_is_help=True,
)
_app.add_typer(filter_app, name="filter")

PATTERN_ARGUMENT = typer.Argument(
    ..., metavar="PATTERN", help="A filter pattern, e.g. '{$.eventName = DeleteTrail}'."
)


@filter_app.command("test")
@with_option_groups
def test_command(
    pattern: str = PATTERN_ARGUMENT,
    events: Path = typer.Option(
        ...,
        "--events",
        help="A CloudTrail log file or a directory of them (.json/.jsonl, gzipped or not).",
    ),
    shown: Output = Output(),
) -> None:
    """Evaluate PATTERN on CloudTrail records, like TestMetricFilter over any amount of history."""
    predicate = compile_pattern(parse(pattern))  # a bad pattern stops here, before any reading
    files = EventFiles(events)
    walking = events.is_dir()
    total = 0
    matched: list[dict[str, Any]] = []
    skipped: list[str] = []
    stats = ReadStats()
    with progress_bar("reading", when=len(files) > 1) as bar:
        for done, (ref, records) in enumerate(read_events(files, stats), 1):
            if bar is not None:
                bar(done, len(files))
            if walking and not looks_like_cloudtrail(records):
                skipped.append(ref.name)  # e.g. a manifest next to the logs: not events
                continue
            total += len(records)
            matched.extend(event for event in records if predicate(event))
    for name in skipped:
        note(f"skipped {name}: no CloudTrail records")
    for name, reason in stats.corrupt:
        note(f"skipped corrupt file {name}: {reason}")
    doc = {
        "schema": "trailwarden.filtertest/1",
        "pattern": pattern,
        "events": total,
        "matches": len(matched),
        "matched_event_ids": [event.get("eventID") for event in matched],
    }
    if shown.document(doc):
        for event in matched:
            identity = event.get("userIdentity")
            who = (
                identity.get("arn") or identity.get("type") if isinstance(identity, dict) else None
            )
            fields = (
                event.get("eventTime"),
                event.get("eventSource"),
                event.get("eventName"),
                who,
                event.get("eventID"),
            )
            line = "  ".join(str(f if f is not None else "-") for f in fields)
            console.print(line, markup=False, soft_wrap=True)
        console.print(f"{len(matched)} of {total} events match", markup=False)
    raise typer.Exit(EXIT_OK)


@filter_app.command("canonical")
@with_option_groups
def canonical_command(pattern: str = PATTERN_ARGUMENT, shown: Output = Output()) -> None:
    """Print PATTERN in canonical form (what Security Hub's exact comparison sees)."""
    text = canonical(pattern)
    doc = {"schema": "trailwarden.filtercanonical/1", "pattern": pattern, "canonical": text}
    if shown.document(doc):
        console.print(text, markup=False, soft_wrap=True)
    raise typer.Exit(EXIT_OK)


@filter_app.command("compare")
@with_option_groups
def compare_command(
    pattern: str = PATTERN_ARGUMENT,
    control: str = typer.Option(..., "--control", help="CloudWatch.1 to CloudWatch.14."),
    shown: Output = Output(),
) -> None:
    """Compare PATTERN with the CIS filter of a control: exact, equivalent, broader, narrower..."""
    from trailwarden.filterpattern.compare import compare  # builds the corpus: only when asked

    if control not in BY_ID:
        raise UsageError(f"unknown control {control!r}; expected CloudWatch.1 to CloudWatch.14")
    result = compare(pattern, control)
    doc = {
        "schema": "trailwarden.filtercompare/1",
        "pattern": pattern,
        "control": control,
        "cis_pattern": BY_ID[control].pattern,
        "verdict": result.verdict,
        "security_hub_pass": result.security_hub_pass,
        "missed": result.missed,
        "extra": result.extra,
        "explanation": result.explanation,
    }
    if shown.document(doc):
        console.print(f"{control}: {result.verdict}", markup=False)
        console.print(result.explanation, markup=False, soft_wrap=True)
        for label, names in (("missed", result.missed), ("extra", result.extra)):
            for name in names:
                console.print(f"  {label}: {name}", markup=False)
    raise typer.Exit(EXIT_OK)
