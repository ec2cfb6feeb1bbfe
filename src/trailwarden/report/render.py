"""Every way a findings document can be written, and the one place that writes it.

``scan --output X`` and ``report FILE.json --output X`` both come here, so a saved scan renders
exactly as a live one. ``text`` is drawn by the terminal report and is not a renderer here.
"""

from __future__ import annotations

import enum
import functools
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.report.asff import stream_asff
from trailwarden.report.common import iter_dumps
from trailwarden.report.compliance import apply_compliance
from trailwarden.report.html import stream_html
from trailwarden.report.ocsf import stream_ocsf
from trailwarden.report.sarif import stream_sarif
from trailwarden.report.suppressions import apply_suppressions, load_suppressions
from trailwarden.report.tabular import stream_csv, stream_jsonl, stream_junit


class ReportFormat(enum.StrEnum):
    text = "text"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"
    sarif = "sarif"
    asff = "asff"
    ocsf = "ocsf"
    junit = "junit"
    html = "html"


def stream_json(doc: dict[str, Any]) -> Iterator[str]:
    yield from iter_dumps(doc, depth=2)  # one finding per line
    yield "\n"


def render_json(doc: dict[str, Any]) -> str:
    return "".join(stream_json(doc))


# Each format in pieces, written as they are made: at a thousand accounts a report is hundreds
# of MB, which held whole (and copied once more to be encoded) would be most of a scan's memory.
STREAMS: dict[ReportFormat, Callable[[dict[str, Any]], Iterator[str]]] = {
    ReportFormat.json: stream_json,
    ReportFormat.jsonl: stream_jsonl,
    ReportFormat.csv: stream_csv,
    ReportFormat.sarif: stream_sarif,
    ReportFormat.asff: stream_asff,
    ReportFormat.ocsf: stream_ocsf,
    ReportFormat.junit: stream_junit,
    ReportFormat.html: stream_html,
}


def _stream(doc: dict[str, Any], fmt: ReportFormat) -> Iterator[str]:
    if fmt not in STREAMS:
        raise UsageError(f"--output {fmt} is drawn on the terminal, not rendered to a file")
    return STREAMS[fmt](doc)


def render(doc: dict[str, Any], fmt: ReportFormat) -> str:
    """The whole report as one text (``write_report`` writes it without holding it)."""
    return "".join(_stream(doc, fmt))


RENDERERS: dict[ReportFormat, Callable[[dict[str, Any]], str]] = {
    fmt: functools.partial(render, fmt=fmt) for fmt in STREAMS
}


def write_report(doc: dict[str, Any], fmt: ReportFormat, out: Path | None) -> None:
    """The report in ``fmt`` written to stdout, or to ``out`` as ``write_output`` writes, piece
    by piece as it is made (the same bytes as ``render``)."""
    pieces = _stream(doc, fmt)
    if out is None:
        for piece in pieces:
            sys.stdout.write(piece)
        sys.stdout.flush()
        return
    with outfile.atomic(out) as handle:
        for piece in pieces:
            handle.write(piece)


def shape(
    doc: dict[str, Any],
    compliance: str | None = None,
    suppressions: Path | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The document as the options ask: suppressions marked first (so the framework view
    counts them), then narrowed to a framework."""
    if suppressions is not None:
        entries = load_suppressions(suppressions)
        doc = apply_suppressions(doc, entries, today or date.today())
    if compliance is not None:
        doc = apply_compliance(doc, compliance)
    return doc


def write_output(text: str, out: Path | None) -> None:
    """Write to stdout, or to ``out`` through ``outfile`` (a failure half-way never leaves a
    truncated report where a good one was expected)."""
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    outfile.write_text(out, text)
