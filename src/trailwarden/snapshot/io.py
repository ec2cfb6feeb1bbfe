"""Reading and writing snapshot files, with one-line errors for anything malformed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.jsonfile import read_document
from trailwarden.snapshot.model import SNAPSHOT_SCHEMA, Snapshot

# The snapshot's long lists, written an element at a time.
_STREAMED = ("accounts", "regions", "errors")


def save_snapshot(snapshot: Snapshot, path: Path) -> None:
    """Written atomically, one account (Region, error) at a time: a scan of a thousand accounts
    never holds its whole JSON text beside the snapshot. The bytes are
    ``model_dump_json(by_alias=True, indent=1)`` plus a newline, exactly."""
    with outfile.atomic(path) as out:
        for chunk in snapshot_chunks(snapshot):
            out.write(chunk)


def snapshot_chunks(snapshot: Snapshot) -> Iterator[str]:
    """The snapshot's JSON text in pieces of about one element each."""
    empty: dict[str, list[Any]] = {name: [] for name in _STREAMED}
    skeleton = snapshot.model_copy(update=empty).model_dump_json(by_alias=True, indent=1)
    rest = skeleton + "\n"
    for name in _STREAMED:
        marker = f'\n "{name}": []'  # one space: a field of the top-level object only
        before, found, rest = rest.partition(marker)
        if not found:
            raise ValueError(f"snapshot JSON without a top-level {name!r} list")
        yield before
        items: list[Any] = getattr(snapshot, name)
        if not items:
            yield marker
            continue
        yield f'\n "{name}": ['
        for index, item in enumerate(items):
            text = item.model_dump_json(by_alias=True, indent=1)
            yield ("," if index else "") + "\n  " + text.replace("\n", "\n  ")
        yield "\n ]"
    yield rest


def load_snapshot(path: Path) -> Snapshot:
    raw = read_document(path, "snapshot", SNAPSHOT_SCHEMA)
    try:
        return Snapshot.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"{path} is not a valid snapshot: {where}: {first['msg']}") from None
