"""SARIF 2.1.0: valid against the official schema; one rule per control; results need attention."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from tests.report.support import FUTURE_STATUS, varied_document

from trailwarden.report.sarif import render_sarif

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())


def test_sarif_is_valid_against_the_official_schema() -> None:
    log = json.loads(render_sarif(varied_document()))
    jsonschema.Draft4Validator(SCHEMA).validate(log)
    # The schema accepts a lot; make sure it would reject something we could get wrong.
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["kind"] = "failed"
    assert not jsonschema.Draft4Validator(SCHEMA).is_valid(broken)


def test_one_rule_per_control_with_help_and_remediation() -> None:
    doc = varied_document()
    run = json.loads(render_sarif(doc))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(dict.fromkeys(f["control"] for f in doc["findings"]))
    ct2 = next(r for r in rules if r["id"] == "CloudTrail.2")
    assert "KmsKeyId" in ct2["help"]["text"]
    assert "CIS AWS Foundations Benchmark v1.2.0/2.7" in ct2["help"]["markdown"]
    assert ct2["shortDescription"]["text"].startswith("CloudTrail should have encryption")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_results_carry_status_suppression_and_unknown_statuses() -> None:
    doc = varied_document()
    results = json.loads(render_sarif(doc))["runs"][0]["results"]
    assert len(results) == sum(1 for f in doc["findings"] if f["status"] != "PASSED")
    kinds = {r["properties"]["status"]: r["kind"] for r in results}
    assert kinds["FAILED"] == "fail" and kinds["NOT_AVAILABLE"] == "open"
    assert kinds[FUTURE_STATUS] == "open"  # passed through, undecided
    suppressed = [r for r in results if "suppressions" in r]
    assert len(suppressed) == 1
    assert suppressed[0]["suppressions"][0]["justification"].startswith("accepted <risk>")
    fingerprints = [r["partialFingerprints"]["trailwardenFinding/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
