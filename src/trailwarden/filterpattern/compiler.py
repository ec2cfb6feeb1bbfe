"""Compile a pattern once into nested closures: the fast path for millions of parsed events.

Where the time goes and what we do about it (CPython, per event):
* A function call is the dominant cost: plain member paths of depth 1 and 2 (every CIS pattern)
  get a specialised getter, fused into the condition for the commonest tests (equality, EXISTS),
  and And/Or of 2 or 3 operands get their own closures instead of a loop.
* ``$.x = A || $.x = B || ...`` (CIS 4.4 has 16 of these) becomes one frozenset lookup.
* Strings take a one-check fast path; anything else (numbers, booleans, null, objects, wildcard
  selectors) falls back to the shared rules in semantics.py, so both evaluators agree by
  construction and the property tests compare them on random events.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trailwarden.filterpattern import semantics as sem
from trailwarden.filterpattern.nodes import (
    And,
    Comparison,
    Exists,
    Expr,
    IsBoolean,
    IsNull,
    JsonPattern,
    MatchAll,
    Member,
    Or,
    Pattern,
    RegexPattern,
    Selector,
    SpaceDelimitedPattern,
    StringValue,
    TermPattern,
)

Predicate = Callable[[Mapping[str, Any]], bool]


class _Missing:
    __slots__ = ()


MISSING: Any = _Missing()


def compile_pattern(pattern: Pattern) -> Predicate:
    """Build a predicate over a parsed event; same answers as ``evaluate``, much faster."""
    if isinstance(pattern, MatchAll):
        return lambda event: True
    if isinstance(pattern, JsonPattern):
        return _expr(pattern.expr)
    if isinstance(pattern, TermPattern):
        return _terms(pattern)
    if isinstance(pattern, SpaceDelimitedPattern):
        fields = pattern.fields
        return lambda event: sem.match_fields(fields, sem.split_message(sem.message_text(event)))
    if isinstance(pattern, RegexPattern):
        search = sem.regex(pattern.source).search
        return lambda event: search(sem.message_text(event)) is not None
    raise TypeError(f"not a filter pattern: {type(pattern).__name__}")


def _terms(pattern: TermPattern) -> Predicate:
    groups = [(group.include, group.exclude) for group in pattern.groups]

    def match(event: Mapping[str, Any]) -> bool:
        message = sem.message_text(event)
        for include, exclude in groups:
            if all(t in message for t in include) and not any(t in message for t in exclude):
                return True
        return False

    return match


# ---- boolean structure ------------------------------------------------------------------------


def _expr(expr: Expr) -> Predicate:
    if isinstance(expr, Or):
        return _any([_expr(operand) for operand in _merge_equalities(expr.operands)])
    if isinstance(expr, And):
        return _all([_expr(operand) for operand in expr.operands])
    if isinstance(expr, _EqualsAny):
        return _equals_any(expr)
    if isinstance(expr, Comparison):
        return _comparison(expr)
    if isinstance(expr, Exists):
        return _exists(expr.selector, expr.exists)
    if isinstance(expr, IsNull):
        return _landed(expr.selector, lambda v: v is None, none_if_missing=True)
    if isinstance(expr, IsBoolean):
        expected = expr.expected
        return _landed(expr.selector, lambda v: v is expected)
    raise TypeError(f"{type(expr).__name__} is not a JSON condition")


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda e: a(e) and b(e)
    if len(parts) == 3:
        a, b, c = parts
        return lambda e: a(e) and b(e) and c(e)
    funcs = tuple(parts)

    def every(e: Mapping[str, Any]) -> bool:
        for f in funcs:  # noqa: SIM110 - a plain loop beats all(<genexpr>) per event
            if not f(e):
                return False
        return True

    return every


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        a, b = parts
        return lambda e: a(e) or b(e)
    if len(parts) == 3:
        a, b, c = parts
        return lambda e: a(e) or b(e) or c(e)
    funcs = tuple(parts)

    def some(e: Mapping[str, Any]) -> bool:
        for f in funcs:  # noqa: SIM110 - a plain loop beats any(<genexpr>) per event
            if f(e):
                return True
        return False

    return some


class _EqualsAny:
    """Internal node: ``selector = one of strings`` (plain strings, no wildcards)."""

    def __init__(self, selector: Selector, strings: frozenset[str]) -> None:
        self.selector = selector
        self.strings = strings


def _plain_equality(expr: Expr) -> tuple[Selector, str] | None:
    if (
        isinstance(expr, Comparison)
        and expr.op == "="
        and isinstance(expr.value, StringValue)
        and "*" not in expr.value.value
        and _member_path(expr.selector) is not None
    ):
        return expr.selector, expr.value.value
    return None


def _merge_equalities(operands: tuple[Expr, ...]) -> list[Any]:
    """Fold ``$.x = "A" || $.x = "B"`` into one set lookup, keeping first-seen order."""
    groups: dict[Selector, set[str]] = {}
    for operand in operands:
        plain = _plain_equality(operand)
        if plain:
            groups.setdefault(plain[0], set()).add(plain[1])
    merged: list[Any] = []
    emitted: set[Selector] = set()
    for operand in operands:
        plain = _plain_equality(operand)
        if plain is None:
            merged.append(operand)
        elif plain[0] not in emitted:
            emitted.add(plain[0])
            merged.append(_EqualsAny(plain[0], frozenset(groups[plain[0]])))
    return merged


# ---- selector access ------------------------------------------------------------------------


def _member_path(selector: Selector) -> tuple[str, ...] | None:
    if all(isinstance(step, Member) for step in selector.steps):
        return tuple(step.name for step in selector.steps if isinstance(step, Member))
    return None


def _getter(selector: Selector) -> Callable[[Any], Any]:
    """Fetch the single landed value or MISSING (plain member paths only)."""
    path = _member_path(selector)
    assert path is not None
    if len(path) == 1:
        (k1,) = path
        return lambda e: e.get(k1, MISSING)
    if len(path) == 2:
        k1, k2 = path

        def get2(e: Any) -> Any:
            v = e.get(k1, MISSING)
            return v.get(k2, MISSING) if v.__class__ is dict else _slow_step(v, k2)

        return get2

    def get_n(e: Any) -> Any:
        v = e
        for k in path:
            v = v.get(k, MISSING) if v.__class__ is dict else _slow_step(v, k)
        return v

    return get_n


def _slow_step(node: Any, key: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(key, MISSING)
    return MISSING


def _landed(
    selector: Selector, test: Callable[[Any], bool], *, none_if_missing: bool = False
) -> Predicate:
    """A condition true if ``test`` holds for a landed value; never for a missing one."""
    if _member_path(selector) is None:
        return lambda e: any(test(v) for v in sem.resolve(selector, e))
    get = _getter(selector)
    if none_if_missing:  # the test would accept None, so MISSING must be told apart
        return lambda e: (v := get(e)) is not MISSING and test(v)
    return lambda e: test(get(e))


def _exists(selector: Selector, exists: bool) -> Predicate:
    path = _member_path(selector)
    if path is not None and len(path) == 1:
        (k1,) = path
        return (lambda e: k1 in e) if exists else (lambda e: k1 not in e)
    if path is not None and len(path) == 2:
        k1, k2 = path

        def present(e: Any) -> bool:
            v = e.get(k1, MISSING)
            return (k2 in v) if v.__class__ is dict else _slow_step(v, k2) is not MISSING

        return present if exists else (lambda e: not present(e))
    if path is not None:
        get = _getter(selector)
        return (lambda e: get(e) is not MISSING) if exists else (lambda e: get(e) is MISSING)
    return lambda e: bool(sem.resolve(selector, e)) == exists


# ---- comparisons ----------------------------------------------------------------------------


def _equals_any(node: _EqualsAny) -> Predicate:
    strings = node.strings
    values = [StringValue(s) for s in strings]

    def slow(v: Any) -> bool:  # numbers and booleans compare by their text
        return v is not MISSING and any(sem.compare("=", value, v) for value in values)

    path = _member_path(node.selector)
    assert path is not None
    if len(path) == 1:
        (k1,) = path

        def eq1(e: Any) -> bool:
            v = e.get(k1)
            return v in strings if v.__class__ is str else v is not None and slow(v)

        return eq1
    get = _getter(node.selector)

    def eq_n(e: Any) -> bool:
        v = get(e)
        return v in strings if v.__class__ is str else slow(v)

    return eq_n


def _comparison(expr: Comparison) -> Predicate:
    op, value = expr.op, expr.value
    plain = _plain_equality(expr)
    if plain is not None:
        return _equals_any(_EqualsAny(plain[0], frozenset([plain[1]])))

    def slow(v: Any) -> bool:
        return v is not MISSING and sem.compare(op, value, v)

    if isinstance(value, StringValue) and op in ("=", "!="):
        text = value.value
        if op == "!=" and "*" not in text:
            return _landed(expr.selector, lambda v: v != text if v.__class__ is str else slow(v))
        if op == "=" and text.strip("*") and "*" not in text.strip("*"):
            core = text.strip("*")
            lead, trail = text.startswith("*"), text.endswith("*")
            if lead and trail:
                return _landed(
                    expr.selector, lambda v: core in v if v.__class__ is str else slow(v)
                )
            if lead:
                return _landed(
                    expr.selector, lambda v: v.endswith(core) if v.__class__ is str else slow(v)
                )
            if trail:
                return _landed(
                    expr.selector, lambda v: v.startswith(core) if v.__class__ is str else slow(v)
                )
            # No wildcard at all: exact. (Plain member paths took the set lookup above; a
            # selector with an index or a wildcard step lands here and must not match a prefix.)
            return _landed(expr.selector, lambda v: v == text if v.__class__ is str else slow(v))
    return _landed(expr.selector, slow)
