"""The snapshot: everything the controls need, collected once; typed, versioned, JSON.

Collection writes it; every later stage (controls, plan, reports) reads only this. ``None`` always
means "could not be read" (the matching error is in ``errors``), never "absent": absence is an empty
list, ``False`` or an explicit field, so a control can tell "no" from "unknown".
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SNAPSHOT_SCHEMA = "trailwarden.snapshot/1"
# The error an account gets when the scan gave up on it (``--account-timeout``): one per account,
# and the explanation of every unknown in it.
ACCOUNT_TIMEOUT = "AccountTimeout"
ACCOUNT_TIMEOUT_OPERATION = "scan:AccountTimeout"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class TrailClass(enum.StrEnum):
    """Who owns a trail seen in an account and Region
    (docs/aws-facts/controls.md#org-trails-in-members)."""

    OWNED_HOME = "owned-home"  # this account's trail, in its home Region
    OWNED_SHADOW = "owned-shadow"  # this account's multi-Region trail, replica in another Region
    ORG_FOREIGN = "org-foreign"  # another account's (organisation) trail, visible but not ours


class ApiError(_Model):
    account: str
    region: str
    operation: str
    error: str
    code: str = ""


class TrailStatus(_Model):
    is_logging: bool
    latest_delivery_time: datetime | None = None
    latest_delivery_error: str | None = None
    latest_digest_delivery_time: datetime | None = None
    latest_digest_delivery_error: str | None = None
    latest_cloudwatch_logs_delivery_time: datetime | None = None
    latest_cloudwatch_logs_delivery_error: str | None = None
    start_logging_time: datetime | None = None
    stop_logging_time: datetime | None = None


class EventSelectors(_Model):
    """GetEventSelectors as returned: a trail has basic or advanced selectors, not both."""

    basic: list[dict[str, Any]] = Field(default_factory=list)
    advanced: list[dict[str, Any]] = Field(default_factory=list)


class Trail(_Model):
    """One trail, described once (by ARN), with the details read in its home Region."""

    arn: str
    name: str
    account: str  # the owner, from the ARN
    home_region: str
    is_multi_region: bool = False
    is_organization_trail: bool = False
    include_global_service_events: bool = False
    log_file_validation_enabled: bool = False
    kms_key_id: str | None = None
    cloudwatch_logs_log_group_arn: str | None = None
    cloudwatch_logs_role_arn: str | None = None
    s3_bucket_name: str | None = None
    s3_key_prefix: str | None = None
    sns_topic_arn: str | None = None
    # Details: None means "could not be read" (see errors).
    status: TrailStatus | None = None
    selectors: EventSelectors | None = None
    insight_selectors: list[dict[str, Any]] | None = None
    tags: dict[str, str] | None = None


class TrailSighting(_Model):
    """A trail as DescribeTrails(includeShadowTrails=True) showed it in one account and Region."""

    arn: str
    classification: TrailClass


class EventDataStore(_Model):
    arn: str
    name: str = ""
    # False: GetEventDataStore failed, so kms_key_id None means "unknown", not "no key".
    described: bool = True
    kms_key_id: str | None = None  # None (when described): the store uses AWS's default key
    key_manager: str | None = None  # CUSTOMER or AWS; None when the key could not be described


class RegionState(enum.StrEnum):
    SCANNED = "scanned"
    NOT_OPTED_IN = "not-opted-in"  # opt-in Region not enabled: reported, never scanned
    ERROR = "error"  # DescribeTrails failed: nothing is known about this Region


class RegionScan(_Model):
    account: str
    region: str
    state: RegionState
    trails: list[TrailSighting] = Field(default_factory=list)
    event_data_stores: list[EventDataStore] | None = None


class Bucket(_Model):
    """A trail's bucket. ``owned`` False: another account's (or unknown), so not evaluated."""

    name: str
    owned: bool | None  # None: ownership could not be established
    region: str | None = None
    public_access_block: dict[str, bool] | None = None  # bucket level; {} when none is set
    account_public_access_block: dict[str, bool] | None = None  # s3control; {} when none
    policy: dict[str, Any] | None = None  # {} when the bucket has no policy
    policy_is_public: bool | None = None
    acl_grants: list[dict[str, Any]] | None = None
    logging_enabled: bool | None = None
    logging_target: str | None = None
    encryption: list[dict[str, Any]] | None = None  # default encryption rules; [] when none
    exists: bool = True


class KmsKey(_Model):
    arn: str
    key_state: str | None = None
    key_manager: str | None = None


class MetricFilter(_Model):
    name: str
    pattern: str
    metrics: list[tuple[str, str]] = Field(default_factory=list)  # (metricName, metricNamespace)


class Alarm(_Model):
    name: str
    metric_name: str
    namespace: str
    actions: list[str] = Field(default_factory=list)
    actions_enabled: bool = True


class Topic(_Model):
    arn: str
    confirmed_subscriptions: int | None = None  # None: subscriptions could not be read
    pending_subscriptions: int = 0


class LogGroup(_Model):
    """A trail's CloudWatch Logs group and, for the CloudWatch.x chain, its filters and alarms."""

    arn: str
    name: str
    region: str
    account: str
    exists: bool | None = None  # None: could not be read
    retention_days: int | None = None
    metric_filters: list[MetricFilter] | None = None
    alarms: list[Alarm] | None = None
    topics: list[Topic] | None = None


class OrgAccount(_Model):
    """One account of the organisation as ListAccounts shows it."""

    id: str
    name: str = ""
    status: str = "ACTIVE"
    joined: datetime | None = None
    # Where it sits: the root's id, then each OU's id down to its parent (SCPs attached to any
    # of them apply to it). None: not read (the walk failed, or the account was not found).
    parents: list[str] | None = None


class ServiceControlPolicy(_Model):
    """An SCP the organisation holds, with where it is attached (``None``: could not read)."""

    id: str
    name: str
    arn: str = ""
    document: dict[str, Any] | None = None
    targets: list[str] | None = None  # root, OU and account ids it is attached to


class Organization(_Model):
    """The organisation as seen from the account the scan ran in (``scan --org``).

    Read only when the caller is the management or a delegated-administrator account; every
    ``None`` means "could not be read" and the matching error is in ``errors``.
    """

    id: str
    arn: str = ""
    feature_set: str = ""  # "ALL" or "CONSOLIDATED_BILLING"
    management_account_id: str
    caller_account_id: str
    caller_arn: str = ""  # GetCallerIdentity's Arn (an assumed-role session ARN for roles)
    root_ids: list[str] = Field(default_factory=list)
    scp_enabled: bool | None = None  # SERVICE_CONTROL_POLICY enabled on the root
    service_access: list[str] | None = None  # service principals with trusted access
    cloudtrail_delegated_admins: list[str] | None = None
    accounts: list[OrgAccount] = Field(default_factory=list)
    policies: list[ServiceControlPolicy] | None = None
    # Accounts with a Config recorder, per Region scanned (rules do nothing without one).
    config_recorders: dict[str, list[str]] | None = None  # account -> Regions recording
    errors: list[ApiError] = Field(default_factory=list)

    @property
    def caller_is_management(self) -> bool:
        return self.caller_account_id == self.management_account_id


class AccountScan(_Model):
    account: str
    name: str = ""
    reachable: bool = True  # False: credentials for the account could not be obtained
    regions_enabled: list[str] = Field(default_factory=list)
    regions_not_opted_in: list[str] = Field(default_factory=list)
    trails: list[Trail] = Field(default_factory=list)
    buckets: list[Bucket] = Field(default_factory=list)
    kms_keys: list[KmsKey] = Field(default_factory=list)
    log_groups: list[LogGroup] = Field(default_factory=list)
    # With --org: the Regions where an AWS Config recorder records (Organization.config_recorders
    # is built from these); None: not read.
    config_recording: list[str] | None = None


class Snapshot(_Model):
    schema_: str = Field(default=SNAPSHOT_SCHEMA, alias="schema")
    generated_at: datetime
    caller_account: str
    accounts: list[AccountScan] = Field(default_factory=list)
    regions: list[RegionScan] = Field(default_factory=list)
    errors: list[ApiError] = Field(default_factory=list)
    organization: Organization | None = None  # with ``scan --org`` from the management side

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def trail(self, account: str, arn: str) -> Trail | None:
        for acct in self.accounts:
            if acct.account == account:
                for trail in acct.trails:
                    if trail.arn == arn:
                        return trail
        return None
