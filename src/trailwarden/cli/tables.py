"""Rows of results (events, hunts, alarm firings) as a table, JSON, JSON lines or CSV.

A table is drawn with borders on a terminal only; piped or redirected it is tab-separated rows
with a header and full values, one row a line, for grep, cut and awk.
"""

from __future__ import annotations

import csv
import enum
import sys
from pathlib import Path
from typing import Any, TextIO

from rich.table import Table

from trailwarden import outfile
from trailwarden.cli.common import emit_json, emit_jsonl
from trailwarden.terminal import console, piped, plain


class TableFormat(enum.StrEnum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    csv = "csv"


def render(
    rows: list[dict[str, Any]],
    fmt: TableFormat,
    title: str | None = None,
    out: Path | None = None,
    empty: str = "no matching events",
) -> None:
    """Rows as a table, a JSON list of row objects, one object per line, or CSV with a header;
    ``out``: written there instead of stdout (a table goes to stdout, its rows to ``out`` as
    JSON); ``empty``: what a table without rows says."""
    if fmt == TableFormat.json or (fmt == TableFormat.table and out is not None):
        emit_json(rows, out)
        if fmt == TableFormat.json:
            return
    if fmt == TableFormat.jsonl:
        emit_jsonl(rows, out)
        return
    if fmt == TableFormat.csv:
        if out is None:
            _csv(rows, sys.stdout)
        else:
            with outfile.atomic(out, newline="") as stream:
                _csv(rows, stream)
        return
    if not rows:
        console.print(f"{title + ': ' if title else ''}{empty}", markup=False)
        return
    if piped():
        _tsv(rows, title)
        return
    table = Table(title=plain(title) if title else None, show_lines=False)
    for col in rows[0]:
        table.add_column(plain(col), overflow="fold")
    for row in rows:
        table.add_row(*map(plain, row.values()))
    console.print(table)


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    # Rows of different hunts have different columns: the header is their union, in order.
    return list(dict.fromkeys(c for row in rows for c in row))


def _csv(rows: list[dict[str, Any]], stream: TextIO) -> None:
    cols = _columns(rows)
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(cols)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row[c] for c in cols])


def _cell(value: Any) -> str:
    # A tab or newline inside a value would start a new cell or row: a space keeps the shape.
    text = "" if value is None else str(value)
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _tsv(rows: list[dict[str, Any]], title: str | None) -> None:
    cols = _columns(rows)
    lines = [f"# {title}"] if title else []
    lines.append("\t".join(cols))
    lines += ["\t".join(_cell(row.get(c)) for c in cols) for row in rows]
    sys.stdout.write("\n".join(lines) + "\n")
    sys.stdout.flush()
