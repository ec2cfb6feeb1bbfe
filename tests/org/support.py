"""An organisation on the moto server, built with boto3 the way a user's AWS would look.

The management account is moto's default account (the caller). Members are made with
CreateAccount and reached through OrganizationAccountAccessRole, as apply reaches them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
import pytest
from tests.scan.seed import create_trail, session_for

from trailwarden.apply import CountingAccess
from trailwarden.aws.session import AccessOptions
from trailwarden.collect import ScanOptions, collect
from trailwarden.snapshot.model import Snapshot

if TYPE_CHECKING:
    from trailwarden.apply.runner import ApplyReport
    from trailwarden.plan.model import Plan
    from trailwarden.plan.org.build import OrgPlanOptions

MANAGEMENT = "123456789012"
HOME = "us-east-1"
REGIONS = ["us-east-1", "eu-west-1"]


@dataclass(frozen=True)
class Org:
    org_id: str
    archive: str  # the log-archive account (no trail of its own)
    with_trail: str  # a member with its own multi-Region management-events trail
    without_trail: str  # a member with no trail
    member_trail_arn: str

    @property
    def members(self) -> list[str]:
        return sorted([self.archive, self.with_trail, self.without_trail])


def build_org(*, trusted_access: bool = False, feature_set: str = "ALL") -> Org:
    orgs = boto3.client("organizations", region_name=HOME)
    org_id = str(orgs.create_organization(FeatureSet=feature_set)["Organization"]["Id"])
    if trusted_access:
        orgs.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    ids = []
    for name in ("log-archive", "workload-a", "workload-b"):
        status = orgs.create_account(AccountName=name, Email=f"{name}@example.com")
        ids.append(str(status["CreateAccountStatus"]["AccountId"]))
    trail = create_trail(session_for(ids[1]), "own-trail")
    return Org(org_id, ids[0], ids[1], ids[2], trail)


def access() -> CountingAccess:
    return CountingAccess(AccessOptions(region=HOME, max_attempts=2))


def org_scan(acc: CountingAccess | None = None) -> Snapshot:
    return collect(acc or access(), ScanOptions(org=True, regions=REGIONS, max_workers=8))


def org_options(**kwargs: object) -> OrgPlanOptions:
    """guardrail and drift disabled: their parts are built on other branches."""
    from trailwarden.plan.org.build import OrgPlanOptions
    from trailwarden.plan.org.context import DriftOptions, GuardrailOptions
    from trailwarden.plan.steps import PlanOptions

    baseline = {"home_region": HOME, "alarm_email": ["security@example.com"]}
    return OrgPlanOptions(
        plan=PlanOptions(baseline=baseline),
        guardrail=GuardrailOptions(enabled=False),
        drift=DriftOptions(enabled=False),
        **kwargs,  # type: ignore[arg-type]
    )


def org_plan(acc: CountingAccess | None = None, **kwargs: object) -> Plan:
    """Scan the organisation, build its plan and check every step against moto (as plan does)."""
    from trailwarden.apply import probe
    from trailwarden.plan.org.build import build_org_plan

    acc = acc or access()
    return probe(acc, build_org_plan(org_scan(acc), org_options(**kwargs)))


# The role apply assumes in the members, approved by the guardrail so it does not lock it out.
APPROVED = "arn:aws:iam::*:role/OrganizationAccountAccessRole"


def full_org_plan(archive: str) -> Plan:
    """plan --org-trail with every part on (guardrail, drift) and ``archive`` as the log-archive
    account, checked against moto as plan does."""
    from trailwarden.apply import probe
    from trailwarden.plan.org.build import OrgPlanOptions, build_org_plan
    from trailwarden.plan.org.context import GuardrailOptions
    from trailwarden.plan.steps import PlanOptions

    acc = access()
    options = OrgPlanOptions(
        plan=PlanOptions(baseline={"home_region": HOME, "alarm_email": ["sec@example.com"]}),
        log_archive_account=archive,
        guardrail=GuardrailOptions(approved_roles=(APPROVED,)),
    )
    return probe(acc, build_org_plan(org_scan(acc), options))


def apply(plan: Plan, acc: CountingAccess | None = None) -> ApplyReport:
    from trailwarden.apply import Journal, Runner

    return Runner(acc or access(), plan, Journal(None), sleep=lambda _: None).run()


def act_as(monkeypatch: pytest.MonkeyPatch, account: str) -> None:
    """Run as ``account`` from now on (the role the organisation made there): every client the
    product makes reads these credentials from the environment."""
    creds = boto3.client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
        RoleSessionName="member",
    )["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", creds["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", creds["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", creds["SessionToken"])
