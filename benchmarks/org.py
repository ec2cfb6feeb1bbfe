"""``verify --org`` benchmark: N member accounts behind a fixed-latency proxy, against the
per-account verify path, in the same process.

moto and the proxy run in their own process (``benchmarks.scan._serve``), the proxy adding
``--delay`` seconds to every request like an AWS round trip and counting calls. The organisation is
the benchmark organisation of ``demo.org.build_scale_org`` (each member with its own logging
trail), plus an organisation trail in the management account, one log file per account and Region
under its ``AWSLogs/o-ORGID/ACCOUNT/`` prefix, one under each member's own trail prefix, the
guardrail SCP on the root, an organisation conformance pack and an EventBridge rule with an SNS
target. Then:

* ``verify --org``: ``verify.org.verify_org`` over the organisation plan (every account, every
  Region, SCP, pack, rule);
* the per-account path: for each account in turn, what ``verify`` proves of coverage with the
  account's own trail (``verify.checks.AccountVerifier``: "logging" and "log file delivered", read
  in the account through AssumeRole). It answers less ("a file in some Region", no SCP, no drift
  checks) and still pays a round trip per call per account.

Then ``plan --org-trail`` and ``apply`` (twice) against ``plan --accounts`` and its applies, each
path on its own fresh server: see benchmarks/org_plan.py (``--only verify`` or ``--only plan``
runs one half). A last line holds every figure as JSON.

Figures are printed, never asserted (the machine is shared: compare the ratio, not the seconds).

    python benchmarks/org.py --accounts 100 --regions 3 --delay 0.05
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, only benchmarks/ is on the path: the repository root holds tests.support.
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HOME = "us-east-1"
MANAGEMENT = "123456789012"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2", "eu-central-1"]
BUCKET = "org-bench-logs"
SCP = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Action": "cloudtrail:StopLogging", "Resource": "*"},
    ],
}
PATTERN = {"source": ["aws.cloudtrail"], "detail": {"eventName": ["StopLogging"]}}


def _seed(endpoint: str, members: int, regions: list[str]) -> tuple[Any, list[str]]:
    """The organisation (straight to moto, no delay): returns (organisation plan, accounts)."""
    import boto3

    from trailwarden.demo.org import build_scale_org
    from trailwarden.demo.server import pointed_at
    from trailwarden.plan.model import Drift, Guardrail, OrgPlan
    from trailwarden.trailstore import layout

    ids = build_scale_org(endpoint, members)
    accounts = [MANAGEMENT, *ids]
    with pointed_at(endpoint):
        org = boto3.client("organizations", region_name=HOME)
        org_id = org.describe_organization()["Organization"]["Id"]
        root = org.list_roots()["Roots"][0]["Id"]
        s3 = boto3.client("s3", region_name=HOME)
        s3.create_bucket(Bucket=BUCKET)
        cloudtrail = boto3.client("cloudtrail", region_name=HOME)
        trail = cloudtrail.create_trail(
            Name="org-trail", S3BucketName=BUCKET, IsMultiRegionTrail=True, IsOrganizationTrail=True
        )["TrailARN"]
        cloudtrail.start_logging(Name=trail)
        now = datetime.now(UTC)
        for account in accounts:
            for region in regions:
                key = layout.log_key("", org_id, account, region, now, "bench")
                s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
                # The member's own trail delivers too (what the per-account path looks for);
                # moto lets the management account write every bucket.
                own = layout.log_key("", None, account, region, now, "bench")
                s3.put_object(Bucket=_own_bucket(account), Key=own, Body=b"{}")
        policy = org.create_policy(
            Content=json.dumps(SCP), Description="bench", Name="guardrail",
            Type="SERVICE_CONTROL_POLICY",
        )["Policy"]["PolicySummary"]["Id"]  # fmt: skip
        org.attach_policy(PolicyId=policy, TargetId=root)
        boto3.client("config", region_name=HOME).put_organization_conformance_pack(
            OrganizationConformancePackName="pack", TemplateS3Uri=f"s3://{BUCKET}/pack.yaml"
        )
        topic = boto3.client("sns", region_name=HOME).create_topic(Name="drift")["TopicArn"]
        events = boto3.client("events", region_name=HOME)
        events.put_rule(Name="drift", EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule="drift", Targets=[{"Id": "topic", "Arn": topic}])
    plan = OrgPlan(
        org_id=org_id,
        management_account=MANAGEMENT,
        trail_arn=trail,
        home_region=HOME,
        bucket=BUCKET,
        regions=regions,
        guardrail=Guardrail(policy_name="guardrail", document=SCP, targets=[root],
                            approved_roles=[]),
        drift=Drift(conformance_pack="pack", config_rules=[], event_rule="drift",
                    event_pattern=PATTERN, topic_arn=topic),
    )  # fmt: skip
    return plan, accounts


def _own_bucket(account: str) -> str:
    # build_scale_org's bucket; the management account's own trail is the organisation trail.
    return BUCKET if account == MANAGEMENT else f"trailwarden-scale-{account}"


def _access(workers: int) -> Any:
    from trailwarden.apply.context import CountingAccess
    from trailwarden.aws.session import AccessOptions

    return CountingAccess(AccessOptions(region=HOME, pool_size=max(10, workers)))


def _org_path(org: Any, workers: int) -> tuple[float, Any]:
    from datetime import UTC, datetime

    from trailwarden.plan.model import Plan
    from trailwarden.verify.org import verify_org

    access = _access(workers)
    access.caller_account()
    start = time.perf_counter()
    report = verify_org(access, Plan(generated_at=datetime.now(UTC), organization=org),
                        max_workers=workers)  # fmt: skip
    return time.perf_counter() - start, report


def _per_account_path(accounts: list[str]) -> tuple[float, Counter[str]]:
    """Coverage as ``verify`` proves it one planned account at a time (its verify_once loop)."""
    from trailwarden.apply.context import AccountContext, Facts
    from trailwarden.plan.baseline import Baseline
    from trailwarden.plan.model import AccountPlan
    from trailwarden.verify.checks import AccountVerifier, _check

    access = _access(1)
    access.caller_account()
    statuses: Counter[str] = Counter()
    start = time.perf_counter()
    for account in accounts:
        name = "org-trail" if account == MANAGEMENT else "scale-trail"
        baseline = Baseline.from_options(
            account_id=account, home_region=HOME, trail_name=name, bucket=_own_bucket(account)
        )
        planned = AccountPlan(account=account, trail="skip", baseline=baseline)
        verifier = AccountVerifier(AccountContext(access, account, Facts()), planned, [])
        for name, run in (("logging", verifier.logging), ("log file", verifier.log_file)):
            statuses[_check(account, name, run).status] += 1
    return time.perf_counter() - start, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100, help="member accounts")
    parser.add_argument("--regions", type=int, default=3, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--delay", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--workers", type=int, default=32, help="listings in flight (--org)")
    parser.add_argument("--only", choices=["verify", "plan"], help="run one half")
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    figures: dict[str, Any] = {"accounts": args.accounts + 1, "regions": args.regions,
                               "delay_s": args.delay, "workers": args.workers}  # fmt: skip
    if args.only != "plan":
        figures["verify"] = _verify(args, regions)
    if args.only != "verify":
        from benchmarks import org_plan

        org = org_plan.org_path(args.delay, args.accounts, regions, args.workers)
        per = org_plan.per_account_path(args.delay, args.accounts, regions, args.workers)
        figures["plan_apply"] = org_plan.report(org, per, args.delay)
    print(json.dumps(figures))


def _verify(args: argparse.Namespace, regions: list[str]) -> dict[str, Any]:
    """verify --org against the per-account verify path; returns the figures."""

    from benchmarks.scan import served
    from trailwarden.demo.server import pointed_at

    with served(args.delay) as (_, replies, commands, endpoint, proxy_url):
        t0 = time.perf_counter()
        org, accounts = _seed(endpoint, args.accounts, regions)
        print(f"seeded {len(accounts)} accounts x {len(regions)} Regions in "
              f"{time.perf_counter() - t0:.1f} s")  # fmt: skip
        with pointed_at(endpoint):
            os.environ["AWS_ENDPOINT_URL"] = proxy_url
            commands.put("reset")
            replies.get()
            org_wall, report = _org_path(org, args.workers)
            commands.put("count")
            org_calls = sum(replies.get().values())
            listings = sum(r.api_calls for r in report.accounts)
            counts = Counter(c.status for c in report.all_checks)
            print(
                f"verify --org: {len(accounts)} accounts x {len(regions)} Regions at "
                f"{args.delay * 1000:.0f} ms, {args.workers} listings in flight: wall "
                f"{org_wall:.2f} s, {org_calls} calls ({listings} listings = "
                f"{listings / len(accounts):.1f} per account, {org_calls - listings} "
                f"organisation-level), checks {dict(counts)}"
            )
            commands.put("reset")
            replies.get()
            per_wall, statuses = _per_account_path(accounts)
            commands.put("count")
            per_calls = sum(replies.get().values())
            print(
                f"per-account path: {len(accounts)} accounts one after another: wall "
                f"{per_wall:.2f} s, {per_calls} calls ({per_calls / len(accounts):.1f} per "
                f"account), checks {dict(statuses)}"
            )
            print(f"ratio per-account / --org: {per_wall / org_wall:.1f}x")
            return {
                "org_wall_s": round(org_wall, 2),
                "org_calls": org_calls,
                "per_account_wall_s": round(per_wall, 2),
                "per_account_calls": per_calls,
            }


if __name__ == "__main__":
    main()
