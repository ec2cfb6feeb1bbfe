"""``trailwarden scan``: inventory every trail and evaluate the control family."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path

import typer

from trailwarden.aws.session import AwsAccess
from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OUTPUT_OPTION,
    OutputFormat,
    console,
    emit_json,
)
from trailwarden.cli.options import AccessArgs, ScanScope, split_list, with_option_groups
from trailwarden.cli.progress import progress_bar
from trailwarden.collect import ScanOptions, collect
from trailwarden.controls import ControlParams, Evaluation, Severity, evaluate
from trailwarden.report.findings_json import findings_document
from trailwarden.report.text import render_text
from trailwarden.snapshot import Snapshot, load_snapshot, save_snapshot


class FailOn(enum.StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"


def scan_snapshot(reach: AccessArgs, target: ScanScope) -> Snapshot:
    """Options -> AWS -> snapshot: what the scan and demo commands share."""
    access, scan = target.options(reach)
    return collect_with_bar(AwsAccess(access), scan)


def collect_with_bar(access: AwsAccess, scan: ScanOptions) -> Snapshot:
    """``collect``, with the scanning bar on a terminal."""
    with progress_bar("scanning") as bar:
        return collect(access, replace(scan, on_progress=bar))


def report(
    evaluation: Evaluation, output: OutputFormat, out: Path | None, fail_on: FailOn, verbose: bool
) -> int:
    if output == OutputFormat.json or out is not None:
        emit_json(findings_document(evaluation), out)
    if output == OutputFormat.text:
        render_text(evaluation, console, verbose=verbose)
    failed = evaluation.failed_at_or_above(Severity(fail_on.value))
    return EXIT_FINDINGS if failed else EXIT_OK


@app.command()
@with_option_groups
def scan(
    reach: AccessArgs = AccessArgs(),
    target: ScanScope = ScanScope(),
    output: OutputFormat = OUTPUT_OPTION,
    out: Path | None = typer.Option(None, "--out", help="Write the JSON findings to FILE."),
    fail_on: FailOn = typer.Option(
        FailOn.HIGH, "--fail-on", help="Exit 1 when a finding at or above this severity failed."
    ),
    save: Path | None = typer.Option(None, "--save-snapshot", help="Write the snapshot to FILE."),
    load: Path | None = typer.Option(
        None, "--from-snapshot", help="Evaluate a saved snapshot offline, without AWS."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every failed finding."),
    required_tag_keys: str | None = typer.Option(
        None, "--required-tag-keys", help="CloudTrail.9 parameter: tag keys every trail must have."
    ),
) -> None:
    """Inventory every trail in every account and Region; evaluate CloudTrail.x and CloudWatch.x."""
    snapshot = load_snapshot(load) if load is not None else scan_snapshot(reach, target)
    if save is not None:
        save_snapshot(snapshot, save)
    params = ControlParams(tuple(split_list(required_tag_keys, "required-tag-keys") or ()))
    raise typer.Exit(report(evaluate(snapshot, params=params), output, out, fail_on, verbose))
