"""``trailwarden plan``: scan (or read a snapshot), then the steps that build the baseline."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from trailwarden.apply import CountingAccess, probe
from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_OK,
    OUTPUT_OPTION,
    OutputFormat,
    console,
    emit_json,
)
from trailwarden.cli.options import ScanArgs, parse_accounts, with_option_groups
from trailwarden.cli.scan import collect_with_bar
from trailwarden.errors import UsageError
from trailwarden.plan.export import export_iac
from trailwarden.plan.model import Plan, save_plan
from trailwarden.plan.names import parse_tags
from trailwarden.plan.steps import PlanOptions, build_plan
from trailwarden.plan.text import render_plan
from trailwarden.snapshot import Snapshot, load_snapshot, save_snapshot


def baseline_options(
    *,
    home_region: str | None,
    trail_name: str | None,
    bucket: str | None,
    bucket_region: str | None,
    prefix: str | None,
    retention_days: int | None,
    access_log_bucket: str | None,
    kms_key: str | None,
    kms_readers: list[str],
    log_group: str | None,
    log_retention_days: int | None,
    cloudwatch_role: str | None,
    alarm_emails: list[str],
    alarm_topic: str | None,
    no_alarms: bool,
    tags: list[str],
) -> dict[str, Any]:
    """Only what the user gave: the planner derives the rest from an existing trail or defaults."""
    given: dict[str, Any] = {
        "home_region": home_region,
        "trail_name": trail_name,
        "bucket": bucket,
        "bucket_region": bucket_region,
        "prefix": prefix,
        "retention_days": retention_days,
        "access_log_bucket": access_log_bucket,
        "kms_key": kms_key,
        "kms_readers": kms_readers or None,
        "log_group": log_group,
        "log_retention_days": log_retention_days,
        "cloudwatch_role": cloudwatch_role,
        "alarm_email": alarm_emails or None,
        "alarm_topic": alarm_topic,
        "alarms": False if no_alarms else None,
        "tags": parse_tags(tags) or None,
    }
    return {k: v for k, v in given.items() if v is not None}


def make_plan(
    access: CountingAccess | None,
    snapshot: Snapshot,
    options: PlanOptions,
    scan_calls: dict[str, int] | None = None,
) -> Plan:
    """Build the plan; with ``access``, check every step against live AWS (counted)."""
    plan = build_plan(snapshot, options)
    if access is not None:
        before = access.snapshot_counts()
        plan = probe(access, plan)
        probed = access.per_account(before)
        for account in {*probed, *(scan_calls or {})}:
            plan.api_calls[account] = {
                "scan": (scan_calls or {}).get(account, 0),
                "plan checks": probed.get(account, 0),
            }
    return plan


@app.command()
@with_option_groups
def plan(
    target: ScanArgs = ScanArgs(),
    load: Path | None = typer.Option(
        None, "--from-snapshot", help="Plan from a saved snapshot (no AWS: actions predicted)."
    ),
    save: Path | None = typer.Option(None, "--save-snapshot", help="Write the snapshot to FILE."),
    home_region: str | None = typer.Option(None, "--home-region", help="The trail's home Region."),
    trail_name: str | None = typer.Option(None, "--trail-name", help="Default: trailwarden."),
    bucket: str | None = typer.Option(None, "--bucket", help="The trail's log bucket."),
    bucket_region: str | None = typer.Option(None, "--bucket-region", help="Default: home."),
    prefix: str | None = typer.Option(None, "--prefix", help="S3 key prefix of the log files."),
    retention_days: int | None = typer.Option(None, "--retention-days", help="Default 365."),
    access_log_bucket: str | None = typer.Option(None, "--access-log-bucket"),
    kms_key: str | None = typer.Option(None, "--kms-key", help="new (default), none or a key ARN."),
    kms_readers: list[str] = typer.Option([], "--kms-reader", help="Principal ARN to decrypt."),
    log_group: str | None = typer.Option(None, "--log-group", help="Default cloudtrail/TRAIL."),
    log_retention_days: int | None = typer.Option(None, "--log-retention-days"),
    cloudwatch_role: str | None = typer.Option(None, "--cloudwatch-role"),
    alarm_emails: list[str] = typer.Option([], "--alarm-email", help="Subscribe this address."),
    alarm_topic: str | None = typer.Option(None, "--alarm-topic", help="Existing topic ARN."),
    no_alarms: bool = typer.Option(False, "--no-alarms", help="Skip the CIS filters/alarms."),
    tags: list[str] = typer.Option([], "--tag", help="key=value, repeatable."),
    allow_data_events: bool = typer.Option(
        False, "--allow-data-events", help="Keep data-event selectors of a repaired trail."
    ),
    events_per_month: int = typer.Option(
        300_000, "--events-per-month", help="Management events per account, for the cost."
    ),
    fmt: str | None = typer.Option(
        None, "--format", help="Print the baseline as cloudformation or terraform instead."
    ),
    output: OutputFormat = OUTPUT_OPTION,
    out: Path | None = typer.Option(None, "--out", help="Write the plan (or IaC) to FILE."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List unchanged steps too."),
) -> None:
    """Plan the baseline trail for each account: ordered AWS calls, why, and the cost change."""
    if events_per_month < 0:
        raise UsageError("--events-per-month must not be negative")
    options = PlanOptions(
        baseline=baseline_options(
            home_region=home_region,
            trail_name=trail_name,
            bucket=bucket,
            bucket_region=bucket_region,
            prefix=prefix,
            retention_days=retention_days,
            access_log_bucket=access_log_bucket,
            kms_key=kms_key,
            kms_readers=kms_readers,
            log_group=log_group,
            log_retention_days=log_retention_days,
            cloudwatch_role=cloudwatch_role,
            alarm_emails=alarm_emails,
            alarm_topic=alarm_topic,
            no_alarms=no_alarms,
            tags=tags,
        ),
        allow_data_events=allow_data_events,
        events_per_month=events_per_month,
        accounts=(
            tuple(parse_accounts(target.accounts) or ())
            if load is not None and target.accounts
            else None
        ),
    )
    if load is not None:
        the_plan = make_plan(None, load_snapshot(load), options)
    else:
        access, snapshot, calls = scan_with_counts(target)
        if save is not None:
            save_snapshot(snapshot, save)
        if "home_region" not in options.baseline:
            home = {"home_region": access.default_region}
            options = replace(options, baseline={**options.baseline, **home})
        the_plan = make_plan(access, snapshot, options, calls)
    if fmt is not None:
        raise typer.Exit(_export(the_plan, fmt, out))
    if out is not None:
        save_plan(the_plan, out)
    if output == OutputFormat.json:
        emit_json(the_plan.model_dump(mode="json", by_alias=True))
    else:
        for line in render_plan(the_plan, verbose):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if out is not None:
            console.print(f"plan written to {out}; apply it with: trailwarden apply {out}")
    raise typer.Exit(EXIT_OK)


def _export(the_plan: Plan, fmt: str, out: Path | None) -> int:
    baselines = [a.baseline for a in the_plan.accounts if a.baseline is not None]
    if len(baselines) != 1:
        raise UsageError(
            f"--format renders one account's baseline; this plan has {len(baselines)}"
            " (choose one with --accounts)"
        )
    text = export_iac(baselines[0], fmt)
    if out is not None:
        out.write_text(text)
    else:
        typer.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK


def scan_with_counts(target: ScanArgs) -> tuple[CountingAccess, Snapshot, dict[str, int]]:
    """The scan's snapshot through a counting session (plan reports its API calls)."""
    access_options, scan = target.options()
    access = CountingAccess(access_options)
    snapshot = collect_with_bar(access, scan)
    return access, snapshot, access.per_account()
