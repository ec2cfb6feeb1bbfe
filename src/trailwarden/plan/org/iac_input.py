"""What the organisation's IaC export prints, gathered once from a plan (pure).

Every document comes from where ``apply`` takes it: the trail side from the management account's
``Baseline``, the log-archive side from the same baseline seen from the log-archive account
(``log_archive_view``), the SCP from ``OrgPlan.guardrail.document``, the rule pattern from
``OrgPlan.drift.event_pattern``, and what only a step carries (the conformance pack's template
body, organisation Config rules, statements merged into the alarm topic) from the plan's steps,
verbatim. So ``terraform apply``, a CloudFormation stack and ``trailwarden apply`` create the same
documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trailwarden import arns
from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.model import MERGE, OrgPlan, Plan, Step
from trailwarden.plan.org.iac_members import MemberTemplates, member_templates
from trailwarden.policies import builders
from trailwarden.policies.builders import PolicyDocument, Statement
from trailwarden.policies.eventbridge import topic_from_rule_statement


def log_archive_view(baseline: Baseline, account: str) -> Baseline:
    """The trail's baseline as the log-archive account builds its part: the bucket, access-log
    bucket and key are that account's (default key policy, access-log ``aws:SourceAccount``),
    while CloudTrail's statements still name the management account's trail
    (``trail_owner_account``)."""
    return baseline.model_copy(update={"account_id": account})


@dataclass(frozen=True)
class EventRule:
    name: str
    pattern: dict[str, Any]
    topic_arn: str | None
    topic_statements: list[Statement]  # what the topic's policy must hold for the rule


@dataclass(frozen=True)
class OrgIacInput:
    org: OrgPlan
    trail: Baseline  # the management account's organisation trail
    archive: Baseline | None  # the log-archive view, with --log-archive-account
    conformance_pack: dict[str, Any] | None  # PutOrganizationConformancePack parameters
    config_rules: list[dict[str, Any]] = field(default_factory=list)  # PutOrganizationConfigRule
    event_rule: EventRule | None = None
    members: MemberTemplates | None = None  # resources the plan puts in member accounts

    @property
    def root_id(self) -> str | None:
        """The organisation root the member StackSet targets: the guardrail's, when it has one
        (else the export asks for it)."""
        targets = self.org.guardrail.targets if self.org.guardrail else []
        return next((t for t in targets if t.startswith("r-")), None)

    @property
    def own_topic(self) -> bool:
        """The drift rule targets the alarm topic the export itself creates."""
        alarms, rule = self.trail.alarms, self.event_rule
        return bool(alarms and rule and alarms.new_topic and alarms.topic_arn == rule.topic_arn)

    def own_topic_policy(self) -> PolicyDocument:
        """The policy of the export's own topic: it replaces the default one, so it carries the
        CIS alarms' statement as well as the rule's."""
        alarm = self.trail.topic_policy_statement()
        rule = self.event_rule
        return builders.document(
            [*([alarm] if alarm else []), *(rule.topic_statements if rule else [])]
        )

    @property
    def storage(self) -> Baseline:
        """The baseline whose bucket, access-log bucket and key the export creates."""
        return self.archive or self.trail


def org_iac_input(plan: Plan) -> OrgIacInput:
    org = plan.organization
    if org is None:
        raise UsageError("the plan has no organisation part: make it with plan --org-trail")
    account = plan.account(org.management_account)
    baseline = account.baseline if account is not None else None
    if baseline is None or baseline.organization is None:
        raise UsageError(
            f"the plan holds no organisation trail baseline for the management account"
            f" {org.management_account}"
        )
    archive = None
    if org.log_archive_account and org.log_archive_account != org.management_account:
        archive = log_archive_view(baseline, org.log_archive_account)
    return OrgIacInput(
        org=org,
        trail=baseline,
        archive=archive,
        conformance_pack=_first_params(plan.steps, "PutOrganizationConformancePack"),
        config_rules=[s.params for s in plan.steps if s.operation == "PutOrganizationConfigRule"],
        event_rule=_event_rule(plan, org, baseline),
        members=member_templates(plan, org),
    )


def _first_params(steps: list[Step], operation: str) -> dict[str, Any] | None:
    return next((dict(s.params) for s in steps if s.operation == operation), None)


def _event_rule(plan: Plan, org: OrgPlan, baseline: Baseline) -> EventRule | None:
    drift = org.drift
    if drift is None:
        return None
    topic = drift.topic_arn or (baseline.alarms.topic_arn if baseline.alarms else None)
    if topic is None:
        return EventRule(drift.event_rule, drift.event_pattern, None, [])
    merged = [
        statement
        for s in plan.steps
        if s.service == "sns" and s.merges and s.params.get("TopicArn", s.target) == topic
        for statement in s.params[MERGE]
        if builders.EVENTS in str(statement.get("Principal", ""))
    ]
    if not merged:  # the drift part's step is the source when it has one; else the builder
        rule_arn = arns.event_rule_arn(org.home_region, org.management_account, drift.event_rule)
        merged = [topic_from_rule_statement(topic, rule_arn)]
    return EventRule(drift.event_rule, drift.event_pattern, topic, merged)
