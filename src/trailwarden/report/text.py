"""The terminal report: per account, one line per root cause saying what single change fixes it."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from trailwarden.controls import Evaluation, Status
from trailwarden.controls.grouping import group_failures

_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan"}


def render_text(evaluation: Evaluation, console: Console, verbose: bool = False) -> None:
    snap = evaluation.snapshot
    counts = Counter(f.status for f in evaluation.findings)
    regions = sorted({r.region for r in snap.regions})
    console.print(
        f"[bold]trailwarden scan[/bold]: {len(snap.accounts)} account(s), "
        f"{len(regions)} Region(s); "
        f"{counts[Status.FAILED]} failed, {counts[Status.PASSED]} passed, "
        f"{counts[Status.NOT_AVAILABLE]} not available (a read failed), "
        f"{counts[Status.WARNING]} warning; "
        f"{counts[Status.NO_DATA]} no data (not evaluated there by Security Hub)"
    )
    groups = group_failures(evaluation.findings)
    for account in snap.accounts:
        acct_groups = [g for g in groups if g.account == account.account]
        name = f" ({account.name})" if account.name else ""
        unavailable = [
            f
            for f in evaluation.findings
            if f.account == account.account and f.status == Status.NOT_AVAILABLE
        ]
        if not account.reachable:
            console.print(
                f"\n[bold]{account.account}{name}[/bold]: [red]unreachable[/red] "
                "(could not assume the role; see errors)"
            )
            continue
        if not acct_groups:
            extra = f", {len(unavailable)} not available" if unavailable else ""
            console.print(
                f"\n[bold]{account.account}{name}[/bold]: [green]no failures[/green]{extra}"
            )
        else:
            console.print(
                f"\n[bold]{account.account}{name}[/bold]: {len(acct_groups)} root cause(s)"
            )
        for g in acct_groups:
            style = _STYLE.get(g.severity.value, "")
            regions_hit = sorted({f.region for f in g.findings})
            where = (
                f"{len(regions_hit)} Regions" if len(regions_hit) > 3 else ", ".join(regions_hit)
            )
            console.print(
                f"  [{style}]{g.severity.value:<8}[/{style}] {len(g.findings):>3} finding(s) "
                f"in {where}: {g.fix()}"
            )
            if verbose:
                for f in g.findings:
                    console.print(f"      {f.control} {f.region} {f.reason}", markup=False)
    if evaluation.signals:
        table = Table(title="Health signals (not graded by Security Hub)", title_justify="left")
        for col in ("severity", "account", "region", "signal"):
            table.add_column(col)
        for s in evaluation.signals:
            table.add_row(s.severity.value, s.account, s.region, s.message)
        console.print()
        console.print(table)
    if snap.errors:
        console.print(
            f"\n[yellow]{len(snap.errors)} API call(s) failed[/yellow]; affected "
            "controls are NOT_AVAILABLE (use --output json for the list):"
        )
        for e in snap.errors[:10]:
            console.print(f"  {e.account} {e.region} {e.operation}: {e.code}", markup=False)
        if len(snap.errors) > 10:
            console.print(f"  ... and {len(snap.errors) - 10} more")
