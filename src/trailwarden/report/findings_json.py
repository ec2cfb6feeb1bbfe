"""The ``trailwarden.findings/2`` document: the contract later reports and checks read.

/2 differs from /1 in one way: ``status`` may also be ``NO_DATA`` (Security Hub evaluates nothing
there by design), which /1 wrote as ``NOT_AVAILABLE``; ``NOT_AVAILABLE`` now always means a read
failed or could not decide (docs/scan.md#findings-json)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trailwarden.controls import Evaluation, RootCause
from trailwarden.errors import UsageError
from trailwarden.jsonfile import read_document

FINDINGS_SCHEMA = "trailwarden.findings/2"


def findings_document(evaluation: Evaluation) -> dict[str, Any]:
    snap = evaluation.snapshot
    regions = sorted({r.region for r in snap.regions})
    # A root cause's text is built anew on each read (an account's causes are shared by its
    # findings): built once per cause, the document's findings share it too.
    texts: dict[int, str] = {}

    def cause_text(cause: RootCause) -> str:
        text = texts.get(id(cause))
        if text is None:
            text = texts[id(cause)] = cause.text
        return text

    return {
        "schema": FINDINGS_SCHEMA,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "snapshot_generated_at": snap.generated_at.isoformat(timespec="seconds"),
        "accounts": [a.account for a in snap.accounts],
        "regions": regions,
        "findings": [
            {
                "control": f.control,
                "status": f.status.value,
                "severity": f.severity.value,
                "account": f.account,
                "region": f.region,
                "resource_type": f.resource_type,
                "resource": f.resource,
                "reason": f.reason,
                "root_cause": cause_text(f.root_cause),
                "remediation": f.remediation,
                "compliance": f.compliance,
            }
            for f in evaluation.findings
        ],
        "signals": [{**asdict(s), "severity": s.severity.value} for s in evaluation.signals],
        "errors": [
            {"account": e.account, "region": e.region, "operation": e.operation, "error": e.error}
            for e in snap.errors
        ],
    }


# What every finding carries (in /1 and /2); a reader needs these and passes anything else through.
FINDING_KEYS = ("control", "status", "severity", "account", "region", "resource", "reason")


def read_findings(path: Path) -> dict[str, Any]:
    """A findings document (/2, or /1 saved by an older trailwarden: the same fields, with its
    no-data places still under NOT_AVAILABLE) from ``path``, checked enough for the renderers:
    anything of another schema or version, or with a malformed finding, is a one-line error."""
    doc = read_document(path, "findings", FINDINGS_SCHEMA, "trailwarden.findings/1")
    findings = doc.get("findings")
    if not isinstance(findings, list):
        raise UsageError(f"{path}: 'findings' must be a list")
    for i, f in enumerate(findings):
        missing = [
            k for k in FINDING_KEYS if not isinstance(f, dict) or not isinstance(f.get(k), str)
        ]
        if missing:
            raise UsageError(f"{path}: finding {i} lacks {', '.join(missing)}")
    for key in ("accounts", "regions", "signals", "errors"):
        if not isinstance(doc.setdefault(key, []), list):
            raise UsageError(f"{path}: '{key}' must be a list")
    return doc
