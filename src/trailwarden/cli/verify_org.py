"""``trailwarden verify PLAN --org``: the per-account coverage table, then the organisation-level
checks; exit 0 iff every check passes, 1 otherwise (FAIL or NOT_AVAILABLE)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import typer

from trailwarden.apply import CountingAccess
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, Output, console
from trailwarden.cli.options import AccessArgs
from trailwarden.cli.progress import progress_bar
from trailwarden.cli.tables import TableFormat, render
from trailwarden.errors import UsageError
from trailwarden.plan.model import Plan
from trailwarden.verify.checks import Check
from trailwarden.verify.org import OrgVerifyReport, organization_of, verify_org

COLUMNS = ("status", "account", "name", "covered by", "Regions with files", "SCP", "evidence")


@contextmanager
def checks_bar(wait_s: float) -> Iterator[Callable[[list[Check]], None]]:
    """While ``verify`` waits (``--wait``), a bar of the checks that pass; the callback each
    attempt reports to."""
    with progress_bar("verifying", counted="checks pass", tail="remaining", when=wait_s > 0) as bar:

        def progress(checks: list[Check]) -> None:
            if bar is not None:
                bar(sum(1 for c in checks if c.status == "PASS"), len(checks))

        yield progress


def verify_org_cli(
    plan: Plan,
    regions: list[str] | None,
    max_workers: int,
    wait_s: float,
    interval_s: float,
    reach: AccessArgs,
    shown: Output,
) -> None:
    organization_of(plan)  # a plan without the section is one line, before any AWS call
    if max_workers < 1:
        raise UsageError("--max-workers must be at least 1")
    options = dataclasses.replace(reach.options(), pool_size=max(10, max_workers))
    access = CountingAccess(options)
    access.caller_account()  # credentials that do not work: one line, not a FAIL everywhere
    with checks_bar(wait_s) as progress:
        report = verify_org(
            access,
            plan,
            regions=regions,
            max_workers=max_workers,
            wait_s=wait_s,
            interval_s=interval_s,
            on_attempt=progress,
        )
    if shown.document(report.to_json()):
        print_report(report)
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def print_report(report: OrgVerifyReport) -> None:
    rows = [
        dict(zip(COLUMNS, (
            row.status,
            row.member.account,
            row.member.name,
            row.covered_by,
            f"{len(row.with_files)}/{len(row.expected)}",
            row.scp,
            "; ".join(t for t in (row.evidence, row.note) if t),
        ), strict=True))
        for row in report.accounts
    ]  # fmt: skip
    if rows:
        render(rows, TableFormat.table, f"accounts ({', '.join(report.regions)})")
    for check in report.checks:
        line = f"{check.status} {check.account} {check.name}: {check.evidence}"
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for note in report.notes:
        console.print(f"note: {note}", markup=False, soft_wrap=True)
    checks = report.all_checks
    passed = sum(1 for c in checks if c.status == "PASS")
    verdict = "organisation verified" if report.ok else "NOT verified"
    members = len(report.accounts)
    calls = sum(report.api_calls.values())
    listings = sum(r.api_calls for r in report.accounts)
    console.print(
        f"{verdict}: {passed}/{len(checks)} after {report.attempts} attempt(s); "
        f"{calls} API calls for {members} account(s): {listings} bucket listing(s) "
        f"({listings / members if members else 0:.1f} per account), the rest organisation-level",
        markup=False,
        soft_wrap=True,
    )
