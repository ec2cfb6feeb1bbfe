"""The canary events: one harmless API call per CIS filter, chosen by the filter-pattern engine.

A canary is a real API call whose CloudTrail record a CIS metric filter matches and which
changes nothing. Each candidate below says what CloudTrail will record for it (``record``) and
why it changes nothing (``harmless``); ``canary_for`` lets the filter-pattern engine pick, for a
control, the first candidate its CIS pattern matches, so a candidate list that stops matching
a pattern is caught by the engine, not by a hand-kept table. Three filters have no harmless
candidate (``WITHOUT_CANARY``): their events cannot be caused through the API at all.

Pure: no boto3. The runner (``verify.canary``) makes the calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from trailwarden.filterpattern import compile_pattern, parse
from trailwarden.filterpattern.cis import CIS_CONTROLS, CisControl
from trailwarden.policies.permissions import VERIFY_CANARY_EVENTS as CANARY_EVENTS
from trailwarden.policies.permissions import Grant, grant

# A resource id no account has: a canary aimed at it fails with "not found" and changes nothing.
ABSENT_VPC = "vpc-00000000000000000"


@dataclass(frozen=True)
class Target:
    """What a canary call is aimed at: the planned trail of one account."""

    account: str
    region: str  # the trail's home Region: where the log group, metrics and alarms live
    trail_name: str
    trail_arn: str
    bucket: str
    nonce: str  # a random UUID: no key, role, policy or recorder has it

    @property
    def marker(self) -> str:
        """``trailwarden-canary-<random>``: a name no resource has."""
        return "trailwarden-canary-" + self.nonce.replace("-", "")[:16]


@dataclass(frozen=True)
class Candidate:
    """One harmless API call and the CloudTrail record it produces."""

    service: str  # boto3 client name
    operation: str  # API name = the record's eventName
    event_source: str
    params: Callable[[Target], dict[str, Any]]
    error_code: str | None  # what CloudTrail records as errorCode (None: the call succeeds)
    harmless: str
    # The IAM actions the shipped verify policy grants for it. Most canaries get none on purpose:
    # refused, the call is still recorded under its eventName, which is all their CIS filter reads
    # (it then also trips CloudWatch.2), and a verify role must not be able to disable keys.
    needs: tuple[Grant, ...] = ()
    region: Callable[[Target], str] = lambda t: t.region
    precondition: str = ""  # checked by the runner before the call (see verify.canary)

    @property
    def method(self) -> str:
        """The boto3 method name: StartLogging -> start_logging."""
        out = "".join("_" + c.lower() if c.isupper() else c for c in self.operation)
        return out.lstrip("_")

    def record(self, target: Target) -> dict[str, Any]:
        """The fields of the CloudTrail record CIS patterns read (docs/aws-facts/records.md)."""
        record: dict[str, Any] = {
            "eventVersion": "1.09",
            "eventSource": self.event_source,
            "eventName": self.operation,
            "awsRegion": self.region(target),
            "eventType": "AwsApiCall",
            "userIdentity": {"type": "AssumedRole"},
            "requestParameters": self.params(target),
            "recipientAccountId": target.account,
        }
        if self.error_code is not None:
            record["errorCode"] = self.error_code
        return record


def _ec2(operation: str, action: str, **params: Any) -> Candidate:
    """An EC2 create call with DryRun: checked, never performed; its permission is not granted."""
    return Candidate(
        "ec2",
        operation,
        "ec2.amazonaws.com",
        lambda _t: {"DryRun": True, **params},
        "Client.DryRunOperation",
        "DryRun=True: EC2 only checks the caller's permission and never performs the call "
        f"(DryRunOperation with {action}, UnauthorizedOperation without it)",
    )


# In order of preference: the first one a control's pattern matches is its canary.
CANDIDATES: tuple[Candidate, ...] = (
    Candidate(
        "cloudtrail",
        "StartLogging",
        "cloudtrail.amazonaws.com",
        lambda t: {"Name": t.trail_arn},
        None,
        "the trail is already logging (checked just before): StartLogging on a logging trail "
        "leaves its configuration and logging as they are",
        (grant(CANARY_EVENTS, "cloudtrail:StartLogging"),),  # it can only turn logging on
        precondition="trail logging",
    ),
    Candidate(
        "sts",
        "AssumeRole",
        "sts.amazonaws.com",
        lambda t: {
            "RoleArn": f"arn:aws:iam::{t.account}:role/{t.marker}",
            "RoleSessionName": "trailwarden-canary",
        },
        "AccessDenied",
        "the role does not exist, so STS refuses (AccessDenied) and issues no credentials",
    ),
    Candidate(
        "iam",
        "DetachRolePolicy",
        "iam.amazonaws.com",
        lambda t: {
            "RoleName": t.marker,
            "PolicyArn": f"arn:aws:iam::{t.account}:policy/{t.marker}",
        },
        "NoSuchEntity",
        "neither the role nor the policy exists (random names): IAM answers NoSuchEntity (or "
        "AccessDenied without iam:DetachRolePolicy) and detaches nothing",
        region=lambda _t: "us-east-1",  # IAM's events are recorded in us-east-1
    ),
    Candidate(
        "kms",
        "DisableKey",
        "kms.amazonaws.com",
        lambda t: {"KeyId": t.nonce},
        "NotFoundException",
        "the key id is a random UUID no key has: KMS answers NotFoundException (or "
        "AccessDenied without kms:DisableKey) and disables nothing",
    ),
    Candidate(
        "s3",
        "DeleteBucketCors",
        "s3.amazonaws.com",
        lambda t: {"Bucket": t.bucket},
        None,
        "the trail bucket has no CORS configuration (GetBucketCors checked just before): "
        "deleting none removes nothing (and without s3:PutBucketCORS S3 refuses it)",
        (grant(CANARY_EVENTS, "s3:GetBucketCORS"),),  # the check before; the delete is not granted
        precondition="bucket without CORS",
    ),
    Candidate(
        "config",
        "StopConfigurationRecorder",
        "config.amazonaws.com",
        lambda t: {"ConfigurationRecorderName": t.marker},
        "NoSuchConfigurationRecorderException",
        "no recorder has that random name: AWS Config answers "
        "NoSuchConfigurationRecorderException (or AccessDenied) and stops nothing",
    ),
    _ec2(
        "CreateSecurityGroup",
        "ec2:CreateSecurityGroup",
        GroupName="trailwarden-canary",
        Description="never created: DryRun",
    ),
    _ec2("CreateNetworkAcl", "ec2:CreateNetworkAcl", VpcId=ABSENT_VPC),
    _ec2("CreateInternetGateway", "ec2:CreateInternetGateway"),
    _ec2("CreateRouteTable", "ec2:CreateRouteTable", VpcId=ABSENT_VPC),
    _ec2("CreateVpc", "ec2:CreateVpc", CidrBlock="10.255.255.0/28"),
)

# The controls no API call can trip harmlessly, and why (the engine confirms no candidate matches).
WITHOUT_CANARY: Mapping[str, str] = {
    "CloudWatch.1": "only the root user's own activity matches: a test would have to sign in "
    "as root, which must never be done for a test",
    "CloudWatch.3": "only a successful console sign-in of an IAM user without MFA matches: a "
    "browser sign-in, not an API call, and a real security event",
    "CloudWatch.6": "only a failed console sign-in matches: a browser sign-in, not an API call",
}


@dataclass(frozen=True)
class Choice:
    control: CisControl
    candidate: Candidate | None  # None: the control has no harmless event (WITHOUT_CANARY)
    also_matches: tuple[str, ...] = ()  # other CIS controls the same event trips


def matches(pattern: str, record: Mapping[str, Any]) -> bool:
    return bool(compile_pattern(parse(pattern))(record))


def canary_for(control: CisControl, target: Target) -> Choice:
    """The first candidate whose record ``control``'s pattern matches, and what else it trips."""
    for candidate in CANDIDATES:
        record = candidate.record(target)
        if matches(control.pattern, record):
            others = tuple(
                c.control_id
                for c in CIS_CONTROLS
                if c is not control and matches(c.pattern, record)
            )
            return Choice(control, candidate, others)
    return Choice(control, None)


def choose(which: str, target: Target) -> list[Choice]:
    """``which``: ``all`` or one control id (``CloudWatch.5``, the default canary)."""
    if which == "all":
        return [canary_for(c, target) for c in CIS_CONTROLS]
    wanted = [c for c in CIS_CONTROLS if c.control_id == which]
    if not wanted:
        raise KeyError(which)
    return [canary_for(wanted[0], target)]
