"""Ctrl-C and DuckDB: statements run off the main thread, which only waits and interrupts.

Two things go wrong when Ctrl-C meets DuckDB on the main thread. DuckDB's
Python client watches for Ctrl-C itself while a statement runs there: it swallows the
KeyboardInterrupt and raises RuntimeError("Query interrupted"), or, on a connection whose
configuration is locked (``store.sandbox``), does not stop the statement at all. And CPython
3.11's ``Thread.join`` interrupted by Ctrl-C marks the thread it waits for as stopped while it
still runs (threading.py ``_wait_for_tstate_lock`` releases the thread's lock when
``lock.locked()``, which a running thread's always is), so a second join returns at once.

So the main thread waits on an Event (an interrupted wait changes nothing), and on Ctrl-C
interrupts the statement with ``connection.interrupt()``, waits until the worker is done, and
only then raises KeyboardInterrupt.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

T = TypeVar("T")


def interrupt(con: duckdb.DuckDBPyConnection) -> None:
    """Interrupt the statement running on ``con``. DuckDB refuses ("connection is busy") when
    a call is just starting; the refusal is retried briefly and never replaces the
    interruption being handled."""
    for _ in range(20):
        try:
            con.interrupt()
            return
        except duckdb.Error:
            time.sleep(0.01)


def wait_through_ctrl_c(finished: threading.Event) -> None:
    """Wait for work being stopped, even through another Ctrl-C: stopping half-way through a
    rollback is what would damage the database."""
    while not finished.is_set():
        try:
            finished.wait()
        except KeyboardInterrupt:
            continue


def run_off_main(work: Callable[[], T], on_ctrl_c: Callable[[], None]) -> T:
    """``work()`` on its own thread; Ctrl-C calls ``on_ctrl_c`` (which stops the work), waits
    for the work to end and raises KeyboardInterrupt. The work's error is raised as its own."""
    outcome: list[T | BaseException] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(work())
        except BaseException as exc:  # handed to the waiting thread
            outcome.append(exc)
        finally:
            finished.set()

    worker = threading.Thread(target=run, name="duckdb")
    try:
        worker.start()
        finished.wait()
    except KeyboardInterrupt:
        on_ctrl_c()
        wait_through_ctrl_c(finished)
        worker.join()
        outcome.clear()  # the work's error holds its DuckDB objects: freed now, not at exit
        raise
    worker.join()
    if isinstance(outcome[0], BaseException):
        raise outcome[0]
    return outcome[0]


def interruptible(con: duckdb.DuckDBPyConnection, call: Callable[[], T]) -> T:
    """``call()`` (statements on ``con``) off the main thread; Ctrl-C interrupts them."""
    return run_off_main(call, lambda: interrupt(con))
