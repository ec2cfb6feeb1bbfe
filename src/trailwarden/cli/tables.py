"""Rows of results (events, hunts, alarm firings) as a table, JSON or CSV on stdout."""

from __future__ import annotations

import csv
import enum
import sys
from typing import Any

from rich.table import Table

from trailwarden.cli.common import emit_json
from trailwarden.terminal import console


class TableFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def render(rows: list[dict[str, Any]], fmt: TableFormat, title: str | None = None) -> None:
    """Rows as a table, a JSON list of row objects, or CSV with a header."""
    if fmt == TableFormat.json:
        emit_json(rows)
        return
    if fmt == TableFormat.csv:
        # Rows of different hunts have different columns: the header is their union, in order.
        cols = list(dict.fromkeys(c for row in rows for c in row))
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in cols])
        return
    if not rows:
        console.print(f"{title + ': ' if title else ''}no matching events", markup=False)
        return
    table = Table(title=title, show_lines=False)
    for col in rows[0]:
        table.add_column(col, overflow="fold")
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row.values()])
    console.print(table)
