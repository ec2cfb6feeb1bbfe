"""``trailwarden plan``: scan (or read a snapshot), then the steps that build the baseline."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from trailwarden import outfile
from trailwarden.apply import CountingAccess, probe
from trailwarden.cli import app
from trailwarden.cli.common import (
    EXIT_OK,
    OUTPUT_OPTION,
    OutputFormat,
    console,
    emit_json,
)
from trailwarden.cli.options import (
    AccessArgs,
    ScanScope,
    option_group,
    parse_accounts,
    with_option_groups,
)
from trailwarden.cli.org_trail import OrgTrailArgs, blocked, org_plan
from trailwarden.cli.scan import collect_with_bar, saved_snapshot
from trailwarden.errors import UsageError
from trailwarden.plan.export import export_iac, export_org_iac, write_org_iac
from trailwarden.plan.iac_format import iac_format
from trailwarden.plan.model import Plan, save_plan
from trailwarden.plan.names import parse_tags
from trailwarden.plan.steps import PlanOptions, build_plan
from trailwarden.plan.text import render_plan
from trailwarden.snapshot import Snapshot, save_snapshot

if TYPE_CHECKING:
    from trailwarden.aws.session import AwsAccess


def _opt(flag: str, text: str | None = None) -> Any:
    return typer.Option(flag, help=text)


@option_group
@dataclasses.dataclass(frozen=True)
class BaselineArgs:
    """What the user says of the baseline; the planner derives the rest (see ``given``)."""

    home_region: Annotated[str | None, _opt("--home-region", "The trail's home Region.")] = None
    trail_name: Annotated[str | None, _opt("--trail-name", "Default: trailwarden.")] = None
    bucket: Annotated[str | None, _opt("--bucket", "The trail's log bucket.")] = None
    bucket_region: Annotated[str | None, _opt("--bucket-region", "Default: home.")] = None
    prefix: Annotated[str | None, _opt("--prefix", "S3 key prefix of the log files.")] = None
    retention_days: Annotated[int | None, _opt("--retention-days", "Default 365.")] = None
    access_log_bucket: Annotated[
        str | None,
        _opt(
            "--access-log-bucket", "Bucket for its server access logs. Default: BUCKET-access-logs."
        ),
    ] = None
    kms_key: Annotated[str | None, _opt("--kms-key", "new (default), none or a key ARN.")] = None
    kms_readers: Annotated[list[str], _opt("--kms-reader", "Principal ARN to decrypt.")] = (
        dataclasses.field(default_factory=list)
    )
    log_group: Annotated[str | None, _opt("--log-group", "Default cloudtrail/TRAIL.")] = None
    log_retention_days: Annotated[
        int | None, _opt("--log-retention-days", "Days the log group keeps events. Default 365.")
    ] = None
    cloudwatch_role: Annotated[
        str | None,
        _opt("--cloudwatch-role", "Role CloudTrail uses to write to the log group."),
    ] = None
    alarm_emails: Annotated[list[str], _opt("--alarm-email", "Subscribe this address.")] = (
        dataclasses.field(default_factory=list)
    )
    alarm_topic: Annotated[str | None, _opt("--alarm-topic", "Existing topic ARN.")] = None
    no_alarms: Annotated[bool, _opt("--no-alarms", "Skip the CIS filters/alarms.")] = False
    tags: Annotated[list[str], _opt("--tag", "key=value, repeatable.")] = dataclasses.field(
        default_factory=list
    )

    def given(self) -> dict[str, Any]:
        """Only what the user gave, as ``Baseline.from_options`` keywords: the planner derives
        the rest from an existing trail or defaults."""
        if self.no_alarms and self.alarm_emails:
            raise UsageError("--no-alarms plans no alarm, so --alarm-email has nothing to notify")
        given = dataclasses.asdict(self) | {
            "kms_readers": self.kms_readers or None,
            "alarm_email": self.alarm_emails or None,
            "alarms": False if self.no_alarms else None,
            "tags": parse_tags(self.tags) or None,
        }
        del given["alarm_emails"], given["no_alarms"]  # said differently by from_options
        return {k: v for k, v in given.items() if v is not None}


def make_plan(
    access: CountingAccess | None,
    snapshot: Snapshot,
    options: PlanOptions,
    scan_calls: dict[str, int] | None = None,
) -> Plan:
    """Build the plan; with ``access``, check every step against live AWS (counted)."""
    return checked(access, build_plan(snapshot, options), scan_calls)


def checked(access: CountingAccess | None, plan: Plan, scan_calls: dict[str, int] | None) -> Plan:
    """The plan with every step checked against live AWS and the calls counted per account."""
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
    ctx: typer.Context,
    reach: AccessArgs = AccessArgs(),
    target: ScanScope = ScanScope(),
    load: Path | None = typer.Option(
        None, "--from-snapshot", help="Plan from a saved snapshot (no AWS: actions predicted)."
    ),
    save: Path | None = typer.Option(None, "--save-snapshot", help="Write the snapshot to FILE."),
    baseline: BaselineArgs = BaselineArgs(),
    organisation: OrgTrailArgs = OrgTrailArgs(),
    allow_data_events: bool = typer.Option(
        False, "--allow-data-events", help="Keep data-event selectors of a repaired trail."
    ),
    events_per_month: int = typer.Option(
        300_000, "--events-per-month", help="Management events per account, for the cost."
    ),
    fmt: str | None = typer.Option(
        None,
        "--format",
        help="Print the baseline as cloudformation or terraform instead of the plan "
        "(the IaC language; -o is the plan's format).",
    ),
    output: OutputFormat = OUTPUT_OPTION,
    out: Path | None = typer.Option(
        None,
        "--out",
        help="Write the plan (JSON) to FILE; with --format, the IaC (a folder with --org-trail).",
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List unchanged steps too."),
) -> None:
    """Plan the baseline trail for each account: ordered AWS calls, why, and the cost change."""
    if events_per_month < 0:
        raise UsageError("--events-per-month must not be negative")
    organisation.check()
    if fmt is not None:  # said before the scan, not after it
        source = ctx.get_parameter_source("output")
        # typer carries its own click: its ParameterSource is told by name.
        typed = source is not None and source.name == "COMMANDLINE"
        _check_iac(fmt, typed, organisation.org_trail, out)
    if organisation.org_trail and target.accounts:
        raise UsageError("--org-trail plans the whole organisation: leave out --accounts")
    options = PlanOptions(
        baseline=baseline.given(),
        allow_data_events=allow_data_events,
        events_per_month=events_per_month,
        accounts=(
            tuple(parse_accounts(target.accounts) or ())
            if load is not None and target.accounts
            else None
        ),
    )
    if organisation.org_trail:
        target = dataclasses.replace(target, org=True)  # the organisation's facts are read
    if load is not None:
        snapshot = saved_snapshot(load, target)
        if organisation.org_trail:
            org_options = organisation.options(options, reach.role_name)
            the_plan = org_plan(None, snapshot, org_options)  # predicted, like any offline plan
        else:
            the_plan = make_plan(None, snapshot, options)
    else:
        access, snapshot, calls = scan_with_counts(
            reach,
            target,
            _recorders_needed(organisation, options) if organisation.org_trail else None,
        )
        if save is not None:
            save_snapshot(snapshot, save)
        if "home_region" not in options.baseline:
            home = {"home_region": access.default_region}
            options = dataclasses.replace(options, baseline={**options.baseline, **home})
        if organisation.org_trail:
            org_options = organisation.options(options, reach.role_name)
            the_plan = checked(access, org_plan(access, snapshot, org_options), calls)
        else:
            the_plan = make_plan(access, snapshot, options, calls)
    if fmt is not None:
        blocked(the_plan)  # no IaC for an organisation plan that cannot be carried out
        raise typer.Exit(_export(the_plan, fmt, out))
    is_blocked = the_plan.organization is not None and bool(the_plan.organization.blocked)
    if out is not None and not is_blocked:  # a plan that cannot be applied is not written
        save_plan(the_plan, out)
    if output == OutputFormat.json:
        emit_json(the_plan.model_dump(mode="json", by_alias=True))
    else:
        for line in render_plan(the_plan, verbose):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
        if out is not None and not is_blocked:
            console.print(f"plan written to {out}; apply it with: trailwarden apply {out}")
    blocked(the_plan)
    raise typer.Exit(EXIT_OK)


def _recorders_needed(
    organisation: OrgTrailArgs, options: PlanOptions
) -> Callable[[AwsAccess], list[str]]:
    """The Regions whose Config recorders the organisation plan reads: the drift part's
    conformance pack goes to the trail's home Region only, so a recorder elsewhere changes
    nothing it plans (and reading every Region's costs two calls per account and Region)."""

    def regions(access: AwsAccess) -> list[str]:
        if organisation.no_drift:
            return []
        return [str(options.baseline.get("home_region") or access.default_region)]

    return regions


def _check_iac(fmt: str, output_typed: bool, org_trail: bool, out: Path | None) -> None:
    """``--format`` prints IaC in place of the plan, which ``-o`` would render: both on one
    command line ask for two different documents. ``-o`` from the environment or the config
    file is a default for every command and yields to ``--format``."""
    iac_format(fmt)
    if output_typed:
        raise UsageError(
            f"--format {fmt} prints the baseline as IaC instead of the plan, which -o renders:"
            " give one of them"
        )
    if org_trail and out is None:
        raise UsageError("--format with --org-trail writes several files: give --out DIR")


def _export(the_plan: Plan, fmt: str, out: Path | None) -> int:
    if the_plan.organization is not None:
        if out is None:  # refused before the scan by _check_iac; said again where it is used
            raise UsageError("--format with --org-trail writes several files: give --out DIR")
        for path in write_org_iac(export_org_iac(the_plan, fmt), out):
            console.print(f"wrote {path}", markup=False)
        return EXIT_OK
    baselines = [a.baseline for a in the_plan.accounts if a.baseline is not None]
    if len(baselines) != 1:
        raise UsageError(
            f"--format renders one account's baseline; this plan has {len(baselines)}"
            " (choose one with --accounts)"
        )
    text = export_iac(baselines[0], fmt)
    if out is not None:
        outfile.write_text(out, text)
    else:
        typer.echo(text, nl=not text.endswith("\n"))
    return EXIT_OK


def scan_with_counts(
    reach: AccessArgs,
    target: ScanScope,
    config_regions: Callable[[AwsAccess], list[str]] | None = None,
) -> tuple[CountingAccess, Snapshot, dict[str, int]]:
    """The scan's snapshot through a counting session (plan reports its API calls);
    ``config_regions``: where Config recorders are read, decided once the session is known."""
    access_options, scan = target.options(reach)
    access = CountingAccess(access_options)
    if config_regions is not None:
        scan = dataclasses.replace(scan, config_regions=config_regions(access))
    snapshot = collect_with_bar(access, scan)
    return access, snapshot, access.per_account()
