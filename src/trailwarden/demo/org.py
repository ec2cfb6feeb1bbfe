"""Build the simulated organisation the demo scans, through boto3 against the moto endpoint.

Everything is created with the same API calls an administrator would make on AWS (the
standard credential chain plus ``AWS_ENDPOINT_URL``; member accounts are reached with
``sts:AssumeRole`` into ``OrganizationAccountAccessRole``). Where AWS would return something
moto cannot produce by itself, the in-process patches of ``motogaps`` answer, and two things are
seeded in-process: the GetTrailStatus delivery times (no log is ever really delivered) and the
confirmation token an e-mail subscriber would receive.

How the states are laid out (and why). An organisation trail covers *every* member account and
cannot exclude one, so a member can never show "no trail at all" or fail CloudTrail.1 while the
organisation trail logs. The demo therefore has two groups:

* members of the organisation, all covered by the organisation trail (CloudTrail.1/.3 pass
  through it; Security Hub grades their *own* trails with the resource-level controls). Each
  member owns one extra trail that is right in every respect but one, so each finding has exactly
  one root cause: no log file validation, no CloudWatch Logs, a bucket without access logging, a
  public bucket, no KMS key and no tags; plus one member covered only by the organisation trail
  and one fully compliant member (its own trail, the full CIS metric-filter/alarm chain with a
  confirmed subscriber, a Lake event data store with a customer managed key);
* accounts that left the organisation (created with CreateAccount, then
  RemoveAccountFromOrganization, as during a migration): the organisation trail no longer covers
  them, which is how "no trail at all", "a single-Region trail" and "a multi-Region trail with
  write-only events" really fail CloudTrail.1. Scan them with ``--accounts`` (``scan_args()``);
  ``--org`` lists only current members.

``expected_failures`` lists the CloudTrail controls expected to FAIL in at least one scanned
Region of the account; ``cloudwatch_fails`` says whether CloudWatch.1-14 are expected to FAIL
(the member covered only by the organisation trail gets NO_DATA: the trail is not its own).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import boto3

from trailwarden import arns
from trailwarden.demo.motogaps import confirmation_token, seed_trail_status, teach_moto
from trailwarden.demo.server import pointed_at
from trailwarden.filterpattern.cis import CIS_CONTROLS

HOME_REGION = "us-east-1"
PARTITION = arns.partition_for_region(HOME_REGION)
DEMO_REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-2")
MEMBER_ROLE = "OrganizationAccountAccessRole"
CIS_NAMESPACE = CIS_CONTROLS[0].namespace
TAGS = [{"Key": "owner", "Value": "security"}, {"Key": "purpose", "Value": "audit"}]


@dataclass(frozen=True)
class DemoAccount:
    account_id: str
    name: str
    label: str
    state: str
    expected_failures: frozenset[str]
    cloudwatch_fails: bool
    in_organization: bool
    trail_arns: tuple[str, ...] = ()


@dataclass(frozen=True)
class DemoOrg:
    endpoint: str
    organization_id: str
    management_account_id: str
    org_trail_arn: str
    home_region: str
    regions: tuple[str, ...]
    accounts: tuple[DemoAccount, ...]

    def account(self, label: str) -> DemoAccount:
        for acct in self.accounts:
            if acct.label == label:
                return acct
        raise KeyError(label)

    @property
    def account_ids(self) -> list[str]:
        return [a.account_id for a in self.accounts]

    def scan_args(self) -> list[str]:
        """Arguments that scan every demo account (members and former members) in its Regions."""
        return ["--accounts", ",".join(self.account_ids), "--regions", ",".join(self.regions)]


@dataclass(frozen=True)
class TrailSpec:
    """An account's own trail: compliant unless a field says otherwise."""

    name: str
    multi_region: bool = True
    validation: bool = True
    kms: bool = True
    cloudwatch: bool = True
    tags: bool = True
    write_only: bool = False
    public_bucket: bool = False
    access_logging: bool = True
    organization: bool = False
    stale_cloudwatch: bool = False


@dataclass(frozen=True)
class _Plan:
    label: str
    state: str
    trail: TrailSpec | None
    expected: frozenset[str]
    cloudwatch_fails: bool = True
    in_org: bool = True
    lake: Literal["cmk", "default"] | None = None
    cis: bool = False


def _ids(*numbers: int) -> frozenset[str]:
    return frozenset(f"CloudTrail.{n}" for n in numbers)


PLANS: tuple[_Plan, ...] = (
    _Plan("org-only", "covered only by the organisation trail", None, _ids(), False),
    _Plan(
        "compliant",
        "fully compliant: own trail, CIS metric filters and alarms with a confirmed subscriber,"
        " Lake event data store with a customer managed key",
        TrailSpec("compliant"),
        _ids(),
        cloudwatch_fails=False,
        lake="cmk",
        cis=True,
    ),
    _Plan(
        "no-validation",
        "own trail without log file validation; its CloudWatch Logs delivery fails "
        "(AccessDeniedException) and last succeeded 3 days ago",
        TrailSpec("no-validation", validation=False, stale_cloudwatch=True),
        _ids(4),
    ),
    _Plan(
        "no-cloudwatch",
        "own trail not integrated with CloudWatch Logs",
        TrailSpec("no-cloudwatch", cloudwatch=False),
        _ids(5),
    ),
    _Plan(
        "no-access-logging",
        "own trail whose bucket has no server access logging",
        TrailSpec("no-access-logging", access_logging=False),
        _ids(7),
    ),
    _Plan(
        "public-bucket",
        "own trail whose bucket policy lets anyone read the logs",
        TrailSpec("public-bucket", public_bucket=True),
        _ids(6),
    ),
    _Plan(
        "no-kms-untagged",
        "own trail without a KMS key and without tags; Lake event data store without a CMK",
        TrailSpec("no-kms-untagged", kms=False, tags=False),
        _ids(2, 9, 10),
        lake="default",
    ),
    _Plan(
        "no-trail",
        "left the organisation: no trail at all",
        None,
        _ids(1, 3),
        in_org=False,
    ),
    _Plan(
        "single-region",
        "left the organisation: only a single-Region trail (us-east-1)",
        TrailSpec("single-region", multi_region=False),
        _ids(1, 3),  # CloudTrail.3 fails in every other Region
        in_org=False,
    ),
    _Plan(
        "write-only",
        "left the organisation: multi-Region trail logging write-only management events",
        TrailSpec("write-only", write_only=True),
        _ids(1),
        in_org=False,
    ),
)


@dataclass
class _Account:
    """Clients for one account (shared botocore session, so client creation stays cheap)."""

    session: boto3.Session
    account_id: str
    credentials: dict[str, str] = field(default_factory=dict)
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str = HOME_REGION) -> Any:
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(
                service, region_name=region, **self.credentials
            )
        return self._clients[key]


def _assume(base: _Account, account_id: str) -> _Account:
    creds = base.client("sts").assume_role(
        RoleArn=arns.role_arn(account_id, MEMBER_ROLE, PARTITION),
        RoleSessionName="trailwarden-demo",
    )["Credentials"]
    keys = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    return _Account(base.session, account_id, keys)


def _bucket_policy(bucket: str, trail_arn: str, account: str, org_id: str | None) -> dict[str, Any]:
    """The CloudTrail delivery policy of docs/aws-facts/trail-setup.md#trail-bucket-policy
    (organisation path added for an org trail)."""
    prefixes = [f"{arns.bucket_arn(bucket, PARTITION)}/AWSLogs/{account}/*"]
    if org_id:
        prefixes.append(f"{arns.bucket_arn(bucket, PARTITION)}/AWSLogs/{org_id}/*")
    service = {"Service": "cloudtrail.amazonaws.com"}
    source = {"aws:SourceArn": trail_arn}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AWSCloudTrailAclCheck",
            "Effect": "Allow",
            "Principal": service,
            "Action": "s3:GetBucketAcl",
            "Resource": arns.bucket_arn(bucket, PARTITION),
            "Condition": {"StringEquals": source},
        },
        {
            "Sid": "AWSCloudTrailWrite",
            "Effect": "Allow",
            "Principal": service,
            "Action": "s3:PutObject",
            "Resource": prefixes,
            "Condition": {"StringEquals": {**source, "s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    ]
    return {"Version": "2012-10-17", "Statement": statements}


def _public_read(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{arns.bucket_arn(bucket, PARTITION)}/*",
    }


def _access_log_bucket(acct: _Account) -> str:
    s3 = acct.client("s3")
    bucket = f"trailwarden-access-logs-{acct.account_id}"
    s3.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{arns.bucket_arn(bucket, PARTITION)}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    return bucket


def _cloudwatch_logs(acct: _Account, trail: str) -> tuple[str, str, str]:
    """A log group and the role CloudTrail assumes to write to it
    (docs/aws-facts/trail-setup.md#cloudwatch-logs-role)."""
    group = f"aws-cloudtrail-logs-{trail}"
    acct.client("logs").create_log_group(logGroupName=group)
    iam = acct.client("iam")
    role = f"CloudTrailToCloudWatch-{trail}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    group_arn = arns.log_group_arn(HOME_REGION, acct.account_id, group)
    write = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": group_arn,
            }
        ],
    }
    iam.put_role_policy(RoleName=role, PolicyName="deliver", PolicyDocument=json.dumps(write))
    return group, group_arn, role_arn


def _trail(acct: _Account, spec: TrailSpec, org_id: str | None = None) -> tuple[str, str | None]:
    """Create, configure and start one trail; returns (trail ARN, log group name or None)."""
    s3 = acct.client("s3")
    bucket = f"trailwarden-{spec.name}-{acct.account_id}"
    arn = arns.trail_arn(HOME_REGION, acct.account_id, spec.name)
    s3.create_bucket(Bucket=bucket)
    policy = _bucket_policy(bucket, arn, acct.account_id, org_id)
    if spec.public_bucket:
        policy["Statement"].append(_public_read(bucket))
    else:
        block = dict.fromkeys(
            ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"),
            True,
        )
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=block)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    if spec.access_logging:
        target = {"TargetBucket": _access_log_bucket(acct), "TargetPrefix": f"{bucket}/"}
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": target})

    params: dict[str, Any] = {
        "Name": spec.name,
        "S3BucketName": bucket,
        "IsMultiRegionTrail": spec.multi_region,
        "IncludeGlobalServiceEvents": True,
        "EnableLogFileValidation": spec.validation,
        "IsOrganizationTrail": spec.organization,
    }
    if spec.kms:
        key = acct.client("kms").create_key(Description=f"CloudTrail logs of {spec.name}")
        params["KmsKeyId"] = key["KeyMetadata"]["Arn"]
    group = None
    if spec.cloudwatch:
        group, group_arn, role_arn = _cloudwatch_logs(acct, spec.name)
        params["CloudWatchLogsLogGroupArn"] = group_arn
        params["CloudWatchLogsRoleArn"] = role_arn
    if spec.tags:
        params["TagsList"] = TAGS
    ct = acct.client("cloudtrail")
    created = ct.create_trail(**params)["TrailARN"]
    if spec.write_only:
        selector = {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}
        ct.put_event_selectors(TrailName=created, EventSelectors=[selector])
    ct.start_logging(Name=created)
    _seed_delivery(created, spec)
    return str(created), group


def _seed_delivery(trail_arn: str, spec: TrailSpec) -> None:
    """What GetTrailStatus of a healthy (or, when asked, stale) trail shows on AWS."""
    now = datetime.now(UTC).replace(microsecond=0)
    fields: dict[str, datetime | str] = {}
    if spec.validation:
        fields["LatestDigestDeliveryTime"] = now - timedelta(minutes=40)
    if spec.cloudwatch and spec.stale_cloudwatch:
        fields["LatestCloudWatchLogsDeliveryTime"] = now - timedelta(days=3)
        fields["LatestCloudWatchLogsDeliveryError"] = "AccessDeniedException"
    elif spec.cloudwatch:
        fields["LatestCloudWatchLogsDeliveryTime"] = now - timedelta(minutes=4)
    seed_trail_status(trail_arn, **fields)


def _cis_chain(acct: _Account, group: str, confirmed: bool) -> None:
    """The 14 CIS metric filters on the trail's log group, an alarm each, one SNS topic."""
    sns = acct.client("sns")
    topic = sns.create_topic(Name="cis-alarms")["TopicArn"]
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="email",
        Endpoint=f"security+{acct.account_id}@example.com",
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]
    if confirmed:  # the recipient clicked the link in the e-mail
        sns.confirm_subscription(TopicArn=topic, Token=confirmation_token(sub))
    logs, cloudwatch = acct.client("logs"), acct.client("cloudwatch")
    for cis in CIS_CONTROLS:
        logs.put_metric_filter(
            logGroupName=group,
            filterName=cis.metric_name,
            filterPattern=cis.pattern,
            metricTransformations=[
                {
                    "metricName": cis.metric_name,
                    "metricNamespace": cis.namespace,
                    "metricValue": "1",
                }
            ],
        )
        cloudwatch.put_metric_alarm(
            AlarmName=f"{cis.metric_name}-alarm",
            AlarmDescription=f"{cis.control_id}: {cis.title}",
            MetricName=cis.metric_name,
            Namespace=cis.namespace,
            Statistic=cis.statistic,
            Period=cis.period,
            EvaluationPeriods=cis.evaluation_periods,
            Threshold=cis.threshold,
            ComparisonOperator=cis.comparison_operator,
            AlarmActions=[topic],
        )


def _create_accounts(org: Any, plans: tuple[_Plan, ...]) -> Iterator[tuple[_Plan, str]]:
    for plan in plans:
        request = org.create_account(
            Email=f"{plan.label}@example.com", AccountName=f"demo-{plan.label}"
        )["CreateAccountStatus"]
        while request["State"] == "IN_PROGRESS":  # AWS creates accounts asynchronously
            time.sleep(0.05)
            request = org.describe_create_account_status(CreateAccountRequestId=request["Id"])[
                "CreateAccountStatus"
            ]
        if request["State"] != "SUCCEEDED":
            raise RuntimeError(f"CreateAccount for {plan.label} failed: {request}")
        yield plan, str(request["AccountId"])


def build_demo_org(endpoint: str) -> DemoOrg:
    """Build the whole organisation on the (in-process) moto server at ``endpoint``."""
    teach_moto()  # no-op when moto_server() already did it
    with pointed_at(endpoint):
        base = _Account(boto3.Session(region_name=HOME_REGION), "")
        base.account_id = str(base.client("sts").get_caller_identity()["Account"])
        org = base.client("organizations")
        org_id = str(org.create_organization(FeatureSet="ALL")["Organization"]["Id"])
        org.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")

        org_spec = TrailSpec("org-trail", organization=True)
        org_trail, org_group = _trail(base, org_spec, org_id)
        assert org_group is not None
        # The management account has the CIS chain too, but nobody confirmed the e-mail
        # subscription: CloudWatch.1-14 fail there for want of a confirmed subscriber.
        _cis_chain(base, org_group, confirmed=False)
        accounts = [
            DemoAccount(
                base.account_id,
                "management",
                "management",
                "management account: organisation trail (multi-Region, logging, validation, KMS,"
                " CloudWatch Logs); CIS alarms whose e-mail subscriber never confirmed",
                frozenset(),
                cloudwatch_fails=True,
                in_organization=True,
                trail_arns=(org_trail,),
            )
        ]
        for plan, account_id in list(_create_accounts(org, PLANS)):
            if not plan.in_org:
                org.remove_account_from_organization(AccountId=account_id)
            acct = _assume(base, account_id)
            trails: tuple[str, ...] = ()
            if plan.trail is not None:
                arn, group = _trail(acct, plan.trail)
                trails = (arn,)
                if plan.cis and group is not None:
                    _cis_chain(acct, group, confirmed=True)
            if plan.lake is not None:
                ct = acct.client("cloudtrail")
                lake: dict[str, Any] = {"Name": f"lake-{plan.label}"}
                if plan.lake == "cmk":
                    lake["KmsKeyId"] = acct.client("kms").create_key()["KeyMetadata"]["Arn"]
                ct.create_event_data_store(**lake)
            accounts.append(
                DemoAccount(
                    account_id,
                    f"demo-{plan.label}",
                    plan.label,
                    plan.state,
                    plan.expected,
                    plan.cloudwatch_fails,
                    plan.in_org,
                    trails,
                )
            )
        return DemoOrg(
            endpoint=endpoint,
            organization_id=org_id,
            management_account_id=base.account_id,
            org_trail_arn=org_trail,
            home_region=HOME_REGION,
            regions=DEMO_REGIONS,
            accounts=tuple(accounts),
        )


def build_scale_org(endpoint: str, accounts: int) -> list[str]:
    """An organisation of ``accounts`` members, each with one multi-Region logging trail.

    For benchmarks (N accounts x R Regions): the minimum that gives every account-Region one
    trail to read, built with the same calls as ``build_demo_org``. Returns the member ids.
    """
    if accounts < 1:
        raise ValueError("accounts must be >= 1")
    teach_moto()
    with pointed_at(endpoint):
        base = _Account(boto3.Session(region_name=HOME_REGION), "")
        org = base.client("organizations")
        org.create_organization(FeatureSet="ALL")
        plans = tuple(
            _Plan(f"scale-{n:04d}", "benchmark member", None, frozenset()) for n in range(accounts)
        )
        members = []
        for _plan, account_id in _create_accounts(org, plans):
            acct = _assume(base, account_id)
            bucket = f"trailwarden-scale-{account_id}"
            acct.client("s3").create_bucket(Bucket=bucket)
            ct = acct.client("cloudtrail")
            arn = ct.create_trail(
                Name="scale-trail",
                S3BucketName=bucket,
                IsMultiRegionTrail=True,
                EnableLogFileValidation=True,
                TagsList=TAGS,
            )["TrailARN"]
            ct.start_logging(Name=arn)
            members.append(account_id)
        return members
