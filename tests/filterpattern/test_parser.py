"""Parser: every construct of docs/aws-facts/filter-patterns.md with its expected AST, error
positions, canonical form."""

from __future__ import annotations

import pytest

from trailwarden.errors import UsageError
from trailwarden.filterpattern import FilterPatternError, canonical, parse
from trailwarden.filterpattern.nodes import (
    And,
    AnyIndex,
    AnyMember,
    Comparison,
    Exists,
    Field,
    FieldCondition,
    Index,
    IsBoolean,
    IsNull,
    JsonPattern,
    MatchAll,
    Member,
    NumberValue,
    Or,
    RegexPattern,
    RegexValue,
    Selector,
    SpaceDelimitedPattern,
    StringValue,
    TermGroup,
    TermPattern,
)


def sel(*steps: str | int) -> Selector:
    return Selector(tuple(Index(s) if isinstance(s, int) else Member(s) for s in steps))


def eq(path: str, value: str) -> Comparison:
    return Comparison(sel(*path.split(".")), "=", StringValue(value))


def eq_sel(selector: Selector, value: str) -> Comparison:
    return Comparison(selector, "=", StringValue(value))


def num_sel(selector: Selector, text: str) -> Comparison:
    return Comparison(selector, "=", NumberValue(text))


def num(path: str, text: str) -> Comparison:
    return num_sel(sel(path), text)


def regex_cmp(path: str, source: str) -> Comparison:
    return Comparison(sel(path), "=", RegexValue(source))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", MatchAll()),
        ("   \n ", MatchAll()),
        ("{$.eventName=DeleteTrail}", JsonPattern(eq("eventName", "DeleteTrail"))),
        ("{ $.eventName = DeleteTrail }", JsonPattern(eq("eventName", "DeleteTrail"))),
        ('{$.eventName = "DeleteTrail"}', JsonPattern(eq("eventName", "DeleteTrail"))),
        (
            "{$.eventSource = kms.amazonaws.com}",
            JsonPattern(eq("eventSource", "kms.amazonaws.com")),
        ),
        ("{$.sourceIPAddress = 123.123.*}", JsonPattern(eq("sourceIPAddress", "123.123.*"))),
        ('{$.errorCode = "*Unauthorized*"}', JsonPattern(eq("errorCode", "*Unauthorized*"))),
        ('{$.a = "say \\"hi\\" \\\\ ok"}', JsonPattern(eq("a", 'say "hi" \\ ok'))),
        ("{$.a != x}", JsonPattern(Comparison(sel("a"), "!=", StringValue("x")))),
        ("{$.n < 5}", JsonPattern(Comparison(sel("n"), "<", NumberValue("5")))),
        ("{$.n <= -1.5}", JsonPattern(Comparison(sel("n"), "<=", NumberValue("-1.5")))),
        ("{$.n > 10e-3}", JsonPattern(Comparison(sel("n"), ">", NumberValue("10e-3")))),
        ("{$.n >= +1000}", JsonPattern(Comparison(sel("n"), ">=", NumberValue("+1000")))),
        ("{$.n = 200}", JsonPattern(Comparison(sel("n"), "=", NumberValue("200")))),
        ('{$.n = "200"}', JsonPattern(eq("n", "200"))),
        ("{$.a IS NULL}", JsonPattern(IsNull(sel("a")))),
        ("{$.a IS TRUE}", JsonPattern(IsBoolean(sel("a"), True))),
        ("{$.a IS FALSE}", JsonPattern(IsBoolean(sel("a"), False))),
        ("{$.a.b NOT EXISTS}", JsonPattern(Exists(sel("a", "b"), exists=False))),
        ("{$.a   NOT\tEXISTS }", JsonPattern(Exists(sel("a"), exists=False))),
        ("{$.a EXISTS}", JsonPattern(Exists(sel("a"), exists=True))),
        ("{$.users[0].email = x}", JsonPattern(eq_sel(sel("users", 0, "email"), "x"))),
        ("{$.coordinates[0][1] = 1}", JsonPattern(num_sel(sel("coordinates", 0, 1), "1"))),
        (
            "{$.a.*[*] = x}",
            JsonPattern(eq_sel(Selector((Member("a"), AnyMember(), AnyIndex())), "x")),
        ),
        ("{$.user-agent_x = x}", JsonPattern(eq("user-agent_x", "x"))),
        ("{$.eventName = %Delete.*%}", JsonPattern(regex_cmp("eventName", "Delete.*"))),
        (
            "{$.a = 1 && $.b = 2 || $.c = 3}",
            JsonPattern(
                Or((And((num("a", "1"), num("b", "2"))), num("c", "3"))),
            ),
        ),
        (
            "{$.a = 1 || $.b = 2 && $.c = 3}",
            JsonPattern(Or((num("a", "1"), And((num("b", "2"), num("c", "3")))))),
        ),
        (
            "{($.a = 1 || $.b = 2) && $.c = 3}",
            JsonPattern(And((Or((num("a", "1"), num("b", "2"))), num("c", "3")))),
        ),
        # Nested groups of the same operator flatten; a lone parenthesised condition is itself.
        (
            "{(($.a = 1)) && ($.b = 2 && ($.c = 3))}",
            JsonPattern(And((num("a", "1"), num("b", "2"), num("c", "3")))),
        ),
        ("ERROR", TermPattern((TermGroup(("ERROR",), ()),))),
        ("ERROR Exception", TermPattern((TermGroup(("ERROR", "Exception"), ()),))),
        ('"Failed to process"', TermPattern((TermGroup(("Failed to process",), ()),))),
        ("ERROR -Exiting", TermPattern((TermGroup(("ERROR",), ("Exiting",)),))),
        ('"ERROR" - "Exiting"', TermPattern((TermGroup(("ERROR",), ("Exiting",)),))),
        ("?ERROR ?WARN", TermPattern((TermGroup(("ERROR",), ()), TermGroup(("WARN",), ())))),
        (
            '?"a" "b" ?"c" -"d"',
            TermPattern((TermGroup(("a", "b"), ()), TermGroup(("c",), ("d",)))),
        ),
        ("%AccessDenied.*%", RegexPattern("AccessDenied.*")),
        (
            "[ip, user, ..., status=4* || status=500, size>1000]",
            SpaceDelimitedPattern(
                (
                    Field("ip"),
                    Field("user"),
                    Field(None),
                    Field(
                        "status",
                        Or(
                            (
                                FieldCondition("=", StringValue("4*")),
                                FieldCondition("=", NumberValue("500")),
                            )
                        ),
                    ),
                    Field("size", FieldCondition(">", NumberValue("1000"))),
                )
            ),
        ),
        (
            "[w1 = ERROR && w1 != x, ...]",
            SpaceDelimitedPattern(
                (
                    Field(
                        "w1",
                        And(
                            (
                                FieldCondition("=", StringValue("ERROR")),
                                FieldCondition("!=", StringValue("x")),
                            )
                        ),
                    ),
                    Field(None),
                )
            ),
        ),
    ],
)
def test_parse_constructs(text: str, expected: object) -> None:
    assert parse(text) == expected


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("{$.a = }", 8, "expected a value after '='"),
        ("{$.a = 1", 9, "must end with '}'"),
        ("{($.a = 1}", 10, "close the '(' at column 2"),
        ("{$.a is null}", 6, "keywords are upper-case"),
        ("{$.a IS MAYBE}", 9, "expected NULL, TRUE or FALSE"),
        ("{$.a NOT THERE}", 10, "expected EXISTS after NOT"),
        ("{$.a > abc}", 8, "compares numbers"),
        ('{$.a = "x}', 8, "unterminated string"),
        ("{$.a = arn:aws:iam}", 8, "must be in double quotes"),
        ("{$.a=1 && }", 11, "expected a selector"),
        ("{a = 1}", 2, "expected a selector"),
        ("{$ = 1}", 3, "a selector names a member"),
        ("{$. = 1}", 4, "member name after '.'"),
        ("{$.a[x] = 1}", 6, "array index"),
        ("{($.a)}", 6, "expected an operator (=, !=, <, <=, >, >=), IS or NOT EXISTS after $.a"),
        ("{$.a@b = 1}", 5, "found '@'"),
        ("{$.a = 1 $.b = 2}", 10, "expected '&&', '||' or '}', found '$'"),
        ("{$.a = 1 && && $.b = 1}", 13, "expected a selector such as $.eventName, found '&&'"),
        ("{$.a = 1 & $.b = 2}", 10, "expected '&&', '||' or '}'"),
        ("{}", 2, "empty JSON pattern"),
        ("{$.a = %abc}", 8, "unterminated regex"),
        ("{$.a = %(x)%}", 9, "not allowed in a regex"),
        ("{$.a = %x% || $.b = %y% || $.c = %z%}", 35, "at most 2 regexes"),
        ("ERROR: failed", 6, "must be in double quotes"),
        ("ERROR ?WARN", 7, "cannot follow plain terms"),
        ('ERROR ""', 7, "empty term"),
        ("ERROR -", 8, "expected a term after '-'"),
        ("[a, b", 6, "must end with ']'"),
        ("[a, , b]", 5, "field name or '...'"),
        ("[a=1 || b=2]", 9, "cannot test b"),
        ("%abc", 5, "must end with '%'"),
        ("{$.a = 1}" + " " * 1100, 1025, "at most 1024 characters"),
    ],
)
def test_errors_name_the_position(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterPatternError) as info:
        parse(text)
    err = info.value
    assert err.position == column - 1, str(err)
    assert fragment in err.message
    assert str(err).startswith(f"invalid filter pattern at column {column}: ")
    assert "\n" not in str(err)
    assert isinstance(err, UsageError)  # the CLI prints it as one line with exit 2


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("{$.eventName=DeleteTrail}", "{ $.eventName = DeleteTrail }"),
        ("{$.eventName=DeleteTrail}", '{\n  $.eventName = "DeleteTrail"\n}'),
        (
            "{($.eventSource=kms.amazonaws.com) && (($.eventName=DisableKey) || "
            "($.eventName=ScheduleKeyDeletion))}",
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
            "($.eventName = ScheduleKeyDeletion)) }",
        ),
        ('{$.eventType !="AwsServiceEvent"}', "{$.eventType!=AwsServiceEvent}"),
        ("ERROR  -Exiting", '"ERROR" - "Exiting"'),
        ("[a,b , ...]", "[a, b, ...]"),
    ],
)
def test_layout_differences_are_canonically_equal(a: str, b: str) -> None:
    assert canonical(a) == canonical(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # Security Hub wants the exact filter: these are not layout, whatever they mean.
        ("{$.a = 1 || $.b = 2}", "{$.b = 2 || $.a = 1}"),
        ("{($.a = x) || ($.b = y)}", "{$.a = x || $.b = y}"),
        ("{$.a = 200}", '{$.a = "200"}'),  # number vs string
        ("{$.a = x}", "{$.a = X}"),  # case-sensitive
        ("{$.a = x}", "{$.a = x && $.b = y}"),  # a superset is not equal
    ],
)
def test_meaningful_differences_are_not_canonically_equal(a: str, b: str) -> None:
    assert canonical(a) != canonical(b)


def test_canonical_layout() -> None:
    text = "{ $.userIdentity.type = Root && $.x   IS NULL || ( $.y NOT EXISTS ) }"
    assert canonical(text) == '{$.userIdentity.type="Root" && $.x IS NULL || ($.y NOT EXISTS)}'
    assert canonical("?ERROR  WARN -x") == '?"ERROR" "WARN" -"x"'
    assert canonical("[ip,...,n>=5 && n<9]") == "[ip, ..., n>=5 && n<9]"
    assert canonical("") == ""


@pytest.mark.parametrize(
    "text",
    [
        "{$.a = 1}",
        '{$.a = "q\\"uote" && $.b != x}',
        "{($.a = x*) || ($.b[0][*].c IS TRUE) && $.d EXISTS}",
        "?ERROR ?WARN -DEBUG",
        "[a, ..., b=%x+%]",
        "%a|b%",
    ],
)
def test_canonical_round_trip(text: str) -> None:
    once = canonical(text)
    assert canonical(once) == once
    assert parse(once) == parse(text)
