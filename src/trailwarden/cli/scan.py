"""``trailwarden scan``: inventory every trail and evaluate the control family."""

from __future__ import annotations

import enum
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from trailwarden.aws.session import AwsAccess
from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, err_console
from trailwarden.cli.options import (
    AccessArgs,
    ScanScope,
    parse_accounts,
    split_list,
    with_option_groups,
)
from trailwarden.cli.progress import progress_bar
from trailwarden.collect import ScanOptions, collect, incomplete_accounts
from trailwarden.controls import ControlParams, Evaluation, Severity, evaluate
from trailwarden.errors import UsageError
from trailwarden.report.common import failing
from trailwarden.report.compliance import FRAMEWORK_NAMES
from trailwarden.report.findings_json import findings_document
from trailwarden.report.matrix import coverage_document, render_matrix
from trailwarden.report.render import ReportFormat, shape, write_report
from trailwarden.report.text import narrowed, render_text, render_text_extras
from trailwarden.snapshot import Snapshot, load_snapshot, save_snapshot


class FailOn(enum.StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"
    INFORMATIONAL = "INFORMATIONAL"


FAIL_ON_OPTION = typer.Option(
    FailOn.HIGH, "--fail-on", help="Exit 1 when a finding at or above this severity failed."
)
COMPLIANCE_OPTION = typer.Option(
    None, "--compliance", help=f"Narrow to a framework: {'|'.join(FRAMEWORK_NAMES)}."
)
SUPPRESSIONS_OPTION = typer.Option(
    None, "--suppressions", help="YAML file of accepted failures (see docs/report.md)."
)


def saved_snapshot(path: Path, target: ScanScope) -> Snapshot:
    """A saved snapshot, narrowed to ``--accounts`` when given: an account the snapshot does
    not hold is a one-line error, not a scan (or a plan) of nothing that passes."""
    snapshot = load_snapshot(path)
    wanted = parse_accounts(target.accounts)
    if not wanted:
        return snapshot
    held = [a.account for a in snapshot.accounts]
    missing = [a for a in wanted if a not in held]
    if missing:
        raise UsageError(
            f"--accounts: {', '.join(missing)} not in the snapshot {path}"
            f" (it holds {', '.join(held) or 'no account'})"
        )
    keep = set(wanted)
    return snapshot.model_copy(
        update={
            "accounts": [a for a in snapshot.accounts if a.account in keep],
            "regions": [r for r in snapshot.regions if r.account in keep],
            "errors": [e for e in snapshot.errors if e.account in keep],
        }
    )


def scan_snapshot(reach: AccessArgs, target: ScanScope, resume: Path | None = None) -> Snapshot:
    """Options -> AWS -> snapshot: what the scan and demo commands share."""
    access, scan = target.options(reach)
    return collect_with_bar(AwsAccess(access), replace(scan, resume=resume))


def collect_with_bar(access: AwsAccess, scan: ScanOptions) -> Snapshot:
    """``collect``, with the scanning bar on a terminal."""
    with progress_bar("scanning") as bar:
        snapshot = collect(access, replace(scan, on_progress=bar))
    for line in access.breaker.opened():  # said once, not once per account and Region
        err_console.print(f"trailwarden: note: {line}", markup=False, soft_wrap=True)
    for line in incomplete_accounts(snapshot):
        err_console.print(f"trailwarden: note: {line}", markup=False, soft_wrap=True)
    return snapshot


def scan_document(
    evaluation: Evaluation,
    org: bool,
    compliance: str | None = None,
    suppressions: Path | None = None,
) -> dict[str, Any]:
    """The findings document ``scan -o json`` writes; ``org``: with the accounts x controls
    matrix (``scan --org``)."""
    doc = shape(findings_document(evaluation), compliance, suppressions)
    if org:
        doc["organization_coverage"] = coverage_document(evaluation)
    return doc


def report(
    evaluation: Evaluation,
    output: ReportFormat,
    out: Path | None,
    fail_on: FailOn,
    verbose: bool,
    compliance: str | None = None,
    suppressions: Path | None = None,
    org: bool = False,
) -> int:
    """Render the evaluation as asked; the exit code counts unsuppressed failures only.
    ``org``: add the accounts x controls matrix (``scan --org``)."""
    doc = scan_document(evaluation, org, compliance, suppressions)
    if output == ReportFormat.text:
        if out is not None:  # the terminal report, with the JSON findings kept beside it
            write_report(doc, ReportFormat.json, out)
        render_text(narrowed(evaluation, doc), console, verbose=verbose)
        render_text_extras(doc, console)
        if org:
            render_matrix(evaluation, console)
    else:
        write_report(doc, output, out)
    return EXIT_FINDINGS if failing(doc, Severity(fail_on.value).value) else EXIT_OK


@app.command()
@with_option_groups
def scan(
    reach: AccessArgs = AccessArgs(),
    target: ScanScope = ScanScope(),
    output: ReportFormat = typer.Option(
        ReportFormat.text,
        "--output",
        "-o",
        help="text, json, jsonl, csv, sarif, asff, ocsf, "
        "junit or html (trailwarden report renders a saved json again).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the report to FILE (with text: the JSON findings)."
    ),
    fail_on: FailOn = FAIL_ON_OPTION,
    compliance: str | None = COMPLIANCE_OPTION,
    suppressions: Path | None = SUPPRESSIONS_OPTION,
    save: Path | None = typer.Option(None, "--save-snapshot", help="Write the snapshot to FILE."),
    resume: Path | None = typer.Option(
        None,
        "--resume",
        help="Write each finished account to FILE as the scan goes; run again with the same "
        "FILE to read only the accounts it does not hold.",
    ),
    load: Path | None = typer.Option(
        None, "--from-snapshot", help="Evaluate a saved snapshot offline, without AWS."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every failed finding."),
    required_tag_keys: str | None = typer.Option(
        None, "--required-tag-keys", help="CloudTrail.9 parameter: tag keys every trail must have."
    ),
    import_to_securityhub: bool = typer.Option(
        False,
        "--import-to-securityhub",
        help="Also send the findings (ASFF) to Security Hub in each finding's Region.",
    ),
) -> None:
    """Inventory every trail in every account and Region; evaluate CloudTrail.x and CloudWatch.x."""
    if load is not None and resume is not None:
        raise UsageError("--resume is for a scan of AWS, not of --from-snapshot")
    if load is not None:
        snapshot = saved_snapshot(load, target)
    else:
        snapshot = scan_snapshot(reach, target, resume)
    if not snapshot.accounts:
        # --org where there is no organisation, or an organisation with no active account.
        raise UsageError("nothing was scanned: no account in scope")
    if save is not None:
        save_snapshot(snapshot, save)
    params = ControlParams(tuple(split_list(required_tag_keys, "required-tag-keys") or ()))
    evaluation = evaluate(snapshot, params=params)
    org = target.org or snapshot.organization is not None
    code = report(evaluation, output, out, fail_on, verbose, compliance, suppressions, org)
    if import_to_securityhub:
        from trailwarden.cli.securityhub import send_findings

        doc = shape(findings_document(evaluation), compliance, suppressions)
        code = max(code, send_findings(doc, AwsAccess(reach.options())))
    raise typer.Exit(code)
