"""The Terraform export: `terraform fmt`-clean, same resources and policies as the baseline.

`terraform validate` needs the AWS provider plugin, which cannot be downloaded on an offline
machine; these tests check formatting (which also parses the HCL) and structure instead.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from trailwarden.errors import UsageError
from trailwarden.plan.baseline import Baseline
from trailwarden.plan.hcl import string
from trailwarden.plan.render_terraform import render_terraform

from .test_render_cloudformation import VARIANTS

_BLOCK = re.compile(r'^resource "([\w]+)" "([\w]+)" \{\n(.*?)^\}', re.M | re.S)
_HEREDOC = re.compile(r"^\s*(\w+)\s*= <<-JSON\n(.*?)\n\s*JSON$", re.M | re.S)
_STRING = re.compile(r'^\s*(\w+)\s*= ("(?:[^"\\]|\\.)*")$', re.M)


def resources(text: str) -> dict[tuple[str, str], str]:
    return {(m.group(1), m.group(2)): m.group(3) for m in _BLOCK.finditer(text)}


def heredocs(body: str) -> dict[str, Any]:
    return {m.group(1): json.loads(m.group(2)) for m in _HEREDOC.finditer(body)}


def strings(body: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _STRING.finditer(body):
        out[m.group(1)] = json.loads(m.group(2).replace("$${", "${").replace("%%{", "%{"))
    return out


def assert_terraform_fmt_clean(folder: Path) -> None:
    """``terraform fmt -check`` over every file under ``folder`` (skips without terraform)."""
    terraform = shutil.which("terraform")
    if terraform is None:
        pytest.skip("terraform is not installed")
    done = subprocess.run(
        [terraform, "fmt", "-check", "-diff", "-recursive", "-no-color", str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_every_variant_is_terraform_fmt_clean(make_baseline: Any, tmp_path: Path) -> None:
    for name, options in VARIANTS.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "main.tf").write_text(render_terraform(make_baseline(**options)))
    assert_terraform_fmt_clean(tmp_path)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_policies_identical_to_builders(make_baseline: Any, variant: str) -> None:
    baseline: Baseline = make_baseline(**VARIANTS[variant])
    res = resources(render_terraform(baseline))
    assert heredocs(res["aws_s3_bucket_policy", "trail"])["policy"] == baseline.bucket_policy()
    assert (
        heredocs(res["aws_s3_bucket_policy", "access_logs"])["policy"]
        == baseline.access_log_bucket_policy()
    )
    assert (
        heredocs(res["aws_iam_role", "cloudwatch"])["assume_role_policy"]
        == baseline.cloudwatch_trust_policy()
    )
    assert (
        heredocs(res["aws_iam_role_policy", "cloudwatch"])["policy"]
        == baseline.cloudwatch_role_policy()
    )
    if baseline.kms.mode == "new":
        assert heredocs(res["aws_kms_key", "trail"])["policy"] == baseline.new_key_policy()
    else:
        assert ("aws_kms_key", "trail") not in res


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_structure_matches_baseline(make_baseline: Any, variant: str) -> None:
    baseline: Baseline = make_baseline(**VARIANTS[variant])
    text = render_terraform(baseline)
    res = resources(text)
    for kind in (
        "aws_s3_bucket",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    ):
        assert (kind, "trail") in res and (kind, "access_logs") in res
    assert ("aws_s3_bucket_versioning", "trail") in res
    assert strings(res["aws_s3_bucket", "trail"])["bucket"] == baseline.bucket.name
    logging = res["aws_s3_bucket_logging", "trail"]
    assert "target_bucket = aws_s3_bucket.access_logs.id" in logging
    assert strings(logging)["target_prefix"] == baseline.bucket.access_log_prefix
    assert (
        f"days = {baseline.bucket.retention_days}"
        in res["aws_s3_bucket_lifecycle_configuration", "trail"]
    )
    for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls"):
        assert re.search(rf"{flag}\s+= true", res["aws_s3_bucket_public_access_block", "trail"])

    trail = res["aws_cloudtrail", "trail"]
    values = strings(trail)
    assert values["name"] == baseline.trail.name
    assert values.get("s3_key_prefix") == baseline.bucket.prefix
    for flag in (
        "is_multi_region_trail",
        "include_global_service_events",
        "enable_log_file_validation",
        "enable_logging",
    ):
        assert re.search(rf"{flag}\s+= true", trail)
    assert bool(re.search(r"is_organization_trail\s+= true", trail)) == (
        baseline.organization is not None
    )
    assert 'cloud_watch_logs_group_arn    = "${aws_cloudwatch_log_group.trail.arn}:*"' in trail
    assert re.search(r'read_write_type\s+= "All"', trail)
    assert re.search(r"include_management_events = true", trail)
    assert "aws_s3_bucket_policy.trail" in trail.split("depends_on")[1]
    if baseline.kms.mode == "existing":
        assert values["kms_key_id"] == baseline.kms.key_arn
    else:
        assert ("kms_key_id" in trail) == (baseline.kms.mode == "new")

    group = res["aws_cloudwatch_log_group", "trail"]
    assert strings(group)["name"] == baseline.cloudwatch.log_group
    assert f"retention_in_days = {baseline.cloudwatch.retention_days}" in group

    filters = {k[1]: v for k, v in res.items() if k[0] == "aws_cloudwatch_log_metric_filter"}
    alarms = {k[1]: v for k, v in res.items() if k[0] == "aws_cloudwatch_metric_alarm"}
    if baseline.alarms is None:
        assert not filters and not alarms
        return
    assert len(filters) == len(alarms) == 14
    for spec in baseline.alarms.alarms:
        name = spec.control_id.lower().replace(".", "_")
        assert strings(filters[name])["pattern"] == spec.pattern
        alarm = strings(alarms[name])
        assert alarm["statistic"] == "Sum"
        assert alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["metric_name"] == spec.metric_name and alarm["namespace"] == spec.namespace
        assert re.search(r"period\s+= 300\n", alarms[name])
        assert re.search(r"evaluation_periods\s+= 1\n", alarms[name])
        assert re.search(r"threshold\s+= 1\n", alarms[name])
        topic = (
            "aws_sns_topic.alarms.arn"
            if baseline.alarms.new_topic
            else string(baseline.alarms.topic_arn)
        )
        assert re.search(rf"alarm_actions\s+= \[{re.escape(topic)}\]", alarms[name])


def test_strings_never_interpolate() -> None:
    assert string("a ${b} %{c}") == '"a $${b} %%{c}"'
    assert string('say "hi"\n') == '"say \\"hi\\"\\n"'


def test_bucket_in_another_region_is_refused(make_baseline: Any) -> None:
    with pytest.raises(UsageError, match="Region"):
        render_terraform(make_baseline(bucket_region="us-east-1", kms_key="none"))


def test_existing_key_and_topic_policies_are_noted_for_merging(make_baseline: Any) -> None:
    baseline: Baseline = make_baseline(**VARIANTS["existing-key-topic"])
    text = render_terraform(baseline)
    header = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    assert json.loads(header[2]) == baseline.key_policy_statements()
    assert baseline.kms.key_arn in header[1]
    assert json.loads(header[4]) == baseline.topic_policy_statement()
    assert "merge" not in render_terraform(make_baseline())
