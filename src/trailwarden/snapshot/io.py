"""Reading and writing snapshot files, with one-line errors for anything malformed."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from trailwarden.errors import UsageError
from trailwarden.snapshot.model import SNAPSHOT_SCHEMA, Snapshot


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    path.write_text(snapshot.model_dump_json(by_alias=True, indent=1) + "\n")


def load_snapshot(path: Path) -> Snapshot:
    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise UsageError(f"snapshot file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read snapshot {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path} is not a trailwarden snapshot (expected a JSON object)")
    schema = raw.get("schema")
    if schema != SNAPSHOT_SCHEMA:
        raise UsageError(
            f"{path} has snapshot schema {schema!r}; this trailwarden reads {SNAPSHOT_SCHEMA!r}"
        )
    try:
        return Snapshot.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path} is not a valid snapshot: {where}: {first['msg']}") from None
