"""The CloudTrail files ``trailwarden filter test`` evaluates a pattern on, read by trailstore.

A file, or a folder walked like ``trailwarden logs`` walks one (the S3 key layout when it has
one, digests and Insights left out; otherwise every .json/.jsonl/.ndjson file, optionally .gz,
in key order). Reading is trailstore's one record reader: every file shape, gzip by content,
and a corrupt file is skipped and listed, as every command does. The caller skips walked files
that hold no CloudTrail record (a manifest next to the logs).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from trailwarden.errors import UsageError
from trailwarden.trailstore.files import ALL_LOG_FILES, FileRef, KeyFilter, open_files
from trailwarden.trailstore.records import ReadStats, Record, iter_file_records


class EventFiles:
    """The files under a path, listed once (so a progress display knows how many)."""

    def __init__(self, path: Path) -> None:
        if not path.exists():
            raise UsageError(f"{path}: no such file or directory")
        if not (path.is_file() or path.is_dir()):  # /dev/zero, a pipe: never ends, holds no files
            raise UsageError(f"{path}: not a file or a folder of CloudTrail records")
        self._trail = open_files(str(path))
        self.reads_in_flight = self._trail.reads_in_flight
        self.refs = list(self._trail.files(ALL_LOG_FILES))
        if not self.refs:
            raise UsageError(f"{path}: no .json, .jsonl or .ndjson files (optionally .gz) found")

    def __len__(self) -> int:
        return len(self.refs)

    def files(self, want: KeyFilter) -> Iterator[FileRef]:
        return iter(self.refs)

    def read(self, ref: FileRef) -> bytes:
        return self._trail.read(ref)


def read_events(files: EventFiles, stats: ReadStats) -> Iterator[tuple[FileRef, list[Record]]]:
    """Each file's records in file order; corrupt files are listed in ``stats.corrupt``."""
    return iter_file_records(files, ALL_LOG_FILES, stats)


def looks_like_cloudtrail(records: list[dict[str, Any]]) -> bool:
    """Every CloudTrail record has eventVersion; a directory may hold other JSON (manifests...)."""
    return any("eventVersion" in record for record in records)
