"""The real scan, run over HTTP against the demo organisation, finds what DemoOrg says it should."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest

from trailwarden.cli import run
from trailwarden.demo.org import PLANS, DemoOrg, build_demo_org
from trailwarden.demo.server import pointed_at, reset_moto

LABELS = ["management", *(plan.label for plan in PLANS)]


@pytest.fixture(scope="module")
def scanned(moto_endpoint: str) -> Iterator[tuple[DemoOrg, dict[str, Any]]]:
    reset_moto(moto_endpoint)
    demo = build_demo_org(moto_endpoint)
    out = io.StringIO()
    with pointed_at(moto_endpoint), redirect_stdout(out), redirect_stderr(io.StringIO()):
        code = run(["scan", *demo.scan_args(), "--output", "json"])
    assert code == 1  # the demo has HIGH findings by design
    yield demo, json.loads(out.getvalue())
    reset_moto(moto_endpoint)


def _statuses(report: dict[str, Any], account: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for finding in report["findings"]:
        if finding["account"] == account:
            found[finding["control"]].add(finding["status"])
    return found


@pytest.mark.parametrize("label", [label for label in LABELS if label != "public-bucket"])
def test_scan_fails_exactly_the_expected_controls(
    scanned: tuple[DemoOrg, dict[str, Any]], label: str
) -> None:
    demo, report = scanned
    acct = demo.account(label)
    statuses = _statuses(report, acct.account_id)
    failed = {c for c, s in statuses.items() if "FAILED" in s}
    assert {c for c in failed if c.startswith("CloudTrail.")} == acct.expected_failures
    assert any(c.startswith("CloudWatch.") for c in failed) == acct.cloudwatch_fails


def test_scan_fails_cloudtrail6_on_the_public_bucket(
    scanned: tuple[DemoOrg, dict[str, Any]],
) -> None:
    demo, report = scanned
    statuses = _statuses(report, demo.account("public-bucket").account_id)
    assert statuses["CloudTrail.6"] == {"FAILED"}


def test_org_trail_controls_are_not_available_in_members(
    scanned: tuple[DemoOrg, dict[str, Any]],
) -> None:
    demo, report = scanned
    statuses = _statuses(report, demo.account("org-only").account_id)
    assert statuses["CloudTrail.1"] == {"PASSED"}  # counted through the organisation trail
    for control in ("CloudTrail.2", "CloudTrail.4", "CloudTrail.5", "CloudTrail.9"):
        assert statuses[control] == {"NOT_AVAILABLE"}, control
    for control in ("CloudTrail.6", "CloudTrail.7"):  # the bucket is the management account's
        assert statuses[control] <= {"NOT_AVAILABLE"}, control
