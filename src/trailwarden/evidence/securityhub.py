"""Security Hub in sync: the live scan's findings sent in batches, and Security Hub's own
CloudTrail.x / CloudWatch.x findings compared with the live scan.

Security Hub evaluates its periodic controls about once a day, so after a fix its finding still
says FAILED until the next evaluation: ``diff`` shows those (with when Security Hub last updated
them) and the reverse, a control Security Hub says PASSED that the live scan finds failing.
Pure: the answers of GetFindings are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from trailwarden.report.common import TOOL

BATCH = 100  # BatchImportFindings takes at most 100 findings per call
CONTROL_RE = re.compile(r"\b((?:CloudTrail|CloudWatch)\.\d+)\b")
STALE = "stale FAILED"  # Security Hub FAILED, live scan PASSED
MISSED = "missed FAILED"  # Security Hub PASSED, live scan FAILED


def batches(items: list[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def hub_control(finding: dict[str, Any]) -> str | None:
    """The CloudTrail.x / CloudWatch.x control a Security Hub finding is about, or None.
    Consolidated findings name it in Compliance.SecurityControlId; per-standard ones in
    ProductFields.ControlId or the end of GeneratorId."""
    compliance = finding.get("Compliance") or {}
    fields = finding.get("ProductFields") or {}
    for text in (
        compliance.get("SecurityControlId"),
        fields.get("ControlId"),
        finding.get("GeneratorId"),
    ):
        match = CONTROL_RE.search(str(text or ""))
        if match:
            return match.group(1)
    return None


def is_own(finding: dict[str, Any]) -> bool:
    """A finding trailwarden imported itself (compared with nothing: it is the live scan's)."""
    fields = finding.get("ProductFields") or {}
    return fields.get("ProviderName") == TOOL or str(finding.get("Id", "")).startswith(f"{TOOL}/")


@dataclass(frozen=True)
class Verdict:
    status: str  # FAILED, PASSED, or another status when neither
    updated_at: str | None  # Security Hub's UpdatedAt of the newest finding with that status
    regions: tuple[str, ...]


def _fold(statuses: list[tuple[str, str | None, str]]) -> Verdict:
    """One verdict per account x control: FAILED if any place fails, else PASSED if any passes."""
    for wanted in ("FAILED", "PASSED"):
        picked = [s for s in statuses if s[0] == wanted]
        if picked:
            times = [t for _, t, _ in picked if t]
            return Verdict(
                wanted, max(times) if times else None, tuple(sorted({r for *_, r in picked}))
            )
    first = statuses[0]
    return Verdict(first[0], first[1], tuple(sorted({r for *_, r in statuses})))


def hub_verdicts(findings: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Verdict]:
    """(account, control) -> Security Hub's verdict, from its active findings."""
    seen: dict[tuple[str, str], list[tuple[str, str | None, str]]] = {}
    for f in findings:
        control = hub_control(f)
        if control is None or is_own(f) or f.get("RecordState", "ACTIVE") != "ACTIVE":
            continue
        status = str((f.get("Compliance") or {}).get("Status") or "NOT_AVAILABLE")
        key = (str(f.get("AwsAccountId", "")), control)
        seen.setdefault(key, []).append((status, f.get("UpdatedAt"), str(f.get("Region", ""))))
    return {key: _fold(found) for key, found in seen.items()}


def live_verdicts(doc: dict[str, Any]) -> dict[tuple[str, str], Verdict]:
    """(account, control) -> the live scan's verdict, from a findings document."""
    seen: dict[tuple[str, str], list[tuple[str, str | None, str]]] = {}
    when = doc.get("generated_at")
    for f in doc["findings"]:
        key = (f["account"], f["control"])
        seen.setdefault(key, []).append((f["status"], when, f["region"]))
    return {key: _fold(found) for key, found in seen.items()}


@dataclass(frozen=True)
class Disagreement:
    account: str
    control: str
    kind: str  # STALE or MISSED
    hub: Verdict
    live: Verdict

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "control": self.control,
            "kind": self.kind,
            "securityhub_status": self.hub.status,
            "securityhub_updated_at": self.hub.updated_at,
            "securityhub_regions": list(self.hub.regions),
            "live_status": self.live.status,
            "live_regions": list(self.live.regions),
        }


def diff(doc: dict[str, Any], hub_findings: Iterable[dict[str, Any]]) -> list[Disagreement]:
    """Where Security Hub and the live scan disagree on FAILED vs PASSED."""
    hub, live = hub_verdicts(hub_findings), live_verdicts(doc)
    out = []
    for key in sorted(hub.keys() & live.keys()):
        h, now = hub[key], live[key]
        if h.status == "FAILED" and now.status == "PASSED":
            out.append(Disagreement(*key, STALE, h, now))
        elif h.status == "PASSED" and now.status == "FAILED":
            out.append(Disagreement(*key, MISSED, h, now))
    return out
