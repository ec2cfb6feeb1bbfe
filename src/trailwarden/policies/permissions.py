"""Declared permissions: the code that calls AWS names the IAM actions it needs, here's their shape.

Like Cloud Custodian's ``permissions`` on each resource and action, every collector read
(collect/) and every apply handler (apply/) declares a ``Grant``: some IAM actions and the
statement of the shipped policy that holds them. ``policy_document`` turns a policy's statement
layout and the grants declared for it into the document; ``policies.generate`` writes the shipped
``scan-policy.json`` and ``apply-policy.json`` from them, so a new read or handler cannot forget
its permission without the recorded-calls tests noticing.

Pure: the standard library only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

VERSION = "2012-10-17"


@dataclass(frozen=True)
class PolicyStatement:
    """One statement of a shipped policy; its actions come from the grants that name it."""

    sid: str
    resource: str = "*"
    condition: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # A statement that exists for one action (and its condition) writes it as a plain string,
    # and refuses any other action declared into it.
    only: str | None = None


@dataclass(frozen=True)
class Grant:
    """IAM actions some code needs, and the statement that grants them."""

    statement: PolicyStatement
    actions: tuple[str, ...]


def grant(statement: PolicyStatement, *actions: str) -> Grant:
    return Grant(statement, actions)


# --- scan-policy.json --------------------------------------------------------------------------

SCAN_READ_ONLY = PolicyStatement("TrailwardenScanReadOnly")
SCAN_ORGANISATION = PolicyStatement("TrailwardenScanOrganisation")
SCAN_STATEMENTS = (SCAN_READ_ONLY, SCAN_ORGANISATION)

# --- apply-policy.json: one statement per step of docs/aws-facts/trail-setup.md#setup-order, in its
# order ------------------------

_ROLES = "arn:aws:iam::*:role/*"
_FOR_CLOUDTRAIL = "cloudtrail.amazonaws.com"

IDENTITY = PolicyStatement("Step0Identity")
LOG_BUCKETS = PolicyStatement("Step1LogBuckets")
KMS_KEY = PolicyStatement("Step2KmsKey")
LOG_GROUP = PolicyStatement("Step3LogGroup")
DELIVERY_ROLE = PolicyStatement("Step3DeliveryRole", resource=_ROLES)
PASS_DELIVERY_ROLE = PolicyStatement(
    "Step4PassDeliveryRoleToCloudTrail",
    resource=_ROLES,
    condition={"StringEquals": {"iam:PassedToService": _FOR_CLOUDTRAIL}},
    only="iam:PassRole",
)
ORGANIZATION_TRAIL = PolicyStatement("Step4OrganizationTrail")
CLOUDTRAIL_SERVICE_LINKED_ROLE = PolicyStatement(
    "Step4CloudTrailServiceLinkedRole",
    resource="arn:aws:iam::*:role/aws-service-role/*",
    condition={"StringEquals": {"iam:AWSServiceName": _FOR_CLOUDTRAIL}},
    only="iam:CreateServiceLinkedRole",
)
TRAIL = PolicyStatement("Step4And5Trail")
ALARM_TOPIC = PolicyStatement("Step6AlarmTopic")
METRIC_FILTERS_AND_ALARMS = PolicyStatement("Step6MetricFiltersAndAlarms")
# The organisation's guardrail SCP (docs/aws-facts/scp.md): created, updated only when it is ours,
# attached; run from the management account.
ORGANIZATION_GUARDRAIL = PolicyStatement("Step7OrgGuardrailScp")
# Drift detection (organisation plans): the conformance pack, the EventBridge rules, and passing
# the members' forwarding role to EventBridge (docs/aws-facts/drift.md).
DRIFT_CONFIG = PolicyStatement("Step7DriftConformancePack")
# PutOrganizationConformancePack creates AWSServiceRoleForConfigMultiAccountSetup when missing.
CONFIG_MULTI_ACCOUNT_SERVICE_LINKED_ROLE = PolicyStatement(
    "Step7ConfigMultiAccountServiceLinkedRole",
    resource="arn:aws:iam::*:role/aws-service-role/*",
    condition={"StringEquals": {"iam:AWSServiceName": "config-multiaccountsetup.amazonaws.com"}},
    only="iam:CreateServiceLinkedRole",
)
DRIFT_EVENTS = PolicyStatement("Step7DriftEventRules")
PASS_FORWARD_ROLE = PolicyStatement(
    "Step7PassForwardRoleToEventBridge",
    resource="arn:aws:iam::*:role/trailwarden-drift-forwarder",
    condition={"StringEquals": {"iam:PassedToService": "events.amazonaws.com"}},
    only="iam:PassRole",
)
APPLY_STATEMENTS = (
    IDENTITY,
    LOG_BUCKETS,
    KMS_KEY,
    LOG_GROUP,
    DELIVERY_ROLE,
    PASS_DELIVERY_ROLE,
    ORGANIZATION_TRAIL,
    CLOUDTRAIL_SERVICE_LINKED_ROLE,
    TRAIL,
    ALARM_TOPIC,
    METRIC_FILTERS_AND_ALARMS,
    ORGANIZATION_GUARDRAIL,
    DRIFT_CONFIG,
    CONFIG_MULTI_ACCOUNT_SERVICE_LINKED_ROLE,
    DRIFT_EVENTS,
    PASS_FORWARD_ROLE,
)


# --- verify-policy.json: what verify reads, and apart, what its canaries call -----------------

VERIFY_READ_ONLY = PolicyStatement("VerifyReadOnly")
# The canary calls (verify --canary): each harmless, each declared by its candidate
# (verify/canaries.py); an operator who never runs canaries drops this statement.
VERIFY_CANARY_EVENTS = PolicyStatement("VerifyCanaryEvents")
# --canary-endpoint: subscribe the test queue to the alarm topic, read its message, unsubscribe.
VERIFY_CANARY_ENDPOINT = PolicyStatement("VerifyCanaryEndpoint")
VERIFY_STATEMENTS = (VERIFY_READ_ONLY, VERIFY_CANARY_EVENTS, VERIFY_CANARY_ENDPOINT)


# --- evidence-policy.json: what evidence coverage/pack and securityhub diff read, and apart, the
# one write (scan --import-to-securityhub) -------------------------------------------------------
EVIDENCE_READ_ONLY = PolicyStatement("TrailwardenEvidenceReadOnly")
SECURITYHUB_IMPORT = PolicyStatement(
    "TrailwardenSecurityHubImport", only="securityhub:BatchImportFindings"
)
EVIDENCE_STATEMENTS = (EVIDENCE_READ_ONLY, SECURITYHUB_IMPORT)


class DeclarationError(ValueError):
    """The declared grants cannot make a policy (unknown statement, action in two statements)."""


def policy_document(
    statements: Iterable[PolicyStatement], grants: Iterable[Grant]
) -> dict[str, Any]:
    """The identity policy granting ``grants``: the statements in their given order, each with
    its declared actions sorted (an action declared twice appears once)."""
    layout = list(statements)
    actions: dict[str, set[str]] = {s.sid: set() for s in layout}
    home: dict[str, str] = {}
    single = {s.sid for s in layout if s.only}
    for g in grants:
        if g.statement not in layout:
            raise DeclarationError(f"{g.actions} declared into unknown statement {g.statement.sid}")
        for action in g.actions:
            first = home.setdefault(action, g.statement.sid)
            # One action in several single-action statements is one grant per condition (pass
            # this role to that service); anywhere else it is a declaration mistake.
            if first != g.statement.sid and not {first, g.statement.sid} <= single:
                raise DeclarationError(
                    f"{action} declared into both {home[action]} and {g.statement.sid}"
                )
            if g.statement.only not in (None, action):
                raise DeclarationError(f"{g.statement.sid} is for {g.statement.only} alone")
            actions[g.statement.sid].add(action)
    body = []
    for s in layout:
        if not actions[s.sid]:
            raise DeclarationError(f"nothing declares an action for {s.sid}")
        listed = sorted(actions[s.sid])
        entry: dict[str, Any] = {
            "Sid": s.sid,
            "Effect": "Allow",
            "Action": listed[0] if s.only else listed,
            "Resource": s.resource,
        }
        if s.condition:
            entry["Condition"] = {op: dict(kv) for op, kv in s.condition.items()}
        body.append(entry)
    return {"Version": VERSION, "Statement": body}
