"""Fixtures for the demo tests."""

from __future__ import annotations

import boto3
import pytest


@pytest.fixture
def org_member(aws: str) -> str:
    """An organisation managed by moto's default account with one member; returns the member id."""
    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    status = org.create_account(Email="member@example.com", AccountName="member")
    return str(status["CreateAccountStatus"]["AccountId"])
