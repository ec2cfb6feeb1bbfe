"""Whatever JSON it is given, the matcher answers: a pattern is valid or refused with
EventPatternError (one line, never another exception), and a valid one matches any event to a
plain True or False. A CLI reading a user's pattern must never print a traceback."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from trailwarden.eventpattern import EventPatternError, matches, validate

OPERATORS = [
    "prefix", "suffix", "anything-but", "numeric", "cidr", "exists", "equals-ignore-case",
    "wildcard", "$or", "source", "detail", "x",
]  # fmt: skip
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from(["", "a", "A*", "10.0.0.1", "10.0.0.0/24", ">", "<=", "*", "a\\*", "**"]),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(OPERATORS), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(pattern=json_values, event=json_values)
def test_any_json_is_refused_cleanly_or_matched_to_a_bool(pattern: Any, event: Any) -> None:
    try:
        validate(pattern)
    except EventPatternError as exc:
        assert "\n" not in str(exc)
        return
    assert matches(pattern, event) in (True, False)
