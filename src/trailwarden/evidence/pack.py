"""The evidence pack: a folder of reports with ``manifest.json`` holding each file's SHA-256,
written whole or not at all, and rechecked by ``verify``.

The folder is written under a temporary name beside the destination and renamed into place, so
an interrupted run leaves no half pack where a reader expects one. Pure: the standard library.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trailwarden.errors import TrailwardenError, UsageError

MANIFEST = "manifest.json"
SCHEMA = "trailwarden.evidence-pack/1"


class PackChanged(TrailwardenError):
    """A pack's file differs from its manifest, or is missing: the evidence cannot be relied on."""

    exit_code = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(
    files: dict[str, bytes], version: str, command: list[str], created: datetime | None = None
) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "trailwarden_version": version,
        "command": list(command),
        "created_at": (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": {
            name: {"sha256": sha256(body), "bytes": len(body)}
            for name, body in sorted(files.items())
        },
    }


def _checked_name(name: str) -> str:
    parts = name.split("/")
    if name == MANIFEST or not name or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"not a pack file name: {name!r}")
    return name


def write_pack(out: Path, files: dict[str, bytes], version: str, command: list[str]) -> Path:
    """Write ``files`` (relative name -> contents) and the manifest into ``out``, which must not
    exist yet: built in a temporary folder beside it, then renamed."""
    if out.exists():
        raise UsageError(f"--out {out}: already exists (an evidence pack is never overwritten)")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise UsageError(f"--out {out}: folder {parent} does not exist")
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    except OSError as exc:
        raise UsageError(f"cannot write {out}: {exc.strerror or exc}") from None
    try:
        for name, body in files.items():
            path = tmp / _checked_name(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        doc = manifest(files, version, command)
        (tmp / MANIFEST).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


@dataclass(frozen=True)
class Verified:
    files: int
    version: str
    created_at: str


def verify_pack(folder: Path) -> Verified:
    """Recheck every file against the manifest; PackChanged names what changed or is missing
    (and files the manifest does not list)."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder")
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackChanged(f"{folder}: {MANIFEST} is missing") from None
    except (OSError, ValueError) as exc:
        raise PackChanged(f"{folder}: {MANIFEST} is unreadable ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise PackChanged(f"{path}: not a {SCHEMA} manifest")
    listed = doc.get("files")
    if not isinstance(listed, dict):
        raise PackChanged(f"{path}: 'files' must be an object")
    changed, missing = [], []
    for name, entry in sorted(listed.items()):
        try:
            body = (folder / _checked_name(name)).read_bytes()
        except (FileNotFoundError, ValueError):
            missing.append(name)
            continue
        if not isinstance(entry, dict) or sha256(body) != entry.get("sha256"):
            changed.append(name)
    extra = sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MANIFEST and p.relative_to(folder).as_posix() not in listed
    )
    problems = [
        f"{what}: {', '.join(names)}"
        for what, names in (("changed", changed), ("missing", missing), ("not listed", extra))
        if names
    ]
    if problems:
        raise PackChanged(f"{folder}: {'; '.join(problems)}")
    return Verified(len(listed), str(doc.get("trailwarden_version")), str(doc.get("created_at")))
