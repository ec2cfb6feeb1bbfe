"""Would these service control policies deny this request? AWS's documented evaluation (pure).

The elements SCPs use are decided the way the IAM User Guide describes them
(docs/aws-facts/scp.md#evaluation): ``Action``/``NotAction`` (wildcards ``*`` ``?``,
case-insensitive), ``Resource``/``NotResource`` (the same wildcards within an ARN segment,
case-sensitive), and ``Condition`` with the String, Arn, Bool and Null operators and their
``...IfExists`` forms (blocks and keys ANDed, a key's values ORed, a negated operator true
when no value matches, a key missing from the request false for a positive operator and true
for a negated one).
For SCPs (docs/aws-facts/scp.md#scp-evaluation): an explicit ``Deny`` anywhere on the path
root -> OU -> account wins; otherwise every level must have an ``Allow`` that matches (the
``FullAWSAccess`` policy unless someone replaced it); the management account and
service-linked roles are not restricted at all.

What this module cannot decide exactly (``Principal``, policy variables, numeric, date, IP
and binary operators, ``ForAnyValue``/``ForAllValues``, a multi-valued key given to a
single-valued operator, an unknown element) makes the answer ``UNDECIDED`` with the reason:
never a guessed ``ALLOWED``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trailwarden.arns import arn_account, arn_parts

ContextValue = str | bool | Sequence[str]

FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
FULL_AWS_ACCESS_NAME = "FullAWSAccess"
_STATEMENT_KEYS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


class Decision(enum.StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    UNDECIDED = "undecided"  # something here cannot be decided exactly: never read as allowed


class Undecidable(Exception):
    """A construct this evaluator does not decide; the message says which."""


@dataclass(frozen=True)
class Request:
    """One API call as the policies see it. ``aws:PrincipalArn`` and ``aws:PrincipalAccount``
    come from ``principal_arn`` unless ``context`` sets them."""

    principal_arn: str
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def key(self, name: str) -> ContextValue | None:
        wanted = name.lower()
        for k, v in self.context.items():
            if k.lower() == wanted:
                return v
        if wanted == "aws:principalarn":
            return self.principal_arn
        if wanted == "aws:principalaccount":
            return arn_account(self.principal_arn) or None
        return None


@dataclass(frozen=True)
class NamedPolicy:
    name: str
    document: Mapping[str, Any]


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    reason: str  # one line
    policy: str | None = None  # the policy whose statement decided it
    level: int | None = None  # 0 = the root, then each OU, the account last
    statement: Mapping[str, Any] | None = None

    @property
    def statement_id(self) -> str | None:
        if self.statement is None:
            return None
        return str(self.statement.get("Sid", "")) or None


# --- wildcards -----------------------------------------------------------------------------------


def _glob(pattern: str, *, ignore_case: bool = False) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _no_variables(value: str) -> str:
    if "${" in value:
        raise Undecidable(f"policy variable in {value!r}")
    return value


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    return _glob(_no_variables(pattern), ignore_case=ignore_case).fullmatch(value) is not None


def resource_match(pattern: str, arn: str) -> bool:
    """The Resource element: wildcards stay within a colon-delimited segment, except a ``*``
    that ends a segment, which may run across colons (IAM User Guide, Resource element)."""
    body = []
    for i, ch in enumerate(_no_variables(pattern)):
        if ch == "*":
            ends = i + 1 == len(pattern) or pattern[i + 1] == ":"
            body.append(".*" if ends else "[^:]*")
        else:
            body.append("[^:]" if ch == "?" else re.escape(ch))
    return re.fullmatch("".join(body), arn, re.DOTALL) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike/ArnEquals: each of the six colon-delimited parts matched on its own."""
    want, have = arn_parts(_no_variables(pattern)), arn_parts(arn)
    if len(want) != 6 or len(have) != 6:
        return False
    return all(glob_match(w, h) for w, h in zip(want, have, strict=True))


def _strings(value: Any, element: str) -> list[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise Undecidable(f"{element} is not a string or a list of strings")
    return items


# --- conditions ----------------------------------------------------------------------------------


def _equals(p: str, v: str) -> bool:
    return p == v


def _equals_ignore_case(p: str, v: str) -> bool:
    return p.lower() == v.lower()


def _like(p: str, v: str) -> bool:
    return glob_match(p, v)


def _bool(p: str, v: str) -> bool:
    return p.lower() == v.lower()


# operator -> (matches one policy value against the request value, negated)
_OPERATORS = {
    "StringEquals": (_equals, False),
    "StringNotEquals": (_equals, True),
    "StringEqualsIgnoreCase": (_equals_ignore_case, False),
    "StringNotEqualsIgnoreCase": (_equals_ignore_case, True),
    "StringLike": (_like, False),
    "StringNotLike": (_like, True),
    "ArnEquals": (arn_like, False),
    "ArnLike": (arn_like, False),
    "ArnNotEquals": (arn_like, True),
    "ArnNotLike": (arn_like, True),
    "Bool": (_bool, False),
}
_LOWER = {name.lower(): name for name in _OPERATORS}


def _scalar(value: ContextValue, key: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    raise Undecidable(f"{key} has several values: a single-valued operator cannot decide it")


def _policy_values(raw: Any, where: str) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    out = []
    for item in items:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, str | int | float):
            out.append(_no_variables(str(item)))
        else:
            raise Undecidable(f"{where} has a value that is not a scalar")
    return out


def _condition_holds(operator: str, key: str, raw: Any, request: Request) -> bool:
    lowered = operator.lower()
    if lowered.startswith(("foranyvalue:", "forallvalues:")):
        raise Undecidable(f"set operator {operator} is not decided here")
    present = request.key(key)
    if lowered == "null":
        wanted = _policy_values(raw, f"Null.{key}")
        if any(w.lower() not in ("true", "false") for w in wanted):
            raise Undecidable(f"Null.{key} must be true or false")
        return any((w.lower() == "true") == (present is None) for w in wanted)
    if_exists = lowered.endswith("ifexists")
    base = _LOWER.get(lowered[: -len("ifexists")] if if_exists else lowered)
    if base is None:
        raise Undecidable(f"condition operator {operator} is not decided here")
    match, negated = _OPERATORS[base]
    if present is None:
        return if_exists or negated  # IAM: a missing key fails a positive test, passes a negation
    have = _scalar(present, key)
    hit = any(match(p, have) for p in _policy_values(raw, f"{operator}.{key}"))
    return not hit if negated else hit


def conditions_hold(condition: Any, request: Request) -> bool:
    if condition is None:
        return True
    if not isinstance(condition, dict):
        raise Undecidable("Condition is not an object")
    for operator, block in condition.items():
        if not isinstance(block, dict):
            raise Undecidable(f"Condition.{operator} is not an object")
        for key, raw in block.items():
            if not _condition_holds(operator, key, raw, request):
                return False
    return True


# --- statements and policies ---------------------------------------------------------------------


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Does ``statement`` match ``request`` (its Effect aside)? Raises ``Undecidable``."""
    unknown = set(statement) - _STATEMENT_KEYS
    if unknown:
        raise Undecidable(f"element(s) {', '.join(sorted(unknown))} not decided here")
    if ("Action" in statement) == ("NotAction" in statement):
        raise Undecidable("a statement needs exactly one of Action or NotAction")
    if ("Resource" in statement) == ("NotResource" in statement):
        raise Undecidable("a statement needs exactly one of Resource or NotResource")
    element = "Action" if "Action" in statement else "NotAction"
    hit = any(
        glob_match(p, request.action, ignore_case=True)
        for p in _strings(statement[element], element)
    )
    if hit != (element == "Action"):
        return False
    element = "Resource" if "Resource" in statement else "NotResource"
    hit = any(resource_match(p, request.resource) for p in _strings(statement[element], element))
    if hit != (element == "Resource"):
        return False
    return conditions_hold(statement.get("Condition"), request)


def _statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    raw = document.get("Statement")
    items = [raw] if isinstance(raw, dict) else raw
    if not isinstance(items, list) or not all(isinstance(s, dict) for s in items):
        raise Undecidable("Statement is not an object or a list of objects")
    return items


@dataclass
class _Level:
    """What one level's policies say about the request."""

    deny: tuple[NamedPolicy, Mapping[str, Any]] | None = None
    allow: tuple[NamedPolicy, Mapping[str, Any]] | None = None
    unsure_deny: str | None = None
    unsure_allow: str | None = None


def _read_level(policies: Sequence[NamedPolicy], request: Request) -> _Level:
    level = _Level()
    for policy in policies:
        try:
            statements = _statements(policy.document)
        except Undecidable as exc:
            level.unsure_deny = level.unsure_deny or f"{policy.name}: {exc}"
            continue
        for statement in statements:
            effect = statement.get("Effect")
            try:
                if effect not in ("Allow", "Deny"):
                    raise Undecidable(f"Effect {effect!r}")
                applies = statement_applies(statement, request)
            except Undecidable as exc:
                reason = f"{policy.name} {_label(statement)}: {exc}"
                if effect == "Allow":
                    level.unsure_allow = level.unsure_allow or reason
                else:  # an unreadable statement may deny: it cannot be read as "no deny"
                    level.unsure_deny = level.unsure_deny or reason
                continue
            if applies and effect == "Deny" and level.deny is None:
                level.deny = (policy, statement)
            elif applies and effect == "Allow" and level.allow is None:
                level.allow = (policy, statement)
    return level


def _label(statement: Mapping[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"statement {sid}" if sid else "a statement without Sid"


def is_service_linked_role(principal_arn: str) -> bool:
    """``arn:PARTITION:iam::ACCOUNT:role/aws-service-role/...`` (the path AWS gives them)."""
    parts = arn_parts(principal_arn)
    return len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/aws-service-role/")


def evaluate_scps(
    path: Sequence[Sequence[NamedPolicy]],
    request: Request,
    *,
    management_account: str | None = None,
) -> Verdict:
    """The SCP decision for ``request`` in an account whose path from the root is ``path``:
    one entry per level (root, each OU, the account), each the policies attached there.

    The verdict names the statement that decided it: the first matching ``Deny``, or for an
    implicit deny the level with no matching ``Allow``, or for ``ALLOWED`` the last level's
    allow. ``management_account``: SCPs do not restrict it."""
    account = arn_account(request.principal_arn)
    if management_account is not None and account == management_account:
        return Verdict(Decision.ALLOWED, "SCPs do not apply to the management account")
    if is_service_linked_role(request.principal_arn):
        return Verdict(Decision.ALLOWED, "SCPs do not apply to service-linked roles")
    levels = [_read_level(policies, request) for policies in path]
    for number, level in enumerate(levels):
        if level.deny is not None:
            policy, statement = level.deny
            return Verdict(
                Decision.DENIED,
                f"explicit deny: {policy.name} {_label(statement)} at level {number}",
                policy.name,
                number,
                statement,
            )
    unsure = next((lv.unsure_deny for lv in levels if lv.unsure_deny), None)
    if unsure is not None:
        return Verdict(Decision.UNDECIDED, f"a Deny cannot be decided: {unsure}")
    allowed: Verdict | None = None
    for number, level in enumerate(levels):
        if level.allow is None:
            if level.unsure_allow is not None:
                return Verdict(
                    Decision.UNDECIDED, f"an Allow cannot be decided: {level.unsure_allow}"
                )
            return Verdict(
                Decision.DENIED,
                f"implicit deny: no SCP at level {number} allows {request.action}",
                level=number,
            )
        policy, statement = level.allow
        allowed = Verdict(
            Decision.ALLOWED,
            f"allowed by an SCP at every level ({policy.name} {_label(statement)} last)",
            policy.name,
            number,
            statement,
        )
    if allowed is None:
        return Verdict(Decision.UNDECIDED, "no levels given: where the account sits is unknown")
    return allowed


def explain_scp_decision(
    path: Sequence[Sequence[NamedPolicy]],
    principal_arn: str,
    action: str,
    resource: str,
    *,
    context: Mapping[str, ContextValue] | None = None,
    management_account: str | None = None,
) -> Verdict:
    """What the demo shows for a simulated call: moto stores SCPs but never enforces them, so
    the decision AWS would take is computed here from the documents attached on the path."""
    request = Request(principal_arn, action, resource, dict(context or {}))
    return evaluate_scps(path, request, management_account=management_account)
