"""CloudWatch.1-14: the full chain passes; each broken link fails (or warns) with its reason."""

from __future__ import annotations

from typing import Any

from tests.scan.build import MEMBER, MGMT, make_snapshot, make_trail

from trailwarden.controls import Status, evaluate
from trailwarden.filterpattern.cis import CIS_CONTROLS
from trailwarden.snapshot.model import Alarm, LogGroup, MetricFilter, Snapshot, Topic, Trail

TOPIC = f"arn:aws:sns:us-east-1:{MGMT}:security-alarms"


def chain(trail: Trail, **changes: Any) -> LogGroup:
    group = LogGroup(
        arn=str(trail.cloudwatch_logs_log_group_arn),
        name="ct",
        region=trail.home_region,
        account=trail.account,
        exists=True,
        metric_filters=[
            MetricFilter(
                name=c.metric_name, pattern=c.pattern, metrics=[(c.metric_name, c.namespace)]
            )
            for c in CIS_CONTROLS
        ],
        alarms=[
            Alarm(
                name=f"{c.metric_name}-alarm",
                metric_name=c.metric_name,
                namespace=c.namespace,
                actions=[TOPIC],
            )
            for c in CIS_CONTROLS
        ],
        topics=[Topic(arn=TOPIC, confirmed_subscriptions=1)],
    )
    return group.model_copy(update=changes)


def snap_with(trail: Trail, group: LogGroup, **kw: Any) -> Snapshot:
    return make_snapshot([trail], groups={trail.account: [group]}, **kw)


def results(snap: Snapshot, control: str, account: str = MGMT) -> dict[str, tuple[Status, str]]:
    return {
        f.region: (f.status, f.reason)
        for f in evaluate(snap, only=[control]).findings
        if f.account == account
    }


def test_full_chain_passes_in_home_region_and_is_no_data_elsewhere() -> None:
    trail = make_trail()
    snap = snap_with(trail, chain(trail))
    for cis in CIS_CONTROLS:
        got = results(snap, cis.control_id)
        assert got["us-east-1"][0] == Status.PASSED, (cis.control_id, got)
        assert got["eu-west-1"][0] == Status.NO_DATA
        assert "homed in us-east-1" in got["eu-west-1"][1]


def test_filter_differing_only_in_layout_passes() -> None:
    trail = make_trail()
    group = chain(trail)
    spaced = (
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType != "AwsServiceEvent" }'
    )
    assert group.metric_filters is not None
    group.metric_filters[0] = group.metric_filters[0].model_copy(update={"pattern": spaced})
    assert results(snap_with(trail, group), "CloudWatch.1")["us-east-1"][0] == Status.PASSED


def test_filter_with_extra_terms_fails_and_explains_what_it_catches() -> None:
    trail = make_trail()
    group = chain(trail)
    narrower = (
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS && '
        '$.eventType !="AwsServiceEvent" && $.eventName="ConsoleLogin"}'
    )
    assert group.metric_filters is not None
    group.metric_filters[0] = group.metric_filters[0].model_copy(update={"pattern": narrower})
    status, reason = results(snap_with(trail, group), "CloudWatch.1")["us-east-1"]
    assert status == Status.FAILED
    assert "exact CIS pattern" in reason
    assert "filter 'RootAccountUsage'" in reason  # the semantic note names the near miss


def test_no_alarm_fails() -> None:
    trail = make_trail()
    status, reason = results(snap_with(trail, chain(trail, alarms=[])), "CloudWatch.4")["us-east-1"]
    assert status == Status.FAILED and "no alarm on metric CISBenchmark/" in reason


def test_alarm_on_same_metric_name_in_another_namespace_fails() -> None:
    trail = make_trail()
    cis = CIS_CONTROLS[3]
    alarms = [
        Alarm(name="wrong-ns", metric_name=cis.metric_name, namespace="Other", actions=[TOPIC])
    ]
    status, reason = results(snap_with(trail, chain(trail, alarms=alarms)), cis.control_id)[
        "us-east-1"
    ]
    assert status == Status.FAILED
    assert "namespace Other" in reason


def test_unconfirmed_subscription_fails_and_unreadable_topic_warns() -> None:
    trail = make_trail()
    pending = [Topic(arn=TOPIC, confirmed_subscriptions=0, pending_subscriptions=1)]
    status, reason = results(snap_with(trail, chain(trail, topics=pending)), "CloudWatch.5")[
        "us-east-1"
    ]
    assert status == Status.FAILED and "1 pending confirmation" in reason
    unreadable = [Topic(arn=TOPIC, confirmed_subscriptions=None)]
    got = results(snap_with(trail, chain(trail, topics=unreadable)), "CloudWatch.5")
    assert got["us-east-1"][0] == Status.WARNING


def test_alarm_without_sns_action_fails() -> None:
    trail = make_trail()
    group = chain(trail)
    assert group.alarms is not None
    group.alarms = [a.model_copy(update={"actions": []}) for a in group.alarms]
    assert results(snap_with(trail, group), "CloudWatch.6")["us-east-1"][0] == Status.FAILED


def test_filters_on_another_log_group_do_not_count() -> None:
    trail = make_trail()
    other = chain(trail).model_copy(update={"arn": "arn:aws:logs:us-east-1:1:log-group:x:*"})
    empty = chain(trail, metric_filters=[], alarms=[], topics=[])
    snap = make_snapshot([trail], groups={MGMT: [empty, other]})
    status, reason = results(snap, "CloudWatch.1")["us-east-1"]
    assert status == Status.FAILED and "no metric filter on ct" in reason


def test_trail_links_fail_before_the_group() -> None:
    cases = {
        "not multi-Region": make_trail(multi=False),
        "not logging": make_trail(logging=False),
        "read and write": make_trail(basic=[{"ReadWriteType": "WriteOnly"}]),
        "CloudWatch Logs": make_trail(cloudwatch_logs_log_group_arn=None),
    }
    for words, trail in cases.items():
        group = chain(make_trail())
        status, reason = results(snap_with(trail, group), "CloudWatch.1")["us-east-1"]
        assert status == Status.FAILED and words in reason, (words, reason)


def test_cloudwatch7_fails_when_kms_events_are_excluded_but_others_pass() -> None:
    trail = make_trail(
        basic=[
            {
                "ReadWriteType": "All",
                "IncludeManagementEvents": True,
                "ExcludeManagementEventSources": ["kms.amazonaws.com"],
            }
        ]
    )
    snap = snap_with(trail, chain(trail))
    assert results(snap, "CloudWatch.7")["us-east-1"][0] == Status.FAILED
    assert results(snap, "CloudWatch.1")["us-east-1"][0] == Status.PASSED


def test_unread_parts_are_not_available_never_passed() -> None:
    trail = make_trail()
    for changes in ({"exists": None}, {"metric_filters": None}, {"alarms": None}):
        got = results(snap_with(trail, chain(trail, **changes)), "CloudWatch.1")["us-east-1"]
        assert got[0] == Status.NOT_AVAILABLE, changes


def test_missing_log_group_fails() -> None:
    trail = make_trail()
    got = results(snap_with(trail, chain(trail, exists=False)), "CloudWatch.1")["us-east-1"]
    assert got[0] == Status.FAILED and "does not exist" in got[1]


def test_org_trail_seen_from_member_is_no_data() -> None:
    org = make_trail("org", org=True)
    snap = make_snapshot([org], accounts=[MGMT, MEMBER], groups={MGMT: [chain(org)]})
    member = results(snap, "CloudWatch.1", MEMBER)
    assert {s for s, _ in member.values()} == {Status.NO_DATA}
    assert "organisation trail" in member["us-east-1"][1]
    assert results(snap, "CloudWatch.1", MGMT)["us-east-1"][0] == Status.PASSED


def test_no_trail_at_all_fails() -> None:
    snap = make_snapshot([], accounts=[MEMBER])
    assert {s for s, _ in results(snap, "CloudWatch.3", MEMBER).values()} == {Status.FAILED}


def test_grouped_fix_names_only_the_missing_subscriber() -> None:
    from trailwarden.controls.grouping import group_failures

    trail = make_trail()
    pending = [Topic(arn=TOPIC, confirmed_subscriptions=0, pending_subscriptions=1)]
    groups = group_failures(evaluate(snap_with(trail, chain(trail, topics=pending))).findings)
    (group,) = groups
    assert group.controls == [c.control_id for c in CIS_CONTROLS]
    assert "confirm a subscriber" in group.fix() and "CloudWatch.1-14" in group.fix()
