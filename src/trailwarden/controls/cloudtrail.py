"""CloudTrail.1-7, .9, .10 with Security Hub's semantics (controls.md sections 1 and 3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trailwarden.controls.context import (
    AccountView,
    account_resource,
    no_trail_cause,
    repair_target,
)
from trailwarden.controls.model import ControlMeta, Finding, Severity, Status
from trailwarden.controls.registry import register
from trailwarden.controls.selectors import covers_all_management, describe_management
from trailwarden.snapshot.model import Bucket, RegionState, Trail

_NIST_CT1 = [
    "AC-2(4)",
    "AC-4(26)",
    "AC-6(9)",
    "AU-10",
    "AU-12",
    "AU-2",
    "AU-3",
    "AU-6(3)",
    "AU-6(4)",
    "AU-14(1)",
    "CA-7",
    "SC-7(9)",
    "SI-3(8)",
    "SI-4(20)",
    "SI-7(8)",
    "SA-8(22)",
]
_NIST_CT5 = [
    "AC-2(4)",
    "AC-4(26)",
    "AC-6(9)",
    "AU-10",
    "AU-12",
    "AU-2",
    "AU-3",
    "AU-6(1)",
    "AU-6(3)",
    "AU-6(4)",
    "AU-6(5)",
    "AU-7(1)",
    "CA-7",
    "SC-7(9)",
    "SI-20",
    "SI-3(8)",
    "SI-4(20)",
    "SI-4(5)",
    "SI-7(8)",
]

CT1 = ControlMeta(
    "CloudTrail.1",
    "CloudTrail should be enabled and configured with at least one multi-Region trail that "
    "includes read and write management events",
    Severity.HIGH,
    "AWS::::Account",
    "Run one multi-Region trail that is logging and records all read and write management "
    "events with no excluded event source (trailwarden plan).",
    {
        "CIS": ["v1.2.0/2.1", "v1.4.0/3.1", "v3.0.0/3.1", "v5.0.0/3.1"],
        "NIST 800-53 r5": _NIST_CT1,
    },
)
CT2 = ControlMeta(
    "CloudTrail.2",
    "CloudTrail should have encryption at-rest enabled",
    Severity.MEDIUM,
    "AWS::CloudTrail::Trail",
    "Set KmsKeyId on the trail to a KMS key in the bucket's Region whose policy lets "
    "CloudTrail encrypt.",
    {
        "CIS": ["v1.2.0/2.7", "v1.4.0/3.7", "v3.0.0/3.5", "v5.0.0/3.5"],
        "NIST 800-53 r5": [
            "AU-9",
            "CA-9(1)",
            "CM-3(6)",
            "SC-13",
            "SC-28",
            "SC-28(1)",
            "SC-7(10)",
            "SI-7(6)",
        ],
        "PCI DSS": ["v3.2.1/3.4"],
    },
)
CT3 = ControlMeta(
    "CloudTrail.3",
    "At least one CloudTrail trail should be enabled",
    Severity.HIGH,
    "AWS::::Account",
    "Create a trail and start logging (a multi-Region trail covers every Region).",
    {"PCI DSS": ["v3.2.1/10.1", "v3.2.1/10.2.1-10.2.7", "v3.2.1/10.3.1-10.3.6"]},
)
CT4 = ControlMeta(
    "CloudTrail.4",
    "CloudTrail log file validation should be enabled",
    Severity.LOW,
    "AWS::CloudTrail::Trail",
    "UpdateTrail with EnableLogFileValidation=true in the trail's home Region.",
    {
        "CIS": ["v1.2.0/2.2", "v1.4.0/3.2", "v3.0.0/3.2", "v5.0.0/3.2"],
        "NIST 800-53 r5": ["AU-9", "SI-4", "SI-7(1)", "SI-7(3)", "SI-7(7)"],
        "PCI DSS": ["v3.2.1/10.5.2", "v3.2.1/10.5.5"],
    },
)
CT5 = ControlMeta(
    "CloudTrail.5",
    "CloudTrail trails should be integrated with Amazon CloudWatch Logs",
    Severity.LOW,
    "AWS::CloudTrail::Trail",
    "Create a log group and delivery role in the home Region, then UpdateTrail with "
    "CloudWatchLogsLogGroupArn and CloudWatchLogsRoleArn.",
    {
        "CIS": ["v1.2.0/2.4", "v1.4.0/3.4"],
        "NIST 800-53 r5": _NIST_CT5,
        "PCI DSS": ["v3.2.1/10.5.3"],
    },
)
CT6 = ControlMeta(
    "CloudTrail.6",
    "Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible",
    Severity.CRITICAL,
    "AWS::S3::Bucket",
    "PutPublicAccessBlock with all four flags on the trail's bucket and remove public grants.",
    {"CIS": ["v1.2.0/2.3", "v1.4.0/3.3"]},
)
CT7 = ControlMeta(
    "CloudTrail.7",
    "Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket",
    Severity.LOW,
    "AWS::S3::Bucket",
    "PutBucketLogging on the trail's bucket to a separate access-log bucket.",
    {"CIS": ["v1.2.0/2.6", "v1.4.0/3.6", "v3.0.0/3.4", "v5.0.0/3.4"]},
)
CT9 = ControlMeta(
    "CloudTrail.9",
    "CloudTrail trails should be tagged",
    Severity.LOW,
    "AWS::CloudTrail::Trail",
    "AddTags on the trail (in its home Region) with at least one non-aws: tag.",
)
CT10 = ControlMeta(
    "CloudTrail.10",
    "CloudTrail Lake event data stores should be encrypted with customer managed AWS KMS keys",
    Severity.MEDIUM,
    "AWS::CloudTrail::EventDataStore",
    "Create event data stores with a customer managed KMS key (it cannot be changed later).",
)


def _why_not_ct1(trail: Trail) -> str | None:
    """Why this trail does not satisfy CloudTrail.1; None when it does; '?' when unknown."""
    problems = []
    if not trail.is_multi_region:
        problems.append("single-Region")
    if trail.status is None:
        return "?"
    if not trail.status.is_logging:
        problems.append("not logging")
    if trail.selectors is None:
        return "?" if not problems else ", ".join(problems)
    if not covers_all_management(trail.selectors):
        problems.append(f"records {describe_management(trail.selectors)}")
    return ", ".join(problems) or None


def _not_opted_in(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Opt-in Regions the account has not enabled are listed, never scanned: their verdict is
    unknown (CloudTrail cannot record there until the Region is enabled)."""
    for region in view.regions:
        if region.state == RegionState.NOT_OPTED_IN:
            yield view.finding(
                meta,
                Status.NOT_AVAILABLE,
                region.region,
                account_resource(view.account),
                "opt-in Region not enabled for this account: not scanned",
                no_trail_cause(view.account),
            )


@register(CT1)
def cloudtrail_1(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _not_opted_in(view, meta)
    for region in view.scanned_regions:
        resource = account_resource(view.account)
        if region.state == RegionState.ERROR:
            yield view.unlisted(meta, region.region)
            continue
        trails = view.visible_trails(region)
        verdicts = {t.arn: _why_not_ct1(t) for t in trails}
        passing = [t for t in trails if verdicts[t.arn] is None]
        if passing:
            best = sorted(passing, key=lambda t: (t.account != view.account, t.arn))[0]
            owner = "organisation trail " if best.account != view.account else "trail "
            yield view.finding(
                meta,
                Status.PASSED,
                region.region,
                resource,
                f"{owner}{best.name} is multi-Region, logging and records all read and write "
                "management events",
                best.arn,
            )
        elif any(v == "?" for v in verdicts.values()):
            unknown = [t.name for t in trails if verdicts[t.arn] == "?"]
            yield view.finding(
                meta,
                Status.NOT_AVAILABLE,
                region.region,
                resource,
                f"could not read status or selectors of {', '.join(unknown)}; see errors",
                repair_target(view, trails),
            )
        else:
            reason = (
                "; ".join(f"{t.name}: {verdicts[t.arn]}" for t in trails)
                if trails
                else "no trail exists in this Region"
            )
            yield view.finding(
                meta,
                Status.FAILED,
                region.region,
                resource,
                f"no single trail is multi-Region, logging and records all read and write "
                f"management events ({reason})",
                repair_target(view, trails),
            )


@register(CT3)
def cloudtrail_3(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _not_opted_in(view, meta)
    for region in view.scanned_regions:
        resource = account_resource(view.account)
        if region.state == RegionState.ERROR:
            yield view.unlisted(meta, region.region)
            continue
        trails = view.visible_trails(region)
        logging = [t for t in trails if t.status is not None and t.status.is_logging]
        unknown = [t for t in trails if t.status is None]
        if logging:
            yield view.finding(
                meta,
                Status.PASSED,
                region.region,
                resource,
                f"trail {logging[0].name} is logging in this Region",
                logging[0].arn,
            )
        elif unknown:
            yield view.finding(
                meta,
                Status.NOT_AVAILABLE,
                region.region,
                resource,
                f"could not read the status of {', '.join(t.name for t in unknown)}",
                repair_target(view, trails),
            )
        else:
            reason = (
                f"{len(trails)} trail(s) visible but none is logging"
                if trails
                else "no trail covers this Region"
            )
            yield view.finding(
                meta, Status.FAILED, region.region, resource, reason, repair_target(view, trails)
            )


def _foreign(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Organisation trails seen from a member: not evaluable here, never PASSED or FAILED."""
    for trail in view.foreign_trails():
        yield view.finding(
            meta,
            Status.NOT_AVAILABLE,
            trail.home_region,
            trail.arn,
            f"organisation trail owned by account {trail.account}: evaluated in that account",
            trail.arn,
        )


def _per_owned_trail(
    view: AccountView, meta: ControlMeta, check: dict[bool, str], attr: str
) -> Iterator[Finding]:
    for trail in view.owned_trails():
        ok = bool(getattr(trail, attr))
        yield view.finding(
            meta,
            Status.PASSED if ok else Status.FAILED,
            trail.home_region,
            trail.arn,
            check[ok].format(name=trail.name),
            trail.arn,
        )
    yield from _foreign(view, meta)


@register(CT2)
def cloudtrail_2(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _per_owned_trail(
        view,
        meta,
        {True: "{name} encrypts log files with KMS", False: "{name} has no KmsKeyId (SSE-S3 only)"},
        "kms_key_id",
    )


@register(CT4)
def cloudtrail_4(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _per_owned_trail(
        view,
        meta,
        {True: "{name} has log file validation", False: "{name} has log file validation off"},
        "log_file_validation_enabled",
    )


@register(CT5)
def cloudtrail_5(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _per_owned_trail(
        view,
        meta,
        {
            True: "{name} delivers to CloudWatch Logs",
            False: "{name} has no CloudWatchLogsLogGroupArn",
        },
        "cloudwatch_logs_log_group_arn",
    )


@register(CT9)
def cloudtrail_9(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """At least one non-aws: tag, or every key of the requiredTagKeys parameter."""
    required = view.params.required_tag_keys
    for trail in view.owned_trails():
        if trail.tags is None:
            status, reason = Status.NOT_AVAILABLE, f"could not read the tags of {trail.name}"
        else:
            user_tags = sorted(k for k in trail.tags if not k.startswith("aws:"))
            missing = [k for k in required if k not in trail.tags]
            if required:
                status = Status.FAILED if missing else Status.PASSED
                reason = (
                    f"{trail.name} lacks required tag(s) {', '.join(missing)}"
                    if missing
                    else f"{trail.name} has every required tag"
                )
            else:
                status = Status.PASSED if user_tags else Status.FAILED
                reason = (
                    f"{trail.name} is tagged ({', '.join(user_tags)})"
                    if user_tags
                    else f"{trail.name} has no tags other than aws: system tags"
                )
        yield view.finding(meta, status, trail.home_region, trail.arn, reason, trail.arn)
    yield from _foreign(view, meta)


def _bucket_of(view: AccountView, trail: Trail) -> Bucket | None:
    return view.bucket(trail.s3_bucket_name) if trail.s3_bucket_name else None


def _bucket_findings(
    view: AccountView, meta: ControlMeta, check: Callable[[Bucket], tuple[Status, str]]
) -> Iterator[Finding]:
    seen: set[str] = set()
    for trail in view.owned_trails():
        name = trail.s3_bucket_name
        if not name or name in seen:
            continue
        seen.add(name)
        bucket = _bucket_of(view, trail)
        resource = f"arn:aws:s3:::{name}"
        region = (bucket.region if bucket else None) or trail.home_region
        if bucket is None or bucket.owned is None:
            status, reason = Status.NOT_AVAILABLE, f"could not establish who owns bucket {name}"
        elif not bucket.exists:
            status = Status.FAILED
            reason = f"bucket {name} does not exist: {trail.name} delivers nothing"
        elif not bucket.owned:
            status = Status.NOT_AVAILABLE
            reason = f"bucket {name} is in another account: evaluated in that account"
        else:
            status, reason = check(bucket)
        yield view.finding(meta, status, region, resource, reason, trail.arn)


_PUBLIC_GROUPS = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)


def _flag(bucket: Bucket, name: str) -> bool | None:
    """A Block Public Access flag in effect from the bucket or the account setting."""
    values = [bucket.public_access_block, bucket.account_public_access_block]
    if any(v is not None and v.get(name) for v in values):
        return True
    return None if any(v is None for v in values) else False


def _policy_public(bucket: Bucket) -> bool | None:
    if bucket.policy_is_public is not None:
        return bucket.policy_is_public
    if bucket.policy is None:
        return None
    for st in bucket.policy.get("Statement", []):
        principal = st.get("Principal")
        star = principal == "*" or (isinstance(principal, dict) and principal.get("AWS") == "*")
        if st.get("Effect") == "Allow" and star and not st.get("Condition"):
            return True
    return False


def _acl_public(bucket: Bucket) -> bool | None:
    if bucket.acl_grants is None:
        return None
    return any(g.get("Grantee", {}).get("URI") in _PUBLIC_GROUPS for g in bucket.acl_grants)


def _effective(public: bool | None, neutralised: bool | None) -> bool | None:
    if neutralised is True or public is False:
        return False
    if public is True and neutralised is False:
        return True
    return None


def _not_public(bucket: Bucket) -> tuple[Status, str]:
    via_policy = _effective(_policy_public(bucket), _flag(bucket, "RestrictPublicBuckets"))
    via_acl = _effective(_acl_public(bucket), _flag(bucket, "IgnorePublicAcls"))
    if via_policy or via_acl:
        how = " and ".join(w for w, on in (("its policy", via_policy), ("its ACL", via_acl)) if on)
        return Status.FAILED, f"bucket {bucket.name} is public through {how}"
    if via_policy is False and via_acl is False:
        return Status.PASSED, f"bucket {bucket.name} is not publicly accessible"
    return (
        Status.NOT_AVAILABLE,
        f"could not read the policy, ACL or Block Public Access of {bucket.name}",
    )


def _access_logged(bucket: Bucket) -> tuple[Status, str]:
    if bucket.logging_enabled is None:
        return Status.NOT_AVAILABLE, f"could not read the logging setting of {bucket.name}"
    if bucket.logging_enabled:
        return Status.PASSED, f"{bucket.name} logs access to {bucket.logging_target}"
    return Status.FAILED, f"bucket {bucket.name} has server access logging off"


@register(CT6)
def cloudtrail_6(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _bucket_findings(view, meta, _not_public)


@register(CT7)
def cloudtrail_7(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _bucket_findings(view, meta, _access_logged)


@register(CT10)
def cloudtrail_10(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    """Only where event data stores exist: an account without any gets no finding."""
    for region in view.scanned_regions:
        if region.state == RegionState.ERROR:
            continue
        cause = f"lake:{view.account}"
        if region.event_data_stores is None:
            yield view.finding(
                meta,
                Status.NOT_AVAILABLE,
                region.region,
                account_resource(view.account),
                "could not list CloudTrail Lake event data stores",
                cause,
            )
            continue
        for store in region.event_data_stores:
            if not store.kms_key_id:
                status, reason = Status.FAILED, f"{store.name or store.arn} uses the default key"
            elif store.key_manager == "CUSTOMER":
                status, reason = Status.PASSED, f"{store.name or store.arn} uses a customer key"
            elif store.key_manager is None:
                status = Status.NOT_AVAILABLE
                reason = f"could not describe the KMS key of {store.name or store.arn}"
            else:
                status = Status.FAILED
                reason = f"{store.name or store.arn} uses an AWS managed key"
            yield view.finding(meta, status, region.region, store.arn, reason, cause)
