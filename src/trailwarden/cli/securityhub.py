"""Security Hub in sync: `scan --import-to-securityhub` sends the findings; `trailwarden
securityhub diff` shows where Security Hub's own CloudTrail.x / CloudWatch.x findings disagree
with a live scan (stale until its next periodic evaluation, or the reverse)."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import typer

from trailwarden.aws.session import AwsAccess
from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, console, emit_json, err_console
from trailwarden.cli.options import AccessArgs, ScanScope, split_list, with_option_groups
from trailwarden.cli.tables import TableFormat, render

securityhub_app = typer.Typer(
    help="Security Hub: compare its findings with a live scan.", no_args_is_help=True
)
app.add_typer(securityhub_app, name="securityhub")


def send_findings(doc: dict[str, Any], access: AwsAccess) -> int:
    """Import the document's findings as ASFF; report failed ones on stderr. The exit code:
    0, or 1 when any finding was not imported."""
    from trailwarden.evidence.aws import import_findings
    from trailwarden.report.asff import asff_findings
    from trailwarden.trailstore.s3 import access_clients

    result = import_findings(access_clients(access), asff_findings(doc, access.default_region))
    err_console.print(
        f"Security Hub: {result.imported}/{result.sent} findings imported"
        + (f", {len(result.failed)} failed" if result.failed else ""),
        markup=False,
    )
    for failed in result.failed:
        err_console.print(
            f"  not imported {failed.get('Id')}: {failed.get('ErrorCode')} "
            f"{failed.get('ErrorMessage') or ''}".rstrip(),
            markup=False,
            soft_wrap=True,
        )
    return EXIT_FINDINGS if result.failed else EXIT_OK


class DiffFormat(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


@securityhub_app.command("diff")
@with_option_groups
def diff_command(
    reach: AccessArgs = AccessArgs(),
    target: ScanScope = ScanScope(),
    findings: Path | None = typer.Option(
        None, "--findings", help="A saved scan (scan -o json) instead of scanning now."
    ),
    hub_regions: list[str] | None = typer.Option(
        None,
        "--securityhub-regions",
        help="Regions whose Security Hub to read (default: the scan's Regions).",
    ),
    output: DiffFormat = typer.Option(
        DiffFormat.table, "--output", "-o", help="table, json, jsonl (one row a line) or csv."
    ),
    out: Path | None = typer.Option(None, "--out", help="Write the rows here."),
) -> None:
    """Where Security Hub still says FAILED though the live scan passes (with when Security Hub
    last updated it), and the reverse; exit 1 when they disagree anywhere."""
    from trailwarden.controls import evaluate
    from trailwarden.evidence.aws import hub_findings
    from trailwarden.evidence.securityhub import diff
    from trailwarden.report.findings_json import findings_document, read_findings
    from trailwarden.trailstore.s3 import access_clients

    if findings is not None:
        doc = read_findings(findings)
    else:
        from trailwarden.collect import collect

        scan_access, scan = target.options(reach)
        doc = findings_document(evaluate(collect(AwsAccess(scan_access), scan)))
    access = AwsAccess(reach.options())
    regions = split_list(hub_regions, "securityhub-regions") or sorted(
        {f["region"] for f in doc["findings"] if f["region"] not in ("", "-")}
    )
    clients = access_clients(access)
    hub = [f for region in regions for f in hub_findings(clients, region)]
    rows = [d.to_json() for d in diff(doc, hub)]
    if output == DiffFormat.json:
        emit_json({"schema": "trailwarden.securityhub-diff/1", "disagreements": rows}, out)
    else:
        if output == DiffFormat.table:
            console.print(
                f"{len(hub)} Security Hub findings in {len(regions)} Regions compared with "
                f"{len(doc['findings'])} live findings: {len(rows)} disagreements",
                markup=False,
            )
        shown = [
            {
                **r,
                "securityhub_regions": " ".join(r["securityhub_regions"]),
                "live_regions": " ".join(r["live_regions"]),
            }
            for r in rows
        ]
        if rows or output in (DiffFormat.csv, DiffFormat.jsonl):
            render(shown, TableFormat(output.value), title="Security Hub vs live scan", out=out)
    raise typer.Exit(EXIT_FINDINGS if rows else EXIT_OK)
