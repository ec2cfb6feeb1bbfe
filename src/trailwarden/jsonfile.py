"""The one bounded reader of JSON and YAML input, with one-line errors.

A leaf: imports only trailwarden.errors (and PyYAML). Everything trailwarden reads as a document
(snapshots, plans, findings, digests, Sigma rules, suppressions, alarm-pattern files) goes
through here, so every reader has the same two limits:

- **Size** (``MAX_DOCUMENT_BYTES``, 256 MiB, or less for a kind that is small by nature): checked
  before the file is read whole, and read no further than the limit (``/dev/zero`` or a
  growing file cannot get past it). Parsing JSON takes several times its size in memory, so a
  256 MiB document already costs about 1-2 GB; the largest file trailwarden writes itself (an
  organisation's snapshot, about 100 KB an account) stays far below it.
- **Depth** (``MAX_DEPTH``, 100 levels): the deepest document trailwarden writes is about 15
  levels (a bucket policy's Condition inside a snapshot) and the deepest CloudTrail record seen
  is about 30. At 100 every recursive walk after the parse (pydantic, PyYAML's composer and
  constructor, the policy and report code) stays far below Python's 1,000-frame limit, so a
  hostile ``[[[[...`` is refused by name instead of ending in a RecursionError traceback.

Each file kind validates its object itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml

from trailwarden.errors import UsageError

MAX_DEPTH = 100
MAX_DOCUMENT_BYTES = 256 * 2**20


class TooDeep(ValueError):
    """A document nested deeper than ``MAX_DEPTH`` (a ``ValueError`` like any malformed JSON)."""

    def __init__(self) -> None:
        super().__init__(f"nested deeper than {MAX_DEPTH} levels")


def depth_of(value: Any) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without
    recursion, stopping as soon as ``MAX_DEPTH`` is passed."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        stack.extend((child, level) for child in children)
    return deepest


def parse_json(text: str | bytes) -> Any:
    """``json.loads`` that refuses documents deeper than ``MAX_DEPTH`` with ``TooDeep``
    (``json.JSONDecodeError`` for anything else malformed)."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise TooDeep() from None
    if depth_of(value) > MAX_DEPTH:
        raise TooDeep()
    return value


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing nodes deeper than ``MAX_DEPTH`` while composing (the
    composer and constructor both recurse once a level)."""

    def __init__(self, stream: str | bytes) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooDeep()
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def parse_yaml_all(text: str | bytes) -> list[Any]:
    """Every document of a YAML stream (``TooDeep`` past ``MAX_DEPTH``; ``yaml.YAMLError`` or
    ``ValueError`` for anything else malformed)."""
    try:
        return list(yaml.load_all(text, Loader=_BoundedLoader))
    except RecursionError:
        raise TooDeep() from None


def parse_yaml(text: str | bytes) -> Any:
    """The single document of a YAML stream (``None`` when empty); see ``parse_yaml_all``."""
    documents = parse_yaml_all(text)
    if len(documents) > 1:
        raise yaml.YAMLError("expected a single document in the stream")
    return documents[0] if documents else None


def read_limited(path: Path, kind: str, limit: int = MAX_DOCUMENT_BYTES) -> bytes:
    """The bytes of ``path``, refused with a one-line ``UsageError`` (naming the limit) when
    there are more than ``limit``, before they are read whole."""
    try:
        with path.open("rb") as handle:
            # A file's size is known before reading; a device or pipe is cut at the limit.
            if os.fstat(handle.fileno()).st_size > limit:
                raise UsageError(f"{kind} {path} is larger than {_size(limit)}: refused")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise UsageError(f"{kind} file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"cannot read {kind} {path}: it is a folder") from None
    except OSError as exc:
        raise UsageError(f"cannot read {kind} {path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise UsageError(f"{kind} {path} is larger than {_size(limit)}: refused")
    return data


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit // 1024} KiB"


def read_document(path: Path, kind: str, schema: str, *older: str) -> dict[str, Any]:
    """The JSON object in ``path``, once it is known to be a ``kind`` file of ``schema`` (or of
    an ``older`` schema the caller still reads); anything unreadable, too large, too deep,
    malformed or of another schema is a one-line ``UsageError``."""
    data = read_limited(path, kind)
    try:
        raw = parse_json(data)
    except TooDeep as exc:
        raise UsageError(f"{path} is not a trailwarden {kind}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON (line {exc.lineno}: {exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"cannot read {kind} {path}: {exc}") from None
    if not isinstance(raw, dict):
        raise UsageError(f"{path} is not a trailwarden {kind} (expected a JSON object)")
    if raw.get("schema") not in (schema, *older):
        raise UsageError(
            f"{path} has {kind} schema {raw.get('schema')!r}; this trailwarden reads {schema!r}"
        )
    return raw
