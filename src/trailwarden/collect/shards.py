"""A scan split across worker processes (``scan --processes N``): the same reads on more cores.

The scanner's own CPU (botocore building, signing and parsing requests) runs under one GIL, so an
organisation of thousands of accounts can keep one core busy while its calls wait. Here the parent
process reads the organisation and decides the accounts, as a single-process scan does; each
worker process (``collector.read_shard``) scans a share of them with its own collector and sends
each account back the moment it is finished: the same records a progress file holds. So the
parent writes the progress file (``--resume`` works the same) and holds the snapshot.

Each worker is a Python of its own (its imports, its botocore clients: about 80-150 MB), so the
processes trade memory for cores; the figures that decide the default are in docs/scan.md.

One stage needs every account: the look for central buckets (a bucket other accounts' trails
deliver to is read in the account that owns it). Each worker, once its accounts' trails are listed,
sends the buckets they deliver to and waits; when every worker has sent its list, the parent sends
each the whole. The merged snapshot is the one a single process builds, byte for byte.

``--max-workers`` keeps its meaning, the API calls in flight: the workers share it.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from trailwarden.aws.breaker import OpenedCircuit
from trailwarden.aws.session import AccessOptions
from trailwarden.collect.progress import Finished
from trailwarden.concurrency import ProgressFn
from trailwarden.errors import TrailwardenError
from trailwarden.snapshot.model import AccountScan, ApiError, Bucket, RegionScan

Delivery = tuple[str, str]  # (the account a trail belongs to, the bucket it delivers to)
Calls = Counter[tuple[str, str, str]]  # calls made, by (account, service, operation)

# When a second process pays (docs/scan.md#processes): one process's CPU (about 1.3 ms a call)
# keeps some 40-60 calls in flight at 50 ms each, so fewer calls in flight than this per process
# leave it waiting on AWS, not on its core; and below this many accounts per process, starting one
# (a fresh interpreter, its imports and clients: about a second) costs more than it saves.
CALLS_PER_PROCESS = 64
ACCOUNTS_PER_PROCESS = 100
PROGRESS_EVERY = 0.2  # seconds between a worker's progress messages
POLL = 0.2  # seconds the parent waits for a message before looking at its workers


class ScanWorkerError(TrailwardenError):
    """A worker process of ``--processes`` ended without finishing its accounts."""


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def processes_for(requested: int | None, accounts: int, in_flight: int) -> int:
    """How many processes read ``accounts`` accounts with ``in_flight`` calls at once: as asked
    (never more than one per account), or with None what the machine has where it pays: one per
    usable core, each with ``CALLS_PER_PROCESS`` calls in flight and ``ACCOUNTS_PER_PROCESS``
    accounts."""
    if requested is None:
        useful = min(in_flight // CALLS_PER_PROCESS, accounts // ACCOUNTS_PER_PROCESS)
        return max(1, min(usable_cores(), useful))
    return max(1, min(requested, accounts))


def split(accounts: list[str], parts: int) -> list[list[str]]:
    """Dealt in turn, so each share holds accounts from the whole list (none gets every slow
    one a listing happens to put together)."""
    return [accounts[index::parts] for index in range(parts)]


@dataclass(frozen=True)
class ShardTask:
    """What a worker process is given (pickled to it)."""

    index: int
    access: AccessOptions
    accounts: list[tuple[str, str]]  # (id, name) to read
    earlier: list[Finished]  # read by an earlier run (--resume), the central look still to do
    regions: list[str] | None
    max_workers: int
    account_timeout: float | None
    account_timeout_text: str
    # Where Config recorders are read (--org): None every Region, [] nowhere (not --org).
    config_regions: list[str] | None


@dataclass
class AccountMessage:
    """One account's record from a worker: its own reads (``scan``), its central look
    (``buckets``), or, given up on, the account as it stood (``abandoned``)."""

    account: str
    scan: AccountScan | None = None
    regions: list[RegionScan] = field(default_factory=list)
    errors: list[ApiError] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    abandoned: Finished | None = None


class ShardLink:
    """A worker's side of the exchange: what its collector sends up (an ``AccountSink``), its
    progress, and the deliveries it waits for."""

    def __init__(self, task: ShardTask, out: Any, into: Any) -> None:
        self.task = task
        self._out = out
        self._into = into
        self._last_progress = 0.0

    def account(self, scan: AccountScan, regions: list[RegionScan], errors: list[ApiError]) -> None:
        self._out.put(("account", AccountMessage(scan.account, scan, regions, errors)))

    def central(self, account: str, buckets: list[Bucket], errors: list[ApiError]) -> None:
        self._out.put(("account", AccountMessage(account, errors=errors, buckets=buckets)))

    def abandoned(self, account: str, finished: Finished) -> None:
        self._out.put(("account", AccountMessage(account, abandoned=finished)))

    def close(self) -> None:
        """Nothing to close: the parent owns the progress file."""

    def progress(self, finished: int, submitted: int) -> None:
        now = time.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            _orphaned_ends()
            self._out.put(("progress", self.task.index, finished, submitted))

    def deliveries(self, own: list[Delivery]) -> list[Delivery]:
        """Send this worker's deliveries; wait for every worker's (blocks until all are listed)."""
        self._out.put(("listed", self.task.index, own))
        while True:
            try:
                found: list[Delivery] = self._into.get(timeout=POLL)
                return found
            except queue.Empty:
                _orphaned_ends()

    def end(self, errors: list[ApiError], circuits: list[OpenedCircuit], calls: Calls) -> None:
        self._out.put(("end", self.task.index, errors, circuits, calls))

    def failed(self, exc: BaseException) -> None:
        self._out.put(("failed", self.task.index, portable(exc)))


def _orphaned_ends() -> None:
    """A worker whose parent is gone (killed: its ``finally`` never ran) ends rather than read
    on, or wait forever, for nobody."""
    parent = multiprocessing.parent_process()
    if parent is not None and not parent.is_alive():
        os._exit(1)


def portable(exc: BaseException) -> BaseException:
    """``exc`` if it survives pickling to the parent (a one-line TrailwardenError does), else
    a ScanWorkerError saying what it was."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return ScanWorkerError(f"a scan worker process failed: {type(exc).__name__}: {exc}")


def run_shards(
    target: Callable[[ShardTask, Any, Any], None],
    tasks: list[ShardTask],
    known: list[Delivery],
    merge: Callable[[AccountMessage], None],
    on_progress: ProgressFn | None,
) -> tuple[list[ApiError], list[OpenedCircuit], Calls]:
    """Run ``target`` (the collector's ``read_shard``) in one worker process per task, and
    ``merge`` each account as it comes (on this thread). ``known``: deliveries of accounts no
    worker reads (finished by an earlier run). Returns the errors that belong to no account, the
    circuits the workers' breakers opened and the calls they made. A worker that fails ends the
    scan with its error; one that dies, with a ScanWorkerError."""
    context = multiprocessing.get_context("spawn")  # no fork under running threads
    out = context.Queue()
    intos = [context.Queue() for _ in tasks]
    processes = [
        context.Process(
            target=target, args=(task, out, intos[task.index]), daemon=True, name="scan"
        )
        for task in tasks
    ]
    counts = {task.index: (0, 0) for task in tasks}
    listed: dict[int, list[Delivery]] = {}
    ended: set[int] = set()
    errors: list[ApiError] = []
    circuits: list[OpenedCircuit] = []
    calls: Calls = Counter()
    try:
        with _sigint_blocked():
            for process in processes:
                process.start()
        while len(ended) < len(tasks):
            try:
                message = out.get(timeout=POLL)
            except queue.Empty:
                _check_alive(processes, ended)
                continue
            kind = message[0]
            if kind == "account":
                merge(message[1])
            elif kind == "progress":
                counts[message[1]] = (message[2], message[3])
                if on_progress is not None:
                    on_progress(*(sum(c[i] for c in counts.values()) for i in (0, 1)))
            elif kind == "listed":
                listed[message[1]] = message[2]
                if len(listed) == len(tasks):
                    every = sorted({*known, *(d for found in listed.values() for d in found)})
                    for into in intos:
                        into.put(every)
            elif kind == "end":
                ended.add(message[1])
                errors.extend(message[2])
                circuits.extend(message[3])
                calls.update(message[4])
            elif kind == "failed":
                raise message[2]
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)
    return errors, circuits, calls


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Ctrl-C reaches every process of the terminal's group: workers must leave it to the
    parent. A signal blocked in the thread that starts a process stays blocked in it through
    exec, so a worker never sees one, imports included; the parent's is not lost but pending
    (or taken by another of its threads) and acted on as soon as the workers are started."""
    if not hasattr(signal, "pthread_sigmask"):  # Windows: no signal masks, no process groups
        yield
        return
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _check_alive(processes: list[Any], ended: set[int]) -> None:
    """A worker that exited without its last message died (killed, out of memory)."""
    for index, process in enumerate(processes):
        if index not in ended and process.exitcode is not None:
            raise ScanWorkerError(
                f"scan worker process {index + 1} of {len(processes)} ended unexpectedly "
                f"(exit code {process.exitcode}); its accounts were not all read"
            )
