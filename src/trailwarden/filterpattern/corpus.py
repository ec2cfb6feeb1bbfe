"""A built-in corpus of CloudTrail records per CIS control, to judge filters by what they catch.

Records follow the CloudTrail record schema (docs/aws-facts/records.md#record-fields):
eventVersion 1.09 fields, realistic userIdentity blocks, ConsoleLogin's responseElements and
additionalEventData. Each example says whether the exact CIS pattern matches it (``positive``) and
carries a phrase for explanations ("a console sign-in by the root user"). Edge cases are chosen
where filters differ in practice: root with invokedBy, AwsServiceEvent, MFAUsed absent vs "No",
errorCode spellings, and API calls CIS leaves out (PutEventSelectors, UpdateAssumeRolePolicy).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from trailwarden.filterpattern.cis import BY_ID

ACCOUNT = "111122223333"
_NAMESPACE = uuid.UUID("6b1b9a52-0c5e-4c57-9d43-3a3c2f1f0b7e")


@dataclass(frozen=True, slots=True)
class Example:
    name: str  # "CloudWatch.1/root-console-login": unique, stable, shown to users
    control_id: str
    positive: bool  # the exact CIS pattern of control_id matches it
    description: str  # a noun phrase for sentences: "a console sign-in by the root user"
    event: Mapping[str, Any]


# ---- record builders ----------------------------------------------------------------------------


def iam_user(name: str = "alice") -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEALICE0001",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEALICE0001",
        "userName": name,
    }


def root(**extra: Any) -> dict[str, Any]:
    return {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROOT00001",
        **extra,
    }


def assumed_role(role: str = "Admin", session: str = "bob", **attributes: str) -> dict[str, Any]:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLE00001:{session}",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{session}",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROLE00001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLE00001",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/{role}",
                "accountId": ACCOUNT,
                "userName": role,
            },
            "attributes": {
                "creationDate": "2025-03-01T09:58:00Z",
                "mfaAuthenticated": "false",
                **attributes,
            },
        },
    }


def record(
    name: str,
    event_name: str,
    event_source: str,
    identity: Mapping[str, Any] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A CloudTrail record; ``fields`` override or add members (``None`` values are kept)."""
    read_only = event_name.startswith(("Describe", "Get", "List", "Head"))
    event: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": dict(identity if identity is not None else iam_user()),
        "eventTime": "2025-03-01T10:00:00Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
        "requestParameters": None,
        "responseElements": None,
        "requestID": str(uuid.uuid5(_NAMESPACE, "request/" + name)),
        "eventID": str(uuid.uuid5(_NAMESPACE, name)),
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventCategory": "Management",
    }
    event.update(fields)
    return event


def console_login(
    name: str,
    identity: Mapping[str, Any],
    *,
    success: bool = True,
    mfa_used: str | None = "No",
    error_message: str = "Failed authentication",
) -> dict[str, Any]:
    additional: dict[str, Any] = {
        "LoginTo": "https://console.aws.amazon.com/console/home",
        "MobileVersion": "No",
    }
    if mfa_used is not None:
        additional["MFAUsed"] = mfa_used
    fields: dict[str, Any] = {
        "eventType": "AwsConsoleSignIn",
        "userAgent": "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/123.0",
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": additional,
    }
    if not success:
        fields["errorMessage"] = error_message
    identity = {k: v for k, v in identity.items() if k != "accessKeyId"}
    return record(name, "ConsoleLogin", "signin.amazonaws.com", identity, **fields)


def _article(word: str) -> str:
    return "an" if word.startswith(("A", "E", "I", "O", "U", "S3")) else "a"


# ---- the corpus ---------------------------------------------------------------------------------


def _build() -> list[Example]:
    examples: list[Example] = []

    def add(control_id: str, slug: str, positive: bool, description: str, event: Any) -> None:
        examples.append(Example(f"{control_id}/{slug}", control_id, positive, description, event))

    def named(control_id: str, source: str, service: str, names: str, positive: bool) -> None:
        for event_name in names.split():
            slug = f"{event_name}" if positive else f"not-{event_name}"
            name = f"{control_id}/{slug}"
            add(
                control_id,
                slug,
                positive,
                f"{_article(service)} {service} {event_name} call",
                record(name, event_name, source),
            )

    c = "CloudWatch.1"
    add(
        c,
        "root-api-call",
        True,
        "an API call made with root credentials",
        record(f"{c}/a", "ListBuckets", "s3.amazonaws.com", root()),
    )
    add(
        c,
        "root-console-login",
        True,
        "a console sign-in by the root user",
        console_login(f"{c}/b", root(), mfa_used="Yes"),
    )
    add(
        c,
        "root-console-login-failed",
        True,
        "a failed console sign-in by the root user",
        console_login(f"{c}/c", root(), success=False),
    )
    add(
        c,
        "root-console-session-call",
        True,
        "a console API call in a root session",
        record(
            f"{c}/d",
            "DeleteAccessKey",
            "iam.amazonaws.com",
            root(),
            userAgent="console.amazonaws.com",
            sessionCredentialFromConsole="true",
        ),
    )
    add(
        c,
        "root-invoked-by-service",
        False,
        "a root call made by an AWS service on its behalf",
        record(
            f"{c}/e", "CreateCase", "support.amazonaws.com", root(invokedBy="support.amazonaws.com")
        ),
    )
    add(
        c,
        "root-aws-service-event",
        False,
        "an AwsServiceEvent recorded under the root identity",
        record(
            f"{c}/f",
            "SharedSnapshotCopyInitiated",
            "ec2.amazonaws.com",
            {"type": "Root", "accountId": ACCOUNT, "principalId": ACCOUNT},
            eventType="AwsServiceEvent",
            serviceEventDetails={"snapshotId": "snap-1"},
            readOnly=False,
        ),
    )
    add(
        c,
        "iam-user-api-call",
        False,
        "an API call by an IAM user",
        record(f"{c}/g", "ListBuckets", "s3.amazonaws.com"),
    )

    c = "CloudWatch.2"
    for code, source, event_name, positive in (
        ("AccessDenied", "s3.amazonaws.com", "GetObject", True),
        ("Client.UnauthorizedOperation", "ec2.amazonaws.com", "RunInstances", True),
        ("UnauthorizedOperation", "ec2.amazonaws.com", "CreateVolume", True),
        ("AccessDeniedException", "kms.amazonaws.com", "Decrypt", True),
        ("ThrottlingException", "ssm.amazonaws.com", "GetParameters", False),
        ("NoSuchBucket", "s3.amazonaws.com", "GetBucketPolicy", False),
        ("EntityTemporarilyUnmodifiableException", "iam.amazonaws.com", "DeleteRole", False),
        ("Client.AuthFailure", "ec2.amazonaws.com", "DescribeRegions", False),
    ):
        add(
            c,
            f"error-{code}",
            positive,
            f"a call that failed with errorCode {code}",
            record(
                f"{c}/{code}", event_name, source, errorCode=code, errorMessage="(message varies)"
            ),
        )
    add(
        c,
        "no-error",
        False,
        "a successful call",
        record(f"{c}/ok", "DescribeInstances", "ec2.amazonaws.com"),
    )

    c = "CloudWatch.3"
    add(
        c,
        "iam-user-login-without-mfa",
        True,
        "an IAM user's console sign-in without MFA",
        console_login(f"{c}/a", iam_user()),
    )
    add(
        c,
        "iam-user-login-with-mfa",
        False,
        "an IAM user's console sign-in with MFA",
        console_login(f"{c}/b", iam_user(), mfa_used="Yes"),
    )
    add(
        c,
        "iam-user-login-failed",
        False,
        "a failed IAM user console sign-in",
        console_login(f"{c}/c", iam_user(), success=False),
    )
    add(
        c,
        "iam-user-login-mfaused-absent",
        False,
        "an IAM user's console sign-in whose record has no MFAUsed member",
        console_login(f"{c}/d", iam_user(), mfa_used=None),
    )
    add(
        c,
        "sso-login-without-mfaused",
        False,
        "an assumed-role (SSO) console sign-in",
        console_login(f"{c}/e", assumed_role("AWSReservedSSO_Admin", "carol"), mfa_used=None),
    )
    add(
        c,
        "root-login-without-mfa",
        False,
        "a root console sign-in without MFA",
        console_login(f"{c}/f", root()),
    )

    iam_changes = (
        "DeleteGroupPolicy DeleteRolePolicy DeleteUserPolicy PutGroupPolicy PutRolePolicy "
        "PutUserPolicy CreatePolicy DeletePolicy CreatePolicyVersion DeletePolicyVersion "
        "AttachRolePolicy DetachRolePolicy AttachUserPolicy DetachUserPolicy AttachGroupPolicy "
        "DetachGroupPolicy"
    )
    c = "CloudWatch.4"
    named(c, "iam.amazonaws.com", "IAM", iam_changes, True)
    named(
        c,
        "iam.amazonaws.com",
        "IAM",
        "UpdateAssumeRolePolicy PutRolePermissionsBoundary CreateUser GetPolicy ListPolicies",
        False,
    )
    add(
        c,
        "iot-CreatePolicy",
        True,
        "an AWS IoT CreatePolicy call (CIS matches any service)",
        record(f"{c}/iot", "CreatePolicy", "iot.amazonaws.com"),
    )
    add(
        c,
        "organizations-AttachPolicy",
        False,
        "an AWS Organizations AttachPolicy call",
        record(f"{c}/org", "AttachPolicy", "organizations.amazonaws.com"),
    )

    c = "CloudWatch.5"
    named(
        c,
        "cloudtrail.amazonaws.com",
        "CloudTrail",
        "CreateTrail UpdateTrail DeleteTrail StartLogging StopLogging",
        True,
    )
    named(
        c,
        "cloudtrail.amazonaws.com",
        "CloudTrail",
        "PutEventSelectors DescribeTrails GetTrailStatus",
        False,
    )

    c = "CloudWatch.6"
    add(
        c,
        "iam-user-failed-authentication",
        True,
        "a failed IAM user console sign-in",
        console_login(f"{c}/a", iam_user(), success=False),
    )
    add(
        c,
        "root-failed-authentication",
        True,
        "a failed root console sign-in",
        console_login(f"{c}/b", root(), success=False),
    )
    add(
        c,
        "successful-login",
        False,
        "a successful console sign-in",
        console_login(f"{c}/c", iam_user()),
    )
    add(
        c,
        "unknown-user",
        False,
        "a console sign-in attempt for a user name that does not exist",
        console_login(
            f"{c}/d",
            {
                "type": "IAMUser",
                "accountId": ACCOUNT,
                "principalId": ACCOUNT,
                "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
            },
            success=False,
            error_message="No username found in supplied account",
        ),
    )

    c = "CloudWatch.7"
    named(c, "kms.amazonaws.com", "KMS", "DisableKey ScheduleKeyDeletion", True)
    named(
        c,
        "kms.amazonaws.com",
        "KMS",
        "EnableKey CancelKeyDeletion DisableKeyRotation PutKeyPolicy",
        False,
    )
    add(
        c,
        "DisableKey-denied",
        True,
        "a KMS DisableKey call that was denied",
        record(f"{c}/denied", "DisableKey", "kms.amazonaws.com", errorCode="AccessDeniedException"),
    )
    add(
        c,
        "other-service-DisableKey",
        False,
        "a DisableKey call to a service other than KMS",
        record(f"{c}/other", "DisableKey", "payment-cryptography.amazonaws.com"),
    )

    c = "CloudWatch.8"
    named(
        c,
        "s3.amazonaws.com",
        "S3",
        "PutBucketAcl PutBucketPolicy PutBucketCors PutBucketLifecycle PutBucketReplication "
        "DeleteBucketPolicy DeleteBucketCors DeleteBucketLifecycle DeleteBucketReplication",
        True,
    )
    named(
        c,
        "s3.amazonaws.com",
        "S3",
        "PutBucketPublicAccessBlock DeleteBucket GetBucketPolicy PutObject",
        False,
    )

    c = "CloudWatch.9"
    named(
        c,
        "config.amazonaws.com",
        "AWS Config",
        "StopConfigurationRecorder DeleteDeliveryChannel PutDeliveryChannel "
        "PutConfigurationRecorder",
        True,
    )
    named(
        c,
        "config.amazonaws.com",
        "AWS Config",
        "StartConfigurationRecorder DeleteConfigurationRecorder DescribeConfigurationRecorders",
        False,
    )

    ec2 = "ec2.amazonaws.com"
    for c, positives, negatives in (
        (
            "CloudWatch.10",
            "AuthorizeSecurityGroupIngress AuthorizeSecurityGroupEgress "
            "RevokeSecurityGroupIngress RevokeSecurityGroupEgress CreateSecurityGroup "
            "DeleteSecurityGroup",
            "ModifySecurityGroupRules DescribeSecurityGroups",
        ),
        (
            "CloudWatch.11",
            "CreateNetworkAcl CreateNetworkAclEntry DeleteNetworkAcl DeleteNetworkAclEntry "
            "ReplaceNetworkAclEntry ReplaceNetworkAclAssociation",
            "DescribeNetworkAcls",
        ),
        (
            "CloudWatch.12",
            "CreateCustomerGateway DeleteCustomerGateway AttachInternetGateway "
            "CreateInternetGateway DeleteInternetGateway DetachInternetGateway",
            "CreateNatGateway AttachVpnGateway DescribeInternetGateways",
        ),
        (
            "CloudWatch.13",
            "CreateRoute CreateRouteTable ReplaceRoute ReplaceRouteTableAssociation "
            "DeleteRouteTable DeleteRoute DisassociateRouteTable",
            "AssociateRouteTable DescribeRouteTables",
        ),
        (
            "CloudWatch.14",
            "CreateVpc DeleteVpc ModifyVpcAttribute AcceptVpcPeeringConnection "
            "CreateVpcPeeringConnection DeleteVpcPeeringConnection RejectVpcPeeringConnection "
            "AttachClassicLinkVpc DetachClassicLinkVpc DisableVpcClassicLink "
            "EnableVpcClassicLink",
            "CreateDefaultVpc CreateVpcEndpoint DescribeVpcs",
        ),
    ):
        named(c, ec2, "EC2", positives, True)
        named(c, ec2, "EC2", negatives, False)
    return examples


CORPUS: tuple[Example, ...] = tuple(_build())
BY_NAME: dict[str, Example] = {example.name: example for example in CORPUS}


def examples_for(control_id: str) -> tuple[Example, ...]:
    """The positive and negative examples written for one control."""
    if control_id not in BY_ID:
        raise KeyError(f"unknown control {control_id!r}; expected CloudWatch.1 to .14")
    return tuple(e for e in CORPUS if e.control_id == control_id)
