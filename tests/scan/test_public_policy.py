"""CloudTrail.6 when GetBucketPolicyStatus could not be read: S3's documented meaning of a public
policy decides, and what it does not decide is NOT_AVAILABLE, never PASSED (issue 14, item 3)."""

from __future__ import annotations

from typing import Any

import pytest
from tests.scan.build import MGMT, make_snapshot, make_trail, owned_bucket

from trailwarden.controls import Status, evaluate
from trailwarden.controls.publicpolicy import policy_is_public


def statement(principal: Any = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject"}
    if condition is not None:
        st["Condition"] = condition
    return {"Statement": [st]}


PUBLIC = [
    pytest.param(statement({"AWS": ["*"]}), id="AWS-list-star"),
    pytest.param(statement({"AWS": "*"}), id="AWS-star"),
    pytest.param(statement({"Federated": "graph.facebook.com"}), id="federated"),
    pytest.param(statement(condition={"Bool": {"aws:SecureTransport": "true"}}), id="tls-only"),
    pytest.param(statement(condition={"StringLike": {"aws:SourceVpc": "vpc-*"}}), id="wildcard"),
    pytest.param(
        statement(condition={"StringNotEquals": {"aws:SourceAccount": "111111111111"}}),
        id="negated",
    ),
    pytest.param(
        statement(condition={"StringEquals": {"aws:SourceArn": "${aws:PrincipalArn}"}}),
        id="policy-variable",
    ),
    pytest.param(
        {"Statement": [{"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::1:root"}}]},
        id="not-principal",
    ),
]
NOT_PUBLIC = [
    pytest.param(
        statement(condition={"StringEquals": {"aws:SourceVpc": "vpc-91237329"}}), id="vpc"
    ),
    pytest.param(
        statement(condition={"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "2001:db8::/32"]}}),
        id="cidr",
    ),
    pytest.param(
        statement(
            condition={
                "Bool": {"aws:SecureTransport": "true"},
                "StringEquals": {"AWS:SourceAccount": "111111111111"},
            }
        ),
        id="one-fixed-key-suffices",
    ),
    pytest.param(statement({"Service": "cloudtrail.amazonaws.com"}), id="service"),
    pytest.param(statement({"AWS": "arn:aws:iam::111111111111:root"}), id="account"),
    pytest.param({"Statement": [{"Effect": "Deny", "Principal": "*"}]}, id="deny"),
    pytest.param({}, id="no-policy"),
]
UNDECIDED = [
    pytest.param(
        statement(condition={"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1"}}), id="if-exists"
    ),
    pytest.param(
        statement(condition={"StringEquals": {"aws:PrincipalAccount": "111111111111"}}),
        id="principal-account",
    ),
    pytest.param(statement(condition={"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}), id="any-ip"),
]


@pytest.mark.parametrize("policy", PUBLIC)
def test_s3_calls_these_policies_public(policy: dict[str, Any]) -> None:
    assert policy_is_public(policy) is True


@pytest.mark.parametrize("policy", NOT_PUBLIC)
def test_s3_calls_these_policies_not_public(policy: dict[str, Any]) -> None:
    assert policy_is_public(policy) is False


@pytest.mark.parametrize("policy", UNDECIDED)
def test_what_the_documentation_leaves_open_is_undecided(policy: dict[str, Any]) -> None:
    assert policy_is_public(policy) is None


def ct6_without_policy_status(policy: dict[str, Any]) -> Status:
    bucket = owned_bucket("b", public_access_block={}, policy=policy, policy_is_public=None)
    snap = make_snapshot([make_trail(s3_bucket_name="b")], buckets={MGMT: [bucket]})
    (finding,) = evaluate(snap, only=["CloudTrail.6"]).findings
    return finding.status


@pytest.mark.parametrize("policy", PUBLIC)
def test_ct6_fallback_fails_a_public_policy(policy: dict[str, Any]) -> None:
    assert ct6_without_policy_status(policy) == Status.FAILED


@pytest.mark.parametrize("policy", UNDECIDED)
def test_ct6_fallback_never_passes_what_it_cannot_decide(policy: dict[str, Any]) -> None:
    assert ct6_without_policy_status(policy) == Status.NOT_AVAILABLE


def test_ct6_fallback_passes_a_policy_s3_calls_not_public() -> None:
    fixed_vpc = statement(condition={"StringEquals": {"aws:SourceVpc": "vpc-91237329"}})
    assert ct6_without_policy_status(fixed_vpc) == Status.PASSED
