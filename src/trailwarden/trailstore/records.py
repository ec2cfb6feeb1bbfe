"""The one CloudTrail record reader: every file shape, gzipped or not, corrupt files skipped.

Shapes: ``{"Records": [...]}`` (what CloudTrail delivers to S3, one line), a JSON array (event
history / LookupEvents exports), JSON lines (one record per line), or a single record object.
Gzip is recognised by its magic bytes, not by the name. A file that cannot be read,
decompressed or parsed is skipped and listed in ``ReadStats.corrupt`` as (name, reason): never
fatal, and reported the same way by every command. Records are kept as the dicts ``json``
gives, so a missing key and a ``null`` stay distinct.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from trailwarden.concurrency import Pool, ordered
from trailwarden.trailstore.files import FileRef, KeyFilter

try:  # python-isal decompresses gzip several times faster than zlib.
    from isal import isal_zlib as _zlib
except ImportError:  # pragma: no cover - isal is a dependency, zlib is the fallback
    import zlib as _zlib  # type: ignore[no-redef,unused-ignore]

Record = dict[str, Any]
GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
_GZIP_WBITS = 16 + zlib.MAX_WBITS

# What one file may hold once decompressed, and one document of a JSON-lines file. CloudTrail
# delivers a file per account and Region about every five minutes, a few MB compressed at most,
# and its JSON compresses about 10:1: a genuine file inflates to tens of MB. 256 MiB is an order
# of magnitude above that and still a bounded cost per reader thread, so a 9 MB gzip of zeros
# (2 GB inflated) is refused after 256 MiB instead of taking gigabytes. CloudTrail caps one
# event at 256 KB (larger request/response elements are dropped); 4 MiB a document leaves room
# for exports that pretty-print and for Kinesis-style lines of several records.
MAX_FILE_BYTES = 256 * 2**20
MAX_DOCUMENT_BYTES = 4 * 2**20


class Files(Protocol):
    """Files to read (``TrailFiles`` is one): listed for a filter, read whole.

    ``read`` raises ValueError for one bad file; any other exception stops the read.
    """

    reads_in_flight: int

    def files(self, want: KeyFilter) -> Iterator[FileRef]: ...

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
    undated: int = 0  # records without a parseable eventTime (see event_time)
    insights: int = 0  # Insights events left out of questions about API calls (is_insight)
    corrupt: list[tuple[str, str]] = field(default_factory=list)  # (name, reason)


def decompress(data: bytes, limit: int | None = None) -> bytes:
    """Gunzip when the bytes are gzip (by magic, not by name), every member like
    ``gzip.decompress``; raise ValueError when corrupt or when more than ``limit`` bytes
    (``MAX_FILE_BYTES``) would come out (found while inflating, never after)."""
    limit = MAX_FILE_BYTES if limit is None else limit
    if not data.startswith(GZIP_MAGIC):
        if len(data) > limit:
            raise ValueError(f"larger than {limit // 2**20} MiB: not read")
        return data
    parts: list[bytes] = []
    total = 0
    rest = data
    try:
        while rest:
            if not rest.startswith(GZIP_MAGIC):
                raise ValueError("Not a gzipped file (trailing garbage)")
            inflater = _zlib.decompressobj(_GZIP_WBITS)
            pending = rest
            while pending and not inflater.eof:
                chunk = inflater.decompress(pending, limit + 1 - total)
                total += len(chunk)
                if total > limit:
                    break
                parts.append(chunk)
                pending = inflater.unconsumed_tail
            if total > limit:
                break
            if not inflater.eof:
                raise ValueError("Compressed file ended before the end-of-stream marker")
            rest = inflater.unused_data
    except Exception as exc:  # zlib.error, and isal's own error type for damaged streams
        raise ValueError(f"bad gzip: {exc}") from None
    if total > limit:
        raise ValueError(f"inflates to more than {limit // 2**20} MiB: not read")
    return b"".join(parts)


def split_documents(data: bytes) -> list[bytes]:
    """Split a file into JSON documents: the whole file, or its lines when it is JSON lines.

    A JSON-lines file starts with a complete object on its first line: records one per line, or
    ``{"Records": [...]}`` documents one per line (what Kinesis Data Firehose and some exporters
    write). A pretty-printed document starts with a lone ``{`` or ``{"Records": [``; arrays and a
    file of one line are one document.
    """
    head = data[:256].lstrip()
    if not head.startswith(b"{"):
        return [data]
    start = len(data[:256]) - len(head)  # where the document begins, after leading blanks
    newline = data.find(b"\n", start)
    if newline == -1 or not data[newline:].strip():
        return [data]  # one line (what CloudTrail delivers): no need to look further
    first_line = data[start:newline].strip()
    if not first_line.endswith(b"}"):
        return [data]
    return [line for line in data.split(b"\n") if line.strip()]


def holds_records_documents(docs: list[bytes]) -> bool:
    """Whether JSON lines hold ``{"Records": ...}`` documents rather than (only) records."""
    return any(d.lstrip().startswith(b'{"Records"') for d in docs)


def _is_record(obj: Any) -> bool:
    # Objects without eventName and eventID (a config file, a manifest) are not events.
    return isinstance(obj, dict) and ("eventName" in obj or "eventID" in obj)


def is_insight(record: Record) -> bool:
    """An Insights event (unusual API activity that CloudTrail Insights detected), not an API
    call: ``eventCategory`` is ``Insight`` (CloudTrail's record contents reference)."""
    return record.get("eventCategory") == "Insight"


def is_insight_file(name: str) -> bool:
    """A file CloudTrail Insights delivered (``..._CloudTrail-Insight_...``), in any folder."""
    return "_CloudTrail-Insight_" in name


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
    """All records of decompressed file contents; ValueError when any document is corrupt
    (naming the line of a JSON-lines file)."""
    docs = split_documents(data)
    out: list[Record] = []
    for number, doc in enumerate(docs, start=1):
        if len(docs) > 1 and len(doc) > MAX_DOCUMENT_BYTES:
            limit = MAX_DOCUMENT_BYTES // 2**20
            raise ValueError(f"line {number} is larger than {limit} MiB: not read")
        try:
            out.extend(records_of(json.loads(doc)))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            where = f" on line {number}" if len(docs) > 1 else ""
            raise ValueError(f"bad JSON{where}: {exc}") from None
    return out


# The one eventTime grammar, for every path (files, DuckDB, Athena): ISO 8601 with a "T", whole
# seconds, an optional fraction, and "Z", a UTC offset (+02:00, +0200, +02) or nothing (UTC).
# CloudTrail writes "2025-03-01T12:00:00Z"; offsets and fractions come from converted or exported
# data. Written with [0-9] (not \d, which is Unicode in Python) so that Python's re, DuckDB's RE2
# and Trino's regexp_like read it alike; the ranges keep out what one parser accepts and the other
# does not (DuckDB takes 24:00 and +24:00).
EVENT_TIME_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?"
)
_EVENT_TIME = re.compile(EVENT_TIME_PATTERN)


def parse_event_time(raw: Any) -> datetime | None:
    """A time in the eventTime grammar as an aware UTC datetime; None when it is not one.

    The instant is kept: ``12:00:00+02:00`` is 10:00 UTC. A time without a zone is UTC.
    """
    if not isinstance(raw, str) or _EVENT_TIME.fullmatch(raw) is None:
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:  # a date that does not exist (2025-02-30)
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def event_time(record: Record) -> datetime | None:
    """When the event happened: ``eventTime``, else ``@timestamp`` (records shipped through
    Logstash, as in the OTRF datasets), parsed by ``parse_event_time``.

    None means the record has no time: every command treats it alike (docs/logs.md, "Records
    without a time"): it is in no --start/--end window, cannot fall in an alarm period, sorts last.
    """
    when = parse_event_time(record.get("eventTime"))
    return when if when is not None else parse_event_time(record.get("@timestamp"))


def iter_file_bytes(
    files: Files,
    want: KeyFilter,
    stats: ReadStats,
    progress: Callable[[FileRef, int], None] | None = None,
    on_corrupt: Callable[[FileRef, str], None] | None = None,
) -> Iterator[tuple[FileRef, bytes]]:
    """Decompressed contents of every wanted file, in listing order; corrupt ones are recorded
    in ``stats``. Up to ``files.reads_in_flight`` files are read and decompressed ahead on a
    thread pool (a bounded window: memory stays a few files per thread)."""

    def load(ref: FileRef) -> tuple[int, bytes]:
        if ref.size > MAX_FILE_BYTES:  # known from the listing: refused before it is read
            raise ValueError(f"larger than {MAX_FILE_BYTES // 2**20} MiB: not read")
        raw = files.read(ref)
        data = decompress(raw)
        # Exports saved by Windows tools start with a UTF-8 byte-order mark, which no JSON parser
        # here accepts (RFC 8259 section 8.1: parsers MAY ignore it); it is not content.
        return len(raw), data[3:] if data.startswith(UTF8_BOM) else data

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

    in_flight = max(1, files.reads_in_flight)
    with Pool(in_flight, "read") as pool:
        for ref, pending in ordered(pool, load, files.files(want), 2 * in_flight):
            yield from take(ref, pending)


def iter_file_records(
    files: Files,
    want: KeyFilter,
    stats: ReadStats,
    prefilter: Callable[[bytes], bool] | None = None,
) -> Iterator[tuple[FileRef, list[Record]]]:
    """Each readable file's records, in listing order; corrupt files recorded and skipped.

    ``prefilter`` sees a file's decompressed bytes and may reject it without parsing: hunts pass a
    substring test, which is far cheaper than JSON parsing when most files cannot match.
    """
    for ref, data in iter_file_bytes(files, want, stats):
        if prefilter is not None and not prefilter(data):
            continue
        try:
            records = parse_records(data)
        except ValueError as exc:
            stats.corrupt.append((ref.name, str(exc)))
            continue
        yield ref, records
