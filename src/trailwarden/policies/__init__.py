"""Owns IAM policy documents: builders, merge, grammar, declared permissions, the shipped files.
May import trailwarden.arns and the standard library; only the generate tool imports other stages.

The builders follow docs/aws-facts/trail-setup.md.

Pure: no AWS calls. The builders, the merge that keeps foreign statements and the grammar check
serve plan and apply; ``permissions`` is what collect/ and apply/ declare their IAM actions with,
and ``generate`` writes ``scan-policy.json``, ``apply-policy.json`` and ``verify-policy.json``
from those declarations.
"""

from __future__ import annotations

import json
from importlib import resources

from trailwarden.policies.builders import PolicyDocument, Statement
from trailwarden.policies.grammar import check_policy, validate_policy
from trailwarden.policies.merge import MergeResult, merge_statements

APPLY_POLICY_FILE = "apply-policy.json"


def apply_policy() -> PolicyDocument:
    """The least-privilege IAM policy for ``trailwarden apply`` (statements in the order of
    docs/aws-facts/trail-setup.md#setup-order)."""
    text = resources.files(__package__).joinpath(APPLY_POLICY_FILE).read_text(encoding="utf-8")
    doc: PolicyDocument = json.loads(text)
    return doc


def shipped_policy(file_name: str) -> PolicyDocument:
    """A shipped policy (``apply-policy.json``, ``verify-policy.json``...): what the declared
    grants of apply and verify add up to, readable by the pure stages."""
    text = resources.files(__package__).joinpath(file_name).read_text(encoding="utf-8")
    doc: PolicyDocument = json.loads(text)
    return doc


__all__ = [
    "MergeResult",
    "PolicyDocument",
    "Statement",
    "apply_policy",
    "check_policy",
    "merge_statements",
    "shipped_policy",
    "validate_policy",
]
