"""What every renderer shares: a finding's stable identity, its effective status, control titles.

Renderers read findings as the ``trailwarden.findings/2`` dictionaries (a /1 file reads the
same), never the typed findings, so a report can be rendered again from a saved file; a status
they do not know passes through.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import json
import operator
import re
from collections.abc import Callable, Iterable, Iterator
from json.encoder import encode_basestring, encode_basestring_ascii
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
COMPACT = json.JSONEncoder(ensure_ascii=False, default=str).encode
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
        yield COMPACT(list(value) if isinstance(value, Items) else value)
        return
    inner = indent + "  "
    if isinstance(value, dict):
        yield "{\n"
        for n, (k, v) in enumerate(value.items()):
            yield (",\n" if n else "") + f"{inner}{json.dumps(k)}: "
            yield from iter_dumps(v, depth - 1, inner)
        yield "\n" + indent + "}"
        return
    if depth == 1:  # the leaves: one compact encoding a line
        encoded = value.encoded if isinstance(value, Items) else False
        yield from json_list(value if encoded else map(COMPACT, value), indent)
        return
    yield "[\n"
    for n, v in enumerate(value):
        yield ",\n" + inner if n else inner
        yield from iter_dumps(v, depth - 1, inner)
    yield "\n" + indent + "]"


def json_list(texts: Iterable[str], indent: str = "") -> Iterator[str]:
    """A list of items already encoded, one an indented line, in batches (``dumps``'s layout
    one level above the leaves)."""
    inner = indent + "  "
    rest = iter(texts)
    first = next(rest, None)
    if first is None:
        yield "[]"
        return
    yield "[\n"
    # Separator and item as two pieces: joined once with the batch, never copied item by item.
    sep = ",\n" + inner
    pieces = itertools.chain.from_iterable((sep, t) for t in rest)
    yield from batched(itertools.chain((inner, first), pieces), 2 * BATCH)
    yield "\n" + indent + "]"


class Items:
    """A list written by ``iter_dumps`` as its items are made, never held whole; ``encoded``:
    the items are JSON texts already."""

    def __init__(self, items: Iterable[Any], encoded: bool = False) -> None:
        self.encoded = encoded
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


# The texts of a finding that differ finding by finding; the rest is its shape's (ShapedJson).
TEXTS = ("reason", "resource", "account", "root_cause")
# A finding's value while its shape's JSON is made: NUL never occurs in a real finding's text.
_STAND_IN = "\x00trailwarden-value-{}\x00"


class ShapedJson:
    """A finding's JSON text, made from the text of its shape instead of encoded whole.

    Most of an ASFF, OCSF or SARIF finding depends on its control, status and Region alone; only
    a few texts (``fields``: reason, resource, account, ...) differ per finding. So the
    renderer's own ``build`` runs once per shape, on the finding with stand-ins for those texts,
    and each finding's text is that JSON with its own texts escaped into the stand-ins' places
    (JSON escapes a text character by character, so a text escaped inside a longer one reads
    the same). ``derived`` are values worked out from the fields (a finding's uid). A shape is
    every other key and value of the finding. ``build`` must write each field's text as it is
    (or cut beyond ``longest``): a shape's JSON is checked against the whole encoding of the
    first finding that has it, which catches most builds that do more, not every one. A shape
    whose check fails, or a finding with a field that is not a non-empty text of at most
    ``longest`` characters, is encoded whole.
    """

    SHAPES = 10_000  # shapes (and layouts, escaped texts) kept; forgotten all at once beyond

    def __init__(
        self,
        build: Callable[[dict[str, Any]], Any],
        encode: Callable[[Any], str],
        fields: tuple[str, ...],
        derived: tuple[Callable[[dict[str, Any]], str], ...] = (),
        longest: int = 512,
    ) -> None:
        self._build, self._encode = build, encode
        self._fields, self._derived, self._longest = fields, derived, longest
        self._field_set = frozenset(fields)
        # The escaper the encoder uses: with ensure_ascii or without.
        self._escape = (
            encode_basestring_ascii if encode("\u00e9") == '"\\u00e9"' else encode_basestring
        )
        self._forms: dict[tuple[Any, ...], _Form | None] = {}
        # A non-text value of a shape (compliance, suppressed) by identity, the value held so
        # its identity cannot pass to another while it is remembered.
        self._reprs: dict[int, tuple[Any, str]] = {}
        self._escaped: dict[str, str] = {}
        self._layouts: dict[tuple[str, ...], tuple[int, list[str]]] = {}
        self._numbers = itertools.count()

    def __call__(self, f: dict[str, Any]) -> str:
        values: list[Any] = [f.get(k) for k in self._fields]
        longest = self._longest
        for v in values:
            if type(v) is not str or not 0 < len(v) <= longest:
                return self._encode(self._build(f))
        shape = self._shape(f)
        form = self._forms.get(shape, _UNKNOWN)
        if form is _UNKNOWN:
            if len(self._forms) >= self.SHAPES:
                self._forms.clear()
            form = self._forms[shape] = self._form(f, values)
        if form is None:
            return self._encode(self._build(f))
        return form.fill(self._texts(f, values))

    def _shape(self, f: dict[str, Any]) -> tuple[Any, ...]:
        keys = tuple(f)  # which keys, in which order: a layout, numbered when first seen
        layout = self._layouts.get(keys)
        if layout is None:
            if len(self._layouts) >= self.SHAPES:
                self._layouts.clear()  # numbers are never reused: no shape can be mistaken
            others = [k for k in keys if k not in self._field_set]
            layout = self._layouts[keys] = (next(self._numbers), others)
        number, others = layout
        return (
            number,
            *[v if type(v) is str else self._repr(v) for v in map(f.__getitem__, others)],
        )

    def _repr(self, value: Any) -> str:
        known = self._reprs.get(id(value))
        if known is None:
            if len(self._reprs) >= self.SHAPES:
                self._reprs.clear()
            known = self._reprs[id(value)] = (value, repr(value))
        return known[1]

    def _form(self, f: dict[str, Any], values: list[Any]) -> _Form | None:
        stand_in = dict(f)
        for n, k in enumerate(self._fields):
            stand_in[k] = _STAND_IN.format(n)
        tokens = [_STAND_IN.format(n) for n in range(len(self._fields))]
        tokens += [d(stand_in) for d in self._derived]
        escaped = {self._escape(t)[1:-1]: n for n, t in enumerate(tokens)}
        order: list[int] = []

        def slot(match: re.Match[str]) -> str:
            order.append(escaped[match.group()])
            return "%s"

        # printf-style: its template is scanned for "%" alone, rare in JSON (str.format also
        # stops at every brace of it), and the texts go in by the order they appear.
        pattern = re.compile("|".join(map(re.escape, escaped)))
        text = pattern.sub(slot, self._encode(self._build(stand_in)).replace("%", "%%"))
        form = _Form(text, order)
        if form.fill(self._texts(f, values)) != self._encode(self._build(f)):
            return None  # a field the build does more with than write it: never shaped
        return form

    def _texts(self, f: dict[str, Any], values: list[Any]) -> list[str]:
        # An account's texts recur in all its findings: each escaped once.
        known = self._escaped
        texts = [known.get(v) or self._escaped_text(v) for v in values]
        escape = self._escape
        return texts + [escape(d(f))[1:-1] for d in self._derived]

    def _escaped_text(self, text: str) -> str:
        if len(self._escaped) >= self.SHAPES:
            self._escaped.clear()
        escaped: str = self._escape(text)[1:-1]
        self._escaped[text] = escaped
        return escaped


class _Form:
    """A shape's JSON with ``%s`` where each text goes, ``order`` saying which text."""

    def __init__(self, text: str, order: list[int]) -> None:
        self._text = text
        if len(order) == 1:
            only = order[0]
            self._pick: Callable[[list[str]], tuple[str, ...]] = lambda texts: (texts[only],)
        else:
            self._pick = operator.itemgetter(*order) if order else (lambda texts: ())

    def fill(self, texts: list[str]) -> str:
        return self._text % self._pick(texts)


_UNKNOWN = _Form("", [])  # a shape not seen yet
