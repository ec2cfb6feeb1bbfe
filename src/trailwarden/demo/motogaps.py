"""Teach the in-process moto server what real AWS answers where moto 5.2.5 differs.

Each patch below closes one gap from the moto table in docs/aws-facts/moto.md#gaps and is
tagged with its letter (a)-(g), so a test and a reader can find it. The patches change moto's
*backend classes* in this process, so they only reach a ``ThreadedMotoServer`` running in the
same process (``trailwarden.demo.server.moto_server()`` calls ``teach_moto()``). The product never
sees them: it talks to the server over HTTP exactly as it talks to AWS.

State the patches keep (event data stores, seeded delivery fields, confirmation tokens) lives
on moto's own backend objects, so ``/moto-api/reset`` forgets it together with everything else.

Two rows of the table (written for moto 5.2.1) are already right in 5.2.5 and need no patch;
tests/demo/test_motogaps.py locks both in so an upgrade that regresses them is caught:
(b) StartLogging/StopLogging accept a trail ARN and raise TrailNotFoundException for an unknown
trail; (e) GetBucketPolicyStatus computes IsPublic from the policy (moto.s3.utils).
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import moto
from moto.cloudtrail.exceptions import TrailNotFoundException
from moto.cloudtrail.models import CloudTrailBackend, Trail, TrailStatus, cloudtrail_backends
from moto.cloudtrail.responses import CloudTrailResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.organizations.models import organizations_backends
from moto.sns.exceptions import SNSInvalidParameter
from moto.sns.models import SNSBackend, Topic, sns_backends
from moto.sns.responses import SNSResponse

from trailwarden.demo.motogaps_alarms import teach_alerting
from trailwarden.demo.motogaps_drift import teach_drift
from trailwarden.demo.motogaps_org import teach_organizations

MOTO_VERSION = "5.2.5"  # the version these patches were read against (pinned in pyproject)
_lock = threading.Lock()
_taught = False

# What AWS returns from GetEventSelectors for a trail nobody called PutEventSelectors on
# (botocore PutEventSelectors doc: "all read and write management events").
DEFAULT_EVENT_SELECTORS: list[dict[str, Any]] = [
    {
        "ReadWriteType": "All",
        "IncludeManagementEvents": True,
        "DataResources": [],
        "ExcludeManagementEventSources": [],
    }
]

# The GetTrailStatus members moto never returns; (g) lets a test seed them per trail ARN.
DELIVERY_FIELDS = frozenset(
    {
        "LatestDeliveryError",
        "LatestDeliveryTime",
        "LatestNotificationError",
        "LatestCloudWatchLogsDeliveryError",
        "LatestCloudWatchLogsDeliveryTime",
        "LatestDigestDeliveryError",
        "LatestDigestDeliveryTime",
    }
)

# SNS protocols whose subscriptions AWS holds in PendingConfirmation until the endpoint confirms.
CONFIRMED_PROTOCOLS = frozenset({"email", "email-json", "http", "https"})


def teach_moto() -> None:
    """Apply every patch once; later calls do nothing."""
    global _taught
    with _lock:
        if _taught:
            return
        if moto.__version__ != MOTO_VERSION:
            warnings.warn(
                f"trailwarden's moto patches were written for moto {MOTO_VERSION}, "
                f"found {moto.__version__}; the demo may not match AWS",
                stacklevel=2,
            )
        _teach_default_event_selectors()
        _teach_event_data_stores()
        _teach_secure_transport()
        _teach_organization_trails()
        _teach_sns_pending_confirmation()
        _teach_trail_delivery_status()
        teach_alerting()  # (i)-(k), demo/motogaps_alarms.py
        teach_drift()  # (w), demo/motogaps_drift.py
        teach_organizations()  # (m), demo/motogaps_org.py
        _taught = True


# (a) A trail without PutEventSelectors returns the default all-management basic selector, and
# a trail holds basic OR advanced selectors (PutEventSelectors replaces the other kind).
def _teach_default_event_selectors() -> None:
    original_init = Trail.__init__

    def __init__(self: Trail, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        self.event_selectors = copy.deepcopy(DEFAULT_EVENT_SELECTORS)

    def put_event_selectors(
        self: Trail, event_selectors: list[dict[str, Any]], advanced: list[dict[str, Any]]
    ) -> None:
        if event_selectors:
            self.event_selectors, self.advanced_event_selectors = event_selectors, []
        elif advanced:
            self.event_selectors, self.advanced_event_selectors = [], advanced

    setattr(Trail, "__init__", __init__)  # noqa: B010 - assigning to a method needs setattr
    setattr(Trail, "put_event_selectors", put_event_selectors)  # noqa: B010


# (c) CloudTrail Lake: moto answers ListEventDataStores with HTTP 500 (NotImplementedError).
# A tiny store per account and Region backs Create/Get/ListEventDataStores so a test can seed an
# event data store with or without KmsKeyId (CloudTrail.10).
class EventDataStoreNotFound(JsonRESTError):
    code = 400

    def __init__(self, name: str) -> None:
        super().__init__("EventDataStoreNotFoundException", f"Event data store {name} not found")


class EventDataStoreAlreadyExists(JsonRESTError):
    code = 400

    def __init__(self, name: str) -> None:
        super().__init__(
            "EventDataStoreAlreadyExistsException", f"Event data store {name} already exists"
        )


def _event_data_stores(backend: CloudTrailBackend) -> dict[str, dict[str, Any]]:
    stores: dict[str, dict[str, Any]] = backend.__dict__.setdefault("_tw_event_data_stores", {})
    return stores


def _teach_event_data_stores() -> None:
    def backend(self: CloudTrailResponse) -> CloudTrailBackend:
        return cloudtrail_backends[self.current_account][self.region]

    def create_event_data_store(self: CloudTrailResponse) -> ActionResult:
        stores = _event_data_stores(backend(self))
        name = self._get_param("Name")
        if any(s["Name"] == name for s in stores.values()):
            raise EventDataStoreAlreadyExists(name)
        now = datetime.now(UTC)
        account, region = self.current_account, self.region
        arn = f"arn:aws:cloudtrail:{region}:{account}:eventdatastore/{uuid.uuid4()}"
        store = {
            "EventDataStoreArn": arn,
            "Name": name,
            "Status": "ENABLED",
            "AdvancedEventSelectors": self._get_param("AdvancedEventSelectors")
            or [
                {
                    "Name": "Default management events",
                    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
                }
            ],
            "MultiRegionEnabled": self._get_param("MultiRegionEnabled", True),
            "OrganizationEnabled": self._get_param("OrganizationEnabled", False),
            "RetentionPeriod": self._get_param("RetentionPeriod", 2557),
            "TerminationProtectionEnabled": self._get_param("TerminationProtectionEnabled", True),
            "CreatedTimestamp": now,
            "UpdatedTimestamp": now,
            "BillingMode": self._get_param("BillingMode", "EXTENDABLE_RETENTION_PRICING"),
        }
        if self._get_param("KmsKeyId"):
            store["KmsKeyId"] = self._get_param("KmsKeyId")
        stores[arn] = store
        return ActionResult(store)

    def find(self: CloudTrailResponse) -> dict[str, Any]:
        wanted = self._get_param("EventDataStore")
        for arn, store in _event_data_stores(backend(self)).items():
            if wanted in (arn, arn.rsplit("/", 1)[-1], store["Name"]):
                return store
        raise EventDataStoreNotFound(wanted)

    def get_event_data_store(self: CloudTrailResponse) -> ActionResult:
        return ActionResult(find(self))

    def list_event_data_stores(self: CloudTrailResponse) -> ActionResult:
        stores = list(_event_data_stores(backend(self)).values())
        return ActionResult({"EventDataStores": stores})

    CloudTrailResponse.create_event_data_store = create_event_data_store  # type: ignore[attr-defined]
    CloudTrailResponse.get_event_data_store = get_event_data_store  # type: ignore[attr-defined]
    CloudTrailResponse.list_event_data_stores = list_event_data_stores  # type: ignore[attr-defined]


# (d) Organisation trails. Real AWS shows an organisation trail created by the management account
# in DescribeTrails(includeShadowTrails=True) of every member account, in every Region when it is
# multi-Region, with the management account's ARN. Members may read it by ARN (GetTrail,
# GetTrailStatus, GetEventSelectors, GetInsightSelectors, ListTags) but never change it.
class NotOrganizationMasterAccount(JsonRESTError):
    code = 400

    def __init__(self, arn: str) -> None:
        super().__init__(
            "NotOrganizationMasterAccountException",
            f"The trail {arn} is an organization trail; only the organization's management "
            "account can change it.",
        )


def _management_account_of(account_id: str) -> str | None:
    """The management account of the organisation ``account_id`` is a live member of."""
    entry = organizations_backends.master_accounts.get(account_id)
    if entry is None:
        return None
    master_id, partition = entry
    org_backend = organizations_backends[master_id][partition]
    # master_accounts survives /moto-api/reset; only trust it if the organisation still exists.
    if org_backend.org is None or all(a.id != account_id for a in org_backend.accounts):
        return None
    return str(master_id)


def foreign_organization_trails(backend: CloudTrailBackend) -> list[Trail]:
    """Organisation trails a member account sees in this Region (owned by its management)."""
    master = _management_account_of(backend.account_id)
    if master is None or master == backend.account_id:
        return []
    seen: list[Trail] = []
    for regional in list(cloudtrail_backends[master].values()):
        for trail in list(regional.trails.values()):
            if trail.is_org_trail and (
                trail.is_multi_region or trail.region_name == backend.region_name
            ):
                seen.append(trail)
    return seen


def _foreign_by_arn(backend: CloudTrailBackend, arn: str) -> Trail | None:
    return next((t for t in foreign_organization_trails(backend) if t.arn == arn), None)


def _teach_organization_trails() -> None:
    own_describe = CloudTrailBackend.describe_trails
    own_get_trail = CloudTrailBackend.get_trail
    own_list_tags = CloudTrailBackend.list_tags

    def describe_trails(self: CloudTrailBackend, include_shadow_trails: bool) -> list[Trail]:
        trails = list(own_describe(self, include_shadow_trails))
        if include_shadow_trails:
            trails.extend(foreign_organization_trails(self))
        return trails

    def get_trail(self: CloudTrailBackend, name_or_arn: str) -> Trail:
        try:
            return own_get_trail(self, name_or_arn)
        except TrailNotFoundException:
            foreign = _foreign_by_arn(self, name_or_arn)
            if foreign is None:
                raise
            return foreign

    def get_trail_status(self: CloudTrailBackend, name: str) -> TrailStatus:
        # Own trails (and same-account shadows) by name or ARN; organisation trails only by ARN,
        # as AWS documents for member accounts.
        for trail in own_describe(self, True):
            if name in (trail.trail_name, trail.arn):
                return trail.status
        foreign = _foreign_by_arn(self, name)
        if foreign is not None:
            return foreign.status
        if name.startswith("arn:"):
            raise TrailNotFoundException(account_id=self.account_id, name=name)
        arn = f"arn:aws:cloudtrail:{self.region_name}:{self.account_id}:trail/{name}"
        raise TrailNotFoundException(account_id=self.account_id, name=arn)

    def list_tags(self: CloudTrailBackend, resource_id_list: list[str]) -> list[dict[str, Any]]:
        result = own_list_tags(self, resource_id_list)
        for item in result:
            foreign = _foreign_by_arn(self, item["ResourceId"])
            if foreign is not None:
                owner = cloudtrail_backends[foreign.account_id][foreign.region_name]
                tags = owner.tagging_service.list_tags_for_resource(foreign.arn)
                item["TagsList"] = tags["TagsList"]
        return result

    def guarded(method: Callable[..., Any], key: str) -> Callable[..., Any]:
        """Refuse a mutation whose target is an organisation trail seen from a member."""

        def wrapper(self: CloudTrailBackend, *args: Any, **kwargs: Any) -> Any:
            target = kwargs.get(key, args[0] if args else None)
            if isinstance(target, str) and _foreign_by_arn(self, target) is not None:
                raise NotOrganizationMasterAccount(target)
            return method(self, *args, **kwargs)

        return wrapper

    mutations = {
        "start_logging": "name",
        "stop_logging": "name",
        "delete_trail": "name",
        "update_trail": "name",
        "put_event_selectors": "trail_name",
        "put_insight_selectors": "trail_name",
        "add_tags": "resource_id",
        "remove_tags": "resource_id",
    }
    for name, key in mutations.items():
        setattr(CloudTrailBackend, name, guarded(getattr(CloudTrailBackend, name), key))
    setattr(CloudTrailBackend, "describe_trails", describe_trails)  # noqa: B010
    setattr(CloudTrailBackend, "get_trail", get_trail)  # noqa: B010
    setattr(CloudTrailBackend, "get_trail_status", get_trail_status)  # noqa: B010
    setattr(CloudTrailBackend, "list_tags", list_tags)  # noqa: B010


# (f) SNS: moto marks an e-mail subscription confirmed at once. AWS keeps it PendingConfirmation
# (ListSubscriptionsByTopic shows SubscriptionArn "PendingConfirmation") until the recipient
# calls ConfirmSubscription with the token from the e-mail. CloudWatch.x needs a confirmed one.
# A message published meanwhile reaches the confirmed subscribers only.
_publishing = threading.local()


def _pending(sub: Any) -> bool:
    return bool(getattr(sub, "_tw_token", None)) and not sub.confirmed


def _listed(sub: Any) -> Any:
    if not _pending(sub):
        return sub
    return {
        "SubscriptionArn": "PendingConfirmation",
        "Owner": sub.owner,
        "Protocol": sub.protocol,
        "Endpoint": sub.endpoint,
        "TopicArn": sub.topic_arn,
    }


def _confirm(sub: Any) -> None:
    sub.confirmed = True
    sub.attributes["PendingConfirmation"] = False
    sub.attributes["ConfirmationWasAuthenticated"] = True


def _teach_sns_pending_confirmation() -> None:
    own_subscribe = SNSBackend.subscribe
    own_by_topic = SNSBackend.list_subscriptions_by_topic
    own_list = SNSBackend.list_subscriptions
    own_subscribe_response = SNSResponse.subscribe
    own_topic_publish = Topic.publish

    def subscribe(self: SNSBackend, topic_arn: str, endpoint: str, protocol: str) -> Any:
        before = set(self.subscriptions)
        sub = own_subscribe(self, topic_arn, endpoint, protocol)
        if sub.arn not in before and protocol in CONFIRMED_PROTOCOLS:
            sub.confirmed = False
            sub.__dict__["_tw_token"] = secrets.token_hex(32)
            sub.attributes["PendingConfirmation"] = True
            sub.attributes["ConfirmationWasAuthenticated"] = False
        return sub

    def list_subscriptions_by_topic(
        self: SNSBackend, topic_arn: str, next_token: str | None = None
    ) -> tuple[list[Any], int | None]:
        subs, token = own_by_topic(self, topic_arn, next_token=next_token)
        if getattr(_publishing, "active", False):
            # Topic.publish delivers to this list: AWS sends nothing to a pending endpoint.
            return [s for s in subs if not _pending(s)], token
        return [_listed(s) for s in subs], token

    def topic_publish(self: Topic, *args: Any, **kwargs: Any) -> str:
        _publishing.active = True
        try:
            return str(own_topic_publish(self, *args, **kwargs))
        finally:
            _publishing.active = False

    def list_subscriptions(
        self: SNSBackend, next_token: str | None = None
    ) -> tuple[list[Any], int | None]:
        subs, token = own_list(self, next_token=next_token)
        return [_listed(s) for s in subs], token

    def subscribe_response(self: SNSResponse) -> ActionResult:
        result = own_subscribe_response(self)
        arn = result.result["SubscriptionArn"]  # type: ignore[index]
        wants_arn = str(self._get_param("ReturnSubscriptionArn", "false")).lower() == "true"
        if _pending(self.backend.subscriptions.get(arn)) and not wants_arn:
            return ActionResult({"SubscriptionArn": "pending confirmation"})
        return result

    def confirm_subscription(self: SNSResponse) -> ActionResult:
        topic_arn, token = self._get_param("TopicArn"), self._get_param("Token")
        for sub in list(self.backend.subscriptions.values()):
            if sub.topic_arn == topic_arn and getattr(sub, "_tw_token", None) == token:
                _confirm(sub)
                return ActionResult({"SubscriptionArn": sub.arn})
        raise SNSInvalidParameter("Invalid token")

    setattr(SNSBackend, "subscribe", subscribe)  # noqa: B010
    setattr(SNSBackend, "list_subscriptions_by_topic", list_subscriptions_by_topic)  # noqa: B010
    setattr(SNSBackend, "list_subscriptions", list_subscriptions)  # noqa: B010
    setattr(Topic, "publish", topic_publish)  # noqa: B010
    setattr(SNSResponse, "subscribe", subscribe_response)  # noqa: B010
    setattr(SNSResponse, "confirm_subscription", confirm_subscription)  # noqa: B010


def _subscription(subscription_arn: str) -> Any:
    parts = subscription_arn.split(":")
    if len(parts) < 7 or parts[2] != "sns":
        raise ValueError(f"not an SNS subscription ARN: {subscription_arn}")
    sub = sns_backends[parts[4]][parts[3]].subscriptions.get(subscription_arn)
    if sub is None:
        raise KeyError(f"no such subscription: {subscription_arn}")
    return sub


def confirmation_token(subscription_arn: str) -> str:
    """The token AWS would e-mail to the subscriber (pass it to sns ConfirmSubscription)."""
    token = getattr(_subscription(subscription_arn), "_tw_token", None)
    if not token:
        raise ValueError(f"subscription needs no confirmation: {subscription_arn}")
    return str(token)


def confirm_subscription_for_demo(subscription_arn: str) -> None:
    """Confirm a pending subscription in-process, as if the recipient clicked the link."""
    _confirm(_subscription(subscription_arn))


# (g) GetTrailStatus: moto never returns the delivery health fields. A test seeds them per trail
# ARN with seed_trail_status(); they are kept on the trail's status object and merged into every
# GetTrailStatus answer for that trail (from its owner, a shadow Region, or a member account).
def _teach_trail_delivery_status() -> None:
    own_description = TrailStatus.description

    def description(self: TrailStatus) -> dict[str, Any]:
        desc: dict[str, Any] = own_description(self)
        desc.update(getattr(self, "_tw_delivery", {}))
        return desc

    setattr(TrailStatus, "description", description)  # noqa: B010


def seed_trail_status(trail_arn: str, **fields: str | datetime | None) -> None:
    """Make GetTrailStatus(trail_arn) return these delivery fields (None removes one).

    Times may be datetimes; they go on the wire as epoch seconds, as AWS sends them.
    """
    unknown = set(fields) - DELIVERY_FIELDS
    if unknown:
        raise ValueError(f"not a seedable GetTrailStatus field: {sorted(unknown)}")
    parts = trail_arn.split(":")
    if len(parts) != 6 or parts[2] != "cloudtrail":
        raise ValueError(f"not a trail ARN: {trail_arn}")
    trail = cloudtrail_backends[parts[4]][parts[3]].get_trail(trail_arn)
    seeded: dict[str, Any] = trail.status.__dict__.setdefault("_tw_delivery", {})
    for key, value in fields.items():
        if value is None:
            seeded.pop(key, None)
        else:
            seeded[key] = value.timestamp() if isinstance(value, datetime) else value


def _teach_secure_transport() -> None:
    """(h) moto gap: a TLS-only bucket policy denies everything.

    moto 5.2.5 evaluates bucket policies (``FakeBucket.get_permission``) without the ``Bool``
    condition operator (unsupported operators are ignored), so the baseline's TLS-only statement
    (Deny ``s3:*`` when ``aws:SecureTransport`` is false) becomes an unconditional deny and every
    object read and write on the trail bucket is refused. On AWS every client here (CloudTrail,
    boto3) uses TLS and that statement never matches; this patch evaluates bucket policies
    without statements that only deny insecure transport.
    """
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: Any, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        doc = json.loads(self.policy.decode())
        raw = doc.get("Statement", [])
        statements = [raw] if isinstance(raw, dict) else raw
        kept = [s for s in statements if not _denies_only_insecure_transport(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**doc, "Statement": kept})).is_action_permitted(
            action, resource
        )

    setattr(FakeBucket, "get_permission", get_permission)  # noqa: B010


def _denies_only_insecure_transport(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition") or {}
    return statement.get("Effect") == "Deny" and condition == {
        "Bool": {"aws:SecureTransport": "false"}
    }
