"""The findings document holds a thousand accounts' findings without holding them twice: its
dictionaries share one table of keys, and the typed findings share their repeated texts."""

from __future__ import annotations

import sys

from tests.report.renderings import bench_snapshot

from trailwarden.controls import evaluate
from trailwarden.report.findings_json import findings_document


def test_document_findings_are_plain_dicts_sharing_their_keys() -> None:
    findings = findings_document(evaluate(bench_snapshot()))["findings"]
    keys = ["control", "status", "severity", "account", "region", "resource_type", "resource"]
    keys += ["reason", "root_cause", "remediation", "compliance"]
    assert all(type(f) is dict and list(f) == keys for f in findings)
    # An ordinary copy holds its own keys: a shared table is what makes each one smaller.
    assert sys.getsizeof(findings[0]) < sys.getsizeof(dict(findings[0])) / 2
    changed = findings[0]
    changed["suppressed"] = {"reason": "r"}  # still a dict like any other once changed
    assert list(changed)[-1] == "suppressed" and "suppressed" not in findings[1]


def test_an_accounts_findings_share_their_repeated_texts_and_causes() -> None:
    findings = evaluate(bench_snapshot()).findings
    member = [f for f in findings if f.account == "100000000001"]
    by_value: dict[object, set[int]] = {}
    for f in member:
        for value in (f.resource, f.reason, f.root_cause):
            by_value.setdefault((type(value), repr(value)), set()).add(id(value))
    assert all(len(ids) == 1 for ids in by_value.values())
    assert len(by_value) < len(member)
