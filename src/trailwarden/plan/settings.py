"""The sections of a ``Baseline`` (trail, bucket, key, log group, alarms, organisation) as data.

A leaf of ``trailwarden.plan``: ``baseline`` assembles these into the model and ``validation``
checks them (``BaselineFields``: the model's data, which ``Baseline`` extends with its derived
names and policies), and neither has to import the other to do so.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA: Literal["trailwarden.baseline/1"] = "trailwarden.baseline/1"
DEFAULT_TRAIL_NAME = "trailwarden"
DEFAULT_RETENTION_DAYS = 365  # the PCI DSS minimum for audit logs
DEFAULT_TAGS = {"managed-by": "trailwarden"}  # CloudTrail.9 needs at least one tag


class FrozenModel(BaseModel):
    """Settings are values: frozen, and unknown fields are errors (a typo in JSON is refused)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TrailSettings(FrozenModel):
    name: str = DEFAULT_TRAIL_NAME
    home_region: str
    # Fixed by the baseline: these are what CloudTrail.1/.4 and the Config rules require.
    multi_region: Literal[True] = True
    include_global_service_events: Literal[True] = True
    log_file_validation: Literal[True] = True


class BucketSettings(FrozenModel):
    name: str
    region: str
    prefix: str | None = None
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1)
    access_log_bucket: str
    versioning: Literal[True] = True
    tls_only: Literal[True] = True

    @property
    def access_log_prefix(self) -> str:
        return f"{self.name}/"


class KmsSettings(FrozenModel):
    mode: Literal["new", "existing", "none"] = "new"
    key_arn: str | None = None  # set when mode == "existing"
    alias: str | None = None  # set when mode == "new"
    reader_arns: tuple[str, ...] = ()


class CloudWatchSettings(FrozenModel):
    log_group: str
    retention_days: int = DEFAULT_RETENTION_DAYS
    role_name: str
    role_policy_name: str = "trailwarden-cloudtrail-to-cloudwatch-logs"


class AlarmSpec(FrozenModel):
    """One CIS metric filter and its alarm (CloudWatch.1-14), settings as
    docs/aws-facts/controls.md#cis-alarm-settings prescribes."""

    control_id: str
    filter_name: str
    pattern: str
    metric_name: str
    namespace: str
    metric_value: str = "1"
    alarm_name: str
    statistic: str = "Sum"
    period: int = 300
    threshold: float = 1.0
    evaluation_periods: int = 1
    comparison_operator: str = "GreaterThanOrEqualToThreshold"
    treat_missing_data: str = "notBreaching"

    @property
    def description(self) -> str:
        return f"CIS metric filter alarm for Security Hub {self.control_id}"

    def put_metric_filter_params(self, log_group: str) -> dict[str, Any]:
        """``logs:PutMetricFilter`` parameters."""
        return {
            "logGroupName": log_group,
            "filterName": self.filter_name,
            "filterPattern": self.pattern,
            "metricTransformations": [
                {
                    "metricName": self.metric_name,
                    "metricNamespace": self.namespace,
                    "metricValue": self.metric_value,
                }
            ],
        }

    def put_metric_alarm_params(self, topic_arn: str) -> dict[str, Any]:
        """``cloudwatch:PutMetricAlarm`` parameters (action on ALARM -> the SNS topic)."""
        return {
            "AlarmName": self.alarm_name,
            "AlarmDescription": self.description,
            "MetricName": self.metric_name,
            "Namespace": self.namespace,
            "Statistic": self.statistic,
            "Period": self.period,
            "EvaluationPeriods": self.evaluation_periods,
            "Threshold": self.threshold,
            "ComparisonOperator": self.comparison_operator,
            "TreatMissingData": self.treat_missing_data,
            "ActionsEnabled": True,
            "AlarmActions": [topic_arn],
        }


class AlarmSettings(FrozenModel):
    new_topic: bool
    topic_name: str  # the new topic's name, or the existing topic's last ARN field
    topic_arn: str
    emails: tuple[str, ...] = ()
    alarms: tuple[AlarmSpec, ...] = ()


class OrgSettings(FrozenModel):
    org_id: str
    management_account_id: str
    # The Control Tower shape: bucket, access-log bucket and key in a log-archive account
    # (None: in the management account with the trail).
    log_archive_account_id: str | None = None
    # Every account whose trails may use the key (docs/org.md#kms-key-policy); the management
    # account is always included.
    account_ids: tuple[str, ...] = ()


class BaselineFields(FrozenModel):
    """A ``Baseline``'s data: what the cross-field validation reads, without the methods."""

    schema_: Literal["trailwarden.baseline/1"] = Field(SCHEMA, alias="schema")
    account_id: str
    trail: TrailSettings
    bucket: BucketSettings
    kms: KmsSettings
    cloudwatch: CloudWatchSettings
    alarms: AlarmSettings | None
    organization: OrgSettings | None = None
    tags: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_TAGS))

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)
