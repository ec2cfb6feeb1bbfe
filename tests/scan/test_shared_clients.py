"""One client per (Region, service) for every account (aws/shared.py), on moto over HTTP: each
call is signed as the account whose view makes it, paginated calls included, and a call that
bypasses the views is refused rather than signed as the caller."""

from __future__ import annotations

import pytest
from tests.scan.seed import MANAGEMENT, create_org

from trailwarden.apply.context import CountingAccess
from trailwarden.aws.session import AccessOptions, AwsAccess


def test_each_view_signs_as_its_account_on_one_shared_client(aws: str) -> None:
    member = create_org(1)[0]
    access = AwsAccess(AccessOptions())
    mine = access.shared_client(MANAGEMENT, "us-east-1", "sts")
    theirs = access.shared_client(member, "us-east-1", "sts")
    assert mine._client is theirs._client  # one botocore client
    assert theirs.get_caller_identity()["Account"] == member
    assert mine.get_caller_identity()["Account"] == MANAGEMENT
    iam = access.shared_client(member, "us-east-1", "iam")
    roles = [r["Arn"] for page in iam.get_paginator("list_roles").paginate() for r in page["Roles"]]
    assert roles and all(f":{member}:" in arn for arn in roles)
    with pytest.raises(RuntimeError, match="outside an account's view"):
        theirs._client.get_caller_identity()


def test_calls_on_a_shared_client_are_counted_for_their_account(aws: str) -> None:
    member = create_org(1)[0]
    access = CountingAccess(AccessOptions())
    access.shared_client(member, "us-east-1", "sts").get_caller_identity()
    access.shared_client(MANAGEMENT, "us-east-1", "sts").get_caller_identity()
    counted = {k: n for k, n in access.calls.items() if k[2] == "GetCallerIdentity"}
    assert counted == {
        (member, "sts", "GetCallerIdentity"): 1,
        (MANAGEMENT, "sts", "GetCallerIdentity"): 1,
    }
