"""CSV, JSON lines and JUnit: one row, line or test case per finding."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from tests.report.support import FUTURE_STATUS, varied_document

from trailwarden.report.tabular import CSV_COLUMNS, render_csv, render_jsonl, render_junit


def test_csv_has_one_row_per_finding_with_its_suppression() -> None:
    doc = varied_document()
    rows = list(csv.DictReader(io.StringIO(render_csv(doc))))
    assert len(rows) == len(doc["findings"])
    assert tuple(rows[0]) == CSV_COLUMNS
    suppressed = [r for r in rows if r["suppressed"] == "yes"]
    assert [r["suppression_owner"] for r in suppressed] == ["secops@example.com"]
    assert any(r["status"] == FUTURE_STATUS for r in rows)
    assert any("PCI DSS v3.2.1/3.4" in r["compliance"] for r in rows)


def test_jsonl_is_the_contract_one_finding_per_line() -> None:
    doc = varied_document()
    lines = render_jsonl(doc).splitlines()
    assert [json.loads(line) for line in lines] == doc["findings"]


def test_junit_fails_failed_findings_and_skips_the_rest() -> None:
    doc = varied_document()
    root = ET.fromstring(render_junit(doc))
    cases = root.findall(".//testcase")
    assert len(cases) == len(doc["findings"])
    unsuppressed_failed = sum(
        1 for f in doc["findings"] if f["status"] == "FAILED" and not f.get("suppressed")
    )
    assert len(root.findall(".//failure")) == unsuppressed_failed == int(root.get("failures", ""))
    skipped = [c.find("skipped") for c in cases if c.find("skipped") is not None]
    messages = [s.get("message", "") for s in skipped if s is not None]
    assert any(m.startswith("suppressed: accepted <risk> & documented") for m in messages)
    assert any(m.startswith(FUTURE_STATUS) for m in messages)
    suites = root.findall("testsuite")
    assert sum(int(s.get("tests", "")) for s in suites) == len(cases)
