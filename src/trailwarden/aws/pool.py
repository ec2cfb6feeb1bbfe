"""Bounded concurrency with an optional progress bar: many slow API calls in flight, not one."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trailwarden.terminal import err_console

T = TypeVar("T")


class TaskRunner:
    """Runs tasks on up to ``max_workers`` threads; tasks may submit follow-up tasks."""

    def __init__(self, max_workers: int, label: str, progress: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
        self._pending: set[Future[None]] = set()
        self._label = label
        self._progress = progress
        self._total = 0

    def submit(self, fn: Callable[[], None]) -> None:
        self._total += 1
        self._pending.add(self._pool.submit(fn))

    def run(self, initial: Iterable[Callable[[], None]]) -> None:
        """Run ``initial`` and everything they submit; re-raise the first unexpected exception."""
        for fn in initial:
            self.submit(fn)
        bar = Progress(
            TextColumn(self._label),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not self._progress,
        )
        done_count = 0
        try:
            with bar:
                task = bar.add_task(self._label, total=self._total)
                while self._pending:
                    done, self._pending = wait(self._pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        future.result()
                        done_count += 1
                    bar.update(task, completed=done_count, total=self._total)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
