"""The ``trailwarden.findings/2`` document: the contract later reports and checks read.

/2 differs from /1 in one way: ``status`` may also be ``NO_DATA`` (Security Hub evaluates nothing
there by design), which /1 wrote as ``NOT_AVAILABLE``; ``NOT_AVAILABLE`` now always means a read
failed or could not decide (docs/scan.md#findings-json)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trailwarden.controls import Evaluation, Finding, RootCause
from trailwarden.errors import UsageError
from trailwarden.jsonfile import read_document

FINDINGS_SCHEMA = "trailwarden.findings/2"


class _Keys:
    """Makes a finding's dictionary of the document, then is dropped: dictionaries that are the
    attributes of instances of one class share one table of keys (CPython's key-sharing
    dictionaries, PEP 412), so each finding's holds only its eleven values, ~180 bytes instead
    of ~470 for a dict literal (130 MB at a thousand accounts). An ordinary dict in every other
    way: the same keys in the same order."""

    def __init__(self, f: Finding, root_cause: str) -> None:
        self.control = f.control
        self.status = f.status.value
        self.severity = f.severity.value
        self.account = f.account
        self.region = f.region
        self.resource_type = f.resource_type
        self.resource = f.resource
        self.reason = f.reason
        self.root_cause = root_cause
        self.remediation = f.remediation
        self.compliance = f.compliance


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
        "findings": [vars(_Keys(f, cause_text(f.root_cause))) for f in evaluation.findings],
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
