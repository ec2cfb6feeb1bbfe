"""Every way a findings document can be written, and the one place that writes it.

``scan --output X`` and ``report FILE.json --output X`` both come here, so a saved scan renders
exactly as a live one. ``text`` is drawn by the terminal report and is not a renderer here.
"""

from __future__ import annotations

import enum
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.report.asff import render_asff
from trailwarden.report.common import dumps
from trailwarden.report.compliance import apply_compliance
from trailwarden.report.html import render_html
from trailwarden.report.ocsf import render_ocsf
from trailwarden.report.sarif import render_sarif
from trailwarden.report.suppressions import apply_suppressions, load_suppressions
from trailwarden.report.tabular import render_csv, render_jsonl, render_junit


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


def render_json(doc: dict[str, Any]) -> str:
    return dumps(doc, depth=2) + "\n"  # one finding per line


RENDERERS: dict[ReportFormat, Callable[[dict[str, Any]], str]] = {
    ReportFormat.json: render_json,
    ReportFormat.jsonl: render_jsonl,
    ReportFormat.csv: render_csv,
    ReportFormat.sarif: render_sarif,
    ReportFormat.asff: render_asff,
    ReportFormat.ocsf: render_ocsf,
    ReportFormat.junit: render_junit,
    ReportFormat.html: render_html,
}


def render(doc: dict[str, Any], fmt: ReportFormat) -> str:
    if fmt not in RENDERERS:
        raise UsageError(f"--output {fmt} is drawn on the terminal, not rendered to a file")
    return RENDERERS[fmt](doc)


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
