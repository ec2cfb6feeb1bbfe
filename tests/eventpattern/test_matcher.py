"""The EventBridge pattern matcher against the examples of AWS's own pages.

Each row cites the page its pattern and event come from (docs/aws-facts/drift.md lists them):
PATTERNS  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
OPERATORS https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
FILTERING https://docs.aws.amazon.com/eventbridge/latest/userguide/content-filtering-with-event-patterns.html
NULLS     https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
ARRAYS    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
"""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.eventpattern import EventPatternError, matches, pattern_size, validate

# PATTERNS: the EC2 state-change event the page builds its first pattern on.
EC2 = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated"},
}
# NULLS: the Auto Scaling event with an empty string and a null.
NULLS = {
    "version": "0",
    "id": "3e3c153a-8339-4e30-8c35-687ebef853fe",
    "detail-type": "EC2 Instance Launch Successful",
    "source": "aws.autoscaling",
    "account": "123456789012",
    "time": "2015-11-11T21:31:47Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"eventVersion": "", "responseElements": None},
}


def detail(**fields: Any) -> dict[str, Any]:
    return {"source": "aws.test", "detail": fields}


CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # PATTERNS: source, detail-type and a nested field, all required (AND).
    (
        "PATTERNS ec2 terminated",
        {
            "source": ["aws.ec2"],
            "detail-type": ["EC2 Instance State-change Notification"],
            "detail": {"state": ["terminated"]},
        },
        EC2,
        True,
    ),
    ("PATTERNS any of the values", {"source": ["aws.ec2", "aws.fargate"]}, EC2, True),
    ("PATTERNS value differs", {"detail": {"state": ["running"]}}, EC2, False),
    ("PATTERNS field missing", {"detail": {"nothing": ["x"]}}, EC2, False),
    ("PATTERNS case sensitive", {"source": ["AWS.EC2"]}, EC2, False),
    ("PATTERNS nesting must match", {"state": ["terminated"]}, EC2, False),
    # NULLS: "" and null match themselves and are not interchangeable.
    ("NULLS empty string", {"detail": {"eventVersion": [""]}}, NULLS, True),
    ("NULLS null", {"detail": {"responseElements": [None]}}, NULLS, True),
    ("NULLS empty string is not null", {"detail": {"responseElements": [""]}}, NULLS, False),
    ("NULLS null is not empty string", {"detail": {"eventVersion": [None]}}, NULLS, False),
    # FILTERING / OPERATORS: prefix.
    ("prefix time", {"time": [{"prefix": "2017-12-22"}]}, EC2, True),
    ("prefix no", {"time": [{"prefix": "2017-10-02"}]}, EC2, False),
    ("prefix region eu-", {"region": [{"prefix": "eu-"}]}, EC2, False),
    (
        "prefix ignore case",
        {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
        detail(service="eventbridge"),
        True,
    ),
    ("prefix only strings", {"detail": {"n": [{"prefix": "1"}]}}, detail(n=12), False),
    # suffix
    ("suffix png", {"detail": {"FileName": [{"suffix": ".png"}]}}, detail(FileName="a.png"), True),
    (
        "suffix case",
        {"detail": {"FileName": [{"suffix": ".png"}]}},
        detail(FileName="a.PNG"),
        False,
    ),
    (
        "suffix ignore case",
        {"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}},
        detail(FileName="a.PNG"),
        True,
    ),
    # equals-ignore-case
    (
        "equals ignore case",
        {"detail": {"Name": [{"equals-ignore-case": "alice"}]}},
        detail(Name="ALICE"),
        True,
    ),
    (
        "equals ignore case is whole",
        {"detail": {"Name": [{"equals-ignore-case": "alice"}]}},
        detail(Name="Alicia"),
        False,
    ),
    # anything-but (string, number, lists, prefix, suffix, ignore case, wildcard)
    (
        "anything-but string",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="running"),
        True,
    ),
    (
        "anything-but string excluded",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(state="initializing"),
        False,
    ),
    (
        "anything-but number",
        {"detail": {"x-limit": [{"anything-but": 123}]}},
        detail(**{"x-limit": 123.0}),
        False,
    ),
    (
        "anything-but list",
        {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
        detail(state="overloaded"),
        False,
    ),
    (
        "anything-but number list",
        {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
        detail(**{"x-limit": 150}),
        True,
    ),
    (
        "anything-but prefix",
        {"detail": {"state": [{"anything-but": {"prefix": "init"}}]}},
        detail(state="initializing"),
        False,
    ),
    (
        "anything-but suffix",
        {"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}},
        detail(FileName="a.jpg"),
        True,
    ),
    (
        "anything-but ignore case",
        {"detail": {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]}},
        detail(state="INITIALIZING"),
        False,
    ),
    (
        "anything-but wildcard",
        {"detail": {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]}},
        detail(FilePath="/usr/lib/x.so"),
        False,
    ),
    (
        "anything-but needs the field",
        {"detail": {"state": [{"anything-but": "initializing"}]}},
        detail(other="x"),
        False,
    ),
    # numeric
    (
        "numeric range all true",
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        detail(**{"c-count": 5, "d-count": 9.5, "x-limit": 301.8}),
        True,
    ),
    ("numeric bound", {"detail": {"c": [{"numeric": [">", 0, "<=", 5]}]}}, detail(c=0), False),
    ("numeric only numbers", {"detail": {"c": [{"numeric": [">", 0]}]}}, detail(c="7"), False),
    ("numeric not booleans", {"detail": {"c": [{"numeric": ["=", 1]}]}}, detail(c=True), False),
    # cidr (IPv4 and IPv6)
    (
        "cidr v4",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.0.17"),
        True,
    ),
    (
        "cidr v4 outside",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="10.0.1.17"),
        False,
    ),
    (
        "cidr v6",
        {"detail": {"sourceIPAddress": [{"cidr": "2001:db8::/64"}]}},
        detail(sourceIPAddress="2001:db8::1"),
        True,
    ),
    (
        "cidr not an address",
        {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
        detail(sourceIPAddress="cloudtrail.amazonaws.com"),
        False,
    ),
    # exists: only about leaves (FILTERING's two examples both match exists:false)
    (
        "exists false, field missing",
        {"detail": {"c-count": [{"exists": False}]}},
        detail(state=["initializing", "running"]),
        True,
    ),
    (
        "exists false, field is an object",
        {"detail": {"c-count": [{"exists": False}]}},
        detail(state=["initializing"], **{"c-count": {"c1": 100}}),
        True,
    ),
    (
        "exists false, field present",
        {"detail": {"c-count": [{"exists": False}]}},
        detail(**{"c-count": 1}),
        False,
    ),
    ("exists true", {"detail": {"description": [{"exists": True}]}}, detail(description="x"), True),
    ("exists true null", {"detail": {"r": [{"exists": True}]}}, detail(r=None), True),
    ("exists true missing", {"detail": {"d": [{"exists": True}]}}, detail(other=1), False),
    (
        "exists false, parent missing",
        {"detail": {"a": {"b": [{"exists": False}]}}},
        detail(other=1),
        True,
    ),
    # wildcard
    ("wildcard", {"detail": {"p": [{"wildcard": "dir/*.png"}]}}, detail(p="dir/a/b.png"), True),
    (
        "wildcard anchored",
        {"detail": {"p": [{"wildcard": "dir/*.png"}]}},
        detail(p="x/dir/a.png"),
        False,
    ),
    ("wildcard escaped star", {"detail": {"p": [{"wildcard": "a\\*b"}]}}, detail(p="a*b"), True),
    (
        "wildcard escaped star only",
        {"detail": {"p": [{"wildcard": "a\\*b"}]}},
        detail(p="axb"),
        False,
    ),
    # ARRAYS: an array in the event matches when any element matches.
    (
        "ARRAYS any element",
        {"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0", "x"]},
        EC2,
        True,
    ),
    (
        "ARRAYS no common element",
        {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
        EC2,
        False,
    ),
    (
        "ARRAYS of objects, same element",
        {"detail": {"items": {"k": ["a"], "v": [1]}}},
        detail(items=[{"k": "a", "v": 2}, {"k": "b", "v": 1}]),
        False,
    ),
    (
        "ARRAYS of objects, one element",
        {"detail": {"items": {"k": ["a"], "v": [1]}}},
        detail(items=[{"k": "b", "v": 1}, {"k": "a", "v": 1}]),
        True,
    ),
    # OPERATORS: $or, at the top level and nested.
    (
        "$or first",
        {"source": ["aws.test"], "$or": [{"detail": {"c": [1]}}, {"detail": {"d": [2]}}]},
        detail(c=1),
        True,
    ),
    (
        "$or second",
        {"source": ["aws.test"], "$or": [{"detail": {"c": [1]}}, {"detail": {"d": [2]}}]},
        detail(d=2),
        True,
    ),
    (
        "$or neither",
        {"source": ["aws.test"], "$or": [{"detail": {"c": [1]}}, {"detail": {"d": [2]}}]},
        detail(c=2, d=1),
        False,
    ),
    (
        "$or ANDed with its siblings",
        {"source": ["aws.other"], "$or": [{"detail": {"c": [1]}}, {"detail": {"d": [2]}}]},
        detail(c=1),
        False,
    ),
    (
        "$or nested",
        {"detail": {"$or": [{"c": [{"numeric": [">", 5]}]}, {"d": [{"prefix": "x"}]}]}},
        detail(c=1, d="xy"),
        True,
    ),
    # Types: a string never equals a number, true is not 1.
    ("string vs number", {"detail": {"n": ["1"]}}, detail(n=1), False),
    ("number by value", {"detail": {"n": [300]}}, detail(n=3.0e2), True),
    ("true is not 1", {"detail": {"n": [1]}}, detail(n=True), False),
    ("booleans", {"detail": {"b": [False]}}, detail(b=False), True),
]


@pytest.mark.parametrize(
    ("pattern", "event", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_matches_as_documented(
    pattern: dict[str, Any], event: dict[str, Any], expected: bool
) -> None:
    validate(pattern)
    assert matches(pattern, event) is expected


REJECTED: list[tuple[Any, str]] = [
    ([], "a pattern must be a JSON object"),
    ({}, "empty objects are not allowed"),
    ({"source": "aws.ec2"}, "at source: match values must be inside an array"),
    ({"source": []}, "at source: empty arrays are not allowed"),
    ({"detail": {"x": [{"exists": "yes"}]}}, "at detail.x: exists takes true or false"),
    ({"detail": {"x": [{"prefix": 1}]}}, "prefix takes a string"),
    ({"detail": {"x": [{"contains": "a"}]}}, "unrecognized match type contains"),
    ({"detail": {"x": [{"prefix": "a", "suffix": "b"}]}}, "one operator per object"),
    ({"detail": {"x": [{"anything-but": ["a", 1]}]}}, "all strings or all numbers"),
    ({"detail": {"x": [{"anything-but": {"numeric": [">", 1]}}]}}, "anything-but takes"),
    ({"detail": {"x": [{"numeric": ["!=", 1]}]}}, "unrecognized numeric range operator"),
    ({"detail": {"x": [{"numeric": ["<", 5, ">", 0]}]}}, "lower bound then an upper bound"),
    ({"detail": {"x": [{"numeric": [">", 5, "<", 1]}]}}, "bottom must be below its top"),
    ({"detail": {"x": [{"numeric": [">", "5"]}]}}, "needs a number"),
    ({"detail": {"x": [{"cidr": "10.0.0.0/33"}]}}, "is not a CIDR block"),
    ({"detail": {"x": [{"wildcard": "a**b"}]}}, "consecutive wildcard characters"),
    ({"detail": {"x": [{"wildcard": "a\\b"}]}}, "wildcard escapes only"),
    ({"$or": []}, "$or takes a non-empty array"),
    ({"$or": [{"a": ["x"]}, "b"]}, "at $or[1]: a pattern must be a JSON object"),
    ({"detail": {"x": [["a"]]}}, "arrays cannot be nested"),
]


@pytest.mark.parametrize(("pattern", "message"), REJECTED, ids=[r[1] for r in REJECTED])
def test_rejects_what_eventbridge_rejects_in_one_line(pattern: Any, message: str) -> None:
    with pytest.raises(EventPatternError) as caught:
        validate(pattern)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_pattern_size_counts_compact_json() -> None:
    assert pattern_size({"source": ["aws.ec2"]}) == len('{"source":["aws.ec2"]}')
