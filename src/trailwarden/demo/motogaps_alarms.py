"""Teach moto the alerting answers the canary reads, where moto 5.2.5 differs from AWS.

Continues ``demo/motogaps.py`` (same rules: one patch per gap, tagged with its letter from
docs/aws-facts/moto.md#gaps; in-process only; state lives on moto's backend objects so
``/moto-api/reset`` forgets it). ``teach_moto()`` applies these too.

(i) ``DescribeAlarmHistory`` is not implemented (HTTP 500). The history lives on each alarm as
    ``_tw_history``, in AWS's item shape; ``trailwarden.demo.alerting`` writes it, as CloudWatch
    would when the alarm changes state and runs its actions.
(j) ``FilterLogEvents`` ignores JSON filter patterns (``{ $.x = ... }`` matches every event).
    AWS evaluates them; we do with trailwarden's own engine (``trailwarden.filterpattern``).
(k) ``AssumeRole`` succeeds for a role that does not exist. AWS answers ``AccessDenied``. Only
    roles in the caller's own account are checked: moto's organisations do not create the roles
    other accounts are reached through, and that cross-account reach is what the demo relies on.
(l) ``CreateVpc`` with ``DryRun=True`` creates the VPC. AWS only checks the permission and
    answers ``DryRunOperation``; so does this patch.
"""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime
from typing import Any

from moto.cloudwatch.models import Alarm, cloudwatch_backends
from moto.cloudwatch.responses import CloudWatchResponse
from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.ec2.responses.vpcs import VPCs
from moto.iam.models import iam_backends
from moto.logs.utils import EventMessageFilter
from moto.sts.models import STSBackend


def teach_alerting() -> None:
    _teach_alarm_history()
    _teach_json_filter_patterns()
    _teach_assume_absent_role()
    _teach_create_vpc_dry_run()
    # STS's model has no AccessDenied shape; moto warns on every such answer, AWS sends it anyway.
    warnings.filterwarnings("ignore", message=r"Exception\(AccessDenied\)", category=UserWarning)


def alarm_history(alarm: Alarm) -> list[dict[str, Any]]:
    """The AWS-shaped history items of one alarm (appended to by the alerting simulator)."""
    history: list[dict[str, Any]] = alarm.__dict__.setdefault("_tw_history", [])
    return history


def _as_utc(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        when = value
    else:
        text = str(value)
        try:
            when = datetime.fromtimestamp(float(text), UTC)
        except ValueError:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


# (i)
def _teach_alarm_history() -> None:
    def describe_alarm_history(self: CloudWatchResponse) -> ActionResult:
        backend = cloudwatch_backends[self.current_account][self.region]
        name = self._get_param("AlarmName")
        kind = self._get_param("HistoryItemType")
        start = _as_utc(self._get_param("StartDate"))
        end = _as_utc(self._get_param("EndDate"))
        items = [
            item
            for alarm in backend.alarms.values()
            if name in (None, alarm.name)
            for item in alarm_history(alarm)
            if kind in (None, item["HistoryItemType"])
            and (start is None or item["Timestamp"] >= start)
            and (end is None or item["Timestamp"] <= end)
        ]
        items.sort(key=lambda i: i["Timestamp"])
        if self._get_param("ScanBy", "TimestampDescending") == "TimestampDescending":
            items.reverse()
        return ActionResult({"AlarmHistoryItems": items})

    CloudWatchResponse.describe_alarm_history = describe_alarm_history  # type: ignore[attr-defined]


# (j)
def _teach_json_filter_patterns() -> None:
    own_init = EventMessageFilter.__init__
    own_matches = EventMessageFilter.matches

    def __init__(self: EventMessageFilter, pattern: str) -> None:
        own_init(self, pattern)
        self.__dict__["_tw_json"] = None
        if (pattern or "").strip().startswith("{"):
            from trailwarden.filterpattern import compile_pattern, parse

            self.__dict__["_tw_json"] = compile_pattern(parse(pattern))

    def matches(self: EventMessageFilter, message: str) -> bool:
        predicate = self.__dict__.get("_tw_json")
        if predicate is None:
            return bool(own_matches(self, message))
        try:
            event = json.loads(message)
        except ValueError:
            return False  # a JSON pattern never matches a message that is not JSON
        return bool(predicate(event))

    setattr(EventMessageFilter, "__init__", __init__)  # noqa: B010
    setattr(EventMessageFilter, "matches", matches)  # noqa: B010


class AccessDenied(ServiceException):
    code = "AccessDenied"

    def __init__(self, caller: str, role_arn: str) -> None:
        super().__init__(
            f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )


# (k)
def _teach_assume_absent_role() -> None:
    own_assume = STSBackend.assume_role

    def assume_role(
        self: STSBackend,
        region_name: str,
        role_session_name: str,
        role_arn: str,
        policy: str,
        duration: int,
        external_id: str,
    ) -> Any:
        parts = role_arn.split(":")
        if len(parts) == 6 and parts[4] == self.account_id and parts[5].startswith("role/"):
            roles = iam_backends[self.account_id][self.partition].roles.values()
            if all(r.arn != role_arn for r in roles):
                raise AccessDenied(f"arn:aws:sts::{self.account_id}:assumed-role/caller", role_arn)
        return own_assume(
            self, region_name, role_session_name, role_arn, policy, duration, external_id
        )

    setattr(STSBackend, "assume_role", assume_role)  # noqa: B010


# (l)
def _teach_create_vpc_dry_run() -> None:
    own_create_vpc = VPCs.create_vpc

    def create_vpc(self: VPCs) -> Any:
        self.error_on_dryrun()
        return own_create_vpc(self)

    setattr(VPCs, "create_vpc", create_vpc)  # noqa: B010
