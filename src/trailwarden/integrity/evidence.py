"""Copy a trail's objects from S3 into the ``--dir`` layout, signatures included.

A plain ``aws s3 sync`` drops S3 user metadata, which is where each digest's signature lives; this
keeps it beside the object as ``<key>.metadata.json`` and records where the copy came from.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trailwarden import outfile
from trailwarden.concurrency import Pool
from trailwarden.errors import UsageError
from trailwarden.jsonfile import parse_json, read_limited
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
    """Copy into ``dest``; each file is written whole or not at all (``outfile``), and a copy
    that fails leaves no folder it created behind empty."""
    root = layout.root(prefix)
    created = _make_folder(dest)
    try:
        copied = _copy_all(source, bucket, root, dest, start, end, max_workers, progress)
        manifest = {
            "bucket": bucket,
            "prefix": prefix,
            "trail_arn": trail_arn,
            "start": fmt_display(start) if start else None,
            "end": fmt_display(end) if end else None,
            "downloaded_at": fmt_display(datetime.now(UTC)),
            "objects": copied.objects,
        }
        outfile.write_text(dest / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    except BaseException:
        _remove_empty(dest, created)
        raise
    return copied


def _make_folder(dest: Path) -> Path | None:
    """Create ``dest`` (one-line error when it cannot be); the top-most folder this created,
    ``None`` when ``dest`` was already there."""
    if dest.exists() and not dest.is_dir():
        raise UsageError(f"cannot write into {dest}: not a folder")
    top = None
    for folder in (dest, *dest.parents):
        if folder.exists():
            break
        top = folder
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise outfile.cannot_write(dest, exc) from None
    return top


def _remove_empty(dest: Path, created: Path | None) -> None:
    """Remove the empty folders a failed copy left: under ``dest``, and the folders this copy
    created up to ``dest``. Files already copied stay (and so do their folders)."""
    if not dest.is_dir():
        return
    for folder, _, _ in sorted(os.walk(dest), key=lambda w: -len(w[0])):
        if Path(folder) != dest:
            with contextlib.suppress(OSError):
                Path(folder).rmdir()  # only succeeds on an empty folder
    if created is None:
        return
    for made in (dest, *dest.parents):
        try:
            made.rmdir()
        except OSError:
            return
        if made == created:
            return


def _copy_all(
    source: Source,
    bucket: str,
    root: str,
    dest: Path,
    start: datetime | None,
    end: datetime | None,
    max_workers: int,
    progress: Callable[[int, int], None] | None,
) -> Copied:
    top = dest.resolve()

    def copy(key: str) -> int:
        path = dest / key
        if not path.resolve().is_relative_to(top):
            # A key is the bucket writer's choice: "../" must not reach outside --dir.
            raise UsageError(f"refusing object s3://{bucket}/{key}: it would land outside {dest}")
        obj = source.get_object(bucket, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise outfile.cannot_write(path.parent, exc) from None
        outfile.write_bytes(path, obj.body)
        if obj.metadata:
            meta = path.with_name(path.name + METADATA_SUFFIX)
            outfile.write_text(meta, json.dumps(obj.metadata, sort_keys=True))
        if progress:
            progress(1, len(obj.body))
        return len(obj.body)

    keys: Iterator[str] = (k for k in list_keys(source, bucket, root) if _in_range(k, start, end))
    with Pool(max_workers, "copy") as pool:
        sizes = list(pool.map(copy, keys))
    return Copied(len(sizes), sum(sizes))


def read_manifest(root: Path) -> dict[str, str | None]:
    path = root / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = parse_json(read_limited(path, "manifest", 2**20))
    except (ValueError, UsageError):
        return {}
    return (
        {k: (str(v) if v is not None else None) for k, v in data.items()}
        if isinstance(data, dict)
        else {}
    )
