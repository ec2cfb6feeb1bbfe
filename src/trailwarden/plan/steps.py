"""Snapshot + baseline -> the ordered steps that build the baseline (pure; issue 4 part 2).

One step is one AWS call, in the order of spec §4.8: buckets and their policies, the KMS key, the
log group and delivery role, then CreateTrail/UpdateTrail (which validates the bucket and key
policies synchronously, so those come first), PutEventSelectors, StartLogging, and after the trail
the SNS topic, the 14 metric filters and the 14 alarms. Trail mutations happen in the trail's home
Region.

Each step's action (create / update / noop) is predicted from the snapshot here. The snapshot
does not hold everything (a bucket no trail uses yet, a role's inline policy), so unknown state
is predicted as a change; ``trailwarden plan`` then checks every step against live AWS
(``trailwarden.apply.live``) and ``apply`` checks again just before acting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trailwarden.collect.arns import log_group_name
from trailwarden.controls.selectors import covers_all_management, logs_data_events
from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.cost import CostEstimate, estimate, inputs_for_baseline
from trailwarden.plan.model import MERGE, AccountPlan, Action, Plan, Step
from trailwarden.plan.repair import TrailChoice, choose_trail, covered_by_organisation
from trailwarden.policies import merge_statements
from trailwarden.snapshot.model import AccountScan, Bucket, LogGroup, Snapshot, Trail

CLOUDWATCH_CONTROLS = [f"CloudWatch.{n}" for n in range(1, 15)]
CREATE_TRAIL_CONTROLS = [f"CloudTrail.{n}" for n in (1, 2, 3, 4, 5, 9)]
TRAIL_FIELDS = (
    "S3BucketName",
    "S3KeyPrefix",
    "IncludeGlobalServiceEvents",
    "IsMultiRegionTrail",
    "EnableLogFileValidation",
    "KmsKeyId",
    "CloudWatchLogsLogGroupArn",
    "CloudWatchLogsRoleArn",
)


@dataclass(frozen=True)
class PlanOptions:
    """``baseline``: the ``Baseline.from_options`` keyword arguments the user gave (no account)."""

    baseline: Mapping[str, Any] = field(default_factory=dict)
    allow_data_events: bool = False
    events_per_month: int = 300_000
    accounts: tuple[str, ...] | None = None  # None: every reachable account in the snapshot


def kms_alias_ref(region: str, alias: str) -> str:
    """The placeholder apply resolves to the ARN of the key behind ``alias``."""
    return f"${{kms-alias:{region}:{alias}}}"


def build_plan(snapshot: Snapshot, options: PlanOptions, now: datetime | None = None) -> Plan:
    wanted = set(options.accounts) if options.accounts else None
    plan = Plan(generated_at=now or datetime.now(UTC))
    for scan in snapshot.accounts:
        if wanted is not None and scan.account not in wanted:
            continue
        if not scan.reachable:
            plan.accounts.append(
                AccountPlan(account=scan.account, trail="skip", notes=["account not reachable"])
            )
            continue
        account_plan, steps = plan_account(scan, options)
        plan.accounts.append(account_plan)
        plan.steps.extend(steps)
    plan.cost_usd_per_month = round(
        sum(a.cost.total_usd_per_month for a in plan.accounts if a.cost), 2
    )
    return plan


def plan_account(scan: AccountScan, options: PlanOptions) -> tuple[AccountPlan, list[Step]]:
    foreign = [t for t in scan.trails if t.account != scan.account]
    choice = choose_trail(scan, options.baseline)
    org_trail = covered_by_organisation(scan, foreign)
    if choice.trail is None and org_trail is not None:
        note = (
            f"covered by organisation trail {org_trail.arn}: plan it in account"
            f" {org_trail.account} (a trail here would be a billed second copy)"
        )
        return AccountPlan(account=scan.account, trail="skip", notes=[note]), []
    kwargs = {"home_region": "us-east-1", **options.baseline, **choice.overrides}
    baseline = Baseline.from_options(account_id=scan.account, **kwargs)
    builder = _Builder(scan, baseline, choice, options)
    builder.build()
    paid_copy = choice.trail is None and any(
        t.selectors is not None and covers_all_management(t.selectors) for t in scan.trails
    )
    account_plan = AccountPlan(
        account=scan.account,
        trail="repair" if choice.trail else "create",
        trail_arn=baseline.trail_arn,
        baseline=baseline,
        notes=[*choice.notes, *builder.notes],
    )
    account_plan.cost = account_cost(
        scan, baseline, builder.steps, options.events_per_month, paid_copy, choice.trail
    )
    return account_plan, builder.steps


def account_cost(
    scan: AccountScan,
    baseline: Baseline,
    steps: list[Step],
    events_per_month: int,
    paid_copy: bool,
    trail: Trail | None = None,
) -> CostEstimate:
    """The monthly cost the account's changed steps add (spec §5 via plan/cost.py)."""

    def changed(operation: str) -> list[Step]:
        return [s for s in steps if s.operation == operation and s.action != "noop"]

    group = _log_group(scan, baseline)
    inputs = inputs_for_baseline(
        baseline,
        management_events_per_month=events_per_month,
        regions=max(1, len(scan.regions_enabled)),
        creates_paid_copy=paid_copy,
        existing_alarms=len(group.alarms or []) if group else 0,
        new_alarms=len(changed("PutMetricAlarm")),
        creates_key=bool(changed("CreateKey")),
    )
    if group is not None and group.exists:  # the trail already sends its events there
        inputs = inputs.model_copy(update={"cloudwatch_events_per_month": 0})
    if trail is not None and trail.kms_key_id:  # already encrypting: no new KMS requests
        inputs = inputs.model_copy(update={"kms_requests_per_month": 0})
    return estimate(inputs)


def _log_group(scan: AccountScan, baseline: Baseline) -> LogGroup | None:
    return next(
        (
            g
            for g in scan.log_groups
            if g.name == baseline.cloudwatch.log_group
            and g.region == baseline.trail.home_region
            and g.account == scan.account
        ),
        None,
    )


class _Builder:
    def __init__(
        self, scan: AccountScan, baseline: Baseline, choice: TrailChoice, options: PlanOptions
    ) -> None:
        self.scan = scan
        self.b = baseline
        self.trail: Trail | None = choice.trail
        self.bucket_owned = choice.bucket_owned
        self.options = options
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.home = baseline.trail.home_region
        self.group = _log_group(scan, baseline)

    def add(
        self,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        action: Action,
        reason: str,
        controls: list[str],
        target: str,
    ) -> None:
        self.steps.append(
            Step(
                id=f"{self.scan.account}:{len(self.steps) + 1:02d}",
                account=self.scan.account,
                region=region,
                action=action,
                service=service,
                operation=operation,
                params=params,
                reason=reason,
                controls=controls,
                target=target,
            )
        )

    def build(self) -> None:
        if self.bucket_owned:
            self.access_log_bucket()
            self.trail_bucket()
        self.kms_key()
        self.cloudwatch()
        self.trail_steps()
        if self.b.alarms is not None:
            self.alarms()

    # --- 1. buckets ---------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.scan.buckets if b.name == name and b.owned), None)

    def create_bucket(self, name: str, known: Bucket | None, why: str, controls: list[str]) -> None:
        region = self.b.bucket.region
        params: dict[str, Any] = {"Bucket": name}
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        action: Action = "noop" if known is not None and known.exists else "create"
        self.add(region, "s3", "CreateBucket", params, action, why, controls, name)
        pab = known.public_access_block if known else None
        self.add(
            region,
            "s3",
            "PutPublicAccessBlock",
            {"Bucket": name, "PublicAccessBlockConfiguration": self.b.public_access_block()},
            "noop" if pab and all(pab.get(k) for k in self.b.public_access_block()) else "update",
            "turn on all four Block Public Access flags",
            ["CloudTrail.6"] if name == self.b.bucket.name else [],
            name,
        )
        self.add(
            region,
            "s3",
            "PutBucketEncryption",
            {
                "Bucket": name,
                "ServerSideEncryptionConfiguration": {"Rules": self.b.encryption_rules()},
            },
            "noop" if known and known.encryption else "update",
            "default encryption (kept as it is when the bucket already has one)",
            [],
            name,
        )

    def merge_step(
        self,
        region: str,
        service: str,
        operation: str,
        params: dict[str, Any],
        existing: dict[str, Any] | None,
        required: list[dict[str, Any]],
        what: str,
        controls: list[str],
        target: str,
    ) -> None:
        """A read-modify-write of a policy: the live document gets our statements merged in."""
        sids = ", ".join(str(s["Sid"]) for s in required)
        action: Action = "update"
        if existing is not None:
            action = "update" if merge_statements(existing or None, required).changed else "noop"
        reason = f"merge statements {sids} into {what}; every other statement is kept"
        self.add(
            region,
            service,
            operation,
            {**params, MERGE: required},
            action,
            reason,
            controls,
            target,
        )

    def access_log_bucket(self) -> None:
        name = self.b.bucket.access_log_bucket
        known = self.bucket(name)
        self.create_bucket(
            name, known, "a separate bucket for the trail bucket's access logs", ["CloudTrail.7"]
        )
        self.merge_step(
            self.b.bucket.region,
            "s3",
            "PutBucketPolicy",
            {"Bucket": name},
            known.policy if known else None,
            self.b.access_log_bucket_policy()["Statement"],
            f"the bucket policy of {name} (S3 server access log delivery, TLS only)",
            ["CloudTrail.7"],
            name,
        )

    def trail_bucket(self) -> None:
        name, region = self.b.bucket.name, self.b.bucket.region
        known = self.bucket(name)
        self.create_bucket(name, known, "the trail's log bucket", ["CloudTrail.1", "CloudTrail.3"])
        self.add(
            region,
            "s3",
            "PutBucketVersioning",
            {"Bucket": name, "VersioningConfiguration": {"Status": "Enabled"}},
            "update",
            "keep overwritten or deleted log files (versioning)",
            [],
            name,
        )
        self.add(
            region,
            "s3",
            "PutBucketLifecycleConfiguration",
            {"Bucket": name, "LifecycleConfiguration": {"Rules": self.b.lifecycle_rules()}},
            "update",
            f"expire log files after {self.b.bucket.retention_days} days (rule"
            " trailwarden-retention; other lifecycle rules are kept)",
            [],
            name,
        )
        logged = known is not None and known.logging_enabled
        self.add(
            region,
            "s3",
            "PutBucketLogging",
            {"Bucket": name, "BucketLoggingStatus": {"LoggingEnabled": self.b.logging_target()}},
            "noop" if logged else "update",
            f"server access logging to {self.b.bucket.access_log_bucket}",
            ["CloudTrail.7"],
            name,
        )
        self.merge_step(
            region,
            "s3",
            "PutBucketPolicy",
            {"Bucket": name},
            known.policy if known else None,
            self.b.bucket_policy()["Statement"],
            f"the bucket policy of {name} (CloudTrail may write, TLS only); CreateTrail checks it",
            ["CloudTrail.1", "CloudTrail.3"],
            name,
        )

    # --- 2. KMS -------------------------------------------------------------------------------

    def kms_key(self) -> None:
        kms = self.b.kms
        region = self.b.kms_region
        if kms.mode == "none":
            self.notes.append("--kms-key none: CloudTrail.2 stays failed")
            return
        if kms.mode == "existing":
            assert kms.key_arn is not None
            self.merge_step(
                region,
                "kms",
                "PutKeyPolicy",
                {"KeyId": kms.key_arn, "PolicyName": "default"},
                None,
                self.b.key_policy_statements(),
                f"the key policy of {kms.key_arn}",
                ["CloudTrail.2"],
                kms.key_arn,
            )
            return
        assert kms.alias is not None
        params = {**self.b.create_key_params(), "AliasName": kms.alias}
        self.add(
            region,
            "kms",
            "CreateKey",
            params,
            "create",
            f"a symmetric key in the bucket's Region {region} with CloudTrail's key policy"
            f" (alias {kms.alias})",
            ["CloudTrail.2"],
            kms.alias,
        )
        self.add(
            region,
            "kms",
            "EnableKeyRotation",
            {"KeyId": kms_alias_ref(region, kms.alias)},
            "update",
            "yearly automatic rotation of the new key",
            [],
            kms.alias,
        )

    # --- 3. CloudWatch Logs group and delivery role ---------------------------------------------

    def cloudwatch(self) -> None:
        cw = self.b.cloudwatch
        group = self.group
        exists = group is not None and bool(group.exists)
        controls = ["CloudTrail.5", *CLOUDWATCH_CONTROLS]
        self.add(
            self.home,
            "logs",
            "CreateLogGroup",
            {"logGroupName": cw.log_group, "tags": dict(self.b.tags)},
            "noop" if exists else "create",
            f"the trail's CloudWatch Logs group in its home Region {self.home}",
            controls,
            cw.log_group,
        )
        retention = group.retention_days if group else None
        self.add(
            self.home,
            "logs",
            "PutRetentionPolicy",
            {"logGroupName": cw.log_group, "retentionInDays": cw.retention_days},
            "noop" if retention is not None and retention >= cw.retention_days else "update",
            f"keep events {cw.retention_days} days (a longer existing retention is never"
            " shortened)",
            [],
            cw.log_group,
        )
        role_known = (
            self.trail is not None and self.trail.cloudwatch_logs_role_arn == self.b.role_arn
        )
        self.add(
            self.home,
            "iam",
            "CreateRole",
            self.b.create_role_params(),
            "noop" if role_known else "create",
            "the role CloudTrail assumes to write to the log group",
            controls,
            cw.role_name,
        )
        if role_known:
            self.merge_step(
                self.home,
                "iam",
                "UpdateAssumeRolePolicy",
                {"RoleName": cw.role_name},
                None,
                self.b.cloudwatch_trust_policy()["Statement"],
                f"the trust policy of role {cw.role_name}",
                ["CloudTrail.5"],
                cw.role_name,
            )
        self.merge_step(
            self.home,
            "iam",
            "PutRolePolicy",
            {"RoleName": cw.role_name, "PolicyName": cw.role_policy_name},
            None,
            self.b.cloudwatch_role_policy()["Statement"],
            f"inline policy {cw.role_policy_name} of role {cw.role_name}",
            controls,
            cw.role_name,
        )

    # --- 4-5. the trail -----------------------------------------------------------------------

    def trail_params(self) -> dict[str, Any]:
        key = None
        if self.b.kms.mode == "new":
            assert self.b.kms.alias is not None
            key = kms_alias_ref(self.b.kms_region, self.b.kms.alias)
        return self.b.create_trail_params(key)

    def trail_steps(self) -> None:
        params = self.trail_params()
        name, arn = self.b.trail.name, self.b.trail_arn
        trail = self.trail
        if trail is None:
            self.add(
                self.home,
                "cloudtrail",
                "CreateTrail",
                params,
                "create",
                "one multi-Region trail with global service events, log file validation, KMS,"
                " CloudWatch Logs and tags (in its home Region; bucket and key policies exist)",
                CREATE_TRAIL_CONTROLS,
                arn,
            )
        else:
            update = {k: v for k, v in params.items() if k in TRAIL_FIELDS}
            diff, controls = self._trail_diff(trail, update)
            self.add(
                self.home,
                "cloudtrail",
                "UpdateTrail",
                {"Name": arn, **update},
                "update" if diff else "noop",
                f"repair trail {name}: " + (", ".join(diff) if diff else "already as planned"),
                controls,
                arn,
            )
            missing = {k: v for k, v in self.b.tags.items() if (trail.tags or {}).get(k) != v}
            self.add(
                self.home,
                "cloudtrail",
                "AddTags",
                {"ResourceId": arn, "TagsList": self.b.tags_list()},
                "update" if missing or trail.tags is None else "noop",
                "tag the trail (existing tags are kept)",
                ["CloudTrail.9"],
                arn,
            )
        self.selectors(trail, name, arn)
        logging = trail is not None and trail.status is not None and trail.status.is_logging
        self.add(
            self.home,
            "cloudtrail",
            "StartLogging",
            {"Name": arn},
            "noop" if logging else "update",
            "start logging, last, once everything it depends on exists",
            ["CloudTrail.1", "CloudTrail.3", *CLOUDWATCH_CONTROLS],
            arn,
        )

    def _trail_diff(self, trail: Trail, wanted: dict[str, Any]) -> tuple[list[str], list[str]]:
        have = {
            "S3BucketName": trail.s3_bucket_name,
            "S3KeyPrefix": trail.s3_key_prefix,
            "IncludeGlobalServiceEvents": trail.include_global_service_events,
            "IsMultiRegionTrail": trail.is_multi_region,
            "EnableLogFileValidation": trail.log_file_validation_enabled,
            "KmsKeyId": trail.kms_key_id,
            "CloudWatchLogsLogGroupArn": trail.cloudwatch_logs_log_group_arn,
            "CloudWatchLogsRoleArn": trail.cloudwatch_logs_role_arn,
        }
        control_of = {
            "IsMultiRegionTrail": "CloudTrail.1",
            "KmsKeyId": "CloudTrail.2",
            "EnableLogFileValidation": "CloudTrail.4",
            "CloudWatchLogsLogGroupArn": "CloudTrail.5",
        }
        diff, controls = [], []
        for key, value in wanted.items():
            current = have.get(key)
            if key == "KmsKeyId" and current and str(value).startswith("${"):
                current = None  # a new key replaces one the trail has: always a change
            if key == "CloudWatchLogsLogGroupArn" and current:
                same = log_group_name(str(current)) == log_group_name(str(value))
                current = value if same else current
            if current != value:
                diff.append(f"{key} {current!r} -> {value!r}")
                if key in control_of:
                    controls.append(control_of[key])
        if "CloudTrail.5" in controls:
            controls.extend(CLOUDWATCH_CONTROLS)
        return diff, controls

    def selectors(self, trail: Trail | None, name: str, arn: str) -> None:
        wanted: dict[str, Any] = {"TrailName": arn, "EventSelectors": self.b.event_selectors()}
        selectors = trail.selectors if trail else None
        action: Action = "create" if trail is None else "update"
        reason = "one selector: all management events, read and write, no exclusions"
        if selectors is not None and logs_data_events(selectors):
            if not self.options.allow_data_events:
                raise UsageError(
                    f"trail {name} in account {self.scan.account} records data events; the"
                    " baseline records none. Pass --allow-data-events to keep them (billed at"
                    " $0.10 per 100,000 events, every copy)"
                )
            wanted = _keep_data_events(arn, selectors.basic, selectors.advanced, wanted)
            reason += "; the trail's data-event selectors are kept (--allow-data-events)"
        elif selectors is not None and _selectors_match(selectors.basic, selectors.advanced):
            action = "noop"
        self.add(
            self.home,
            "cloudtrail",
            "PutEventSelectors",
            wanted,
            action,
            reason,
            ["CloudTrail.1", *CLOUDWATCH_CONTROLS],
            arn,
        )

    # --- 6. topic, filters, alarms --------------------------------------------------------------

    def satisfied(self) -> dict[str, str]:
        """CIS controls the trail's log group already satisfies with someone else's filter and
        alarm (exact CIS pattern, alarm on its metric, a topic with a confirmed subscriber):
        adding a second filter and alarm would only cost money."""
        group = self.group
        if group is None or self.trail is None:
            return {}
        from trailwarden.filterpattern.cis import exact_control

        confirmed = {t.arn for t in group.topics or [] if t.confirmed_subscriptions}
        done: dict[str, str] = {}
        for f in group.metric_filters or []:
            control = exact_control(f.pattern)
            if control is None or control.control_id in done:
                continue
            for alarm in group.alarms or []:
                notifies = alarm.actions_enabled and set(alarm.actions) & confirmed
                if (alarm.metric_name, alarm.namespace) in f.metrics and notifies:
                    done[control.control_id] = f"filter {f.name} -> alarm {alarm.name}"
        return done

    def alarms(self) -> None:
        a = self.b.alarms
        assert a is not None
        satisfied = self.satisfied()
        if satisfied:
            ids = sorted(satisfied, key=lambda c: int(c.split(".")[1]))
            first = ids[0]
            self.notes.append(
                f"{', '.join(ids)} already satisfied by existing filters and alarms with a"
                f" confirmed subscriber (e.g. {first}: {satisfied[first]}): left as they are"
            )
        specs = [spec for spec in a.alarms if spec.control_id not in satisfied]
        if not specs:
            return
        topics = {t.arn: t for t in (self.group.topics or [])} if self.group else {}
        if a.new_topic:
            self.add(
                self.home,
                "sns",
                "CreateTopic",
                {"Name": a.topic_name, "Tags": self.b.tags_list()},
                "noop" if a.topic_arn in topics else "create",
                "the SNS topic the 14 CIS alarms notify",
                CLOUDWATCH_CONTROLS,
                a.topic_arn,
            )
        else:
            statement = self.b.topic_policy_statement()
            assert statement is not None
            self.merge_step(
                self.home,
                "sns",
                "SetTopicAttributes",
                {"TopicArn": a.topic_arn, "AttributeName": "Policy"},
                None,
                [statement],
                f"the access policy of topic {a.topic_arn}",
                CLOUDWATCH_CONTROLS,
                a.topic_arn,
            )
        for email in a.emails:
            self.add(
                self.home,
                "sns",
                "Subscribe",
                {
                    "TopicArn": a.topic_arn,
                    "Protocol": "email",
                    "Endpoint": email,
                    "ReturnSubscriptionArn": True,
                },
                "create",
                f"subscribe {email}; it counts once the recipient confirms the e-mail",
                CLOUDWATCH_CONTROLS,
                a.topic_arn,
            )
        if not a.emails and a.new_topic:
            self.notes.append(
                "no --alarm-email: CloudWatch.1-14 need a confirmed subscriber on the topic"
            )
        filters = {f.name: f for f in (self.group.metric_filters or [])} if self.group else {}
        alarms = {x.name: x for x in (self.group.alarms or [])} if self.group else {}
        group = self.b.cloudwatch.log_group
        for spec in specs:
            have = filters.get(spec.filter_name)
            same = (
                have is not None
                and have.pattern == spec.pattern
                and ((spec.metric_name, spec.namespace) in have.metrics)
            )
            self.add(
                self.home,
                "logs",
                "PutMetricFilter",
                spec.put_metric_filter_params(group),
                "noop" if same else ("update" if have else "create"),
                f"CIS metric filter for {spec.control_id}",
                [spec.control_id],
                spec.filter_name,
            )
        for spec in specs:
            alarm = alarms.get(spec.alarm_name)
            ok = alarm is not None and a.topic_arn in alarm.actions and alarm.actions_enabled
            self.add(
                self.home,
                "cloudwatch",
                "PutMetricAlarm",
                spec.put_metric_alarm_params(a.topic_arn),
                "noop" if ok else ("update" if alarm else "create"),
                f"alarm on the {spec.control_id} metric, notifying the topic",
                [spec.control_id],
                spec.alarm_name,
            )


def _selectors_match(basic: list[dict[str, Any]], advanced: list[dict[str, Any]]) -> bool:
    """Exactly the baseline's one selector (moto and AWS add empty lists; ignore those)."""
    if advanced or len(basic) != 1:
        return False
    s = basic[0]
    return (
        s.get("ReadWriteType", "All") == "All"
        and s.get("IncludeManagementEvents", True) is True
        and not s.get("ExcludeManagementEventSources")
        and not s.get("DataResources")
    )


_MANAGEMENT_ADVANCED = {
    "Name": "Management events (trailwarden)",
    "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
}


def _keep_data_events(
    arn: str,
    basic: list[dict[str, Any]],
    advanced: list[dict[str, Any]],
    wanted: dict[str, Any],
) -> dict[str, Any]:
    """The baseline's management selector plus the trail's data-event selectors, in its form."""
    if advanced:
        data = [
            s
            for s in advanced
            if not any(
                fs.get("Field") == "eventCategory" and fs.get("Equals") == ["Management"]
                for fs in s.get("FieldSelectors", [])
            )
        ]
        return {"TrailName": arn, "AdvancedEventSelectors": [_MANAGEMENT_ADVANCED, *data]}
    resources = [r for s in basic for r in s.get("DataResources") or []]
    selector = {**wanted["EventSelectors"][0], "DataResources": resources}
    return {"TrailName": arn, "EventSelectors": [selector]}
