"""The demo's organisation path: one organisation trail for every account, kept green.

What ``trailwarden demo`` does after fixing accounts one by one, with the same library calls
``plan --org-trail``, ``apply``, ``verify --org`` and ``scan --org`` make:

1. plan the organisation (its trail repaired, the guardrail SCP, drift rules) and apply it;
2. CloudTrail's delivery for every member (simulated: moto delivers nothing), then
   ``verify --org``;
3. an account created after apply, covered without any step of ours: its files arrive, and
   ``verify --org`` proves it;
4. simulated drift, said to be simulated because moto neither enforces SCPs nor delivers
   events: a member's administrator tries to stop the organisation trail (refused, as AWS
   refuses a member; and the guardrail's decision, computed by the SCP evaluator from the
   policies attached on the member's path), and stops its own trail (allowed; the drift rule's
   pattern matches the event EventBridge would build for the call; then it is logging again, as
   the person the alarm paged would leave it);
5. the members' duplicate trails retired (``--retire-duplicate-trails``: StopLogging, never a
   delete, once the organisation trail holds their files), and a last ``scan --org``.

Nothing here draws: ``cli/demo.py`` prints the report.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from trailwarden.apply import CountingAccess, Runner, probe
from trailwarden.apply.runner import ApplyReport
from trailwarden.aws.errors import error_code
from trailwarden.aws.scps import attached_scps
from trailwarden.aws.session import AccessOptions
from trailwarden.collect import ScanOptions, collect
from trailwarden.controls import Evaluation, evaluate
from trailwarden.demo.org import MEMBER_ROLE, DemoOrg
from trailwarden.demo.org_delivery import simulate_org_delivery
from trailwarden.eventpattern import simulate
from trailwarden.plan.model import Plan
from trailwarden.plan.org.build import OrgPlanOptions, build_org_plan
from trailwarden.plan.steps import PlanOptions
from trailwarden.policies.evaluate import Decision, NamedPolicy, explain_scp_decision
from trailwarden.snapshot.model import Snapshot
from trailwarden.trailstore.fixtures import FixtureKey
from trailwarden.verify.org import OrgVerifyReport, verify_org

ALARM_EMAIL = "security@example.com"
NEW_ACCOUNT = "demo-joined-later"
Say = Callable[[int, int | None, str], None]


@dataclass
class DriftAttempt:
    """One simulated weakening call and what stops or reports it."""

    what: str
    refused_by_aws: str | None  # the error moto answered (taught as AWS answers), if any
    scp: str  # the guardrail's decision, computed
    rule: str  # the drift rule's verdict on the event, computed
    # What must happen: the organisation trail is refused (by AWS, and by the guardrail), a
    # member's own trail is not the guardrail's; the rule sees both.
    as_expected: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "aws": self.refused_by_aws,
            "scp": self.scp,
            "rule": self.rule,
            "as_expected": self.as_expected,
        }


@dataclass
class OrgPathReport:
    plan: Plan
    apply: ApplyReport
    verify: OrgVerifyReport
    new_account: str
    verify_after_join: OrgVerifyReport
    drift: list[DriftAttempt] = field(default_factory=list)
    retire_plan: Plan | None = None
    retire: ApplyReport | None = None
    after: Evaluation | None = None

    @property
    def ok(self) -> bool:
        retired = self.retire is None or self.retire.failed is None
        return (
            self.apply.failed is None
            and self.verify.ok
            and self.verify_after_join.ok
            and retired
            and all(d.as_expected for d in self.drift)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "plan": self.plan.model_dump(mode="json", by_alias=True)["organization"],
            "apply": self.apply.to_dict(),
            "verify": self.verify.to_json(),
            "new_account": self.new_account,
            "verify_after_join": self.verify_after_join.to_json(),
            "drift": [d.to_json() for d in self.drift],
            "retire": self.retire.to_dict() if self.retire else None,
        }


def _scan(access: CountingAccess, org: DemoOrg) -> Snapshot:
    return collect(access, ScanOptions(org=True, regions=list(org.regions), max_workers=16))


def _plan(access: CountingAccess, org: DemoOrg, retire: bool) -> Plan:
    baseline = {"home_region": org.home_region, "alarm_email": [ALARM_EMAIL]}
    options = OrgPlanOptions(plan=PlanOptions(baseline=baseline), retire_duplicate_trails=retire)
    return probe(access, build_org_plan(_scan(access, org), options))


def run_org_path(org: DemoOrg, say: Say) -> OrgPathReport:
    access = CountingAccess(AccessOptions(region=org.home_region))
    say(0, None, "organisation: plan --org-trail")
    plan = _plan(access, org, retire=False)
    applied = Runner(access, plan, on_progress=lambda n, t, s: say(n, t, f"apply: {s}")).run()
    key = FixtureKey.generate()
    management = plan.account(org.management_account_id)
    baseline = management.baseline if management else None
    members = [a.account for a in plan.accounts]
    if baseline is not None and applied.failed is None:
        say(0, None, "organisation trail delivery (simulated)")
        simulate_org_delivery(
            access, baseline, baseline.resource_account, members, org.regions, key
        )
    say(0, None, "verify --org")
    verified = verify_org(access, plan)

    orgs = boto3.client("organizations", region_name=org.home_region)
    created = orgs.create_account(AccountName=NEW_ACCOUNT, Email="joined-later@example.com")
    new_id = str(created["CreateAccountStatus"]["AccountId"])
    if baseline is not None and applied.failed is None:
        # Nobody runs anything in the new account: CloudTrail writes its files (simulated).
        simulate_org_delivery(
            access, baseline, baseline.resource_account, [new_id], org.regions, key
        )
    say(0, None, "verify --org (an account created after apply)")
    after_join = verify_org(access, plan)
    report = OrgPathReport(plan, applied, verified, new_id, after_join)
    if applied.failed is not None:
        return report

    say(0, None, "simulated drift")
    report.drift = _drift(org, plan, orgs)
    say(0, None, "plan --org-trail --retire-duplicate-trails")
    report.retire_plan = _plan(access, org, retire=True)
    report.retire = Runner(access, report.retire_plan).run()
    say(0, None, "scan --org")
    report.after = evaluate(_scan(access, org))
    return report


def _member_session(org: DemoOrg, account: str) -> boto3.Session:
    sts = boto3.client("sts", region_name=org.home_region)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{MEMBER_ROLE}", RoleSessionName="demo-admin"
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=org.home_region,
    )


def _record(account: str, region: str, who: str, name: str, trail: str) -> dict[str, Any]:
    """The CloudTrail record of a StopLogging call (docs/aws-facts/drift.md#envelope)."""
    return {
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "arn": who, "accountId": account},
        "eventTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "cloudtrail.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "203.0.113.10",
        "requestParameters": {"name": trail},
        "responseElements": None,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def _drift(org: DemoOrg, plan: Plan, orgs: Any) -> list[DriftAttempt]:
    section = plan.organization
    assert section is not None
    member = next(
        a for a in org.accounts if a.in_organization and a.trail_arns and a.label != "management"
    )
    principal = f"arn:aws:iam::{member.account_id}:role/{MEMBER_ROLE}"
    path = [
        [NamedPolicy(n, d) for n, d in level] for level in attached_scps(orgs, member.account_id)
    ]
    pattern = section.drift.event_pattern if section.drift else {}
    rule = section.drift.event_rule if section.drift else "(no drift rule planned)"
    cloudtrail = _member_session(org, member.account_id).client("cloudtrail")
    attempts = []
    for what, trail, protected in (
        ("stop the organisation trail", section.trail_arn, True),
        ("stop its own trail", member.trail_arns[0], False),
    ):
        refused = None
        try:
            cloudtrail.stop_logging(Name=trail)
        except ClientError as exc:
            refused = error_code(exc)
        verdict = explain_scp_decision(
            path, principal, "cloudtrail:StopLogging", trail,
            management_account=org.management_account_id,
        )  # fmt: skip
        scp = (
            f"denied by {verdict.policy} ({verdict.statement_id})"
            if verdict.decision is Decision.DENIED
            else f"{verdict.decision.value}: {verdict.reason}"
        )
        record = _record(member.account_id, org.home_region, principal, "StopLogging", trail)
        event = simulate(pattern, record)
        if refused is None:  # the responder the alarm paged turns it back on
            cloudtrail.start_logging(Name=trail)
        denied = verdict.decision is Decision.DENIED
        attempts.append(
            DriftAttempt(
                f"{member.name} ({member.account_id}) administrator tries to {what}",
                refused,
                scp,
                event.line(rule),
                as_expected=(refused is not None) == protected == denied and event.matched,
            )
        )
    return attempts
