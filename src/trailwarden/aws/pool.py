"""Bounded concurrency with an optional progress bar: many slow API calls in flight, not one."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from trailwarden.terminal import err_console


class TaskRunner:
    """Runs tasks on up to ``max_workers`` threads; running tasks may submit follow-up tasks.

    ``run`` returns when every task, including follow-ups, has finished. The first unexpected
    exception (a bug: AWS errors are recorded by the tasks themselves) is re-raised there.
    """

    def __init__(self, max_workers: int, label: str, progress: bool) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
        self._cond = threading.Condition()
        self._outstanding = 0
        self._submitted = 0
        self._finished = 0
        self._failure: BaseException | None = None
        self._label = label
        self._progress = progress

    def submit(self, fn: Callable[[], None]) -> None:
        with self._cond:
            self._outstanding += 1
            self._submitted += 1
        self._pool.submit(self._wrap, fn)

    def _wrap(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except BaseException as exc:
            with self._cond:
                self._failure = self._failure or exc
        finally:
            with self._cond:
                self._outstanding -= 1
                self._finished += 1
                self._cond.notify_all()

    def run(self, initial: Iterable[Callable[[], None]]) -> None:
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
        try:
            with bar:
                task = bar.add_task(self._label, total=None)
                with self._cond:
                    while self._outstanding and self._failure is None:
                        self._cond.wait(timeout=0.2)
                        bar.update(task, completed=self._finished, total=self._submitted)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=self._failure is not None)
        if self._failure is not None:
            raise self._failure
