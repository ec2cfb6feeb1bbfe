"""EventBridge event patterns: compile (validating as EventBridge does) and match.

A pattern is a JSON object. Each key names a field of the event: its value is either an object
(the field's own fields, matched the same way) or an array of matchers, any of which may match
(values in one array are OR-ed, fields are AND-ed). ``"$or"`` holds an array of patterns for the
same level, any of which may match. Sources and examples: docs/aws-facts/drift.md#event-patterns.

How an event's field is read for a leaf: a missing field, or one whose value is an object, has
no leaf values; an array contributes each of its scalar elements (nested arrays flattened); any
other value is one leaf value. A leaf matcher matches when any leaf value satisfies it, except
``exists`` which is about whether there is any leaf value at all. A field whose value is an
array of objects matches a nested pattern when one element matches it (all the fields from the
same element).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trailwarden.eventpattern.errors import EventPatternError

Value = str | int | float | bool | None
Test = Callable[[Value], bool]

_NUMERIC_OPS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
_LOWER = (">", ">=")
_UPPER = ("<", "<=")


def _is_number(v: object) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _equal(a: Value, b: Value) -> bool:
    """JSON equality: strings with strings, numbers by value, true/false/null as themselves
    (Python's ``True == 1`` must not leak in)."""
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)  # type: ignore[arg-type]
    if type(a) is not type(b):
        return False
    return a == b


# --- compiled form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Leaf:
    """The array of matchers for one field: values tests, and ``exists`` flags."""

    tests: tuple[Test, ...]
    exists: tuple[bool, ...]

    def matches(self, leaves: list[Value]) -> bool:
        if any(flag == bool(leaves) for flag in self.exists):
            return True
        return any(test(v) for v in leaves for test in self.tests)


@dataclass(frozen=True)
class _Object:
    fields: tuple[tuple[str, _Object | _Leaf], ...]
    alternatives: tuple[_Object, ...] = field(default=())  # "$or" at this level

    def matches(self, node: Any) -> bool:
        node = node if isinstance(node, dict) else {}
        for key, sub in self.fields:
            value = node.get(key)
            if isinstance(sub, _Leaf):
                if not sub.matches(_leaves(value) if key in node else []):
                    return False
            elif not _object_matches(sub, value):
                return False
        return not self.alternatives or any(a.matches(node) for a in self.alternatives)


def _object_matches(pattern: _Object, value: Any) -> bool:
    elements = (
        [e for e in _flatten(value) if isinstance(e, dict)] if isinstance(value, list) else []
    )
    if elements:
        return any(pattern.matches(e) for e in elements)
    return pattern.matches(value if isinstance(value, dict) else {})


def _flatten(value: list[Any]) -> list[Any]:
    out: list[Any] = []
    for v in value:
        out.extend(_flatten(v) if isinstance(v, list) else [v])
    return out


def _leaves(value: Any) -> list[Value]:
    if isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [v for v in _flatten(value) if not isinstance(v, dict)]
    return [value]


# --- compiling (and validating) --------------------------------------------------------------


def _compile_object(pattern: Any, path: str) -> _Object:
    if not isinstance(pattern, dict):
        raise EventPatternError(path, "a pattern must be a JSON object")
    if not pattern:
        raise EventPatternError(path, "empty objects are not allowed")
    fields: list[tuple[str, _Object | _Leaf]] = []
    alternatives: tuple[_Object, ...] = ()
    for key, value in pattern.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            alternatives = _compile_or(value, where)
        elif isinstance(value, dict):
            fields.append((key, _compile_object(value, where)))
        elif isinstance(value, list):
            fields.append((key, _compile_leaf(value, where)))
        else:
            raise EventPatternError(where, "match values must be inside an array")
    return _Object(tuple(fields), alternatives)


def _compile_or(value: Any, path: str) -> tuple[_Object, ...]:
    if not isinstance(value, list) or not value:
        raise EventPatternError(path, "$or takes a non-empty array of patterns")
    return tuple(_compile_object(v, f"{path}[{i}]") for i, v in enumerate(value))


def _compile_leaf(values: list[Any], path: str) -> _Leaf:
    if not values:
        raise EventPatternError(path, "empty arrays are not allowed")
    tests: list[Test] = []
    exists: list[bool] = []
    for v in values:
        if isinstance(v, dict):
            if set(v) == {"exists"}:
                if not isinstance(v["exists"], bool):
                    raise EventPatternError(path, "exists takes true or false")
                exists.append(v["exists"])
            else:
                tests.append(_compile_operator(v, path))
        elif isinstance(v, list):
            raise EventPatternError(path, "arrays cannot be nested in a match array")
        else:
            tests.append(_literal(v))
    return _Leaf(tuple(tests), tuple(exists))


def _literal(lit: Value) -> Test:
    return lambda x: _equal(x, lit)


def _string(v: Any, path: str, op: str) -> str:
    if not isinstance(v, str):
        raise EventPatternError(path, f"{op} takes a string")
    return v


def _compile_operator(v: dict[str, Any], path: str) -> Test:
    if len(v) != 1:
        raise EventPatternError(path, f"one operator per object, got {sorted(v)}")
    op, arg = next(iter(v.items()))
    if op in ("prefix", "suffix"):
        return _affix(op, arg, path)
    if op == "equals-ignore-case":
        text = _string(arg, path, op).casefold()
        return lambda x: isinstance(x, str) and x.casefold() == text
    if op == "wildcard":
        regex = _wildcard(_string(arg, path, op), path)
        return lambda x: isinstance(x, str) and regex.fullmatch(x) is not None
    if op == "anything-but":
        inner = _anything_but(arg, path)
        return lambda x: not inner(x)
    if op == "numeric":
        return _numeric(arg, path)
    if op == "cidr":
        return _cidr(arg, path)
    raise EventPatternError(path, f"unrecognized match type {op}")


def _affix(op: str, arg: Any, path: str) -> Test:
    ignore_case = isinstance(arg, dict)
    if ignore_case:
        if set(arg) != {"equals-ignore-case"}:
            raise EventPatternError(path, f"{op} takes a string or {{equals-ignore-case: string}}")
        arg = arg["equals-ignore-case"]
    text = _string(arg, path, op)
    if ignore_case:
        text = text.casefold()

    def test(x: Value) -> bool:
        if not isinstance(x, str):
            return False
        s = x.casefold() if ignore_case else x
        return s.startswith(text) if op == "prefix" else s.endswith(text)

    return test


def _anything_but(arg: Any, path: str) -> Test:
    """What anything-but excludes, as a positive test."""
    if isinstance(arg, dict):
        if len(arg) != 1 or next(iter(arg)) not in (
            "prefix",
            "suffix",
            "equals-ignore-case",
            "wildcard",
        ):
            raise EventPatternError(
                path,
                "anything-but takes a value, a list, or prefix/suffix/equals-ignore-case/wildcard",
            )
        op, inner = next(iter(arg.items()))
        if op in ("equals-ignore-case", "wildcard") and isinstance(inner, list):
            if not inner:
                raise EventPatternError(path, f"anything-but {op} list is empty")
            tests = [_compile_operator({op: i}, path) for i in inner]
            return lambda x: any(t(x) for t in tests)
        if isinstance(inner, dict):
            raise EventPatternError(path, f"anything-but {op} takes a string")
        return _compile_operator({op: inner}, path)
    values = arg if isinstance(arg, list) else [arg]
    if not values:
        raise EventPatternError(path, "anything-but list is empty")
    if not (all(isinstance(x, str) for x in values) or all(_is_number(x) for x in values)):
        raise EventPatternError(path, "anything-but values must be all strings or all numbers")
    return lambda x: any(_equal(x, lit) for lit in values)


def _numeric(arg: Any, path: str) -> Test:
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise EventPatternError(path, "numeric takes [op, number] or [op, number, op, number]")
    pairs = [(arg[i], arg[i + 1]) for i in range(0, len(arg), 2)]
    for op, number in pairs:
        if op not in _NUMERIC_OPS:
            raise EventPatternError(path, f"unrecognized numeric range operator {op!r}")
        if not _is_number(number):
            raise EventPatternError(path, f"numeric {op} needs a number, got {number!r}")
    if len(pairs) == 2:
        (lo_op, lo), (hi_op, hi) = pairs
        if lo_op not in _LOWER or hi_op not in _UPPER:
            raise EventPatternError(path, "a numeric range is a lower bound then an upper bound")
        if lo >= hi:
            raise EventPatternError(path, "numeric range bottom must be below its top")
    checks = [(_NUMERIC_OPS[op], float(n)) for op, n in pairs]
    return lambda x: _is_number(x) and all(f(float(x), n) for f, n in checks)  # type: ignore[arg-type]


def _cidr(arg: Any, path: str) -> Test:
    try:
        network = ipaddress.ip_network(_string(arg, path, "cidr"), strict=False)
    except ValueError as exc:
        raise EventPatternError(path, f"cidr {arg!r} is not a CIDR block") from exc

    def test(x: Value) -> bool:
        if not isinstance(x, str):
            return False
        try:
            address = ipaddress.ip_address(x)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return test


def _wildcard(text: str, path: str) -> re.Pattern[str]:
    """``*`` is any run of characters; ``\\*`` a literal star, ``\\\\`` a literal backslash."""
    parts: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise EventPatternError(path, "wildcard escapes only \\* and \\\\")
            parts.append(re.escape(text[i + 1]))
            i += 2
            continue
        if ch == "*":
            if parts and parts[-1] == ".*":
                raise EventPatternError(path, "consecutive wildcard characters are not allowed")
            parts.append(".*")
        else:
            parts.append(re.escape(ch))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


# --- public ----------------------------------------------------------------------------------


def validate(pattern: Any) -> None:
    """Raise ``EventPatternError`` if EventBridge would refuse ``pattern``."""
    _compile_object(pattern, "")


def matches(pattern: Any, event: Any) -> bool:
    """Whether an event with this content would match a rule with ``pattern``."""
    return _compile_object(pattern, "").matches(event)


def pattern_size(pattern: Any) -> int:
    """Characters of the pattern as a rule would be given it (compact JSON): what the
    "event pattern size" quota counts."""
    return len(json.dumps(pattern, separators=(",", ":")))
