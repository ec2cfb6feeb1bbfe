"""Checkov checks the IaC export skips on purpose, each with the one reason written into the file.

Checkov (a static IaC scanner many pipelines run) flags settings the baseline leaves out by
design. Both renderers write the skip next to the resource (CloudFormation ``Metadata.checkov``,
Terraform ``#checkov:skip=`` comments), so a reader of the template sees why, and the reasons are
written once, here.
"""

from __future__ import annotations

from typing import Any

REASONS: dict[str, str] = {
    "CKV_AWS_18": "this is the access-log bucket; logging it into itself would loop",
    "CKV_AWS_21": "access logs are written once and expire by lifecycle; versions add nothing",
    "CKV_AWS_26": "CloudWatch alarms cannot publish to a topic encrypted with the AWS managed key",
    "CKV_AWS_35": "the plan was made with --kms-key none (SSE-S3 on the bucket)",
    "CKV_AWS_124": "a member's stack only holds drift forwarding; its events need no topic",
    "CKV_AWS_144": "one Region by design; replicate the log bucket with your own policy",
    "CKV_AWS_145": "SSE-S3 default: a KMS default would make S3 call a key other writers lack",
    "CKV_AWS_158": "encrypted by CloudWatch Logs itself; a customer key needs a logs key policy",
    "CKV_AWS_252": "a per-file SNS notification is noise; the CIS alarms notify on events",
    "CKV2_AWS_62": "nothing consumes bucket events; CloudTrail files are read by their key layout",
}


def cfn_skips(*check_ids: str) -> dict[str, Any]:
    """A resource's ``Metadata`` entry that skips the checks with their reasons."""
    if not check_ids:
        return {}
    skip = [{"id": check, "comment": REASONS[check]} for check in check_ids]
    return {"Metadata": {"checkov": {"skip": skip}}}


def hcl_skips(*check_ids: str) -> list[str]:
    """The ``#checkov:skip=ID:reason`` comment lines for a Terraform resource."""
    return [f"checkov:skip={check}:{REASONS[check]}" for check in check_ids]
