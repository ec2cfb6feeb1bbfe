"""The desired CloudTrail posture of one account, as data (issue 4 part 1).

A ``Baseline`` says what should exist, never how to get there: plan/apply compare it with a
snapshot, and the IaC renderers print it. Every policy comes from ``trailwarden.policies`` so that
apply, CloudFormation and Terraform create byte-for-byte the same documents.

Build one with ``Baseline.from_options(...)``: it applies the defaults and turns any invalid option
into a one-line ``UsageError``. Constructing the model directly runs the same validators (pydantic
``ValidationError``), so a baseline loaded from JSON is checked too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from pydantic import ValidationError, model_validator

from trailwarden import arns
from trailwarden.errors import UsageError
from trailwarden.plan.settings import (
    DEFAULT_RETENTION_DAYS,
    DEFAULT_TAGS,
    DEFAULT_TRAIL_NAME,
    AlarmSpec,
    BaselineFields,
    OrgSettings,
)
from trailwarden.plan.validation import first_problem, validation_message
from trailwarden.policies import builders
from trailwarden.policies.builders import PolicyDocument, Statement

# The single all-management read+write selector with no exclusions (CloudTrail.1 "Fix",
# docs/aws-facts/controls.md#cloudtrail-1).
EVENT_SELECTORS: list[dict[str, Any]] = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "ExcludeManagementEventSources": []}
]


class CisControlLike(Protocol):
    """What the baseline reads from ``trailwarden.filterpattern.cis.CisControl``."""

    @property
    def control_id(self) -> str: ...
    @property
    def pattern(self) -> str: ...
    @property
    def metric_name(self) -> str: ...
    @property
    def namespace(self) -> str: ...
    @property
    def statistic(self) -> str: ...
    @property
    def period(self) -> int: ...
    @property
    def threshold(self) -> float: ...
    @property
    def evaluation_periods(self) -> int: ...


class Baseline(BaselineFields):
    @model_validator(mode="after")
    def _check(self) -> Baseline:
        problem = first_problem(self)
        if problem:
            raise ValueError(problem)
        return self

    # --- derived names ---------------------------------------------------------------------

    @property
    def partition(self) -> str:
        return arns.partition_for_region(self.trail.home_region)

    @property
    def trail_owner_account(self) -> str:
        """The account in every ``aws:SourceArn``: the management account for an org trail."""
        org = self.organization
        return org.management_account_id if org else self.account_id

    @property
    def resource_account(self) -> str:
        """The account that owns the bucket, the access-log bucket and the key: the log-archive
        account of an organisation trail in the Control Tower shape, else the trail's account."""
        org = self.organization
        return (org.log_archive_account_id if org else None) or self.account_id

    @property
    def trail_arn(self) -> str:
        return arns.trail_arn(self.trail.home_region, self.trail_owner_account, self.trail.name)

    @property
    def log_group_arn(self) -> str:
        return arns.log_group_arn(
            self.trail.home_region, self.account_id, self.cloudwatch.log_group
        )

    @property
    def role_arn(self) -> str:
        return arns.role_arn(self.account_id, self.cloudwatch.role_name, self.partition)

    @property
    def org_id(self) -> str | None:
        return self.organization.org_id if self.organization else None

    # --- policies (all from trailwarden.policies) -------------------------------------------

    def bucket_policy(self) -> PolicyDocument:
        return builders.trail_bucket_policy(
            bucket=self.bucket.name,
            account_id=self.trail_owner_account,
            trail_arn=self.trail_arn,
            prefix=self.bucket.prefix,
            org_id=self.org_id,
            partition=self.partition,
        )

    def access_log_bucket_policy(self) -> PolicyDocument:
        return builders.access_log_bucket_policy(
            access_log_bucket=self.bucket.access_log_bucket,
            source_bucket=self.bucket.name,
            account_id=self.resource_account,  # S3 logs for the source bucket's owner
            target_prefix=self.bucket.access_log_prefix,
            partition=self.partition,
        )

    def key_policy_statements(self) -> list[Statement]:
        """What must be merged into an existing key's policy (or added to a new key's default)."""
        org = self.organization
        return builders.kms_key_statements(
            account_id=self.trail_owner_account,
            trail_arn=self.trail_arn,
            reader_arns=self.kms.reader_arns,
            partition=self.partition,
            context_accounts=org.account_ids if org else (),
        )

    def new_key_policy(self) -> PolicyDocument:
        # The key's own account administers it (the log-archive account in that shape).
        base = builders.default_key_policy(self.resource_account, self.partition)
        return builders.document([*base["Statement"], *self.key_policy_statements()])

    def cloudwatch_trust_policy(self) -> PolicyDocument:
        return builders.cloudwatch_role_trust_policy()

    def cloudwatch_role_policy(self) -> PolicyDocument:
        return builders.cloudwatch_role_policy(
            region=self.trail.home_region,
            account_id=self.account_id,
            log_group=self.cloudwatch.log_group,
            org_id=self.org_id,
        )

    def topic_policy_statement(self) -> Statement | None:
        if self.alarms is None:
            return None
        return builders.sns_alarm_publish_statement(
            topic_arn=self.alarms.topic_arn,
            region=self.trail.home_region,
            account_id=self.account_id,
        )

    # --- API parameters shared by apply and the renderers -----------------------------------

    def public_access_block(self) -> dict[str, bool]:
        return {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        }

    def encryption_rules(self) -> list[dict[str, Any]]:
        # SSE-S3 by default: objects CloudTrail writes carry their own SSE-KMS header; a KMS
        # default would make S3 call the key for other writers the key policy does not allow.
        return [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]

    def lifecycle_rules(self) -> list[dict[str, Any]]:
        days = self.bucket.retention_days
        return [
            {
                "ID": "trailwarden-retention",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "Expiration": {"Days": days},
                # Versioning keeps overwritten/deleted log files; they too expire after the period.
                "NoncurrentVersionExpiration": {"NoncurrentDays": days},
                "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
            }
        ]

    def logging_target(self) -> dict[str, str]:
        return {
            "TargetBucket": self.bucket.access_log_bucket,
            "TargetPrefix": self.bucket.access_log_prefix,
        }

    def tags_list(self) -> list[dict[str, str]]:
        return [{"Key": key, "Value": value} for key, value in sorted(self.tags.items())]

    def event_selectors(self) -> list[dict[str, Any]]:
        return [dict(selector) for selector in EVENT_SELECTORS]

    @property
    def kms_region(self) -> str:
        """Where a new key is created: CloudTrail needs it in the bucket's Region
        (docs/aws-facts/trail-setup.md#kms-key-region)."""
        return self.bucket.region

    def create_key_params(self) -> dict[str, Any]:
        """``kms:CreateKey`` parameters for a new key (policy = default + CloudTrail's)."""
        return {
            "Description": f"CloudTrail log files of trail {self.trail.name}",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "Policy": json.dumps(self.new_key_policy()),
            "Tags": [{"TagKey": k, "TagValue": v} for k, v in sorted(self.tags.items())],
        }

    def create_role_params(self) -> dict[str, Any]:
        """``iam:CreateRole`` parameters for the CloudWatch Logs delivery role."""
        return {
            "RoleName": self.cloudwatch.role_name,
            "AssumeRolePolicyDocument": json.dumps(self.cloudwatch_trust_policy()),
            "Description": f"Lets CloudTrail trail {self.trail.name} write to CloudWatch Logs",
            "Tags": self.tags_list(),
        }

    def put_role_policy_params(self) -> dict[str, Any]:
        return {
            "RoleName": self.cloudwatch.role_name,
            "PolicyName": self.cloudwatch.role_policy_name,
            "PolicyDocument": json.dumps(self.cloudwatch_role_policy()),
        }

    def create_trail_params(self, kms_key_id: str | None = None) -> dict[str, Any]:
        """``CreateTrail`` parameters; ``kms_key_id`` is the new key's ARN once it exists."""
        params: dict[str, Any] = {
            "Name": self.trail.name,
            "S3BucketName": self.bucket.name,
            "IncludeGlobalServiceEvents": True,
            "IsMultiRegionTrail": True,
            "EnableLogFileValidation": True,
            "CloudWatchLogsLogGroupArn": self.log_group_arn,
            "CloudWatchLogsRoleArn": self.role_arn,
            "TagsList": self.tags_list(),
        }
        if self.bucket.prefix:
            params["S3KeyPrefix"] = self.bucket.prefix
        key = kms_key_id or self.kms.key_arn
        if self.kms.mode != "none":
            if key is None:
                raise ValueError("the new KMS key's ARN is needed for CreateTrail")
            params["KmsKeyId"] = key
        if self.organization is not None:
            params["IsOrganizationTrail"] = True
        return params

    @classmethod
    def from_options(
        cls,
        *,
        account_id: str,
        home_region: str,
        trail_name: str = DEFAULT_TRAIL_NAME,
        bucket: str | None = None,
        bucket_region: str | None = None,
        prefix: str | None = None,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        access_log_bucket: str | None = None,
        kms_key: str = "new",
        kms_readers: Sequence[str] = (),
        log_group: str | None = None,
        log_retention_days: int = DEFAULT_RETENTION_DAYS,
        cloudwatch_role: str | None = None,
        alarm_email: Sequence[str] | str | None = None,
        alarm_topic: str | None = None,
        alarms: bool = True,
        tags: Mapping[str, str] | None = None,
        org_id: str | None = None,
        management_account_id: str | None = None,
        log_archive_account_id: str | None = None,
        org_account_ids: Sequence[str] = (),
        cis_controls: Sequence[CisControlLike] | None = None,
    ) -> Baseline:
        """Apply defaults and validate; any invalid option raises a one-line ``UsageError``."""
        if retention_days < 1:
            raise UsageError(f"--retention-days must be at least 1, got {retention_days}")
        region = bucket_region or home_region
        bucket_name = bucket or f"trailwarden-{account_id}-{region}"
        if access_log_bucket is None:
            access_log_bucket = (
                f"trailwarden-access-logs-{account_id}-{region}"
                if bucket is None
                else f"{bucket}-access-logs"
            )
            if len(access_log_bucket) > 63:
                raise UsageError(
                    f"--bucket {bucket!r} is too long to derive an access-log bucket name from;"
                    " pass --access-log-bucket"
                )
        org = None
        if org_id is not None:
            org = OrgSettings(
                org_id=org_id,
                management_account_id=management_account_id or account_id,
                log_archive_account_id=log_archive_account_id,
                account_ids=tuple(org_account_ids),
            )
        fields: dict[str, Any] = {
            "account_id": account_id,
            "trail": {"name": trail_name, "home_region": home_region},
            "bucket": {
                "name": bucket_name,
                "region": region,
                "prefix": prefix or None,
                "retention_days": retention_days,
                "access_log_bucket": access_log_bucket,
            },
            "kms": _kms_settings(kms_key, trail_name, kms_readers),
            "cloudwatch": {
                "log_group": log_group or f"cloudtrail/{trail_name}",
                "retention_days": log_retention_days,
                "role_name": cloudwatch_role or f"{trail_name}-cloudtrail-to-cloudwatch"[:64],
            },
            "alarms": (
                _alarm_settings(
                    account_id, home_region, trail_name, alarm_email, alarm_topic, cis_controls
                )
                if alarms
                else None
            ),
            "organization": org,
            "tags": {**DEFAULT_TAGS, **(tags or {})},
        }
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            raise UsageError(validation_message(exc)) from None


def _kms_settings(kms_key: str, trail_name: str, readers: Sequence[str]) -> dict[str, Any]:
    if kms_key == "none":
        return {"mode": "none", "reader_arns": tuple(readers)}
    if kms_key == "new":
        alias = f"alias/{trail_name}-cloudtrail"
        return {"mode": "new", "alias": alias, "reader_arns": tuple(readers)}
    return {"mode": "existing", "key_arn": kms_key, "reader_arns": tuple(readers)}


def _alarm_settings(
    account_id: str,
    home_region: str,
    trail_name: str,
    emails: Sequence[str] | str | None,
    topic: str | None,
    controls: Sequence[CisControlLike] | None,
) -> dict[str, Any]:
    if controls is None:
        from trailwarden.filterpattern.cis import CIS_CONTROLS

        controls = CIS_CONTROLS
    if topic is None:
        name = f"{trail_name}-cis-alarms"
        topic_fields = {
            "new_topic": True,
            "topic_name": name,
            "topic_arn": arns.topic_arn(home_region, account_id, name),
        }
    else:
        topic_fields = {
            "new_topic": False,
            "topic_name": topic.rsplit(":", 1)[-1],
            "topic_arn": topic,
        }
    return {
        **topic_fields,
        "emails": (emails,) if isinstance(emails, str) else tuple(emails or ()),
        "alarms": tuple(alarm_spec(trail_name, control) for control in controls),
    }


def alarm_spec(trail_name: str, control: CisControlLike) -> AlarmSpec:
    """The filter + alarm for one CIS control, named after the trail so baselines don't clash."""
    return AlarmSpec(
        control_id=control.control_id,
        filter_name=f"{trail_name}-{control.control_id}",
        pattern=control.pattern,
        metric_name=control.metric_name,
        namespace=control.namespace,
        alarm_name=f"{trail_name}-{control.control_id}",
        statistic=control.statistic,
        period=control.period,
        threshold=float(control.threshold),
        evaluation_periods=control.evaluation_periods,
    )
