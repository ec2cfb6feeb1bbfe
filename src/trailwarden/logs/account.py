"""The account's own metric filters and their alarms (CloudWatch Logs + CloudWatch), as specs.

Each metric filter becomes an AlarmSpec using the settings of the alarm on its metric (name and
namespace); a filter without an alarm is replayed with the CIS settings and says so in its name.
Only count-like alarms are meaningful here: Sum with >= or >; a metric value other than a number
is counted as 1 per matching event.
"""

from __future__ import annotations

import math
from typing import Any

from botocore.exceptions import ClientError

from trailwarden.aws.errors import error_code
from trailwarden.errors import AccessError
from trailwarden.logs.replay import AlarmSpec


def _pages(client: Any, op: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator(op).paginate(**kwargs):
            out.extend(page.get(key, []))
    except ClientError as exc:
        raise AccessError(f"cannot {op.replace('_', ' ')}: {error_code(exc, '')}") from None
    return out


def account_specs(logs: Any, cloudwatch: Any, log_group: str | None = None) -> list[AlarmSpec]:
    """From the account's CloudWatch Logs and CloudWatch clients (the caller builds them)."""
    kwargs = {"logGroupName": log_group} if log_group else {}
    filters = _pages(logs, "describe_metric_filters", "metricFilters", **kwargs)
    alarms = _pages(cloudwatch, "describe_alarms", "MetricAlarms")
    by_metric: dict[tuple[str, str], dict[str, Any]] = {}
    for alarm in alarms:
        if alarm.get("MetricName") and alarm.get("Namespace"):
            by_metric.setdefault((alarm["MetricName"], alarm["Namespace"]), alarm)
    specs = []
    for f in filters:
        for t in f.get("metricTransformations", [])[:1]:
            name = f"{f['logGroupName']}:{f['filterName']}"
            found = by_metric.get((t["metricName"], t["metricNamespace"]))
            if found is None:
                specs.append(AlarmSpec(name + " (no alarm; CIS settings)", f["filterPattern"]))
                continue
            alarm = found
            threshold = float(alarm.get("Threshold", 1))
            if alarm.get("ComparisonOperator") == "GreaterThanThreshold":
                threshold = math.floor(threshold) + 1  # counts are whole numbers
            specs.append(
                AlarmSpec(
                    f"{name} -> {alarm['AlarmName']}",
                    f["filterPattern"],
                    int(alarm.get("Period", 300)),
                    threshold,
                    int(alarm.get("EvaluationPeriods", 1)),
                )
            )
    return specs
