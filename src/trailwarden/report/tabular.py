"""Flat renderings: CSV (a spreadsheet), JSON lines (one finding per line, for pipes and log
shippers) and JUnit XML (one test case per finding, for CI dashboards)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from trailwarden.report.common import TOOL, PerControl, control_title, effective_status

CSV_COLUMNS = (
    "control", "status", "severity", "account", "region", "resource_type", "resource",
    "reason", "root_cause", "remediation", "compliance", "suppressed", "suppression_reason",
    "suppression_owner", "suppression_expires",
)  # fmt: skip


def _row(f: dict[str, Any], requirements: str) -> list[str]:
    s = f.get("suppressed") or {}
    return [
        *(str(f.get(k, "")) for k in CSV_COLUMNS[:10]),
        requirements,
        "yes" if s else "",
        s.get("reason", ""),
        s.get("owner", ""),
        s.get("expires", ""),
    ]


def render_csv(doc: dict[str, Any]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    per = PerControl()
    writer.writerows(_row(f, "; ".join(per.requirements(f))) for f in doc["findings"])
    return buf.getvalue()


def render_jsonl(doc: dict[str, Any]) -> str:
    """One finding per line, each exactly as the findings document writes it."""
    return "".join(json.dumps(f, separators=(",", ":")) + "\n" for f in doc["findings"])


def _testcase(f: dict[str, Any]) -> str:
    name = quoteattr(f"{f['account']} {f['region']} {f['resource']}")
    classname = quoteattr(f"{f['control']} {control_title(f['control'])}")
    status = effective_status(f)
    message = quoteattr(f["reason"])
    body = escape(f"{f['reason']}\nRemediation: {f.get('remediation', '')}")
    if status == "FAILED":
        inner = f"<failure message={message} type={quoteattr(f['severity'])}>{body}</failure>"
    elif status == "SUPPRESSED":
        s = f["suppressed"]
        why = quoteattr(f"suppressed: {s['reason']} (owner {s['owner']}, until {s['expires']})")
        inner = f"<skipped message={why}/>"
    elif status == "PASSED":
        inner = ""
    else:  # undecided (NOT_AVAILABLE, WARNING, anything newer): neither passed nor failed
        inner = f"<skipped message={quoteattr(status + ': ' + f['reason'])}/>"
    return f'    <testcase name={name} classname={classname} time="0">{inner}</testcase>\n'


def render_junit(doc: dict[str, Any]) -> str:
    by_control: dict[str, list[dict[str, Any]]] = {}
    for f in doc["findings"]:
        by_control.setdefault(f["control"], []).append(f)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    total = Counter(effective_status(f) for f in doc["findings"])
    skipped_total = len(doc["findings"]) - total["FAILED"] - total["PASSED"]
    parts.append(
        f'<testsuites name="{TOOL}" tests="{len(doc["findings"])}" '
        f'failures="{total["FAILED"]}" errors="0" skipped="{skipped_total}">\n'
    )
    for control, findings in by_control.items():
        counts = Counter(effective_status(f) for f in findings)
        skipped = len(findings) - counts["FAILED"] - counts["PASSED"]
        parts.append(
            f'  <testsuite name={quoteattr(control)} tests="{len(findings)}" '
            f'failures="{counts["FAILED"]}" errors="0" skipped="{skipped}">\n'
        )
        parts.extend(_testcase(f) for f in findings)
        parts.append("  </testsuite>\n")
    parts.append("</testsuites>\n")
    return "".join(parts)
