"""Copy a trail's objects from S3 into the ``--dir`` layout, signatures included.

A plain ``aws s3 sync`` drops S3 user metadata, which is where each digest's signature lives; this
keeps it beside the object as ``<key>.metadata.json`` and records where the copy came from.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trailwarden.concurrency import Pool
from trailwarden.trailstore import layout
from trailwarden.trailstore.layout import fmt_display
from trailwarden.trailstore.source import METADATA_SUFFIX, Source, list_keys

MANIFEST = "trailwarden-evidence.json"


@dataclass(frozen=True)
class Copied:
    objects: int
    bytes: int


def _in_range(key: str, start: datetime | None, end: datetime | None) -> bool:
    """Keep objects whose YYYY/MM/DD folder is within the range (digests up to end + 1 day)."""
    if start is None and end is None:
        return True
    parts = key.split("/")
    for i in range(len(parts) - 3):
        day_text = "/".join(parts[i : i + 3])
        try:
            day = datetime.strptime(day_text, "%Y/%m/%d").replace(tzinfo=UTC)
        except ValueError:
            continue
        if start is not None and day + timedelta(days=1) <= start:
            return False
        return not (end is not None and day > end + timedelta(days=1))
    return True


def download(
    source: Source,
    bucket: str,
    prefix: str,
    dest: Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    max_workers: int = 16,
    trail_arn: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Copied:
    root = layout.root(prefix)
    dest.mkdir(parents=True, exist_ok=True)

    def copy(key: str) -> int:
        obj = source.get_object(bucket, key)
        path = dest / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(obj.body)
        if obj.metadata:
            meta = path.with_name(path.name + METADATA_SUFFIX)
            meta.write_text(json.dumps(obj.metadata, sort_keys=True))
        if progress:
            progress(1, len(obj.body))
        return len(obj.body)

    keys: Iterator[str] = (k for k in list_keys(source, bucket, root) if _in_range(k, start, end))
    with Pool(max_workers, "copy") as pool:
        sizes = list(pool.map(copy, keys))
    manifest = {
        "bucket": bucket,
        "prefix": prefix,
        "trail_arn": trail_arn,
        "start": fmt_display(start) if start else None,
        "end": fmt_display(end) if end else None,
        "downloaded_at": fmt_display(datetime.now(UTC)),
        "objects": len(sizes),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Copied(len(sizes), sum(sizes))


def read_manifest(root: Path) -> dict[str, str | None]:
    path = root / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text())
    except ValueError:
        return {}
    return (
        {k: (str(v) if v is not None else None) for k, v in data.items()}
        if isinstance(data, dict)
        else {}
    )
