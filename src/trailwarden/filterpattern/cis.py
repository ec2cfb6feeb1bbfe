"""The 14 CIS metric-filter controls Security Hub checks as CloudWatch.1-14, as data.

Patterns are byte-exact copies of docs/aws-facts/controls.md#cis-patterns (Security Hub user guide,
cloudwatch-controls.md @ 47bfe2f); tests cross-check them canonically against the dataset copy
cis-cloudwatch-metric-filters/cis_patterns.json. Alarm settings are the CIS CLI's: Sum over 300 s,
one evaluation period, >= 1. ``cis_v14`` is empty for CloudWatch.2/.3: in CIS v1.4.0 those are
manual checks with no Security Hub control.
"""

from __future__ import annotations

from dataclasses import dataclass

from trailwarden.filterpattern.errors import FilterPatternError
from trailwarden.filterpattern.parser import canonical


@dataclass(frozen=True, slots=True)
class CisControl:
    control_id: str
    title: str
    pattern: str
    cis_v12: tuple[str, ...]
    cis_v14: tuple[str, ...]
    metric_name: str
    namespace: str = "CISBenchmark"
    statistic: str = "Sum"
    period: int = 300
    threshold: float = 1.0
    evaluation_periods: int = 1
    comparison_operator: str = "GreaterThanOrEqualToThreshold"

    @property
    def short_title(self) -> str:
        """A plural noun phrase for sentences: "catches all <IAM policy changes>"."""
        return _SHORT[self.control_id]


def _or_names(*names: str) -> str:
    return " || ".join(f"($.eventName={name})" for name in names)


# Titles as Security Hub words them (the root one differs in style, as it does there).
_TITLE = "Ensure a log metric filter and alarm exist for "

CIS_CONTROLS: tuple[CisControl, ...] = (
    CisControl(
        "CloudWatch.1",
        'A log metric filter and alarm should exist for usage of the "root" user',
        '{$.userIdentity.type="Root" && $.userIdentity.invokedBy NOT EXISTS '
        '&& $.eventType !="AwsServiceEvent"}',
        ("1.1", "3.3"),
        ("1.7", "4.3"),
        "RootAccountUsage",
    ),
    CisControl(
        "CloudWatch.2",
        _TITLE + "unauthorized API calls",
        '{($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")}',
        ("3.1",),
        (),
        "UnauthorizedAPICalls",
    ),
    CisControl(
        "CloudWatch.3",
        _TITLE + "Management Console sign-in without MFA",
        '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") '
        '&& ($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
        ("3.2",),
        (),
        "ConsoleSigninWithoutMFA",
    ),
    CisControl(
        "CloudWatch.4",
        _TITLE + "IAM policy changes",
        "{"
        + _or_names(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
        + "}",
        ("3.4",),
        ("4.4",),
        "IAMPolicyChanges",
    ),
    CisControl(
        "CloudWatch.5",
        _TITLE + "CloudTrail AWS Configuration changes",
        "{"
        + _or_names("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging")
        + "}",
        ("3.5",),
        ("4.5",),
        "CloudTrailConfigChanges",
    ),
    CisControl(
        "CloudWatch.6",
        _TITLE + "AWS Management Console authentication failures",
        '{($.eventName=ConsoleLogin) && ($.errorMessage="Failed authentication")}',
        ("3.6",),
        ("4.6",),
        "ConsoleSigninFailures",
    ),
    CisControl(
        "CloudWatch.7",
        _TITLE + "disabling or scheduled deletion of customer managed keys",
        "{($.eventSource=kms.amazonaws.com) && ("
        + _or_names("DisableKey", "ScheduleKeyDeletion")
        + ")}",
        ("3.7",),
        ("4.7",),
        "DisableOrDeleteCMK",
    ),
    CisControl(
        "CloudWatch.8",
        _TITLE + "S3 bucket policy changes",
        "{($.eventSource=s3.amazonaws.com) && ("
        + _or_names(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
        )
        + ")}",
        ("3.8",),
        ("4.8",),
        "S3BucketPolicyChanges",
    ),
    CisControl(
        "CloudWatch.9",
        _TITLE + "AWS Config configuration changes",
        "{($.eventSource=config.amazonaws.com) && ("
        + _or_names(
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
        )
        + ")}",
        ("3.9",),
        ("4.9",),
        "AWSConfigChanges",
    ),
    CisControl(
        "CloudWatch.10",
        _TITLE + "security group changes",
        "{"
        + _or_names(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        )
        + "}",
        ("3.10",),
        ("4.10",),
        "SecurityGroupChanges",
    ),
    CisControl(
        "CloudWatch.11",
        _TITLE + "changes to Network Access Control Lists (NACL)",
        "{"
        + _or_names(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        )
        + "}",
        ("3.11",),
        ("4.11",),
        "NACLChanges",
    ),
    CisControl(
        "CloudWatch.12",
        _TITLE + "changes to network gateways",
        "{"
        + _or_names(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        )
        + "}",
        ("3.12",),
        ("4.12",),
        "NetworkGatewayChanges",
    ),
    CisControl(
        "CloudWatch.13",
        _TITLE + "route table changes",
        "{"
        + _or_names(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        )
        + "}",
        ("3.13",),
        ("4.13",),
        "RouteTableChanges",
    ),
    CisControl(
        "CloudWatch.14",
        _TITLE + "VPC changes",
        "{"
        + _or_names(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
            "AttachClassicLinkVpc",
            "DetachClassicLinkVpc",
            "DisableVpcClassicLink",
            "EnableVpcClassicLink",
        )
        + "}",
        ("3.14",),
        ("4.14",),
        "VPCChanges",
    ),
)

_SHORT = {
    "CloudWatch.1": "root user activity",
    "CloudWatch.2": "unauthorized API calls",
    "CloudWatch.3": "console sign-ins without MFA",
    "CloudWatch.4": "IAM policy changes",
    "CloudWatch.5": "CloudTrail configuration changes",
    "CloudWatch.6": "console authentication failures",
    "CloudWatch.7": "KMS key disablings and scheduled deletions",
    "CloudWatch.8": "S3 bucket policy changes",
    "CloudWatch.9": "AWS Config configuration changes",
    "CloudWatch.10": "security group changes",
    "CloudWatch.11": "network ACL changes",
    "CloudWatch.12": "network gateway changes",
    "CloudWatch.13": "route table changes",
    "CloudWatch.14": "VPC changes",
}

BY_ID: dict[str, CisControl] = {control.control_id: control for control in CIS_CONTROLS}


def control(control_id: str) -> CisControl:
    """Look a control up by id ("CloudWatch.4"); KeyError names the valid ids."""
    try:
        return BY_ID[control_id]
    except KeyError:
        raise KeyError(f"unknown control {control_id!r}; expected CloudWatch.1 to .14") from None


def is_exact(pattern: str, control_id: str) -> bool:
    """Security Hub's test: is ``pattern`` the CIS filter of ``control_id``, layout aside?

    A deployed filter that does not even parse is simply not the CIS filter (False, no error).
    """
    try:
        return canonical(pattern) == canonical(control(control_id).pattern)
    except FilterPatternError:
        return False


def exact_control(pattern: str) -> CisControl | None:
    """The control whose CIS filter ``pattern`` is (layout aside), if any."""
    return next((c for c in CIS_CONTROLS if is_exact(pattern, c.control_id)), None)
