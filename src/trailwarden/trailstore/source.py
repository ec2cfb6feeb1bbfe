"""Where CloudTrail objects are read from: one protocol, a bucket (``trailstore.s3``) or a folder.

A local folder is a copy of one bucket: ``root/<key>``, with each object's user metadata (a
digest's signature) beside it as ``<key>.metadata.json`` (what ``trailwarden evidence download``
and the fixture writer produce), or any folder of CloudTrail files, or a single file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import Protocol

from trailwarden.errors import AccessError, UsageError

METADATA_SUFFIX = ".metadata.json"
CHUNK = 256 * 1024


class ObjectNotFound(Exception):
    """The key does not exist (S3 NoSuchKey)."""


class Unreadable(AccessError):
    """The object exists but cannot be read (access denied, network failure): ``code`` says why."""

    def __init__(self, where: str, code: str) -> None:
        super().__init__(f"cannot read {where}: {code}")
        self.code = code


@dataclass(frozen=True)
class StoredObject:
    body: bytes
    metadata: dict[str, str]


@dataclass(frozen=True)
class ObjectRef:
    key: str
    size: int
    # Set for a folder of a local copy that cannot be listed (its key ends in "/"): what it
    # holds is unknown, so it is reported as an unreadable input, never silently left out.
    unreadable: str | None = None


class Source(Protocol):
    """Read-only access to a bucket (or a copy of one). Listing errors abort the run (AccessError,
    or UsageError for a bucket that does not exist); reads raise ObjectNotFound or Unreadable.

    ``remote``: every call is a round trip, so callers keep many in flight. ``reads_in_flight``:
    how many whole files a reader should read (and decompress) at once from this source.
    """

    remote: bool
    reads_in_flight: int

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        """Names of the immediate sub-folders of ``prefix`` (which ends in "/"), sorted."""
        ...

    def list_objects(self, bucket: str, prefix: str, start_after: str = "") -> Iterator[ObjectRef]:
        """Objects whose key starts with ``prefix`` and sorts after ``start_after``, in S3
        (UTF-8 byte) order."""
        ...

    def get_object(self, bucket: str, key: str) -> StoredObject: ...

    def open_object(self, bucket: str, key: str) -> Iterable[bytes]:
        """Open now (raising ObjectNotFound now), then stream the body in chunks."""
        ...

    def name_of(self, bucket: str, key: str) -> str:
        """The object's name for reports and incremental ingest: its key, or a local path."""
        ...


def list_keys(source: Source, bucket: str, prefix: str, start_after: str = "") -> Iterator[str]:
    """The keys under ``prefix``; a folder that cannot be listed ends the listing (Unreadable),
    as a listing that fails in a bucket does: the caller cannot judge keys it never saw."""
    for ref in source.list_objects(bucket, prefix, start_after):
        if ref.unreadable is not None:
            raise Unreadable(source.name_of(bucket, ref.key), ref.unreadable)
        yield ref.key


class LocalSource:
    """A local copy of ``bucket`` (objects of any other bucket are not found), a folder of
    CloudTrail files, or one file (whose key is its name)."""

    remote = False
    # isal releases the GIL while it inflates, so a few files decompress in parallel.
    reads_in_flight = min(4, os.cpu_count() or 1)

    def __init__(self, root: Path, bucket: str = "") -> None:
        if not root.exists():
            raise UsageError(f"source {root} does not exist")
        self.root = root
        self.bucket = bucket
        self.single_file = root.is_file()
        self._unreadable: dict[str, str] = {}  # folder key -> why the walk could not list it

    def _path(self, bucket: str, key: str) -> Path:
        if bucket != self.bucket or key.startswith("/") or ".." in key.split("/"):
            raise ObjectNotFound(key)
        if self.single_file:
            if key != self.root.name:
                raise ObjectNotFound(key)
            return self.root
        return self.root / key

    def name_of(self, bucket: str, key: str) -> str:
        if self.single_file:
            return str(self.root)
        # The path os.walk would give: names stay what earlier runs recorded.
        return os.path.join(str(self.root), *key.split("/"))

    def list_objects(
        self, bucket: str, prefix: str, start_after: str = "", *, skip: str = ""
    ) -> Iterator[ObjectRef]:
        """As the protocol says; ``skip``: leave out the folder with this key (ends in "/")."""
        if bucket != self.bucket:
            return iter(())
        if self.single_file:
            name = self.root.name
            wanted = name.startswith(prefix) and name > start_after
            return iter([ObjectRef(name, self.root.stat().st_size)] if wanted else [])
        base = prefix.rsplit("/", 1)[0] if "/" in prefix else ""
        top = self.root / base if base else self.root
        found: list[ObjectRef] = []

        def unreadable(exc: OSError) -> None:
            # os.walk's only word on a folder it cannot list (mode 000, a vanished mount):
            # without this it leaves the folder out silently. A folder that is not there
            # (a prefix nothing was written under) holds nothing: not an unreadable input.
            if isinstance(exc, FileNotFoundError | NotADirectoryError):
                return
            where = Path(exc.filename or top)
            rel = where.relative_to(self.root).as_posix()
            key = "" if rel == "." else rel + "/"
            if key.startswith(prefix) or prefix.startswith(key):
                why = exc.strerror or type(exc).__name__
                self._unreadable[key] = why
                found.append(ObjectRef(key, 0, why))

        for dirpath, dirs, files in os.walk(top, onerror=unreadable):
            rel = Path(dirpath).relative_to(self.root).as_posix()
            head = "" if rel == "." else rel + "/"
            if skip:
                dirs[:] = [d for d in dirs if f"{head}{d}/" != skip]
            for name in files:
                key = head + name
                if name.endswith(METADATA_SUFFIX) or not key.startswith(prefix):
                    continue
                if key > start_after:
                    found.append(ObjectRef(key, os.path.getsize(os.path.join(dirpath, name))))
        found.sort(key=lambda ref: ref.key.encode())  # S3 orders keys by UTF-8 bytes
        return iter(found)

    def list_folders(self, bucket: str, prefix: str) -> list[str]:
        if bucket != self.bucket or self.single_file:
            return []
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        try:
            with os.scandir(folder) as entries:
                return sorted(e.name for e in entries if e.is_dir())
        except OSError as exc:
            raise Unreadable(str(folder), exc.strerror or type(exc).__name__) from exc

    def _listable(self, key: str) -> None:
        if key in self._unreadable:
            raise Unreadable(self.name_of(self.bucket, key), self._unreadable[key])

    def get_object(self, bucket: str, key: str) -> StoredObject:
        path = self._path(bucket, key)
        self._listable(key)
        try:
            body = path.read_bytes()
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise Unreadable(str(path), exc.strerror or type(exc).__name__) from exc
        meta_path = path.with_name(path.name + METADATA_SUFFIX)
        try:
            raw = json.loads(meta_path.read_text())
        except (FileNotFoundError, ValueError):
            raw = {}
        metadata = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
        return StoredObject(body, metadata)

    def open_object(self, bucket: str, key: str) -> Iterable[bytes]:
        path = self._path(bucket, key)
        self._listable(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise ObjectNotFound(key) from exc
        except OSError as exc:
            raise Unreadable(str(path), exc.strerror or type(exc).__name__) from exc
        return _chunks(handle)


def _chunks(handle: BufferedReader) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
