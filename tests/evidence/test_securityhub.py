"""Security Hub in sync, against moto's Security Hub over HTTP: findings imported in batches of
100 with failures reported; `securityhub diff` shows stale and missed FAILED verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.report.support import scanned_document
from tests.scan.build import make_snapshot, make_trail
from tests.support.proxy import LatencyProxy, latency_proxy

from trailwarden.aws.session import AwsAccess
from trailwarden.evidence.aws import import_findings
from trailwarden.evidence.securityhub import MISSED, STALE, diff, hub_control
from trailwarden.report.asff import asff_findings
from trailwarden.snapshot import save_snapshot
from trailwarden.trailstore.s3 import access_clients

# The proxy names rest-json calls it has no table for by method and path.
IMPORT_CALL = ("securityhub", "POST /findings/import")
GET_FINDINGS_CALL = ("securityhub", "POST /findings")


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LatencyProxy]:
    with latency_proxy(aws, delay_s=0.0) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


def _hub_finding(account: str, region: str, control: str, status: str, when: str) -> dict[str, Any]:
    """A finding as Security Hub's own consolidated controls write it."""
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"arn:aws:securityhub:{region}:{account}:security-control/{control}/finding/x",
        "ProductArn": f"arn:aws:securityhub:{region}::product/aws/securityhub",
        "GeneratorId": f"security-control/{control}",
        "AwsAccountId": account,
        "Region": region,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": {"Label": "MEDIUM"},
        "Title": control,
        "Description": control,
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account}"}],
        "Compliance": {"Status": status, "SecurityControlId": control},
        "RecordState": "ACTIVE",
    }


def test_control_of_a_hub_finding() -> None:
    f = _hub_finding("111111111111", "us-east-1", "CloudTrail.4", "FAILED", "2025-01-01T00:00:00Z")
    assert hub_control(f) == "CloudTrail.4"
    older = {"GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/CloudWatch.1"}
    assert hub_control(older) == "CloudWatch.1"
    assert hub_control({"GeneratorId": "security-control/S3.1"}) is None


def test_diff_finds_stale_and_missed_and_ignores_our_own() -> None:
    doc = scanned_document()
    account = doc["findings"][0]["account"]
    statuses: dict[str, set[str]] = {}
    for f in doc["findings"]:
        statuses.setdefault(f["control"], set()).add(f["status"])
    passed = sorted(c for c, s in statuses.items() if s == {"PASSED"})[0]
    failed = sorted(c for c, s in statuses.items() if "FAILED" in s)[0]
    hub = [
        _hub_finding(account, "us-east-1", passed, "FAILED", "2025-01-02T03:04:05Z"),
        _hub_finding(account, "us-east-1", failed, "PASSED", "2025-01-01T00:00:00Z"),
        *asff_findings(doc),  # what trailwarden imported itself is not Security Hub's view
    ]
    found = {(d.control, d.kind, d.hub.updated_at) for d in diff(doc, hub)}
    assert found == {
        (passed, STALE, "2025-01-02T03:04:05Z"),
        (failed, MISSED, "2025-01-01T00:00:00Z"),
    }


def test_import_in_batches_of_100_with_failures_reported(proxy: LatencyProxy) -> None:
    one = asff_findings(scanned_document())[0]
    findings = [dict(one, Id=f"trailwarden/test/{i}") for i in range(250)]
    findings[7] = dict(findings[7], Resources=[])  # Security Hub refuses it
    result = import_findings(access_clients(AwsAccess()), findings)
    assert proxy.calls[IMPORT_CALL] == 3
    assert (result.sent, result.imported) == (250, 249)
    assert [f["Id"] for f in result.failed] == ["trailwarden/test/7"]


def test_scan_imports_and_diff_reads_back(proxy: LatencyProxy, cli: Any, tmp_path: Path) -> None:
    snapshot = make_snapshot([make_trail(multi=False, kms_key_id=None)])
    path = tmp_path / "snapshot.json"
    save_snapshot(snapshot, path)
    saved = tmp_path / "findings.json"
    res = cli(
        ["scan", "--from-snapshot", str(path), "-o", "json", "--out", str(saved),
         "--import-to-securityhub"]
    )  # fmt: skip
    doc = json.loads(saved.read_text())
    sent = len(doc["findings"])
    assert f"Security Hub: {sent}/{sent} findings imported" in res.stderr, res.stderr
    regions = {f["region"] for f in doc["findings"]}
    stored = sum(
        len(boto3.client("securityhub", region_name=r).get_findings()["Findings"]) for r in regions
    )
    assert stored >= sent

    # Security Hub's own view: a control passing now that it still calls FAILED (stale).
    failing = {(f["account"], f["control"]) for f in doc["findings"] if f["status"] != "PASSED"}
    passing = next(f for f in doc["findings"] if (f["account"], f["control"]) not in failing)
    stale = _hub_finding(
        passing["account"], "us-east-1", passing["control"], "FAILED", "2025-03-01T00:00:00Z"
    )
    boto3.client("securityhub", region_name="us-east-1").batch_import_findings(Findings=[stale])
    res = cli(
        ["securityhub", "diff", "--findings", str(saved), "--securityhub-regions", "us-east-1",
         "-o", "json"]
    )  # fmt: skip
    assert res.code == 1, res.stderr
    (row,) = json.loads(res.stdout)["disagreements"]
    assert (row["control"], row["kind"], row["securityhub_updated_at"]) == (
        passing["control"],
        STALE,
        "2025-03-01T00:00:00Z",
    )
    assert proxy.calls[GET_FINDINGS_CALL] >= 1
    res = cli(
        ["securityhub", "diff", "--findings", str(saved), "--securityhub-regions", "us-east-1",
         "-o", "jsonl"]
    )  # fmt: skip
    assert res.code == 1, res.stderr
    (line,) = res.stdout.splitlines()
    assert json.loads(line)["securityhub_regions"] == "us-east-1"  # row form, whole values
