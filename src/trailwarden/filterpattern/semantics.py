"""Matching semantics, and the naive AST-walking evaluator (the oracle for the compiled one).

Semantics (docs/aws-facts/filter-patterns.md#selectors), in one place so the compiled predicates can
reuse them off their fast paths:

* A selector lands on zero or more values (wildcards ``.*``/``[*]`` are existential); a condition
  holds if it holds for any landed value. A missing member or a non-array indexed lands nowhere.
* Comparisons apply only to scalar value nodes (string, number, boolean, null): on an object or
  array both ``=`` and ``!=`` are false, and on a missing member too - ``!=`` is not ``not =``.
* ``=`` with a string compares the value's text: a string itself, a number's JSON text, a boolean
  as ``true``/``false``; null has no text (use IS NULL). ``*`` at the start and/or end of the
  string is a wildcard; an interior ``*`` is literal. ``!=`` is "a scalar (null included) that
  is not ``=``".
* A bare number compares numerically, with JSON numbers only (not numeric-looking strings).
* ``IS NULL``: present and JSON null. ``NOT EXISTS``: absent. ``IS TRUE/FALSE``: JSON booleans.
* Term, space-delimited and whole-regex patterns look at the raw message; for a parsed event
  that is its compact JSON text (how CloudTrail writes records into CloudWatch Logs).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from trailwarden.filterpattern.nodes import (
    And,
    AnyIndex,
    AnyMember,
    Comparison,
    Exists,
    Expr,
    Field,
    FieldCondition,
    Index,
    IsBoolean,
    IsNull,
    JsonPattern,
    MatchAll,
    Member,
    NumberValue,
    Op,
    Or,
    Pattern,
    RegexPattern,
    Selector,
    SpaceDelimitedPattern,
    StringValue,
    TermPattern,
    Value,
)

# The number syntax of the pattern language, also used to read space-delimited tokens as numbers.
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def message_text(event: Mapping[str, Any]) -> str:
    """The raw log message an event stands for: its compact JSON text."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=256)
def regex(source: str) -> re.Pattern[str]:
    return re.compile(source)


def text_of(value: Any) -> str | None:
    """The text a string comparison sees, or None for null and non-scalars."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return None


def is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float)  # bool is an int


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def wildcard_match(pattern: str, text: str) -> bool:
    """``*`` at the start/end matches any run of characters; elsewhere it is literal."""
    if not pattern.startswith("*") and not pattern.endswith("*"):
        return text == pattern
    core = pattern.strip("*")
    if pattern.startswith("*") and pattern.endswith("*"):
        return core in text
    if pattern.startswith("*"):
        return text.endswith(core)
    return text.startswith(core)


def equals(value: Value, landed: Any) -> bool:
    """The ``=`` test of one landed scalar."""
    if isinstance(value, NumberValue):
        return is_number(landed) and landed == value.number
    text = text_of(landed)
    if text is None:
        return False
    if isinstance(value, StringValue):
        return wildcard_match(value.value, text)
    return regex(value.source).search(text) is not None


def compare(op: Op, value: Value, landed: Any) -> bool:
    """One comparison against one landed value (objects/arrays never compare)."""
    if not is_scalar(landed):
        return False
    if op == "=":
        return equals(value, landed)
    if op == "!=":
        return not equals(value, landed)
    if not is_number(landed):
        return False
    number = value.number if isinstance(value, NumberValue) else float("nan")
    if op == "<":
        return bool(landed < number)
    if op == "<=":
        return bool(landed <= number)
    if op == ">":
        return bool(landed > number)
    return bool(landed >= number)


def resolve(selector: Selector, event: Any) -> list[Any]:
    """Every value the selector lands on (at most one without wildcards)."""
    current = [event]
    for step in selector.steps:
        following: list[Any] = []
        for node in current:
            if isinstance(step, Member):
                if isinstance(node, Mapping) and step.name in node:
                    following.append(node[step.name])
            elif isinstance(step, Index):
                if _is_array(node) and step.index < len(node):
                    following.append(node[step.index])
            elif isinstance(step, AnyMember):
                if isinstance(node, Mapping):
                    following.extend(node.values())
            elif isinstance(step, AnyIndex) and _is_array(node):
                following.extend(node)
        current = following
    return current


def _is_array(node: Any) -> bool:
    return isinstance(node, Sequence) and not isinstance(node, str | bytes)


def evaluate_expr(expr: Expr, event: Any) -> bool:
    if isinstance(expr, And):
        return all(evaluate_expr(operand, event) for operand in expr.operands)
    if isinstance(expr, Or):
        return any(evaluate_expr(operand, event) for operand in expr.operands)
    if isinstance(expr, Comparison):
        return any(compare(expr.op, expr.value, v) for v in resolve(expr.selector, event))
    if isinstance(expr, IsNull):
        return any(v is None for v in resolve(expr.selector, event))
    if isinstance(expr, IsBoolean):
        return any(v is expr.expected for v in resolve(expr.selector, event))
    if isinstance(expr, Exists):
        return bool(resolve(expr.selector, event)) == expr.exists
    raise TypeError(f"{type(expr).__name__} is not a JSON condition")


def evaluate_field(expr: Expr, token: str) -> bool:
    """A space-delimited field condition against one message token."""
    if isinstance(expr, And):
        return all(evaluate_field(operand, token) for operand in expr.operands)
    if isinstance(expr, Or):
        return any(evaluate_field(operand, token) for operand in expr.operands)
    if not isinstance(expr, FieldCondition):
        raise TypeError(f"{type(expr).__name__} is not a field condition")
    landed: Any = token
    if isinstance(expr.value, NumberValue) or expr.op not in ("=", "!="):
        if not NUMBER.fullmatch(token):
            return expr.op == "!="  # a non-number token is "not equal" to a number
        landed = float(token)
    return compare(expr.op, expr.value, landed)


def split_message(message: str) -> list[str]:
    """Space-delimited tokens; text in ``"..."`` or ``[...]`` is one token without its brackets."""
    tokens: list[str] = []
    i, n = 0, len(message)
    while i < n:
        char = message[i]
        if char in " \t":
            i += 1
            continue
        if char in '"[':
            close = message.find('"' if char == '"' else "]", i + 1)
            close = n if close < 0 else close
            tokens.append(message[i + 1 : close])
            i = close + 1
        else:
            stop = i
            while stop < n and message[stop] not in " \t":
                stop += 1
            tokens.append(message[i:stop])
            i = stop
    return tokens


def match_fields(fields: Sequence[Field], tokens: Sequence[str]) -> bool:
    """Positional binding; ``...`` absorbs any number of tokens (tried shortest first)."""

    def walk(f: int, t: int) -> bool:
        if f == len(fields):
            return t == len(tokens)
        field = fields[f]
        if field.name is None:
            return any(walk(f + 1, k) for k in range(t, len(tokens) + 1))
        if t >= len(tokens):
            return False
        if field.condition is not None and not evaluate_field(field.condition, tokens[t]):
            return False
        return walk(f + 1, t + 1)

    return walk(0, 0)


def evaluate(pattern: Pattern, event: Mapping[str, Any]) -> bool:
    """Does ``pattern`` match ``event``? Walks the AST every call: simple, slow, the reference."""
    if isinstance(pattern, MatchAll):
        return True
    if isinstance(pattern, JsonPattern):
        return evaluate_expr(pattern.expr, event)
    message = message_text(event)
    if isinstance(pattern, TermPattern):
        return any(
            all(term in message for term in group.include)
            and not any(term in message for term in group.exclude)
            for group in pattern.groups
        )
    if isinstance(pattern, SpaceDelimitedPattern):
        return match_fields(pattern.fields, split_message(message))
    if isinstance(pattern, RegexPattern):
        return regex(pattern.source).search(message) is not None
    raise TypeError(f"not a filter pattern: {type(pattern).__name__}")
