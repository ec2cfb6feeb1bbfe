"""Progress on stderr: library code reports through callbacks, and this turns one into a display.

Two shapes, both drawn only on an interactive terminal (CI logs and pipes stay clean; the
callback is then ``None``, which every library function accepts as "nobody is watching"):

- ``progress_bar``: work whose size is known or grows (tasks, steps, checks): ``label ━━ 3/10``.
  It yields a ``Bar``, which fits ``concurrency.ProgressFn`` ``(finished, submitted)`` and
  ``apply``'s ``(finished, total, step)``.
- ``progress_tally``: work of unknown size (files read, bytes, events): running totals, re-rendered
  as one line of text. It yields a ``Tally``; ``tally.add(files=1, bytes=n)`` is thread-safe.
  ``files_tally`` is the one for reading a trail's files: ``(files, bytes)`` callbacks.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from trailwarden.terminal import err_console, show_progress

Tail = Literal["elapsed", "remaining", "detail"]


class Bar:
    """A running bar: ``bar(finished, total, detail)``; a None total or detail keeps the last."""

    def __init__(self, live: Progress, task: TaskID) -> None:
        self._live = live
        self._task = task

    def __call__(
        self, finished: float, total: float | None = None, detail: str | None = None
    ) -> None:
        self._live.update(self._task, completed=finished, total=total, description=detail)


class Tally:
    """Running totals shown as ``render(totals, seconds since start)``; callable from any thread."""

    def __init__(
        self, live: Progress, task: TaskID, render: Callable[[Counter[str], float], str]
    ) -> None:
        self._live = live
        self._task = task
        self._render = render
        self._lock = threading.Lock()
        self._totals: Counter[str] = Counter()
        self._start = time.perf_counter()

    def add(self, **counts: int) -> None:
        with self._lock:
            self._totals.update(counts)
            text = self._render(self._totals, time.perf_counter() - self._start)
            self._live.update(self._task, description=text)


class _Counted(ProgressColumn):
    """``3/10 words``; ``0/? words`` until the size is known (a plain format of a None total
    raised in rich's refresh thread)."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self._words = words

    def render(self, task: Task) -> Text:
        total = "?" if task.total is None else f"{task.total:.0f}"
        return Text(f"{task.completed:.0f}/{total} {self._words}")


@contextmanager
def _live(*columns: ProgressColumn | str, transient: bool, when: bool) -> Iterator[Progress | None]:
    if not (when and show_progress()):
        yield None
        return
    with Progress(*columns, console=err_console, transient=transient) as live:
        yield live


@contextmanager
def progress_bar(
    label: str, *, counted: str | None = None, tail: Tail = "elapsed", when: bool = True
) -> Iterator[Bar | None]:
    """``label ━━━━ 3/10 tail`` while the block runs; ``counted`` words the count
    (``3/10 checks pass``); ``tail`` is the time elapsed, the time remaining or the ``detail``
    the callback passes (what is being done now). ``when`` False shows nothing."""
    count = MofNCompleteColumn() if counted is None else _Counted(counted)
    last: ProgressColumn = (
        TimeElapsedColumn()
        if tail == "elapsed"
        else TimeRemainingColumn()
        if tail == "remaining"
        else TextColumn("{task.description}", markup=False)
    )
    with _live(TextColumn(label), BarColumn(), count, last, transient=True, when=when) as live:
        yield None if live is None else Bar(live, live.add_task("", total=None))


@contextmanager
def progress_tally(
    label: str,
    render: Callable[[Counter[str], float], str],
    *,
    spinner: bool = True,
    transient: bool = True,
    when: bool = True,
) -> Iterator[Tally | None]:
    """``⠋ label <render(totals, seconds)> 0:00:12`` while the block runs (``label`` may be
    empty and the spinner left out; a non-transient line stays on screen afterwards)."""
    columns: list[ProgressColumn | str] = [SpinnerColumn()] if spinner else []
    if label:
        columns.append(TextColumn(label))
    columns += [TextColumn("{task.description}", markup=False), TimeElapsedColumn()]
    with _live(*columns, transient=transient, when=when) as live:
        if live is None:
            yield None
            return
        tally = Tally(live, live.add_task(""), render)
        tally.add()  # the first line at once, with zero totals
        yield tally


def _files_and_mb(totals: Counter[str], _seconds: float) -> str:
    return f"{totals['files']} files, {totals['bytes'] / 1e6:.1f} MB"


@contextmanager
def files_tally(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """``⠋ label 12 files, 3.4 MB 0:00:02`` while a trail's files are read; the callback takes
    ``(files, bytes)`` more (``integrity``'s progress)."""
    with progress_tally(label, _files_and_mb) as tally:
        if tally is None:
            yield None
            return

        def advance(files: int, size: int) -> None:
            tally.add(files=files, bytes=size)

        yield advance
