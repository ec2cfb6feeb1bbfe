"""What every step handler gets: clients for one account, a call counter, placeholders, facts,
and how long to wait for a change AWS finishes in the background (``apply.waiting``).

``CountingAccess`` counts every API call made through it per account (botocore's ``before-call``
event fires once per logical call, retries excluded), so plan and apply can report their cost in
calls; the policy-coverage test reads the same counter. ``Facts`` are what earlier steps learnt
(a key created, a log group created, a subscription ARN): they go into the journal so that a rerun
after a failure knows them too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from trailwarden.apply.waiting import Patience
from trailwarden.arns import arn_region
from trailwarden.aws.session import AwsAccess
from trailwarden.placeholders import parse_key_ref, parse_scp_ref
from trailwarden.policies.permissions import IDENTITY, Grant, grant

T = TypeVar("T")


class CountingAccess(AwsAccess):
    """The ``AwsAccess`` apply, plan and verify run with (every ``AwsAccess`` counts its calls),
    with the grant it needs itself."""

    # Before any step, the access learns which account the credentials belong to; a plan with
    # steps in other accounts (an organisation plan: the log-archive account, members' duplicate
    # trails) reaches them through the role --role-name names.
    needs: tuple[Grant, ...] = (grant(IDENTITY, "sts:GetCallerIdentity", "sts:AssumeRole"),)


class UnresolvedReference(Exception):
    """A ``${kms-alias:...}`` or ``${scp:...}`` placeholder whose thing does not exist (yet)."""


@dataclass
class Facts:
    """Learnt while applying; persisted in the journal and read back on a rerun."""

    kms_keys: dict[str, str] = field(default_factory=dict)  # alias -> key ARN we created
    created_log_groups: set[str] = field(default_factory=set)
    subscriptions: list[str] = field(default_factory=list)  # subscription ARNs we created

    def update(self, raw: dict[str, Any]) -> None:
        self.kms_keys.update(raw.get("kms_keys", {}))
        self.created_log_groups.update(raw.get("created_log_groups", []))
        for arn in raw.get("subscriptions", []):
            if arn not in self.subscriptions:
                self.subscriptions.append(arn)


class AccountContext:
    """Clients, memo and placeholder resolution for the steps of one account."""

    def __init__(
        self, access: AwsAccess, account: str, facts: Facts, patience: Patience | None = None
    ) -> None:
        self.access = access
        self.account = account
        self.facts = facts
        self.patience = patience or Patience()  # how long a write waits for a background change
        self.alarm_names: list[str] = []  # read in one DescribeAlarms call
        self._memo: dict[tuple[str, ...], Any] = {}

    def client(self, region: str, service: str) -> Any:
        return self.access.client(self.account, region, service)

    def memo(self, key: tuple[str, ...], compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def forget(self, *key: str) -> None:
        """Drop memoised reads whose key starts with ``key`` (after a write changed them)."""
        for k in [k for k in self._memo if k[: len(key)] == key]:
            del self._memo[k]

    def resolve(self, value: Any) -> Any:
        """Replace the plan's placeholders (recursively, ``trailwarden.placeholders``): a
        planned key's ARN or id, an SCP's id."""
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, str):
            key = parse_key_ref(value)
            if key is not None:
                arn = self.key_arn(key.region, key.alias, key.account)
                return arn if key.kind == "alias" else arn.rsplit("/", 1)[-1]
            scp = parse_scp_ref(value)
            if scp is not None:
                return self.scp_id(scp)
        return value

    def scp_id(self, name: str) -> str:
        """The id of the SCP named ``name`` (ListPolicies, memoised until ``forget("scp")``)."""

        def lookup() -> dict[str, str]:
            # Organizations is global: any Region of the partition reaches its one endpoint.
            orgs = self.client(self.access.default_region, "organizations")
            pages = orgs.get_paginator("list_policies").paginate(Filter="SERVICE_CONTROL_POLICY")
            return {p["Name"]: p["Id"] for page in pages for p in page.get("Policies", [])}

        found = self.memo(("scp",), lookup).get(name)
        if found is None:
            raise UnresolvedReference(f"no service control policy is named {name} yet")
        return found

    def concrete_key(self, key: str, default_region: str) -> str:
        """A key ARN for a key given by alias (name or ARN): what GetKeyPolicy and GetTrail use."""
        if ":alias/" not in key and not key.startswith("alias/"):
            return key
        region = arn_region(key) if key.startswith("arn:") else default_region
        return self.key_arn(region, key)

    def key_arn(self, region: str, alias: str, account: str | None = None) -> str:
        owner = account or self.account

        def lookup() -> str | None:
            from botocore.exceptions import ClientError

            kms = self.access.client(owner, region, "kms")
            try:
                return str(kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"])
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") == "NotFoundException":
                    return None
                raise

        arn = self.memo(("kms-alias", region, alias, owner), lookup)
        if arn is None:
            raise UnresolvedReference(f"no KMS key has alias {alias} in {region} of {owner} yet")
        return arn
