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
from trailwarden.plan.checkov import cfn_skips

Template = dict[str, Any]
RETAIN = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}


class _Dumper(yaml.SafeDumper):
    """CloudFormation rejects YAML anchors/aliases: write repeated values out in full."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text_block(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    """Multi-line text (a template body inside a template) as a literal block, the way a
    person would write it; PyYAML falls back to quoting where a block could not be exact."""
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _text_block)


def render_cloudformation(baseline: Baseline) -> str:
    return dump_template(cloudformation_template(baseline))


def dump_template(template: Template) -> str:
    return yaml.dump(
        template,
        Dumper=_Dumper,
        sort_keys=False,
        width=1_000_000,  # never fold: filter patterns must stay byte-exact
        allow_unicode=True,
    )


def ref(name: str) -> dict[str, str]:
    return {"Ref": name}


def get_arn(name: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [name, "Arn"]}


def _tags(b: Baseline) -> list[dict[str, str]]:
    return b.tags_list()


def _bucket(
    b: Baseline, name: str, extra: dict[str, Any], skips: tuple[str, ...] = ()
) -> dict[str, Any]:
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
    return {"Type": "AWS::S3::Bucket", **RETAIN, **cfn_skips(*skips), "Properties": props}


def cloudformation_template(baseline: Baseline) -> Template:
    b = baseline
    region = b.trail.home_region
    if b.bucket.region != region:
        raise UsageError(
            "a CloudFormation stack lives in one Region: the bucket Region"
            f" {b.bucket.region} must be the home Region {region}"
        )
    resources, kms_key = storage_resources(b)
    resources |= trail_resources(b, ref("TrailBucket"), kms_key, ["TrailBucketPolicy"])
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": (
            f"trailwarden baseline for account {b.account_id}: trail {b.trail.name},"
            " logging, validated, alarming"
        ),
        "Metadata": _external_policies(b),
        "Rules": deploy_only_in(b.account_id, region, "the trail's home Region"),
        "Resources": resources,
        "Outputs": {
            "TrailArn": {"Value": get_arn("Trail")},
            "TrailBucketName": {"Value": ref("TrailBucket")},
            "LogGroupName": {"Value": ref("TrailLogGroup")},
        },
    }


def deploy_only_in(account: str, region: str, what: str) -> dict[str, Any]:
    """A template Rule: the stack refuses to deploy anywhere but the account and Region it is
    for (its ARNs are literal)."""
    return {
        "TargetAccountAndRegion": {
            "Assertions": [
                {
                    "Assert": {"Fn::Equals": [ref("AWS::AccountId"), account]},
                    "AssertDescription": f"deploy only in account {account}",
                },
                {
                    "Assert": {"Fn::Equals": [ref("AWS::Region"), region]},
                    "AssertDescription": f"deploy only in {what} {region}",
                },
            ]
        }
    }


def storage_resources(b: Baseline) -> tuple[dict[str, Any], Any]:
    """The trail bucket, its access-log bucket, their policies and a new key; with the value the
    trail's ``KMSKeyId`` takes (None: no customer managed key)."""
    target = b.logging_target()
    resources: dict[str, Any] = {
        "AccessLogBucket": _bucket(b, b.bucket.access_log_bucket, {}, ("CKV_AWS_18", "CKV_AWS_21")),
        "AccessLogBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": ref("AccessLogBucket"),
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
                        "DestinationBucketName": ref("AccessLogBucket"),
                        "LogFilePrefix": target["TargetPrefix"],
                    },
                },
            ),
            # Access logs may only start once the access-log bucket lets S3 logging write.
            "DependsOn": ["AccessLogBucketPolicy"],
        },
        "TrailBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": ref("TrailBucket"), "PolicyDocument": b.bucket_policy()},
        },
    }
    kms_key: Any = None
    if b.kms.mode == "new":
        kms_key = get_arn("TrailKey")
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
            "Properties": {"AliasName": b.kms.alias, "TargetKeyId": ref("TrailKey")},
        }
    elif b.kms.mode == "existing":
        kms_key = b.kms.key_arn
    return resources, kms_key


def trail_resources(
    b: Baseline, bucket: Any, kms_key: Any, depends_on: list[str]
) -> dict[str, Any]:
    """The log group, its delivery role, the trail and the CIS alarms: what lives in the trail
    owner's account. ``depends_on``: resources CreateTrail needs first (the bucket policy)."""
    resources: dict[str, Any] = {
        "TrailLogGroup": {
            "Type": "AWS::Logs::LogGroup",
            **RETAIN,
            **cfn_skips("CKV_AWS_158"),
            "Properties": {
                "LogGroupName": b.cloudwatch.log_group,
                "RetentionInDays": b.cloudwatch.retention_days,
                "Tags": _tags(b),
            },
        },
        "CloudWatchLogsRole": {
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
        },
        "Trail": _trail(b, bucket, kms_key, depends_on),
    }
    resources.update(_alarm_resources(b))
    return resources


def _external_policies(b: Baseline) -> dict[str, Any]:
    """Statements the stack cannot add itself, to resources it does not own (CloudFormation would
    replace the whole policy); ``trailwarden apply`` merges them."""
    merge: dict[str, Any] = {}
    if b.kms.mode == "existing":
        merge[str(b.kms.key_arn)] = b.key_policy_statements()
    if b.alarms is not None and not b.alarms.new_topic:
        merge[b.alarms.topic_arn] = [b.topic_policy_statement()]
    return {"trailwarden": {"baseline": b.schema_, "MergeIntoExistingPolicies": merge}}


def _trail(b: Baseline, bucket: Any, kms_key: Any, depends_on: list[str]) -> dict[str, Any]:
    props: dict[str, Any] = {"TrailName": b.trail.name, "S3BucketName": bucket}
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
        "CloudWatchLogsLogGroupArn": get_arn("TrailLogGroup"),
        "CloudWatchLogsRoleArn": get_arn("CloudWatchLogsRole"),
        "EventSelectors": b.event_selectors(),
        "Tags": _tags(b),
    }
    # CreateTrail validates the bucket policy synchronously
    # (docs/aws-facts/trail-setup.md#setup-order); the key and role are already ordered by the
    # GetAtt references.
    trail: dict[str, Any] = {"Type": "AWS::CloudTrail::Trail"}
    if depends_on:
        trail["DependsOn"] = list(depends_on)
    if kms_key is None:
        trail |= cfn_skips("CKV_AWS_35")
    return {**trail, "Properties": props}


def _alarm_resources(b: Baseline) -> dict[str, Any]:
    if b.alarms is None:
        return {}
    resources: dict[str, Any] = {}
    topic: Any = b.alarms.topic_arn
    if b.alarms.new_topic:
        topic = ref("AlarmTopic")
        resources["AlarmTopic"] = {
            "Type": "AWS::SNS::Topic",
            **cfn_skips("CKV_AWS_26"),
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
                "LogGroupName": ref("TrailLogGroup"),
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
