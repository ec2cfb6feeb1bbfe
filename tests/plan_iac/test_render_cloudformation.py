"""The CloudFormation export: cfn-lint clean, and the same policies/settings as the baseline."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.render_cloudformation import render_cloudformation

from .support import ORG_ID, REGION

KEY_ARN = f"arn:aws:kms:{REGION}:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = f"arn:aws:sns:{REGION}:111122223333:security-alerts"
VARIANTS: dict[str, dict[str, Any]] = {
    "default": {},
    "org-prefix": {"org_id": ORG_ID, "prefix": "audit/ct", "alarm_email": ["a@example.com"]},
    "existing-key-topic": {"kms_key": KEY_ARN, "alarm_topic": TOPIC_ARN, "alarm_email": None},
    "no-kms-no-alarms": {"kms_key": "none", "alarms": False},
}


def _template(baseline: Baseline) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(render_cloudformation(baseline))
    return doc


def _cfn_lint() -> list[str]:
    exe = shutil.which("cfn-lint") or str(Path(sys.executable).with_name("cfn-lint"))
    if not Path(exe).exists():
        pytest.skip("cfn-lint is not installed (pip install -e '.[test]')")
    return [exe]


@pytest.mark.slow
def test_every_variant_passes_cfn_lint(make_baseline: Any, tmp_path: Path) -> None:
    paths = []
    for name, options in VARIANTS.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(render_cloudformation(make_baseline(**options)))
        paths.append(str(path))
    # One run for all templates: cfn-lint's start-up dominates. Exit 0 = no errors, no warnings.
    done = subprocess.run(
        [*_cfn_lint(), *paths], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_policies_identical_to_builders(make_baseline: Any, variant: str) -> None:
    baseline: Baseline = make_baseline(**VARIANTS[variant])
    resources = _template(baseline)["Resources"]
    props = {name: res.get("Properties", {}) for name, res in resources.items()}
    assert props["TrailBucketPolicy"]["PolicyDocument"] == baseline.bucket_policy()
    assert props["AccessLogBucketPolicy"]["PolicyDocument"] == baseline.access_log_bucket_policy()
    role = props["CloudWatchLogsRole"]
    assert role["AssumeRolePolicyDocument"] == baseline.cloudwatch_trust_policy()
    assert role["Policies"] == [
        {
            "PolicyName": baseline.cloudwatch.role_policy_name,
            "PolicyDocument": baseline.cloudwatch_role_policy(),
        }
    ]
    if baseline.kms.mode == "new":
        assert props["TrailKey"]["KeyPolicy"] == baseline.new_key_policy()
        assert props["TrailKey"]["EnableKeyRotation"] is True
    else:
        assert "TrailKey" not in resources


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_trail_and_buckets_match_baseline(make_baseline: Any, variant: str) -> None:
    baseline: Baseline = make_baseline(**VARIANTS[variant])
    resources = _template(baseline)["Resources"]
    trail = resources["Trail"]
    assert "TrailBucketPolicy" in trail["DependsOn"]
    p = trail["Properties"]
    assert p["TrailName"] == baseline.trail.name
    assert p["IsLogging"] and p["IsMultiRegionTrail"] and p["IncludeGlobalServiceEvents"]
    assert p["EnableLogFileValidation"] is True
    assert p["EventSelectors"] == baseline.event_selectors()
    assert p["CloudWatchLogsLogGroupArn"] == {"Fn::GetAtt": ["TrailLogGroup", "Arn"]}
    assert p.get("S3KeyPrefix") == baseline.bucket.prefix
    assert p.get("IsOrganizationTrail", False) == (baseline.organization is not None)
    expected_key = {
        "new": {"Fn::GetAtt": ["TrailKey", "Arn"]},
        "existing": baseline.kms.key_arn,
        "none": None,
    }[baseline.kms.mode]
    assert p.get("KMSKeyId") == expected_key
    assert p["Tags"] == baseline.tags_list()

    bucket = resources["TrailBucket"]["Properties"]
    assert bucket["BucketName"] == baseline.bucket.name
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = bucket["LifecycleConfiguration"]["Rules"][0]
    assert rule["ExpirationInDays"] == baseline.bucket.retention_days
    assert bucket["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": "AccessLogBucket"}
    access = resources["AccessLogBucket"]["Properties"]
    assert access["BucketName"] == baseline.bucket.access_log_bucket
    group = resources["TrailLogGroup"]["Properties"]
    assert group["LogGroupName"] == baseline.cloudwatch.log_group
    assert group["RetentionInDays"] == baseline.cloudwatch.retention_days


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_cis_filters_and_alarms(make_baseline: Any, variant: str) -> None:
    baseline: Baseline = make_baseline(**VARIANTS[variant])
    resources = _template(baseline)["Resources"]
    filters = {
        r["Properties"]["FilterName"]: r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::Logs::MetricFilter"
    }
    alarms = [r for r in resources.values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    if baseline.alarms is None:
        assert not filters and not alarms
        return
    assert len(filters) == len(alarms) == 14
    topic = {"Ref": "AlarmTopic"} if baseline.alarms.new_topic else baseline.alarms.topic_arn
    for spec in baseline.alarms.alarms:
        f = filters[spec.filter_name]
        assert f["FilterPattern"] == spec.pattern, (
            "patterns must be byte-exact (docs/aws-facts/controls.md#cis-patterns)"
        )
        assert f["LogGroupName"] == {"Ref": "TrailLogGroup"}
        (transform,) = f["MetricTransformations"]
        assert transform == {
            "MetricName": spec.metric_name,
            "MetricNamespace": spec.namespace,
            "MetricValue": "1",
        }
    for alarm in alarms:
        a = alarm["Properties"]
        assert (a["Statistic"], a["Period"], a["EvaluationPeriods"]) == ("Sum", 300, 1)
        assert a["Threshold"] == 1
        assert a["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert a["AlarmActions"] == [topic]
    subscriptions = [r for r in resources.values() if r["Type"] == "AWS::SNS::Subscription"]
    assert [s["Properties"]["Endpoint"] for s in subscriptions] == list(baseline.alarms.emails)


def test_bucket_in_another_region_is_refused(make_baseline: Any) -> None:
    baseline = make_baseline(bucket_region="us-east-1", kms_key="none")
    with pytest.raises(UsageError, match="one Region"):
        render_cloudformation(baseline)


def test_existing_key_and_topic_policies_are_listed_for_merging(make_baseline: Any) -> None:
    """A stack cannot merge into policies of resources it does not own: it names them instead."""
    baseline: Baseline = make_baseline(**VARIANTS["existing-key-topic"])
    merge = _template(baseline)["Metadata"]["trailwarden"]["MergeIntoExistingPolicies"]
    assert merge == {
        KEY_ARN: baseline.key_policy_statements(),
        TOPIC_ARN: [baseline.topic_policy_statement()],
    }
    assert _template(make_baseline())["Metadata"]["trailwarden"]["MergeIntoExistingPolicies"] == {}
