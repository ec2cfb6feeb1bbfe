"""One way to run work concurrently: a bounded pool, results in order where asked, cancellable.

Every stage that keeps many slow calls in flight (the scan's API calls, the readers' GETs and
listings, the validator's digest prefetch, ingest's reader and writers) builds on these few
pieces, so bounds, ordering and Ctrl-C behave the same everywhere. Pure: no AWS, no terminal;
progress leaves through callbacks.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
K = TypeVar("K", bound=Hashable)

# How often a blocked hand-off looks at its stop event: short enough for Ctrl-C to feel instant.
POLL_SECONDS = 0.1
# How long a task group that stops early waits for the tasks still running.
STOP_WAIT_SECONDS = 5.0

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
    exception (a bug: tasks record expected errors themselves) is re-raised there and drops what
    has not started; so does Ctrl-C. ``on_progress(finished, submitted)`` is called from ``run``'s
    thread as tasks finish and at least every 0.2 s while it waits (a caller's watchdog may use
    it).

    A task may carry a ``key`` (the scan's: an account). ``abandon(key)`` gives up on the key's
    work: its queued tasks are dropped, later submissions with the key are ignored, and ``run`` no
    longer waits for its running tasks. A thread cannot be stopped, so a running abandoned task
    finishes (or times out) in the background while a new worker takes its place; the workers are
    daemon threads, so one still blocked in a call never holds up the end of the process.
    """

    def __init__(self, max_workers: int, on_progress: ProgressFn | None = None) -> None:
        self._max_workers = max(1, max_workers)
        self._cond = threading.Condition()
        self._queue: deque[tuple[Callable[[], None], Hashable]] = deque()
        self._running: dict[int, Hashable] = {}  # worker thread id -> key of its task
        self._detached: set[int] = set()  # threads whose abandoned task run no longer waits for
        self._abandoned: set[Hashable] = set()
        self._workers = 0  # live workers, detached ones excluded
        self._closed = False
        self._outstanding = 0
        self._submitted = 0
        self._finished = 0
        self._failure: BaseException | None = None
        self._on_progress = on_progress

    def submit(self, fn: Callable[[], None], key: Hashable = None) -> None:
        with self._cond:
            if self._closed or (key is not None and key in self._abandoned):
                return
            self._outstanding += 1
            self._submitted += 1
            self._queue.append((fn, key))
            if self._workers < min(self._max_workers, self._outstanding):
                self._start_worker()
            self._cond.notify()

    def _start_worker(self) -> None:
        self._workers += 1
        threading.Thread(target=self._work, name="taskgroup", daemon=True).start()

    def abandon(self, key: Hashable) -> int:
        """Give up on ``key``'s tasks; returns how many were running (now left to themselves)."""
        with self._cond:
            self._abandoned.add(key)
            kept = deque(item for item in self._queue if item[1] != key)
            dropped = len(self._queue) - len(kept)
            self._queue = kept
            running = [t for t, k in self._running.items() if k == key and t not in self._detached]
            for thread in running:
                self._detached.add(thread)
                self._workers -= 1
                if self._queue:
                    self._start_worker()
            self._outstanding -= dropped + len(running)
            self._finished += dropped + len(running)
            self._cond.notify_all()
            return len(running)

    def _work(self) -> None:
        me = threading.get_ident()
        while True:
            with self._cond:
                while not self._queue and not self._closed:
                    self._cond.wait()
                if self._closed or self._workers > self._max_workers:
                    self._workers -= 1
                    return
                fn, key = self._queue.popleft()
                self._running[me] = key
            failure: BaseException | None = None
            try:
                fn()
            except BaseException as exc:
                failure = exc
            with self._cond:
                del self._running[me]
                if me in self._detached:  # abandoned: counted as finished already, and replaced
                    self._detached.discard(me)
                    return
                if failure is not None:
                    self._failure = self._failure or failure
                self._outstanding -= 1
                self._finished += 1
                self._cond.notify_all()

    def run(self, initial: Iterable[Callable[[], None]]) -> None:
        for fn in initial:
            self.submit(fn)
        try:
            while True:
                with self._cond:
                    if not self._outstanding or self._failure is not None:
                        break
                    self._cond.wait(timeout=0.2)
                    finished, submitted = self._finished, self._submitted
                if self._on_progress is not None:
                    self._on_progress(finished, submitted)
        finally:
            with self._cond:  # what has not started never will; idle workers leave
                self._closed = True
                self._queue.clear()
                self._cond.notify_all()
                # Ended early (a bug, Ctrl-C): the calls in flight end first, as a pool's
                # shutdown would make them, but a call that hangs does not hold the exit.
                deadline = time.monotonic() + STOP_WAIT_SECONDS
                while len(self._running) > len(self._detached) and time.monotonic() < deadline:
                    self._cond.wait(timeout=POLL_SECONDS)
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
