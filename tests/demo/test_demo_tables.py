"""The demo's own tables follow the rule of every command's tables: bordered on a terminal only;
piped or redirected, tab-separated rows with a header and every value whole, one row a line.

The CLI runs in-process with stdout captured, which is not a terminal: what a pipe sees."""

from __future__ import annotations

import io
import re
from contextlib import redirect_stdout
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from trailwarden.cli import canary, demo
from trailwarden.demo.org import PLANS
from trailwarden.verify.canaries import CANDIDATES, Target
from trailwarden.verify.chain import Chain, Link

# Any of rich's box-drawing characters (U+2500-U+257F): a border, or a value cut to fit one.
BOX = re.compile("[\u2500-\u257f]")


def _table(text: str, title: str) -> list[list[str]]:
    """The rows (header first) of the piped table titled ``title`` in ``text``."""
    lines = text.splitlines()
    start = lines.index(f"# {title}") + 1
    rows = []
    for line in lines[start:]:
        if "\t" not in line:
            break
        rows.append(line.split("\t"))
    return rows


def _piped(show: Any, *args: Any) -> str:
    out = io.StringIO()
    with redirect_stdout(out):
        show(*args)
    return out.getvalue()


def test_the_simulated_organisation_piped_is_whole_tab_separated_rows(cli: Any) -> None:
    result = cli(["demo", "--scan-only"])
    assert result.code == 0, result.stderr[-2000:]
    assert not BOX.search(result.stdout), result.stdout[:3000]
    header, *rows = _table(result.stdout, "The simulated organisation")
    assert header == ["account", "label", "simulated state"]
    assert all(len(row) == 3 and re.fullmatch(r"\d{12}", row[0]) for row in rows), rows
    shown = {(row[1].removesuffix(" (left the organisation)"), row[2]) for row in rows}
    # Every account the demo builds, with its whole description (some are 150 characters).
    assert shown >= {(plan.label, plan.state) for plan in PLANS}
    assert ("no-trail (left the organisation)", "left the organisation: no trail at all") in {
        (row[1], row[2]) for row in rows
    }


def test_the_fix_summary_piped_is_whole_tab_separated_rows() -> None:
    account = "123456789012"
    step = SimpleNamespace(account=account)
    report = SimpleNamespace(
        plan=SimpleNamespace(
            accounts=[
                SimpleNamespace(
                    account=account,
                    trail="repair",
                    trail_arn=f"arn:aws:cloudtrail:us-east-1:{account}:trail/org-trail",
                )
            ],
            steps=[step, step, step],
        ),
        apply=SimpleNamespace(
            results=[
                SimpleNamespace(result="done", step=step),
                SimpleNamespace(result="noop", step=step),
            ]
        ),
        verification=SimpleNamespace(
            checks=[SimpleNamespace(account=account, status=s) for s in ("PASS", "PASS", "FAIL")]
        ),
        api_calls={account: {"plan checks": 32, "apply": 71, "verify": 15, "canary": 21}},
    )
    text = _piped(demo._show_fix_summary, report)
    assert not BOX.search(text), text
    assert _table(text, "Fix once: plan -> apply -> delivery -> verify") == [
        ["account", "trail", "steps planned", "applied", "verify", "API calls"],
        [
            account,
            "repair org-trail",
            "3",
            "1",
            "2/3 PASS",
            "plan checks 32, apply 71, verify 15, canary 21",
        ],
    ]


def test_the_canary_table_piped_is_whole_tab_separated_rows() -> None:
    caused = datetime(2026, 1, 1, tzinfo=UTC)
    target = Target("123456789012", "us-east-1", "t", "arn:aws:cloudtrail:::trail/t", "b", "n")
    passed = Chain(target, "CloudWatch.5", CANDIDATES[0], caused_at=caused)
    passed.links = [
        Link(name, "PASS", caused + timedelta(seconds=s))
        for name, s in (("logs", 0.1), ("metric", 0.4), ("alarm", 0.4), ("sns", 0.5))
    ]
    broken = Chain(target, "CloudWatch.4", CANDIDATES[0], caused_at=caused)
    broken.links = [Link("CloudWatch Logs", "PASS", caused + timedelta(seconds=2)), Link("metric")]
    report = SimpleNamespace(chains=[passed, broken])
    title = "Canary: StartLogging on the logging trail -> CloudWatch.5 alarm -> SNS (simulated)"
    text = _piped(canary.show_canary_table, report, title)
    assert not BOX.search(text), text
    assert _table(text, title) == [
        ["account", "control", "event", "Logs", "metric", "alarm", "SNS", "total"],
        [
            "123456789012",
            "CloudWatch.5",
            "StartLogging",
            "+0.1s",
            "+0.3s",
            "+0.0s",
            "+0.1s",
            "0.5s",
        ],
        ["123456789012", "CloudWatch.4", "StartLogging", "+2.0s", "WAIT", "-", "-", "FAIL: metric"],
    ]
