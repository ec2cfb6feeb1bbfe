"""Owns Amazon EventBridge event patterns: validate a pattern, match it against an event.
May import errors only; pure (no AWS SDK).

``validate(pattern)`` raises ``EventPatternError`` (one line, naming the field) for what
EventBridge rejects; ``matches(pattern, event)`` says whether EventBridge would deliver the event
to a rule with that pattern; ``envelope(record)`` is the event EventBridge makes of a CloudTrail
record, ``rule_matches_record`` matches a pattern against it and ``simulate`` also says so in
one line for the demo; ``pattern_size`` is the length
EventBridge's size quota counts. The semantics followed, with their AWS sources, are in
docs/aws-facts/drift.md.
"""

from __future__ import annotations

from trailwarden.eventpattern.cloudtrail import Simulation, envelope, rule_matches_record, simulate
from trailwarden.eventpattern.errors import EventPatternError
from trailwarden.eventpattern.matcher import matches, pattern_size, validate

__all__ = [
    "EventPatternError",
    "Simulation",
    "envelope",
    "matches",
    "pattern_size",
    "rule_matches_record",
    "simulate",
    "validate",
]
