"""The organisation's facts (``scan --org``, ``plan --org-trail``), read from the caller's account.

What an organisation trail, its guardrail and drift rules depend on (docs/org.md#facts): the
organisation and its feature set, who the caller is, the root and whether SCPs are enabled on it,
which services have trusted access, CloudTrail's delegated administrators, the accounts with
when they joined and the root and OUs above each, the SCPs with where they are attached, and per
account and Region whether an AWS Config recorder is recording. Each read is declared
(scan-policy.json); a read that fails leaves its field ``None`` and records the error, never
"absent".

Only the management account or a CloudTrail delegated administrator gets an ``Organization``:
anyone else gets ``None`` and one error that says what is needed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from trailwarden.aws.errors import AWS_ERRORS
from trailwarden.collect.reads import ReadContext, api_error, declare
from trailwarden.policies.permissions import SCAN_ORGANISATION
from trailwarden.snapshot.model import ApiError, OrgAccount, Organization, ServiceControlPolicy

CLOUDTRAIL = "cloudtrail.amazonaws.com"
SCP = "SERVICE_CONTROL_POLICY"

DESCRIBE_ORGANIZATION = declare("organizations:DescribeOrganization", statement=SCAN_ORGANISATION)
# Made once by AwsAccess.caller_account() (the caller and its ARN); declared here for the policy.
GET_CALLER_IDENTITY = declare("sts:GetCallerIdentity", statement=SCAN_ORGANISATION)
LIST_ROOTS = declare("organizations:ListRoots", statement=SCAN_ORGANISATION)
LIST_SERVICE_ACCESS = declare(
    "organizations:ListAWSServiceAccessForOrganization", statement=SCAN_ORGANISATION
)
LIST_DELEGATED_ADMINS = declare(
    "organizations:ListDelegatedAdministrators", statement=SCAN_ORGANISATION
)
LIST_ORG_ACCOUNTS = declare("organizations:ListAccounts", statement=SCAN_ORGANISATION)
LIST_OUS = declare("organizations:ListOrganizationalUnitsForParent", statement=SCAN_ORGANISATION)
LIST_ACCOUNTS_FOR_PARENT = declare(
    "organizations:ListAccountsForParent", statement=SCAN_ORGANISATION
)
LIST_POLICIES = declare("organizations:ListPolicies", statement=SCAN_ORGANISATION)
DESCRIBE_POLICY = declare("organizations:DescribePolicy", statement=SCAN_ORGANISATION)
LIST_TARGETS_FOR_POLICY = declare("organizations:ListTargetsForPolicy", statement=SCAN_ORGANISATION)
DESCRIBE_RECORDERS = declare("config:DescribeConfigurationRecorders")
DESCRIBE_RECORDER_STATUS = declare("config:DescribeConfigurationRecorderStatus")

# The error a caller that may not act for the organisation gets (operation names the check).
NOT_ADMIN_CODE = "NotManagementOrDelegatedAdmin"


def _pages(client: Any, operation: str, key: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


class OrganizationReader:
    """Reads the organisation through a ``ReadContext`` (the collector's), from ``caller``."""

    def __init__(self, ctx: ReadContext, caller: str, region: str) -> None:
        self.ctx = ctx
        self.caller = caller
        self.region = region
        self.errors: list[ApiError] = []

    def _call(self, read: Any, fn: Any) -> Any:
        try:
            return fn()
        except AWS_ERRORS as exc:
            self.errors.append(api_error(self.caller, self.region, read.label, exc))
            return None

    def read(self) -> tuple[Organization | None, list[ApiError]]:
        """The organisation, or None with the errors saying why (not in one, not its admin)."""
        orgs = self.ctx.client(self.caller, self.region, "organizations")
        described = self._call(DESCRIBE_ORGANIZATION, lambda: orgs.describe_organization())
        if described is None:
            return None, self.errors
        raw = described["Organization"]
        management = str(raw.get("MasterAccountId", ""))
        admins = self._call(
            LIST_DELEGATED_ADMINS,
            lambda: _pages(
                orgs,
                "list_delegated_administrators",
                "DelegatedAdministrators",
                ServicePrincipal=CLOUDTRAIL,
            ),
        )
        admin_ids = None if admins is None else sorted(str(a["Id"]) for a in admins)
        if self.caller != management and self.caller not in (admin_ids or []):
            self.errors.append(
                ApiError(
                    account=self.caller,
                    region=self.region,
                    operation=DESCRIBE_ORGANIZATION.label,
                    code=NOT_ADMIN_CODE,
                    error=(
                        f"account {self.caller} is neither the management account {management}"
                        f" of organisation {raw.get('Id')} nor a CloudTrail delegated"
                        " administrator: run from the management account, or register this"
                        " account with organizations register-delegated-administrator"
                        f" --service-principal {CLOUDTRAIL}"
                    ),
                )
            )
            return None, self.errors
        org = Organization(
            id=str(raw["Id"]),
            arn=str(raw.get("Arn", "")),
            feature_set=str(raw.get("FeatureSet", "")),
            management_account_id=management,
            caller_account_id=self.caller,
            caller_arn=self.ctx.access.caller_arn(),  # read once, when the scan began
            cloudtrail_delegated_admins=admin_ids,
        )
        roots = self._call(LIST_ROOTS, lambda: _pages(orgs, "list_roots", "Roots"))
        if roots is not None:
            org.root_ids = [str(r["Id"]) for r in roots]
            org.scp_enabled = any(
                t.get("Type") == SCP and t.get("Status") == "ENABLED"
                for r in roots
                for t in r.get("PolicyTypes", [])
            )
        access = self._call(
            LIST_SERVICE_ACCESS,
            lambda: _pages(
                orgs, "list_aws_service_access_for_organization", "EnabledServicePrincipals"
            ),
        )
        if access is not None:
            org.service_access = sorted(str(a["ServicePrincipal"]) for a in access)
        accounts = self._call(LIST_ORG_ACCOUNTS, lambda: _pages(orgs, "list_accounts", "Accounts"))
        if accounts is not None:
            org.accounts = sorted(
                (_account(a) for a in accounts), key=lambda a: a.id
            )  # an unread list stays empty: the error says why
        paths = self._parents(orgs, org.root_ids) if org.root_ids else None
        for account in org.accounts:
            account.parents = None if paths is None else paths.get(account.id)
        org.policies = self._policies(orgs) if org.feature_set == "ALL" else []
        org.errors = list(self.errors)
        return org, self.errors

    def _parents(self, orgs: Any, roots: list[str]) -> dict[str, list[str]] | None:
        """Account id -> the ids from its root down to its parent, walking the tree: two
        listings per root and OU (however many accounts), not one call per account. None when a
        listing failed: a partial tree would place accounts wrongly."""
        found: dict[str, list[str]] = {}
        todo = [[root] for root in roots]
        while todo:
            path = todo.pop()
            here = path[-1]
            accounts = self._call(
                LIST_ACCOUNTS_FOR_PARENT,
                lambda p=here: _pages(orgs, "list_accounts_for_parent", "Accounts", ParentId=p),
            )
            units = self._call(
                LIST_OUS,
                lambda p=here: _pages(
                    orgs,
                    "list_organizational_units_for_parent",
                    "OrganizationalUnits",
                    ParentId=p,
                ),
            )
            if accounts is None or units is None:
                return None
            found.update((str(a["Id"]), path) for a in accounts)
            todo.extend([*path, str(unit["Id"])] for unit in units)
        return found

    def _policies(self, orgs: Any) -> list[ServiceControlPolicy] | None:
        listed = self._call(
            LIST_POLICIES, lambda: _pages(orgs, "list_policies", "Policies", Filter=SCP)
        )
        if listed is None:
            return None
        policies = []
        for item in listed:
            policy_id = str(item["Id"])
            scp = ServiceControlPolicy(
                id=policy_id, name=str(item.get("Name", "")), arn=str(item.get("Arn", ""))
            )
            got = self._call(DESCRIBE_POLICY, lambda p=policy_id: orgs.describe_policy(PolicyId=p))
            if got is not None:
                scp.document = _json(got["Policy"].get("Content"))
            targets = self._call(
                LIST_TARGETS_FOR_POLICY,
                lambda p=policy_id: _pages(orgs, "list_targets_for_policy", "Targets", PolicyId=p),
            )
            if targets is not None:
                scp.targets = sorted(str(t["TargetId"]) for t in targets)
            policies.append(scp)
        return policies


def recording(ctx: ReadContext, account: str, region: str) -> bool | None:
    """Whether an AWS Config recorder exists and records in this account and Region; None (the
    error recorded on ``ctx``) when that could not be read: unknown, not "no recorder"."""
    config = ctx.client(account, region, "config")
    recorders = ctx.call(
        account,
        region,
        DESCRIBE_RECORDERS,
        lambda: config.describe_configuration_recorders().get("ConfigurationRecorders", []),
    )
    if recorders is None or not recorders:
        return None if recorders is None else False
    status = ctx.call(
        account,
        region,
        DESCRIBE_RECORDER_STATUS,
        lambda: config.describe_configuration_recorder_status().get(
            "ConfigurationRecordersStatus", []
        ),
    )
    return None if status is None else any(s.get("recording") for s in status)


def recorder_errors(errors: Sequence[ApiError]) -> list[ApiError]:
    labels = {DESCRIBE_RECORDERS.label, DESCRIBE_RECORDER_STATUS.label}
    return [e for e in errors if e.operation in labels]


def not_admin(errors: Sequence[ApiError]) -> ApiError | None:
    """The error that says the caller may not act for the organisation, if there is one."""
    return next((e for e in errors if e.code == NOT_ADMIN_CODE), None)


def organisation_error(errors: Sequence[ApiError]) -> str | None:
    """One line: why there is no ``Organization`` (for ``plan --org-trail`` to stop with)."""
    admin = not_admin(errors)
    if admin is not None:
        return admin.error
    described = next((e for e in errors if e.operation == DESCRIBE_ORGANIZATION.label), None)
    if described is None:
        return None
    if described.code == "AWSOrganizationsNotInUseException":
        return (
            f"account {described.account} is not in an organisation"
            " (AWSOrganizationsNotInUseException): create one in AWS Organizations, or plan"
            " one account's trail without --org-trail"
        )
    return (
        f"cannot read the organisation from account {described.account}"
        f" ({described.code}): {described.error}"
    )


def _account(raw: dict[str, Any]) -> OrgAccount:
    joined = raw.get("JoinedTimestamp")
    return OrgAccount(
        id=str(raw["Id"]),
        name=str(raw.get("Name", "")),
        status=str(raw.get("Status", "ACTIVE")),
        joined=joined if isinstance(joined, datetime) else None,
    )


def _json(content: Any) -> dict[str, Any] | None:
    try:
        doc = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None
