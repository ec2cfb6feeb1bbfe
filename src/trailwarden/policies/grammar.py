"""A small validator for the IAM policy grammar (the subset AWS accepts in JSON policies).

It checks shape, not meaning: Version, Statement list, Effect, exactly one of Action/NotAction,
Resource/NotResource, Principal forms, and Condition operator blocks. ``kind`` selects the rules
that differ between policy types: identity policies have no Principal and need a Resource;
resource policies (bucket, key, topic) need a Principal; trust policies need a Principal and have
no Resource. Returns human-readable problems; an empty list means valid.
"""

from __future__ import annotations

import re
from typing import Any, Literal

PolicyKind = Literal["identity", "resource", "trust"]

VERSIONS = ("2012-10-17", "2008-10-17")
_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Principal",
    "NotPrincipal",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Condition",
}
_PRINCIPAL_KINDS = {"AWS", "Service", "Federated", "CanonicalUser"}
_ACTION = re.compile(r"^(\*|[a-z0-9][a-z0-9-]*:[A-Za-z0-9*?]+)$")
_SERVICE = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")
_AWS_PRINCIPAL = re.compile(r"^(\*|\d{12}|arn:aws[a-z-]*:(iam|sts)::(\d{12}|aws):.+)$")
_CONDITION_KEY = re.compile(r"^[A-Za-z0-9-]+:[^\s]+$")
_OPERATORS = {
    *(f"String{s}" for s in ("Equals", "NotEquals", "EqualsIgnoreCase", "NotEqualsIgnoreCase")),
    "StringLike",
    "StringNotLike",
    *(
        f"{kind}{op}"
        for kind in ("Numeric", "Date")
        for op in (
            "Equals",
            "NotEquals",
            "LessThan",
            "LessThanEquals",
            "GreaterThan",
            "GreaterThanEquals",
        )
    ),
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "NotIpAddress",
    "ArnEquals",
    "ArnLike",
    "ArnNotEquals",
    "ArnNotLike",
    "Null",
}


def validate_policy(doc: Any, kind: PolicyKind = "resource") -> list[str]:
    if not isinstance(doc, dict):
        return ["policy is not a JSON object"]
    problems = [f"unknown top-level key {key!r}" for key in doc if key not in _TOP_KEYS]
    if doc.get("Version") not in VERSIONS:
        problems.append(f"Version must be one of {VERSIONS}, got {doc.get('Version')!r}")
    raw = doc.get("Statement")
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        return [*problems, "Statement must be an object or a non-empty list of objects"]
    sids: set[str] = set()
    for index, statement in enumerate(statements):
        where = f"Statement[{index}]"
        if not isinstance(statement, dict):
            problems.append(f"{where} is not an object")
            continue
        sid = statement.get("Sid")
        if sid is not None:
            if sid in sids:
                problems.append(f"{where}: duplicate Sid {sid!r}")
            sids.add(sid)
        problems.extend(f"{where}: {p}" for p in _statement_problems(statement, kind))
    return problems


def _statement_problems(statement: dict[str, Any], kind: PolicyKind) -> list[str]:
    problems = [f"unknown key {key!r}" for key in statement if key not in _STATEMENT_KEYS]
    sid = statement.get("Sid")
    if "Sid" in statement and (not isinstance(sid, str) or not sid):
        problems.append("Sid must be a non-empty string")
    elif isinstance(sid, str) and kind != "resource" and not (sid.isascii() and sid.isalnum()):
        # IAM (identity and trust policies) allows only A-Z, a-z, 0-9 in a Sid; S3/KMS allow more.
        problems.append(f"IAM Sids are alphanumeric only, got {sid!r}")
    if statement.get("Effect") not in ("Allow", "Deny"):
        problems.append(f"Effect must be Allow or Deny, got {statement.get('Effect')!r}")
    problems.extend(_exactly_one(statement, "Action", "NotAction", required=True))
    for key in ("Action", "NotAction"):
        if key in statement:
            problems.extend(_string_list(statement[key], key, _ACTION))
    problems.extend(_exactly_one(statement, "Resource", "NotResource", required=kind != "trust"))
    if kind == "trust" and ("Resource" in statement or "NotResource" in statement):
        problems.append("trust policies take no Resource")
    for key in ("Resource", "NotResource"):
        if key in statement:
            problems.extend(_string_list(statement[key], key, re.compile(r"^(\*|arn:.+)$")))
    if kind == "identity":
        if "Principal" in statement or "NotPrincipal" in statement:
            problems.append("identity policies take no Principal")
    else:
        problems.extend(_exactly_one(statement, "Principal", "NotPrincipal", required=True))
        for key in ("Principal", "NotPrincipal"):
            if key in statement:
                problems.extend(_principal_problems(statement[key], key))
    if "Condition" in statement:
        problems.extend(_condition_problems(statement["Condition"]))
    return problems


def _exactly_one(statement: dict[str, Any], a: str, b: str, *, required: bool) -> list[str]:
    present = [key for key in (a, b) if key in statement]
    if len(present) == 2:
        return [f"{a} and {b} are mutually exclusive"]
    if required and not present:
        return [f"one of {a} or {b} is required"]
    return []


def _string_list(value: Any, key: str, pattern: re.Pattern[str]) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        return [f"{key} must be a string or a non-empty list of strings"]
    return [
        f"{key} has an invalid entry {item!r}"
        for item in items
        if not isinstance(item, str) or not pattern.match(item)
    ]


def _principal_problems(value: Any, key: str) -> list[str]:
    if value == "*":
        return []
    if not isinstance(value, dict) or not value:
        return [f'{key} must be "*" or an object of principal kinds']
    problems: list[str] = []
    for kind, ids in value.items():
        if kind not in _PRINCIPAL_KINDS:
            problems.append(f"{key} has an unknown principal kind {kind!r}")
            continue
        pattern = {"AWS": _AWS_PRINCIPAL, "Service": _SERVICE}.get(kind, re.compile(r"^.+$"))
        problems.extend(_string_list(ids, f"{key}.{kind}", pattern))
    return problems


def _operator_known(operator: str) -> bool:
    base = operator
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if base.startswith(prefix):
            base = base[len(prefix) :]
    if base.endswith("IfExists") and base != "IfExists":
        base = base[: -len("IfExists")]
        if base == "Null":
            return False
    return base in _OPERATORS


def _condition_problems(condition: Any) -> list[str]:
    if not isinstance(condition, dict) or not condition:
        return ["Condition must be a non-empty object of operator blocks"]
    problems: list[str] = []
    for operator, block in condition.items():
        if not _operator_known(operator):
            problems.append(f"unknown condition operator {operator!r}")
        if not isinstance(block, dict) or not block:
            problems.append(f"Condition.{operator} must be a non-empty object of keys")
            continue
        for key, values in block.items():
            if not _CONDITION_KEY.match(key):
                problems.append(f"Condition.{operator} has an invalid key {key!r}")
            items = values if isinstance(values, list) else [values]
            if not items or not all(isinstance(v, str | bool | int | float) for v in items):
                problems.append(f"Condition.{operator}.{key} must be scalars or a list of them")
            elif operator in ("Null", "Bool") and any(
                str(v).lower() not in ("true", "false") for v in items
            ):
                problems.append(f"Condition.{operator}.{key} must be true or false")
    return problems


def check_policy(doc: Any, kind: PolicyKind = "resource") -> None:
    """Raise ValueError listing every problem (for tests and for shipped documents)."""
    problems = validate_policy(doc, kind)
    if problems:
        raise ValueError("; ".join(problems))
