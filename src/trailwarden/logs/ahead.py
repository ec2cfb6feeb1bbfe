"""Run a function over a stream of items on a thread pool, a bounded window ahead, in order.

What the readers use to keep many slow calls in flight (GETs and listings of a bucket, reads and
decompression of local files) without changing what the consumer sees: the results come back
in the items' order, and at most ``window`` of them exist before the consumer takes them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def ordered(
    pool: ThreadPoolExecutor, fn: Callable[[T], R], items: Iterable[T], window: int
) -> Iterator[tuple[T, Future[R]]]:
    """(item, its future) in the items' order; ``future.result()`` re-raises fn's exception.

    Items are pulled and submitted until ``window`` futures wait to be taken; a consumer that
    stops early has the waiting ones cancelled.
    """
    waiting: deque[tuple[T, Future[R]]] = deque()
    try:
        for item in items:
            waiting.append((item, pool.submit(fn, item)))
            if len(waiting) >= max(1, window):
                yield waiting.popleft()
        while waiting:
            yield waiting.popleft()
    finally:
        for _, pending in waiting:
            pending.cancel()
