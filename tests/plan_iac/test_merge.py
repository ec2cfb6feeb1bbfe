"""merge_statements keeps every foreign statement, recognises ours, and is idempotent."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trailwarden.plan.baseline import Baseline
from trailwarden.policies import check_policy, merge_statements

from .support import ACCOUNT

FOREIGN = [
    {
        "Sid": "AllowAuditorsRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:role/Auditor"},
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::b", "arn:aws:s3:::b/*"],
    },
    {  # no Sid at all: must survive untouched too
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:DeleteObject",
        "Resource": "arn:aws:s3:::b/*",
    },
]


def test_no_existing_policy_gives_ours(make_baseline: Any) -> None:
    required = make_baseline().bucket_policy()["Statement"]
    result = merge_statements(None, required)
    assert result.changed
    assert result.document["Statement"] == required
    assert result.added_sids == tuple(s["Sid"] for s in required)
    check_policy(result.document)


def test_foreign_statements_kept_in_place_and_idempotent(make_baseline: Any) -> None:
    required = make_baseline().bucket_policy()["Statement"]
    existing = {"Version": "2012-10-17", "Id": "custom", "Statement": copy.deepcopy(FOREIGN)}
    before = copy.deepcopy(existing)
    first = merge_statements(existing, required)
    assert existing == before, "the input document must not be mutated"
    assert first.changed and set(first.added_sids) == {s["Sid"] for s in required}
    assert first.document["Id"] == "custom"
    assert first.document["Statement"][: len(FOREIGN)] == FOREIGN
    second = merge_statements(first.document, required)
    assert not second.changed and second.added_sids == () and second.updated_sids == ()
    assert second.document == first.document


def test_single_statement_object_is_accepted(make_baseline: Any) -> None:
    required = make_baseline().bucket_policy()["Statement"]
    existing = {"Version": "2012-10-17", "Statement": copy.deepcopy(FOREIGN[0])}
    result = merge_statements(existing, required)
    assert result.document["Statement"][0] == FOREIGN[0]
    assert len(result.document["Statement"]) == 1 + len(required)


def test_equivalent_spelling_is_not_a_change(make_baseline: Any) -> None:
    """IAM treats "a" and ["a"], list order and condition-key case as the same."""
    required = make_baseline().bucket_policy()["Statement"]
    respelled = copy.deepcopy(required)
    for statement in respelled:
        if isinstance(statement["Resource"], str):
            statement["Resource"] = [statement["Resource"]]
        else:
            statement["Resource"] = list(reversed(statement["Resource"]))
        for block in statement.get("Condition", {}).values():
            for key in list(block):
                block[key.upper()] = [block.pop(key)]
    existing = {"Version": "2012-10-17", "Statement": respelled}
    result = merge_statements(existing, required)
    assert not result.changed
    assert result.document == existing


def test_account_id_principal_equals_its_root_arn() -> None:
    """S3 and KMS return an account-id principal as the account's root ARN."""
    ours = {
        "Sid": "Readers",
        "Effect": "Allow",
        "Principal": {"AWS": "444455556666"},
        "Action": "kms:Decrypt",
        "Resource": "*",
    }
    stored = copy.deepcopy(ours) | {"Principal": {"AWS": ["arn:aws:iam::444455556666:root"]}}
    result = merge_statements({"Version": "2012-10-17", "Statement": [stored]}, [ours])
    assert not result.changed


def test_shared_bucket_keeps_the_other_trails_source_arn(make_baseline: Any) -> None:
    ours: Baseline = make_baseline()
    other: Baseline = make_baseline(trail_name="legacy-trail")
    existing = other.bucket_policy()
    result = merge_statements(existing, ours.bucket_policy()["Statement"])
    assert result.changed
    acl = next(s for s in result.document["Statement"] if s["Sid"].startswith("AWSCloudTrailAcl"))
    assert acl["Condition"]["StringEquals"]["aws:SourceArn"] == [other.trail_arn, ours.trail_arn]
    assert "AWSCloudTrailAclCheck20150319" in result.updated_sids
    again = merge_statements(result.document, ours.bucket_policy()["Statement"])
    assert not again.changed


def test_conflicting_statement_with_our_sid_is_replaced(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline(prefix="new")
    stale = make_baseline(prefix="old").bucket_policy()
    result = merge_statements(stale, baseline.bucket_policy()["Statement"])
    assert result.updated_sids == ("AWSCloudTrailWrite20150319",)
    write = next(
        s for s in result.document["Statement"] if s["Sid"] == "AWSCloudTrailWrite20150319"
    )
    assert "/new/AWSLogs/" in write["Resource"]


def test_key_policy_merge_keeps_default_and_custom_statements(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline()
    admin = {
        "Sid": "Allow access for Key Administrators",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/KeyAdmin"},
        "Action": ["kms:Create*", "kms:Describe*"],
        "Resource": "*",
    }
    default = baseline.new_key_policy()["Statement"][0]
    existing = {"Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [default, admin]}
    result = merge_statements(existing, baseline.key_policy_statements())
    assert result.document["Statement"][:2] == [default, admin]
    assert len(result.added_sids) == len(baseline.key_policy_statements())
    check_policy(result.document)


def test_required_statements_need_sids() -> None:
    with pytest.raises(ValueError, match="Sid"):
        merge_statements(None, [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}])


_sid = st.from_regex(r"Foreign[A-Za-z0-9]{1,8}", fullmatch=True)
_foreign = st.builds(
    lambda sid, action, resource: {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": action,
        "Resource": resource,
    },
    _sid,
    st.sampled_from(["s3:GetObject", ["s3:ListBucket", "s3:GetObject"]]),
    st.sampled_from(["arn:aws:s3:::x", ["arn:aws:s3:::x/*"]]),
)


@settings(max_examples=60, deadline=None)
@given(
    foreign=st.lists(_foreign, max_size=5, unique_by=lambda s: s["Sid"]),
    keep=st.lists(st.booleans(), min_size=4, max_size=4),
    org=st.booleans(),
)
def test_merge_property(foreign: list[dict[str, Any]], keep: list[bool], org: bool) -> None:
    """Any mix of foreign statements and some of ours: foreign kept verbatim, ours all present,
    second merge is a no-op."""
    baseline = _ORG_BASE if org else _BASE
    required = baseline.bucket_policy()["Statement"]
    present = [s for s, k in zip(required, keep, strict=False) if k]
    existing = {"Version": "2012-10-17", "Statement": [*foreign, *present]}
    first = merge_statements(existing, required)
    statements = first.document["Statement"]
    assert statements[: len(foreign)] == foreign
    for statement in required:
        assert statement in statements
    assert set(first.added_sids) == {s["Sid"] for s in required if s not in present}
    assert merge_statements(first.document, required).changed is False


def _base(org: bool) -> Baseline:
    return Baseline.from_options(
        account_id=ACCOUNT,
        home_region="us-east-1",
        alarms=False,
        org_id="o-a1b2c3d4e5" if org else None,
    )


_BASE = _base(False)
_ORG_BASE = _base(True)
