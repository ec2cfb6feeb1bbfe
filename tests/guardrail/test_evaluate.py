"""The SCP evaluator against AWS's documented evaluation logic, one table row per documented rule.

Sources (docs/aws-facts/scp.md): IAM condition operators
<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html>,
SCP evaluation <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_evaluation.html>,
SCP syntax <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html>,
SCP examples <https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples.html>,
Action element <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>,
Resource element <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html>.
"""

from __future__ import annotations

from typing import Any

import pytest

from trailwarden.policies.evaluate import (
    FULL_AWS_ACCESS,
    Decision,
    NamedPolicy,
    Request,
    evaluate_scps,
    explain_scp_decision,
)

MEMBER = "111122223333"
MGMT = "999988887777"
ADMIN = f"arn:aws:iam::{MEMBER}:role/Admin"
APPROVED = f"arn:aws:iam::{MEMBER}:role/CloudTrailAdmin"
TRAIL = f"arn:aws:cloudtrail:us-east-1:{MGMT}:trail/org"
FULL = NamedPolicy("FullAWSAccess", FULL_AWS_ACCESS)


def policy(*statements: dict[str, Any], name: str = "p") -> NamedPolicy:
    return NamedPolicy(name, {"Version": "2012-10-17", "Statement": list(statements)})


def deny(**fields: Any) -> dict[str, Any]:
    return {"Sid": "D", "Effect": "Deny", "Resource": "*", **fields}


def decide(
    statement: dict[str, Any],
    action: str = "cloudtrail:StopLogging",
    resource: str = TRAIL,
    principal: str = ADMIN,
    **context: Any,
) -> Decision:
    path = [[FULL, policy(statement)]]
    return evaluate_scps(path, Request(principal, action, resource, context)).decision


# The aws-samples SCP "Deny-modifications-to-specific-CloudTrail-trails" (spec 4.7), note the
# key spelt aws:PrincipalARN: condition key names are case-insensitive.
SAMPLE = deny(
    Action=["cloudtrail:DeleteTrail", "cloudtrail:StopLogging", "cloudtrail:UpdateTrail"],
    Resource="arn:aws:cloudtrail:*:*:trail/org",
    Condition={"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/CloudTrailAdmin"}},
)


@pytest.mark.parametrize(
    ("statement", "kwargs", "expected"),
    [
        # Action: listed, wildcard, case-insensitive; NotAction denies everything else.
        (SAMPLE, {}, Decision.DENIED),
        (SAMPLE, {"principal": APPROVED}, Decision.ALLOWED),
        (SAMPLE, {"action": "CloudTrail:stoplogging"}, Decision.DENIED),
        (SAMPLE, {"action": "cloudtrail:StartLogging"}, Decision.ALLOWED),
        (SAMPLE, {"resource": TRAIL.replace("trail/org", "trail/other")}, Decision.ALLOWED),
        (deny(Action="cloudtrail:*"), {}, Decision.DENIED),
        (deny(Action="cloudtrail:Stop*"), {}, Decision.DENIED),
        (deny(Action="cloudtrail:Sto?Logging"), {}, Decision.DENIED),
        (deny(NotAction=["cloudtrail:StopLogging"]), {}, Decision.ALLOWED),
        (deny(NotAction=["iam:*"]), {}, Decision.DENIED),
        # Resource ARNs are case-sensitive; NotResource is the complement.
        (deny(Action="*", Resource=TRAIL.upper()), {}, Decision.ALLOWED),
        (deny(Action="*", Resource="arn:aws:cloudtrail:*:*:trail/*"), {}, Decision.DENIED),
        (deny(Action="*", Resource=None, NotResource=TRAIL), {}, Decision.ALLOWED),
        # Resource wildcards stay in their segment unless the "*" ends it (Resource element page).
        (
            deny(Action="*", Resource="arn:aws:logs:us-east-1:1:log-group:a*b"),
            {"resource": "arn:aws:logs:us-east-1:1:log-group:a:x:b"},
            Decision.ALLOWED,
        ),
        (
            deny(Action="*", Resource="arn:aws:logs:us-east-1:1:log-group:a*"),
            {"resource": "arn:aws:logs:us-east-1:1:log-group:a:x:b"},
            Decision.DENIED,
        ),
        (
            deny(Action="*", Resource="arn:aws:cloudtrail:us-east-?:*:trail/org"),
            {},
            Decision.DENIED,
        ),
        # "If the key ... is not present in the request context, the values do not match":
        # a positive operator fails, a negated one (StringNotLike, ArnNotLike) holds.
        (
            deny(Action="*", Condition={"StringLike": {"aws:RequestTag/x": "*"}}),
            {},
            Decision.ALLOWED,
        ),
        (
            deny(Action="*", Condition={"StringNotLike": {"aws:RequestTag/x": "a"}}),
            {},
            Decision.DENIED,
        ),
        # ...IfExists: "if the key is not present, the condition evaluates to true".
        (
            deny(Action="*", Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "x"}}),
            {},
            Decision.DENIED,
        ),
        (
            deny(Action="*", Condition={"StringEqualsIfExists": {"aws:RequestedRegion": "x"}}),
            {"aws:RequestedRegion": "eu-west-1"},
            Decision.ALLOWED,
        ),
        # SCP example "Deny access to AWS based on the requested AWS Region": NotAction plus a
        # negated operator over several values (true only when none matches).
        (
            deny(
                NotAction=["iam:*", "organizations:*"],
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                    "ArnNotLike": {
                        "aws:PrincipalARN": ["arn:aws:iam::*:role/Role1AllowedToBypassThisSCP"]
                    },
                },
            ),
            {"aws:RequestedRegion": "us-east-1"},
            Decision.DENIED,
        ),
        (
            deny(
                NotAction=["iam:*"],
                Condition={
                    "StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]}
                },
            ),
            {"aws:RequestedRegion": "eu-west-1"},
            Decision.ALLOWED,
        ),
        # A key's values are ORed for a positive operator.
        (
            deny(
                Action="*", Condition={"StringEquals": {"aws:RequestedRegion": ["a", "us-east-1"]}}
            ),
            {"aws:RequestedRegion": "us-east-1"},
            Decision.DENIED,
        ),
        # Condition blocks and keys are ANDed.
        (
            deny(
                Action="*",
                Condition={
                    "StringEquals": {"aws:RequestedRegion": "us-east-1"},
                    "Bool": {"aws:MultiFactorAuthPresent": "false"},
                },
            ),
            {"aws:RequestedRegion": "us-east-1", "aws:MultiFactorAuthPresent": True},
            Decision.ALLOWED,
        ),
        # Null: "true" when the key is absent.
        (deny(Action="*", Condition={"Null": {"aws:TokenIssueTime": "true"}}), {}, Decision.DENIED),
        (
            deny(Action="*", Condition={"Null": {"aws:TokenIssueTime": "true"}}),
            {"aws:TokenIssueTime": "2026-01-01T00:00:00Z"},
            Decision.ALLOWED,
        ),
        # Bool with BoolIfExists (the IAM page's MFA example).
        (
            deny(Action="*", Condition={"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}),
            {},
            Decision.DENIED,
        ),
        # ArnLike matches each of the six parts on its own: "*" does not cross a colon.
        (
            deny(Action="*", Condition={"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*"}}),
            {},
            Decision.ALLOWED,
        ),
        # What is not decided here is never read as allowed.
        (
            deny(Action="*", Condition={"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}),
            {},
            Decision.UNDECIDED,
        ),
        (
            deny(Action="*", Condition={"NumericLessThan": {"s3:max-keys": "10"}}),
            {},
            Decision.UNDECIDED,
        ),
        (deny(Action="*", Resource="arn:aws:s3:::${aws:username}/*"), {}, Decision.UNDECIDED),
        (deny(Action="*", Principal="*"), {}, Decision.UNDECIDED),
        (
            deny(Action="*", Condition={"StringEquals": {"aws:TagKeys": "a"}}),
            {"aws:TagKeys": ["a", "b"]},
            Decision.UNDECIDED,
        ),
    ],
)
def test_documented_rules(
    statement: dict[str, Any], kwargs: dict[str, Any], expected: Decision
) -> None:
    statement = {k: v for k, v in statement.items() if v is not None}
    context = {k: v for k, v in kwargs.items() if ":" in k}
    plain = {k: v for k, v in kwargs.items() if ":" not in k}
    assert decide(statement, **plain, **context) is expected


def test_an_allow_is_needed_at_every_level_of_the_path() -> None:
    """SCP evaluation, "How SCPs work with Allow": FullAWSAccess removed from the OU and
    replaced by nothing that allows the action -> every account under it is denied."""
    only_s3 = policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}, name="OnlyS3")
    request = Request(ADMIN, "cloudtrail:StopLogging", TRAIL)
    verdict = evaluate_scps([[FULL], [only_s3], [FULL]], request)
    assert verdict.decision is Decision.DENIED
    assert verdict.level == 1 and "implicit deny" in verdict.reason
    allowed = evaluate_scps(
        [[FULL], [only_s3], [FULL]], Request(ADMIN, "s3:GetObject", "arn:aws:s3:::b/k")
    )
    assert allowed.decision is Decision.ALLOWED
    assert evaluate_scps([[FULL], []], request).decision is Decision.DENIED


def test_a_deny_at_any_level_wins_and_is_named() -> None:
    """How SCPs work with Deny: a Deny attached anywhere on the path denies, Allows or not."""
    guard = policy(SAMPLE, name="Guard")
    verdict = evaluate_scps(
        [[FULL], [FULL], [FULL, guard]], Request(ADMIN, "cloudtrail:DeleteTrail", TRAIL)
    )
    assert verdict.decision is Decision.DENIED
    assert (verdict.policy, verdict.level, verdict.statement_id) == ("Guard", 2, "D")


def test_an_undecidable_deny_beats_an_allow_but_not_a_clear_deny() -> None:
    unsure = policy(
        deny(Action="*", Condition={"DateGreaterThan": {"aws:CurrentTime": "2020-01-01"}})
    )
    request = Request(ADMIN, "cloudtrail:StopLogging", TRAIL)
    assert evaluate_scps([[FULL, unsure]], request).decision is Decision.UNDECIDED
    clear = policy(SAMPLE, name="Guard")
    assert evaluate_scps([[FULL, unsure, clear]], request).decision is Decision.DENIED


def test_management_account_and_service_linked_roles_are_not_restricted() -> None:
    """ "SCPs don't affect users or roles in the management account" and "SCPs do not affect
    service-linked roles" (docs/aws-facts/scp.md#not-restricted)."""
    everything = [[FULL, policy(deny(Action="*"))]]
    mgmt_admin = f"arn:aws:iam::{MGMT}:role/Admin"
    slr = (
        f"arn:aws:iam::{MEMBER}:role/aws-service-role/cloudtrail.amazonaws.com/"
        "AWSServiceRoleForCloudTrail"
    )
    assert (
        evaluate_scps(
            everything,
            Request(mgmt_admin, "cloudtrail:StopLogging", TRAIL),
            management_account=MGMT,
        ).decision
        is Decision.ALLOWED
    )
    assert (
        evaluate_scps(everything, Request(mgmt_admin, "cloudtrail:StopLogging", TRAIL)).decision
        is Decision.DENIED
    )
    assert (
        evaluate_scps(everything, Request(slr, "cloudtrail:StopLogging", TRAIL)).decision
        is Decision.ALLOWED
    )


def test_explain_names_the_deciding_statement_for_the_demo() -> None:
    guard = policy({**SAMPLE, "Sid": "ProtectOrgTrail"}, name="trailwarden-org-trail-guardrail")
    verdict = explain_scp_decision(
        [[FULL, guard]], ADMIN, "cloudtrail:StopLogging", TRAIL, management_account=MGMT
    )
    assert verdict.decision is Decision.DENIED
    assert verdict.statement_id == "ProtectOrgTrail"
    assert verdict.policy == "trailwarden-org-trail-guardrail"
