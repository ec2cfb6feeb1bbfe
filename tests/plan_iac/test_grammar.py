"""The IAM grammar check accepts every document we generate and rejects broken ones."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from trailwarden.plan.baseline import Baseline
from trailwarden.policies import apply_policy, validate_policy
from trailwarden.policies.grammar import PolicyKind

from .support import ORG_ID


def our_documents(baseline: Baseline) -> list[tuple[str, dict[str, Any], PolicyKind]]:
    return [
        ("bucket", baseline.bucket_policy(), "resource"),
        ("access-log bucket", baseline.access_log_bucket_policy(), "resource"),
        ("key", baseline.new_key_policy(), "resource"),
        ("trust", baseline.cloudwatch_trust_policy(), "trust"),
        ("role", baseline.cloudwatch_role_policy(), "identity"),
        ("apply", apply_policy(), "identity"),
    ]


@pytest.mark.parametrize("org", [False, True])
def test_accepts_everything_we_generate(make_baseline: Any, org: bool) -> None:
    baseline = make_baseline(
        org_id=ORG_ID if org else None,
        prefix="p",
        kms_readers=["arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:role/B"],
    )
    for name, doc, kind in our_documents(baseline):
        assert validate_policy(doc, kind) == [], name


def _base() -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::b/*",
                "Condition": {"StringEquals": {"aws:SourceArn": "arn:aws:cloudtrail:x"}},
            }
        ],
    }


def _edit(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = copy.deepcopy(_base())
    change(doc)
    return doc


def _stmt(doc: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = doc["Statement"][0]
    return statement


BROKEN: dict[str, tuple[dict[str, Any], PolicyKind, str]] = {
    "no version": (_edit(lambda d: d.pop("Version")), "resource", "Version"),
    "old date": (_edit(lambda d: d.update(Version="2020-01-01")), "resource", "Version"),
    "unknown top key": (_edit(lambda d: d.update(Extra=1)), "resource", "top-level"),
    "empty statements": (_edit(lambda d: d.update(Statement=[])), "resource", "Statement"),
    "bad effect": (_edit(lambda d: _stmt(d).update(Effect="allow")), "resource", "Effect"),
    "no action": (_edit(lambda d: _stmt(d).pop("Action")), "resource", "Action"),
    "action and notaction": (
        _edit(lambda d: _stmt(d).update(NotAction="s3:GetObject")),
        "resource",
        "mutually exclusive",
    ),
    "malformed action": (
        _edit(lambda d: _stmt(d).update(Action="PutObject")),
        "resource",
        "Action",
    ),
    "empty action list": (_edit(lambda d: _stmt(d).update(Action=[])), "resource", "Action"),
    "resource not an arn": (_edit(lambda d: _stmt(d).update(Resource="bucket")), "resource", "Res"),
    "no principal in resource policy": (
        _edit(lambda d: _stmt(d).pop("Principal")),
        "resource",
        "Principal",
    ),
    "principal in identity policy": (_base(), "identity", "Principal"),
    "resource in trust policy": (_base(), "trust", "Resource"),
    "unknown principal kind": (
        _edit(lambda d: _stmt(d).update(Principal={"Svc": "x"})),
        "resource",
        "principal kind",
    ),
    "bad service principal": (
        _edit(lambda d: _stmt(d).update(Principal={"Service": "cloudtrail"})),
        "resource",
        "Service",
    ),
    "bad aws principal": (
        _edit(lambda d: _stmt(d).update(Principal={"AWS": "arn:aws:s3:::b"})),
        "resource",
        "AWS",
    ),
    "unknown operator": (
        _edit(lambda d: _stmt(d).update(Condition={"StringEqual": {"aws:SourceArn": "x"}})),
        "resource",
        "operator",
    ),
    "null with ifexists": (
        _edit(lambda d: _stmt(d).update(Condition={"NullIfExists": {"aws:SourceArn": "true"}})),
        "resource",
        "operator",
    ),
    "null not boolean": (
        _edit(lambda d: _stmt(d).update(Condition={"Null": {"aws:SourceArn": "yes"}})),
        "resource",
        "true or false",
    ),
    "condition key without prefix": (
        _edit(lambda d: _stmt(d).update(Condition={"StringEquals": {"SourceArn": "x"}})),
        "resource",
        "invalid key",
    ),
    "condition value object": (
        _edit(lambda d: _stmt(d).update(Condition={"StringEquals": {"aws:SourceArn": {}}})),
        "resource",
        "scalars",
    ),
    "unknown statement key": (_edit(lambda d: _stmt(d).update(Effects="Allow")), "resource", "key"),
    "iam sid with spaces": (
        _edit(lambda d: _stmt(d).update(Sid="Allow all") or _stmt(d).pop("Principal")),
        "identity",
        "alphanumeric",
    ),
    "duplicate sid": (
        _edit(lambda d: d["Statement"].append(copy.deepcopy(_stmt(d)))),
        "resource",
        "duplicate",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_rejects_broken_documents(name: str) -> None:
    doc, kind, fragment = BROKEN[name]
    problems = validate_policy(doc, kind)
    assert problems, name
    assert any(fragment in problem for problem in problems), problems


def test_accepts_valid_variants() -> None:
    doc = _edit(
        lambda d: _stmt(d).update(
            Condition={
                "ForAnyValue:StringLike": {"aws:TagKeys": ["a*", "b"]},
                "StringEqualsIfExists": {"aws:SourceAccount": "111122223333"},
                "Bool": {"aws:SecureTransport": False},
                "NumericLessThan": {"s3:max-keys": 10},
            }
        )
    )
    assert validate_policy(doc, "resource") == []
    assert validate_policy(_edit(lambda d: d.update(Statement=_stmt(d))), "resource") == []
    assert validate_policy(_edit(lambda d: _stmt(d).update(Principal="*")), "resource") == []


# AWS size limits (characters, whitespace excluded for IAM): bucket policy 20 KB, key policy
# 32 KB, inline role policy 10,240, role trust policy 2,048 by default, managed policy 6,144.
LIMITS = {"bucket": 20_480, "access-log bucket": 20_480, "key": 32_768, "trust": 2_048}
IAM_LIMITS = {"role": 10_240, "apply": 6_144}


def test_documents_fit_aws_size_limits(make_baseline: Any) -> None:
    baseline = make_baseline(
        org_id=ORG_ID,
        prefix="a" * 200,
        kms_readers=[f"arn:aws:iam::111122223333:role/reader-{n}" for n in range(20)],
    )
    for name, doc, _kind in our_documents(baseline):
        text = json.dumps(doc, separators=(",", ":"))
        if name in IAM_LIMITS:
            assert len("".join(text.split())) <= IAM_LIMITS[name], name
        else:
            assert len(text) <= LIMITS[name], name
