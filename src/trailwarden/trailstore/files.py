"""A trail's log files at a location (a bucket and prefix, a folder, a file), walked along the
key layout so that accounts, Regions and days outside the question are never listed.

Accounts and Regions come from folder listings (``AWSLogs/``, ``AWSLogs/o-.../``,
``<account>/CloudTrail/``); with a bounded time window only the wanted day folders are listed.
Outside the layout (or already inside it) everything under the prefix is listed and each key
is judged alone; a local folder's files outside its ``AWSLogs/`` tree are read as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Protocol

from trailwarden.concurrency import Pool, ordered
from trailwarden.trailstore import layout
from trailwarden.trailstore.layout import parse_s3_url
from trailwarden.trailstore.source import (
    LocalSource,
    ObjectNotFound,
    ObjectRef,
    Source,
    Unreadable,
)

# A folder holds other files too (notes, editor backups): only these names are read from one.
# A bucket is read as listed, and a file named on its own is read whatever its name.
SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz")
LISTS_IN_FLIGHT = 8


class KeyFilter(Protocol):
    """Which files a question wants, decided from keys alone (logs.layout.Scope is one)."""

    def wants_account(self, account: str) -> bool: ...

    def wants_region(self, region: str) -> bool: ...

    def wants_key(self, key: str) -> bool: ...

    def days(self) -> list[date] | None: ...


class AllLogFiles:
    """Every log file: no account, Region or day left out; digests and Insights are not logs."""

    def wants_account(self, account: str) -> bool:
        return True

    def wants_region(self, region: str) -> bool:
        return True

    def wants_key(self, key: str) -> bool:
        info = layout.parse_key(key)
        return info is None or info.kind == layout.LOGS

    def days(self) -> list[date] | None:
        return None


ALL_LOG_FILES = AllLogFiles()


@dataclass(frozen=True)
class FileRef:
    """One input file: ``name`` is its S3 key or path, stable across runs (incremental ingest);
    ``key`` is where its source finds it (None: the name is the key)."""

    name: str
    size: int
    key: str | None = None


class TrailFiles:
    """The log files under ``prefix`` of ``bucket`` in ``source``; ``files`` walks, ``read`` reads.

    ``read`` raises ValueError for a file that vanished or cannot be read: one bad file, not a
    failed run.
    """

    def __init__(self, source: Source, bucket: str = "", prefix: str = "") -> None:
        self.source = source
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.reads_in_flight = source.reads_in_flight
        self.lists_in_flight = LISTS_IN_FLIGHT if source.remote else 0
        folder = isinstance(source, LocalSource) and not source.single_file
        self._by_name = folder

    def _ref(self, key: str, size: int) -> FileRef:
        name = self.source.name_of(self.bucket, key)
        return FileRef(name, size, None if name == key else key)

    def _judged(self, objects: Iterable[ObjectRef], want: KeyFilter) -> list[FileRef]:
        # A folder that could not be listed is kept whatever its name: reading it says why.
        return [
            self._ref(obj.key, obj.size)
            for obj in objects
            if obj.unreadable is not None
            or ((not self._by_name or obj.key.endswith(SUFFIXES)) and want.wants_key(obj.key))
        ]

    def _objects(self, prefix: str, want: KeyFilter) -> list[FileRef]:
        return self._judged(self.source.list_objects(self.bucket, prefix), want)

    def accounts(self, want: KeyFilter) -> Iterator[str]:
        """The wanted account folders (``.../AWSLogs/[o-org/]ACCOUNT/``)."""
        top = self.prefix + layout.ROOT + "/"
        for name in self.source.list_folders(self.bucket, top):
            if name.startswith("o-"):
                for account in self.source.list_folders(self.bucket, f"{top}{name}/"):
                    if want.wants_account(account):
                        yield f"{top}{name}/{account}/"
            elif want.wants_account(name):
                yield f"{top}{name}/"

    def regions(self, account: str, want: KeyFilter) -> list[str]:
        """The wanted Regions with log files under an account folder."""
        found = self.source.list_folders(self.bucket, f"{account}{layout.LOGS}/")
        return [region for region in found if want.wants_region(region)]

    def files(self, want: KeyFilter) -> Iterator[FileRef]:
        top = self.prefix + layout.ROOT + "/"
        if f"/{layout.ROOT}/" in "/" + self.prefix or not self.source.list_folders(
            self.bucket, top
        ):
            # Already inside the layout, or not the layout at all: list and judge each key.
            yield from self._objects(self.prefix, want)
            return
        if isinstance(self.source, LocalSource) and self._by_name:
            # A folder's files outside the layout are read too (exports, loose files).
            outside = self.source.list_objects(self.bucket, self.prefix, skip=top)
            yield from self._judged(outside, want)
        days = want.days()

        def regions(account: str) -> list[str]:
            return [f"{account}{layout.LOGS}/{r}/" for r in self.regions(account, want)]

        def prefixes(pool: Pool) -> Iterator[str]:
            listed = ordered(pool, regions, self.accounts(want), self.lists_in_flight)
            for _, found in listed:
                for region in found.result():
                    if days is None:
                        yield region
                    else:
                        yield from (region + d.strftime("%Y/%m/%d/") for d in days)

        # An organisation has hundreds of account and Region folders: listed a few at a time,
        # in order, each folder's keys whole (a few MB for a Region's year without --start).
        with Pool(self.lists_in_flight, "list") as pool:
            window = max(1, self.lists_in_flight)
            for _, found in ordered(pool, lambda p: self._objects(p, want), prefixes(pool), window):
                yield from found.result()

    def read(self, ref: FileRef) -> bytes:
        key = ref.key if ref.key is not None else ref.name
        try:
            return self.source.get_object(self.bucket, key).body
        except ObjectNotFound:
            raise ValueError("cannot read: NoSuchKey") from None
        except Unreadable as exc:
            raise ValueError(f"cannot read: {exc.code}") from None


def open_files(spec: str, source: Source | None = None) -> TrailFiles:
    """``s3://bucket/prefix`` (read with ``source``, an S3 source) or a local path."""
    if spec.startswith("s3://"):
        if source is None:
            raise ValueError("reading a bucket needs an S3 source")
        bucket, prefix = parse_s3_url(spec)
        return TrailFiles(source, bucket, prefix)
    return local_files(Path(spec))


def local_files(path: Path) -> TrailFiles:
    """The log files in a local folder (in the key layout or not), or one file."""
    return TrailFiles(LocalSource(path))
