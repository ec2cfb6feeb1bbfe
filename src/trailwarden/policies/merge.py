"""Merge our required statements into an existing policy without disturbing anyone else's.

Rules (issue 4: "merges into existing bucket, key and role policies instead of replacing them"):

* statements are matched by ``Sid``; every statement whose Sid is not one of ours is kept verbatim
  and in place, as are the document's other keys (``Id``, ``Version``);
* a statement with our Sid that already grants what ours grants is left alone (comparison ignores
  list order, single-value-vs-list and the case of condition keys, as IAM does);
* a statement with our Sid that differs only in ``aws:SourceArn`` gets our trail ARN added to its
  list, so a bucket or key shared with another trail keeps working for both (AWS documents lists
  of trail ARNs in that condition);
* any other difference is replaced by our statement (reported in ``updated_sids``);
* merging the result again changes nothing.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from trailwarden.policies.builders import VERSION, PolicyDocument, Statement

_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")
_SOURCE_ARN = "aws:sourcearn"
_ACCOUNT = re.compile(r"^\d{12}$")


@dataclass(frozen=True)
class MergeResult:
    document: PolicyDocument
    added_sids: tuple[str, ...]
    updated_sids: tuple[str, ...]
    changed: bool


def merge_statements(existing: PolicyDocument | None, required: list[Statement]) -> MergeResult:
    sids = [statement.get("Sid") for statement in required]
    if any(not isinstance(sid, str) or not sid for sid in sids):
        raise ValueError("every required statement needs a Sid to be merged")
    if len(set(sids)) != len(sids):
        raise ValueError("required statements have duplicate Sids")
    if existing is None:
        doc: PolicyDocument = {"Version": VERSION, "Statement": copy.deepcopy(required)}
        return MergeResult(doc, tuple(str(s) for s in sids), (), True)

    doc = copy.deepcopy(existing)
    raw = doc.get("Statement", [])
    statements: list[Statement] = [raw] if isinstance(raw, dict) else list(raw)
    added: list[str] = []
    updated: list[str] = []
    for ours in required:
        sid = str(ours["Sid"])
        index = next((i for i, s in enumerate(statements) if s.get("Sid") == sid), None)
        if index is None:
            statements.append(copy.deepcopy(ours))
            added.append(sid)
            continue
        theirs = statements[index]
        if _grants_at_least(theirs, ours):
            continue
        widened = _widen_source_arn(theirs, ours)
        statements[index] = widened if widened is not None else copy.deepcopy(ours)
        updated.append(sid)
    changed = bool(added or updated)
    if changed:
        doc["Statement"] = statements
    return MergeResult(doc, tuple(added), tuple(updated), changed)


def _values(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return sorted(_scalar(item) for item in items)


def _principals(kind: str, ids: Any) -> list[str]:
    # AWS stores "AWS": "111122223333" as the account's root ARN and returns it that way.
    if kind != "AWS":
        return _values(ids)
    return sorted(f"arn:aws:iam::{v}:root" if _ACCOUNT.match(v) else v for v in _values(ids))


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def normalise_statement(statement: Statement) -> dict[str, Any]:
    """A comparable form: lists sorted, scalars as one-element lists, condition keys lower-case."""
    out: dict[str, Any] = {}
    for key, value in statement.items():
        if key in _LIST_KEYS:
            out[key] = _values(value)
        elif key in ("Principal", "NotPrincipal"):
            out[key] = (
                value
                if isinstance(value, str)
                else {kind: _principals(kind, ids) for kind, ids in sorted(value.items())}
            )
        elif key == "Condition":
            out[key] = {
                operator: {k.lower(): _values(v) for k, v in sorted(block.items())}
                for operator, block in sorted(value.items())
            }
        else:
            out[key] = value
    return out


def _split_source_arn(statement: Statement) -> tuple[dict[str, Any], dict[str, set[str]]]:
    """(the normalised statement without aws:SourceArn, {operator: its SourceArn values})."""
    norm = normalise_statement(statement)
    sources: dict[str, set[str]] = {}
    condition = norm.get("Condition", {})
    for operator in list(condition):
        block = condition[operator]
        if _SOURCE_ARN in block:
            sources[operator] = set(block.pop(_SOURCE_ARN))
        if not block:
            del condition[operator]
    if "Condition" in norm and not condition:
        del norm["Condition"]
    return norm, sources


def _grants_at_least(theirs: Statement, ours: Statement) -> bool:
    if normalise_statement(theirs) == normalise_statement(ours):
        return True
    their_rest, their_sources = _split_source_arn(theirs)
    our_rest, our_sources = _split_source_arn(ours)
    if their_rest != our_rest or set(their_sources) != set(our_sources):
        return False
    return all(values <= their_sources[op] for op, values in our_sources.items())


def _widen_source_arn(theirs: Statement, ours: Statement) -> Statement | None:
    """Their statement with our aws:SourceArn values appended, if that is the only difference."""
    their_rest, their_sources = _split_source_arn(theirs)
    our_rest, our_sources = _split_source_arn(ours)
    if not our_sources or their_rest != our_rest or set(their_sources) != set(our_sources):
        return None
    widened = copy.deepcopy(theirs)
    for operator, block in widened["Condition"].items():
        if operator not in our_sources:
            continue
        key = next(k for k in block if k.lower() == _SOURCE_ARN)
        current = block[key] if isinstance(block[key], list) else [block[key]]
        extra = sorted(our_sources[operator] - set(current))
        block[key] = [*current, *extra]
    return widened
