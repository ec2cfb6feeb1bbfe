"""The one concurrency module: bounds, order, cancellation and progress callbacks."""

from __future__ import annotations

import queue
import threading
import time

import pytest

from trailwarden.concurrency import Pool, Prefetch, TaskGroup, get, ordered, put


def test_ordered_keeps_order_and_bounds_the_window() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def work(n: int) -> int:
        with lock:
            started.append(n)
        time.sleep(0.01 * (5 - n % 5))  # later items finish first
        return n * n

    with Pool(4) as pool:
        seen = []
        for item, future in ordered(pool, work, range(20), window=3):
            # never more than `window` submitted beyond what the consumer has taken
            assert len(started) <= item + 3
            seen.append((item, future.result()))
    assert seen == [(n, n * n) for n in range(20)]


def test_ordered_cancels_what_waits_when_the_consumer_stops() -> None:
    gate = threading.Event()
    ran: list[int] = []

    def work(n: int) -> int:
        gate.wait(1)
        ran.append(n)
        return n

    with Pool(1) as pool:
        gen = ordered(pool, work, range(10), window=5)
        _, first = next(gen)
        gen.close()
        gate.set()
        assert first.result() == 0
    # the generator submitted 5 at most and cancelled the 4 that had not started
    assert ran == [0]


def test_inline_pool_runs_on_the_callers_thread_and_delivers_errors() -> None:
    with Pool(0) as pool:
        assert pool.submit(threading.get_ident).result() == threading.get_ident()
        failed = pool.submit(lambda: 1 / 0)
        with pytest.raises(ZeroDivisionError):
            failed.result()


def test_prefetch_fetches_ahead_once_and_falls_back_to_direct_reads() -> None:
    loads: list[str] = []
    lock = threading.Lock()

    def load(key: str) -> str:
        with lock:
            loads.append(key)
        return key.upper()

    with Pool(2) as pool:
        pre: Prefetch[str, str] = Prefetch(pool, load, window=2)
        pre.plan(["a", "b", "c"])
        assert [pre.fetch(k) for k in ["a", "b", "c"]] == ["A", "B", "C"]
        assert pre.fetch("z") == "Z"  # never planned: read directly
        pre.drop()
    assert sorted(loads) == ["a", "b", "c", "z"]  # nothing read twice


def test_task_group_runs_follow_ups_reports_progress_and_reraises() -> None:
    done: list[int] = []
    calls: list[tuple[int, int]] = []
    group = TaskGroup(3, on_progress=lambda f, s: calls.append((f, s)))

    def task(n: int) -> None:
        time.sleep(0.05)
        done.append(n)
        if n < 3:
            group.submit(lambda: task(n + 10))

    group.run([lambda n=n: task(n) for n in range(5)])  # type: ignore[misc]
    assert sorted(done) == [0, 1, 2, 3, 4, 10, 11, 12]
    assert calls and all(f <= s for f, s in calls)

    failing = TaskGroup(2)
    with pytest.raises(RuntimeError, match="boom"):
        failing.run([lambda: (_ for _ in ()).throw(RuntimeError("boom"))])


def test_put_and_get_give_up_once_stopped() -> None:
    q: queue.Queue[int] = queue.Queue(maxsize=1)
    stop = threading.Event()
    assert put(q, 1, stop)
    stop.set()
    assert not put(q, 2, stop)  # full and stopped: returns instead of blocking
    assert get(q, stop) == 1
    assert get(q, stop) is None  # empty and stopped
