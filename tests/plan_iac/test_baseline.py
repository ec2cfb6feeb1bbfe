"""Baseline defaults, derived names, API parameters and option validation."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.export import IacFormat, export_iac
from trailwarden.plan.names import parse_tags

from .support import ACCOUNT, ORG_ID, REGION

KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_defaults(make_baseline: Any) -> None:
    b: Baseline = make_baseline()
    assert b.trail.name == "trailwarden"
    assert b.trail_arn == f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/trailwarden"
    assert b.bucket.name == f"trailwarden-{ACCOUNT}-{REGION}"
    assert b.bucket.region == REGION and b.bucket.prefix is None
    assert b.bucket.retention_days == 365
    assert b.bucket.access_log_bucket != b.bucket.name
    assert b.kms.mode == "new" and b.kms.alias == "alias/trailwarden-cloudtrail"
    assert b.cloudwatch.retention_days == 365
    assert b.tags == {"managed-by": "trailwarden"}
    assert b.public_access_block() == dict.fromkeys(
        ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"], True
    )
    assert b.event_selectors() == [
        {
            "ReadWriteType": "All",
            "IncludeManagementEvents": True,
            "ExcludeManagementEventSources": [],
        }
    ]
    (rule,) = b.lifecycle_rules()
    assert rule["Expiration"] == {"Days": 365} and rule["Status"] == "Enabled"
    assert b.alarms is not None and b.alarms.new_topic
    assert b.alarms.emails == ("secops@example.com",)
    assert b.alarms.topic_arn == f"arn:aws:sns:{REGION}:{ACCOUNT}:trailwarden-cis-alarms"


def test_fourteen_cis_alarms_with_spec_settings(make_baseline: Any, cis_controls: Any) -> None:
    b: Baseline = make_baseline(trail_name="org-audit")
    assert b.alarms is not None
    specs = b.alarms.alarms
    assert [s.control_id for s in specs] == [f"CloudWatch.{n}" for n in range(1, 15)]
    for spec, control in zip(specs, cis_controls, strict=True):
        assert spec.pattern == control.pattern
        assert (spec.metric_name, spec.namespace) == (control.metric_name, control.namespace)
        assert (spec.statistic, spec.period, spec.evaluation_periods) == ("Sum", 300, 1)
        assert spec.threshold == 1 and spec.metric_value == "1"
        assert spec.comparison_operator == "GreaterThanOrEqualToThreshold"
        assert spec.alarm_name.startswith("org-audit-")
    assert len({s.alarm_name for s in specs}) == 14


def test_default_cis_source_is_the_shipped_module() -> None:
    from trailwarden.filterpattern import cis

    b = Baseline.from_options(account_id=ACCOUNT, home_region=REGION)
    assert b.alarms is not None
    assert [a.pattern for a in b.alarms.alarms] == [c.pattern for c in cis.CIS_CONTROLS]


def test_create_trail_params(make_baseline: Any) -> None:
    b: Baseline = make_baseline(prefix="p", tags={"team": "sec"})
    with pytest.raises(ValueError, match="KMS"):
        b.create_trail_params()
    params = b.create_trail_params(KEY)
    assert params["IsMultiRegionTrail"] and params["IncludeGlobalServiceEvents"]
    assert params["EnableLogFileValidation"] is True
    assert params["KmsKeyId"] == KEY and params["S3KeyPrefix"] == "p"
    assert params["CloudWatchLogsLogGroupArn"].endswith(":log-group:cloudtrail/trailwarden:*")
    assert params["CloudWatchLogsRoleArn"] == b.role_arn
    assert params["TagsList"] == [
        {"Key": "managed-by", "Value": "trailwarden"},
        {"Key": "team", "Value": "sec"},
    ]
    assert "IsOrganizationTrail" not in params
    existing = make_baseline(kms_key=KEY).create_trail_params()
    assert existing["KmsKeyId"] == KEY
    assert "KmsKeyId" not in make_baseline(kms_key="none").create_trail_params()


def test_organisation_variant(make_baseline: Any) -> None:
    b: Baseline = make_baseline(org_id=ORG_ID)
    assert b.organization is not None and b.organization.management_account_id == ACCOUNT
    assert b.create_trail_params(KEY)["IsOrganizationTrail"] is True
    assert b.org_id == ORG_ID


def test_existing_topic_and_no_alarms(make_baseline: Any) -> None:
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:sec"
    b: Baseline = make_baseline(alarm_topic=topic, alarm_email=None)
    assert b.alarms is not None and not b.alarms.new_topic
    assert b.alarms.topic_arn == topic and b.alarms.topic_name == "sec"
    assert make_baseline(alarms=False).alarms is None


def test_json_round_trip(make_baseline: Any) -> None:
    b: Baseline = make_baseline(org_id=ORG_ID, prefix="x", kms_key=KEY)
    text = b.model_dump_json(by_alias=True)
    assert '"schema":"trailwarden.baseline/1"' in text
    assert Baseline.model_validate_json(text) == b


def test_direct_construction_is_validated(make_baseline: Any) -> None:
    data = make_baseline().model_dump(by_alias=True)
    data["bucket"]["name"] = "UPPER"
    with pytest.raises(ValidationError, match="not a valid S3 bucket name"):
        Baseline.model_validate(data)


BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"bucket": "Bad_Bucket"}, "--bucket 'Bad_Bucket' is not a valid S3 bucket name"),
    ({"bucket": "192.168.1.1"}, "IP address"),
    ({"bucket": "a" * 60}, "pass --access-log-bucket"),
    ({"access_log_bucket": f"trailwarden-{ACCOUNT}-{REGION}"}, "must differ"),
    ({"retention_days": 0}, "--retention-days must be at least 1"),
    ({"retention_days": -5}, "--retention-days must be at least 1"),
    ({"log_retention_days": 2}, "--log-retention-days 2 is not one CloudWatch Logs accepts"),
    ({"kms_key": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/abc"}, "bucket's Region"),
    ({"kms_key": "alias/mine"}, "is not new, none or a KMS key/alias ARN"),
    ({"kms_readers": ["bob"]}, "--kms-reader 'bob' is not an IAM principal ARN"),
    ({"trail_name": "a..b"}, "--trail-name 'a..b' is not a valid trail name"),
    ({"trail_name": "x"}, "is not a valid trail name"),
    ({"prefix": "/logs"}, "--prefix '/logs' must not start or end with '/'"),
    ({"prefix": "logs/"}, "must not start or end with '/'"),
    ({"home_region": "europe"}, "--home-region 'europe' is not a Region name"),
    ({"account_id": "12345"}, "account id '12345' is not 12 digits"),
    ({"alarm_email": "not-an-address"}, "--alarm-email 'not-an-address' is not an e-mail"),
    ({"alarm_topic": "arn:aws:sns:us-east-1:111122223333:t"}, "home Region eu-west-1"),
    ({"alarm_topic": "topic"}, "is not an SNS topic ARN"),
    ({"log_group": "bad group"}, "--log-group 'bad group' is not a valid log group name"),
    ({"cloudwatch_role": "r" * 65}, "is not a valid IAM role name"),
    ({"tags": {"aws:owner": "x"}}, "must not start with 'aws:'"),
    ({"org_id": "org-1"}, "is not of the form o-xxxxxxxxxx"),
    ({"org_id": ORG_ID, "management_account_id": "999988887777"}, "management account"),
]


@pytest.mark.parametrize(("options", "message"), BAD_OPTIONS, ids=[m for _, m in BAD_OPTIONS])
def test_invalid_options_give_one_line_usage_errors(
    make_baseline: Any, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        make_baseline(**options)
    text = str(caught.value)
    assert message in text
    assert "\n" not in text and "pydantic" not in text.lower()


def test_parse_tags() -> None:
    assert parse_tags(["team=sec", "env = prod", "empty="]) == {
        "team": "sec",
        "env": "prod",
        "empty": "",
    }
    for bad in ("novalue", "=x"):
        with pytest.raises(UsageError, match="key=value"):
            parse_tags([bad])


def test_export_formats(make_baseline: Any) -> None:
    baseline = make_baseline()
    assert export_iac(baseline, "cloudformation").startswith("AWSTemplateFormatVersion")
    assert "\nterraform {\n" in export_iac(baseline, IacFormat.terraform)
    assert IacFormat("terraform").suffix == ".tf"
    with pytest.raises(UsageError, match="--format 'pulumi' is not one of"):
        export_iac(baseline, "pulumi")
