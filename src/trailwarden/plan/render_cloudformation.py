"""The baseline as a CloudFormation template (YAML, long-form intrinsics so it is plain YAML).

One stack per account in the trail's home Region. Policies are the builders' documents verbatim;
ARNs are literal because a baseline is for one known account, and a template Rule refuses to
deploy it anywhere else.
"""

from __future__ import annotations

from typing import Any

import yaml

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline

Template = dict[str, Any]
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


class _Dumper(yaml.SafeDumper):
    """CloudFormation rejects YAML anchors/aliases: write repeated values out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render_cloudformation(baseline: Baseline) -> str:
    return yaml.dump(
        cloudformation_template(baseline),
        Dumper=_Dumper,
        sort_keys=False,
        width=1_000_000,  # never fold: filter patterns must stay byte-exact
        allow_unicode=True,
    )


def _ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def _arn(name: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, "Arn"]}


def _tags(b: Baseline) -> list[dict[str, str]]:
    return b.tags_list()


def _bucket(b: Baseline, name: str, extra: dict[str, Any]) -> dict[str, Any]:
    rule = b.lifecycle_rules()[0]
    props: dict[str, Any] = {
        "BucketName": name,
        "PublicAccessBlockConfiguration": b.public_access_block(),
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "Id": rule["ID"],
                    "Status": rule["Status"],
                    "Prefix": rule["Filter"]["Prefix"],
                    "ExpirationInDays": rule["Expiration"]["Days"],
                    "NoncurrentVersionExpiration": {
                        "NoncurrentDays": rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                    },
                    "AbortIncompleteMultipartUpload": rule["AbortIncompleteMultipartUpload"],
                }
            ]
        },
        **extra,
        "Tags": _tags(b),
    }
    return {"Type": "AWS::S3::Bucket", **RETAIN, "Properties": props}


def cloudformation_template(baseline: Baseline) -> Template:
    b = baseline
    region = b.trail.home_region
    if b.bucket.region != region:
        raise UsageError(
            "a CloudFormation stack lives in one Region: the bucket Region"
            f" {b.bucket.region} must be the home Region {region}"
        )
    target = b.logging_target()
    resources: dict[str, Any] = {
        "AccessLogBucket": _bucket(b, b.bucket.access_log_bucket, {}),
        "AccessLogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": _ref("AccessLogBucket"),
                "PolicyDocument": b.access_log_bucket_policy(),
            },
        },
        "TrailBucket": {
            **_bucket(
                b,
                b.bucket.name,
                {
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LoggingConfiguration": {
                        "DestinationBucketName": _ref("AccessLogBucket"),
                        "LogFilePrefix": target["TargetPrefix"],
                    },
                },
            ),
            # Access logs may only start once the access-log bucket lets S3 logging write.
            "DependsOn": ["AccessLogBucketPolicy"],
        },
        "TrailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": _ref("TrailBucket"), "PolicyDocument": b.bucket_policy()},
        },
    }
    kms_key: Any = None
    if b.kms.mode == "new":
        kms_key = _arn("TrailKey")
        resources["TrailKey"] = {
            "Type": "AWS::KMS::Key",
            **RETAIN,
            "Properties": {
                "Description": f"CloudTrail log files of trail {b.trail.name}",
                "KeySpec": "SYMMETRIC_DEFAULT",
                "KeyUsage": "ENCRYPT_DECRYPT",
                "EnableKeyRotation": True,
                "KeyPolicy": b.new_key_policy(),
                "Tags": _tags(b),
            },
        }
        resources["TrailKeyAlias"] = {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": b.kms.alias, "TargetKeyId": _ref("TrailKey")},
        }
    elif b.kms.mode == "existing":
        kms_key = b.kms.key_arn
    resources["TrailLogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        **RETAIN,
        "Properties": {
            "LogGroupName": b.cloudwatch.log_group,
            "RetentionInDays": b.cloudwatch.retention_days,
            "Tags": _tags(b),
        },
    }
    resources["CloudWatchLogsRole"] = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": b.cloudwatch.role_name,
            "AssumeRolePolicyDocument": b.cloudwatch_trust_policy(),
            "Policies": [
                {
                    "PolicyName": b.cloudwatch.role_policy_name,
                    "PolicyDocument": b.cloudwatch_role_policy(),
                }
            ],
            "Tags": _tags(b),
        },
    }
    resources["Trail"] = _trail(b, kms_key)
    resources.update(_alarm_resources(b))
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"trailwarden baseline for account {b.account_id}: trail {b.trail.name},"
            " logging, validated, alarming"
        ),
        "Metadata": _external_policies(b),
        "Rules": {
            "TargetAccountAndRegion": {
                "Assertions": [
                    {
                        "Assert": {"Fn::Equals": [_ref("AWS::AccountId"), b.account_id]},
                        "AssertDescription": f"deploy only in account {b.account_id}",
                    },
                    {
                        "Assert": {"Fn::Equals": [_ref("AWS::Region"), region]},
                        "AssertDescription": f"deploy only in the trail's home Region {region}",
                    },
                ]
            }
        },
        "Resources": resources,
        "Outputs": {
            "TrailArn": {"Value": _arn("Trail")},
            "TrailBucketName": {"Value": _ref("TrailBucket")},
            "LogGroupName": {"Value": _ref("TrailLogGroup")},
        },
    }


def _external_policies(b: Baseline) -> dict[str, Any]:
    """Statements the stack cannot add itself, to resources it does not own (CloudFormation would
    replace the whole policy); ``trailwarden apply`` merges them."""
    merge: dict[str, Any] = {}
    if b.kms.mode == "existing":
        merge[str(b.kms.key_arn)] = b.key_policy_statements()
    if b.alarms is not None and not b.alarms.new_topic:
        merge[b.alarms.topic_arn] = [b.topic_policy_statement()]
    return {"trailwarden": {"baseline": b.schema_, "MergeIntoExistingPolicies": merge}}


def _trail(b: Baseline, kms_key: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "TrailName": b.trail.name,
        "S3BucketName": _ref("TrailBucket"),
    }
    if b.bucket.prefix:
        props["S3KeyPrefix"] = b.bucket.prefix
    props |= {
        "IsLogging": True,
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": True,
    }
    if b.organization is not None:
        props["IsOrganizationTrail"] = True
    if kms_key is not None:
        props["KMSKeyId"] = kms_key
    props |= {
        # GetAtt on a log group yields the ARN with the ":*" suffix CloudTrail expects.
        "CloudWatchLogsLogGroupArn": _arn("TrailLogGroup"),
        "CloudWatchLogsRoleArn": _arn("CloudWatchLogsRole"),
        "EventSelectors": b.event_selectors(),
        "Tags": _tags(b),
    }
    # CreateTrail validates the bucket policy synchronously
    # (docs/aws-facts/trail-setup.md#setup-order); the key and role are already ordered by the
    # GetAtt references.
    return {
        "Type": "AWS::CloudTrail::Trail",
        "DependsOn": ["TrailBucketPolicy"],
        "Properties": props,
    }


def _alarm_resources(b: Baseline) -> dict[str, Any]:
    if b.alarms is None:
        return {}
    resources: dict[str, Any] = {}
    topic: Any = b.alarms.topic_arn
    if b.alarms.new_topic:
        topic = _ref("AlarmTopic")
        resources["AlarmTopic"] = {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": b.alarms.topic_name, "Tags": _tags(b)},
        }
    for index, email in enumerate(b.alarms.emails):
        resources[f"AlarmEmailSubscription{index}"] = {
            "Type": "AWS::SNS::Subscription",
            "Properties": {"TopicArn": topic, "Protocol": "email", "Endpoint": email},
        }
    for alarm in b.alarms.alarms:
        suffix = alarm.control_id.replace(".", "")
        resources[f"MetricFilter{suffix}"] = {
            "Type": "AWS::Logs::MetricFilter",
            "Properties": {
                "FilterName": alarm.filter_name,
                "LogGroupName": _ref("TrailLogGroup"),
                "FilterPattern": alarm.pattern,
                "MetricTransformations": [
                    {
                        "MetricName": alarm.metric_name,
                        "MetricNamespace": alarm.namespace,
                        "MetricValue": alarm.metric_value,
                    }
                ],
            },
        }
        # PutMetricAlarm's parameter names are CloudFormation's property names.
        resources[f"Alarm{suffix}"] = {
            "Type": "AWS::CloudWatch::Alarm",
            "DependsOn": [f"MetricFilter{suffix}"],
            "Properties": {**alarm.put_metric_alarm_params(""), "AlarmActions": [topic]},
        }
    return resources
