"""The organisation-level proofs of ``verify --org``: the organisation trail, the guardrail SCP,
the conformance pack and the EventBridge rule, each PASS, FAIL or NOT_AVAILABLE with evidence.

A read that fails (access denied, throttled past the retries, a role that cannot be assumed) is
NOT_AVAILABLE with its error, never a PASS and never a FAIL: nothing was proved either way. The
AWS facts these checks rely on are in docs/aws-facts/organization-verify.md.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from trailwarden.arns import arn_account, arn_region
from trailwarden.aws.errors import error_code
from trailwarden.errors import TrailwardenError
from trailwarden.placeholders import parse_key_ref
from trailwarden.plan.model import Drift, Guardrail, OrgPlan
from trailwarden.verify.checks import Check

ORGANISATION = "organisation"  # the "account" of an organisation-level check
READ_ERRORS = (ClientError, BotoCoreError, TrailwardenError)
PACK_DEPLOYED = frozenset({"CREATE_SUCCESSFUL", "UPDATE_SUCCESSFUL"})
Clients = Callable[[str, str, str], Any]
"""``(account, region, service) -> client``."""


class Fail(Exception):
    """A check that did not pass; the message is its evidence."""


class NotFound(Fail):
    """What the plan names does not exist: a FAIL (a fact), not a read that failed."""


def unreadable(exc: BaseException) -> str:
    return "cannot read: " + " ".join(str(exc).split())


def run_check(account: str, name: str, run: Callable[[], str]) -> Check:
    try:
        return Check(account, name, "PASS", run())
    except Fail as exc:
        return Check(account, name, "FAIL", str(exc))
    except READ_ERRORS as exc:
        return Check(account, name, "NOT_AVAILABLE", unreadable(exc))


@dataclass
class TrailFacts:
    """What the trail checks learnt, for the per-account coverage."""

    name: str = ""
    started: datetime | None = None
    prefix: str = ""
    is_org_trail: bool = False
    unread: bool = False  # a trail read failed (NOT_AVAILABLE), as opposed to a finding
    why_not: str = "the organisation trail was not read"  # when ``started`` is None


@dataclass
class ScpFacts:
    """Which accounts the guardrail SCP reaches, for the per-account SCP column."""

    planned: bool = False
    read: bool = False
    whole_root: str | None = None  # the root id when the policy is attached to the root
    by_account: dict[str, str] = field(default_factory=dict)  # account -> "ou-..."/"account"


def _pages(client: Any, method: str, key: str, **params: Any) -> Iterable[dict[str, Any]]:
    for page in client.get_paginator(method).paginate(**params):
        yield from page.get(key, [])


class OrgChecks:
    """The organisation-level checks of one plan, read with ``clients``."""

    def __init__(self, clients: Clients, org: OrgPlan, global_region: str, caller: str) -> None:
        self.clients = clients
        self.caller = caller
        self.org = org
        self.global_region = global_region
        self.trail = TrailFacts()
        self.scp = ScpFacts(planned=org.guardrail is not None)
        self.pack_status: dict[str, str] = {}  # account -> detailed pack status
        self.notes: list[str] = []

    # Organizations and the organisation conformance pack answer the management account and
    # their delegated administrators alike: read with the caller's own credentials, whichever it
    # is. The EventBridge rule lives in the management account's home Region.
    def _org_client(self) -> Any:
        return self.clients(self.caller, self.global_region, "organizations")

    def _home(self, service: str) -> Any:
        account = self.caller if service == "config" else self.org.management_account
        return self.clients(account, self.org.home_region, service)

    def _resolved(self, value: Any) -> Any:
        """The planned document with a planned key's placeholders (``trailwarden.placeholders``)
        replaced by what apply wrote: the key's ARN or id, read by alias where the key lives."""
        if isinstance(value, dict):
            return {k: self._resolved(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolved(v) for v in value]
        ref = parse_key_ref(value)
        if ref is None:
            return value
        account = ref.account or self.org.log_archive_account or self.org.management_account
        kms = self.clients(account, ref.region, "kms")
        arn = str(kms.describe_key(KeyId=ref.alias)["KeyMetadata"]["Arn"])
        return arn if ref.kind == "alias" else arn.rsplit("/", 1)[-1]

    # --- the organisation trail -----------------------------------------------------------

    def trail_checks(self) -> list[Check]:
        arn = self.org.trail_arn
        cloudtrail = self.clients(arn_account(arn), arn_region(arn), "cloudtrail")
        got: dict[str, Any] = {}

        def exists() -> str:
            try:
                trail = cloudtrail.get_trail(Name=arn)["Trail"]
            except ClientError as exc:
                if error_code(exc) == "TrailNotFoundException":
                    raise NotFound(f"{arn}: TrailNotFoundException") from None
                raise
            got.update(trail)
            self.trail.name = str(trail.get("Name", ""))
            self.trail.prefix = str(trail.get("S3KeyPrefix") or "")
            bucket = trail.get("S3BucketName")
            if bucket != self.org.bucket:
                raise Fail(f"{arn} delivers to {bucket}, the plan says {self.org.bucket}")
            return f"{arn} delivers to s3://{bucket}/{self.trail.prefix}"

        def scope() -> str:
            if not got:
                raise Fail("the organisation trail was not read")
            org_trail, multi = got.get("IsOrganizationTrail"), got.get("IsMultiRegionTrail")
            self.trail.is_org_trail = bool(org_trail)
            if not org_trail or not multi:
                raise Fail(
                    f"IsOrganizationTrail {bool(org_trail)}, IsMultiRegionTrail {bool(multi)}"
                )
            return "IsOrganizationTrail true, IsMultiRegionTrail true: every account, every Region"

        def logging() -> str:
            try:
                status = cloudtrail.get_trail_status(Name=arn)
            except ClientError as exc:
                if error_code(exc) == "TrailNotFoundException":
                    self.trail.why_not = "the organisation trail does not exist"
                    raise NotFound(f"{arn}: TrailNotFoundException") from None
                self.trail.why_not = f"GetTrailStatus: {unreadable(exc)}"
                raise
            except READ_ERRORS as exc:
                self.trail.why_not = f"GetTrailStatus: {unreadable(exc)}"
                raise
            start = status.get("StartLoggingTime")
            if not status.get("IsLogging"):
                self.trail.why_not = "the organisation trail is not logging"
                raise Fail("IsLogging is false")
            if not isinstance(start, datetime):
                self.trail.why_not = "GetTrailStatus has no StartLoggingTime"
                raise Fail("IsLogging true but no StartLoggingTime")
            self.trail.started = start
            return f"IsLogging true since {start:%Y-%m-%dT%H:%M:%SZ} (StartLoggingTime)"

        checks = [
            run_check(ORGANISATION, "organisation trail exists", exists),
            run_check(ORGANISATION, "organisation trail covers every account and Region", scope),
            run_check(ORGANISATION, "organisation trail logging", logging),
        ]
        if checks[0].status == "NOT_AVAILABLE":
            checks[1] = Check(ORGANISATION, checks[1].name, "NOT_AVAILABLE", checks[0].evidence)
        self.trail.unread = any(c.status == "NOT_AVAILABLE" for c in checks)
        return checks

    # --- the guardrail SCP ----------------------------------------------------------------

    def guardrail_checks(self) -> list[Check]:
        guardrail = self.org.guardrail
        if guardrail is None:
            self.notes.append("guardrail SCP: not planned")
            return []
        found: dict[str, Any] = {}

        def content() -> str:
            policy = self._find_policy(guardrail)
            found.update(policy)
            live = json.loads(policy["Content"])
            if live != self._resolved(guardrail.document):
                raise Fail(
                    f"{guardrail.policy_name} ({policy['Id']}): content differs from the plan"
                )
            return f"{guardrail.policy_name} ({policy['Id']}): content as planned"

        def attached() -> str:
            if not found:
                raise Fail(f"{guardrail.policy_name} was not found")
            targets = list(
                _pages(
                    self._org_client(), "list_targets_for_policy", "Targets", PolicyId=found["Id"]
                )
            )
            self._reach(targets)
            live = {str(t["TargetId"]) for t in targets}
            missing = [t for t in guardrail.targets if t not in live]
            if missing:
                raise Fail(f"{guardrail.policy_name} not attached to {', '.join(missing)}")
            where = ", ".join(sorted(live)) or "nothing"
            return f"{guardrail.policy_name} attached to {where}"

        checks = [run_check(ORGANISATION, "guardrail SCP content as planned", content)]
        if guardrail.refused:
            self.notes.append(f"guardrail SCP: the plan does not attach it: {guardrail.refused}")
            return checks
        if checks[0].status == "NOT_AVAILABLE":
            return [
                checks[0],
                Check(
                    ORGANISATION,
                    "guardrail SCP attached as planned",
                    "NOT_AVAILABLE",
                    checks[0].evidence,
                ),
            ]
        checks.append(run_check(ORGANISATION, "guardrail SCP attached as planned", attached))
        return checks

    def _find_policy(self, guardrail: Guardrail) -> dict[str, Any]:
        org = self._org_client()
        listed = _pages(org, "list_policies", "Policies", Filter="SERVICE_CONTROL_POLICY")
        summary = next((p for p in listed if p.get("Name") == guardrail.policy_name), None)
        if summary is None:
            raise NotFound(f"no service control policy named {guardrail.policy_name}")
        policy = org.describe_policy(PolicyId=summary["Id"])["Policy"]
        return {"Id": summary["Id"], "Content": policy["Content"]}

    def _reach(self, targets: list[dict[str, Any]]) -> None:
        """Which accounts the attachments reach: the root reaches all, an OU every account
        below it (walked once per OU, not once per account), an account itself."""
        org = self._org_client()
        for target in targets:
            kind, target_id = target.get("Type"), str(target["TargetId"])
            if kind == "ROOT":
                self.scp.whole_root = target_id
            elif kind == "ACCOUNT":
                self.scp.by_account.setdefault(target_id, "attached to the account")
            elif kind == "ORGANIZATIONAL_UNIT":
                for account in self._accounts_below(org, target_id):
                    self.scp.by_account.setdefault(account, f"via {target_id}")
        self.scp.read = True

    def _accounts_below(self, org: Any, ou: str) -> list[str]:
        found: list[str] = []
        parents = [ou]
        while parents:
            parent = parents.pop()
            for child in _pages(
                org, "list_children", "Children", ParentId=parent, ChildType="ACCOUNT"
            ):
                found.append(str(child["Id"]))
            for child in _pages(
                org, "list_children", "Children", ParentId=parent, ChildType="ORGANIZATIONAL_UNIT"
            ):
                parents.append(str(child["Id"]))
        return found

    def scp_column(self, account: str) -> str:
        """The per-account SCP cell."""
        if not self.scp.planned:
            return "not planned"
        if account == self.org.management_account:
            return "exempt (management account)"
        if not self.scp.read:
            return "not read"
        if self.scp.whole_root:
            return f"via root {self.scp.whole_root}"
        return self.scp.by_account.get(account, "not attached")

    # --- drift detection ------------------------------------------------------------------

    def drift_checks(self, accounts: list[str]) -> list[Check]:
        drift = self.org.drift
        if drift is None:
            self.notes.append("drift detection (conformance pack, EventBridge rule): not planned")
            return []
        return [
            run_check(
                ORGANISATION, "conformance pack deployed", lambda: self._pack(drift, accounts)
            ),
            run_check(ORGANISATION, "EventBridge rule as planned", lambda: self._rule(drift)),
            run_check(
                ORGANISATION, "EventBridge rule targets the topic", lambda: self._target(drift)
            ),
        ]

    def _pack(self, drift: Drift, accounts: list[str]) -> str:
        config = self._home("config")
        name = drift.conformance_pack
        try:
            got = config.describe_organization_conformance_pack_statuses(
                OrganizationConformancePackNames=[name]
            )["OrganizationConformancePackStatuses"]
        except ClientError as exc:
            if error_code(exc) == "NoSuchOrganizationConformancePackException":
                raise NotFound(f"no organisation conformance pack named {name}") from None
            raise
        status = str(got[0].get("Status", "?")) if got else "?"
        if status not in PACK_DEPLOYED:
            raise Fail(f"{name}: {status} {got[0].get('ErrorMessage', '') if got else ''}".strip())
        self.pack_status = self._pack_detail(config, name)
        failed = sorted(a for a, s in self.pack_status.items() if s not in PACK_DEPLOYED)
        if failed:
            raise Fail(
                f"{name}: {status}, not deployed in "
                + ", ".join(f"{a} ({self.pack_status[a]})" for a in failed)
            )
        unknown = len([a for a in accounts if a not in self.pack_status])
        tail = f"; no per-account status yet for {unknown} account(s)" if unknown else ""
        return f"{name}: {status}, deployed in {len(self.pack_status)} account(s){tail}"

    @staticmethod
    def _pack_detail(config: Any, name: str) -> dict[str, str]:
        """Account -> status, from the paginated detailed status (100 a page, AWS's maximum)."""
        found: dict[str, str] = {}
        token: str | None = None
        while True:
            params: dict[str, Any] = {"OrganizationConformancePackName": name, "Limit": 100}
            if token:
                params["NextToken"] = token
            page = config.get_organization_conformance_pack_detailed_status(**params)
            for entry in page.get("OrganizationConformancePackDetailedStatuses", []):
                found[str(entry["AccountId"])] = str(entry.get("Status", "?"))
            token = page.get("NextToken")
            if not token:
                return found

    def _rule(self, drift: Drift) -> str:
        events = self._home("events")
        try:
            rule = events.describe_rule(Name=drift.event_rule)
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                raise NotFound(f"no EventBridge rule {drift.event_rule}") from None
            raise
        if rule.get("State") != "ENABLED":
            raise Fail(f"{drift.event_rule} is {rule.get('State')}")
        if json.loads(rule.get("EventPattern") or "null") != self._resolved(drift.event_pattern):
            raise Fail(f"{drift.event_rule}: EventPattern differs from the plan")
        return f"{drift.event_rule}: ENABLED, EventPattern as planned"

    def _target(self, drift: Drift) -> str:
        if drift.topic_arn is None:
            raise Fail("the plan names no topic for the rule")
        events = self._home("events")
        targets = list(_pages(events, "list_targets_by_rule", "Targets", Rule=drift.event_rule))
        if not any(t.get("Arn") == drift.topic_arn for t in targets):
            arns = ", ".join(str(t.get("Arn")) for t in targets) or "no target"
            raise Fail(f"{drift.event_rule} targets {arns}, not {drift.topic_arn}")
        return f"{drift.event_rule} -> {drift.topic_arn}"
