"""ASFF: findings as ``securityhub:BatchImportFindings`` takes them.

Each finding's ``Id`` is derived from control, account, Region and resource, so importing a
rescan updates the findings already there instead of adding duplicates. ``ProductArn`` is the
account's own "default" product, the one every account may import into.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from trailwarden.report.common import (
    COMPACT,
    TEXTS,
    TOOL,
    VERSION,
    PerControl,
    ShapedJson,
    control_title,
    finding_uid,
    json_list,
)

ASFF_VERSION = "2018-10-08"
# Compliance.Status takes exactly these; a status ASFF lacks is imported as NOT_AVAILABLE and
# named in ProductFields.
_COMPLIANCE = {"PASSED", "WARNING", "FAILED", "NOT_AVAILABLE"}
_RESOURCE_TYPE = {
    "AWS::::Account": "AwsAccount",
    "AWS::CloudTrail::Trail": "AwsCloudTrailTrail",
    "AWS::S3::Bucket": "AwsS3Bucket",
}
_TYPE = "Software and Configuration Checks/Industry and Regulatory Standards"
_GOVCLOUD, _CHINA = "us-gov-", "cn-"


def _partition(region: str) -> str:
    if region.startswith(_GOVCLOUD):
        return "aws-us-gov"
    return "aws-cn" if region.startswith(_CHINA) else "aws"


def asff_findings(doc: dict[str, Any], default_region: str = "us-east-1") -> list[dict[str, Any]]:
    """The ASFF findings of a findings document. A finding without a Region (an unreachable
    account's) is filed under the report's first Region, else ``default_region``."""
    return list(iter_asff_findings(doc, default_region))


def iter_asff_findings(
    doc: dict[str, Any], default_region: str = "us-east-1"
) -> Iterator[dict[str, Any]]:
    """``asff_findings`` one at a time (each is ~2 KB as a dict: never all held for a file)."""
    return map(_builder(doc, default_region), doc["findings"])


def _builder(
    doc: dict[str, Any], default_region: str = "us-east-1"
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """What makes each ASFF finding of ``doc`` (the document's Region and time held once)."""
    fallback = (doc.get("regions") or [default_region])[0]
    now = doc.get("generated_at") or doc.get("snapshot_generated_at")
    per = PerControl()

    def build(f: dict[str, Any]) -> dict[str, Any]:
        region = f["region"] if f["region"] not in ("", "-") else fallback
        partition = _partition(region)
        account = f["account"]
        status = f["status"] if f["status"] in _COMPLIANCE else "NOT_AVAILABLE"
        requirements = per.requirements(f)
        finding: dict[str, Any] = {
            "SchemaVersion": ASFF_VERSION,
            "Id": f"{TOOL}/{f['control']}/{finding_uid(f)}",
            "ProductArn": f"arn:{partition}:securityhub:{region}:{account}:product/"
            f"{account}/default",
            "GeneratorId": f"{TOOL}/{f['control']}",
            "AwsAccountId": account,
            "Region": region,
            "Types": [_TYPE],
            "CreatedAt": now,
            "UpdatedAt": now,
            # Security Hub's own control findings carry INFORMATIONAL once they pass.
            "Severity": {
                "Label": f["severity"] if status == "FAILED" else "INFORMATIONAL",
                "Original": f["severity"],
            },
            "Title": f"{f['control']} {control_title(f['control'])}"[:256],
            "Description": f["reason"][:1024] or f["control"],
            "Remediation": {"Recommendation": {"Text": (f.get("remediation") or "")[:512]}},
            "ProductFields": {
                "ProviderName": TOOL,
                "ProviderVersion": VERSION,
                f"{TOOL}/status": f["status"],
                f"{TOOL}/rootCause": f.get("root_cause") or "",
            },
            "Resources": [
                {
                    "Type": _RESOURCE_TYPE.get(f.get("resource_type", ""), "Other"),
                    "Id": f["resource"],
                    "Partition": partition,
                    "Region": region,
                }
            ],
            "Compliance": {
                "Status": status,
                "SecurityControlId": f["control"],
                **({"RelatedRequirements": requirements[:32]} if requirements else {}),
            },
            "RecordState": "ACTIVE",
        }
        if f.get("suppressed"):
            s = f["suppressed"]
            finding["Workflow"] = {"Status": "SUPPRESSED"}
            finding["Note"] = {
                "Text": f"{s['reason']} (until {s['expires']})"[:512],
                "UpdatedBy": s["owner"][:512],
                "UpdatedAt": now,
            }
        return finding

    return build


def stream_asff(doc: dict[str, Any]) -> Iterator[str]:
    finding = ShapedJson(_builder(doc), COMPACT, TEXTS, (finding_uid,))
    yield from json_list(map(finding, doc["findings"]))  # one finding per line
    yield "\n"


def render_asff(doc: dict[str, Any]) -> str:
    return "".join(stream_asff(doc))
