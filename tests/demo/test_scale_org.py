"""The benchmark organisation: N members, one multi-Region trail each."""

from __future__ import annotations

import boto3
import pytest
from demo_helpers import member_session

from trailwarden.demo.org import HOME_REGION, build_scale_org


def test_scale_org(aws: str) -> None:
    members = build_scale_org(aws, 3)
    listed = {a["Id"] for a in boto3.client("organizations").list_accounts()["Accounts"]}
    assert listed == {*members, "123456789012"} and len(members) == 3
    for member in members:
        trails = (
            member_session(member).client("cloudtrail", region_name="eu-west-1").describe_trails()
        )
        assert [(t["Name"], t["HomeRegion"]) for t in trails["trailList"]] == [
            ("scale-trail", HOME_REGION)
        ]
    with pytest.raises(ValueError):
        build_scale_org(aws, 0)
