"""Steps 4-6 of docs/aws-facts/trail-setup.md#setup-order (pure): the trail, its selectors and
logging, then the alarm chain."""

from __future__ import annotations

from typing import Any

from trailwarden.arns import log_group_name
from trailwarden.controls.selectors import logs_data_events
from trailwarden.errors import UsageError
from trailwarden.placeholders import kms_alias_ref
from trailwarden.plan.build_base import (
    CLOUDWATCH_CONTROLS,
    CREATE_TRAIL_CONTROLS,
    TRAIL_FIELDS,
    StepBuilder,
)
from trailwarden.plan.model import Action
from trailwarden.snapshot.model import Trail


class TrailSteps(StepBuilder):
    """The trail (create or repair), selectors, StartLogging last; topic, filters, alarms."""

    # --- 4-5. the trail -----------------------------------------------------------------------

    def trail_params(self) -> dict[str, Any]:
        key = None
        if self.b.kms.mode == "new":
            assert self.b.kms.alias is not None
            owner = self.b.resource_account
            elsewhere = owner if owner != self.b.account_id else None
            key = kms_alias_ref(self.b.kms_region, self.b.kms.alias, elsewhere)
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
            "IsOrganizationTrail": trail.is_organization_trail,
        }
        control_of = {
            "IsMultiRegionTrail": "CloudTrail.1",
            "KmsKeyId": "CloudTrail.2",
            "EnableLogFileValidation": "CloudTrail.4",
            "CloudWatchLogsLogGroupArn": "CloudTrail.5",
            "IsOrganizationTrail": "CloudTrail.1",  # covers every member account
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
        # A trail CreateTrail makes logs all read and write management events and no data
        # events until selectors are put (docs/aws-facts/trail-setup.md#default-selectors):
        # exactly this selector, so the step has nothing to do after CreateTrail.
        action: Action = "noop" if trail is None else "update"
        reason = "one selector: all management events, read and write, no exclusions"
        if trail is None:
            reason += " (what a new trail has by default)"
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
            covered_by="cloudtrail:CreateTrail" if trail is None else None,
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
