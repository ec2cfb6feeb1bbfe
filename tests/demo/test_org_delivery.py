"""The simulated organisation-trail delivery writes what CloudTrail would, for every member."""

from __future__ import annotations

import boto3

from trailwarden.aws.session import AccessOptions, AwsAccess
from trailwarden.demo.org_delivery import simulate_org_delivery
from trailwarden.plan.baseline import Baseline
from trailwarden.trailstore.fixtures import FixtureKey

MGMT = "123456789012"  # moto's default account
REGIONS = ["us-east-1", "eu-west-1"]


def test_every_member_gets_files_under_the_organisation_prefix(org_member: str) -> None:
    org_id = boto3.client("organizations").describe_organization()["Organization"]["Id"]
    baseline = Baseline.from_options(
        account_id=MGMT, home_region="us-east-1", org_id=org_id, bucket="org-logs", prefix="ct"
    )
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="org-logs")
    boto3.client("cloudtrail", region_name="us-east-1").create_trail(
        Name=baseline.trail.name,
        S3BucketName="org-logs",
        S3KeyPrefix="ct",
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
    )
    access = AwsAccess(AccessOptions(region="us-east-1"))

    report = simulate_org_delivery(
        access, baseline, MGMT, [MGMT, org_member], REGIONS, FixtureKey.generate()
    )

    s3 = boto3.client("s3", region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="org-logs")["Contents"]]
    for account in (MGMT, org_member):
        for region in REGIONS:
            logs = f"ct/AWSLogs/{org_id}/{account}/CloudTrail/{region}/"
            digests = f"ct/AWSLogs/{org_id}/{account}/CloudTrail-Digest/{region}/"
            assert any(k.startswith(logs) for k in keys), (account, region)
            assert any(k.startswith(digests) for k in keys), (account, region)
        assert report.files[account] == 2 * len(REGIONS)  # one log + one digest per Region
    assert not any(f"/AWSLogs/{MGMT}/" in k for k in keys)  # only the organisation layout
    head = s3.head_object(Bucket="org-logs", Key=keys[0])
    assert head["Metadata"]["trailwarden-simulated"] == "demo"
    status = boto3.client("cloudtrail", region_name="us-east-1").get_trail_status(
        Name=baseline.trail_arn
    )
    assert "LatestDigestDeliveryTime" in status and "LatestDeliveryError" not in status
