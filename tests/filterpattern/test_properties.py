"""Hypothesis: layout never changes meaning, canonical() is idempotent, compiled == naive.

Random ASTs are written out with random spacing, random redundant parentheses and random
quoting of values that may be bare; parsing must give the same AST back. Random events share
the patterns' small vocabulary so matches actually happen.
"""

from __future__ import annotations

import re
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trailwarden.filterpattern import canonical, compile_pattern, evaluate, parse
from trailwarden.filterpattern.corpus import CORPUS
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
    Member,
    NumberValue,
    Or,
    Pattern,
    RegexPattern,
    RegexValue,
    Selector,
    SpaceDelimitedPattern,
    Step,
    StringValue,
    TermGroup,
    TermPattern,
    Value,
)
from trailwarden.filterpattern.parser import quote
from trailwarden.filterpattern.render import render

KEYS = ["a", "b", "type", "x-y"]
WORDS = ["", "a", "ab", "A", "b.a", "a*", "*b", "*a*", "a*b", "x y", 'q"t', "1", "2.5"]

steps: st.SearchStrategy[Step] = st.one_of(
    st.sampled_from(KEYS).map(Member),
    st.sampled_from(KEYS).map(Member),
    st.integers(0, 2).map(Index),
    st.just(AnyMember()),
    st.just(AnyIndex()),
)
selectors = st.lists(steps, min_size=1, max_size=3).map(lambda s: Selector(tuple(s)))
numbers = st.sampled_from(["0", "1", "-1", "2.5", "+3", "1e0", "25e-1"]).map(NumberValue)
strings = st.sampled_from([w for w in WORDS if w]).map(StringValue)
regexes = st.sampled_from(["^a", "b$", "a.b", "[0-9]+"]).map(RegexValue)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    value: Value = draw(st.one_of(strings, strings, numbers, regexes))
    ops = ["=", "!=", "<", "<=", ">", ">="] if isinstance(value, NumberValue) else ["=", "!="]
    return Comparison(draw(selectors), draw(st.sampled_from(ops)), value)


conditions: st.SearchStrategy[Expr] = st.one_of(
    comparisons(),
    comparisons(),
    selectors.map(IsNull),
    st.builds(IsBoolean, selectors, st.booleans()),
    st.builds(Exists, selectors, st.booleans()),
)


def _combine(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
    # The parser flattens same-operator nesting, so generate only alternating trees.
    def make(kind: type[And] | type[Or], items: list[Expr]) -> Expr:
        flat: list[Expr] = []
        for item in items:
            flat.extend(item.operands if isinstance(item, kind) else (item,))
        return kind(tuple(flat))

    return st.one_of(
        st.lists(children, min_size=2, max_size=3).map(lambda xs: make(And, xs)),
        st.lists(children, min_size=2, max_size=3).map(lambda xs: make(Or, xs)),
    )


exprs = st.recursive(conditions, _combine, max_leaves=6)


def _regex_count(expr: Expr) -> int:
    if isinstance(expr, And | Or):
        return sum(_regex_count(e) for e in expr.operands)
    return int(isinstance(expr, Comparison) and isinstance(expr.value, RegexValue))


json_patterns = exprs.filter(lambda e: _regex_count(e) <= 2).map(JsonPattern)
term_patterns = st.lists(
    st.builds(
        TermGroup,
        st.lists(st.sampled_from(["a", "b_1", "x y", "type", '"']), min_size=1, max_size=2).map(
            tuple
        ),
        st.lists(st.sampled_from(["ab", "z"]), max_size=1).map(tuple),
    ),
    min_size=1,
    max_size=3,
).map(lambda groups: TermPattern(tuple(groups)))


@st.composite
def field_conditions(draw: st.DrawFn) -> Expr:
    """An OR of ANDs of conditions on one field (the only shape the grammar has)."""

    def one() -> FieldCondition:
        value: Value = draw(st.one_of(strings, numbers))
        ops = ["=", "!=", "<", "<=", ">", ">="] if isinstance(value, NumberValue) else ["=", "!="]
        return FieldCondition(draw(st.sampled_from(ops)), value)

    def conj() -> Expr:
        items = [one() for _ in range(draw(st.integers(1, 2)))]
        return items[0] if len(items) == 1 else And(tuple(items))

    items = [conj() for _ in range(draw(st.integers(1, 2)))]
    return items[0] if len(items) == 1 else Or(tuple(items))


sd_fields = st.one_of(
    st.just(Field(None)),
    st.builds(Field, st.sampled_from(["f", "g1", "status"]), st.none() | field_conditions()),
)
sd_patterns = st.lists(sd_fields, min_size=1, max_size=4).map(
    lambda fields: SpaceDelimitedPattern(tuple(fields))
)
regex_patterns = st.sampled_from(["a", "^\\{", "b\\.a", "[0-9]+"]).map(RegexPattern)
patterns: st.SearchStrategy[Pattern] = st.one_of(
    json_patterns, json_patterns, json_patterns, term_patterns, sd_patterns, regex_patterns
)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([0, 1, -1, 2.5, 3, 25]),
    st.sampled_from([*WORDS, "true", "ba", "aab", "b.a.b", "a1"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=4)
    ),
    max_leaves=10,
)
events = st.dictionaries(st.sampled_from(KEYS), documents, max_size=4)


# ---- writing an AST out with random layout -----------------------------------------------------

BARE = re.compile(r"[A-Za-z0-9_.*-]+")


def _ws(draw: st.DrawFn) -> str:
    return draw(st.sampled_from(["", "", " ", "  ", "\n", "\t "]))


def _write_value(draw: st.DrawFn, value: Value) -> str:
    if isinstance(value, StringValue):
        text = value.value
        bare_ok = BARE.fullmatch(text) and not re.fullmatch(
            r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?", text
        )
        return text if bare_ok and draw(st.booleans()) else quote(text)
    if isinstance(value, NumberValue):
        return value.text
    return f"%{value.source}%"


def _write(draw: st.DrawFn, expr: Expr) -> str:
    if isinstance(expr, And | Or):
        glue = "&&" if isinstance(expr, And) else "||"
        parts = []
        for operand in expr.operands:
            text = _write(draw, operand)
            needs = isinstance(expr, And) and isinstance(operand, Or)
            if needs or draw(st.integers(0, 3)) == 0:  # sometimes redundant parentheses
                text = f"({_ws(draw)}{text}{_ws(draw)})"
            parts.append(text)
        return f"{_ws(draw)}{glue}{_ws(draw)}".join(parts)
    if isinstance(expr, Comparison):
        return (
            f"{expr.selector.text}{_ws(draw)}{expr.op}{_ws(draw)}{_write_value(draw, expr.value)}"
        )
    sep = draw(st.sampled_from([" ", "  ", "\n"]))
    if isinstance(expr, IsNull):
        return f"{expr.selector.text}{sep}IS{sep}NULL"
    if isinstance(expr, IsBoolean):
        return f"{expr.selector.text}{sep}IS {'TRUE' if expr.expected else 'FALSE'}"
    assert isinstance(expr, Exists)
    return f"{expr.selector.text}{sep}{'EXISTS' if expr.exists else 'NOT EXISTS'}"


def write(draw: st.DrawFn, pattern: Pattern) -> str:
    if isinstance(pattern, JsonPattern):
        return f"{_ws(draw)}{{{_ws(draw)}{_write(draw, pattern.expr)}{_ws(draw)}}}{_ws(draw)}"
    return render(pattern)


# ---- properties ----------------------------------------------------------------------------

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(patterns, st.data())
def test_layout_round_trips_to_the_same_ast(pattern: Pattern, data: st.DataObject) -> None:
    text = write(data.draw, pattern)
    assert parse(text) == pattern
    assert parse(render(pattern)) == pattern


@FAST
@given(patterns, st.data())
def test_canonical_is_idempotent_and_keeps_the_ast(pattern: Pattern, data: st.DataObject) -> None:
    text = write(data.draw, pattern)
    once = canonical(text)
    assert canonical(once) == once
    assert parse(once) == parse(text)


@FAST
@given(patterns, st.data(), st.lists(events, min_size=1, max_size=5))
def test_canonical_preserves_matching(
    pattern: Pattern, data: st.DataObject, sample: list[dict[str, Any]]
) -> None:
    text = write(data.draw, pattern)
    before, after = parse(text), parse(canonical(text))
    for event in sample:
        assert evaluate(after, event) is evaluate(before, event)


@settings(max_examples=300, deadline=None)
@given(patterns, st.lists(events, min_size=1, max_size=8))
def test_compiled_agrees_with_the_naive_walk(
    pattern: Pattern, sample: list[dict[str, Any]]
) -> None:
    predicate = compile_pattern(pattern)
    for event in sample:
        assert predicate(event) is evaluate(pattern, event)


def test_the_generators_produce_matches() -> None:
    # Guard against vacuous properties: a fixed pattern over the event strategy's vocabulary.
    pattern = parse("{$.a = a* || $.b.type IS NULL || $.a[0] > 1}")
    hits = [
        evaluate(pattern, e)
        for e in ({"a": "ab"}, {"b": {"type": None}}, {"a": [2]}, {"a": "b"}, {})
    ]
    assert hits == [True, True, True, False, False]


# Realistic patterns over CloudTrail paths, checked on every corpus record.
CT_PATHS = [
    ("eventName",),
    ("eventSource",),
    ("eventType",),
    ("errorCode",),
    ("readOnly",),
    ("requestParameters",),
    ("userIdentity", "type"),
    ("userIdentity", "invokedBy"),
    ("additionalEventData", "MFAUsed"),
    ("responseElements", "ConsoleLogin"),
]
CT_WORDS = [
    "ConsoleLogin",
    "Root",
    "IAMUser",
    "Yes",
    "No",
    "Success",
    "AccessDenied*",
    "*UnauthorizedOperation",
    "kms.amazonaws.com",
    "*Policy",
    "Delete*",
    "*Trail*",
    "true",
]
ct_selectors = st.sampled_from(CT_PATHS).map(lambda p: Selector(tuple(Member(k) for k in p)))
ct_conditions: st.SearchStrategy[Expr] = st.one_of(
    st.builds(
        Comparison,
        ct_selectors,
        st.sampled_from(["=", "!="]),
        st.sampled_from(CT_WORDS).map(StringValue),
    ),
    ct_selectors.map(IsNull),
    st.builds(IsBoolean, ct_selectors, st.booleans()),
    st.builds(Exists, ct_selectors, st.booleans()),
)
ct_patterns = st.recursive(ct_conditions, _combine, max_leaves=8).map(JsonPattern)


@settings(max_examples=150, deadline=None)
@given(ct_patterns)
def test_compiled_agrees_with_the_naive_walk_on_the_corpus(pattern: Pattern) -> None:
    predicate = compile_pattern(pattern)
    for example in CORPUS:
        assert predicate(example.event) is evaluate(pattern, example.event), example.name
