"""An organisation on the moto server for ``verify --org``, built through boto3 as an administrator
would: members, an organisation trail, its bucket with log files put where CloudTrail puts them,
the guardrail SCP on the root, an organisation conformance pack and an EventBridge rule with an
SNS target; and the plan's organisation section written by hand (what ``plan --org-trail``
will produce)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3

from trailwarden.plan.model import Drift, Guardrail, OrgPlan, Plan, save_plan
from trailwarden.trailstore import layout

MANAGEMENT = "123456789012"  # moto's default account: the caller
HOME = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1"]
BUCKET = "org-trail-logs"
TRAIL = "org-trail"
POLICY = "trailwarden-guardrail"
PACK = "trailwarden-cloudtrail"
RULE = "trailwarden-trail-drift"
SCP_DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ProtectOrganisationTrail",
            "Effect": "Deny",
            "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail"],
            "Resource": "*",
            "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Approved"}},
        }
    ],
}
PATTERN = {"source": ["aws.cloudtrail"], "detail": {"eventName": ["StopLogging", "DeleteTrail"]}}


def client(service: str, region: str = HOME) -> Any:
    return boto3.client(service, region_name=region)


def create_account(name: str) -> str:
    org = client("organizations")
    request = org.create_account(Email=f"{name}@example.com", AccountName=name)
    status = request["CreateAccountStatus"]
    while status["State"] == "IN_PROGRESS":
        time.sleep(0.02)
        status = org.describe_create_account_status(CreateAccountRequestId=status["Id"])[
            "CreateAccountStatus"
        ]
    return str(status["AccountId"])


@dataclass
class World:
    org_id: str
    root: str
    members: list[str]
    trail_arn: str
    policy_id: str
    topic_arn: str
    prefix: str = ""
    log_archive: str | None = None
    files: list[str] = field(default_factory=list)

    def land(self, account: str, region: str, when: datetime | None = None) -> str:
        """A log file for ``account`` in ``region``, delivered now (or ``when``)."""
        key = layout.log_key(
            self.prefix, self.org_id, account, region, when or datetime.now(UTC), "a1B2c3D4"
        )
        s3 = member_client(self.log_archive, "s3") if self.log_archive else client("s3")
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"{}")
        self.files.append(key)
        return key

    def land_everywhere(self) -> None:
        for account in [MANAGEMENT, *self.members]:
            for region in REGIONS:
                self.land(account, region)

    def org_plan(self, **changes: Any) -> OrgPlan:
        org = OrgPlan(
            org_id=self.org_id,
            management_account=MANAGEMENT,
            trail_arn=self.trail_arn,
            home_region=HOME,
            bucket=BUCKET,
            log_archive_account=self.log_archive,
            regions=list(REGIONS),
            guardrail=Guardrail(
                policy_name=POLICY,
                document=SCP_DOCUMENT,
                targets=[self.root],
                approved_roles=["arn:aws:iam::*:role/Approved"],
            ),
            drift=Drift(
                conformance_pack=PACK,
                config_rules=["multi-region-cloudtrail-enabled"],
                event_rule=RULE,
                event_pattern=PATTERN,
                topic_arn=self.topic_arn,
            ),
        )
        return org.model_copy(update=changes)

    def plan(self, **changes: Any) -> Plan:
        return Plan(generated_at=datetime.now(UTC), organization=self.org_plan(**changes))

    def save(self, path: Path, **changes: Any) -> Path:
        save_plan(self.plan(**changes), path)
        return path


def build(members: int = 2, prefix: str = "", log_archive: bool = False) -> World:
    """The organisation, its trail logging since now, the SCP, the pack and the rule; no files.
    ``log_archive``: the bucket is in a log-archive account of its own (the last member)."""
    org = client("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    org.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    root = org.list_roots()["Roots"][0]["Id"]
    ids = [create_account(f"member-{n}") for n in range(members)]
    archive = create_account("log-archive") if log_archive else None
    if archive is not None:
        ids.append(archive)
    (member_client(archive, "s3") if archive else client("s3")).create_bucket(Bucket=BUCKET)
    cloudtrail = client("cloudtrail")
    params: dict[str, Any] = {"Name": TRAIL, "S3BucketName": BUCKET}
    if prefix:
        params["S3KeyPrefix"] = prefix
    trail = cloudtrail.create_trail(**params, IsMultiRegionTrail=True, IsOrganizationTrail=True)[
        "TrailARN"
    ]
    cloudtrail.start_logging(Name=trail)
    policy = org.create_policy(
        Content=json.dumps(SCP_DOCUMENT),
        Description="protects the organisation trail",
        Name=POLICY,
        Type="SERVICE_CONTROL_POLICY",
    )["Policy"]["PolicySummary"]["Id"]
    org.attach_policy(PolicyId=policy, TargetId=root)
    client("config").put_organization_conformance_pack(
        OrganizationConformancePackName=PACK, TemplateS3Uri=f"s3://{BUCKET}/pack.yaml"
    )
    topic = client("sns").create_topic(Name="trail-drift")["TopicArn"]
    events = client("events")
    events.put_rule(Name=RULE, EventPattern=json.dumps(PATTERN), State="ENABLED")
    events.put_targets(Rule=RULE, Targets=[{"Id": "alarm-topic", "Arn": topic}])
    return World(str(org_id), str(root), ids, str(trail), str(policy), str(topic), prefix, archive)


def member_client(account: str, service: str, region: str = HOME) -> Any:
    """A client inside ``account`` through OrganizationAccountAccessRole."""
    creds = client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="trailwarden-test",
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
