"""``trailwarden report FILE.json``: render a saved scan again, in any format (scan once, render
many ways), optionally narrowed to a framework and with suppressions applied."""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console
from trailwarden.cli.options import with_option_groups
from trailwarden.cli.scan import (
    COMPLIANCE_OPTION,
    FAIL_ON_OPTION,
    SUPPRESSIONS_OPTION,
    FailOn,
)
from trailwarden.report.common import failing
from trailwarden.report.findings_json import read_findings
from trailwarden.report.matrix import render_coverage
from trailwarden.report.render import ReportFormat, shape, write_report
from trailwarden.report.text import render_text_document


@app.command("report")
@with_option_groups
def report_command(
    findings: Path = typer.Argument(
        ..., metavar="FINDINGS", help="A findings file (scan --output json)."
    ),
    output: ReportFormat = typer.Option(
        ReportFormat.text,
        "--output",
        "-o",
        help="text, json, jsonl, csv, sarif, asff, ocsf, junit or html.",
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the report to FILE."),
    compliance: str | None = COMPLIANCE_OPTION,
    suppressions: Path | None = SUPPRESSIONS_OPTION,
    fail_on: FailOn = FAIL_ON_OPTION,
) -> None:
    """Render a saved scan's findings as text, JSON, JSON lines, CSV, SARIF, ASFF, OCSF, JUnit
    or HTML."""
    doc = shape(read_findings(findings), compliance, suppressions)
    if output == ReportFormat.text and out is None:
        render_text_document(doc, console)
        if isinstance(doc.get("organization_coverage"), dict):  # saved from scan --org
            render_coverage(doc["organization_coverage"], console)
    else:
        write_report(doc, ReportFormat.json if output == ReportFormat.text else output, out)
    raise typer.Exit(EXIT_FINDINGS if failing(doc, fail_on.value) else EXIT_OK)
