"""Validate every digest chain of a trail: the CLI's verdicts, concurrently, plus --strict checks.

Pipeline: discover chains (account x Region x trail) from the bucket's folders, list each chain's
in-range digests once, prefetch digests on a small pool a window ahead of the walk, walk each chain
exactly as the CLI does (walk.py), and hand every log file of a valid digest to the log pool.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from trailwarden.errors import TrailwardenError
from trailwarden.integrity import digest as dg
from trailwarden.integrity import strict as st
from trailwarden.integrity.hashing import LogOutcome, check_log
from trailwarden.integrity.keys import PublicKey
from trailwarden.integrity.layout import (
    ACCOUNT_RE,
    ORG_RE,
    Chain,
    Trail,
    digest_name_trail,
    fmt_key_ts,
    is_backfill,
    key_timestamp,
)
from trailwarden.integrity.model import GapItem, Item, Report
from trailwarden.integrity.source import ObjectNotFound, Source, StoredObject
from trailwarden.integrity.walk import DigestBad, DigestOk, Gap, KeyRing, walk

T = TypeVar("T")
LOCAL_BATCH = 16  # log files per task when reading a local copy
KeyLoader = Callable[[datetime, datetime], list[PublicKey]]
Progress = Callable[[int, int], None]  # (files done, compressed bytes done)


@dataclass
class Scope:
    """What to validate: a bucket/prefix, optionally one trail, accounts and Regions."""

    bucket: str
    prefix: str = ""
    trail: Trail | None = None  # None: every trail whose digests are found
    accounts: frozenset[str] | None = None
    regions: frozenset[str] | None = None


@dataclass
class Options:
    start: datetime
    end: datetime
    strict: bool = False
    max_workers: int = 16
    expected_until: datetime | None = None  # --strict: digests expected hourly until then
    # --strict: GetTrailStatus LatestDigestDeliveryTime, and the (account, home Region) chain
    # it describes; that chain's newest digest must be about that recent.
    latest_delivery: datetime | None = None
    trail_account: str | None = None


@dataclass
class ChainWork:
    chain: Chain
    standard: list[str]
    backfill: list[str]
    listed: list[str] = field(default_factory=list)  # standard keys as listed (the walk pops)
    items: list[Item | Future[list[Item]]] = field(default_factory=list)
    gaps: list[GapItem] = field(default_factory=list)
    valid: list[dg.Digest] = field(default_factory=list)


def discover(
    source: Source, scope: Scope, start: datetime, end: datetime, workers: int = 8
) -> list[ChainWork]:
    """Find chains from folders (organisation layout included) and list their digests once.

    The listings of an organisation's many account and Region folders run concurrently.
    """
    root = f"{scope.prefix}/AWSLogs/" if scope.prefix else "AWSLogs/"
    owners: list[tuple[str | None, str]] = []
    for name in source.list_folders(scope.bucket, root):
        if ACCOUNT_RE.match(name):
            owners.append((None, name))
        elif ORG_RE.match(name):
            owners += [
                (name, acct)
                for acct in source.list_folders(scope.bucket, f"{root}{name}/")
                if ACCOUNT_RE.match(acct)
            ]
    owners = [o for o in owners if scope.accounts is None or o[1] in scope.accounts]

    def regions_of(owner: tuple[str | None, str]) -> list[tuple[str | None, str, str, str]]:
        org, account = owner
        base = f"{root}{org}/{account}" if org else f"{root}{account}"
        return [
            (org, account, region, f"{base}/CloudTrail-Digest/{region}")
            for region in source.list_folders(scope.bucket, f"{base}/CloudTrail-Digest/")
            if scope.regions is None or region in scope.regions
        ]

    def keys_of(folder: tuple[str | None, str, str, str]) -> list[str]:
        return list(_list_folder(source, scope.bucket, folder[3], start, end))

    with ThreadPoolExecutor(max(1, workers), thread_name_prefix="list") as pool:
        folders = [f for found in pool.map(regions_of, owners) for f in found]
        listings = list(pool.map(keys_of, folders))
    work: list[ChainWork] = []
    for (org, account, region, _folder), keys in zip(folders, listings, strict=True):
        trails = [scope.trail] if scope.trail else _trails_in(keys, account, region)
        for trail in trails:
            chain = Chain(scope.bucket, scope.prefix, org, account, region, trail)
            standard, backfill = select_digests(chain, keys, start, end)
            work.append(ChainWork(chain, standard, backfill, list(standard)))
    return work


def _list_folder(
    source: Source, bucket: str, folder: str, start: datetime, end: datetime
) -> Iterable[str]:
    """Keys of a Region's digest folder from the start day up to the day after end + 1h."""
    first = f"{folder}/{start - timedelta(minutes=1):%Y/%m/%d}/"
    last_day = f"{end + timedelta(hours=1):%Y/%m/%d}"
    for key in source.list_keys(bucket, folder + "/", start_after=first[:-1]):
        if key[len(folder) + 1 : len(folder) + 11] > last_day:
            break
        yield key


def _trails_in(keys: list[str], account: str, region: str) -> list[Trail]:
    found = {digest_name_trail(k, account, region) for k in keys}
    return sorted((t for t in found if t), key=lambda t: (t.name, t.home))


def select_digests(
    chain: Chain, keys: Iterable[str], start: datetime, end: datetime
) -> tuple[list[str], list[str]]:
    """The CLI's filter: trail regex, stop past end + 1h, skip before start, split backfill."""
    regex = chain.key_regex()
    low, high = fmt_key_ts(start), fmt_key_ts(end + timedelta(hours=1))
    standard: list[str] = []
    backfill: list[str] = []
    for key in keys:
        if not regex.match(key):
            continue
        ts = key_timestamp(key)
        if ts > high:
            break
        if ts < low:
            continue
        (backfill if is_backfill(key) else standard).append(key)
    return standard, backfill


class _Prefetcher:
    """Fetch digests a bounded window ahead of the walk, in the order the walk will want them."""

    def __init__(self, source: Source, pool: ThreadPoolExecutor, window: int) -> None:
        self._source = source
        self._pool = pool
        self._window = window
        self._queue: deque[tuple[str, str]] = deque()
        self._futures: dict[tuple[str, str], Future[StoredObject]] = {}
        self._lock = threading.Lock()

    def plan(self, bucket: str, keys: Iterable[str]) -> None:
        self._queue.extend((bucket, k) for k in keys)

    def _fill(self) -> None:
        while self._queue and len(self._futures) < self._window:
            ref = self._queue.popleft()
            if ref not in self._futures:
                self._futures[ref] = self._pool.submit(self._source.get_object, *ref)

    def fetch(self, bucket: str, key: str) -> StoredObject:
        ref = (bucket, key)
        with self._lock:
            self._fill()  # first, so the key asked for now is submitted rather than fetched twice
            future = self._futures.pop(ref, None)
            self._fill()
        if future is None:
            return self._source.get_object(bucket, key)
        return future.result()

    def drop(self) -> None:
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()


class _Inline(ThreadPoolExecutor):
    """An executor that runs each task at once on the caller's thread."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # delivered by result(), as a pool would
            future.set_exception(exc)
        return future


def validate(
    source: Source,
    scope: Scope,
    opts: Options,
    key_loader: Callable[[str], KeyLoader],
    trail_arn: str | None = None,
    progress: Progress | None = None,
) -> Report:
    """Run the CLI's validation for every chain in scope; ``key_loader(region)`` lists keys."""
    works = discover(source, scope, opts.start, opts.end, min(opts.max_workers, 16))
    report = Report(trail_arn, opts.start, opts.end)
    # Local files are cheap to open: more threads than cores only fight over the GIL there.
    local = not getattr(source, "remote", True)
    if local:
        # Local digests are read on the walking thread; logs get the source's parallelism.
        digest_workers, log_workers = 1, min(opts.max_workers, getattr(source, "max_parallel", 1))
    else:
        digest_workers = max(1, opts.max_workers // 4)
        log_workers = max(1, opts.max_workers - digest_workers)
    with (
        ThreadPoolExecutor(digest_workers, thread_name_prefix="digest") as dpool,
        ThreadPoolExecutor(log_workers, thread_name_prefix="log")
        if log_workers
        else _Inline() as lpool,
    ):
        # A local digest is read faster than a prefetch hand-off would take.
        prefetch = _Prefetcher(source, dpool, window=0 if local else 8 * digest_workers)
        for work in works:
            prefetch.plan(work.chain.bucket, reversed(work.standard))
            prefetch.plan(work.chain.bucket, reversed(work.backfill))
        try:
            for work in works:
                _walk_chain(work, opts, key_loader, prefetch, lpool, source, progress, local)
            for work in works:
                for entry in work.items:
                    report.items += entry.result() if isinstance(entry, Future) else [entry]
                report.gaps += work.gaps
        except BaseException:
            # An access error or Ctrl-C ends the run now, not after every queued read.
            lpool.shutdown(wait=False, cancel_futures=True)
            dpool.shutdown(wait=False, cancel_futures=True)
            raise
        finally:
            prefetch.drop()
    if opts.strict:
        # Each chain lists its log folders for unlisted files: chains run concurrently.
        def strict_findings(work: ChainWork) -> list[Item]:
            return st.findings(work.chain, work.valid, work.listed, source, opts)

        with ThreadPoolExecutor(min(opts.max_workers, 16), thread_name_prefix="strict") as pool:
            for found in pool.map(strict_findings, works):
                report.items += found
    return report


def _walk_chain(
    work: ChainWork,
    opts: Options,
    key_loader: Callable[[str], KeyLoader],
    prefetch: _Prefetcher,
    lpool: ThreadPoolExecutor,
    source: Source,
    progress: Progress | None,
    local: bool,
) -> None:
    chain = work.chain
    loader = key_loader(chain.region)
    for backfill in (False, True):
        listed = work.backfill if backfill else work.standard
        keys = KeyRing(loader)
        if not backfill:
            # Like the CLI, keys are required even when no digest is listed.
            keys.load(opts.start, opts.end + timedelta(hours=2))

        def lister(
            bucket: str, end: datetime | None, _listed: list[str] = listed, _bf: bool = backfill
        ) -> list[str]:
            if bucket == chain.bucket and end is None:
                return list(_listed)
            end = end or opts.end
            moved = Chain(
                bucket, chain.prefix, chain.org_id, chain.account, chain.region, chain.trail
            )
            std, bfl = select_digests(
                moved,
                _list_folder(source, bucket, moved.digest_folder, opts.start, end),
                opts.start,
                end,
            )
            return bfl if _bf else std

        for event in walk(
            bucket=chain.bucket,
            start=opts.start,
            home_region=chain.trail.home,
            backfill=backfill,
            lister=lister,
            fetch=prefetch.fetch,
            keys=keys,
        ):
            if isinstance(event, DigestOk):
                d = event.digest
                work.items.append(Item("digest", chain.account, chain.region, d.bucket, d.key))
                if progress:
                    progress(1, 0)
                if "logFiles" not in d.data:
                    # The CLI crashes here (exit 255); we stop with a clear error instead.
                    raise TrailwardenError(f"digest s3://{d.bucket}/{d.key} has no logFiles list")
                logs = d.log_files
                # Remote reads: one task per file keeps every worker's GET in flight. Local
                # reads: a task per file costs more in hand-offs than the file takes to check.
                step = LOCAL_BATCH if local else 1
                for i in range(0, len(logs), step):
                    batch = logs[i : i + step]
                    work.items.append(lpool.submit(_check_logs, source, chain, batch, progress))
                d.inflated = b""  # keep memory flat; the hash is kept in d.sha256
                work.valid.append(d)
            elif isinstance(event, DigestBad):
                work.items.append(
                    Item(
                        "digest", chain.account, chain.region, event.bucket, event.key, event.reason
                    )
                )
                if progress:
                    progress(1, 0)
            elif isinstance(event, Gap):
                work.gaps.append(
                    GapItem(chain.account, chain.region, event.older_end, event.newer_start)
                )


def _check_logs(
    source: Source, chain: Chain, logs: list[dict[str, object]], progress: Progress | None
) -> list[Item]:
    return [_check_log(source, chain, log, progress) for log in logs]


def _check_log(
    source: Source, chain: Chain, log: dict[str, object], progress: Progress | None
) -> Item:
    bucket, key = str(log.get("s3Bucket")), str(log.get("s3Object"))
    try:
        first = source.open_object(bucket, key)
        opened = iter([first])

        def open_body() -> Iterable[bytes]:
            # The first read is already open; a second read (damaged files only) reopens.
            return next(opened, None) or source.open_object(bucket, key)

        outcome, size = check_log(open_body, str(log.get("hashValue")))
        reason = None if outcome is LogOutcome.VALID else outcome.value
    except ObjectNotFound:
        reason, size = dg.NOT_FOUND, 0
    if progress:
        progress(1, size)
    return Item("log", chain.account, chain.region, bucket, key, reason, size=size)
