"""``trailwarden apply [plan.json]``: carry out a plan, with a journal beside it."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from trailwarden import outfile
from trailwarden.apply import CountingAccess, Journal, Runner, StepResult
from trailwarden.apply.runner import ApplyReport, refuse_unknown_steps
from trailwarden.cli import app
from trailwarden.cli.common import EXIT_FINDINGS, EXIT_OK, Output, OutputFormat, console
from trailwarden.cli.options import AccessArgs, with_option_groups
from trailwarden.cli.progress import progress_bar
from trailwarden.errors import UsageError
from trailwarden.plan.model import load_plan
from trailwarden.plan.text import step_line

MARK = {"done": "✓", "noop": "=", "failed": "✗", "not-done": " "}


@app.command()
@with_option_groups
def apply(
    plan_file: Path = typer.Argument(Path("plan.json"), help="The plan (trailwarden plan --out)."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    journal: Path | None = typer.Option(
        None, "--journal", help="Journal file (default: PLAN.journal.jsonl beside the plan)."
    ),
    reach: AccessArgs = AccessArgs(),
    shown: Output = Output(),
) -> None:
    """Apply a plan: each step is checked live first, so a rerun changes nothing or resumes."""
    the_plan = load_plan(plan_file)
    refuse_unknown_steps(the_plan)
    access_options = reach.options()  # a bad option fails before anything is shown
    # Every file apply writes is known writable before the first AWS write.
    journal = journal or Journal.beside(plan_file)
    Journal(journal).check_writable()
    if shown.out is not None:
        outfile.check_writable(shown.out)
    text = shown.output == OutputFormat.text
    changes = the_plan.changes()
    if text:
        console.print(f"{len(changes)} planned change(s) in {len(the_plan.accounts)} account(s):")
        for step in changes:
            console.print(step_line(step), markup=False, highlight=False, soft_wrap=True)
    if not yes and not sys.stdin.isatty():
        raise UsageError("apply changes AWS: confirm on a terminal or pass --yes")
    access = CountingAccess(access_options)
    # Credentials that do not work fail here, as one line, before the user is asked to
    # confirm, not as a failed step.
    access.caller_account()
    if not yes and not typer.confirm("Apply these changes (every step is re-checked first)?"):
        console.print("nothing applied")
        raise typer.Exit(EXIT_OK)
    with progress_bar("applying", tail="detail") as bar:
        report = Runner(
            access,
            the_plan,
            Journal(journal),
            on_progress=bar,
            on_result=_echo if text else None,
        ).run()
    if shown.document(report.to_dict()):
        _summary(report, plan_file)
    raise typer.Exit(EXIT_FINDINGS if report.failed else EXIT_OK)


def _echo(result: StepResult) -> None:
    if result.result == "noop":
        return
    step = result.step
    console.print(
        f"  {MARK[result.result]} {step.service}:{step.operation} {step.target}: {result.detail}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )


def _summary(report: ApplyReport, plan_file: Path) -> None:
    failed = report.failed
    for account, calls in report.api_calls.items():
        console.print(f"account {account}: {calls} API call(s)")
    if failed is not None:
        console.print(
            f"FAILED at step {failed.step.id} ({failed.step.service}:{failed.step.operation}"
            f" {failed.step.target}): {failed.detail}",
            markup=False,
            soft_wrap=True,
        )
        console.print(
            f"done {report.count('done')}, already as planned {report.count('noop')},"
            f" not done {report.count('not-done') + 1}."
            f" Fix the cause and run `trailwarden apply {plan_file}` again to resume.",
            markup=False,
        )
        for r in report.results:
            if r.result == "not-done":
                console.print(f"    not done: {r.step.operation} {r.step.target}", markup=False)
        return
    if report.nothing_to_change:
        console.print("nothing to change: every step is already as planned")
        return
    console.print(
        f"applied: {report.count('done')} change(s), {report.count('noop')} already as planned"
    )
    subs = [arn for facts in report.facts.values() for arn in facts.subscriptions]
    if subs:
        console.print(
            "confirm the subscription e-mail(s): CloudWatch.1-14 count a subscriber only once"
            " it is confirmed"
        )
