"""``trailwarden scan``: inventory every trail and evaluate the control family."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import NotRequired, TypedDict, Unpack

import typer

from trailwarden.aws.session import DEFAULT_ROLE_NAME, AccessOptions, AwsAccess
from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_FINDINGS,
    EXIT_OK,
    OUTPUT_OPTION,
    OutputFormat,
    console,
    emit_json,
)
from trailwarden.cli.progress import progress_bar
from trailwarden.collect import ScanOptions, collect
from trailwarden.controls import ControlParams, Evaluation, Severity, evaluate
from trailwarden.errors import UsageError
from trailwarden.report.findings_json import findings_document
from trailwarden.report.text import render_text
from trailwarden.snapshot import Snapshot, load_snapshot, save_snapshot


class FailOn(enum.StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"


def split_list(value: str | None, what: str) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise UsageError(f"--{what} needs at least one value")
    return items


def parse_accounts(value: str | None) -> list[str] | None:
    accounts = split_list(value, "accounts")
    for a in accounts or []:
        if not (a.isdigit() and len(a) == 12):
            raise UsageError(f"--accounts: {a!r} is not a 12-digit AWS account ID")
    return accounts


def scan_inputs(
    *,
    profile: str | None,
    region: str | None,
    accounts: str | None,
    org: bool,
    role_name: str,
    external_id: str | None,
    regions: str | None,
    max_workers: int,
    max_attempts: int = 8,
) -> tuple[AccessOptions, ScanOptions]:
    """The scan options every scanning command shares, checked: one-line errors for bad ones."""
    if max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    if max_attempts < 1:
        raise UsageError("--max-attempts must be at least 1")
    if org and accounts:
        raise UsageError("use either --org or --accounts, not both")
    access = AccessOptions(
        profile=profile,
        region=region,
        role_name=role_name,
        external_id=external_id,
        max_attempts=max_attempts,
        pool_size=max(10, max_workers),
    )
    scan = ScanOptions(
        accounts=parse_accounts(accounts),
        org=org,
        regions=split_list(regions, "regions"),
        max_workers=max_workers,
    )
    return access, scan


class ScanArgs(TypedDict):
    """The keyword arguments of ``scan_inputs`` (max_attempts may be left out)."""

    profile: str | None
    region: str | None
    accounts: str | None
    org: bool
    role_name: str
    external_id: str | None
    regions: str | None
    max_workers: int
    max_attempts: NotRequired[int]


def scan_snapshot(**options: Unpack[ScanArgs]) -> Snapshot:
    """Options -> AWS -> snapshot: what the scan and demo commands share (see ``scan_inputs``)."""
    access, scan = scan_inputs(**options)
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


PROFILE = typer.Option(None, "--profile", help="AWS profile (default: the standard chain).")
REGION = typer.Option(None, "--region", help="Region for global calls (STS, Organizations).")
ACCOUNTS = typer.Option(None, "--accounts", help="Comma-separated account IDs to scan.")
ORG = typer.Option(False, "--org", help="Scan every active account of the organisation.")
ROLE = typer.Option(DEFAULT_ROLE_NAME, "--role-name", help="Role assumed in other accounts.")
EXTERNAL_ID = typer.Option(None, "--external-id", help="External ID for AssumeRole.")
REGIONS = typer.Option(None, "--regions", help="Comma-separated Regions (default: all enabled).")
WORKERS = typer.Option(32, "--max-workers", help="API calls in flight at once.")
ATTEMPTS = typer.Option(
    8, "--max-attempts", help="Attempts per call (adaptive retries absorb throttling)."
)


@app.command()
def scan(
    profile: str | None = PROFILE,
    region: str | None = REGION,
    accounts: str | None = ACCOUNTS,
    org: bool = ORG,
    role_name: str = ROLE,
    external_id: str | None = EXTERNAL_ID,
    regions: str | None = REGIONS,
    max_workers: int = WORKERS,
    max_attempts: int = ATTEMPTS,
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
    if load is not None:
        snapshot = load_snapshot(load)
    else:
        snapshot = scan_snapshot(
            profile=profile,
            region=region,
            accounts=accounts,
            org=org,
            role_name=role_name,
            external_id=external_id,
            regions=regions,
            max_workers=max_workers,
            max_attempts=max_attempts,
        )
    if save is not None:
        save_snapshot(snapshot, save)
    params = ControlParams(tuple(split_list(required_tag_keys, "required-tag-keys") or ()))
    raise typer.Exit(report(evaluate(snapshot, params=params), output, out, fail_on, verbose))
