"""Owns CloudWatch Logs filter patterns: parse, canonicalise, compile, evaluate and compare.
May import errors, and trailstore for the event files ``filter test`` reads (_events); nothing else.

``parse(text) -> Pattern`` (a frozen-dataclass AST), ``compile_pattern(pattern)`` for a fast
predicate over parsed events, ``evaluate(pattern, event)`` (the naive reference walk) and
``canonical(text)`` (layout-normalised text; Security Hub equality is canonical equality).
"""

from __future__ import annotations

from trailwarden.filterpattern.compiler import compile_pattern
from trailwarden.filterpattern.errors import FilterPatternError
from trailwarden.filterpattern.nodes import Pattern
from trailwarden.filterpattern.parser import canonical, parse
from trailwarden.filterpattern.semantics import evaluate

__all__ = [
    "FilterPatternError",
    "Pattern",
    "canonical",
    "compile_pattern",
    "evaluate",
    "parse",
]
