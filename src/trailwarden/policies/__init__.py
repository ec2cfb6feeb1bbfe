"""Policy documents: pure builders (spec §4), a merge that keeps foreign statements, a grammar
check, and the shipped IAM policy ``apply`` needs (``apply-policy.json``)."""

from __future__ import annotations

import json
from importlib import resources

from trailwarden.policies.builders import PolicyDocument, Statement
from trailwarden.policies.grammar import check_policy, validate_policy
from trailwarden.policies.merge import MergeResult, merge_statements

APPLY_POLICY_FILE = "apply-policy.json"


def apply_policy() -> PolicyDocument:
    """The least-privilege IAM policy for ``trailwarden apply`` (statements in §4.8 order)."""
    text = resources.files(__package__).joinpath(APPLY_POLICY_FILE).read_text(encoding="utf-8")
    doc: PolicyDocument = json.loads(text)
    return doc


__all__ = [
    "MergeResult",
    "PolicyDocument",
    "Statement",
    "apply_policy",
    "check_policy",
    "merge_statements",
    "validate_policy",
]
