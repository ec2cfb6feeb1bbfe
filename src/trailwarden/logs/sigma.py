"""Sigma rules (``logsource: product aws, service cloudtrail``) evaluated over CloudTrail records.

The subset implemented is what SigmaHQ's CloudTrail rules use, and a little more:
- search identifiers that are maps (all fields must match), lists of maps (any map), or lists of
  keywords (any string anywhere in the record);
- a list of values means any of them, ``|all`` means all of them; ``null`` means missing or null;
- modifiers ``contains``, ``startswith``, ``endswith``, ``all``, ``re``, ``cased``, ``exists``,
  ``fieldref``, ``lt``/``lte``/``gt``/``gte``; plain values honour ``*``/``?`` wildcards and
  match case-insensitively, as Sigma specifies;
- conditions with ``and``/``or``/``not``/parentheses, ``1 of x*``, ``all of x*``, ``1 of them``,
  ``all of them``; a list of conditions means any of them.
Dotted field names walk nested objects and lists (any element); a field holding an object is
matched on its compact JSON text, non-ASCII characters as they are (never ``\\u`` escapes), as SIEMs
that store CloudTrail's blobs as strings do.
Anything else (aggregations, unknown modifiers) is a load error naming the rule and the feature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from trailwarden.errors import UsageError
from trailwarden.jsonfile import TooDeep, parse_yaml_all, read_limited
from trailwarden.trailstore.records import Record

# A Sigma rule is a page of YAML (the SigmaHQ repository's largest is under 50 KB).
RULE_BYTES = 2**20

Matcher = Callable[[Record], bool]
_MISSING = object()


class SigmaError(ValueError):
    """A rule that cannot be loaded: the message names the file and the reason."""


@dataclass(frozen=True)
class Rule:
    path: Path
    id: str
    title: str
    level: str
    match: Matcher


def load_rules(folder: Path) -> tuple[list[Rule], list[tuple[Path, str]]]:
    """All CloudTrail rules under ``folder``; (rules, [(file, why it was skipped or failed)])."""
    rules: list[Rule] = []
    problems: list[tuple[Path, str]] = []
    files = sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")])
    for path in files:
        try:
            text = read_limited(path, "Sigma rule", RULE_BYTES).decode("utf-8-sig")
            docs = rule_documents(parse_yaml_all(text))
        except (yaml.YAMLError, UnicodeDecodeError, TooDeep) as exc:
            problems.append((path, f"not YAML: {str(exc).splitlines()[0]}"))
            continue
        except UsageError as exc:  # unreadable or too large: listed like a corrupt rule
            problems.append((path, str(exc)))
            continue
        except SigmaError as exc:
            problems.append((path, str(exc)))
            continue
        for number, doc in enumerate(docs, start=1):
            where = f" (document {number})" if len(docs) > 1 else ""
            rule = _rule(path, doc, where, problems)
            if rule is not None:
                rules.append(rule)
    return rules, problems


def _rule(path: Path, doc: Any, where: str, problems: list[tuple[Path, str]]) -> Rule | None:
    if not isinstance(doc, dict) or "detection" not in doc:
        problems.append((path, f"not a Sigma rule (no detection){where}"))
        return None
    src = doc.get("logsource") or {}
    if src.get("product") != "aws" or src.get("service") != "cloudtrail":
        problems.append((path, f"skipped: logsource is not aws/cloudtrail{where}"))
        return None
    try:
        match = compile_detection(doc["detection"])
    except SigmaError as exc:
        problems.append((path, f"{exc}{where}"))
        return None
    return Rule(
        path,
        str(doc.get("id", path.stem)),
        str(doc.get("title", path.stem)),
        str(doc.get("level", "")),
        match,
    )


def _merged(base: Any, over: Any) -> Any:
    """``over`` merged into ``base``: maps member by member, anything else replaced."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for key, value in over.items():
            out[key] = _merged(base[key], value) if key in base else value
        return out
    return over


def rule_documents(docs: list[Any]) -> list[Any]:
    """The rules a YAML file holds: one per document, with Sigma's rule-collection actions.

    Sigma's specification (1.0, "Rule Collections"): ``action: global`` is merged into every
    following document, ``action: reset`` forgets it, ``action: repeat`` is the previous rule
    with the document's members merged in. Empty documents (a trailing ``---``) are skipped.
    """
    out: list[Any] = []
    glob: Any = {}
    previous: Any = None
    for doc in docs:
        if doc is None:
            continue
        action = doc.pop("action", None) if isinstance(doc, dict) else None
        if action == "global":
            glob = _merged(glob, doc)
        elif action == "reset":
            glob = {}
        elif action == "repeat":
            if previous is None:
                raise SigmaError("action: repeat with no rule before it")
            previous = _merged(previous, doc)
            out.append(previous)
        elif action is None:
            previous = _merged(glob, doc) if isinstance(doc, dict) else doc
            out.append(previous)
        else:
            raise SigmaError(f"unknown rule-collection action {action!r}")
    return out


# ---------------------------------------------------------------- values and fields


def _field_values(rec: Any, path: list[str]) -> list[Any]:
    """Every value at a dotted path (lists fan out); [_MISSING] when the path does not exist."""
    current = [rec]
    for key in path:
        nxt: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for it in items:
                if isinstance(it, dict) and key in it:
                    nxt.append(it[key])
        if not nxt:
            return [_MISSING]
        current = nxt
    # A list value means its elements (an empty list has no value to match).
    flat: list[Any] = []
    for value in current:
        flat.extend(value if isinstance(value, list) else [value])
    return flat


def _as_text(value: Any) -> str | None:
    if value is _MISSING or value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        # The text as the record holds it: "café", not "caf\u00e9" (json's ASCII default), so a
        # rule's |contains on an object-valued field finds non-ASCII text on every path.
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _wildcard(pattern: str, prefix: bool, suffix: bool) -> str:
    """A Sigma string (``*``/``?`` wildcards, backslash escapes) as a regex."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*?\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
        i += 1
    return ("(?:.*)" if prefix else "") + "".join(out) + ("(?:.*)" if suffix else "")


_MODIFIERS = {
    "contains",
    "startswith",
    "endswith",
    "all",
    "re",
    "cased",
    "exists",
    "fieldref",
    "lt",
    "lte",
    "gt",
    "gte",
    "i",
    "m",
    "s",
}


def _value_test(value: Any, mods: set[str]) -> Callable[[Any], bool]:
    """A test of one field value against one expected value."""
    if value is None:
        return lambda v: v is _MISSING or v is None
    if "re" in mods:
        flags = (re.IGNORECASE if "i" in mods else 0) | (re.MULTILINE if "m" in mods else 0)
        flags |= re.DOTALL if "s" in mods else 0
        try:
            rx = re.compile(str(value), flags)
        except re.error as exc:
            raise SigmaError(f"bad regular expression {value!r}: {exc}") from None
        return lambda v: (t := _as_text(v)) is not None and rx.search(t) is not None
    for op in ("lt", "lte", "gt", "gte"):
        if op in mods:
            return _compare(op, value)
    text = _as_text(value) or ""
    pattern = _wildcard(
        text,
        prefix="contains" in mods or "endswith" in mods,
        suffix="contains" in mods or "startswith" in mods,
    )
    rx = re.compile(pattern, re.DOTALL | (0 if "cased" in mods else re.IGNORECASE))
    return lambda v: (t := _as_text(v)) is not None and rx.fullmatch(t) is not None


def _compare(op: str, value: Any) -> Callable[[Any], bool]:
    try:
        limit = float(value)
    except (TypeError, ValueError):
        raise SigmaError(f"|{op} needs a number, got {value!r}") from None

    def test(v: Any) -> bool:
        try:
            x = float(v)
        except (TypeError, ValueError):
            return False
        return {"lt": x < limit, "lte": x <= limit, "gt": x > limit, "gte": x >= limit}[op]

    return test


def _field_matcher(spec: str, expected: Any) -> Matcher:
    name, *mod_list = spec.split("|")
    mods = set(mod_list)
    unknown = mods - _MODIFIERS
    if unknown:
        raise SigmaError(f"unsupported modifier |{'|'.join(sorted(unknown))} on {name}")
    path = name.split(".")
    values = expected if isinstance(expected, list) else [expected]
    if "exists" in mods:
        want = bool(values[0])
        return lambda rec: (_field_values(rec, path) != [_MISSING]) == want
    if "fieldref" in mods:
        refs = [str(v).split(".") for v in values]

        def by_ref(rec: Record) -> bool:
            mine = {
                (_as_text(v) or "").lower() for v in _field_values(rec, path) if v is not _MISSING
            }
            hits = [
                any(
                    (_as_text(o) or "").lower() in mine
                    for o in _field_values(rec, ref)
                    if o is not _MISSING
                )
                for ref in refs
            ]
            return all(hits) if "all" in mods else any(hits)

        return by_ref
    tests = [_value_test(v, mods) for v in values]
    combine = all if "all" in mods else any

    def match(rec: Record) -> bool:
        found = _field_values(rec, path)
        return combine(any(t(v) for v in found) for t in tests)

    return match


def _keywords(words: list[Any]) -> Matcher:
    tests = [_value_test(w, {"contains"}) for w in words]

    def strings(obj: Any) -> Iterable[Any]:
        if isinstance(obj, dict):
            for v in obj.values():
                yield from strings(v)
        elif isinstance(obj, list):
            for v in obj:
                yield from strings(v)
        else:
            yield obj

    return lambda rec: any(t(s) for s in strings(rec) for t in tests)


def _search(body: Any) -> Matcher:
    if isinstance(body, dict):
        parts = [_field_matcher(str(k), v) for k, v in body.items()]
        return lambda rec: all(p(rec) for p in parts)
    if isinstance(body, list) and body and all(isinstance(b, dict) for b in body):
        maps = [_search(b) for b in body]
        return lambda rec: any(m(rec) for m in maps)
    if isinstance(body, list):
        return _keywords(body)
    if isinstance(body, str):
        return _keywords([body])
    raise SigmaError(f"unsupported search of type {type(body).__name__}")


# ---------------------------------------------------------------- conditions

_TOKEN = re.compile(r"\s*(\(|\)|[A-Za-z0-9_*]+|\|)")


def _tokens(text: str) -> list[str]:
    pos, out = 0, []
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None:
            raise SigmaError(f"cannot parse condition at {text[pos:]!r}")
        out.append(m.group(1))
        pos = m.end()
    if "|" in out:
        raise SigmaError("aggregations in conditions (| count() ...) are not supported")
    return out


class _Condition:
    """Recursive descent: or < and < not < (group | quantifier | identifier)."""

    def __init__(self, text: str, searches: dict[str, Matcher]) -> None:
        self.toks = _tokens(text)
        self.i = 0
        self.searches = searches

    def parse(self) -> Matcher:
        m = self._or()
        if self.i != len(self.toks):
            raise SigmaError(f"unexpected {self.toks[self.i]!r} in condition")
        return m

    def _peek(self) -> str | None:
        return self.toks[self.i].lower() if self.i < len(self.toks) else None

    def _next(self) -> str:
        if self.i >= len(self.toks):
            raise SigmaError("condition ends too early")
        self.i += 1
        return self.toks[self.i - 1]

    def _or(self) -> Matcher:
        parts = [self._and()]
        while self._peek() == "or":
            self._next()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))

    def _and(self) -> Matcher:
        parts = [self._not()]
        while self._peek() == "and":
            self._next()
            parts.append(self._not())
        return parts[0] if len(parts) == 1 else (lambda r: all(p(r) for p in parts))

    def _not(self) -> Matcher:
        if self._peek() == "not":
            self._next()
            inner = self._not()
            return lambda r: not inner(r)
        return self._atom()

    def _atom(self) -> Matcher:
        tok = self._next()
        if tok == "(":
            inner = self._or()
            if self._next() != ")":
                raise SigmaError("missing ) in condition")
            return inner
        if tok.lower() in ("1", "any", "all") and self._peek() == "of":
            self._next()
            target = self._next()
            names = self._expand(target)
            group = [self.searches[n] for n in names]
            if tok.lower() == "all":
                return lambda r: all(g(r) for g in group)
            return lambda r: any(g(r) for g in group)
        if tok not in self.searches:
            raise SigmaError(f"condition names unknown search {tok!r}")
        return self.searches[tok]

    def _expand(self, target: str) -> list[str]:
        if target.lower() == "them":
            names = [n for n in self.searches if not n.startswith("_")]
        else:
            rx = re.compile(_wildcard(target, False, False))
            names = [n for n in self.searches if rx.fullmatch(n)]
        if not names:
            raise SigmaError(f"no search matches {target!r}")
        return names


def compile_detection(detection: Any) -> Matcher:
    if not isinstance(detection, dict) or "condition" not in detection:
        raise SigmaError("detection has no condition")
    if "timeframe" in detection:
        raise SigmaError("timeframe (correlation) is not supported")
    searches = {str(k): _search(v) for k, v in detection.items() if k != "condition"}
    cond = detection["condition"]
    conds = cond if isinstance(cond, list) else [cond]
    parts = [_Condition(str(c), searches).parse() for c in conds]
    return parts[0] if len(parts) == 1 else (lambda r: any(p(r) for p in parts))
