"""``scan --org``: the accounts x controls matrix and the accounts that rest on their own trail.

On a terminal the matrix is a compact grid, one letter per control (the legend says which);
piped, it is the titled tab-separated table every terminal report uses, with whole status names.
The JSON document carries the same under ``organization_coverage``.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from trailwarden.controls import Evaluation, Status
from trailwarden.controls.coverage import account_matrix, control_ids, own_trail_only
from trailwarden.report.text import table
from trailwarden.terminal import piped, styled

MATRIX_TITLE = "Accounts x controls (worst status over Regions)"
OWN_TITLE = "Accounts whose CloudTrail.1 rests only on their own trail"
_SHORT = {
    Status.PASSED: ("P", "green"),
    Status.FAILED: ("F", "red"),
    Status.NOT_AVAILABLE: ("?", "yellow"),
    Status.WARNING: ("W", "yellow"),
    Status.NO_DATA: ("-", "dim"),
}
LEGEND = (
    "P passed, F failed, ? not available (a read failed), W warning, - no data,"
    " blank: not evaluated"
)


def coverage_document(evaluation: Evaluation) -> dict[str, Any]:
    """The matrix and the own-trail list as JSON-ready data (``--output json``)."""
    snap, findings = evaluation.snapshot, evaluation.findings
    return {
        "controls": control_ids(findings),
        "accounts": [
            {
                "account": row.account,
                "name": row.name,
                "statuses": {c: s.value if s else None for c, s in row.statuses.items()},
            }
            for row in account_matrix(snap, findings)
        ],
        "own_trail_only": [
            {"account": o.account, "regions": o.regions, "trails": o.trails}
            for o in own_trail_only(snap, findings)
        ],
    }


def render_matrix(evaluation: Evaluation, console: Console) -> None:
    render_coverage(coverage_document(evaluation), console)


def render_coverage(doc: dict[str, Any], console: Console) -> None:
    """Draw an ``organization_coverage`` document (a live scan's, or a saved findings file's)."""
    controls: list[str] = doc["controls"]
    if piped():
        rows = [
            [a["account"], a["name"], *(a["statuses"][c] or "" for c in controls)]
            for a in doc["accounts"]
        ]
        table(console, MATRIX_TITLE, ("account", "name", *controls), rows)
    else:
        _grid(console, controls, doc["accounts"])
    own = doc["own_trail_only"]
    if not own:
        console.print(styled("\n[green]{}[/green]", "No account rests on its own trail alone."))
        return
    listed = [[o["account"], ", ".join(o["regions"]), ", ".join(o["trails"])] for o in own]
    table(console, OWN_TITLE, ("account", "regions", "own trails"), listed)


def _grid(console: Console, controls: list[str], accounts: list[dict[str, Any]]) -> None:
    """Columns grouped by family (CloudTrail, CloudWatch), headed by the control's number."""
    width = max([len("account"), *(len(a["account"]) for a in accounts)])
    families: dict[str, list[str]] = {}
    for control in controls:
        families.setdefault(control.partition(".")[0], []).append(control)
    group_line, number_line = " " * width, "account".ljust(width)
    for family, ids in families.items():
        span = 3 * len(ids)
        group_line += "  " + f" {family}"[:span].ljust(span)  # over its first number
        number_line += "  " + "".join(c.partition(".")[2].rjust(2) + " " for c in ids)
    console.print(styled("\n[bold]{}[/bold]", MATRIX_TITLE))
    console.print(group_line.rstrip(), markup=False)
    console.print(number_line.rstrip(), markup=False)
    for account in accounts:
        line = styled("{}", account["account"].ljust(width))
        for ids in families.values():
            line.append("  ")
            for control in ids:
                status = account["statuses"][control]
                letter, style = _SHORT[Status(status)] if status else (" ", "")
                line.append(f" {letter} ", style=style)
        if account["name"]:
            line.append(f"  {account['name']}")
        console.print(line)
    console.print(LEGEND, markup=False)
