"""Each moto gap patch, read back through boto3 over HTTP from the in-process moto server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from demo_helpers import member_session

from trailwarden.demo.motogaps import (
    DEFAULT_EVENT_SELECTORS,
    confirm_subscription_for_demo,
    confirmation_token,
    seed_trail_status,
    teach_moto,
)

REGION = "us-east-1"


def _trail(name: str = "main-trail", **kwargs: object) -> str:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=f"{name}-logs")
    ct = boto3.client("cloudtrail", region_name=REGION)
    return str(ct.create_trail(Name=name, S3BucketName=f"{name}-logs", **kwargs)["TrailARN"])


def test_teach_moto_is_idempotent(aws: str) -> None:
    teach_moto()
    teach_moto()  # a second call must not wrap the patches twice
    arn = _trail()
    selectors = boto3.client("cloudtrail", region_name=REGION).get_event_selectors(TrailName=arn)
    assert selectors["EventSelectors"] == DEFAULT_EVENT_SELECTORS


def test_a_new_trail_returns_default_selector_and_put_replaces_other_kind(aws: str) -> None:
    arn = _trail()
    ct = boto3.client("cloudtrail", region_name=REGION)
    got = ct.get_event_selectors(TrailName=arn)
    assert got["EventSelectors"] == DEFAULT_EVENT_SELECTORS
    assert not got.get("AdvancedEventSelectors")
    advanced = [
        {"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}
    ]
    ct.put_event_selectors(TrailName=arn, AdvancedEventSelectors=advanced)
    got = ct.get_event_selectors(TrailName=arn)
    assert got["AdvancedEventSelectors"] == advanced and not got.get("EventSelectors")
    write_only = [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]
    ct.put_event_selectors(TrailName=arn, EventSelectors=write_only)
    got = ct.get_event_selectors(TrailName=arn)
    assert got["EventSelectors"][0]["ReadWriteType"] == "WriteOnly"
    assert not got.get("AdvancedEventSelectors")  # AWS: basic replaces advanced


def test_b_start_and_stop_logging_accept_an_arn(aws: str) -> None:
    arn = _trail()
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.start_logging(Name=arn)
    assert ct.get_trail_status(Name=arn)["IsLogging"] is True
    ct.stop_logging(Name=arn)
    assert ct.get_trail_status(Name=arn)["IsLogging"] is False
    with pytest.raises(ClientError) as err:
        ct.start_logging(Name="no-such-trail")
    assert err.value.response["Error"]["Code"] == "TrailNotFoundException"


def test_c_event_data_stores(aws: str) -> None:
    ct = boto3.client("cloudtrail", region_name=REGION)
    assert ct.list_event_data_stores()["EventDataStores"] == []
    key = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    with_key = ct.create_event_data_store(Name="lake-cmk", KmsKeyId=key)["EventDataStoreArn"]
    ct.create_event_data_store(Name="lake-default")
    listed = {s["Name"]: s for s in ct.list_event_data_stores()["EventDataStores"]}
    assert set(listed) == {"lake-cmk", "lake-default"}
    assert ct.get_event_data_store(EventDataStore=with_key)["KmsKeyId"] == key
    plain = ct.get_event_data_store(EventDataStore=listed["lake-default"]["EventDataStoreArn"])
    assert "KmsKeyId" not in plain
    with pytest.raises(ClientError) as err:
        ct.get_event_data_store(EventDataStore=with_key + "x")
    assert err.value.response["Error"]["Code"] == "EventDataStoreNotFoundException"
    # Region-scoped, like AWS's ListEventDataStores.
    other = boto3.client("cloudtrail", region_name="eu-west-1")
    assert other.list_event_data_stores()["EventDataStores"] == []


def test_d_organization_trail_seen_and_read_from_members(org_member: str) -> None:
    arn = _trail("org-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True)
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.add_tags(ResourceId=arn, TagsList=[{"Key": "owner", "Value": "security"}])
    ct.start_logging(Name=arn)
    member = member_session(org_member)
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        mct = member.client("cloudtrail", region_name=region)
        trails = mct.describe_trails(includeShadowTrails=True)["trailList"]
        assert [(t["TrailARN"], t["HomeRegion"]) for t in trails] == [(arn, REGION)]
        assert trails[0]["IsOrganizationTrail"] is True
        assert mct.describe_trails(includeShadowTrails=False)["trailList"] == []
        assert mct.get_trail_status(Name=arn)["IsLogging"] is True
        assert mct.get_trail(Name=arn)["Trail"]["TrailARN"] == arn
        assert mct.get_event_selectors(TrailName=arn)["EventSelectors"] == DEFAULT_EVENT_SELECTORS
        assert mct.get_insight_selectors(TrailName=arn)["TrailARN"] == arn
        tags = mct.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
        assert tags == [{"Key": "owner", "Value": "security"}]
    mct = member.client("cloudtrail", region_name=REGION)
    with pytest.raises(ClientError) as err:
        mct.get_trail_status(Name="org-trail")  # AWS: members must use the full ARN
    assert err.value.response["Error"]["Code"] == "TrailNotFoundException"
    for call, kwargs in [
        (mct.stop_logging, {"Name": arn}),
        (mct.delete_trail, {"Name": arn}),
        (mct.update_trail, {"Name": arn, "EnableLogFileValidation": True}),
        (mct.put_event_selectors, {"TrailName": arn, "EventSelectors": []}),
        (mct.add_tags, {"ResourceId": arn, "TagsList": [{"Key": "k", "Value": "v"}]}),
    ]:
        with pytest.raises(ClientError) as err:
            call(**kwargs)
        assert err.value.response["Error"]["Code"] == "NotOrganizationMasterAccountException"
    assert ct.get_trail_status(Name=arn)["IsLogging"] is True  # the refused stop did nothing


def test_d_only_management_org_trails_propagate(org_member: str) -> None:
    _trail("plain-trail", IsMultiRegionTrail=True)  # not an organisation trail
    _trail("single-org", IsOrganizationTrail=True)  # single-Region: only its own Region
    member = member_session(org_member)
    home = member.client("cloudtrail", region_name=REGION).describe_trails()["trailList"]
    assert [t["Name"] for t in home] == ["single-org"]
    away = member.client("cloudtrail", region_name="eu-west-1").describe_trails()["trailList"]
    assert away == []


def test_e_bucket_policy_status_is_computed_from_the_policy(aws: str) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="policy-bucket")

    def status_for(statement: dict[str, object]) -> bool:
        policy = {"Version": "2012-10-17", "Statement": [statement]}
        s3.put_bucket_policy(Bucket="policy-bucket", Policy=json.dumps(policy))
        return bool(s3.get_bucket_policy_status(Bucket="policy-bucket")["PolicyStatus"]["IsPublic"])

    base = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::policy-bucket/*"}
    assert status_for({**base, "Principal": "*"}) is True
    assert status_for({**base, "Principal": {"AWS": "*"}}) is True
    restricted = {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    assert status_for({**base, "Principal": "*", "Condition": restricted}) is False
    assert status_for({**base, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}) is False


def test_f_email_subscription_pending_until_confirmed(aws: str) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    plain = sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com")
    assert plain["SubscriptionArn"] == "pending confirmation"
    sub = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="b@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [s["SubscriptionArn"] for s in listed] == ["PendingConfirmation"] * 2
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "true"
    with pytest.raises(ClientError):
        sns.confirm_subscription(TopicArn=topic, Token="wrong")
    confirmed = sns.confirm_subscription(TopicArn=topic, Token=confirmation_token(sub))
    assert confirmed["SubscriptionArn"] == sub
    arns = {
        s["SubscriptionArn"]
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    }
    assert arns == {sub, "PendingConfirmation"}
    # The in-process shortcut confirms the other one.
    other = next(
        s for s in sns.list_subscriptions()["Subscriptions"] if s["Endpoint"] == "a@example.com"
    )
    assert other["SubscriptionArn"] == "PendingConfirmation"


def test_f_in_process_confirmation_and_sqs_needs_none(aws: str) -> None:
    sns = boto3.client("sns", region_name=REGION)
    topic = sns.create_topic(Name="alarms")["TopicArn"]
    sub = sns.subscribe(
        TopicArn=topic, Protocol="email", Endpoint="c@example.com", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    confirm_subscription_for_demo(sub)
    assert (
        sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"][0]["SubscriptionArn"]
        == sub
    )
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="q")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:123456789012:{queue.rsplit('/', 1)[-1]}"
    sqs_sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    assert sqs_sub["SubscriptionArn"].startswith("arn:aws:sns:")


def test_g_trail_status_returns_seeded_delivery_fields(org_member: str) -> None:
    arn = _trail("org-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True)
    ct = boto3.client("cloudtrail", region_name=REGION)
    ct.start_logging(Name=arn)
    assert "LatestCloudWatchLogsDeliveryTime" not in ct.get_trail_status(Name=arn)
    stale = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    seed_trail_status(
        arn,
        LatestDeliveryError="AccessDenied",
        LatestCloudWatchLogsDeliveryTime=stale,
        LatestCloudWatchLogsDeliveryError="AccessDeniedException",
        LatestDigestDeliveryTime=stale,
    )
    for client in (ct, member_session(org_member).client("cloudtrail", region_name="eu-west-1")):
        status = client.get_trail_status(Name=arn)
        assert status["LatestDeliveryError"] == "AccessDenied"
        assert status["LatestCloudWatchLogsDeliveryError"] == "AccessDeniedException"
        assert status["LatestCloudWatchLogsDeliveryTime"] == stale
        assert status["LatestDigestDeliveryTime"] == stale
    seed_trail_status(arn, LatestDeliveryError=None)
    assert "LatestDeliveryError" not in ct.get_trail_status(Name=arn)
    with pytest.raises(ValueError):
        seed_trail_status(arn, IsLogging=False)  # type: ignore[arg-type]
