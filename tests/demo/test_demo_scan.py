"""The real scan, run over HTTP against the demo organisation, finds what DemoOrg says it should."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any

import pytest
from tests.support.proxy import Fault, latency_proxy

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


@pytest.mark.parametrize("label", LABELS)
def test_scan_fails_exactly_the_expected_controls(
    scanned: tuple[DemoOrg, dict[str, Any]], label: str
) -> None:
    demo, report = scanned
    acct = demo.account(label)
    statuses = _statuses(report, acct.account_id)
    failed = {c for c, s in statuses.items() if "FAILED" in s}
    assert {c for c in failed if c.startswith("CloudTrail.")} == acct.expected_failures
    assert any(c.startswith("CloudWatch.") for c in failed) == acct.cloudwatch_fails


def test_org_trail_controls_are_no_data_in_members(
    scanned: tuple[DemoOrg, dict[str, Any]],
) -> None:
    demo, report = scanned
    statuses = _statuses(report, demo.account("org-only").account_id)
    assert statuses["CloudTrail.1"] == {"PASSED"}  # counted through the organisation trail
    for control in ("CloudTrail.2", "CloudTrail.4", "CloudTrail.5", "CloudTrail.9"):
        assert statuses[control] == {"NO_DATA"}, control  # Security Hub grades them for the owner
    for control in ("CloudTrail.6", "CloudTrail.7"):  # the bucket is the management account's
        assert statuses[control] <= {"NO_DATA"}, control


def test_scan_through_the_fault_proxy(moto_endpoint: str) -> None:
    """Faults land on the account and Region they name (assumed-role keys resolved as moto does):
    the scan completes, records each error, and never PASSes what it could not read."""
    reset_moto(moto_endpoint)
    demo = build_demo_org(moto_endpoint)
    compliant = demo.account("compliant").account_id
    write_only = demo.account("write-only").account_id
    faults = [
        Fault(account=compliant, region="eu-west-1", service="cloudtrail", kind="access_denied"),
        Fault(account=write_only, operation="GetEventSelectors", kind="throttle", times=1),
        # Not retried, so the test stays fast; drops and HTTP 500s are retried by botocore
        # (test_proxy.py shows botocore's view of each kind).
        Fault(account=compliant, region="us-east-1", operation="GetTrailStatus"),
    ]
    args = ["--accounts", f"{compliant},{write_only}", "--regions", "us-east-1,eu-west-1"]
    out = io.StringIO()
    with latency_proxy(moto_endpoint, delay_s=0.0, faults=faults) as proxy:
        with pointed_at(proxy.url), redirect_stdout(out), redirect_stderr(io.StringIO()):
            run(["scan", *args, "--output", "json"])
        assert proxy.faults_served["throttle"] == 1
        assert proxy.count(account=write_only, operation="GetEventSelectors") >= 2
    reset_moto(moto_endpoint)
    report = json.loads(out.getvalue())
    errors = {(e["account"], e["region"], e["operation"]) for e in report["errors"]}
    assert (compliant, "eu-west-1", "cloudtrail:DescribeTrails") in errors
    assert (compliant, "us-east-1", "cloudtrail:GetTrailStatus") in errors
    assert not any(acct == write_only and "cloudtrail" in op for acct, _, op in errors)

    def status(account: str, region: str, control: str) -> set[str]:
        return {
            f["status"]
            for f in report["findings"]
            if (f["account"], f["region"], f["control"]) == (account, region, control)
        }

    for region in ("us-east-1", "eu-west-1"):
        assert status(compliant, region, "CloudTrail.1") == {"NOT_AVAILABLE"}
        assert status(compliant, region, "CloudTrail.3") == {"NOT_AVAILABLE"}
        # The throttled read was retried, so write-only is graded on what AWS really says.
        assert status(write_only, region, "CloudTrail.1") == {"FAILED"}
