"""``trailwarden demo``'s organisation path on screen (the work is ``demo/org_path.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trailwarden.cli.common import console
from trailwarden.cli.progress import progress_bar
from trailwarden.cli.verify_org import print_report
from trailwarden.report.matrix import render_matrix
from trailwarden.terminal import styled

if TYPE_CHECKING:
    from trailwarden.apply.runner import ApplyReport
    from trailwarden.demo.org import DemoOrg
    from trailwarden.demo.org_path import OrgPathReport


def _command(line: str) -> None:
    console.print(f"\n$ {line}\n", style="dim", markup=False, highlight=False, soft_wrap=True)


def _say(text: str) -> None:
    console.print(text, markup=False, highlight=False, soft_wrap=True)


def run_org_path_cli(org: DemoOrg, text: bool) -> OrgPathReport:
    from trailwarden.demo.org_path import ALARM_EMAIL, run_org_path

    if text:
        console.print(
            styled(
                "\n[bold]The organisation path[/bold]: one organisation trail for every account,"
                " a guardrail SCP, drift rules"
            ),
        )
        _command(
            f"trailwarden plan --org-trail --alarm-email {ALARM_EMAIL} --out org-plan.json && "
            "trailwarden apply org-plan.json --yes"
        )
    with progress_bar("organisation", tail="detail") as bar:
        report = run_org_path(org, bar or (lambda done, total, what: None))
    if text:
        _show(report)
    return report


def _failed(report: ApplyReport) -> str:
    failed = report.failed
    return "none failed" if failed is None else f"FAILED at {failed.step.id}: {failed.detail}"


def _show(report: OrgPathReport) -> None:
    section = report.plan.organization
    assert section is not None
    _say(f"organisation {section.org_id}: trail {section.trail_arn}")
    for line in section.prerequisites:
        _say(f"  prerequisite {line}")
    if section.guardrail is not None:
        where = ", ".join(section.guardrail.targets) or "nowhere"
        refused = (
            f" (NOT attached: {section.guardrail.refused})" if section.guardrail.refused else ""
        )
        _say(f"  guardrail SCP {section.guardrail.policy_name} on {where}{refused}")
        _say("  SCPs do not apply to the management account")
    if section.drift is not None:
        d = section.drift
        _say(
            f"  drift: conformance pack {d.conformance_pack} ({len(d.config_rules)} rules), rule"
            f" {d.event_rule} -> {d.topic_arn or 'no topic'}, forwarding from"
            f" {len(d.forwarding)} account-Region(s)"
        )
    cost = sum(x.usd_per_month for x in section.duplicates)
    _say(f"  {len(section.duplicates)} member trail(s) copy its events: ${cost:.2f}/month")
    a = report.apply
    _say(f"apply: {a.count('done')} done, {a.count('noop')} already so, {_failed(a)}")
    console.print(
        "[dim](moto delivers nothing: the demo writes what the organisation trail delivers for "
        "every account, labelled as simulated)[/dim]",
        markup=True,
    )
    _command("trailwarden verify org-plan.json --org")
    print_report(report.verify)
    _say(f"\nA new account joins after apply: {report.new_account}; nobody runs anything in it.")
    _command("trailwarden verify org-plan.json --org")
    row = next(
        (r for r in report.verify_after_join.accounts if r.member.account == report.new_account),
        None,
    )
    if row is not None:
        files = f"{len(row.with_files)}/{len(row.expected)}"
        _say(
            f"{row.status} {row.member.account} {row.member.name}: covered by {row.covered_by};"
            f" files in {files} Regions; {row.note}"
        )
    verdict = "organisation verified" if report.verify_after_join.ok else "NOT verified"
    _say(f"{verdict} with the new account")
    console.print(
        "\n[bold]Simulated drift[/bold] [dim](moto neither enforces SCPs nor delivers events: "
        "the SCP decision and the rule match are computed with trailwarden's evaluators)[/dim]",
        markup=True,
    )
    for attempt in report.drift:
        _say(f"- {attempt.what}")
        _say(f"    AWS: {attempt.refused_by_aws or 'allowed'}; guardrail SCP: {attempt.scp}")
        _say(f"    {attempt.rule}")
        if attempt.refused_by_aws is None:
            _say("    (then StartLogging again, as the person the alarm paged would)")
    if report.retire_plan is not None and report.retire is not None:
        _command("trailwarden plan --org-trail --retire-duplicate-trails --out org-plan.json && "
                 "trailwarden apply org-plan.json --yes")  # fmt: skip
        dups = report.retire_plan.organization.duplicates if report.retire_plan.organization else []
        for dup in dups:
            action = "; logging stopped (never deleted)" if dup.retire else ""
            _say(f"  {dup.account} {dup.trail_arn}: {dup.reason}{action}")
        r = report.retire
        done = [f"{x.step.operation} {x.step.target}" for x in r.results if x.result == "done"]
        _say(f"apply: {len(done)} done, {_failed(r)}")
        for line in done:
            _say(f"  {line}")
    if report.after is not None:
        _command("trailwarden scan --org")
        render_matrix(report.after, console)
