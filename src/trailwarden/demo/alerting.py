"""The demo's alerting chain: CloudTrail -> CloudWatch Logs -> metric filter -> alarm -> SNS.

moto records no CloudTrail events, evaluates no metric filter and no alarm. While
``simulated_alerting()`` is active, this module does in the moto process what AWS does between
an API call and a page, with real (short) delays, and labels what it writes:

1. every write call or refused call the server answers becomes a CloudTrail record (with the
   request ID the caller was given, ``"trailwardenSimulated": true``) in the log group of each
   logging trail that covers its Region;
2. each metric filter on that group is evaluated with ``trailwarden.filterpattern``; a match
   puts its metric value as a datapoint at the event's time;
3. each alarm on that metric whose threshold the value crosses goes to ALARM, with a
   StateUpdate history item (``"trailwardenSimulated": true`` in its data);
4. each enabled SNS action is published (the message CloudWatch sends, labelled), an Action
   history item written, and the topic's AWS/SNS delivery metrics put.

``stop_before`` breaks the chain at one link, for the tests that prove each link is named when
it is missing. ``verify --canary`` runs unchanged: it only reads what AWS would have written.
Reads (Get/Describe/List/...) that succeed are not delivered: no CIS filter matches one, and
the log group stays readable.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudtrail.models import cloudtrail_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.responses import BaseResponse
from moto.logs.exceptions import ResourceAlreadyExistsException
from moto.logs.models import logs_backends
from moto.s3.responses import S3Response
from moto.sns.models import sns_backends

from trailwarden.demo.motogaps_alarms import alarm_history
from trailwarden.filterpattern import compile_pattern, parse

LINKS = ("logs", "metric", "alarm", "sns")
_READS = ("Get", "Describe", "List", "Filter", "Lookup", "Head", "Receive", "Lookup")
_GLOBAL = {"iam": "us-east-1", "sts": "us-east-1"}  # global services' events land in us-east-1
_REQUEST_ID = re.compile(r"<requestid>([^<]+)</requestid>", re.IGNORECASE)
_ERROR_CODE = re.compile(r"<Code>([^<]+)</Code>")
# The S3 bucket calls CIS filters name (CloudWatch.8): (method, sub-resource) -> eventName.
_S3_CALLS = {
    (m, sub): f"{verb}Bucket{name}"
    for m, verb in (("PUT", "Put"), ("DELETE", "Delete"))
    for sub, name in (
        ("cors", "Cors"),
        ("policy", "Policy"),
        ("lifecycle", "Lifecycle"),
        ("replication", "Replication"),
        ("acl", "Acl"),
    )
}


@dataclass(frozen=True)
class Call:
    """One API call the server answered, as CloudTrail would see it."""

    account: str
    region: str
    service: str
    operation: str
    request_id: str
    error_code: str | None
    params: dict[str, Any]
    at: datetime


@dataclass
class Simulator:
    delay_s: float = 0.2  # per link: CloudTrail's minutes, shortened
    stop_before: str | None = None  # one of LINKS: that link and the ones after never happen
    written: list[str] = field(default_factory=list)  # what it wrote, for the demo to show
    _queue: queue.Queue[Call | None] = field(default_factory=queue.Queue)

    def reaches(self, link: str) -> bool:
        return self.stop_before is None or LINKS.index(link) < LINKS.index(self.stop_before)

    def observe(self, call: Call | None) -> None:
        self._queue.put(call)

    def run(self) -> None:
        while (call := self._queue.get()) is not None:
            threading.Thread(target=self._deliver, args=(call,), daemon=True).start()

    def _deliver(self, call: Call) -> None:
        if not self.reaches("logs"):
            return
        time.sleep(self.delay_s)
        for region, group, record in _records(call):
            _put_event(call.account, region, group, record)
            self.written.append(f"log event {record['eventName']} -> {group}")
            if self.reaches("metric"):
                time.sleep(self.delay_s)
                self._filters(call.account, region, group, record)

    def _filters(self, account: str, region: str, group: str, record: dict[str, Any]) -> None:
        logs = logs_backends[account][region]
        for f in logs.filters.get_matching_filters(log_group_name=group):
            if not compile_pattern(parse(f["filterPattern"]))(record):
                continue
            for t in f["metricTransformations"]:
                value = float(t.get("metricValue", "1"))
                cloudwatch_backends[account][region].put_metric_data(
                    t["metricNamespace"],
                    [{"MetricName": t["metricName"], "Value": value, "Timestamp": _naive(record)}],
                )
                self.written.append(f"datapoint {t['metricNamespace']}/{t['metricName']}={value:g}")
                if self.reaches("alarm"):
                    time.sleep(self.delay_s)
                    self._alarms(account, region, t["metricNamespace"], t["metricName"], value)

    def _alarms(self, account: str, region: str, namespace: str, metric: str, value: float) -> None:
        backend = cloudwatch_backends[account][region]
        for alarm in list(backend.alarms.values()):
            if (alarm.namespace, alarm.metric_name) != (namespace, metric):
                continue
            if alarm.state_value == "ALARM" or not _crosses(alarm, value):
                continue
            old = alarm.state_value
            reason = (
                f"Threshold Crossed: 1 datapoint [{value:g}] was {_words(alarm)} the threshold "
                f"({alarm.threshold:g})."
            )
            alarm.update_state(reason, json.dumps({"trailwardenSimulated": True}), "ALARM")
            now = datetime.now(UTC)
            alarm_history(alarm).append(_item(alarm, now, "StateUpdate", old, reason))
            self.written.append(f"alarm {alarm.name}: {old} -> ALARM")
            if self.reaches("sns") and alarm.actions_enabled:
                time.sleep(self.delay_s)
                self._publish(account, region, alarm, old, reason)

    def _publish(self, account: str, region: str, alarm: Any, old: str, reason: str) -> None:
        for topic in [a for a in alarm.alarm_actions if ":sns:" in a]:
            message = {
                "AlarmName": alarm.name,
                "AlarmDescription": alarm.description,
                "AWSAccountId": account,
                "NewStateValue": "ALARM",
                "NewStateReason": reason,
                "StateChangeTime": datetime.now(UTC).isoformat(),
                "Region": region,
                "AlarmArn": alarm.alarm_arn,
                "OldStateValue": old,
                "Trigger": {"MetricName": alarm.metric_name, "Namespace": alarm.namespace},
                "trailwardenSimulated": True,
            }
            sns = sns_backends[account][region]
            subject = f'ALARM: "{alarm.name}" in {region}'[:99]
            sns.publish(json.dumps(message), arn=topic, subject=subject)
            delivered = sum(
                1 for s in sns.subscriptions.values() if s.topic_arn == topic and s.confirmed
            )
            now = datetime.now(UTC)
            summary = f"Successfully executed action {topic}"
            alarm_history(alarm).append(_item(alarm, now, "Action", None, summary))
            dims = [{"Name": "TopicName", "Value": topic.rsplit(":", 1)[-1]}]
            cloudwatch_backends[account][region].put_metric_data(
                "AWS/SNS",
                [
                    {
                        "MetricName": name,
                        "Value": value,
                        "Dimensions": dims,
                        "Timestamp": now.replace(tzinfo=None),
                    }
                    for name, value in (
                        ("NumberOfMessagesPublished", 1.0),
                        ("NumberOfNotificationsDelivered", float(delivered)),
                        ("NumberOfNotificationsFailed", 0.0),
                    )
                ],
            )
            self.written.append(f"SNS publish {topic} ({delivered} confirmed subscriber(s))")


def _naive(record: dict[str, Any]) -> datetime:
    when = datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
    return when  # moto keeps metric times naive UTC


def _crosses(alarm: Any, value: float) -> bool:
    threshold = float(alarm.threshold)
    return {
        "GreaterThanOrEqualToThreshold": value >= threshold,
        "GreaterThanThreshold": value > threshold,
        "LessThanThreshold": value < threshold,
        "LessThanOrEqualToThreshold": value <= threshold,
    }.get(alarm.comparison_operator, False)


def _words(alarm: Any) -> str:
    return {
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "GreaterThanThreshold": "greater than",
    }.get(alarm.comparison_operator, "compared with")


def _item(alarm: Any, at: datetime, kind: str, old: str | None, summary: str) -> dict[str, Any]:
    if kind == "StateUpdate":
        summary_text = f"Alarm updated from {old} to ALARM"
        data: dict[str, Any] = {
            "version": "1.0",
            "oldState": {"stateValue": old},
            "newState": {"stateValue": "ALARM", "stateReason": summary},
        }
    else:
        summary_text = summary
        data = {"actionState": "Succeeded", "notificationResource": summary.rsplit(" ", 1)[-1]}
    data["trailwardenSimulated"] = True
    return {
        "AlarmName": alarm.name,
        "AlarmType": "MetricAlarm",
        "Timestamp": at,
        "HistoryItemType": kind,
        "HistorySummary": summary_text,
        "HistoryData": json.dumps(data),
    }


def _records(call: Call) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(log group Region, group name, record) for each logging trail that records ``call``."""
    event_region = _GLOBAL.get(call.service, call.region)
    for region_backend in list(cloudtrail_backends[call.account].values()):
        for trail in list(region_backend.trails.values()):
            if not trail.status.is_logging or not trail.cw_log_group_arn:
                continue
            if trail.region_name != region_backend.region_name:
                continue  # a shadow: its home Region delivers
            if not (trail.is_multi_region or trail.region_name == event_region):
                continue
            arn = trail.cw_log_group_arn.split(":")
            yield arn[3], arn[6], _record(call, event_region)


def _record(call: Call, region: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "accountId": call.account},
        "eventTime": call.at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": f"{call.service}.amazonaws.com",
        "eventName": call.operation,
        "awsRegion": region,
        "requestParameters": call.params,
        "requestID": call.request_id,
        "eventID": str(uuid.uuid4()),
        "eventType": "AwsApiCall",
        "recipientAccountId": call.account,
        "trailwardenSimulated": True,
    }
    if call.error_code is not None:
        # CloudTrail writes EC2's client errors with the "Client." prefix.
        prefix = "Client." if call.service == "ec2" else ""
        record["errorCode"] = prefix + call.error_code
    return record


def _put_event(account: str, region: str, group: str, record: dict[str, Any]) -> None:
    logs = logs_backends[account][region]
    stream = f"{account}_CloudTrail_{record['awsRegion']}"
    with contextlib.suppress(ResourceAlreadyExistsException):
        logs.create_log_stream(group, stream)
    ms = int(
        datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
        * 1000
    )
    logs.put_log_events(group, stream, [{"timestamp": ms, "message": json.dumps(record)}])


# --- the hook on the moto server ------------------------------------------------------------

_active: Simulator | None = None
_hooked = False
_hook_lock = threading.Lock()


def _request_id(headers: dict[str, Any], body: Any) -> str:
    """The ID the caller's SDK reads: the body's RequestId (query/EC2), else the header."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    found = _REQUEST_ID.search(text)
    if found:
        return found.group(1)
    lowered = {str(k).lower(): v for k, v in headers.items()}
    return str(lowered.get("x-amz-request-id") or lowered.get("x-amzn-requestid") or "")


def _error_code(status: int, body: Any) -> str | None:
    if status < 400:
        return None
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")
    try:
        kind = str(json.loads(text).get("__type", ""))
        return kind.rsplit("#", 1)[-1] or None
    except (ValueError, AttributeError):
        found = _ERROR_CODE.search(text)
        return found.group(1) if found else "Unknown"


def _seen(response: BaseResponse, operation: str, result: Any, params: dict[str, Any]) -> None:
    simulator = _active
    if simulator is None or not operation:
        return
    status, headers, body = result
    code = _error_code(int(status), body)
    if code is None and operation.startswith(_READS):
        return
    service = str(response.service_name or "")
    simulator.observe(
        Call(
            str(response.current_account),
            str(response.region),
            {"events": "events", "monitoring": "cloudwatch"}.get(service, service),
            operation,
            _request_id(headers, body),
            code,
            params,
            datetime.now(UTC),
        )
    )


def _install_hook() -> None:
    global _hooked
    with _hook_lock:
        if _hooked:
            return
        own_call_action = BaseResponse.call_action
        own_bucket_response = S3Response.bucket_response

        def call_action(self: BaseResponse) -> Any:
            result = own_call_action(self)
            if _active is not None:
                params = {
                    k: v
                    for k, v in dict(getattr(self, "params", {}) or {}).items()
                    if isinstance(v, (str, int, bool))
                }
                _seen(self, self._get_action(), result, params)
            return result

        def bucket_response(self: S3Response, request: Any, full_url: str, headers: Any) -> Any:
            result = own_bucket_response(self, request, full_url, headers)
            if _active is not None:
                query = set(getattr(request, "args", {}) or {})
                operation = next(
                    (
                        op
                        for (m, sub), op in _S3_CALLS.items()
                        if m == request.method and sub in query
                    ),
                    "",
                )
                bucket = self.parse_bucket_name_from_url(request, full_url)
                _seen(self, operation, result, {"bucketName": bucket})
            return result

        setattr(BaseResponse, "call_action", call_action)  # noqa: B010
        setattr(S3Response, "bucket_response", bucket_response)  # noqa: B010
        _hooked = True


@contextmanager
def simulated_alerting(delay_s: float = 0.2, stop_before: str | None = None) -> Iterator[Simulator]:
    """Run the simulated chain on this process's moto server for the duration of the block."""
    global _active
    if stop_before is not None and stop_before not in LINKS:
        raise ValueError(f"stop_before must be one of {LINKS}")
    _install_hook()
    simulator = Simulator(delay_s, stop_before)
    worker = threading.Thread(target=simulator.run, daemon=True, name="simulated-alerting")
    worker.start()
    _active = simulator
    try:
        yield simulator
    finally:
        _active = None
        simulator.observe(None)  # stops the worker
        worker.join(timeout=5)
