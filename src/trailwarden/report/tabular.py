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


_FINDING_COLUMNS = CSV_COLUMNS[:10]


def _row(f: dict[str, Any], requirements: str) -> list[str]:
    s = f.get("suppressed") or {}
    return [
        *[str(f.get(k, "")) for k in _FINDING_COLUMNS],
        requirements,
        "yes" if s else "",
        s.get("reason", ""),
        s.get("owner", ""),
        s.get("expires", ""),
    ]


class _CsvFields:
    """Each value as ``csv`` writes it within a row, asked of ``csv`` once per distinct value:
    its writer goes through every character of every field, and a row of a quarter million
    repeats its control's long remediation, its account's resources and reasons. A row is
    its fields so written, joined by commas (csv quotes each field on its own)."""

    LIMIT = 100_000  # distinct values kept; forgotten all at once beyond it

    def __init__(self) -> None:
        self._buf = io.StringIO()
        self._writer = csv.writer(self._buf, lineterminator="\n")
        self.known: dict[str, str] = {}

    def field(self, value: Any) -> str:
        known = self.known.get(value) if isinstance(value, str) else None
        if known is None:
            self._buf.seek(0)
            self._buf.truncate()
            self._writer.writerow((value, ""))  # two fields: a lone empty one is written ""
            known = self._buf.getvalue()[:-2]
            if isinstance(value, str):
                if len(self.known) >= self.LIMIT:
                    self.known.clear()
                self.known[value] = known
        return known


def stream_csv(doc: dict[str, Any]) -> Iterator[str]:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(CSV_COLUMNS)
    per = PerControl()
    fields = _CsvFields()
    known, field = fields.known, fields.field
    yield buf.getvalue()
    yield from batched(
        ",".join(
            [
                known[v] if type(v) is str and v in known else field(v)
                for v in _row(f, per.joined(f, "; "))
            ]
        )
        + "\n"
        for f in doc["findings"]
    )


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
