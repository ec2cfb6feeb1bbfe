"""The CLI's progress displays: nothing off a terminal; on one, what the callbacks report."""

from __future__ import annotations

import io
import time
from collections import Counter

import pytest
from rich.console import Console

from trailwarden.cli import progress
from trailwarden.concurrency import TaskGroup


@pytest.fixture
def screen(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Pretend stderr is a terminal; return what is drawn on it."""
    out = io.StringIO()
    monkeypatch.setattr(progress, "show_progress", lambda: True)
    monkeypatch.setattr(progress, "err_console", Console(file=out, force_terminal=True, width=100))
    return out


def test_off_a_terminal_the_callbacks_are_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(progress, "show_progress", lambda: False)
    with progress.progress_bar("scanning") as bar:
        assert bar is None
    with progress.progress_tally("validating", lambda t, s: "") as tally:
        assert tally is None


def test_a_bar_can_be_turned_off_on_a_terminal(screen: io.StringIO) -> None:
    with progress.progress_bar("verifying", when=False) as bar:
        assert bar is None
    assert screen.getvalue() == ""


def test_a_task_group_drives_the_bar(screen: io.StringIO) -> None:
    with progress.progress_bar("scanning") as bar:
        group = TaskGroup(2, on_progress=bar)

        def parent() -> None:
            for _ in range(3):
                group.submit(lambda: time.sleep(0.05))  # slow enough for the group to wait

        group.run([parent])
    drawn = screen.getvalue()
    assert "scanning" in drawn
    assert "4/4" in drawn


def test_the_detail_tail_shows_the_step_now_running(screen: io.StringIO) -> None:
    with progress.progress_bar("applying", tail="detail") as bar:
        assert bar is not None
        bar(1, 2, "CreateTrail trailwarden")
    drawn = screen.getvalue()
    assert "applying" in drawn
    assert "1/2" in drawn
    assert "CreateTrail trailwarden" in drawn


def test_a_counted_bar_draws_before_its_size_is_known(screen: io.StringIO) -> None:
    with progress.progress_bar("verifying", counted="checks pass", tail="remaining") as bar:
        assert bar is not None
    assert "0/? checks pass" in screen.getvalue()
    with progress.progress_bar("verifying", counted="checks pass", tail="remaining") as bar:
        assert bar is not None
        bar(2, 5)
    assert "2/5 checks pass" in screen.getvalue()


def test_a_tally_renders_its_running_totals(screen: io.StringIO) -> None:
    def render(totals: Counter[str], _seconds: float) -> str:
        return f"{totals['files']} files, {totals['bytes'] / 1e6:.1f} MB"

    with progress.progress_tally("validating", render) as tally:
        assert tally is not None
        tally.add(files=1, bytes=1_500_000)
        tally.add(files=2, bytes=1_000_000)
    drawn = screen.getvalue()
    assert "validating" in drawn
    assert "3 files, 2.5 MB" in drawn
