"""One canary's chain: the links an event must pass to page someone, each with when it arrived.

``Chain`` is data (what was caused, the live filter, metric, alarm and topics it should trip, and
each link's status); the ``poll_*`` functions look for one link with one or two reads each.
A link's time is AWS's own timestamp where AWS records one (the log event's ingestion time, the
alarm history item, the alarm's action item, the SQS message's SentTimestamp); the metric
datapoint has none, so its time is when a poll first saw it: an upper bound, said so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from trailwarden.apply.context import AccountContext
from trailwarden.verify.canaries import Candidate, Target

LinkStatus = Literal["PASS", "FAIL", "WAIT"]
LOGS, METRIC, ALARM, SNS, ENDPOINT = "CloudWatch Logs", "metric", "alarm", "SNS publish", "endpoint"
# Before the event: the configured links the chain needs (a FAIL here causes no event).
FILTER, PRECONDITION, EVENT = "metric filter", "precondition", "event"


@dataclass
class Link:
    name: str
    status: LinkStatus = "WAIT"
    at: datetime | None = None
    evidence: str = ""
    observed: bool = False  # ``at`` is when a poll saw it, not AWS's own timestamp

    def arrive(self, at: datetime, evidence: str, observed: bool = False) -> None:
        self.status, self.at, self.evidence, self.observed = "PASS", at, evidence, observed

    def fail(self, evidence: str) -> None:
        self.status, self.evidence = "FAIL", evidence


@dataclass
class Chain:
    """One canary in one account, from the call to the subscriber."""

    target: Target
    control_id: str
    candidate: Candidate
    also_matches: tuple[str, ...] = ()
    filter_name: str = ""
    namespace: str = ""
    metric: str = ""
    alarm: dict[str, Any] = field(default_factory=dict)
    topics: list[str] = field(default_factory=list)
    queue_url: str | None = None  # --canary-endpoint: an SQS queue subscribed for the test
    caused_at: datetime | None = None
    request_id: str | None = None
    answer: str = ""  # what the API answered (an error code for the "not found" canaries)
    event_time: datetime | None = None
    links: list[Link] = field(default_factory=list)

    @property
    def alarm_name(self) -> str:
        return str(self.alarm.get("AlarmName", ""))

    @property
    def done(self) -> bool:
        return any(link.status == "FAIL" for link in self.links) or all(
            link.status == "PASS" for link in self.links
        )

    @property
    def ok(self) -> bool:
        return bool(self.links) and all(link.status == "PASS" for link in self.links)

    @property
    def broken(self) -> str | None:
        """The first link that failed or never arrived."""
        return next((link.name for link in self.links if link.status != "PASS"), None)

    def fail_before(self, link: str, evidence: str) -> None:
        """A configured link is missing: no event is caused, the chain names the link."""
        self.links = [Link(link, "FAIL", evidence=evidence)]

    def since_event(self, link: Link) -> float | None:
        if link.at is None or self.caused_at is None:
            return None
        return max(0.0, (link.at - self.caused_at).total_seconds())

    def total_s(self) -> float | None:
        return self.since_event(self.links[-1]) if self.ok else None

    def to_json(self) -> dict[str, Any]:
        previous = self.caused_at
        links = []
        for link in self.links:
            step = None
            if link.at is not None and previous is not None:
                step = max(0.0, (link.at - previous).total_seconds())
                previous = link.at
            links.append(
                {
                    "link": link.name,
                    "status": link.status,
                    "at": link.at.isoformat() if link.at else None,
                    "since_previous_s": step,
                    "since_event_s": self.since_event(link),
                    "observed": link.observed,
                    "evidence": link.evidence,
                }
            )
        return {
            "account": self.target.account,
            "control": self.control_id,
            "operation": self.candidate.operation,
            "harmless": self.candidate.harmless,
            "also_matches": list(self.also_matches),
            "caused_at": self.caused_at.isoformat() if self.caused_at else None,
            "request_id": self.request_id,
            "answer": self.answer,
            "filter": self.filter_name,
            "metric": f"{self.namespace}/{self.metric}" if self.metric else "",
            "alarm": self.alarm_name,
            "topics": self.topics,
            "ok": self.ok,
            "broken": self.broken,
            "total_s": self.total_s(),
            "links": links,
        }


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def _from_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def poll_logs(ctx: AccountContext, chain: Chain, log_group: str) -> bool:
    """The event in the trail's log group, found by its request ID (FilterLogEvents)."""
    assert chain.caused_at is not None
    logs = ctx.client(chain.target.region, "logs")
    operation, request = chain.candidate.operation, chain.request_id
    pattern = f'{{ ($.eventName = "{operation}") && ($.requestID = "{request}") }}'
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=log_group,
        # eventTime is stamped when AWS received the call; allow for this machine's clock skew.
        startTime=_ms(chain.caused_at - timedelta(minutes=5)),
        filterPattern=pattern,
        PaginationConfig={"MaxItems": 50},
    )
    for page in pages:
        for event in page.get("events", []):
            record = json.loads(event["message"])
            if record.get("requestID") != chain.request_id:
                continue  # FilterLogEvents already filtered; a second look costs nothing
            chain.event_time = _from_ms(event["timestamp"])
            where = f"{log_group}/{event.get('logStreamName', '?')}"
            chain.links[0].arrive(
                _from_ms(event["ingestionTime"]),
                f"eventID {record.get('eventID', '?')} in {where}{_simulated(record)}",
            )
            return True
    return False


def _simulated(record: dict[str, Any]) -> str:
    return " (simulated)" if record.get("trailwardenSimulated") else ""


def poll_metric(ctx: AccountContext, chain: Chain, link: Link, now: datetime) -> bool:
    """A datapoint >= 1 of the filter's metric in the event's minute or later (GetMetricData)."""
    assert chain.event_time is not None
    start = chain.event_time.replace(second=0, microsecond=0)
    values = _metric_sums(ctx, chain.target.region, chain.namespace, chain.metric, [], start, now)
    hits = [(t, v) for t, v in values if v >= 1]
    if not hits:
        return False
    when, value = min(hits)
    link.arrive(
        now,
        f"{chain.namespace}/{chain.metric} Sum {value:g} in the minute of {when:%H:%M}Z",
        observed=True,
    )
    return True


def _metric_sums(
    ctx: AccountContext,
    region: str,
    namespace: str,
    metric: str,
    dimensions: list[dict[str, str]],
    start: datetime,
    now: datetime,
) -> list[tuple[datetime, float]]:
    cloudwatch = ctx.client(region, "cloudwatch")
    got = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "canary",
                "MetricStat": {
                    "Metric": {
                        "Namespace": namespace,
                        "MetricName": metric,
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
                "ReturnData": True,
            }
        ],
        StartTime=start,
        EndTime=now + timedelta(minutes=1),
    )
    out: list[tuple[datetime, float]] = []
    for result in got.get("MetricDataResults", []):
        out.extend(zip(result.get("Timestamps", []), result.get("Values", []), strict=False))
    return out


def _history(ctx: AccountContext, chain: Chain, kind: str, since: datetime) -> list[dict[str, Any]]:
    cloudwatch = ctx.client(chain.target.region, "cloudwatch")
    got = cloudwatch.describe_alarm_history(
        AlarmName=chain.alarm_name,
        HistoryItemType=kind,
        StartDate=since,
        EndDate=datetime.now(UTC) + timedelta(minutes=5),
        ScanBy="TimestampAscending",
    )
    return list(got.get("AlarmHistoryItems", []))


def poll_alarm(ctx: AccountContext, chain: Chain, link: Link) -> bool:
    """The alarm's state change to ALARM after the event (DescribeAlarmHistory)."""
    assert chain.caused_at is not None
    for item in _history(ctx, chain, "StateUpdate", chain.caused_at - timedelta(seconds=1)):
        data = json.loads(item.get("HistoryData") or "{}")
        if data.get("newState", {}).get("stateValue") == "ALARM":
            link.arrive(item["Timestamp"], f"{chain.alarm_name}: {item.get('HistorySummary', '')}")
            return True
    return False


def poll_publish(ctx: AccountContext, chain: Chain, link: Link, alarm_at: datetime) -> bool:
    """The alarm's SNS action: its history item, or the topic's delivery metrics."""
    for item in _history(ctx, chain, "Action", alarm_at - timedelta(seconds=1)):
        summary = str(item.get("HistorySummary", ""))
        topic = next((t for t in chain.topics if t in summary), None)
        if topic is None:
            continue
        if summary.startswith("Failed"):
            link.fail(summary)
        else:
            link.arrive(item["Timestamp"], summary + _deliveries(ctx, chain, topic, alarm_at))
        return True
    return _published_metric(ctx, chain, link, alarm_at)


def _topic_sum(
    ctx: AccountContext, chain: Chain, topic: str, metric: str, since: datetime
) -> float:
    dims = [{"Name": "TopicName", "Value": topic.rsplit(":", 1)[-1]}]
    start = since.replace(second=0, microsecond=0)
    now = datetime.now(UTC)
    return sum(
        v for _, v in _metric_sums(ctx, chain.target.region, "AWS/SNS", metric, dims, start, now)
    )


def _deliveries(ctx: AccountContext, chain: Chain, topic: str, since: datetime) -> str:
    delivered = _topic_sum(ctx, chain, topic, "NumberOfNotificationsDelivered", since)
    failed = _topic_sum(ctx, chain, topic, "NumberOfNotificationsFailed", since)
    return f"; topic metrics so far: {delivered:g} delivered, {failed:g} failed"


def _published_metric(ctx: AccountContext, chain: Chain, link: Link, since: datetime) -> bool:
    for topic in chain.topics:
        if _topic_sum(ctx, chain, topic, "NumberOfMessagesPublished", since) >= 1:
            link.arrive(
                datetime.now(UTC),
                f"AWS/SNS NumberOfMessagesPublished >= 1 for {topic}"
                + _deliveries(ctx, chain, topic, since),
                observed=True,
            )
            return True
    return False


def poll_endpoint(ctx: AccountContext, chain: Chain, link: Link, region: str) -> bool:
    """The alarm's message in the SQS queue subscribed for the test (ReceiveMessage)."""
    sqs = ctx.client(region, "sqs")
    got = sqs.receive_message(
        QueueUrl=chain.queue_url,
        MaxNumberOfMessages=10,
        AttributeNames=["SentTimestamp"],
        VisibilityTimeout=0,  # messages that are not ours stay visible for their reader
    )
    for message in got.get("Messages", []):
        envelope = json.loads(message.get("Body") or "{}")
        body = json.loads(envelope.get("Message") or "{}") if envelope.get("Message") else {}
        if body.get("AlarmName") != chain.alarm_name or body.get("NewStateValue") != "ALARM":
            continue
        if envelope.get("TopicArn") not in chain.topics:
            continue
        sent = _from_ms(float(message.get("Attributes", {}).get("SentTimestamp", 0)))
        if chain.caused_at is not None and sent < chain.caused_at - timedelta(seconds=1):
            continue  # an older alarm's message
        sqs.delete_message(QueueUrl=chain.queue_url, ReceiptHandle=message["ReceiptHandle"])
        subject = envelope.get("Subject", "")
        link.arrive(sent, f"message {envelope.get('MessageId', '?')}: {subject}{_simulated(body)}")
        return True
    return False
