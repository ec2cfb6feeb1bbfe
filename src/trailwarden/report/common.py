"""What every renderer shares: a finding's stable identity, its effective status, control titles.

Renderers read findings as the ``trailwarden.findings/2`` dictionaries (a /1 file reads the
same), never the typed findings, so a report can be rendered again from a saved file; a status
they do not know passes through.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from trailwarden import __version__

TOOL = "trailwarden"
VERSION = __version__
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL")


def finding_uid(f: dict[str, Any]) -> str:
    """The same for the same control on the same resource in the same account and Region, scan
    after scan: what lets Security Hub update a finding instead of adding a duplicate."""
    key = "|".join((f["control"], f["account"], f["region"], f["resource"]))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def effective_status(f: dict[str, Any]) -> str:
    """The status that decides whether work is needed: a suppressed failure is SUPPRESSED."""
    status: str = f["status"]
    return "SUPPRESSED" if status == "FAILED" and f.get("suppressed") else status


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


@functools.cache
def control_titles() -> dict[str, str]:
    from trailwarden.controls import REGISTRY

    return {cid: c.meta.title for cid, c in REGISTRY.items()}


def control_title(control: str) -> str:
    return control_titles().get(control, control)


@functools.cache
def _steps() -> dict[str, str]:
    from trailwarden.controls import REGISTRY

    return {cid: c.meta.remediation.step for cid, c in REGISTRY.items()}


def fix_steps(findings: list[dict[str, Any]]) -> list[str]:
    """The short steps that clear these findings, once each (the full remediation when a control
    is not known to this trailwarden)."""
    steps = _steps()
    return list(
        dict.fromkeys(steps.get(f["control"]) or f.get("remediation") or "" for f in findings)
    )


def control_sort_key(control: str) -> tuple[str, int]:
    family, _, number = control.partition(".")
    return family, int(number) if number.isdigit() else 0


def failing(doc: dict[str, Any], threshold: str) -> list[dict[str, Any]]:
    """Unsuppressed FAILED findings at or above ``threshold`` (what ``--fail-on`` counts)."""
    limit = severity_rank(threshold)
    return [
        f
        for f in doc["findings"]
        if effective_status(f) == "FAILED" and severity_rank(f["severity"]) <= limit
    ]


# How Security Hub spells each framework in RelatedRequirements; the findings' own keys are short.
_REQUIREMENT_PREFIX = {
    "CIS": "CIS AWS Foundations Benchmark {}",
    "NIST 800-53 r5": "NIST.800-53.r5 {}",
    "PCI DSS": "PCI DSS {}",
}


def related_requirements(f: dict[str, Any]) -> list[str]:
    """The finding's requirements as Security Hub writes them (``PCI DSS v3.2.1/10.5.2``)."""
    compliance: dict[str, list[str]] = f.get("compliance") or {}
    return [
        _REQUIREMENT_PREFIX.get(name, name + " {}").format(req)
        for name, reqs in compliance.items()
        for req in reqs
    ]


# One encoder for every call: json.dumps with any option builds a new encoder each time.
_COMPACT = json.JSONEncoder(ensure_ascii=False, default=str).encode
# How many findings' lines go into one piece of a streamed report: few large writes to the
# file, while no more than a few MB of the report is ever held.
BATCH = 2048


def batched(lines: Iterable[str], size: int = BATCH) -> Iterator[str]:
    """``lines`` joined in runs of ``size``."""
    batch: list[str] = []
    for text in lines:
        batch.append(text)
        if len(batch) >= size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


def dumps(value: Any, depth: int, indent: str = "") -> str:
    """JSON indented for ``depth`` levels and compact below, so a list of findings reads one
    finding per line (``iter_dumps`` whole)."""
    return "".join(iter_dumps(value, depth, indent))


def iter_dumps(value: Any, depth: int, indent: str = "") -> Iterator[str]:
    """``dumps`` in pieces, for writing a report as it is made: a thousand accounts' report is
    hundreds of MB, more than the findings it is made of. Python's JSON encoder is fast only
    without indentation, so each item below ``depth`` is one compact encoding. A list may be
    given as an iterator (``Items``), so its items are made only as they are written."""
    if depth <= 0 or not isinstance(value, dict | list | Items) or not value:
        yield _COMPACT(list(value) if isinstance(value, Items) else value)
        return
    inner = indent + "  "
    if isinstance(value, dict):
        yield "{\n"
        for n, (k, v) in enumerate(value.items()):
            yield (",\n" if n else "") + f"{inner}{json.dumps(k)}: "
            yield from iter_dumps(v, depth - 1, inner)
        yield "\n" + indent + "}"
        return
    yield "[\n"
    if depth == 1:  # the leaves: one compact encoding a line, joined in batches
        yield from batched((",\n" if n else "") + inner + _COMPACT(v) for n, v in enumerate(value))
    else:
        for n, v in enumerate(value):
            yield ",\n" + inner if n else inner
            yield from iter_dumps(v, depth - 1, inner)
    yield "\n" + indent + "]"


class Items:
    """A list written by ``iter_dumps`` as its items are made, never held whole."""

    def __init__(self, items: Iterable[Any]) -> None:
        self._items = iter(items)
        self._first = next(self._items, _NOTHING)

    def __bool__(self) -> bool:
        return self._first is not _NOTHING

    def __iter__(self) -> Iterator[Any]:
        if self._first is not _NOTHING:
            yield self._first
            self._first = _NOTHING
        yield from self._items


_NOTHING = object()


class PerControl:
    """What depends on the control alone, worked out once per control instead of per finding."""

    def __init__(self) -> None:
        self._requirements: dict[str, list[str]] = {}
        self._joined: dict[str, str] = {}

    def requirements(self, f: dict[str, Any]) -> list[str]:
        known = self._requirements.get(f["control"])
        if known is None:
            known = self._requirements[f["control"]] = related_requirements(f)
        return known

    def joined(self, f: dict[str, Any], separator: str) -> str:
        """``requirements`` as one text (one separator per renderer)."""
        known = self._joined.get(f["control"])
        if known is None:
            known = self._joined[f["control"]] = separator.join(self.requirements(f))
        return known
