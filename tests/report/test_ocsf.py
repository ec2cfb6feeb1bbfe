"""OCSF Compliance Finding (2003): every attribute the vendored 1.2.0 definitions require."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.report.support import FUTURE_STATUS, varied_document

from trailwarden.report.ocsf import OCSF_VERSION, render_ocsf

OCSF = Path(__file__).parent / "data" / "ocsf-1.2.0"


def _definition(name: str) -> dict[str, Any]:
    return json.loads((OCSF / f"{name}.json").read_text())


def _required(name: str) -> set[str]:
    return {
        k
        for k, v in _definition(name)["attributes"].items()
        if isinstance(v, dict) and v.get("requirement") == "required"
    }


def test_every_event_has_what_ocsf_requires() -> None:
    events = [json.loads(line) for line in render_ocsf(varied_document()).splitlines()]
    assert OCSF_VERSION == "1.2.0"
    # The class, with its parents: compliance_finding extends finding extends base_event.
    assert _definition("events_findings_compliance_finding")["extends"] == "finding"
    assert _definition("events_findings_finding")["extends"] == "base_event"
    event_required = (
        _required("events_base_event")
        | _required("events_findings_finding")
        | _required("events_findings_compliance_finding")
    )
    # Every event class requires these four through the dictionary, not its own file.
    event_required |= {"class_uid", "category_uid", "type_uid", "activity_id", "time"}
    objects = {
        "metadata": "objects_metadata",
        "finding_info": "objects_finding_info",
        "compliance": "objects_compliance",
        "remediation": "objects_remediation",
        "cloud": "objects_cloud",
    }
    uid = _definition("events_findings_compliance_finding")["uid"]
    for event in events:
        assert event_required <= set(event), event_required - set(event)
        assert event["class_uid"] == 2000 + uid == 2003
        assert event["type_uid"] == event["class_uid"] * 100 + event["activity_id"]
        for key, definition in objects.items():
            assert _required(definition) <= set(event[key]), (key, _required(definition))
        assert _required("objects_product") <= set(event["metadata"]["product"])


def test_status_ids_are_ocsf_enum_values_and_unknown_statuses_pass_through() -> None:
    events = [json.loads(line) for line in render_ocsf(varied_document()).splitlines()]
    allowed = set(_definition("objects_compliance")["attributes"]["status_id"]["enum"])
    assert {
        str(e["compliance"]["status_id"]) for e in events if "status_id" in e["compliance"]
    } == {
        "1",
        "3",
    }
    assert allowed >= {"1", "3"}
    by_status = {e["compliance"]["status_detail"]: e["compliance"] for e in events}
    assert by_status["FAILED"]["status"] == "Fail" and by_status["PASSED"]["status"] == "Pass"
    # No OCSF value for an undecided verdict: status_id is left out and the word kept.
    assert "status_id" not in by_status[FUTURE_STATUS]
    assert by_status[FUTURE_STATUS]["status"] == FUTURE_STATUS
    suppressed = [e for e in events if e["status"] == "Suppressed"]
    assert len(suppressed) == 1 and suppressed[0]["status_id"] == 3
