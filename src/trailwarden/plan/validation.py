"""Cross-field validation of a ``Baseline``: every rule whose breach would fail half-way through
``apply`` (or deliver nothing) is refused up front with a message naming the option."""

from __future__ import annotations

from pydantic import ValidationError

from trailwarden.plan import names
from trailwarden.plan.settings import BaselineFields


def first_problem(b: BaselineFields) -> str | None:
    """Cross-field rules; field-level names are checked here too so JSON input is covered."""
    region = b.trail.home_region
    checks = [
        names.regex_problem(names.ACCOUNT_RE, b.account_id, "account id", "is not 12 digits"),
        names.regex_problem(names.REGION_RE, region, "--home-region", "is not a Region name"),
        names.regex_problem(names.REGION_RE, b.bucket.region, "bucket Region", "is not a Region"),
        names.trail_name_problem(b.trail.name),
        names.bucket_name_problem(b.bucket.name),
        names.bucket_name_problem(b.bucket.access_log_bucket, "--access-log-bucket"),
        names.prefix_problem(b.bucket.prefix) if b.bucket.prefix is not None else None,
        names.log_group_problem(b.cloudwatch.log_group),
        names.role_name_problem(b.cloudwatch.role_name),
    ]  # fmt: skip
    if b.bucket.access_log_bucket == b.bucket.name:
        checks.append("the access-log bucket must differ from the trail bucket (CloudTrail.7)")
    if b.cloudwatch.retention_days not in names.LOG_RETENTION_DAYS:
        checks.append(
            f"--log-retention-days {b.cloudwatch.retention_days} is not one CloudWatch Logs"
            f" accepts ({', '.join(map(str, names.LOG_RETENTION_DAYS))})"
        )
    checks.extend(_kms_problems(b))
    checks.extend(_alarm_problems(b))
    checks.extend(names.tag_problem(k, v) for k, v in b.tags.items())
    if not b.tags or len(b.tags) > 50:
        checks.append("a trail needs 1-50 tags (CloudTrail.9)")
    org = b.organization
    if org is not None:
        if not names.ORG_ID_RE.match(org.org_id):
            checks.append(f"organisation id {org.org_id!r} is not of the form o-xxxxxxxxxx")
        if org.management_account_id != b.account_id:
            # docs/aws-facts/trail-setup.md#cloudwatch-logs-role: the trail, its log group and role
            # live in the trail owner's account.
            checks.append(
                "an organisation trail is built in the management account"
                f" {org.management_account_id}, not in {b.account_id}"
            )
    return next((c for c in checks if c), None)


def _kms_problems(b: BaselineFields) -> list[str | None]:
    kms = b.kms
    if kms.mode == "existing":
        match = names.KMS_ARN_RE.match(kms.key_arn or "")
        if match is None:
            return [f"--kms-key {kms.key_arn!r} is not new, none or a KMS key/alias ARN"]
        if match.group(2) != b.bucket.region:
            return [
                f"--kms-key is in {match.group(2)} but the bucket is in {b.bucket.region}:"
                " CloudTrail needs the key in the bucket's Region"
            ]
    if (kms.mode == "existing") != (kms.key_arn is not None):
        return ["a KMS key ARN is given only with an existing key"]
    return [
        None
        if names.AWS_PRINCIPAL_RE.match(arn)
        else f"--kms-reader {arn!r} is not an IAM principal ARN"
        for arn in kms.reader_arns
    ]


def _alarm_problems(b: BaselineFields) -> list[str | None]:
    a = b.alarms
    if a is None:
        return []
    problems: list[str | None] = [
        None if names.EMAIL_RE.match(e) else f"--alarm-email {e!r} is not an e-mail address"
        for e in a.emails
    ]
    match = names.TOPIC_ARN_RE.match(a.topic_arn)
    if match is None:
        problems.append(f"--alarm-topic {a.topic_arn!r} is not an SNS topic ARN")
    elif match.group(2) != b.trail.home_region:
        # docs/aws-facts/controls.md#cloudwatch-controls: filters and alarms live in the trail's
        # home Region, the topic in the alarm's.
        problems.append(
            f"--alarm-topic is in {match.group(2)} but the alarms are in the trail's home Region"
            f" {b.trail.home_region}"
        )
    return problems


def validation_message(exc: ValidationError) -> str:
    """The first pydantic error as one line, without pydantic's decorations."""
    error = exc.errors()[0]
    message = str(error["msg"]).removeprefix("Value error, ")
    location = ".".join(str(part) for part in error["loc"])
    return message if not location else f"{location}: {message}"
