"""``verify --canary`` on the moto server with the simulated alerting chain (demo/alerting.py).

Each link present -> PASS with latencies; each link removed in turn -> FAIL naming it; the
timeout is honoured; a topic that pages people needs --yes; the canary events change nothing.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.apply.support import HOME, access, apply, confirm_all, make_plan

from trailwarden.demo.alerting import simulated_alerting
from trailwarden.demo.delivery import simulate_delivery
from trailwarden.plan.model import Plan, save_plan
from trailwarden.trailstore.fixtures import FixtureKey
from trailwarden.verify.canary import run_canary
from trailwarden.verify.pages import CanaryRefused

pytestmark = pytest.mark.slow

BROKEN = {"logs": "CloudWatch Logs", "metric": "metric", "alarm": "alarm", "sns": "SNS publish"}


def applied(confirm: bool = True) -> Plan:
    plan = make_plan()
    report = apply(plan)
    assert report.failed is None
    if confirm:
        confirm_all(report)
    return plan


def test_each_link_arrives_in_order_with_its_latency(aws: str) -> None:
    plan = applied()
    with simulated_alerting(delay_s=0.05) as sim:
        # A generous limit: the simulated chain takes under a second, but a loaded CI machine
        # must not turn a slow poll into a broken link.
        report = run_canary(access(), plan, yes=True, timeout_s=120, poll_s=0.05)
    (chain,) = report.chains
    assert report.ok and chain.ok and chain.broken is None
    assert [link.name for link in chain.links] == list(BROKEN.values())
    times = [chain.since_event(link) for link in chain.links]
    assert all(t is not None for t in times)
    assert times == sorted(times)  # type: ignore[type-var]
    assert chain.total_s() == times[-1] and 0 < times[-1] < 120  # type: ignore[operator]
    assert chain.candidate.operation == "StartLogging" and chain.answer == "ok"
    assert (
        chain.alarm_name == "trailwarden-CloudWatch.5" and chain.metric == "CloudTrailConfigChanges"
    )
    assert "(simulated)" in chain.links[0].evidence  # the simulator labels what it wrote
    assert chain.links[1].observed and not chain.links[2].observed
    assert any("SNS publish" in w for w in sim.written)
    assert report.trail_changes == {"123456789012": []}
    assert 'Subject: ALARM: "trailwarden-CloudWatch.5" in US East (N. Virginia)' in report.pages[0]


@pytest.mark.parametrize("stop_before", list(BROKEN))
def test_a_missing_link_is_named(aws: str, stop_before: str) -> None:
    plan = applied()
    with simulated_alerting(delay_s=0.02, stop_before=stop_before):
        report = run_canary(access(), plan, yes=True, timeout_s=1.5, poll_s=0.05)
    (chain,) = report.chains
    assert not report.ok and chain.broken == BROKEN[stop_before]
    statuses = {link.name: link.status for link in chain.links}
    names = list(BROKEN.values())
    broken_at = names.index(BROKEN[stop_before])
    assert all(statuses[n] == "PASS" for n in names[:broken_at])
    assert statuses[names[broken_at]] == "FAIL"
    assert all(statuses[n] == "WAIT" for n in names[broken_at + 1 :])
    assert "did not arrive within 1.5s" in chain.links[broken_at].evidence


def test_the_timeout_is_honoured(aws: str) -> None:
    plan = applied()
    with simulated_alerting(delay_s=0.02, stop_before="logs"):
        started = time.monotonic()
        report = run_canary(access(), plan, yes=True, timeout_s=1.0, poll_s=0.2)
        took = time.monotonic() - started
    assert report.chains[0].broken == "CloudWatch Logs"
    assert 1.0 <= took < 6.0  # the wait itself, plus the preflight and state reads


def test_a_topic_that_pages_people_needs_yes(aws: str, cli: Any, tmp_path: Path) -> None:
    plan = applied()
    with simulated_alerting(delay_s=0.02) as sim:
        with pytest.raises(CanaryRefused) as refused:
            run_canary(access(), plan, timeout_s=1, poll_s=0.05)
        path = tmp_path / "plan.json"
        save_plan(plan, path)
        result = cli(["verify", str(path), "--canary", "--canary-timeout", "1s"])
        time.sleep(0.2)
        assert sim.written == []  # refused before any canary call: nothing was caused
    text = str(refused.value)
    assert "email:security@example.com" in text and "--yes" in text
    assert 'Subject: ALARM: "trailwarden-CloudWatch.5" in US East (N. Virginia)' in text
    assert "StartLogging" in text
    assert result.code == 2 and "would page people" in result.stderr


def test_a_pending_subscription_pages_nobody(aws: str) -> None:
    plan = applied(confirm=False)  # the e-mail is not confirmed: nobody receives the page
    with simulated_alerting(delay_s=0.02):
        report = run_canary(access(), plan, timeout_s=10, poll_s=0.05)
    assert report.ok


def _world() -> dict[str, Any]:
    """Everything a canary call could have changed, read independently of the product."""
    ct = boto3.client("cloudtrail", region_name=HOME)
    (trail,) = ct.describe_trails()["trailList"]
    status = ct.get_trail_status(Name=trail["TrailARN"])
    selectors = ct.get_event_selectors(TrailName=trail["TrailARN"])
    selectors.pop("ResponseMetadata")
    ec2 = boto3.client("ec2", region_name=HOME)
    s3 = boto3.client("s3", region_name=HOME)
    return {
        "trail": trail,
        "logging": status["IsLogging"],
        "selectors": selectors,
        "roles": sorted(r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]),
        "keys": [
            (
                k["KeyId"],
                boto3.client("kms", region_name=HOME).describe_key(KeyId=k["KeyId"])["KeyMetadata"][
                    "KeyState"
                ],
            )
            for k in boto3.client("kms", region_name=HOME).list_keys()["Keys"]
        ],
        "vpcs": sorted(v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]),
        "groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
        "gateways": len(ec2.describe_internet_gateways()["InternetGateways"]),
        "route_tables": len(ec2.describe_route_tables()["RouteTables"]),
        "acls": len(ec2.describe_network_acls()["NetworkAcls"]),
        "buckets": sorted(b["Name"] for b in s3.list_buckets()["Buckets"]),
        "recorders": boto3.client("config", region_name=HOME)
        .describe_configuration_recorders()
        .get("ConfigurationRecorders", []),
    }


def test_every_canary_changes_nothing_and_all_alarms_fire(aws: str) -> None:
    plan = applied()
    before = _world()
    with simulated_alerting(delay_s=0.02):
        report = run_canary(access(), plan, "all", yes=True, timeout_s=20, poll_s=0.05)
    assert _world() == before
    assert report.trail_changes == {"123456789012": []}
    assert report.ok, [(c.control_id, c.broken) for c in report.chains]
    fired = {c.control_id: c.candidate.operation for c in report.chains}
    assert set(fired) == {f"CloudWatch.{n}" for n in (2, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14)}
    assert set(report.without_canary) == {"CloudWatch.1", "CloudWatch.3", "CloudWatch.6"}
    # The not-found canaries were refused by AWS, as intended.
    answers = {c.candidate.operation: c.answer for c in report.chains}
    assert answers["DisableKey"] == "NotFoundException"
    assert answers["CreateVpc"] == "DryRunOperation"
    assert answers["AssumeRole"] == "AccessDenied"


def test_a_trail_that_is_not_logging_gets_no_start_logging(aws: str) -> None:
    plan = applied()
    arn = plan.accounts[0].baseline.trail_arn  # type: ignore[union-attr]
    ct = boto3.client("cloudtrail", region_name=HOME)
    ct.stop_logging(Name=arn)
    with simulated_alerting(delay_s=0.02) as sim:
        report = run_canary(access(), plan, yes=True, timeout_s=1, poll_s=0.05)
    (chain,) = report.chains
    assert chain.broken == "precondition" and "not logging" in chain.links[0].evidence
    assert ct.get_trail_status(Name=arn)["IsLogging"] is False  # still stopped
    assert not any("StartLogging" in w for w in sim.written)


def test_an_alarm_already_in_alarm_is_named(aws: str) -> None:
    plan = applied()
    boto3.client("cloudwatch", region_name=HOME).set_alarm_state(
        AlarmName="trailwarden-CloudWatch.5", StateValue="ALARM", StateReason="earlier event"
    )
    report = run_canary(access(), plan, yes=True, timeout_s=1, poll_s=0.05)
    (chain,) = report.chains
    assert chain.broken == "alarm" and "already in ALARM" in chain.links[0].evidence
    assert chain.caused_at is None  # nothing was caused


def test_the_endpoint_receives_the_message_and_is_unsubscribed(aws: str) -> None:
    plan = applied()
    sqs = boto3.client("sqs", region_name=HOME)
    url = sqs.create_queue(QueueName="canary-test")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    with simulated_alerting(delay_s=0.02):
        report = run_canary(access(), plan, yes=True, timeout_s=20, poll_s=0.05, endpoint=queue_arn)
    (chain,) = report.chains
    assert report.ok and chain.links[-1].name == "endpoint"
    assert "trailwarden-CloudWatch.5" in chain.links[-1].evidence
    topic = chain.topics[0]
    subs = boto3.client("sns", region_name=HOME).list_subscriptions_by_topic(TopicArn=topic)
    assert all(s["Protocol"] != "sqs" for s in subs["Subscriptions"])  # cleaned up


def test_cli_prints_each_link_and_exits_zero(aws: str, cli: Any, tmp_path: Path) -> None:
    plan = applied()
    key = FixtureKey.generate()
    simulate_delivery(access(), plan.accounts[0], key=key)
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.pem())
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    args = ["verify", str(path), "--public-key", str(pem), "--canary", "--yes"]
    with simulated_alerting(delay_s=0.02):
        text = cli([*args, "--canary-timeout", "20s"])
        doc = cli([*args, "--canary-timeout", "20s", "--output", "json"])
    assert text.code == 0, text.stdout + text.stderr
    for link in BROKEN.values():
        assert f"PASS {link}: +" in text.stdout
    assert "PASS total:" in text.stdout and "canary passes: 1/1" in text.stdout
    assert "trail state 123456789012: identical before and after" in text.stdout
    assert doc.code == 1  # the first canary left the alarm in ALARM: no new state change
    canary = json.loads(doc.stdout)["canary"]
    assert canary["chains"][0]["broken"] == "alarm"
