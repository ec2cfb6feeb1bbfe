"""Several accounts in one plan: each is reached through its role (AssumeRole), fixed in place,
and counted separately."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.apply.support import ACCOUNT, EMAIL, REGIONS, not_passing
from tests.scan.seed import create_org

from trailwarden.apply import CountingAccess
from trailwarden.aws.session import AccessOptions
from trailwarden.collect import ScanOptions, collect
from trailwarden.demo.motogaps import confirm_subscription_for_demo

pytestmark = pytest.mark.slow


def test_plan_and_apply_across_accounts(aws: str, cli: Any, tmp_path: Path) -> None:
    (member,) = create_org(1)
    accounts = f"{ACCOUNT},{member}"
    plan_file = tmp_path / "plan.json"
    planned = cli(
        ["plan", "--accounts", accounts, "--regions", ",".join(REGIONS),
         "--alarm-email", EMAIL, "--out", str(plan_file), "--output", "json"]
    )  # fmt: skip
    assert planned.code == 0, planned.stderr
    plan = json.loads(planned.stdout)
    assert {a["account"] for a in plan["accounts"]} == {ACCOUNT, member}
    assert set(plan["api_calls"]) == {ACCOUNT, member}
    buckets = {a["baseline"]["bucket"]["name"] for a in plan["accounts"]}
    assert buckets == {f"trailwarden-{a}-us-east-1" for a in (ACCOUNT, member)}

    applied = cli(["apply", str(plan_file), "--yes", "--output", "json"])
    assert applied.code == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert set(report["api_calls"]) == {ACCOUNT, member}
    for arns in report["subscriptions"].values():
        for arn in arns:
            confirm_subscription_for_demo(arn)

    # The member's trail lives in the member account, not in the caller's.
    own = boto3.client("cloudtrail", region_name="us-east-1").describe_trails()["trailList"]
    assert [t["TrailARN"].split(":")[4] for t in own] == [ACCOUNT]
    access = CountingAccess(AccessOptions(region="us-east-1"))
    snapshot = collect(access, ScanOptions(accounts=[ACCOUNT, member], regions=REGIONS))
    assert {a.account for a in snapshot.accounts if a.trails} == {ACCOUNT, member}
    assert not_passing(snapshot) == []
