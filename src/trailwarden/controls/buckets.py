"""CloudTrail.6, .7: the bucket a trail delivers to
(docs/aws-facts/controls.md#bucket-in-another-account).

Each bucket is evaluated once, from the first owned trail that names it, and only in the account
that owns it: another account's bucket (or one of unknown owner) is NOT_AVAILABLE here. A bucket
this account owns that only other accounts' trails use (a central log bucket) is graded here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from trailwarden.arns import bucket_arn, partition_for_region
from trailwarden.controls.causes import BucketCause
from trailwarden.controls.context import AccountView, trail_cause
from trailwarden.controls.model import (
    ControlMeta,
    Finding,
    Gap,
    Remediation,
    Severity,
    Status,
    Verdict,
)
from trailwarden.controls.publicpolicy import policy_is_public
from trailwarden.controls.registry import register
from trailwarden.snapshot.model import Bucket, Trail

CT6 = ControlMeta(
    id="CloudTrail.6",
    title="Ensure the S3 bucket used to store CloudTrail logs is not publicly accessible",
    severity=Severity.CRITICAL,
    resource_type="AWS::S3::Bucket",
    remediation=Remediation(
        detail="PutPublicAccessBlock with all four flags on the trail's bucket and remove public "
        "grants.",
        step="block public access on its bucket",
    ),
    compliance={"CIS": ["v1.2.0/2.3", "v1.4.0/3.3"]},
)
CT7 = ControlMeta(
    id="CloudTrail.7",
    title="Ensure S3 bucket access logging is enabled on the CloudTrail S3 bucket",
    severity=Severity.LOW,
    resource_type="AWS::S3::Bucket",
    remediation=Remediation(
        detail="PutBucketLogging on the trail's bucket to a separate access-log bucket.",
        step="turn on access logging for its bucket",
    ),
    compliance={"CIS": ["v1.2.0/2.6", "v1.4.0/3.6", "v3.0.0/3.4", "v5.0.0/3.4"]},
)


# Every S3 read the collector makes of a trail's bucket (prefix match in AccountView.why).
_S3_READS = ("s3:",)


def _bucket_of(view: AccountView, trail: Trail) -> Bucket | None:
    return view.bucket(trail.s3_bucket_name) if trail.s3_bucket_name else None


def _bucket_findings(
    view: AccountView, meta: ControlMeta, check: Callable[[Bucket], Verdict]
) -> Iterator[Finding]:
    seen: set[str] = set()
    for trail in view.owned_trails():
        name = trail.s3_bucket_name
        if not name or name in seen:
            continue
        seen.add(name)
        bucket = _bucket_of(view, trail)
        region = (bucket.region if bucket else None) or trail.home_region
        resource = bucket_arn(name, partition_for_region(region))
        verdict: Verdict
        if bucket is None or bucket.owned is None:
            verdict = Status.NOT_AVAILABLE, f"could not establish who owns bucket {name}", None
        elif not bucket.exists:
            verdict = (
                Status.FAILED,
                f"bucket {name} does not exist: {trail.name} delivers nothing",
                Gap.BUCKET_MISSING,
            )
        elif not bucket.owned:
            # Security Hub grades a central bucket only where it lives; elsewhere "No data".
            verdict = (
                Status.NO_DATA,
                f"bucket {name} is in another account: evaluated in that account",
                None,
            )
        else:
            verdict = check(bucket)
        yield view.graded(
            meta,
            verdict,
            region=region,
            resource=resource,
            root_cause=trail_cause(trail),
            # An unknown owner is explained by S3's failures; another account's bucket is not.
            reads=_S3_READS if bucket is not None and bucket.owned is not False else (),
        )
    yield from _central_findings(view, meta, check, seen)
    yield from view.unlisted_regions(meta)


def _central_findings(
    view: AccountView, meta: ControlMeta, check: Callable[[Bucket], Verdict], seen: set[str]
) -> Iterator[Finding]:
    """Buckets this account owns (or may own) that only other accounts' trails deliver to: a
    central log bucket is graded in the account and Region where it is, as Security Hub does
    (docs/aws-facts/controls.md#bucket-in-another-account); the collector read only those."""
    for bucket in view.scan.buckets:
        if bucket.name in seen:
            continue
        seen.add(bucket.name)
        cause = BucketCause(view.account, bucket_arn(bucket.name, view.partition))
        verdict: Verdict
        if bucket.owned is None:
            verdict = (
                Status.NOT_AVAILABLE,
                f"could not establish whether this account owns bucket {bucket.name}, to which "
                "another account's trail delivers",
                None,
            )
        else:
            verdict = check(bucket)
        yield view.graded(
            meta,
            verdict,
            region=bucket.region or "-",
            resource=cause.arn,
            root_cause=cause,
            reads=_S3_READS,
        )


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
    """S3's own verdict (GetBucketPolicyStatus) first; else S3's documented rule applied to the
    policy text, which says None rather than guess (publicpolicy.py)."""
    if bucket.policy_is_public is not None:
        return bucket.policy_is_public
    if bucket.policy is None:
        return None
    return policy_is_public(bucket.policy)


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


def _not_public(bucket: Bucket) -> Verdict:
    via_policy = _effective(_policy_public(bucket), _flag(bucket, "RestrictPublicBuckets"))
    via_acl = _effective(_acl_public(bucket), _flag(bucket, "IgnorePublicAcls"))
    if via_policy or via_acl:
        how = " and ".join(w for w, on in (("its policy", via_policy), ("its ACL", via_acl)) if on)
        return Status.FAILED, f"bucket {bucket.name} is public through {how}", Gap.BUCKET_PUBLIC
    if via_policy is False and via_acl is False:
        return Status.PASSED, f"bucket {bucket.name} is not publicly accessible", None
    if via_policy is None and bucket.policy is not None and bucket.policy_is_public is None:
        why = "GetBucketPolicyStatus failed and S3's documented rule does not decide its policy"
    else:
        why = "could not read its policy, ACL or Block Public Access"
    return Status.NOT_AVAILABLE, f"bucket {bucket.name}: {why}", None


def _access_logged(bucket: Bucket) -> Verdict:
    if bucket.logging_enabled is None:
        return Status.NOT_AVAILABLE, f"could not read the logging setting of {bucket.name}", None
    if bucket.logging_enabled:
        return Status.PASSED, f"{bucket.name} logs access to {bucket.logging_target}", None
    return (
        Status.FAILED,
        f"bucket {bucket.name} has server access logging off",
        Gap.NO_ACCESS_LOGGING,
    )


@register(CT6)
def cloudtrail_6(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _bucket_findings(view, meta, _not_public)


@register(CT7)
def cloudtrail_7(view: AccountView, meta: ControlMeta) -> Iterator[Finding]:
    yield from _bucket_findings(view, meta, _access_logged)
