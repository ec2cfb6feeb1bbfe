"""What the parts of an organisation plan share: the trail they protect and the options.

``build`` (the organisation trail, prerequisites, migration) fills an ``OrgTarget`` once; the
guardrail (``guardrail.plan_guardrail``) and drift (``drift.plan_drift``) parts read it and return
their section of ``OrgPlan`` with their steps. Step ids are ``ACCOUNT:PART-NN`` (``scp-01``,
``drift-01``), unique in the plan and stable for apply's journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trailwarden.plan.model import Action, Step
from trailwarden.policies.scp import POLICY_NAME
from trailwarden.snapshot.model import Organization


@dataclass(frozen=True)
class OrgTarget:
    """The organisation trail and the resources it writes to, as the plan will leave them."""

    org: Organization
    management_account: str
    home_region: str
    trail_name: str
    trail_arn: str
    bucket: str
    bucket_account: str  # the log-archive account, or the management account
    bucket_region: str
    # The key's ARN, or a ``${kms-alias:REGION:ALIAS}`` placeholder when the plan creates it;
    # None: the trail is not encrypted with a customer managed key.
    kms_key: str | None
    kms_key_account: str
    topic_arn: str | None  # the alarm topic in the management account's home Region
    accounts: tuple[str, ...]  # every ACTIVE account, the management account included
    # The principals apply and verify will act as: the caller's, and the role assumed in each
    # other account (arn:PARTITION:iam::ACCOUNT:role/ROLE_NAME). The guardrail must not deny them.
    runner_principals: tuple[str, ...]


@dataclass(frozen=True)
class GuardrailOptions:
    enabled: bool = True
    approved_roles: tuple[
        str, ...
    ] = ()  # aws:PrincipalArn patterns (ArnLike), e.g. arn:aws:iam::*:role/X
    target_ous: tuple[str, ...] = ()  # empty: attach to the organisation's root
    policy_name: str = POLICY_NAME  # the SCP's name: apply finds it by this name


@dataclass(frozen=True)
class DriftOptions:
    enabled: bool = True


@dataclass
class PartSteps:
    """A part's steps as it adds them, numbered per account: ``ACCOUNT:PART-NN``."""

    part: str  # "scp", "drift"
    steps: list[Step] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        account: str,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        action: Action,
        reason: str,
        target: str,
        covered_by: str | None = None,
    ) -> None:
        n = self.numbers[account] = self.numbers.get(account, 0) + 1
        self.steps.append(
            Step(
                id=f"{account}:{self.part}-{n:02d}",
                account=account,
                region=region,
                action=action,
                service=service,
                operation=operation,
                params=params,
                reason=reason,
                # The organisation's parts make no control pass; they keep the trail passing.
                controls=[],
                target=target,
                covered_by=covered_by,
            )
        )
