"""``trailwarden verify [plan.json]``: the proofs, PASS/FAIL with evidence; exit 0 iff all pass."""

from __future__ import annotations

from pathlib import Path

import typer

from trailwarden.apply import CountingAccess
from trailwarden.cli import app
from trailwarden.cli.canary import print_canaries, run_canary_cli
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, Output, console
from trailwarden.cli.options import (
    AccessArgs,
    MaxWorkers,
    parse_regions,
    with_option_groups,
)
from trailwarden.cli.verify_org import checks_bar, verify_org_cli
from trailwarden.errors import UsageError
from trailwarden.integrity.keys import load_key_file
from trailwarden.plan.model import load_plan
from trailwarden.verify import parse_duration, verify_plan


@app.command()
@with_option_groups
def verify(
    plan_file: Path = typer.Argument(Path("plan.json"), help="The applied plan."),
    wait: str = typer.Option("0", "--wait", help="Poll until all pass or this long (20m, 1h)."),
    interval: str = typer.Option("30s", "--interval", help="Time between polls with --wait."),
    public_keys: list[str] = typer.Option(
        [], "--public-key", help="[FINGERPRINT=]FILE for digests; skips ListPublicKeys."
    ),
    canary: bool = typer.Option(
        False, "--canary", help="Cause one harmless CloudWatch.5 event and time it to the page."
    ),
    canary_all: bool = typer.Option(
        False, "--canary-all", help="One harmless event per CIS filter that has one."
    ),
    canary_timeout: str = typer.Option(
        "15m", "--canary-timeout", help="How long each canary link may take (90s, 15m)."
    ),
    canary_endpoint: str | None = typer.Option(
        None, "--canary-endpoint", help="SQS queue ARN subscribed for the test: the message too."
    ),
    yes: bool = typer.Option(False, "--yes", "-y", help="Send the canary even if it pages people."),
    org: bool = typer.Option(
        False, "--org", help="Prove the organisation plan: coverage per account, SCP, drift."
    ),
    regions: list[str] | None = typer.Option(
        None,
        "--regions",
        help="With --org: Regions each account must have a file in (default: the plan's).",
    ),
    max_workers: MaxWorkers = 32,
    reach: AccessArgs = AccessArgs(),
    shown: Output = Output(),
) -> None:
    """Prove the planned trail is logging, validated and alarming (each check with evidence)."""
    the_plan = load_plan(plan_file)
    wait_s = parse_duration(wait)
    interval_s = parse_duration(interval, "--interval")
    if interval_s <= 0:
        raise UsageError("--interval must be positive")
    if org:
        if canary or canary_all or public_keys:
            raise UsageError("--org proves coverage: use --canary/--public-key without --org")
        verify_org_cli(
            the_plan, parse_regions(regions), max_workers, wait_s, interval_s, reach, shown
        )
    if regions:
        raise UsageError("--regions needs --org (a single-account plan names its own Regions)")
    keys = [load_key_file(spec) for spec in public_keys] or None
    canary_s = parse_duration(canary_timeout, "--canary-timeout")
    access = CountingAccess(reach.options())
    # Credentials that do not work fail here, as one line, not as a FAIL on every check.
    access.caller_account()
    with checks_bar(wait_s) as progress:
        report = verify_plan(
            access,
            the_plan,
            public_keys=keys,
            wait_s=wait_s,
            interval_s=interval_s,
            on_attempt=progress,
        )
    canaries = None
    if canary or canary_all:
        canaries = run_canary_cli(
            access, the_plan, canary_all, canary_s, canary_endpoint, yes, interval_s
        )
    ok = report.ok and (canaries is None or canaries.ok)
    doc = report.to_json()
    if canaries is not None:
        doc["canary"] = canaries.to_json()
        doc["ok"] = ok
    if shown.document(doc):
        for check in report.checks:
            console.print(
                f"{check.status} {check.account} {check.name}: {check.evidence}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
        passed = sum(1 for c in report.checks if c.status == "PASS")
        verdict = "all checks pass" if report.ok else "NOT verified"
        console.print(
            f"{verdict}: {passed}/{len(report.checks)} after {report.attempts} attempt(s)",
            markup=False,
        )
        if canaries is not None:
            print_canaries(canaries)
    raise typer.Exit(EXIT_OK if ok else EXIT_FINDINGS)
