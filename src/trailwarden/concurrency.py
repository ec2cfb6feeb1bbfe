"""One way to run work concurrently: a bounded pool, results in order where asked, cancellable.

Every stage that keeps many slow calls in flight (the scan's API calls, the readers' GETs and
listings, the validator's digest prefetch, ingest's reader and writers) builds on these few
pieces, so bounds, ordering and Ctrl-C behave the same everywhere. Pure: no AWS, no terminal;
progress leaves through callbacks.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

# How often a blocked hand-off looks at its stop event: short enough for Ctrl-C to feel instant.
POLL_SECONDS = 0.1

ProgressFn = Callable[[int, int], None]
"""``(finished, submitted)``: called as work completes; ``submitted`` may still grow."""


class Pool(ThreadPoolExecutor):
    """A bounded thread pool; ``max_workers=0`` runs each task at once on the caller's thread.

    As a context manager it cancels queued work when the block raises (an access error or
    Ctrl-C ends the run now, not after every queued call), and waits for it otherwise.
    """

    def __init__(self, max_workers: int, name: str = "") -> None:
        self.inline = max_workers <= 0
        super().__init__(max_workers=max(1, max_workers), thread_name_prefix=name)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if not self.inline:
            return super().submit(fn, *args, **kwargs)
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered by result(), as a pool would
            future.set_exception(exc)
        return future

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool | None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
        return None


def ordered(
    pool: ThreadPoolExecutor,
    fn: Callable[[T], R],
    items: Iterable[T],
    window: int,
) -> Iterator[tuple[T, Future[R]]]:
    """(item, its future) in the items' order; ``future.result()`` re-raises fn's exception.

    Items are pulled and submitted until ``window`` futures wait to be taken, so at most that
    many results exist before the consumer takes them; a consumer that stops early has the
    waiting ones cancelled.
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


class Prefetch(Generic[K, R]):
    """Fetch keys a bounded window ahead of a consumer that will ask for them in a known order.

    ``plan`` queues the keys in the order they will be wanted; ``fetch`` returns a key's value,
    from the window when it was fetched ahead, directly otherwise. ``window=0`` fetches nothing
    ahead (cheap local reads, where a hand-off costs more than the read).
    """

    def __init__(self, pool: ThreadPoolExecutor, load: Callable[[K], R], window: int) -> None:
        self._pool = pool
        self._load = load
        self._window = window
        self._queue: deque[K] = deque()
        self._futures: dict[K, Future[R]] = {}
        self._lock = threading.Lock()

    def plan(self, keys: Iterable[K]) -> None:
        with self._lock:
            self._queue.extend(keys)

    def _fill(self) -> None:
        while self._queue and len(self._futures) < self._window:
            key = self._queue.popleft()
            if key not in self._futures:
                self._futures[key] = self._pool.submit(self._load, key)

    def fetch(self, key: K) -> R:
        with self._lock:
            self._fill()  # first, so the key asked for now is submitted rather than fetched twice
            future = self._futures.pop(key, None)
            self._fill()
        if future is None:
            return self._load(key)
        return future.result()

    def drop(self) -> None:
        with self._lock:
            for future in self._futures.values():
                future.cancel()
            self._futures.clear()
            self._queue.clear()


class TaskGroup:
    """Runs tasks on up to ``max_workers`` threads; running tasks may submit follow-up tasks.

    ``run`` returns when every task, including follow-ups, has finished. The first unexpected
    exception (a bug: tasks record expected errors themselves) is re-raised there and cancels
    what has not started. ``on_progress(finished, submitted)`` is called as tasks finish.
    """

    def __init__(self, max_workers: int, on_progress: ProgressFn | None = None) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max(1, max_workers))
        self._cond = threading.Condition()
        self._outstanding = 0
        self._submitted = 0
        self._finished = 0
        self._failure: BaseException | None = None
        self._on_progress = on_progress

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
        try:
            with self._cond:
                while self._outstanding and self._failure is None:
                    self._cond.wait(timeout=0.2)
                    if self._on_progress is not None:
                        self._on_progress(self._finished, self._submitted)
        finally:
            self._pool.shutdown(wait=True, cancel_futures=self._failure is not None)
        if self._failure is not None:
            raise self._failure


def put(out: queue.Queue[T], item: T, stop: threading.Event | None) -> bool:
    """Put ``item`` on ``out``, giving up (False) once ``stop`` is set: never blocks forever."""
    while True:
        try:
            out.put(item, timeout=POLL_SECONDS)
            return True
        except queue.Full:
            if stop is not None and stop.is_set():
                return False


def get(source: queue.Queue[T], stop: threading.Event | None) -> T | None:
    """The next item, or None once ``stop`` is set while waiting."""
    while True:
        try:
            return source.get(timeout=POLL_SECONDS)
        except queue.Empty:
            if stop is not None and stop.is_set():
                return None
