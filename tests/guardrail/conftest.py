"""An organisation on the moto server for the guardrail's apply tests: management account, a
log-archive member, the root and one OU."""

from __future__ import annotations

from typing import Any

import boto3
import pytest


@pytest.fixture
def organisation(aws: str) -> dict[str, Any]:
    orgs = boto3.client("organizations", region_name="us-east-1")
    created = orgs.create_organization(FeatureSet="ALL")["Organization"]
    archive = orgs.create_account(Email="archive@example.com", AccountName="log-archive")
    root = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"][
        "Id"
    ]
    return {
        "client": orgs,
        "mgmt": created["MasterAccountId"],
        "archive": archive["CreateAccountStatus"]["AccountId"],
        "root": root,
        "ou": ou,
    }
