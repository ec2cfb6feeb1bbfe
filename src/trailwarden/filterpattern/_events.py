"""A small private reader of CloudTrail event files for ``trailwarden filter test``.

(The full log reader lives in trailwarden.logs; this one only needs records in input order.)
Accepts gzipped or plain files holding ``{"Records": [...]}``, a JSON array of records, one
record, or JSON lines of any of those. A directory is walked recursively in sorted path order,
reading *.json, *.jsonl, *.ndjson (optionally .gz) and skipping CloudTrail-Digest trees, whose
files are signatures, not events; the caller skips walked files that hold no CloudTrail record.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trailwarden.errors import UsageError

_SUFFIXES = (".json", ".jsonl", ".ndjson")


def event_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise UsageError(f"{path}: no such file or directory")
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.name.removesuffix(".gz").endswith(_SUFFIXES)
        and "CloudTrail-Digest" not in p.relative_to(path).parts
    )
    if not files:
        raise UsageError(f"{path}: no .json, .jsonl or .ndjson files (optionally .gz) found")
    return files


def looks_like_cloudtrail(records: list[dict[str, Any]]) -> bool:
    """Every CloudTrail record has eventVersion; a directory may hold other JSON (manifests...)."""
    return any("eventVersion" in record for record in records)


def read_file(file: Path) -> list[dict[str, Any]]:
    """All records of one file, in file order."""
    return list(_read_file(file))


def _read_file(file: Path) -> Iterator[dict[str, Any]]:
    raw = file.read_bytes()
    try:
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        text = raw.decode("utf-8")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise UsageError(f"{file}: not readable as (gzipped) UTF-8 text: {exc}") from None
    if not text.strip():
        return
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        pass  # not one document: JSON lines
    else:
        yield from _records(document, f"{file}")
        return
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            document = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{file}:{number}: not JSON ({exc.msg})") from None
        yield from _records(document, f"{file}:{number}")


def _records(document: Any, where: str) -> Iterator[dict[str, Any]]:
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        records = document["Records"]
    elif isinstance(document, list):
        records = document
    elif isinstance(document, dict):
        records = [document]
    else:
        raise UsageError(
            f"{where}: expected CloudTrail records, found a JSON {type(document).__name__}"
        )
    for record in records:
        if not isinstance(record, dict):
            raise UsageError(f"{where}: a record is a JSON {type(record).__name__}, not an object")
        yield record
