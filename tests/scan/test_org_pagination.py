"""Organisations of thousands of accounts: ListAccounts pages through every one of them, a
throttling storm on the listing included (moto over HTTP behind the fault proxy; the accounts are
seeded into moto's backend directly, which takes a second where 2,500 CreateAccount calls would
take most of a minute)."""

from __future__ import annotations

from typing import Any

import boto3
from moto.organizations.models import organizations_backends
from tests.scan.seed import MANAGEMENT
from tests.support.proxy import Fault

from trailwarden.aws.session import AccessOptions, AwsAccess
from trailwarden.collect.organization import OrganizationReader
from trailwarden.collect.reads import ReadContext

ACCOUNTS = 2_500
PAGE = 100  # moto's page of ListAccounts (AWS's is at most 20: more pages, the same code)
THROTTLED = 2  # answers to the first page, cleared by backoff (each retry waits longer)


def test_thousands_of_accounts_are_listed_whole_through_a_throttling_storm(
    aws: str, proxy: Any
) -> None:
    boto3.client("organizations", region_name="us-east-1").create_organization(FeatureSet="ALL")
    backend = organizations_backends[MANAGEMENT]["aws"]
    for i in range(ACCOUNTS - 1):
        backend.create_account(AccountName=f"member-{i}", Email=f"m{i}@example.com")
    proxy.reset_counts()
    proxy.add_fault(
        Fault(service="organizations", operation="ListAccounts", kind="throttle", times=THROTTLED)
    )
    access = AwsAccess(AccessOptions(max_attempts=THROTTLED + 2))
    organization, errors = OrganizationReader(ReadContext(access), MANAGEMENT, "us-east-1").read()
    assert errors == []
    assert organization is not None and organization.accounts is not None
    ids = [a.id for a in organization.accounts]
    assert len(ids) == len(set(ids)) == ACCOUNTS  # none lost or repeated across 25 pages
    assert MANAGEMENT in ids
    pages = -(-ACCOUNTS // PAGE)
    assert proxy.count(service="organizations", operation="ListAccounts") == pages + THROTTLED
