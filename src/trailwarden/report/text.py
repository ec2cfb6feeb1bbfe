"""The terminal report: per account, one line per root cause saying what single change fixes it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from rich.console import Console
from rich.table import Table

from trailwarden.controls import Evaluation, Status
from trailwarden.controls.grouping import Group, group_failures
from trailwarden.report.common import effective_status, severity_rank
from trailwarden.terminal import piped, plain, styled

_STYLE = {"CRITICAL": "bold red", "HIGH": "red", "MEDIUM": "yellow", "LOW": "cyan"}
_STATUS_STYLE = {"FAILED": "red", "PASSED": "green", "SUPPRESSED": "magenta"}


def render_text(evaluation: Evaluation, console: Console, verbose: bool = False) -> None:
    snap = evaluation.snapshot
    counts = Counter(f.status for f in evaluation.findings)
    regions = sorted({r.region for r in snap.regions})
    console.print(
        styled("[bold]trailwarden scan[/bold]: {}", f"{len(snap.accounts)} account(s), "
        f"{len(regions)} Region(s); "
        f"{counts[Status.FAILED]} failed, {counts[Status.PASSED]} passed, "
        f"{counts[Status.NOT_AVAILABLE]} not available (a read failed), "
        f"{counts[Status.WARNING]} warning; "
        f"{counts[Status.NO_DATA]} no data (not evaluated there by Security Hub)")
    )  # fmt: skip
    # Looked up per account once: a thousand accounts each scanning every finding was most of
    # the report's time.
    groups: dict[str, list[Group]] = {}
    for g in group_failures(evaluation.findings):
        groups.setdefault(g.account, []).append(g)
    unavailable = Counter(
        f.account for f in evaluation.findings if f.status == Status.NOT_AVAILABLE
    )
    for account in snap.accounts:
        acct_groups = groups.get(account.account, [])
        name = f" ({account.name})" if account.name else ""
        if not account.reachable:
            console.print(
                styled(
                    "\n[bold]{}{}[/bold]: [red]unreachable[/red] "
                    "(could not assume the role; see errors)",
                    account.account,
                    name,
                )
            )
            continue
        if not acct_groups:
            n = unavailable[account.account]
            extra = f", {n} not available" if n else ""
            console.print(
                styled(
                    "\n[bold]{}{}[/bold]: [green]no failures[/green]{}",
                    account.account,
                    name,
                    extra,
                )
            )
        else:
            console.print(
                styled(
                    "\n[bold]{}{}[/bold]: {} root cause(s)", account.account, name, len(acct_groups)
                )
            )
        for g in acct_groups:
            style = _STYLE.get(g.severity.value, "")
            regions_hit = sorted({f.region for f in g.findings})
            where = (
                f"{len(regions_hit)} Regions" if len(regions_hit) > 3 else ", ".join(regions_hit)
            )
            console.print(
                styled(
                    f"  [{style}]{{}}[/{style}] {{}}",
                    f"{g.severity.value:<8}",
                    f"{len(g.findings):>3} finding(s) in {where}: {g.fix()}",
                )
            )
            if verbose:
                for f in g.findings:
                    console.print(f"      {f.control} {f.region} {f.reason}", markup=False)
    if evaluation.signals:
        _table(
            console,
            "Health signals (not graded by Security Hub)",
            ("severity", "account", "region", "signal"),
            [(s.severity.value, s.account, s.region, s.message) for s in evaluation.signals],
        )
    if snap.errors:
        console.print(
            styled(
                "\n[yellow]{} API call(s) failed[/yellow]; affected "
                "controls are NOT_AVAILABLE (use --output json for the list):",
                len(snap.errors),
            )
        )
        for e in snap.errors[:10]:
            console.print(f"  {e.account} {e.region} {e.operation}: {e.code}", markup=False)
        if len(snap.errors) > 10:
            console.print(f"  ... and {len(snap.errors) - 10} more", markup=False)


def narrowed(evaluation: Evaluation, doc: dict[str, Any]) -> Evaluation:
    """The evaluation limited to the document's findings that still need a verdict on screen:
    those ``--compliance`` kept, less those ``--suppressions`` accepted (listed apart)."""
    # A finding's identity is what finding_uid hashes; compared whole, nothing is hashed.
    keep = {
        (f["control"], f["account"], f["region"], f["resource"])
        for f in doc["findings"]
        if not f.get("suppressed")
    }
    return replace(
        evaluation,
        findings=[
            f for f in evaluation.findings if (f.control, f.account, f.region, f.resource) in keep
        ],
    )


def render_text_extras(doc: dict[str, Any], console: Console) -> None:
    """What a document adds to the terminal report: the framework view and the suppressions."""
    fw = doc.get("framework")
    if fw:
        rows = [
            (r["id"], r["status"], ", ".join(r["controls"]),
             ", ".join(f"{n} {s}" for s, n in r["counts"].items()), r["title"])
            for r in fw["requirements"]
        ]  # fmt: skip
        _table(
            console,
            f"{fw['title']}: status per requirement",
            ("requirement", "status", "controls", "findings", "title"),
            rows,
            styles={1: lambda status: _STATUS_STYLE.get(status, "yellow")},
        )
    s = doc.get("suppressions")
    if not s:
        return
    suppressed = [f for f in doc["findings"] if f.get("suppressed")]
    console.print(styled("\n[bold]{} finding(s) suppressed[/bold]", s["applied"]))
    for f in suppressed[:20]:
        console.print(
            f"  {f['control']} {f['account']} {f['region']} {f['resource']}: "
            f"{f['suppressed']['reason']} ({f['suppressed']['owner']}, "
            f"until {f['suppressed']['expires']})",
            markup=False,
        )
    if len(suppressed) > 20:
        console.print(f"  ... and {len(suppressed) - 20} more", markup=False)
    for key, what in (
        ("expired", "expired: no longer suppresses"),
        ("unmatched", "matches nothing"),
    ):
        for e in s[key]:
            console.print(
                styled(
                    "[yellow]suppression entry {} ({}) {}[/yellow] - {} ({}, until {})",
                    *(e["entry"], e.get("control", ""), what),
                    *(e["reason"], e["owner"], e["expires"]),
                )
            )


def render_text_document(doc: dict[str, Any], console: Console) -> None:
    """The terminal report of a saved findings file: counts and root causes per account."""
    counts = Counter(effective_status(f) for f in doc["findings"])
    console.print(
        styled(
            "[bold]trailwarden report[/bold]: {}",
            f"{len(doc.get('accounts', []))} account(s), "
            f"{len(doc.get('regions', []))} Region(s); "
            + ", ".join(f"{n} {s.lower().replace('_', ' ')}" for s, n in sorted(counts.items())),
        )
    )
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        if effective_status(f) == "FAILED":
            groups.setdefault((f["account"], f.get("root_cause") or f["resource"]), []).append(f)
    for (account, cause), fs in sorted(groups.items()):
        worst = min((f["severity"] for f in fs), key=severity_rank)
        style = _STYLE.get(worst, "")
        controls = ", ".join(sorted({f["control"] for f in fs}))
        console.print(
            styled(
                f"  [{style}]{{}}[/{style}] {{}}",
                f"{worst:<8}",
                f"{account} {len(fs):>3} finding(s) on {cause}: {controls}",
            )
        )
    render_text_extras(doc, console)
    for e in doc.get("errors", [])[:10]:
        console.print(f"  error: {e['account']} {e['region']} {e['operation']}", markup=False)


def _table(
    console: Console,
    title: str,
    columns: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    styles: dict[int, Callable[[str], str]] | None = None,
) -> None:
    """A titled table: bordered on a terminal; piped, tab-separated rows with every value whole
    (the same policy as the logs tables), so grep and cut see one row a line."""
    console.print()
    if piped():
        lines = [f"# {title}", "\t".join(columns)]
        lines += ["\t".join(" ".join(str(v).split()) for v in row) for row in rows]
        # Written to the stream itself: rich would expand the tabs into spaces.
        console.file.write("\n".join(lines) + "\n")
        console.file.flush()
        return
    table = Table(title=plain(title), title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        cells = [
            styled(f"[{styles[i](v)}]{{}}[/{styles[i](v)}]", v)
            if styles and i in styles
            else plain(v)
            for i, v in enumerate(row)
        ]
        table.add_row(*cells)
    console.print(table)


table = _table  # the same titled table for the other terminal views (report/matrix.py)
