"""Evaluator semantics; every case runs through both the naive walk and the compiled predicate."""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.filterpattern import compile_pattern, evaluate, parse
from trailwarden.filterpattern.nodes import SpaceDelimitedPattern
from trailwarden.filterpattern.semantics import match_fields, split_message

# The JSON document of the docs' precedence examples
# (docs/aws-facts/filter-patterns.md#precedence-examples).
DOC = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "123.123.123.123",
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [
        {"id": 2, "email": "John.Doe@example.com"},
        {"id": 3, "email": "Jane.Doe@example.com"},
    ],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
    "nothing": None,
    "flag": True,
    "off": False,
    "flag_text": "true",
    "latency": 50,
    "ratio": 0.25,
    "empty": "",
}


def both(pattern: str, event: dict[str, Any]) -> bool:
    """Evaluate both ways and insist they agree, so every case below tests both."""
    ast = parse(pattern)
    naive = evaluate(ast, event)
    assert compile_pattern(ast)(event) is naive, pattern
    return naive


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', True),
        ('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', False),
        (
            '{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch '
            "&& $.actions[2] = nomatch }",
            True,
        ),
        (
            '{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) '
            "&& $.actions[2] = nomatch }",
            False,
        ),
    ],
)
def test_documented_precedence_vectors(pattern: str, expected: bool) -> None:
    assert both(pattern, DOC) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # null is not absent, absent is not null
        ("{$.nothing IS NULL}", True),
        ("{$.nothing NOT EXISTS}", False),
        ("{$.nothing EXISTS}", True),
        ("{$.missing IS NULL}", False),
        ("{$.missing NOT EXISTS}", True),
        ("{$.missing.deeper NOT EXISTS}", True),
        ("{$.eventType.deeper NOT EXISTS}", True),  # a string has no members
        ("{$.user NOT EXISTS}", False),  # an object exists
        # = and != are both false on a missing member, an object or an array
        ("{$.missing = x}", False),
        ("{$.missing != x}", False),
        ("{$.users = 1}", False),
        ("{$.users != 1}", False),
        ("{$.user != x}", False),
        ("{$.nothing = null}", False),  # null has no text; IS NULL is the way
        ("{$.nothing != x}", True),  # but it is a scalar that is not x
        # exact, case-sensitive strings
        ("{$.eventType = UpdateTrail}", True),
        ("{$.eventType = updatetrail}", False),
        ("{$.eventType != UpdateTrail}", False),
        ("{$.eventType != DeleteTrail}", True),
        ('{$.empty = ""}', True),
        # wildcards at the ends; an interior * is literal (old docs; flagged, newer docs silent)
        ("{$.sourceIPAddress = 123.123.*}", True),
        ("{$.sourceIPAddress = *.123}", True),
        ('{$.eventType = "*dateTr*"}', True),
        ("{$.eventType = Update*Trail}", False),
        ("{$.eventType = *}", True),
        ("{$.nothing = *}", False),
        ("{$.missing = *}", False),
        ("{$.user = *}", False),
        ('{$.eventType != "Update*"}', False),
        # numbers: numeric comparisons on JSON numbers; strings compare with a number's text
        ("{$.latency = 50}", True),
        ("{$.latency = 50.0}", True),
        ("{$.latency = 5e1}", True),
        ('{$.latency = "50"}', True),
        ("{$.latency > 49.5}", True),
        ("{$.latency >= 50}", True),
        ("{$.latency < 50}", False),
        ("{$.latency <= 50}", True),
        ("{$.ratio < +1}", True),
        ("{$.latency != 51}", True),
        ("{$.eventType > 1}", False),  # not a number
        ("{$.flag > 0}", False),  # booleans are not numbers
        ("{$.user.id = 1}", True),
        ("{$.coordinates[2][0] >= 7}", True),
        ("{$.coordinates[3][0] = 7}", False),  # out of range
        ("{$.user[0] = 1}", False),  # indexing an object
        # booleans
        ("{$.flag IS TRUE}", True),
        ("{$.flag IS FALSE}", False),
        ("{$.off IS FALSE}", True),
        ("{$.flag_text IS TRUE}", False),  # the string "true" is not a boolean
        ("{$.flag = true}", True),  # but compares by its text
        # wildcard selectors are existential
        ('{$.users[*].email = "Jane.Doe@example.com"}', True),
        ("{$.users[*].id > 2}", True),
        ("{$.users[*].id > 3}", False),
        ("{$.user.* = 1}", True),
        ("{$.actions[*] = DELETE}", True),
        ("{$.users[*].phone NOT EXISTS}", True),
        ("{$.users[*].email NOT EXISTS}", False),
        # regex values search the value's text
        ("{$.eventType = %^Upd.*l$%}", True),
        ("{$.eventType = %Delete%}", False),
        ("{$.eventType != %Delete%}", True),
        ("{$.latency = %^5%}", True),
    ],
)
def test_json_semantics(pattern: str, expected: bool) -> None:
    assert both(pattern, DOC) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("", True),
        ("UpdateTrail", True),
        ("updatetrail", False),  # case-sensitive
        ("Update", True),  # substring, no word boundaries
        ("UpdateTrail Jane", True),
        ("UpdateTrail Nobody", False),
        ("UpdateTrail -Jane", False),
        ("UpdateTrail -Nobody", True),
        ("?Nobody ?Jane", True),
        ("?Nobody ?Noone", False),
        ('?Nobody "x" ?UpdateTrail -Jane', False),
        ('?Nobody "x" ?UpdateTrail', True),
        ('"John.Doe@example.com"', True),
        ('"\\"eventType\\":\\"UpdateTrail\\""', True),  # compact JSON text of the record
        ("%John\\.[A-Z]oe%", True),
        ("%^\\{%", True),
        ("%Nobody%", False),
    ],
)
def test_text_patterns_see_the_compact_json(pattern: str, expected: bool) -> None:
    assert both(pattern, DOC) is expected


def sd_match(pattern: str, tokens: list[str]) -> bool:
    ast = parse(pattern)
    assert isinstance(ast, SpaceDelimitedPattern)
    return match_fields(ast.fields, tokens)


def test_space_delimited_on_a_text_message() -> None:
    line = '127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534'
    tokens = split_message(line)
    assert tokens == [
        "127.0.0.1",
        "frank",
        "10/Oct/2000:13:25:15 -0700",
        "GET /a.gif HTTP/1.0",
        "404",
        "1534",
    ]
    assert sd_match("[ip, user, time, request, status=4*, bytes>1000]", tokens)
    assert not sd_match("[ip, user, ..., status=5*, bytes]", tokens)
    assert sd_match("[..., status=404, bytes<2000]", tokens)
    assert sd_match("[ip=127.* || ip=10.*, ...]", tokens)
    assert sd_match("[ip, ..., request=*gif*, ..., bytes]", tokens)
    assert not sd_match("[ip, user]", tokens)  # no ellipsis: every token needs a field
    assert not sd_match("[..., bytes>1000, extra]", tokens)
    assert not sd_match("[ip, user != frank, ...]", tokens)


def test_space_delimited_through_the_public_api_reads_the_json_text() -> None:
    # The message of a parsed event is its compact JSON text: '{"m":"x y"}' is two tokens.
    assert both("[first, second]", {"m": "x y"}) is True
    assert both("[only]", {"m": "x y"}) is False
    assert both("[only]", {"a": 1}) is True
    assert both("[...]", {"a": 1}) is True


def test_compiled_or_of_equalities_keeps_number_text_semantics() -> None:
    # The compiled fast path folds ORs of equalities into a set; a number must still match its text.
    pattern = '{($.code = 403) || ($.code = AccessDenied) || ($.code = "404")}'
    assert both(pattern, {"code": 404}) is True
    assert both(pattern, {"code": 403}) is True
    assert both(pattern, {"code": "403"}) is False  # 403 bare is a number
    assert both(pattern, {"code": "AccessDenied"}) is True
    assert both(pattern, {"code": ["AccessDenied"]}) is False
    assert both(pattern, {"code": None}) is False
    assert both(pattern, {}) is False


def test_mappings_that_are_not_dicts() -> None:
    from types import MappingProxyType

    event = MappingProxyType({"userIdentity": MappingProxyType({"type": "Root"})})
    assert both('{$.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS}', event)


@pytest.mark.parametrize(
    "pattern",
    ['{$.a[0].a = "b.a"}', '{$.a[*].a = "b"}', '{$.*[0].* = "b.a"}', '{$.a[0].a = "b.a.b"}'],
)
def test_compiled_equality_through_an_index_is_exact_not_a_prefix(pattern: str) -> None:
    """Found by the property test: a wildcard-free string behind an index or a wildcard step
    was compiled as a prefix match ("b.a" matched "b.a.b")."""
    event = {"a": [{"a": "b.a.b"}]}
    parsed = parse(pattern)
    assert compile_pattern(parsed)(event) == evaluate(parsed, event)
