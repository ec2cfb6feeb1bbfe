"""Flat renderings: CSV (a spreadsheet), JSON lines (one finding per line, for pipes and log
shippers) and JUnit XML (one test case per finding, for CI dashboards)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from trailwarden.report.common import (
    BATCH,
    TOOL,
    PerControl,
    batched,
    control_title,
    effective_status,
)

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


def stream_csv(doc: dict[str, Any]) -> Iterator[str]:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    per = PerControl()
    findings = doc["findings"]
    for start in range(0, len(findings), BATCH):
        for f in findings[start : start + BATCH]:
            writer.writerow(_row(f, per.joined(f, "; ")))
        yield buf.getvalue()
        buf.seek(0)
        buf.truncate()
    if buf.tell():  # no findings: the heading alone
        yield buf.getvalue()


def render_csv(doc: dict[str, Any]) -> str:
    return "".join(stream_csv(doc))


_JSONL = json.JSONEncoder(separators=(",", ":")).encode  # json.dumps(f, separators=...) as one


def stream_jsonl(doc: dict[str, Any]) -> Iterator[str]:
    """One finding per line, each exactly as the findings document writes it."""
    return batched(_JSONL(f) + "\n" for f in doc["findings"])


def render_jsonl(doc: dict[str, Any]) -> str:
    return "".join(stream_jsonl(doc))


def _testcase(f: dict[str, Any], classname: str) -> str:
    name = quoteattr(f"{f['account']} {f['region']} {f['resource']}")
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


def stream_junit(doc: dict[str, Any]) -> Iterator[str]:
    by_control: dict[str, list[dict[str, Any]]] = {}
    counts: dict[str, Counter[str]] = {}
    for f in doc["findings"]:
        by_control.setdefault(f["control"], []).append(f)
        counts.setdefault(f["control"], Counter())[effective_status(f)] += 1
    total: Counter[str] = sum(counts.values(), Counter())
    skipped_total = len(doc["findings"]) - total["FAILED"] - total["PASSED"]
    yield (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<testsuites name="{TOOL}" tests="{len(doc["findings"])}" '
        f'failures="{total["FAILED"]}" errors="0" skipped="{skipped_total}">\n'
    )
    for control, findings in by_control.items():
        tally = counts[control]
        skipped = len(findings) - tally["FAILED"] - tally["PASSED"]
        yield (
            f'  <testsuite name={quoteattr(control)} tests="{len(findings)}" '
            f'failures="{tally["FAILED"]}" errors="0" skipped="{skipped}">\n'
        )
        classname = quoteattr(f"{control} {control_title(control)}")
        yield from batched(_testcase(f, classname) for f in findings)
        yield "  </testsuite>\n"
    yield "</testsuites>\n"


def render_junit(doc: dict[str, Any]) -> str:
    return "".join(stream_junit(doc))
