"""Handlers for the trail itself and the alarm chain (topic, subscriptions, filters, alarms).

CreateTrail and UpdateTrail share one check: the trail as GetTrail returns it, compared field by
field with the planned parameters. If the trail exists when a CreateTrail step runs (a rerun, or
someone made it meanwhile) the step updates it instead of failing on TrailAlreadyExists.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from trailwarden.apply.context import AccountContext
from trailwarden.apply.operations import (
    RESOLVE_KEY,
    State,
    _params,
    absent,
    handler,
    setting_handler,
)
from trailwarden.arns import log_group_name
from trailwarden.plan.build_base import TRAIL_FIELDS
from trailwarden.plan.model import Step
from trailwarden.policies.permissions import (
    ALARM_TOPIC,
    CLOUDTRAIL_SERVICE_LINKED_ROLE,
    METRIC_FILTERS_AND_ALARMS,
    ORGANIZATION_TRAIL,
    PASS_DELIVERY_ROLE,
    TRAIL,
    grant,
)

# CreateTrail/UpdateTrail parameter -> the GetTrail field that reads it back.
_READ_BACK = {"EnableLogFileValidation": "LogFileValidationEnabled"}


def _trail_arn(step: Step) -> str:
    return step.target


def _live_trail(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    ct = ctx.client(step.region, "cloudtrail")
    try:
        return dict(ct.get_trail(Name=_trail_arn(step))["Trail"])
    except ClientError as exc:
        if absent(exc, "TrailNotFoundException"):
            return None
        raise


def trail_differences(live: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    diffs = []
    for key in TRAIL_FIELDS:
        if key not in wanted:
            continue
        have = live.get(_READ_BACK.get(key, key))
        want = wanted[key]
        if key == "CloudWatchLogsLogGroupArn" and have and want:
            same = log_group_name(str(have)) == log_group_name(str(want))
            have = want if same else have
        if (have or None) != (want or None) and not (have is False and want is False):
            diffs.append(key)
    return diffs


def _wanted(ctx: AccountContext, step: Step) -> dict[str, Any]:
    """The planned parameters; a key given by alias compares as the key GetTrail reports."""
    wanted = _params(ctx, step)
    if wanted.get("KmsKeyId"):
        wanted["KmsKeyId"] = ctx.concrete_key(str(wanted["KmsKeyId"]), step.region)
    return wanted


def _trail_state(ctx: AccountContext, step: Step) -> State:
    live = _live_trail(ctx, step)
    if live is None:
        return State.MISSING
    wanted = _wanted(ctx, step)
    return State.DIFFERS if trail_differences(live, wanted) else State.OK


def _write_trail(ctx: AccountContext, step: Step) -> str:
    wanted = _wanted(ctx, step)
    ct = ctx.client(step.region, "cloudtrail")
    live = _live_trail(ctx, step)
    if live is None:
        if step.operation != "CreateTrail":
            raise RuntimeError(f"trail {_trail_arn(step)} no longer exists; plan again")
        ct.create_trail(**wanted)
        return f"created trail {_trail_arn(step)}"
    fields = trail_differences(live, wanted)
    update = {k: wanted[k] for k in fields}
    ct.update_trail(Name=_trail_arn(step), **update)
    return f"updated {', '.join(fields)} of {_trail_arn(step)}"


# A CreateTrail step updates a trail that exists meanwhile, so both operations need the same.
WRITE_TRAIL = (
    grant(TRAIL, "cloudtrail:GetTrail", "cloudtrail:CreateTrail", "cloudtrail:UpdateTrail"),
    grant(TRAIL, "cloudtrail:AddTags"),  # TagsList on create
    RESOLVE_KEY,  # KmsKeyId given by alias compares as the key ARN GetTrail reports
    grant(PASS_DELIVERY_ROLE, "iam:PassRole"),  # CloudWatchLogsRoleArn
    # An organisation trail: CloudTrail checks the organisation and enables its trusted access
    # with the caller's permissions (docs/aws-facts/trail-setup.md#org-trail-prerequisites).
    grant(
        ORGANIZATION_TRAIL,
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:EnableAWSServiceAccess",
    ),
    grant(CLOUDTRAIL_SERVICE_LINKED_ROLE, "iam:CreateServiceLinkedRole"),
)
handler("cloudtrail", "CreateTrail", *WRITE_TRAIL)(setting_handler(_trail_state, _write_trail))
handler("cloudtrail", "UpdateTrail", *WRITE_TRAIL)(setting_handler(_trail_state, _write_trail))


def _tags(ctx: AccountContext, step: Step) -> State:
    ct = ctx.client(step.region, "cloudtrail")
    got = ct.list_tags(ResourceIdList=[step.params["ResourceId"]])
    have = {
        t["Key"]: t.get("Value", "")
        for entry in got.get("ResourceTagList", [])
        for t in entry.get("TagsList") or []
    }
    wanted = {t["Key"]: t["Value"] for t in step.params["TagsList"]}
    return State.OK if all(have.get(k) == v for k, v in wanted.items()) else State.DIFFERS


handler("cloudtrail", "AddTags", grant(TRAIL, "cloudtrail:ListTags", "cloudtrail:AddTags"))(
    setting_handler(_tags)
)


def _normal_basic(selector: dict[str, Any]) -> dict[str, Any]:
    return {
        "ReadWriteType": selector.get("ReadWriteType", "All"),
        "IncludeManagementEvents": selector.get("IncludeManagementEvents", True),
        "DataResources": sorted(
            (r.get("Type", ""), tuple(sorted(r.get("Values", []))))
            for r in selector.get("DataResources") or []
        ),
        "ExcludeManagementEventSources": sorted(
            selector.get("ExcludeManagementEventSources") or []
        ),
    }


def _normal_advanced(selector: dict[str, Any]) -> list[tuple[str, ...]]:
    return sorted(
        (str(fs.get("Field")), *(f"{k}={sorted(v)}" for k, v in sorted(fs.items()) if k != "Field"))
        for fs in selector.get("FieldSelectors", [])
    )


def _selectors(ctx: AccountContext, step: Step) -> State:
    got = ctx.client(step.region, "cloudtrail").get_event_selectors(TrailName=_trail_arn(step))
    if "AdvancedEventSelectors" in step.params:
        have = sorted(map(_normal_advanced, got.get("AdvancedEventSelectors") or []))
        want = sorted(map(_normal_advanced, step.params["AdvancedEventSelectors"]))
        return State.OK if have == want and not got.get("EventSelectors") else State.DIFFERS
    have_basic = [_normal_basic(s) for s in got.get("EventSelectors") or []]
    want_basic = [_normal_basic(s) for s in step.params["EventSelectors"]]
    ok = have_basic == want_basic and not got.get("AdvancedEventSelectors")
    return State.OK if ok else State.DIFFERS


handler(
    "cloudtrail",
    "PutEventSelectors",
    grant(TRAIL, "cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors"),
)(setting_handler(_selectors))


def _logging(ctx: AccountContext, step: Step) -> State:
    status = ctx.client(step.region, "cloudtrail").get_trail_status(Name=step.params["Name"])
    return State.OK if status.get("IsLogging") else State.DIFFERS


handler(
    "cloudtrail",
    "StartLogging",
    grant(TRAIL, "cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"),
)(setting_handler(_logging))


# --- SNS -------------------------------------------------------------------------------------


def _topic(ctx: AccountContext, step: Step) -> State:
    try:
        ctx.client(step.region, "sns").get_topic_attributes(TopicArn=step.target)
    except ClientError as exc:
        if absent(exc, "NotFound", "NotFoundException"):
            return State.MISSING
        raise
    return State.OK


handler(
    "sns",
    "CreateTopic",
    grant(ALARM_TOPIC, "sns:GetTopicAttributes", "sns:CreateTopic", "sns:TagResource"),
)(setting_handler(_topic))


def _subscribers(ctx: AccountContext, step: Step) -> list[dict[str, Any]]:
    pages = ctx.client(step.region, "sns").get_paginator("list_subscriptions_by_topic")
    return [
        s
        for page in pages.paginate(TopicArn=step.params["TopicArn"])
        for s in page.get("Subscriptions", [])
    ]


def _subscribed(ctx: AccountContext, step: Step) -> State:
    try:
        subs = _subscribers(ctx, step)
    except ClientError as exc:
        if absent(exc, "NotFound", "NotFoundException"):
            return State.MISSING
        raise
    wanted = (step.params["Protocol"], step.params["Endpoint"])
    # A pending subscription counts as done: only the recipient can confirm it.
    found = any((s.get("Protocol"), s.get("Endpoint")) == wanted for s in subs)
    return State.OK if found else State.MISSING


def _subscribe(ctx: AccountContext, step: Step) -> str:
    got = ctx.client(step.region, "sns").subscribe(**_params(ctx, step))
    arn = str(got.get("SubscriptionArn", ""))
    if arn.startswith("arn:"):
        ctx.facts.subscriptions.append(arn)
    return f"subscribed {step.params['Endpoint']} (confirmation e-mail sent)"


handler("sns", "Subscribe", grant(ALARM_TOPIC, "sns:ListSubscriptionsByTopic", "sns:Subscribe"))(
    setting_handler(_subscribed, _subscribe)
)


# --- metric filters and alarms ----------------------------------------------------------------


def _filters(ctx: AccountContext, region: str, group: str) -> dict[str, dict[str, Any]]:
    def read() -> dict[str, dict[str, Any]]:
        pages = ctx.client(region, "logs").get_paginator("describe_metric_filters")
        try:
            return {
                f["filterName"]: f
                for page in pages.paginate(logGroupName=group)
                for f in page.get("metricFilters", [])
            }
        except ClientError as exc:
            if absent(exc, "ResourceNotFoundException"):
                return {}
            raise

    return ctx.memo(("metric-filters", region, group), read)


def _filter(ctx: AccountContext, step: Step) -> State:
    p = step.params
    have = _filters(ctx, step.region, p["logGroupName"]).get(p["filterName"])
    if have is None:
        return State.MISSING
    same = have.get("filterPattern") == p["filterPattern"] and all(
        _subset(t, h)
        for t, h in zip(
            p["metricTransformations"], have.get("metricTransformations", []), strict=False
        )
    )
    return State.OK if same and have.get("metricTransformations") else State.DIFFERS


def _subset(wanted: dict[str, Any], have: dict[str, Any]) -> bool:
    return all(str(have.get(k)) == str(v) for k, v in wanted.items())


handler(
    "logs",
    "PutMetricFilter",
    grant(METRIC_FILTERS_AND_ALARMS, "logs:DescribeMetricFilters", "logs:PutMetricFilter"),
)(setting_handler(_filter))

_ALARM_FIELDS = (
    "MetricName",
    "Namespace",
    "Statistic",
    "Period",
    "EvaluationPeriods",
    "Threshold",
    "ComparisonOperator",
    "ActionsEnabled",
)


def _alarms(ctx: AccountContext, step: Step) -> dict[str, dict[str, Any]]:
    """Every alarm of this account's plan in one DescribeAlarms call (up to 100 names)."""

    def read() -> dict[str, dict[str, Any]]:
        names = [step.params["AlarmName"], *ctx.alarm_names]
        cw = ctx.client(step.region, "cloudwatch")
        found: dict[str, dict[str, Any]] = {}
        unique = list(dict.fromkeys(names))
        for i in range(0, len(unique), 100):
            got = cw.describe_alarms(AlarmNames=unique[i : i + 100], AlarmTypes=["MetricAlarm"])
            found.update({a["AlarmName"]: a for a in got.get("MetricAlarms", [])})
        return found

    return ctx.memo(("alarms", step.region), read)


def _alarm(ctx: AccountContext, step: Step) -> State:
    have = _alarms(ctx, step).get(step.params["AlarmName"])
    if have is None:
        return State.MISSING
    p = step.params
    same = all(have.get(k) == p[k] for k in _ALARM_FIELDS) and set(p["AlarmActions"]) <= set(
        have.get("AlarmActions", [])
    )
    return State.OK if same else State.DIFFERS


def _put_alarm(ctx: AccountContext, step: Step) -> str:
    """PutMetricAlarm replaces the alarm: keep any actions someone else added to it."""
    params = _params(ctx, step)
    have = _alarms(ctx, step).get(params["AlarmName"]) or {}
    for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
        extra = [a for a in have.get(key, []) if a not in params.get(key, [])]
        if extra:
            params[key] = [*params.get(key, []), *extra]
    ctx.client(step.region, "cloudwatch").put_metric_alarm(**params)
    return f"alarm {params['AlarmName']} -> {', '.join(params['AlarmActions'])}"


handler(
    "cloudwatch",
    "PutMetricAlarm",
    grant(METRIC_FILTERS_AND_ALARMS, "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm"),
)(setting_handler(_alarm, _put_alarm))
