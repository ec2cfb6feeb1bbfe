"""How each kind of plan step is checked against live AWS and carried out.

Every step has a ``check`` (read the live state: ``OK`` already as planned, ``MISSING`` the thing
does not exist, ``DIFFERS`` it exists but differs) and a ``do`` (the write). ``apply`` runs the
check right before the write, which is what makes it idempotent and lets a rerun resume: whatever
an earlier run finished reads back ``OK``. ``plan`` runs only the checks, to turn predictions into
facts. Policy steps are read-modify-write: the live document with our statements merged in
(``merge_statements``), every other statement kept. Nothing here deletes anything.

Each handler declares the IAM actions its check and write need (``grant``), including those a
parameter implies (tags on create need the tagging action); apply-policy.json is generated from
these declarations (``policies.generate``).
"""

from __future__ import annotations

import dataclasses
import enum
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from trailwarden.apply.context import AccountContext
from trailwarden.aws.errors import error_code
from trailwarden.plan.model import MERGE, Step
from trailwarden.policies import merge_statements
from trailwarden.policies.permissions import (
    ALARM_TOPIC,
    DELIVERY_ROLE,
    KMS_KEY,
    LOG_BUCKETS,
    LOG_GROUP,
    Grant,
    grant,
)


class State(enum.StrEnum):
    OK = "ok"
    MISSING = "missing"
    DIFFERS = "differs"


@dataclass(frozen=True)
class Handler:
    check: Callable[[AccountContext, Step], State]
    do: Callable[[AccountContext, Step], str]
    needs: tuple[Grant, ...] = ()  # the IAM actions check and do call


HANDLERS: dict[tuple[str, str], Handler] = {}


def handler(service: str, operation: str, *needs: Grant) -> Callable[[Handler], Handler]:
    """Register the handler of ``service:operation`` steps with the IAM actions it needs."""
    if not needs:
        raise TypeError(f"the {service}:{operation} handler must declare the actions it needs")

    def register(h: Handler) -> Handler:
        HANDLERS[(service, operation)] = dataclasses.replace(h, needs=needs)
        return HANDLERS[(service, operation)]

    return register


# Reading a key by alias (a ``${kms-alias:...}`` placeholder, or KeyId given as an alias).
RESOLVE_KEY = grant(KMS_KEY, "kms:DescribeKey")


def absent(exc: ClientError, *codes: str) -> bool:
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return error_code(exc, "") in codes or (status == 404 and "404" in codes)


def _params(ctx: AccountContext, step: Step, *drop: str) -> dict[str, Any]:
    """The step's API parameters with placeholders resolved and non-API keys dropped."""
    params = ctx.resolve(step.params)
    for key in (MERGE, *drop):
        params.pop(key, None)
    return dict(params)


# --- policies: read-modify-write -----------------------------------------------------------------


def _merged(live: dict[str, Any] | None, step: Step) -> tuple[State, dict[str, Any]]:
    result = merge_statements(live, step.params[MERGE])
    if not result.changed:
        return State.OK, result.document
    return (State.MISSING if live is None else State.DIFFERS), result.document


def merge_handler(
    read: Callable[[AccountContext, Step], dict[str, Any] | None],
    write: Callable[[AccountContext, Step, dict[str, Any]], None],
) -> Handler:
    def check(ctx: AccountContext, step: Step) -> State:
        return _merged(read(ctx, step), step)[0]

    def do(ctx: AccountContext, step: Step) -> str:
        live = read(ctx, step)
        state, document = _merged(live, step)
        if state is State.OK:
            return "already merged"
        write(ctx, step, document)
        sids = ", ".join(str(s["Sid"]) for s in step.params[MERGE])
        kept = len(document["Statement"]) - len(step.params[MERGE])
        return f"merged {sids}; {max(kept, 0)} other statement(s) kept"

    return Handler(check, do)


def _bucket_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    s3 = ctx.client(step.region, "s3")
    try:
        return dict(json.loads(s3.get_bucket_policy(Bucket=step.params["Bucket"])["Policy"]))
    except ClientError as exc:
        if absent(exc, "NoSuchBucketPolicy", "NoSuchBucket"):
            return None
        raise


def _put_bucket_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    ctx.client(step.region, "s3").put_bucket_policy(
        Bucket=step.params["Bucket"], Policy=json.dumps(doc)
    )


handler("s3", "PutBucketPolicy", grant(LOG_BUCKETS, "s3:GetBucketPolicy", "s3:PutBucketPolicy"))(
    merge_handler(_bucket_policy, _put_bucket_policy)
)


def _key_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    kms = ctx.client(step.region, "kms")
    key = ctx.concrete_key(ctx.resolve(step.params["KeyId"]), step.region)
    got = kms.get_key_policy(KeyId=key, PolicyName="default")
    return dict(json.loads(got["Policy"]))


def _put_key_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    key = ctx.concrete_key(ctx.resolve(step.params["KeyId"]), step.region)
    ctx.client(step.region, "kms").put_key_policy(
        KeyId=key, PolicyName="default", Policy=json.dumps(doc)
    )


handler("kms", "PutKeyPolicy", RESOLVE_KEY, grant(KMS_KEY, "kms:GetKeyPolicy", "kms:PutKeyPolicy"))(
    merge_handler(_key_policy, _put_key_policy)
)


def _trust_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    role = ctx.client(step.region, "iam").get_role(RoleName=step.params["RoleName"])["Role"]
    doc = role.get("AssumeRolePolicyDocument")
    return dict(json.loads(doc) if isinstance(doc, str) else doc) if doc else None


def _put_trust_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    ctx.client(step.region, "iam").update_assume_role_policy(
        RoleName=step.params["RoleName"], PolicyDocument=json.dumps(doc)
    )


handler(
    "iam",
    "UpdateAssumeRolePolicy",
    grant(DELIVERY_ROLE, "iam:GetRole", "iam:UpdateAssumeRolePolicy"),
)(merge_handler(_trust_policy, _put_trust_policy))


def _role_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    iam = ctx.client(step.region, "iam")
    try:
        got = iam.get_role_policy(
            RoleName=step.params["RoleName"], PolicyName=step.params["PolicyName"]
        )
    except ClientError as exc:
        if absent(exc, "NoSuchEntity"):
            return None
        raise
    doc = got["PolicyDocument"]
    return dict(json.loads(doc) if isinstance(doc, str) else doc)


def _put_role_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    ctx.client(step.region, "iam").put_role_policy(
        RoleName=step.params["RoleName"],
        PolicyName=step.params["PolicyName"],
        PolicyDocument=json.dumps(doc),
    )


handler("iam", "PutRolePolicy", grant(DELIVERY_ROLE, "iam:GetRolePolicy", "iam:PutRolePolicy"))(
    merge_handler(_role_policy, _put_role_policy)
)


def _topic_policy(ctx: AccountContext, step: Step) -> dict[str, Any] | None:
    sns = ctx.client(step.region, "sns")
    attrs = sns.get_topic_attributes(TopicArn=step.params["TopicArn"])["Attributes"]
    return dict(json.loads(attrs["Policy"])) if attrs.get("Policy") else None


def _put_topic_policy(ctx: AccountContext, step: Step, doc: dict[str, Any]) -> None:
    ctx.client(step.region, "sns").set_topic_attributes(
        TopicArn=step.params["TopicArn"], AttributeName="Policy", AttributeValue=json.dumps(doc)
    )


handler(
    "sns",
    "SetTopicAttributes",
    grant(ALARM_TOPIC, "sns:GetTopicAttributes", "sns:SetTopicAttributes"),
)(merge_handler(_topic_policy, _put_topic_policy))


# --- simple "read a setting, write it if wrong" steps -------------------------------------------


def setting_handler(
    read: Callable[[AccountContext, Step], State],
    write: Callable[[AccountContext, Step], str] | None = None,
    forget: tuple[str, ...] = (),
) -> Handler:
    """A step whose write is the step's own operation with its own parameters."""

    def do(ctx: AccountContext, step: Step) -> str:
        if write is not None:
            detail = write(ctx, step)
        else:
            method = getattr(ctx.client(step.region, step.service), _snake(step.operation))
            method(**_params(ctx, step))
            detail = f"{step.operation} {step.target}"
        if forget:
            ctx.forget(*forget)
        return detail

    return Handler(read, do)


def _snake(operation: str) -> str:
    out = []
    for i, ch in enumerate(operation):
        if ch.isupper() and i and not operation[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _bucket_exists(ctx: AccountContext, step: Step) -> State:
    name = step.params["Bucket"]
    try:
        ctx.client(step.region, "s3").head_bucket(Bucket=name)
    except ClientError as exc:
        if absent(exc, "404", "NoSuchBucket", "NotFound"):
            return State.MISSING
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 403:
            raise RuntimeError(
                f"bucket {name} exists and is not this account's (403): plan with another --bucket"
            ) from exc
        raise
    return State.OK


handler("s3", "CreateBucket", grant(LOG_BUCKETS, "s3:ListBucket", "s3:CreateBucket"))(
    setting_handler(_bucket_exists)
)


def _bucket_setting(
    operation: str,
    read_call: str,
    not_set: str,
    ok: Callable[[Step, Any], bool],
    *actions: str,
) -> None:
    """Register the handler of an S3 bucket setting whose write is the step's own operation:
    ``read_call`` reads the setting (the error code ``not_set`` says there is none, as does a
    missing bucket) and ``ok(step, got)`` says whether what it read already does."""

    def read(ctx: AccountContext, step: Step) -> State:
        s3 = ctx.client(step.region, "s3")
        try:
            got = getattr(s3, read_call)(Bucket=step.params["Bucket"])
        except ClientError as exc:
            if absent(exc, not_set, "NoSuchBucket"):
                return State.MISSING
            raise
        return State.OK if ok(step, got) else State.DIFFERS

    handler("s3", operation, grant(LOG_BUCKETS, *actions))(setting_handler(read))


def _blocks_public_access(step: Step, got: Any) -> bool:
    have = got["PublicAccessBlockConfiguration"]
    wanted = step.params["PublicAccessBlockConfiguration"]
    return all(have.get(k) for k, v in wanted.items() if v)


_bucket_setting(
    "PutPublicAccessBlock",
    "get_public_access_block",
    "NoSuchPublicAccessBlockConfiguration",
    _blocks_public_access,
    "s3:GetBucketPublicAccessBlock",
    "s3:PutBucketPublicAccessBlock",
)
_bucket_setting(
    "PutBucketEncryption",
    "get_bucket_encryption",
    "ServerSideEncryptionConfigurationNotFoundError",
    # Any default encryption counts: an existing SSE-KMS default is never downgraded.
    lambda _step, got: bool(got.get("ServerSideEncryptionConfiguration", {}).get("Rules")),
    "s3:GetEncryptionConfiguration",
    "s3:PutEncryptionConfiguration",
)
_bucket_setting(
    "PutBucketVersioning",
    "get_bucket_versioning",
    "-",  # a bucket never versioned reads as no Status, not as an error
    lambda _step, got: got.get("Status") == "Enabled",
    "s3:GetBucketVersioning",
    "s3:PutBucketVersioning",
)
_bucket_setting(
    "PutBucketLogging",
    "get_bucket_logging",
    "-",  # a bucket not logging reads as no LoggingEnabled, not as an error
    # Logging to any target passes CloudTrail.7: an existing target is never redirected.
    lambda _step, got: bool(got.get("LoggingEnabled")),
    "s3:GetBucketLogging",
    "s3:PutBucketLogging",
)


def _live_rules(ctx: AccountContext, step: Step) -> list[dict[str, Any]] | None:
    s3 = ctx.client(step.region, "s3")
    try:
        got = s3.get_bucket_lifecycle_configuration(Bucket=step.params["Bucket"])
    except ClientError as exc:
        if absent(exc, "NoSuchLifecycleConfiguration"):
            return None
        raise
    return list(got.get("Rules", []))


def _subset(wanted: Any, have: Any) -> bool:
    """Every key we set reads back the same (AWS may add defaults of its own)."""
    if isinstance(wanted, dict):
        return isinstance(have, dict) and all(_subset(v, have.get(k)) for k, v in wanted.items())
    return bool(wanted == have)


def _lifecycle(ctx: AccountContext, step: Step) -> State:
    rules = _live_rules(ctx, step)
    if rules is None:
        return State.MISSING
    by_id = {r.get("ID"): r for r in rules}
    ours = step.params["LifecycleConfiguration"]["Rules"]
    return State.OK if all(_subset(r, by_id.get(r["ID"])) for r in ours) else State.DIFFERS


def _put_lifecycle(ctx: AccountContext, step: Step) -> str:
    """Replace only our rule (by ID): PutBucketLifecycleConfiguration replaces the whole set."""
    ours = step.params["LifecycleConfiguration"]["Rules"]
    ids = {r["ID"] for r in ours}
    kept = [r for r in (_live_rules(ctx, step) or []) if r.get("ID") not in ids]
    ctx.client(step.region, "s3").put_bucket_lifecycle_configuration(
        Bucket=step.params["Bucket"], LifecycleConfiguration={"Rules": [*kept, *ours]}
    )
    return f"lifecycle rule(s) {', '.join(sorted(ids))} set; {len(kept)} other rule(s) kept"


handler(
    "s3",
    "PutBucketLifecycleConfiguration",
    grant(LOG_BUCKETS, "s3:GetLifecycleConfiguration", "s3:PutLifecycleConfiguration"),
)(setting_handler(_lifecycle, _put_lifecycle))


# --- KMS -----------------------------------------------------------------------------------------


def _key(ctx: AccountContext, step: Step) -> State:
    # An alias that does not exist raises UnresolvedReference: the runner reads that as MISSING.
    ctx.key_arn(step.region, step.params["AliasName"])
    return State.OK


def _create_key(ctx: AccountContext, step: Step) -> str:
    alias = step.params["AliasName"]
    kms = ctx.client(step.region, "kms")
    arn = ctx.facts.kms_keys.get(alias)
    if arn is None:  # a rerun after CreateAlias failed reuses the key it created
        arn = str(kms.create_key(**_params(ctx, step, "AliasName"))["KeyMetadata"]["Arn"])
        ctx.facts.kms_keys[alias] = arn
    kms.create_alias(AliasName=alias, TargetKeyId=arn)
    ctx.forget("kms-alias")
    return f"created key {arn} ({alias})"


handler(
    "kms",
    "CreateKey",
    RESOLVE_KEY,
    grant(KMS_KEY, "kms:CreateKey", "kms:TagResource", "kms:CreateAlias"),
)(setting_handler(_key, _create_key))


def _rotation(ctx: AccountContext, step: Step) -> State:
    kms = ctx.client(step.region, "kms")
    got = kms.get_key_rotation_status(KeyId=ctx.resolve(step.params["KeyId"]))
    return State.OK if got.get("KeyRotationEnabled") else State.DIFFERS


handler(
    "kms",
    "EnableKeyRotation",
    RESOLVE_KEY,
    grant(KMS_KEY, "kms:GetKeyRotationStatus", "kms:EnableKeyRotation"),
)(setting_handler(_rotation))


# --- CloudWatch Logs group, role -----------------------------------------------------------------


def _group(ctx: AccountContext, region: str, name: str) -> dict[str, Any] | None:
    def read() -> dict[str, Any] | None:
        logs = ctx.client(region, "logs")
        found = logs.describe_log_groups(logGroupNamePrefix=name).get("logGroups", [])
        return next((dict(g) for g in found if g.get("logGroupName") == name), None)

    return ctx.memo(("log-group", region, name), read)


def _group_exists(ctx: AccountContext, step: Step) -> State:
    return State.OK if _group(ctx, step.region, step.params["logGroupName"]) else State.MISSING


def _create_group(ctx: AccountContext, step: Step) -> str:
    name = step.params["logGroupName"]
    ctx.client(step.region, "logs").create_log_group(**_params(ctx, step))
    ctx.facts.created_log_groups.add(name)
    ctx.forget("log-group", step.region, name)
    return f"created log group {name}"


handler(
    "logs",
    "CreateLogGroup",
    grant(LOG_GROUP, "logs:DescribeLogGroups", "logs:CreateLogGroup", "logs:TagResource"),
)(setting_handler(_group_exists, _create_group))


def _retention(ctx: AccountContext, step: Step) -> State:
    name = step.params["logGroupName"]
    group = _group(ctx, step.region, name)
    if group is None:
        return State.MISSING
    have, wanted = group.get("retentionInDays"), step.params["retentionInDays"]
    if have is None:
        # "Never expire" keeps more than we want: only a group we created gets our retention.
        return State.DIFFERS if name in ctx.facts.created_log_groups else State.OK
    return State.OK if have >= wanted else State.DIFFERS


handler(
    "logs",
    "PutRetentionPolicy",
    grant(LOG_GROUP, "logs:DescribeLogGroups", "logs:PutRetentionPolicy"),
)(setting_handler(_retention, forget=("log-group",)))


def _role(ctx: AccountContext, step: Step) -> State:
    try:
        ctx.client(step.region, "iam").get_role(RoleName=step.params["RoleName"])
    except ClientError as exc:
        if absent(exc, "NoSuchEntity"):
            return State.MISSING
        raise
    return State.OK


handler("iam", "CreateRole", grant(DELIVERY_ROLE, "iam:GetRole", "iam:CreateRole", "iam:TagRole"))(
    setting_handler(_role)
)
