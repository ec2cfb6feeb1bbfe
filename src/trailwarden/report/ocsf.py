"""OCSF Compliance Finding (class 2003, schema 1.2.0), one event per finding, as JSON lines.

Written field by field rather than through a model library: the OCSF community's Python library
(ocsf-lib) compiles and compares schemas but builds no events, and the few fields a
Compliance Finding needs are easier to review here than behind another dependency.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from trailwarden.report.common import (
    TEXTS,
    TOOL,
    VERSION,
    PerControl,
    ShapedJson,
    batched,
    control_title,
    finding_uid,
)

OCSF_VERSION = "1.2.0"
CLASS_UID = 2003  # Compliance Finding
CATEGORY_UID = 2  # Findings
ACTIVITY_CREATE = 1
_SEVERITY_ID = {"INFORMATIONAL": 1, "LOW": 2, "MEDIUM": 3, "HIGH": 4, "CRITICAL": 5}
# compliance.status_id has exactly 1 Pass, 2 Warning, 3 Fail in 1.2.0; a verdict it has no value
# for (NOT_AVAILABLE, or a newer status) leaves status_id out and keeps the word in status.
_COMPLIANCE_STATUS = {"PASSED": (1, "Pass"), "WARNING": (2, "Warning"), "FAILED": (3, "Fail")}
# The finding's own status_id: 1 New, 3 Suppressed.
_NEW, _SUPPRESSED = (1, "New"), (3, "Suppressed")


def _millis(stamp: str | None) -> int:
    if not stamp:
        return 0
    return int(datetime.fromisoformat(stamp).timestamp() * 1000)


def ocsf_event(f: dict[str, Any], time: int, per: PerControl | None = None) -> dict[str, Any]:
    known = _COMPLIANCE_STATUS.get(f["status"])
    finding_status = _SUPPRESSED if f.get("suppressed") else _NEW
    standards = sorted(f.get("compliance") or {}) or ["AWS Security Hub"]
    requirements = (per or PerControl()).requirements(f)
    region = f["region"] if f["region"] not in ("", "-") else None
    event: dict[str, Any] = {
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "time": time,
        "severity_id": _SEVERITY_ID.get(f["severity"], 99),
        "severity": f["severity"].capitalize(),
        "status_id": finding_status[0],
        "status": finding_status[1],
        "message": f["reason"],
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": TOOL, "vendor_name": TOOL, "version": VERSION},
        },
        "finding_info": {
            "uid": finding_uid(f),
            "title": f"{f['control']} {control_title(f['control'])}",
            "desc": f["reason"],
        },
        "compliance": {
            "control": f["control"],
            "standards": standards,
            "requirements": requirements,
            **({"status_id": known[0]} if known else {}),
            "status": known[1] if known else f["status"],
            "status_detail": f["status"],
        },
        "remediation": {"desc": f.get("remediation") or "No remediation recorded."},
        "resources": [
            {
                "uid": f["resource"],
                "type": f.get("resource_type", ""),
                **({"region": region} if region else {}),
            }
        ],
        "cloud": {
            "provider": "AWS",
            "account": {"uid": f["account"], "type_id": 10, "type": "AWS Account"},
            **({"region": region} if region else {}),
        },
        "unmapped": {"root_cause": f.get("root_cause", "")},
    }
    if f.get("suppressed"):
        event["comment"] = f"suppressed: {f['suppressed']['reason']}"
    return event


def stream_ocsf(doc: dict[str, Any]) -> Iterator[str]:
    time = _millis(doc.get("generated_at"))
    per = PerControl()
    event = ShapedJson(lambda f: ocsf_event(f, time, per), json.dumps, TEXTS, (finding_uid,))
    return batched(event(f) + "\n" for f in doc["findings"])


def render_ocsf(doc: dict[str, Any]) -> str:
    return "".join(stream_ocsf(doc))
