"""--compliance: the mapping (data), its agreement with the controls, requirement status."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.report.support import scanned_document
from tests.scan.build import make_snapshot, make_trail

from trailwarden.controls import REGISTRY
from trailwarden.errors import UsageError
from trailwarden.report.compliance import (
    FRAMEWORK_NAMES,
    apply_compliance,
    framework,
    frameworks,
    requirement_status,
)
from trailwarden.snapshot import save_snapshot

# How the controls' own compliance lists name each framework version we map.
_IN_CONTROLS = {
    "cis-1.2": ("CIS", "v1.2.0/"),
    "cis-1.4": ("CIS", "v1.4.0/"),
    "cis-3.0": ("CIS", "v3.0.0/"),
    "cis-5.0": ("CIS", "v5.0.0/"),
    "nist-800-53-r5": ("NIST 800-53 r5", ""),
    "pci-dss-3.2.1": ("PCI DSS", "v3.2.1/"),
}


def test_every_framework_loads_with_real_controls_and_sources() -> None:
    assert tuple(frameworks()) == FRAMEWORK_NAMES
    for fw in frameworks().values():
        assert fw.requirements
        for req in fw.requirements:
            assert req.controls and set(req.controls) <= set(REGISTRY), req
            assert req.sources and all(s.strip() for s in req.sources)


@pytest.mark.parametrize("name", sorted(_IN_CONTROLS))
def test_mapping_agrees_with_what_the_controls_carry(name: str) -> None:
    """Two records of one fact (the data file and each control's metadata) must not drift."""
    key, prefix = _IN_CONTROLS[name]
    from_controls = {
        (req.removeprefix(prefix), cid)
        for cid, control in REGISTRY.items()
        for req in control.meta.compliance.get(key, [])
        if req.startswith(prefix)
    }
    from_data = {(r.id, c) for r in framework(name).requirements for c in r.controls}
    assert from_data == from_controls


def test_requirement_status_is_generic() -> None:
    assert requirement_status(Counter({"PASSED": 3, "FAILED": 1})) == "FAILED"
    assert requirement_status(Counter({"PASSED": 3, "SUPPRESSED": 1})) == "PASSED"
    assert requirement_status(Counter({"PASSED": 1, "NOT_AVAILABLE": 1})) == "NOT_AVAILABLE"
    assert requirement_status(Counter({"PASSED": 1, "NO_DATA": 2})) == "NO_DATA"
    assert requirement_status(Counter({"WARNING": 1, "NOT_AVAILABLE": 1})) == "WARNING"
    assert requirement_status(Counter()) == "NO_FINDINGS"


def test_apply_narrows_to_the_framework_and_grades_each_requirement() -> None:
    doc = scanned_document()
    narrowed = apply_compliance(doc, "cis-3.0")
    assert {f["control"] for f in narrowed["findings"]} <= {
        "CloudTrail.1",
        "CloudTrail.2",
        "CloudTrail.4",
        "CloudTrail.7",
    }
    reqs = {r["id"]: r for r in narrowed["framework"]["requirements"]}
    assert set(reqs) == {"3.1", "3.2", "3.4", "3.5"}
    assert reqs["3.5"]["status"] == "FAILED"  # the single-Region trail has no KMS key
    assert reqs["3.5"]["counts"]["FAILED"] >= 1
    assert all(r["sources"] for r in reqs.values())
    # PCI DSS 4.0's 10.3.2 comes from two lines with different sources: merged into one.
    pci = {r.id: r for r in framework("pci-dss-4.0").requirements}
    assert pci["10.3.2"].controls == ("CloudTrail.2", "CloudTrail.4")
    assert len(pci["10.3.2"].sources) == 2
    with pytest.raises(UsageError, match="unknown framework"):
        apply_compliance(doc, "cis-9.9")


def test_scan_and_report_take_compliance(tmp_path: Path, cli: Any) -> None:
    snap = tmp_path / "s.json"
    save_snapshot(make_snapshot([make_trail(kms_key_id=None)]), snap)
    result = cli(["scan", "--from-snapshot", str(snap), "-o", "json", "--compliance", "cis-5.0"])
    doc = json.loads(result.stdout)
    assert doc["framework"]["name"] == "cis-5.0"
    assert {f["control"] for f in doc["findings"]} <= framework("cis-5.0").controls
    text = cli(["scan", "--from-snapshot", str(snap), "--compliance", "cis-5.0"])
    assert "status per requirement" in text.stdout and "3.5" in text.stdout
    bad = cli(["scan", "--from-snapshot", str(snap), "--compliance", "sox"])
    assert bad.code == 2 and bad.stderr.count("\n") == 1 and "unknown framework" in bad.stderr
