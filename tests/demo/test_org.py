"""The demo organisation's resources exist as DemoOrg describes them (read back over HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import boto3
import pytest
from demo_helpers import member_session

from trailwarden.demo.org import (
    CIS_NAMESPACE,
    PLANS,
    DemoOrg,
    TrailSpec,
    build_demo_org,
)
from trailwarden.demo.server import FAKE_ENV, reset_moto
from trailwarden.filterpattern.cis import CIS_CONTROLS

HOME = "us-east-1"


@pytest.fixture(scope="module")
def built(moto_endpoint: str) -> Iterator[DemoOrg]:
    """Build once for the module: the tests below only read."""
    reset_moto(moto_endpoint)
    yield build_demo_org(moto_endpoint)
    reset_moto(moto_endpoint)


@pytest.fixture
def demo(built: DemoOrg, monkeypatch: pytest.MonkeyPatch) -> DemoOrg:
    for key, value in FAKE_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL", built.endpoint)
    session_for.cache_clear()
    return built


@cache
def session_for(account_id: str) -> Any:
    """The management account's own session, or an assumed-role session in a member."""
    if account_id == "123456789012":
        return boto3.Session(region_name=HOME)
    return member_session(account_id)


def test_organisation_membership(demo: DemoOrg) -> None:
    org = boto3.client("organizations", region_name=HOME)
    listed = {a["Id"] for a in org.list_accounts()["Accounts"]}
    members = {a.account_id for a in demo.accounts if a.in_organization}
    assert listed == members
    assert len(members - {demo.management_account_id}) >= 7
    assert not {a.account_id for a in demo.accounts if not a.in_organization} & listed
    principals = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert "cloudtrail.amazonaws.com" in {p["ServicePrincipal"] for p in principals}
    assert len(set(demo.account_ids)) == len(demo.accounts) == len(PLANS) + 1
    assert demo.scan_args()[1].split(",") == demo.account_ids


def test_organisation_trail(demo: DemoOrg) -> None:
    ct = boto3.client("cloudtrail", region_name=HOME)
    trail = ct.get_trail(Name=demo.org_trail_arn)["Trail"]
    assert trail["IsOrganizationTrail"] and trail["IsMultiRegionTrail"]
    assert trail["LogFileValidationEnabled"] and trail["KmsKeyId"]
    assert trail["CloudWatchLogsLogGroupArn"]
    assert ct.get_trail_status(Name=demo.org_trail_arn)["IsLogging"]
    for acct in demo.accounts:
        seen = {
            t["TrailARN"]
            for region in demo.regions
            for t in session_for(acct.account_id)
            .client("cloudtrail", region_name=region)
            .describe_trails()["trailList"]
        }
        assert (demo.org_trail_arn in seen) == acct.in_organization, acct.label
        assert seen - {demo.org_trail_arn} == {
            arn for arn in acct.trail_arns if arn != demo.org_trail_arn
        }, acct.label


def _check_trail(session: Any, arn: str, spec: TrailSpec) -> None:
    ct = session.client("cloudtrail", region_name=HOME)
    trail = ct.get_trail(Name=arn)["Trail"]
    assert trail["IsMultiRegionTrail"] == spec.multi_region
    assert trail["LogFileValidationEnabled"] == spec.validation
    assert bool(trail.get("KmsKeyId")) == spec.kms
    assert bool(trail.get("CloudWatchLogsLogGroupArn")) == spec.cloudwatch
    assert ct.get_trail_status(Name=arn)["IsLogging"]
    tags = ct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert bool(tags) == spec.tags
    selectors = ct.get_event_selectors(TrailName=arn)["EventSelectors"]
    assert selectors[0]["ReadWriteType"] == ("WriteOnly" if spec.write_only else "All")
    s3 = session.client("s3", region_name=HOME)
    bucket = trail["S3BucketName"]
    public = s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"]
    assert public == spec.public_bucket
    assert ("LoggingEnabled" in s3.get_bucket_logging(Bucket=bucket)) == spec.access_logging
    if spec.cloudwatch:
        status = ct.get_trail_status(Name=arn)
        assert ("LatestCloudWatchLogsDeliveryError" in status) == spec.stale_cloudwatch


def test_each_account_trail_matches_its_state(demo: DemoOrg) -> None:
    for plan in PLANS:
        acct = demo.account(plan.label)
        if plan.trail is None:
            assert acct.trail_arns == ()
            continue
        assert len(acct.trail_arns) == 1
        _check_trail(session_for(acct.account_id), acct.trail_arns[0], plan.trail)
        # A failing state names the control it breaks; a compliant one names none.
        assert bool(acct.expected_failures) == (plan.label != "compliant")


def _cis_state(session: Any) -> tuple[set[str], list[str]]:
    """Exact CIS patterns found on alarmed metrics, and the topic's subscription ARNs."""
    logs = session.client("logs", region_name=HOME)
    cw = session.client("cloudwatch", region_name=HOME)
    sns = session.client("sns", region_name=HOME)
    patterns, topics = set(), set()
    for group in logs.describe_log_groups()["logGroups"]:
        for flt in logs.describe_metric_filters(logGroupName=group["logGroupName"])[
            "metricFilters"
        ]:
            metric = flt["metricTransformations"][0]
            alarms = cw.describe_alarms_for_metric(
                MetricName=metric["metricName"], Namespace=metric["metricNamespace"]
            )["MetricAlarms"]
            if alarms and metric["metricNamespace"] == CIS_NAMESPACE:
                patterns.add(flt["filterPattern"])
                topics.update(a for alarm in alarms for a in alarm["AlarmActions"])
    subs = [
        s["SubscriptionArn"]
        for topic in topics
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    ]
    return patterns, subs


def test_cis_chain_confirmed_only_in_the_compliant_account(demo: DemoOrg) -> None:
    expected = {cis.pattern for cis in CIS_CONTROLS}
    patterns, subs = _cis_state(session_for(demo.account("compliant").account_id))
    assert patterns == expected and len(expected) == 14
    assert subs and all(s.startswith("arn:aws:sns:") for s in subs)
    patterns, subs = _cis_state(session_for(demo.management_account_id))
    assert patterns == expected
    assert subs == ["PendingConfirmation"]
    patterns, subs = _cis_state(session_for(demo.account("no-validation").account_id))
    assert patterns == set() and subs == []


def test_event_data_stores(demo: DemoOrg) -> None:
    def stores(label: str) -> list[dict[str, Any]]:
        ct = session_for(demo.account(label).account_id).client("cloudtrail")
        return [
            ct.get_event_data_store(EventDataStore=s["EventDataStoreArn"])
            for s in ct.list_event_data_stores()["EventDataStores"]
        ]

    assert [bool(s.get("KmsKeyId")) for s in stores("compliant")] == [True]
    assert [bool(s.get("KmsKeyId")) for s in stores("no-kms-untagged")] == [False]
    assert stores("org-only") == []
    assert "CloudTrail.10" in demo.account("no-kms-untagged").expected_failures
