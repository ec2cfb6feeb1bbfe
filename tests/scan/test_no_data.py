"""Where Security Hub evaluates nothing is NO_DATA, apart from NOT_AVAILABLE, which means a read
failed and needs a person (issue 14, item 8): in the findings, the JSON contract and the text."""

from __future__ import annotations

import json
from typing import Any

from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for
from tests.support.proxy import Fault, latency_proxy

REGIONS = "us-east-1,eu-west-1"


def org_with_org_trail() -> list[str]:
    """An organisation trail homed in us-east-1 and a member with its own multi-Region trail."""
    (member,) = create_org(1)
    ct = session_for(MANAGEMENT).client("cloudtrail", region_name="us-east-1")
    create_trail(session_for(MANAGEMENT), "org", start=False)
    ct.update_trail(Name="org", IsOrganizationTrail=True)
    ct.start_logging(Name="org")
    create_trail(session_for(member), "own")
    return [MANAGEMENT, member]


def scan(cli: Any, *args: str) -> Any:
    return cli(["scan", "--org", "--regions", REGIONS, "--max-attempts", "2", *args])


def test_a_scan_that_read_everything_has_no_unknowns_only_no_data(aws: str, cli: Any) -> None:
    accounts = org_with_org_trail()
    doc = json.loads(scan(cli, "--output", "json").stdout)
    assert doc["schema"] == "trailwarden.findings/2"
    assert doc["errors"] == []
    statuses = {f["status"] for f in doc["findings"]}
    assert "NOT_AVAILABLE" not in statuses
    no_data = {(f["account"], f["control"]) for f in doc["findings"] if f["status"] == "NO_DATA"}
    # CloudWatch.x outside the home Region, and the organisation trail's resource controls in
    # the member: evaluated elsewhere by Security Hub, not unknown.
    assert (accounts[0], "CloudWatch.1") in no_data
    assert (accounts[1], "CloudTrail.2") in no_data


def test_a_read_that_failed_is_not_available_and_says_which(
    aws: str, cli: Any, monkeypatch: Any
) -> None:
    org_with_org_trail()
    with latency_proxy(aws, delay_s=0.0) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        proxy.add_fault(Fault(account=MANAGEMENT, service="cloudtrail", operation="ListTags"))
        doc = json.loads(scan(cli, "--output", "json").stdout)
    unknown = [f for f in doc["findings"] if f["status"] == "NOT_AVAILABLE"]
    assert unknown and {f["control"] for f in unknown} == {"CloudTrail.9"}
    assert all("cloudtrail:ListTags: AccessDenied" in f["reason"] for f in unknown)


def test_text_report_counts_no_data_apart(aws: str, cli: Any) -> None:
    org_with_org_trail()
    out = " ".join(scan(cli).stdout.split())  # the terminal wraps long lines
    assert "0 not available (a read failed)" in out
    assert "no data (not evaluated there by Security Hub)" in out
