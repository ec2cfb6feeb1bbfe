"""Reading trailwarden's input files (its own versioned JSON files: snapshots, plans; and the
text of others, such as suppressions), with one-line errors.

A leaf: imports only trailwarden.errors. Each file kind validates its object itself.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trailwarden.errors import UsageError


def read_text(path: Path, kind: str) -> str:
    """The text of one of trailwarden's input files (``kind`` names it in the error): a missing
    or unreadable file, or one that is not UTF-8, is a one-line ``UsageError``."""
    try:
        return path.read_text()
    except FileNotFoundError:
        raise UsageError(f"{kind} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {kind} {path}: {exc}") from None


def read_document(path: Path, kind: str, schema: str, *older: str) -> dict[str, Any]:
    """The JSON object in ``path``, once it is known to be a ``kind`` file of ``schema`` (or of
    an ``older`` schema the caller still reads); anything unreadable, malformed or of another
    schema is a one-line ``UsageError``."""
    text = read_text(path, kind)
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path} is not a trailwarden {kind} (expected a JSON object)")
    if raw.get("schema") not in (schema, *older):
        raise UsageError(
            f"{path} has {kind} schema {raw.get('schema')!r}; this trailwarden reads {schema!r}"
        )
    return raw
