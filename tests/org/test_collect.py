"""scan --org reads the organisation's facts into Snapshot.organization (moto over HTTP)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from tests.org.support import MANAGEMENT, REGIONS, build_org, org_scan
from tests.scan.seed import session_for

from trailwarden.collect.organization import NOT_ADMIN_CODE, organisation_error


def test_management_account_reads_the_organisation(aws: str) -> None:
    org = build_org(trusted_access=True)
    config = session_for(org.archive).client("config", region_name="eu-west-1")
    config.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": f"arn:aws:iam::{org.archive}:role/c"}
    )
    s3 = session_for(org.archive).client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=f"config-{org.archive}")
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": f"config-{org.archive}"}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    snapshot = org_scan()
    o = snapshot.organization
    assert o is not None, snapshot.errors
    assert o.id == org.org_id and o.feature_set == "ALL"
    assert o.management_account_id == MANAGEMENT == o.caller_account_id
    assert o.caller_arn.startswith("arn:aws:")
    assert o.root_ids and o.root_ids[0].startswith("r-")
    assert o.service_access == ["cloudtrail.amazonaws.com"]
    assert o.cloudtrail_delegated_admins == []
    assert {a.id for a in o.accounts} == {MANAGEMENT, *org.members}
    assert all(a.joined is not None for a in o.accounts)
    assert o.policies is not None and any(p.name == "FullAWSAccess" for p in o.policies)
    full = next(p for p in o.policies if p.name == "FullAWSAccess")
    assert full.document is not None and full.targets
    assert o.config_recorders is not None
    assert o.config_recorders[org.archive] == ["eu-west-1"]
    assert o.config_recorders[org.with_trail] == []
    assert {a.account for a in snapshot.accounts} == {MANAGEMENT, *org.members}
    assert set(snapshot.accounts[0].regions_enabled) == set(REGIONS)


def test_a_delegated_admin_is_listed(aws: str) -> None:
    org = build_org()
    boto3.client("organizations", region_name="us-east-1").register_delegated_administrator(
        AccountId=org.archive, ServicePrincipal="cloudtrail.amazonaws.com"
    )
    o = org_scan().organization
    assert o is not None and o.cloudtrail_delegated_admins == [org.archive]


def test_no_organisation_leaves_it_none_with_one_line(aws: str) -> None:
    from tests.org.support import access

    from trailwarden.collect import ScanOptions, collect

    snapshot = collect(access(), ScanOptions(org=False, regions=["us-east-1"]))
    assert snapshot.organization is None  # not asked
    from trailwarden.collect.organization import OrganizationReader
    from trailwarden.collect.reads import ReadContext

    found, errors = OrganizationReader(ReadContext(access()), MANAGEMENT, "us-east-1").read()
    assert found is None
    message = organisation_error(errors)
    assert message is not None and "not in an organisation" in message


def test_a_member_is_not_the_management_account(aws: str) -> None:
    org = build_org()
    from tests.org.support import access

    from trailwarden.collect.organization import OrganizationReader
    from trailwarden.collect.reads import ReadContext

    found, errors = OrganizationReader(ReadContext(access()), org.without_trail, "us-east-1").read()
    assert found is None
    assert [e.code for e in errors if e.code == NOT_ADMIN_CODE] == [NOT_ADMIN_CODE]
    message = organisation_error(errors)
    assert message is not None and "neither the management account" in message


def test_scan_org_says_why_when_the_accounts_cannot_be_listed(
    aws: str, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real AWS refuses ListAccounts outside an organisation (moto answers an empty list): the
    line then says what the organisation read found, not only the listing's error."""

    def refuse(_: object) -> list[tuple[str, str]]:
        error: Any = {"Error": {"Code": "AWSOrganizationsNotInUseException", "Message": "no org"}}
        raise ClientError(error, "ListAccounts")

    monkeypatch.setattr("trailwarden.collect.collector.organisation_accounts", refuse)
    res = cli(["scan", "--org", "--regions", "us-east-1"])
    assert res.code == 2
    assert "is not in an organisation (AWSOrganizationsNotInUseException)" in res.stderr


def test_each_account_s_root_and_ous_are_read_with_calls_per_ou_not_per_account(
    aws: str,
) -> None:
    org = build_org()
    orgs = boto3.client("organizations", region_name="us-east-1")
    root = orgs.list_roots()["Roots"][0]["Id"]
    outer = orgs.create_organizational_unit(ParentId=root, Name="workloads")
    outer_id = outer["OrganizationalUnit"]["Id"]
    inner = orgs.create_organizational_unit(ParentId=outer_id, Name="prod")
    inner_id = inner["OrganizationalUnit"]["Id"]
    orgs.move_account(AccountId=org.with_trail, SourceParentId=root, DestinationParentId=outer_id)
    orgs.move_account(
        AccountId=org.without_trail, SourceParentId=root, DestinationParentId=inner_id
    )
    from tests.org.support import access

    acc = access()
    o = org_scan(acc).organization
    assert o is not None
    parents = {a.id: a.parents for a in o.accounts}
    assert parents == {
        MANAGEMENT: [root],
        org.archive: [root],
        org.with_trail: [root, outer_id],
        org.without_trail: [root, outer_id, inner_id],
    }
    walked = {
        op: n
        for (_, service, op), n in acc.calls.items()
        if op in ("ListAccountsForParent", "ListOrganizationalUnitsForParent")
    }
    # One listing of each kind per parent (the root and two OUs), whatever the accounts.
    assert walked == {"ListAccountsForParent": 3, "ListOrganizationalUnitsForParent": 3}


def test_plan_reads_config_recorders_in_the_home_region_only(aws: str) -> None:
    """The conformance pack goes to the home Region: a recorder elsewhere changes nothing the
    plan does, and reading every Region's costs two calls per account and Region."""
    from tests.org.support import HOME

    from trailwarden.cli.options import AccessArgs, ScanScope
    from trailwarden.cli.plan import scan_with_counts

    org = build_org(trusted_access=True)
    accounts = {MANAGEMENT, *org.members}
    scope = ScanScope(org=True, regions=",".join(REGIONS))
    for wanted, expected in (([HOME], len(accounts)), ([], 0), (None, len(accounts) * 2)):
        access, snapshot, _ = scan_with_counts(
            AccessArgs(), scope, None if wanted is None else (lambda _a, w=wanted: w)
        )
        reads = sum(
            n
            for (_, service, op), n in access.calls.items()
            if (service, op) == ("config", "DescribeConfigurationRecorders")
        )
        assert reads == expected, wanted
        assert snapshot.organization is not None
        recorders = snapshot.organization.config_recorders or {}
        # Read: an account with no recorder there is known to have none, never "not read".
        assert set(recorders) == (set() if wanted == [] else accounts)
