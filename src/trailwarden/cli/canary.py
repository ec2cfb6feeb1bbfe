"""``verify --canary`` / ``--canary-all``: run the canaries and print each chain, link by link."""

from __future__ import annotations

from trailwarden.apply import CountingAccess
from trailwarden.cli.common import console
from trailwarden.cli.progress import progress_bar
from trailwarden.cli.tables import TableFormat, render
from trailwarden.plan.model import Plan
from trailwarden.verify.canary import DEFAULT_CANARY, CanaryReport, run_canary
from trailwarden.verify.chain import Chain

CANARY_COLUMNS = ("account", "control", "event", "Logs", "metric", "alarm", "SNS", "total")


def run_canary_cli(
    access: CountingAccess,
    plan: Plan,
    every: bool,
    timeout_s: float,
    endpoint: str | None,
    yes: bool,
    interval_s: float,
) -> CanaryReport:
    # Poll often enough to time a link to a tenth of the timeout, never more than every 10 s.
    poll_s = min(interval_s, 10.0, max(0.1, timeout_s / 30))
    with progress_bar("canary", counted="links arrived", tail="elapsed") as bar:

        def progress(arrived: int, total: int) -> None:
            if bar is not None:
                bar(arrived, total)

        return run_canary(
            access,
            plan,
            "all" if every else DEFAULT_CANARY,
            yes=yes,
            timeout_s=timeout_s,
            poll_s=poll_s,
            endpoint=endpoint,
            on_progress=progress,
        )


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value / 60:.1f}m" if value >= 120 else f"{value:.1f}s"


def _chain_lines(chain: Chain) -> list[str]:
    head = (
        f"CANARY {chain.target.account} {chain.control_id}: {chain.candidate.operation}"
        f" -> {chain.answer or 'not called'}"
    )
    if chain.caused_at is not None:
        head += f" at {chain.caused_at:%Y-%m-%dT%H:%M:%SZ} (request {chain.request_id})"
    lines = [head, f"  harmless: {chain.candidate.harmless}"]
    if chain.also_matches:
        lines.append(f"  also trips: {', '.join(chain.also_matches)}")
    previous = chain.caused_at
    for link in chain.links:
        step = None
        if link.at is not None and previous is not None:
            step = max(0.0, (link.at - previous).total_seconds())
            previous = link.at
        seen = " (seen by a poll: an upper bound)" if link.observed else ""
        lines.append(
            f"  {link.status} {link.name}: +{_seconds(step)}"
            f" (at {_seconds(chain.since_event(link))} after the event){seen} {link.evidence}"
        )
    if chain.ok:
        lines.append(f"  PASS total: {_seconds(chain.total_s())} from the call to the page")
    else:
        lines.append(f"  FAIL broken link: {chain.broken}")
    return lines


def print_canaries(report: CanaryReport) -> None:
    for chain in report.chains:
        for line in _chain_lines(chain):
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    for control, why in report.without_canary.items():
        console.print(f"NO CANARY {control}: {why}", markup=False, highlight=False, soft_wrap=True)
    for account, changes in report.trail_changes.items():
        state = "identical before and after" if not changes else "CHANGED: " + ", ".join(changes)
        console.print(f"trail state {account}: {state}", markup=False, highlight=False)
    passed = sum(1 for c in report.chains if c.ok)
    verdict = "canary passes" if report.ok else "canary FAILED"
    console.print(
        f"{verdict}: {passed}/{len(report.chains)} chain(s) reached the topic", markup=False
    )


def show_canary_table(report: CanaryReport, title: str) -> None:
    """One row per chain: the time each link took after the previous one, and the total."""
    rows = []
    for chain in report.chains:
        steps: list[str] = []
        previous = chain.caused_at
        for link in chain.links[:4]:
            if link.at is None or previous is None:
                steps.append(link.status)
                continue
            steps.append(f"+{_seconds(max(0.0, (link.at - previous).total_seconds()))}")
            previous = link.at
        steps += ["-"] * (4 - len(steps))
        total = _seconds(chain.total_s()) if chain.ok else f"FAIL: {chain.broken}"
        cells = (chain.target.account, chain.control_id, chain.candidate.operation, *steps, total)
        rows.append(dict(zip(CANARY_COLUMNS, cells, strict=True)))
    render(rows, TableFormat.table, title, empty="no canary ran")
