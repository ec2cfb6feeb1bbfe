"""Read CloudTrail records from files: any of the shapes people have, gzipped or not.

Shapes: ``{"Records": [...]}`` (what CloudTrail delivers to S3, one line), a JSON array (event
history / LookupEvents exports), JSON lines (one record per line), or a single record object.
A file that cannot be decompressed or parsed is skipped, counted and listed: never fatal.
Records are kept as the dicts ``json`` gives, so a missing key and a ``null`` stay distinct.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from trailwarden.errors import UsageError
from trailwarden.logs.ahead import ordered
from trailwarden.logs.layout import Scope, parse_key

try:  # python-isal decompresses gzip several times faster than zlib.
    from isal import igzip as _gzip
except ImportError:  # pragma: no cover - isal is a dependency, gzip is the fallback
    import gzip as _gzip  # type: ignore[no-redef]

Record = dict[str, Any]
GZIP_MAGIC = b"\x1f\x8b"
_SUFFIXES = (".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz")


@dataclass(frozen=True)
class FileRef:
    """One input file: ``name`` is its S3 key or path, stable across runs (incremental ingest)."""

    name: str
    size: int


class Source(Protocol):
    """Where files come from: a local folder, or a bucket (see ``trailwarden.logs.s3``).

    ``reads_in_flight``: how many files to read (and decompress) at once; a bucket wants many
    GETs in flight to hide their latency, a local folder a few threads for decompression.
    """

    reads_in_flight: int

    def files(self, scope: Scope) -> Iterator[FileRef]: ...

    def read(self, ref: FileRef) -> bytes: ...


@dataclass
class ReadStats:
    """What a read saw: for the summary line and for the corrupt-file list."""

    files: int = 0
    bytes_in: int = 0  # as stored (compressed)
    bytes_out: int = 0  # decompressed JSON
    records: int = 0
    duplicates: int = 0
    outside_window: int = 0
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


class LocalSource:
    """A folder in the S3 key layout (or any folder of CloudTrail files), or one file."""

    # isal releases the GIL while it inflates, so a few files decompress in parallel.
    reads_in_flight = min(4, os.cpu_count() or 1)

    def __init__(self, root: Path) -> None:
        if not root.exists():
            raise UsageError(f"source {root} does not exist")
        self.root = root

    def files(self, scope: Scope) -> Iterator[FileRef]:
        if self.root.is_file():
            yield FileRef(str(self.root), self.root.stat().st_size)
            return
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames.sort()
            # Prune whole directories by the layout (account, Region, day) before listing them.
            rel_dir = os.path.relpath(dirpath, self.root).replace(os.sep, "/")
            dirnames[:] = [d for d in dirnames if _dir_wanted(f"{rel_dir}/{d}", scope)]
            for name in sorted(filenames):
                if not name.endswith(_SUFFIXES):
                    continue
                rel = f"{rel_dir}/{name}" if rel_dir != "." else name
                if not scope.wants_key(rel):
                    continue
                path = os.path.join(dirpath, name)
                yield FileRef(path, os.path.getsize(path))

    def read(self, ref: FileRef) -> bytes:
        return Path(ref.name).read_bytes()


def _dir_wanted(rel: str, scope: Scope) -> bool:
    """Prune a directory early when its path already fixes an account, Region or day."""
    parts = rel.split("/")
    if "AWSLogs" not in parts:
        return True
    tail = parts[parts.index("AWSLogs") + 1 :]
    if tail and tail[0].startswith("o-"):
        tail = tail[1:]
    if tail and not scope.wants_account(tail[0]):
        return False
    if len(tail) >= 2 and tail[1] != "CloudTrail":
        return False  # CloudTrail-Digest, CloudTrail-Insight: no events
    if len(tail) >= 3 and not scope.wants_region(tail[2]):
        return False
    if len(tail) >= 6:
        info = parse_key("/".join(["AWSLogs", *tail, "x"]))
        if info is not None and not scope.wants_day(info.day):
            return False
    return True


def decompress(data: bytes) -> bytes:
    """Gunzip when the bytes are gzip (by magic, not by name); raise ValueError when corrupt."""
    if not data.startswith(GZIP_MAGIC):
        return data
    try:
        out: bytes = _gzip.decompress(data)  # type: ignore[no-untyped-call,unused-ignore]
        return out
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"bad gzip: {exc}") from None
    except Exception as exc:  # isal raises its own error type for damaged streams
        raise ValueError(f"bad gzip: {exc}") from None


def split_documents(data: bytes) -> list[bytes]:
    """Split a file into JSON documents: the whole file, or its lines when it is JSON lines.

    A JSON-lines file starts with a complete object on its first line; a pretty-printed single
    object starts with a lone ``{``. Arrays and ``{"Records": ...}`` files are one document.
    """
    head = data[:256].lstrip()
    if not head.startswith(b"{"):
        return [data]
    first_line = data.lstrip().split(b"\n", 1)[0].strip()
    if first_line == b"{" or head.startswith(b'{"Records"') or b"\n" not in data.strip():
        return [data]
    return [line for line in data.split(b"\n") if line.strip()]


def _is_record(obj: Any) -> bool:
    # Objects without eventName and eventID (a config file, a manifest) are not events.
    return isinstance(obj, dict) and ("eventName" in obj or "eventID" in obj)


def records_of(doc: Any) -> list[Record]:
    """The records a parsed document holds, whatever its shape."""
    if isinstance(doc, dict):
        inner = doc.get("Records")
        if isinstance(inner, list):
            return [r for r in inner if _is_record(r)]
        return [doc] if _is_record(doc) else []
    if isinstance(doc, list):
        return [r for r in doc if _is_record(r)]
    raise ValueError(f"not a CloudTrail document (top level is {type(doc).__name__})")


def parse_records(data: bytes) -> list[Record]:
    """All records of decompressed file contents; ValueError when any document is corrupt."""
    out: list[Record] = []
    for doc in split_documents(data):
        try:
            out.extend(records_of(json.loads(doc)))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"bad JSON: {exc}") from None
    return out


def event_time(record: Record) -> datetime | None:
    """``eventTime`` parsed to an aware datetime, or None when absent or malformed.

    Records shipped through Logstash (the OTRF datasets) carry the time as ``@timestamp``.
    """
    raw = record.get("eventTime", record.get("@timestamp"))
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def iter_file_bytes(
    source: Source,
    scope: Scope,
    stats: ReadStats,
    progress: Callable[[FileRef, int], None] | None = None,
    on_corrupt: Callable[[FileRef, str], None] | None = None,
) -> Iterator[tuple[FileRef, bytes]]:
    """Decompressed contents of every wanted file, in listing order; corrupt ones are recorded
    in ``stats``. Up to ``source.reads_in_flight`` files are read and decompressed ahead on a
    thread pool (a bounded window: memory stays a few files per thread)."""

    def load(ref: FileRef) -> tuple[int, bytes]:
        raw = source.read(ref)
        return len(raw), decompress(raw)

    def take(ref: FileRef, pending: Future[tuple[int, bytes]]) -> Iterator[tuple[FileRef, bytes]]:
        stats.files += 1
        try:
            nraw, data = pending.result()
        except ValueError as exc:
            stats.corrupt.append((ref.name, str(exc)))
            if on_corrupt is not None:
                on_corrupt(ref, str(exc))
            return
        stats.bytes_in += nraw
        stats.bytes_out += len(data)
        if progress is not None:
            progress(ref, len(data))
        yield ref, data

    in_flight = max(1, source.reads_in_flight)
    with ThreadPoolExecutor(in_flight, thread_name_prefix="read") as pool:
        for ref, pending in ordered(pool, load, source.files(scope), 2 * in_flight):
            yield from take(ref, pending)


def iter_records(
    source: Source,
    scope: Scope,
    stats: ReadStats,
    prefilter: Callable[[bytes], bool] | None = None,
) -> Iterator[Record]:
    """Every record once (deduplicated on eventID), inside the scope's time window.

    ``prefilter`` sees a file's decompressed bytes and may reject it without parsing: hunts pass a
    substring test, which is far cheaper than JSON parsing when most files cannot match.
    """
    seen: set[str] = set()
    for ref, data in iter_file_bytes(source, scope, stats):
        if prefilter is not None and not prefilter(data):
            continue
        try:
            records = parse_records(data)
        except ValueError as exc:
            stats.corrupt.append((ref.name, str(exc)))
            continue
        for rec in records:
            eid = rec.get("eventID")
            if isinstance(eid, str):
                if eid in seen:
                    stats.duplicates += 1
                    continue
                seen.add(eid)
            if (scope.start or scope.end) and not scope.wants_time(event_time(rec)):
                stats.outside_window += 1
                continue
            stats.records += 1
            yield rec


def open_source(spec: str) -> Source:
    """``s3://bucket/prefix`` or a local path."""
    if spec.startswith("s3://"):
        from trailwarden.logs.s3 import S3Source

        return S3Source.from_url(spec)
    return LocalSource(Path(spec))
