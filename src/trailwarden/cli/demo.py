"""``trailwarden demo``: the real scan on an embedded simulated organisation.

A moto server starts in this process on 127.0.0.1; the organisation is built through the normal
AWS API; the scan then reaches it exactly as it reaches AWS (boto3, the standard credential chain,
``AWS_ENDPOINT_URL``), so what the demo shows is what the product does.
"""

from __future__ import annotations

import typer
from rich.table import Table

from trailwarden.cli import app
from trailwarden.cli.common import EXIT_OK, OUTPUT_OPTION, OutputFormat, console, emit_json
from trailwarden.cli.scan import scan_snapshot
from trailwarden.controls import evaluate
from trailwarden.demo.org import DemoOrg, build_demo_org
from trailwarden.demo.server import moto_server, pointed_at
from trailwarden.report.findings_json import findings_document
from trailwarden.report.text import render_text
from trailwarden.terminal import err_console


def _describe(org: DemoOrg) -> Table:
    table = Table(title="The simulated organisation", title_justify="left")
    for col in ("account", "label", "simulated state"):
        table.add_column(col)
    for acct in org.accounts:
        member = "" if acct.in_organization else " (left the organisation)"
        table.add_row(acct.account_id, acct.label + member, acct.state)
    return table


@app.command()
def demo(
    output: OutputFormat = OUTPUT_OPTION,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="List every failed finding."),
    max_workers: int = typer.Option(16, "--max-workers", help="API calls in flight at once."),
) -> None:
    """Build a simulated organisation on a local moto server and run the real scan on it."""
    with moto_server() as endpoint, pointed_at(endpoint):
        err_console.print(f"[dim]moto server on {endpoint}; building the organisation...[/dim]")
        org = build_demo_org(endpoint)
        if output == OutputFormat.text:
            console.print(_describe(org))
            console.print(
                f"\n[dim]$ trailwarden scan --accounts <{len(org.accounts)} accounts> "
                f"--regions {','.join(org.regions)}[/dim]\n"
            )
        snapshot = scan_snapshot(
            profile=None,
            region=None,
            accounts=",".join(org.account_ids),
            org=False,
            role_name="OrganizationAccountAccessRole",
            external_id=None,
            regions=",".join(org.regions),
            max_workers=max_workers,
        )
        evaluation = evaluate(snapshot)
        if output == OutputFormat.json:
            emit_json(findings_document(evaluation))
        else:
            render_text(evaluation, console, verbose=verbose)
    raise typer.Exit(EXIT_OK)
