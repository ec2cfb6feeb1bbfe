"""What the drift part deploys, as data: the EventBridge rule pattern and the conformance pack.

The facts behind both (event names, request parameters, rule identifiers and their parameters)
are in docs/aws-facts/drift.md with their AWS sources.
"""

from __future__ import annotations

import hashlib
from typing import Any

from trailwarden.placeholders import kms_alias_ref, parse_key_ref

DETAIL_TYPE = "AWS API Call via CloudTrail"
CLOUDTRAIL_EVENTS = (
    "StopLogging",
    "DeleteTrail",
    "UpdateTrail",
    "PutEventSelectors",  # also carries advanced event selectors: one API
    "DeleteEventDataStore",
)
BUCKET_EVENTS = ("PutBucketPolicy", "DeleteBucketPolicy")
KEY_EVENTS = ("DisableKey", "ScheduleKeyDeletion")
# A key the plan creates is known by alias until apply: these placeholders stand for its ARN and
# its key id (resolved by apply's drift handlers, docs/aws-facts/drift.md#key-match).


def key_id_ref(alias_ref: str) -> str:
    """``${kms-key-id:[ACCOUNT:]REGION:ALIAS}`` for ``${kms-alias:[ACCOUNT:]REGION:ALIAS}``."""
    ref = parse_key_ref(alias_ref)
    if ref is None or ref.kind != "alias":
        raise ValueError(f"not a kms-alias placeholder: {alias_ref}")
    return ref.key_id().text()


def key_values(kms_key: str | None) -> list[str]:
    """What ``requestParameters.keyId`` may hold for the trail key: DisableKey and
    ScheduleKeyDeletion take the key id or the key ARN (not an alias), recorded as given."""
    if not kms_key:
        return []
    if kms_key.startswith("arn:") and ":alias/" in kms_key:  # the key behind it: read at apply
        region, alias = kms_key.split(":")[3], "alias/" + kms_key.split(":alias/", 1)[1]
        kms_key = kms_alias_ref(region, alias)
    if parse_key_ref(kms_key) is not None:
        return [key_id_ref(kms_key), kms_key]
    return [kms_key.rsplit("/", 1)[-1], kms_key]


def _branch(service: str, names: tuple[str, ...], **request: list[str]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "eventSource": [f"{service}.amazonaws.com"],
        "eventName": list(names),
    }
    if request:
        detail["requestParameters"] = dict(request)
    return {"source": [f"aws.{service}"], "detail": detail}


def drift_pattern(bucket: str, kms_key: str | None) -> dict[str, Any]:
    """One pattern, three ``$or`` branches: CloudTrail's own weakening calls on any trail or
    event data store, the trail bucket's policy, the trail key's state."""
    branches = [
        _branch("cloudtrail", CLOUDTRAIL_EVENTS),
        _branch("s3", BUCKET_EVENTS, bucketName=[bucket]),
    ]
    keys = key_values(kms_key)
    if keys:
        kms = _branch("kms", KEY_EVENTS)
        # The caller's keyId (id or ARN as given), or the ARN KMS records in responseElements
        # since December 2022; a refused call has no responseElements, so both are kept.
        kms["detail"]["$or"] = [
            {"requestParameters": {"keyId": keys}},
            {"responseElements": {"keyId": [keys[-1]]}},
        ]
        branches.append(kms)
    return {"detail-type": [DETAIL_TYPE], "$or": branches}


# --- the conformance pack ----------------------------------------------------------------------

# (rule name, SourceIdentifier, input parameters we set). Names are AWS's managed-rule names.
CONFIG_RULES: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "multi-region-cloudtrail-enabled",
        "MULTI_REGION_CLOUD_TRAIL_ENABLED",
        # What Security Hub's CloudTrail.1 fixes: read and write, management events.
        {"readWriteType": "ALL", "includeManagementEvents": "true"},
    ),
    ("cloudtrail-security-trail-enabled", "CLOUDTRAIL_SECURITY_TRAIL_ENABLED", {}),
    ("cloud-trail-log-file-validation-enabled", "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED", {}),
    ("cloud-trail-encryption-enabled", "CLOUD_TRAIL_ENCRYPTION_ENABLED", {}),
    (
        "cloud-trail-cloud-watch-logs-enabled",
        "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED",
        # Delivery older than a day is drift too (a broken role or group stops it silently).
        {"expectedDeliveryWindowAge": "24"},
    ),
    ("cloudtrail-s3-bucket-access-logging", "CLOUDTRAIL_S3_BUCKET_ACCESS_LOGGING", {}),
    (
        "cloudtrail-s3-bucket-public-access-prohibited",
        "CLOUDTRAIL_S3_BUCKET_PUBLIC_ACCESS_PROHIBITED",
        {},
    ),
)
# DescribeOrganizationConformancePacks does not return the template; its input parameters it
# does, so the template's digest travels as one and apply compares it.
TEMPLATE_DIGEST_PARAMETER = "TrailwardenTemplateSha256"


def _logical_id(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def conformance_template() -> str:
    """The pack's TemplateBody (YAML, the CloudFormation shape conformance packs take)."""
    lines = [
        "# trailwarden: the CloudTrail family's AWS Config managed rules, organisation-wide.",
        "Parameters:",
        f"  {TEMPLATE_DIGEST_PARAMETER}:",
        "    Type: String",
        "Resources:",
    ]
    for name, identifier, parameters in CONFIG_RULES:
        lines += [
            f"  {_logical_id(name)}:",
            "    Type: AWS::Config::ConfigRule",
            "    Properties:",
            f"      ConfigRuleName: {name}",
            "      Source:",
            "        Owner: AWS",
            f"        SourceIdentifier: {identifier}",
        ]
        if parameters:
            lines.append("      InputParameters:")
            lines += [f'        {key}: "{value}"' for key, value in parameters.items()]
    return "\n".join(lines) + "\n"


def template_digest(template: str) -> str:
    return hashlib.sha256(template.encode()).hexdigest()
