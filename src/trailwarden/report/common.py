"""What every renderer shares: a finding's stable identity, its effective status, control titles.

Renderers read findings as the ``trailwarden.findings/2`` dictionaries (a /1 file reads the
same), never the typed findings, so a report can be rendered again from a saved file; a status
they do not know passes through.
"""

from __future__ import annotations

import functools
import hashlib
import json
from typing import Any

from trailwarden import __version__

TOOL = "trailwarden"
VERSION = __version__
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def finding_uid(f: dict[str, Any]) -> str:
    """The same for the same control on the same resource in the same account and Region, scan
    after scan: what lets Security Hub update a finding instead of adding a duplicate."""
    key = "|".join((f["control"], f["account"], f["region"], f["resource"]))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def effective_status(f: dict[str, Any]) -> str:
    """The status that decides whether work is needed: a suppressed failure is SUPPRESSED."""
    status: str = f["status"]
    return "SUPPRESSED" if status == "FAILED" and f.get("suppressed") else status


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@functools.cache
def control_titles() -> dict[str, str]:
    from trailwarden.controls import REGISTRY

    return {cid: c.meta.title for cid, c in REGISTRY.items()}


def control_title(control: str) -> str:
    return control_titles().get(control, control)


@functools.cache
def _steps() -> dict[str, str]:
    from trailwarden.controls import REGISTRY

    return {cid: c.meta.remediation.step for cid, c in REGISTRY.items()}


def fix_steps(findings: list[dict[str, Any]]) -> list[str]:
    """The short steps that clear these findings, once each (the full remediation when a control
    is not known to this trailwarden)."""
    steps = _steps()
    return list(
        dict.fromkeys(steps.get(f["control"]) or f.get("remediation") or "" for f in findings)
    )


def control_sort_key(control: str) -> tuple[str, int]:
    family, _, number = control.partition(".")
    return family, int(number) if number.isdigit() else 0


def failing(doc: dict[str, Any], threshold: str) -> list[dict[str, Any]]:
    """Unsuppressed FAILED findings at or above ``threshold`` (what ``--fail-on`` counts)."""
    limit = severity_rank(threshold)
    return [
        f
        for f in doc["findings"]
        if effective_status(f) == "FAILED" and severity_rank(f["severity"]) <= limit
    ]


# How Security Hub spells each framework in RelatedRequirements; the findings' own keys are short.
_REQUIREMENT_PREFIX = {
    "CIS": "CIS AWS Foundations Benchmark {}",
    "NIST 800-53 r5": "NIST.800-53.r5 {}",
    "PCI DSS": "PCI DSS {}",
}


def related_requirements(f: dict[str, Any]) -> list[str]:
    """The finding's requirements as Security Hub writes them (``PCI DSS v3.2.1/10.5.2``)."""
    compliance: dict[str, list[str]] = f.get("compliance") or {}
    return [
        _REQUIREMENT_PREFIX.get(name, name + " {}").format(req)
        for name, reqs in compliance.items()
        for req in reqs
    ]


# One encoder for every call: json.dumps with any option builds a new encoder each time.
_COMPACT = json.JSONEncoder(ensure_ascii=False, default=str).encode


def dumps(value: Any, depth: int, indent: str = "") -> str:
    """JSON indented for ``depth`` levels and compact below, so a list of findings reads one
    finding per line. Python's JSON encoder is fast only without indentation, and a report of
    a thousand accounts holds a quarter of a million findings."""
    if depth <= 0 or not isinstance(value, dict | list) or not value:
        return _COMPACT(value)
    inner = indent + "  "
    if isinstance(value, dict):
        items = [f"{inner}{json.dumps(k)}: {dumps(v, depth - 1, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    items = [inner + dumps(v, depth - 1, inner) for v in value]
    return "[\n" + ",\n".join(items) + "\n" + indent + "]"


class PerControl:
    """What depends on the control alone, worked out once per control instead of per finding."""

    def __init__(self) -> None:
        self._requirements: dict[str, list[str]] = {}

    def requirements(self, f: dict[str, Any]) -> list[str]:
        known = self._requirements.get(f["control"])
        if known is None:
            known = self._requirements[f["control"]] = related_requirements(f)
        return known
