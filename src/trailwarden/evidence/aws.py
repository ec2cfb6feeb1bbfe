"""The AWS reads evidence needs beyond the trail's bucket: the organisation trail and accounts,
the policies in force, Security Hub's findings. The one module of ``evidence`` that talks to AWS.

Every read declares its IAM action (``GRANTS``, gathered into evidence-policy.json by
``policies.generate``). A refused read the evidence can do without is recorded as unreadable
rather than ending the run; the reads coverage cannot do without raise AccessError.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.aws.errors import describe
from trailwarden.errors import AccessError, UsageError
from trailwarden.policies.permissions import EVIDENCE_READ_ONLY, SECURITYHUB_IMPORT, Grant, grant
from trailwarden.trailstore.s3 import ClientFactory

GRANTS: list[Grant] = [
    grant(
        EVIDENCE_READ_ONLY,
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListPublicKeys",
        "s3:GetBucketLocation",
        "s3:ListBucket",
        "s3:GetObject",
        "s3:GetBucketPolicy",
        "kms:GetKeyPolicy",
        "organizations:ListAccounts",
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "securityhub:GetFindings",
    ),
    grant(SECURITYHUB_IMPORT, "securityhub:BatchImportFindings"),
]


def organization_trail(clients: ClientFactory, region: str) -> str:
    """The ARN of the organisation trail visible from ``region`` (the one the caller's
    organisation logs to); more than one or none is a usage error."""
    try:
        trails = clients("cloudtrail", region).describe_trails(includeShadowTrails=True)
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(f"cannot describe trails in {region}: {describe(exc)}") from exc
    found = sorted(
        {t["TrailARN"] for t in trails.get("trailList", []) if t.get("IsOrganizationTrail")}
    )
    if not found:
        raise UsageError(f"--org: no organisation trail visible from {region}; give --trail-arn")
    if len(found) > 1:
        raise UsageError(f"--org: {len(found)} organisation trails; give --trail-arn of one")
    return str(found[0])


def organization_accounts(clients: ClientFactory, region: str) -> list[str] | None:
    """The organisation's active accounts; None when Organizations cannot be read."""
    try:
        pages = clients("organizations", region).get_paginator("list_accounts").paginate()
        return sorted(
            a["Id"] for page in pages for a in page.get("Accounts", []) if a["Status"] == "ACTIVE"
        )
    except (ClientError, BotoCoreError):
        return None


def trail_description(clients: ClientFactory, arn: str) -> dict[str, Any]:
    """DescribeTrails, GetTrailStatus and GetEventSelectors of one trail, as AWS answered."""
    client = clients("cloudtrail", arn.split(":")[3])
    out: dict[str, Any] = {}
    for name, call in (
        ("trail", lambda: client.describe_trails(trailNameList=[arn], includeShadowTrails=True)),
        ("status", lambda: client.get_trail_status(Name=arn)),
        ("event_selectors", lambda: client.get_event_selectors(TrailName=arn)),
    ):
        out[name] = _read(call)
    trails = (out["trail"] or {}).get("trailList") if isinstance(out["trail"], dict) else None
    out["trail"] = trails[0] if trails else out["trail"]
    return out


def _read(call: Any) -> Any:
    """The answer without its ResponseMetadata, or {"unreadable": code} when refused."""
    try:
        answer = dict(call())
    except (ClientError, BotoCoreError) as exc:
        return {"unreadable": describe(exc)}
    answer.pop("ResponseMetadata", None)
    return answer


def bucket_policy(clients: ClientFactory, bucket: str, region: str) -> Any:
    return _read(lambda: clients("s3", region).get_bucket_policy(Bucket=bucket))


def key_policy(clients: ClientFactory, key_arn: str) -> Any:
    region = key_arn.split(":")[3] if key_arn.startswith("arn:") else None
    return _read(
        lambda: clients("kms", region or "us-east-1").get_key_policy(
            KeyId=key_arn, PolicyName="default"
        )
    )


def service_control_policies(clients: ClientFactory, region: str) -> Any:
    """Every SCP of the organisation with its document (readable from the management account
    or a delegated administrator only)."""

    def read() -> dict[str, Any]:
        org = clients("organizations", region)
        pages = org.get_paginator("list_policies").paginate(Filter="SERVICE_CONTROL_POLICY")
        policies = []
        for page in pages:
            for summary in page.get("Policies", []):
                policy = org.describe_policy(PolicyId=summary["Id"])["Policy"]
                policies.append(
                    {"summary": policy["PolicySummary"], "content": policy.get("Content")}
                )
        return {"policies": policies}

    return _read(read)


@dataclass
class Imported:
    sent: int = 0
    imported: int = 0
    failed: list[dict[str, Any]] = field(default_factory=list)  # {Id, ErrorCode, ErrorMessage}


def import_findings(clients: ClientFactory, findings: list[dict[str, Any]]) -> Imported:
    """BatchImportFindings in each finding's Region, 100 at a time; a refused batch counts its
    findings as failed with the error code, the next batches still go."""
    from trailwarden.evidence.securityhub import batches

    result = Imported()
    by_region: dict[str, list[dict[str, Any]]] = {}
    for f in findings:
        by_region.setdefault(f["Region"], []).append(f)
    for region, mine in sorted(by_region.items()):
        client = clients("securityhub", region)
        for batch in batches(mine):
            result.sent += len(batch)
            try:
                answer = client.batch_import_findings(Findings=batch)
            except (ClientError, BotoCoreError) as exc:
                why = describe(exc)
                result.failed += [
                    {"Id": f["Id"], "ErrorCode": why, "ErrorMessage": why} for f in batch
                ]
                continue
            result.imported += int(answer.get("SuccessCount", 0))
            result.failed += list(answer.get("FailedFindings", []))
    return result


CONTROL_FILTERS = {
    "ComplianceSecurityControlId": [
        {"Value": "CloudTrail.", "Comparison": "PREFIX"},
        {"Value": "CloudWatch.", "Comparison": "PREFIX"},
    ],
    "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
}


def hub_findings(clients: ClientFactory, region: str) -> list[dict[str, Any]]:
    """Security Hub's active CloudTrail.x / CloudWatch.x findings in ``region``, every page."""
    client = clients("securityhub", region)
    out: list[dict[str, Any]] = []
    try:
        pages = client.get_paginator("get_findings").paginate(
            Filters=CONTROL_FILTERS, PaginationConfig={"PageSize": 100}
        )
        for page in pages:
            out += page.get("Findings", [])
    except (ClientError, BotoCoreError) as exc:
        raise AccessError(
            f"cannot read Security Hub findings in {region}: {describe(exc)}"
        ) from exc
    return out
