"""Class 3: values from data or AWS print as they are (``terminal.styled`` / ``plain``).

On a terminal rich reads ``[...]`` as markup and ``:x:`` as an emoji code: ``[/]`` raised a
MarkupError, ``[bold]`` vanished, ``root:x:0`` became an emoji. The consoles read neither by
default; trailwarden's own styling goes through ``styled``, which escapes the values.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from tests.scan.build import make_snapshot, make_trail

from trailwarden import terminal
from trailwarden.cli import tables
from trailwarden.snapshot import save_snapshot

VALUES = ["[/]", "[bold]kept[/bold]", "root:x:0:0:root", "a [red]b", "\\[x]"]


def _captured(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    buffer = io.StringIO()
    for name in ("console", "err_console"):
        fake = Console(file=buffer, width=300, markup=False, emoji=False, highlight=False)
        monkeypatch.setattr(terminal, name, fake)
        monkeypatch.setattr(tables, name, fake, raising=False)
    return buffer


def test_styled_escapes_every_value() -> None:
    for value in VALUES:
        text = terminal.styled("[bold]{}[/bold] and {}", value, value)
        assert text.plain == f"{value} and {value}"
        assert terminal.plain(value).plain == value


def test_the_consoles_read_no_markup_or_emoji() -> None:
    for console in (terminal.console, terminal.err_console):
        buffer = io.StringIO()
        console.file = buffer
        try:
            for value in VALUES:
                console.print(value)
        finally:
            console.file = None  # type: ignore[assignment]  # back to sys.stdout/stderr
        assert buffer.getvalue().splitlines() == VALUES


def test_tables_on_a_terminal_show_values_as_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table every logs command draws (hunt, who, timeline, sigma, query)."""
    buffer = _captured(monkeypatch)
    monkeypatch.setattr(tables, "piped", lambda: False)
    rows = [{"[/]col": value, "other": "x"} for value in VALUES]
    tables.render(rows, tables.TableFormat.table, title="title [/] here")
    shown = buffer.getvalue()
    assert "[/]col" in shown and "title [/] here" in shown
    for value in VALUES:
        assert value in shown, value


def test_scan_text_shows_account_names_and_resources_as_they_are(
    tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = make_trail(multi=False, name="t[/]rail:x:")
    snap = make_snapshot([trail])
    account = snap.accounts[0].model_copy(update={"name": "[bold]acme[/bold] [/]"})
    snap = snap.model_copy(update={"accounts": [account, *snap.accounts[1:]]})
    path = tmp_path / "snap.json"
    save_snapshot(snap, path)
    res = cli(["scan", "--from-snapshot", str(path)])
    assert res.code == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert "[bold]acme[/bold] [/]" in res.stdout
