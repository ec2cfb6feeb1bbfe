"""Is a bucket policy public? S3's documented rule, for when GetBucketPolicyStatus fails (pure).

S3 starts from "public" and calls a policy non-public only when every statement that allows a
wildcard principal grants access only to *fixed* values (no wildcard, no policy variable) of one of
the listed condition keys (S3 User Guide, "The meaning of public":
<https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html#access-control-block-public-access-policy-status>;
docs/aws-facts/controls.md#public-bucket-policy). So a condition on any other key (for example
``aws:SecureTransport``) restricts nothing, and a wildcard value or a negated operator does not
either. What the page does not settle (``...IfExists``, set operators, principal keys it only
hints at) is ``None``: the caller reports NOT_AVAILABLE, never "not public".
"""

from __future__ import annotations

import ipaddress
from typing import Any

# Condition keys S3 names as making a wildcard principal non-public, with fixed values.
RESTRICTING_KEYS = frozenset(
    {
        "aws:sourceip",
        "aws:principalorgid",  # the page's example of "an AWS principal, user, role"
        "aws:sourcearn",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "aws:sourceowner",
        "aws:sourceaccount",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "aws:userid",
        "s3:dataaccesspointarn",
        "s3:dataaccesspointaccount",
    }
)
# Principal keys the page's "an AWS principal, user, role" may cover but does not name: undecided.
UNSETTLED_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgpaths",
        "aws:sourceorgid",
        "aws:sourceorgpaths",
    }
)
# Operators that allow only the listed values (ArnLike/StringLike only without wildcards).
_POSITIVE = frozenset(
    {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike", "ipaddress"}
)
_NEGATED = frozenset(
    {"stringnotequals", "stringnotequalsignorecase", "stringnotlike", "arnnotequals"}
    | {"arnnotlike", "notipaddress"}
)


def _values(raw: Any) -> list[str]:
    return [str(v) for v in raw] if isinstance(raw, list) else [str(raw)]


def _fixed(value: str) -> bool:
    """No wildcard and no policy variable (so "AROLEID:*" for aws:userid is not fixed either)."""
    return not ("*" in value or "?" in value or "${" in value)


def _restricts(operator: str, key: str, raw: Any) -> bool | None:
    """True: this condition limits the grant to fixed values S3 accepts; False: it does not;
    None: the page does not say."""
    op = operator.lower()
    if op.startswith(("forallvalues:", "foranyvalue:")) or op.endswith("ifexists"):
        return None if key in RESTRICTING_KEYS | UNSETTLED_KEYS else False
    if key in UNSETTLED_KEYS:
        return None if op in _POSITIVE else False
    if key not in RESTRICTING_KEYS or op in _NEGATED or op not in _POSITIVE:
        return False
    values = _values(raw)
    if not values or not all(_fixed(v) for v in values):
        return False
    if key == "aws:sourceip":
        try:
            nets = [ipaddress.ip_network(v, strict=False) for v in values]
        except ValueError:
            return None
        if any(n.prefixlen == 0 for n in nets):
            return None  # "a set of CIDRs", but one matching every address: the page is silent
    return True


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True  # Allow + NotPrincipal grants everyone not listed
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    if principal.get("Federated"):
        return True  # the page's first public example: a web-identity provider, not a principal
    return any("*" in v for k, raw in principal.items() for v in _values(raw))


def _statement_public(statement: dict[str, Any]) -> bool | None:
    if statement.get("Effect") != "Allow" or not _wildcard_principal(statement):
        return False
    verdicts = [
        _restricts(op, key.lower(), raw)
        for op, block in (statement.get("Condition") or {}).items()
        if isinstance(block, dict)
        for key, raw in block.items()
    ]
    if any(v is True for v in verdicts):  # conditions are ANDed: one fixed limit is enough
        return False
    if any(v is None for v in verdicts):
        return None
    return True


def policy_is_public(policy: dict[str, Any]) -> bool | None:
    """S3's verdict on a bucket policy ({} = no policy); None where its documentation is silent."""
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    verdicts = [_statement_public(s) for s in statements if isinstance(s, dict)]
    if any(v is True for v in verdicts):
        return True
    if any(v is None for v in verdicts):
        return None
    return False
