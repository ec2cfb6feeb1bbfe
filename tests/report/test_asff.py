"""ASFF: Security Hub (moto, over HTTP) accepts every finding, and a rescan updates in place."""

from __future__ import annotations

import copy

import boto3
from tests.report.support import FUTURE_STATUS, varied_document

from trailwarden.report.asff import asff_findings


def _all_findings(client: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    for page in client.get_paginator("get_findings").paginate():  # type: ignore[attr-defined]
        found += page["Findings"]
    return found


def _import(client: object, findings: list[dict[str, object]]) -> None:
    for start in range(0, len(findings), 100):  # BatchImportFindings takes at most 100
        result = client.batch_import_findings(Findings=findings[start : start + 100])  # type: ignore[attr-defined]
        assert result["FailedCount"] == 0, result["FailedFindings"]


def test_security_hub_imports_reads_back_and_updates_instead_of_duplicating(aws: str) -> None:
    doc = varied_document()
    client = boto3.client("securityhub", region_name="us-east-1")
    findings = asff_findings(doc)
    _import(client, findings)
    stored = {f["Id"]: f for f in _all_findings(client)}
    assert len(stored) == len(doc["findings"])
    sample = stored[findings[0]["Id"]]
    assert sample["Compliance"]["SecurityControlId"] == doc["findings"][0]["control"]
    suppressed = [f for f in stored.values() if f.get("Workflow", {}).get("Status") == "SUPPRESSED"]
    assert len(suppressed) == 1 and "accepted <risk>" in suppressed[0]["Note"]["Text"]
    unknown = [
        f for f in stored.values() if f["ProductFields"]["trailwarden/status"] == FUTURE_STATUS
    ]
    assert [f["Compliance"]["Status"] for f in unknown] == ["NOT_AVAILABLE"]

    # A rescan: the same findings, one of them fixed. IDs are stable, so nothing is added.
    rescan = copy.deepcopy(doc)
    fixed = next(
        f for f in rescan["findings"] if f["status"] == "FAILED" and not f.get("suppressed")
    )
    fixed["status"] = "PASSED"
    again = asff_findings(rescan)
    assert [f["Id"] for f in again] == [f["Id"] for f in findings]
    _import(client, again)
    after = {f["Id"]: f for f in _all_findings(client)}
    assert len(after) == len(stored)
    fixed_id = again[rescan["findings"].index(fixed)]["Id"]
    assert after[fixed_id]["Compliance"]["Status"] == "PASSED"


def test_ids_differ_per_resource_and_do_not_depend_on_the_run() -> None:
    doc = varied_document()
    ids = [f["Id"] for f in asff_findings(doc)]
    assert len(set(ids)) == len(ids)
    later = dict(doc, generated_at="2031-01-01T00:00:00+00:00")
    assert [f["Id"] for f in asff_findings(later)] == ids
