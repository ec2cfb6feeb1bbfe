"""The plan file: what ``trailwarden plan`` writes and ``apply``/``verify`` read (schema v1).

A plan is data: per account the baseline it was built from and an ordered list of steps, each one
AWS call with its parameters, why it is there (controls it clears) and whether it creates, updates
or leaves something alone. Policy steps never carry a whole document: they name the statements to
merge into whatever policy is live when ``apply`` runs (read-modify-write); the one exception is
the guardrail SCP, a whole document trailwarden owns (``CreatePolicy``/``UpdatePolicy``).

Some values in ``params`` are not literal API parameters; ``apply`` resolves them:
``MergeStatements`` (statements merged into the live document) and the placeholders of
``trailwarden.placeholders`` (a planned key's ARN or id, the guardrail SCP's id).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trailwarden import outfile
from trailwarden.errors import UsageError
from trailwarden.jsonfile import read_document
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.cost import CostEstimate

PLAN_SCHEMA: Literal["trailwarden.plan/1"] = "trailwarden.plan/1"
Action = Literal["create", "update", "noop"]
MERGE = "MergeStatements"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Step(_Model):
    id: str  # "<account>:<nn>", unique in the plan, stable for the journal
    account: str
    region: str
    action: Action
    service: str  # boto3 client name
    operation: str  # the API operation (CreateTrail, PutBucketPolicy, ...)
    params: dict[str, Any]
    reason: str
    controls: list[str] = Field(default_factory=list)
    target: str = ""  # the resource the step acts on, for people and the journal
    # "service:Operation" of an earlier step of this account on the same target that, when it
    # creates the target, already writes what this step writes (CreateRole with the trust
    # statement an UpdateAssumeRolePolicy step would merge): this step then has nothing to do.
    covered_by: str | None = None

    @property
    def merges(self) -> bool:
        return MERGE in self.params


def covering_step(steps: list[Step], step: Step) -> Step | None:
    """The earlier step ``step.covered_by`` names: same account and target, nearest first."""
    if step.covered_by is None:
        return None
    before = steps[: next(i for i, s in enumerate(steps) if s is step)]
    return next(
        (
            s
            for s in reversed(before)
            if s.account == step.account
            and s.target == step.target
            and f"{s.service}:{s.operation}" == step.covered_by
        ),
        None,
    )


class AccountPlan(_Model):
    account: str
    trail: Literal["create", "repair", "skip"]
    trail_arn: str | None = None
    baseline: Baseline | None = None
    notes: list[str] = Field(default_factory=list)
    cost: CostEstimate | None = None


class DuplicateTrail(_Model):
    """A member's own trail that copies the organisation trail's management events."""

    account: str
    trail_arn: str
    retire: bool  # True: a StopLogging step is planned (only with --retire-duplicate-trails)
    reason: str  # why it is a duplicate, or why it is kept (data events, another destination)
    usd_per_month: float = 0.0  # the billed second copy (docs/aws-facts/cost.md)


class Guardrail(_Model):
    """The service control policy that protects the organisation trail, its bucket and key."""

    policy_name: str
    document: dict[str, Any]
    targets: list[str]  # root or OU ids it is attached to
    approved_roles: list[str]  # aws:PrincipalArn patterns the policy exempts
    refused: str | None = None  # one line: why the plan does not attach it (self-lockout)
    # One line each: what the plan noticed but does not refuse (an approved-role pattern that
    # matches none of the principals trailwarden runs as).
    notes: list[str] = Field(default_factory=list)


class Drift(_Model):
    """How weakening the trail is noticed: Config rules and an EventBridge rule."""

    conformance_pack: str
    config_rules: list[str]
    accounts_without_recorder: list[str] = Field(default_factory=list)
    event_rule: str
    event_pattern: dict[str, Any]
    topic_arn: str | None = None
    # False: the Config recorders could not be read, so accounts_without_recorder says nothing.
    recorders_known: bool = True
    # "ACCOUNT REGION" where a rule forwards the same events to the management account's bus.
    forwarding: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # one line each: what covers what, and gaps


class OrgPlan(_Model):
    """The organisation part of a plan (``plan --org-trail``); its steps are in ``Plan.steps``."""

    org_id: str
    management_account: str
    trail_arn: str
    home_region: str
    bucket: str
    log_archive_account: str | None = None  # None: bucket and key in the management account
    # The Regions verify --org expects a log file in for every account (the Regions the plan's
    # scan read); empty: the home Region only.
    regions: list[str] = Field(default_factory=list)
    prerequisites: list[str] = Field(default_factory=list)  # one line each, with its fix
    # Prerequisites trailwarden cannot fix, one line each with the fix: while any is left the
    # plan has no step (nothing is half-applied) and ``plan --org-trail`` exits 2.
    blocked: list[str] = Field(default_factory=list)
    duplicates: list[DuplicateTrail] = Field(default_factory=list)
    guardrail: Guardrail | None = None
    drift: Drift | None = None


class Plan(_Model):
    schema_: Literal["trailwarden.plan/1"] = Field(PLAN_SCHEMA, alias="schema")
    generated_at: datetime
    probed: bool = False  # True when the actions were checked against live AWS, not predicted
    accounts: list[AccountPlan] = Field(default_factory=list)
    steps: list[Step] = Field(default_factory=list)
    cost_usd_per_month: float = 0.0
    api_calls: dict[str, dict[str, int]] = Field(default_factory=dict)  # account -> stage -> n
    organization: OrgPlan | None = None  # plan --org-trail

    def account(self, account: str) -> AccountPlan | None:
        return next((a for a in self.accounts if a.account == account), None)

    def changes(self) -> list[Step]:
        return [s for s in self.steps if s.action != "noop"]

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=1) + "\n"


def save_plan(plan: Plan, path: Path) -> None:
    outfile.write_text(path, plan.to_json())


def load_plan(path: Path) -> Plan:
    """Read a plan file; anything unreadable or malformed is a one-line UsageError."""
    raw = read_document(path, "plan", PLAN_SCHEMA)
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise UsageError(f"{path} is not a valid plan: {where}: {message}") from None
    ids = [s.id for s in plan.steps]
    if len(set(ids)) != len(ids):
        raise UsageError(f"{path} is not a valid plan: duplicate step ids")
    known = {a.account for a in plan.accounts}
    stray = next((s for s in plan.steps if s.account not in known), None)
    if stray is not None:
        raise UsageError(f"{path} is not a valid plan: step {stray.id} names unknown account")
    return plan
