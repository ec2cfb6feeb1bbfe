"""Members' own trails the organisation trail duplicates: listed with their cost, retired only
with --retire-duplicate-trails, and only once the member's first log file is there."""

from __future__ import annotations

import boto3
from tests.org.support import HOME, apply, build_org, org_plan
from tests.scan.seed import create_trail, session_for


def _data_event_trail(member: str) -> str:
    arn = create_trail(session_for(member), "data-trail")
    ct = session_for(member).client("cloudtrail", region_name=HOME)
    ct.put_event_selectors(
        TrailName="data-trail",
        EventSelectors=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
            }
        ],
    )
    return arn


def test_duplicates_are_listed_with_their_cost_and_not_retired_by_default(aws: str) -> None:
    org = build_org()
    kept = _data_event_trail(org.without_trail)
    plan = org_plan()
    assert plan.organization is not None
    found = {d.trail_arn: d for d in plan.organization.duplicates}
    duplicate = found[org.member_trail_arn]
    assert duplicate.account == org.with_trail and duplicate.retire is False
    # 300,000 management events a month, a second copy at $2.00 per 100,000 (cost.md).
    assert duplicate.usd_per_month == 6.0
    assert "--retire-duplicate-trails" in duplicate.reason
    assert found[kept].retire is False and "data events" in found[kept].reason
    assert not [s for s in plan.steps if s.operation == "StopLogging"]


def test_retiring_refuses_until_a_member_file_exists_then_stops_logging(aws: str) -> None:
    org = build_org()
    kept = _data_event_trail(org.without_trail)
    plan = org_plan(retire_duplicate_trails=True)
    assert plan.organization is not None
    stops = [s for s in plan.steps if s.operation == "StopLogging"]
    assert [s.target for s in stops] == [org.member_trail_arn]  # the data-event trail is kept
    assert stops[0].account == org.with_trail
    assert f"start-logging --name {org.member_trail_arn}" in stops[0].reason
    assert plan.steps[-1].operation == "StopLogging"  # after the organisation trail logs

    first = apply(plan)
    assert first.failed is not None and first.failed.step.operation == "StopLogging"
    assert "no log file of account" in first.failed.detail
    member = session_for(org.with_trail).client("cloudtrail", region_name=HOME)
    assert member.get_trail_status(Name=org.member_trail_arn)["IsLogging"] is True

    prefix = stops[0].params["MemberLogPrefix"]
    assert prefix == f"AWSLogs/{org.org_id}/{org.with_trail}/"
    boto3.client("s3").put_object(
        Bucket=plan.organization.bucket, Key=f"{prefix}CloudTrail/{HOME}/first.json.gz", Body=b"x"
    )
    second = apply(plan)
    assert second.failed is None
    assert second.results[-1].result == "done"
    assert member.get_trail_status(Name=org.member_trail_arn)["IsLogging"] is False
    # Never deleted: the trail is still there, and the data-event trail still logs.
    assert member.get_trail(Name=org.member_trail_arn)["Trail"]["Name"] == "own-trail"
    other = session_for(org.without_trail).client("cloudtrail", region_name=HOME)
    assert other.get_trail_status(Name=kept)["IsLogging"] is True
    assert apply(plan).nothing_to_change


def test_retiring_refuses_while_the_organisation_trail_is_not_logging(aws: str) -> None:
    org = build_org()
    plan = org_plan(retire_duplicate_trails=True)
    assert apply(plan).failed is not None  # no member file yet
    assert plan.organization is not None
    boto3.client("cloudtrail", region_name=HOME).stop_logging(Name=plan.organization.trail_arn)
    prefix = f"AWSLogs/{org.org_id}/{org.with_trail}/"
    boto3.client("s3").put_object(Bucket=plan.organization.bucket, Key=f"{prefix}f", Body=b"x")
    stop = next(s for s in plan.steps if s.operation == "StopLogging")
    from tests.org.support import access

    from trailwarden.apply import Journal, Runner

    only = plan.model_copy(update={"steps": [stop]})
    report = Runner(access(), only, Journal(None), sleep=lambda _: None).run()
    assert report.failed is not None and "is not logging yet" in report.failed.detail
