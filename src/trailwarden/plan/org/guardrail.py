"""The guardrail SCP's part of an organisation plan: the policy, where it goes, and the refusal.

Steps, all ``organizations`` calls from the management account: ``EnablePolicyType`` on the root
when SCPs are not (known to be) enabled, ``CreatePolicy`` (``UpdatePolicy`` when the snapshot
already holds a policy of that name; apply only ever updates one tagged as trailwarden's), then
``AttachPolicy`` to the root or to each ``--target-ous`` entry, the policy id resolved at apply
time from its name (``${scp:NAME}``).

Self-lockout: before planning any attachment, every principal trailwarden runs as that the SCP
can restrict (not the management account, not a service-linked role) is checked, with the same
evaluator the demo uses, against every CloudTrail, S3 and KMS action the shipped apply and verify
policies grant (generated from the handlers' declared grants), on the protected resource that
principal works on: the trail for the caller's account, the bucket and its objects for the
bucket's account, the key for the key's account. With ``--target-ous`` the guardrail is on a
principal's path only if its account sits under a targeted OU (the root and OUs above it, read by
the scan: ``OrgAccount.parents``); where that was not read, it is assumed to be. One denial and
nothing is attached: the plan says in one line who, what, and the ``--approved-role`` that fixes
it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from trailwarden.arns import arn_account, arn_parts
from trailwarden.errors import UsageError
from trailwarden.placeholders import scp_ref
from trailwarden.plan.model import Action, Guardrail, Step
from trailwarden.plan.org.context import GuardrailOptions, OrgTarget, PartSteps
from trailwarden.policies import shipped_policy
from trailwarden.policies.evaluate import (
    FULL_AWS_ACCESS,
    FULL_AWS_ACCESS_NAME,
    Decision,
    NamedPolicy,
    Request,
    arn_like,
    evaluate_scps,
    is_service_linked_role,
)
from trailwarden.policies.scp import (
    DESCRIPTION,
    MANAGED_TAG,
    MANAGEMENT_ACCOUNT_NOTE,
    SCP_TYPE,
    GuardrailError,
    Protected,
    guardrail_document,
    key_stand_in,
    protected,
)

__all__ = ["MANAGEMENT_ACCOUNT_NOTE", "plan_guardrail", "role_arn_of", "scp_reference"]

# The shipped least-privilege policies: what apply and verify will call (policies.generate).
RUNNER_POLICIES = ("apply-policy.json", "verify-policy.json")
_ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")


def scp_reference(policy_name: str) -> str:
    """The placeholder apply resolves to the id of the SCP named ``policy_name``."""
    return scp_ref(policy_name)


def role_arn_of(principal: str) -> str:
    """``aws:PrincipalArn`` of a principal: a role session counts as its role (IAM's rule).

    ``arn:P:sts::A:assumed-role/NAME/SESSION`` -> ``arn:P:iam::A:role/NAME``. The STS ARN does
    not carry the role's path: a role under a path is matched here without it."""
    parts = arn_parts(principal)
    if len(parts) == 6 and parts[2] == "sts" and parts[5].startswith("assumed-role/"):
        name = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{name}"
    return principal


def runner_actions() -> list[str]:
    """Every CloudTrail, S3 and KMS action apply or verify may call, from the shipped policies."""
    found: dict[str, None] = {}
    for file_name in RUNNER_POLICIES:
        for statement in shipped_policy(file_name)["Statement"]:
            raw = statement["Action"]
            for action in [raw] if isinstance(raw, str) else raw:
                if action.split(":")[0] in ("cloudtrail", "s3", "kms"):
                    found[action] = None
    return list(found)


def _any_account(principal: str) -> str:
    """The principal's ARN with its account as ``*``: the same role in every account."""
    parts = arn_parts(principal)
    return ":".join([*parts[:4], "*", *parts[5:]]) if len(parts) == 6 else principal


def _principals(target: OrgTarget) -> list[str]:
    caller = [target.org.caller_arn] if target.org.caller_arn else []
    return list(dict.fromkeys(role_arn_of(p) for p in [*caller, *target.runner_principals]))


def _requests(target: OrgTarget, guarded: Protected, principal: str) -> list[tuple[str, str]]:
    """(action, resource) pairs ``principal`` may need on what the guardrail protects."""
    account = arn_account(principal)
    wanted: list[tuple[str, str]] = []
    for action in runner_actions():
        service = action.split(":")[0]
        if service == "cloudtrail" and account == target.org.caller_account_id:
            wanted.append((action, target.trail_arn))
        elif service == "s3" and account == target.bucket_account:
            wanted += [(action, guarded.bucket_resource), (action, guarded.objects_resource)]
        elif service == "kms" and guarded.kms_key and account == target.kms_key_account:
            wanted.append((action, guarded.kms_key))
    return wanted


def _parents(target: OrgTarget, account: str) -> list[str] | None:
    """The root and OU ids above ``account`` as the scan read them; None: not known."""
    found = next((a for a in target.org.accounts if a.id == account), None)
    return None if found is None else found.parents


def _path(
    target: OrgTarget, account: str, ours: NamedPolicy, options: GuardrailOptions
) -> list[list[NamedPolicy]]:
    """The SCPs on ``account``'s path once the guardrail is attached (FullAWSAccess at every
    level, as enabling SCPs leaves it): one list per level, root first."""
    full = NamedPolicy(FULL_AWS_ACCESS_NAME, FULL_AWS_ACCESS)
    if not options.target_ous:
        return [[full, ours]]  # on the root: every account's path holds it
    parents = _parents(target, account)
    if parents is None:
        # Not known where the account sits: assume under a targeted OU (a refusal too many is
        # fixable with --approved-role; a lockout is not).
        return [[full], [full, ours], [full]]
    targeted = set(options.target_ous)
    return [[full, *([ours] if level in targeted else [])] for level in parents] + [[full]]


def _lockout(
    target: OrgTarget, guarded: Protected, document: dict[str, object], options: GuardrailOptions
) -> str | None:
    """One line naming the first runner principal the SCP would deny something it needs."""
    ours = NamedPolicy(options.policy_name, document)
    for principal in _principals(target):
        if arn_account(principal) == target.management_account:
            continue  # MANAGEMENT_ACCOUNT_NOTE
        if is_service_linked_role(principal):
            continue
        path = _path(target, arn_account(principal), ours, options)
        for action, resource in _requests(target, guarded, principal):
            verdict = evaluate_scps(path, Request(principal, action, resource))
            if verdict.decision is Decision.ALLOWED:
                continue
            fix = _any_account(principal)
            what = "would deny" if verdict.decision is Decision.DENIED else "may deny"
            return (
                f"guardrail not attached: it {what} {principal} {action} on {resource}"
                f" ({verdict.statement_id or verdict.reason}), which the next apply or verify"
                f" needs; add --approved-role {fix}"
            )
    return None


def _placement_note(target: OrgTarget, options: GuardrailOptions) -> list[str]:
    """Said when the lockout check had to assume where a principal's account sits."""
    if not options.target_ous:
        return []
    unknown = sorted(
        {
            arn_account(p)
            for p in _principals(target)
            if arn_account(p) != target.management_account
            and _parents(target, arn_account(p)) is None
        }
    )
    if not unknown:
        return []
    return [
        f"where account(s) {', '.join(unknown)} sit in the organisation was not read"
        " (organizations:ListOrganizationalUnitsForParent, ListAccountsForParent): the lockout"
        " check assumed them under --target-ous"
    ]


def _pattern_notes(target: OrgTarget, options: GuardrailOptions) -> list[str]:
    principals = _principals(target)
    # A role name nobody would pick: a pattern matching it exempts every role of every account.
    anyone = f"arn:{arn_parts(target.trail_arn)[1]}:iam::000000000000:role/x-any-role-x"
    broad = [
        f"--approved-role {pattern} exempts every role: the guardrail then stops nobody but"
        " IAM users and the root user; name the roles that may change the trail"
        for pattern in options.approved_roles
        if arn_like(pattern, anyone)
    ]
    return broad + [
        f"--approved-role {pattern} matches none of the principals trailwarden runs as"
        f" ({', '.join(principals) or 'none known'}): check it names the role you mean,"
        " a pattern that matches nobody exempts nobody"
        for pattern in options.approved_roles
        if not any(arn_like(pattern, p) for p in principals)
    ]


def _targets(target: OrgTarget, options: GuardrailOptions) -> list[str]:
    for ou in options.target_ous:
        if not _OU_ID.match(ou):
            raise UsageError(f"--target-ous {ou!r} is not an OU id (ou-xxxx-xxxxxxxx)")
    if options.target_ous:
        return list(dict.fromkeys(options.target_ous))
    roots = [r for r in target.org.root_ids if _ROOT_ID.match(r)]
    if not roots:
        raise UsageError(
            "the organisation's root id is unknown (organizations:ListRoots was not read):"
            " scan again with that permission, or attach to --target-ous"
        )
    return roots[:1]


def plan_guardrail(target: OrgTarget, options: GuardrailOptions) -> tuple[Guardrail, list[Step]]:
    """The guardrail and its steps; no steps when disabled or refused (``Guardrail.refused``).

    Raises ``UsageError`` for a malformed ``--approved-role`` or ``--target-ous``, or a policy
    over the SCP size limit."""
    try:
        guarded = protected(
            target.trail_arn, target.management_account, target.bucket, target.kms_key
        )
        document = guardrail_document(guarded, options.approved_roles)
        stand_in = guarded
        if guarded.kms_key:
            key = key_stand_in(guarded.kms_key, target.kms_key_account, guarded.partition)
            stand_in = replace(guarded, kms_key=key)
        evaluated = guardrail_document(stand_in, options.approved_roles)
    except GuardrailError as exc:
        raise UsageError(str(exc)) from None
    targets = _targets(target, options)
    guardrail = Guardrail(
        policy_name=options.policy_name,
        document=document,
        targets=targets,
        approved_roles=list(options.approved_roles),
        notes=_pattern_notes(target, options) + _placement_note(target, options),
    )
    if not options.enabled:
        return guardrail.model_copy(update={"targets": []}), []
    refused = _lockout(target, stand_in, evaluated, options)
    if refused is not None:
        return guardrail.model_copy(update={"refused": refused}), []
    return guardrail, _steps(target, options, document, targets)


def _steps(
    target: OrgTarget, options: GuardrailOptions, document: dict[str, object], targets: list[str]
) -> list[Step]:
    out = PartSteps("scp")

    def add(
        operation: str, params: dict[str, object], action: Action, reason: str, on: str
    ) -> None:
        out.add(
            target.management_account,
            target.home_region,
            "organizations",
            operation,
            dict(params),
            action,
            reason,
            on,
        )

    if target.org.scp_enabled is not True and target.org.root_ids:
        root = target.org.root_ids[0]
        known = "are not enabled" if target.org.scp_enabled is False else "could not be read"
        add(
            "EnablePolicyType",
            {"RootId": root, "PolicyType": SCP_TYPE},
            "update",
            f"service control policies {known} on the root; the guardrail needs them",
            root,
        )
    existing = next((p for p in target.org.policies or [] if p.name == options.policy_name), None)
    params: dict[str, object] = {
        "Name": options.policy_name,
        "Description": DESCRIPTION,
        "Type": SCP_TYPE,
        "Content": document,
        "Tags": [dict(MANAGED_TAG)],
    }
    if existing is None:
        add(
            "CreatePolicy",
            params,
            "create",
            "the guardrail SCP does not exist",
            options.policy_name,
        )
    else:
        same = existing.document == document
        add(
            "UpdatePolicy",
            params,
            "noop" if same else "update",
            "the guardrail SCP exists" + ("" if same else " with another document"),
            options.policy_name,
        )
    attached = set(existing.targets or []) if existing is not None else set()
    for where in targets:
        add(
            "AttachPolicy",
            {"PolicyId": scp_reference(options.policy_name), "TargetId": where},
            "noop" if where in attached else "create",
            f"the guardrail must apply to every account under {where}; {MANAGEMENT_ACCOUNT_NOTE}",
            where,
        )
    return out.steps
