"""The organisation export as CloudFormation: cfn-lint clean, a stack per account in deployment
order, and every document the one ``apply`` uses."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from trailwarden.errors import UsageError
from trailwarden.plan.export import export_org_iac, write_org_iac
from trailwarden.plan.model import Plan
from trailwarden.plan.org.iac_input import log_archive_view
from trailwarden.policies import builders

from .org_support import ARCHIVE, MANAGEMENT, PATTERN, ROOT, org_plan, pack_body
from .support import ORG_ID, REGION
from .test_render_cloudformation import _cfn_lint

KEY_ARN = f"arn:aws:kms:{REGION}:{ARCHIVE}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TOPIC_ARN = f"arn:aws:sns:{REGION}:{MANAGEMENT}:security-alerts"
ORG_VARIANTS: dict[str, dict[str, Any]] = {
    "log-archive": {},
    "one-account": {"archive": False},
    "existing-key-topic": {"kms_key": KEY_ARN, "alarm_topic": TOPIC_ARN},
    "refused-no-drift-no-kms": {"refused": "would lock out the caller", "drift": False,
                                "kms_key": "none"},
    "members-stackset": {"members": 3, "retire": True},
    "members-differ-no-root": {"members": 3, "differ": True, "guardrail": False,
                               "archive": False},
}  # fmt: skip


def templates(plan: Plan) -> dict[str, dict[str, Any]]:
    return {
        name: yaml.safe_load(text) for name, text in export_org_iac(plan, "cloudformation").items()
    }


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = template["Resources"][name]["Properties"]
    return found


@pytest.mark.slow
def test_every_org_variant_passes_cfn_lint(tmp_path: Path) -> None:
    paths = []
    for name, options in ORG_VARIANTS.items():
        files = export_org_iac(org_plan(**options), "cloudformation")
        paths += [str(p) for p in write_org_iac(files, tmp_path / name)]
    done = subprocess.run(
        [*_cfn_lint(), *paths], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_log_archive_stack_holds_bucket_and_key_with_organisation_statements() -> None:
    plan = org_plan()
    files = export_org_iac(plan, "cloudformation")
    assert list(files) == ["1-log-archive.yaml", "2-management.yaml"]
    assert files["1-log-archive.yaml"].startswith(
        f"# Stack 1 of 2: deploy in the log-archive account {ARCHIVE}.\n"
    )
    head = files["2-management.yaml"].splitlines()[:2]
    assert head == [
        f"# Stack 2 of 2: deploy in the management account {MANAGEMENT},"
        " after 1-log-archive.yaml completed.",
        "# Pass the log-archive stack's output TrailKeyArn as LogArchiveKeyArn.",
    ]
    archive = yaml.safe_load(files["1-log-archive.yaml"])
    baseline = plan.accounts[0].baseline
    assert baseline is not None
    view = log_archive_view(baseline, ARCHIVE)
    policy = props(archive, "TrailBucketPolicy")["PolicyDocument"]
    assert policy == baseline.bucket_policy()
    org_write = next(s for s in policy["Statement"] if s["Sid"] == builders.SID_ORG_WRITE)
    assert org_write["Resource"].endswith(f"/AWSLogs/{ORG_ID}/*")
    assert org_write["Condition"]["StringEquals"]["aws:SourceArn"] == plan.organization.trail_arn  # type: ignore[union-attr]
    key_policy = props(archive, "TrailKey")["KeyPolicy"]
    assert key_policy == view.new_key_policy()
    # The key belongs to the log-archive account; CloudTrail's context names the management's.
    assert key_policy["Statement"][0]["Principal"] == {"AWS": f"arn:aws:iam::{ARCHIVE}:root"}
    assert f":{MANAGEMENT}:trail/" in str(key_policy["Statement"][1]["Condition"])
    access = props(archive, "AccessLogBucketPolicy")["PolicyDocument"]
    assert access == view.access_log_bucket_policy()
    assert ARCHIVE in str(access) and MANAGEMENT not in str(access)
    assert archive["Outputs"]["TrailKeyArn"] == {"Value": {"Fn::GetAtt": ["TrailKey", "Arn"]}}
    assertions = archive["Rules"]["TargetAccountAndRegion"]["Assertions"]
    assert assertions[0]["Assert"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, ARCHIVE]}


def test_management_stack_takes_the_key_as_parameter_and_builds_the_org_trail() -> None:
    plan = org_plan()
    management = templates(plan)["2-management.yaml"]
    assert "TrailBucket" not in management["Resources"]
    assert "TrailKey" not in management["Resources"]
    parameter = management["Parameters"]["LogArchiveKeyArn"]
    assert parameter["AllowedPattern"] == f"^arn:aws:kms:{REGION}:{ARCHIVE}:key/.+$"
    trail = management["Resources"]["Trail"]
    assert "DependsOn" not in trail  # the bucket policy is stack 1's, complete before
    p = trail["Properties"]
    assert p["IsOrganizationTrail"] is True
    assert p["KMSKeyId"] == {"Ref": "LogArchiveKeyArn"}
    assert p["S3BucketName"] == plan.organization.bucket  # type: ignore[union-attr]
    role = props(management, "CloudWatchLogsRole")["Policies"][0]["PolicyDocument"]
    assert any(r.endswith(f":log-stream:{ORG_ID}_*") for r in role["Statement"][0]["Resource"])
    assertions = management["Rules"]["TargetAccountAndRegion"]["Assertions"]
    assert assertions[0]["Assert"] == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, MANAGEMENT]}


def test_guardrail_conformance_pack_and_rule_are_the_plans_documents() -> None:
    plan = org_plan()
    org = plan.organization
    assert org is not None and org.guardrail is not None
    management = templates(plan)["2-management.yaml"]
    scp = props(management, "GuardrailPolicy")
    assert scp["Content"] == org.guardrail.document
    assert (scp["Type"], scp["TargetIds"]) == ("SERVICE_CONTROL_POLICY", [ROOT])
    pack = props(management, "ConformancePack")
    assert pack["TemplateBody"] == pack_body() == plan.steps[0].params["TemplateBody"]
    rule = props(management, "DriftRule")
    assert rule["EventPattern"] == PATTERN
    assert rule["Targets"] == [{"Id": "alarm-topic", "Arn": {"Ref": "AlarmTopic"}}]
    statements = props(management, "AlarmTopicPolicy")["PolicyDocument"]["Statement"]
    events = statements[1]
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    rule_arn = f"arn:aws:events:{REGION}:{MANAGEMENT}:rule/trailwarden-trail-drift"
    assert events["Condition"] == {"ArnEquals": {"aws:SourceArn": rule_arn}}
    # The stack's topic policy replaces the default one: the CIS alarms keep their statement.
    assert statements[0]["Sid"] == builders.SID_SNS_ALARMS


def test_one_account_stack_holds_everything() -> None:
    (management,) = templates(org_plan(archive=False)).values()
    resources = management["Resources"]
    assert {"TrailBucket", "TrailKey", "Trail", "GuardrailPolicy", "DriftRule"} <= set(resources)
    assert resources["Trail"]["DependsOn"] == ["TrailBucketPolicy"]
    assert "Parameters" not in management


def test_existing_key_and_topic_are_listed_for_merging() -> None:
    plan = org_plan(**ORG_VARIANTS["existing-key-topic"])
    management = templates(plan)["2-management.yaml"]
    merge = management["Metadata"]["trailwarden"]["MergeIntoExistingPolicies"]
    baseline = plan.accounts[0].baseline
    assert baseline is not None
    assert merge[KEY_ARN] == baseline.key_policy_statements()
    alarm, events = merge[TOPIC_ARN]
    assert alarm == baseline.topic_policy_statement()
    assert events["Principal"] == {"Service": "events.amazonaws.com"}
    assert props(management, "DriftRule")["Targets"][0]["Arn"] == TOPIC_ARN
    assert "AlarmTopicPolicy" not in management["Resources"]
    assert props(management, "Trail")["KMSKeyId"] == KEY_ARN


def test_a_refused_guardrail_is_created_but_attached_nowhere() -> None:
    management = templates(org_plan(**ORG_VARIANTS["refused-no-drift-no-kms"]))["2-management.yaml"]
    assert "TargetIds" not in props(management, "GuardrailPolicy")
    assert "DriftRule" not in management["Resources"]
    assert "ConformancePack" not in management["Resources"]


def test_plan_without_organisation_or_bad_format_is_a_one_line_error() -> None:
    plan = org_plan()
    with pytest.raises(UsageError, match="--format 'pulumi'"):
        export_org_iac(plan, "pulumi")
    with pytest.raises(UsageError, match="plan --org-trail"):
        export_org_iac(plan.model_copy(update={"organization": None}), "terraform")
    no_baseline = plan.model_copy(update={"accounts": plan.accounts[1:]})
    with pytest.raises(UsageError, match=f"management account {MANAGEMENT}"):
        export_org_iac(no_baseline, "cloudformation")


def test_write_org_iac_writes_nested_files_and_refuses_a_file_as_folder(tmp_path: Path) -> None:
    files = export_org_iac(org_plan(), "terraform")
    written = write_org_iac(files, tmp_path / "iac")
    assert [p.relative_to(tmp_path / "iac").as_posix() for p in written] == list(files)
    assert all(p.read_text() == files[p.relative_to(tmp_path / "iac").as_posix()] for p in written)
    taken = tmp_path / "taken"
    taken.write_text("keep me")
    with pytest.raises(UsageError, match="is not a folder"):
        write_org_iac(files, taken)
    assert taken.read_text() == "keep me"
