"""The baseline as Terraform HCL for the AWS provider (v5 resource layout).

Every policy is the builder's JSON verbatim (a heredoc), names and settings come from the same
``Baseline`` as ``apply``, so ``terraform apply`` and ``trailwarden apply`` build the same thing.
"""

from __future__ import annotations

import json

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.checkov import hcl_skips
from trailwarden.plan.hcl import Block, JsonHeredoc, Raw, render


def render_terraform(baseline: Baseline) -> str:
    return render(terraform_blocks(baseline), external_policy_note(baseline))


def external_policy_note(b: Baseline) -> str:
    """What the export cannot do itself: policies of resources it does not own must already hold
    our statements (``trailwarden apply`` merges them; IaC would replace the whole policy)."""
    lines = [f"trailwarden baseline for account {b.account_id}, trail {b.trail.name}."]
    if b.kms.mode == "existing":
        lines += [
            f"Before applying, merge these statements into the key policy of {b.kms.key_arn}:",
            json.dumps(b.key_policy_statements()),
        ]
    if b.alarms is not None and not b.alarms.new_topic:
        statement = b.topic_policy_statement()
        lines += [
            f"If the policy of {b.alarms.topic_arn} was tightened, merge this statement into it:",
            json.dumps(statement),
        ]
    return "\n".join(lines)


def _resource(kind: str, name: str) -> Block:
    return Block("resource", (kind, name))


def _bucket_blocks(
    baseline: Baseline, name: str, bucket: str, policy: dict[str, object]
) -> list[Block]:
    ref = Raw(f"aws_s3_bucket.{name}.id")
    rule = baseline.lifecycle_rules()[0]
    lifecycle = (
        _resource("aws_s3_bucket_lifecycle_configuration", name)
        .attr("bucket", ref)
        .block(
            Block("rule")
            .attr("id", rule["ID"])
            .attr("status", rule["Status"])
            .block(Block("filter").attr("prefix", ""))
            .block(Block("expiration").attr("days", rule["Expiration"]["Days"]))
            .block(
                Block("noncurrent_version_expiration").attr(
                    "noncurrent_days", rule["NoncurrentVersionExpiration"]["NoncurrentDays"]
                )
            )
            .block(
                Block("abort_incomplete_multipart_upload").attr(
                    "days_after_initiation",
                    rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"],
                )
            )
        )
    )
    if name == "trail":
        # Noncurrent-version rules need versioning on first (the provider documents the race).
        lifecycle.attr("depends_on", [Raw("aws_s3_bucket_versioning.trail")])
    skips = ["CKV_AWS_144", "CKV_AWS_145", "CKV2_AWS_62"]
    if name == "access_logs":
        skips.append("CKV_AWS_21")
    blocks = [
        _resource("aws_s3_bucket", name)
        .comment(*hcl_skips(*skips))
        .attr("bucket", bucket)
        .attr("tags", baseline.tags),
        _resource("aws_s3_bucket_public_access_block", name)
        .attr("bucket", ref)
        .attr("block_public_acls", True)
        .attr("block_public_policy", True)
        .attr("ignore_public_acls", True)
        .attr("restrict_public_buckets", True),
        _resource("aws_s3_bucket_server_side_encryption_configuration", name)
        .attr("bucket", ref)
        .block(
            Block("rule").block(
                Block("apply_server_side_encryption_by_default").attr("sse_algorithm", "AES256")
            )
        ),
        lifecycle,
        # The policy waits for the public access block so BlockPublicPolicy judges it.
        _resource("aws_s3_bucket_policy", name)
        .attr("bucket", ref)
        .attr("policy", JsonHeredoc(policy))
        .attr("depends_on", [Raw(f"aws_s3_bucket_public_access_block.{name}")]),
    ]
    return blocks


def terraform_blocks(baseline: Baseline) -> list[Block]:
    if baseline.bucket.region != baseline.trail.home_region:
        raise UsageError(
            "the Terraform export uses one provider Region: the bucket Region"
            f" {baseline.bucket.region} must be the home Region {baseline.trail.home_region}"
        )
    b = baseline
    blocks = [
        required_providers(),
        # allowed_account_ids stops the plan from being applied to the wrong account.
        Block("provider", ("aws",))
        .attr("region", b.trail.home_region)
        .attr("allowed_account_ids", [b.account_id]),
    ]
    storage, kms_key = storage_blocks(b)
    bucket = Raw("aws_s3_bucket.trail.id")
    return blocks + storage + trail_blocks(b, bucket, kms_key, [Raw("aws_s3_bucket_policy.trail")])


def required_providers(*aliases: str) -> Block:
    """The ``terraform`` block; ``aliases``: provider configurations a child module expects."""
    aws: dict[str, object] = {"source": "hashicorp/aws", "version": ">= 5.0"}
    if aliases:
        aws["configuration_aliases"] = [Raw(f"aws.{alias}") for alias in aliases]
    return (
        Block("terraform")
        .attr("required_version", ">= 1.3")
        .block(Block("required_providers").attr("aws", aws))
    )


def storage_blocks(b: Baseline) -> tuple[list[Block], Raw | str | None]:
    """The trail bucket, its access-log bucket, their policies and a new key; with the value the
    trail's ``kms_key_id`` takes (None: no customer managed key)."""
    blocks = _bucket_blocks(
        b, "access_logs", b.bucket.access_log_bucket, b.access_log_bucket_policy()
    )
    blocks += _bucket_blocks(b, "trail", b.bucket.name, b.bucket_policy())
    target = b.logging_target()
    blocks += [
        _resource("aws_s3_bucket_versioning", "trail")
        .attr("bucket", Raw("aws_s3_bucket.trail.id"))
        .block(Block("versioning_configuration").attr("status", "Enabled")),
        _resource("aws_s3_bucket_logging", "trail")
        .attr("bucket", Raw("aws_s3_bucket.trail.id"))
        .attr("target_bucket", Raw("aws_s3_bucket.access_logs.id"))
        .attr("target_prefix", target["TargetPrefix"])
        .attr("depends_on", [Raw("aws_s3_bucket_policy.access_logs")]),
    ]
    kms_key: Raw | str | None = None
    if b.kms.mode == "new":
        kms_key = Raw("aws_kms_key.trail.arn")
        blocks += [
            _resource("aws_kms_key", "trail")
            .attr("description", f"CloudTrail log files of trail {b.trail.name}")
            .attr("enable_key_rotation", True)
            .attr("policy", JsonHeredoc(b.new_key_policy()))
            .attr("tags", b.tags),
            _resource("aws_kms_alias", "trail")
            .attr("name", b.kms.alias)
            .attr("target_key_id", Raw("aws_kms_key.trail.key_id")),
        ]
    elif b.kms.mode == "existing":
        kms_key = b.kms.key_arn
    return blocks, kms_key


def trail_blocks(
    b: Baseline, bucket: Raw | str, kms_key: Raw | str | None, depends_on: list[Raw]
) -> list[Block]:
    """The log group, its delivery role, the trail and the CIS alarms: what lives in the trail
    owner's account. ``depends_on``: what CreateTrail needs first (the bucket policy)."""
    blocks = [
        _resource("aws_cloudwatch_log_group", "trail")
        .comment(*hcl_skips("CKV_AWS_158"))
        .attr("name", b.cloudwatch.log_group)
        .attr("retention_in_days", b.cloudwatch.retention_days)
        .attr("tags", b.tags),
        _resource("aws_iam_role", "cloudwatch")
        .attr("name", b.cloudwatch.role_name)
        .attr("assume_role_policy", JsonHeredoc(b.cloudwatch_trust_policy()))
        .attr("tags", b.tags),
        _resource("aws_iam_role_policy", "cloudwatch")
        .attr("name", b.cloudwatch.role_policy_name)
        .attr("role", Raw("aws_iam_role.cloudwatch.id"))
        .attr("policy", JsonHeredoc(b.cloudwatch_role_policy())),
        _trail_block(b, bucket, kms_key, depends_on),
    ]
    return blocks + _alarm_blocks(b)


def _trail_block(
    b: Baseline, bucket: Raw | str, kms_key: Raw | str | None, depends_on: list[Raw]
) -> Block:
    trail = _resource("aws_cloudtrail", "trail").comment(
        *hcl_skips("CKV_AWS_252", *(("CKV_AWS_35",) if kms_key is None else ()))
    )
    trail.attr("name", b.trail.name).attr("s3_bucket_name", bucket)
    if b.bucket.prefix:
        trail.attr("s3_key_prefix", b.bucket.prefix)
    trail.attr("is_multi_region_trail", True).attr("include_global_service_events", True)
    if b.organization is not None:
        trail.attr("is_organization_trail", True)
    trail.attr("enable_log_file_validation", True).attr("enable_logging", True)
    if kms_key is not None:
        trail.attr("kms_key_id", kms_key)
    # The provider's log group ARN lacks the ":*" suffix CloudTrail expects.
    trail.attr("cloud_watch_logs_group_arn", Raw('"${aws_cloudwatch_log_group.trail.arn}:*"'))
    trail.attr("cloud_watch_logs_role_arn", Raw("aws_iam_role.cloudwatch.arn"))
    (selector,) = b.event_selectors()
    trail.block(
        Block("event_selector")
        .attr("read_write_type", selector["ReadWriteType"])
        .attr("include_management_events", selector["IncludeManagementEvents"])
    )
    trail.attr("tags", b.tags)
    # CreateTrail checks the bucket policy (and the role) synchronously
    # (docs/aws-facts/trail-setup.md#setup-order).
    trail.attr("depends_on", [*depends_on, Raw("aws_iam_role_policy.cloudwatch")])
    return trail


def _alarm_blocks(b: Baseline) -> list[Block]:
    if b.alarms is None:
        return []
    blocks: list[Block] = []
    topic: Raw | str = b.alarms.topic_arn
    if b.alarms.new_topic:
        topic = Raw("aws_sns_topic.alarms.arn")
        blocks.append(
            _resource("aws_sns_topic", "alarms")
            .comment(*hcl_skips("CKV_AWS_26"))
            .attr("name", b.alarms.topic_name)
            .attr("tags", b.tags)
        )
    for index, email in enumerate(b.alarms.emails):
        blocks.append(
            _resource("aws_sns_topic_subscription", f"alarm_email_{index}")
            .attr("topic_arn", topic)
            .attr("protocol", "email")
            .attr("endpoint", email)
        )
    for alarm in b.alarms.alarms:
        name = alarm.control_id.lower().replace(".", "_")
        blocks.append(
            _resource("aws_cloudwatch_log_metric_filter", name)
            .attr("name", alarm.filter_name)
            .attr("log_group_name", Raw("aws_cloudwatch_log_group.trail.name"))
            .attr("pattern", alarm.pattern)
            .block(
                Block("metric_transformation")
                .attr("name", alarm.metric_name)
                .attr("namespace", alarm.namespace)
                .attr("value", alarm.metric_value)
            )
        )
        blocks.append(
            _resource("aws_cloudwatch_metric_alarm", name)
            .attr("alarm_name", alarm.alarm_name)
            .attr("alarm_description", alarm.description)
            .attr("metric_name", alarm.metric_name)
            .attr("namespace", alarm.namespace)
            .attr("statistic", alarm.statistic)
            .attr("period", alarm.period)
            .attr("evaluation_periods", alarm.evaluation_periods)
            .attr("threshold", alarm.threshold)
            .attr("comparison_operator", alarm.comparison_operator)
            .attr("treat_missing_data", alarm.treat_missing_data)
            .attr("alarm_actions", [topic])
            .attr("depends_on", [Raw(f"aws_cloudwatch_log_metric_filter.{name}")])
        )
    return blocks
