"""Reading and writing snapshot files, with one-line errors for anything malformed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.jsonfile import read_document
from trailwarden.snapshot.model import SNAPSHOT_SCHEMA, Snapshot


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    outfile.write_text(path, snapshot.model_dump_json(by_alias=True, indent=1) + "\n")


def load_snapshot(path: Path) -> Snapshot:
    raw = read_document(path, "snapshot", SNAPSHOT_SCHEMA)
    try:
        return Snapshot.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path} is not a valid snapshot: {where}: {first['msg']}") from None
