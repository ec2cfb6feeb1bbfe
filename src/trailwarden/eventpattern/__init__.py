"""Owns Amazon EventBridge event patterns: validate a pattern, match it against an event.
May import errors only; pure (no AWS SDK).

``validate(pattern)`` raises ``EventPatternError`` (one line, naming the field) for what
EventBridge rejects; ``matches(pattern, event)`` says whether EventBridge would deliver the event
to a rule with that pattern; ``envelope(record)`` is the event EventBridge makes of a CloudTrail
record and ``rule_matches_record`` matches a pattern against it; ``pattern_size`` is the length
EventBridge's size quota counts. The semantics followed, with their AWS sources, are in
docs/aws-facts/drift.md.
"""

from __future__ import annotations

from trailwarden.eventpattern.cloudtrail import envelope, rule_matches_record
from trailwarden.eventpattern.errors import EventPatternError
from trailwarden.eventpattern.matcher import matches, pattern_size, validate

__all__ = [
    "EventPatternError",
    "envelope",
    "matches",
    "pattern_size",
    "rule_matches_record",
    "validate",
]
