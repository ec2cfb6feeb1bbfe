"""The organisation export as Terraform: `terraform fmt`-clean, one root with a provider per
account, a module per account, and the plan's documents verbatim."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trailwarden.plan.export import export_org_iac, write_org_iac
from trailwarden.plan.hcl import TextHeredoc, value_text
from trailwarden.plan.org.iac_input import log_archive_view

from .org_support import ARCHIVE, MANAGEMENT, PATTERN, ROOT, org_plan, pack_body
from .test_export_org_cloudformation import ORG_VARIANTS, TOPIC_ARN
from .test_render_terraform import assert_terraform_fmt_clean, heredocs, resources, strings

_EOT = re.compile(r"^(\s*)template_body = <<-EOT\n(.*?)\n\s*EOT$", re.M | re.S)


def _block(text: str, kind: str, name: str) -> str:
    match = re.search(rf'^{kind} "{name}" \{{\n(.*?)^\}}', text, re.M | re.S)
    assert match is not None, f"no {kind} {name}"
    return match.group(1)


@pytest.mark.slow
def test_every_org_variant_is_terraform_fmt_clean(tmp_path: Path) -> None:
    for name, options in ORG_VARIANTS.items():
        write_org_iac(export_org_iac(org_plan(**options), "terraform"), tmp_path / name)
    assert_terraform_fmt_clean(tmp_path)


def test_root_has_a_provider_per_account_and_orders_the_modules() -> None:
    files = export_org_iac(org_plan(), "terraform")
    assert list(files) == [
        "main.tf",
        "modules/log_archive/main.tf",
        "modules/management/main.tf",
    ]
    root = files["main.tf"]
    providers = re.findall(r'^provider "aws" \{\n(.*?)^\}', root, re.M | re.S)
    accounts = {strings(p)["alias"]: strings(p)["region"] for p in providers}
    assert set(accounts) == {"management", "log_archive"}
    assert f'allowed_account_ids = ["{ARCHIVE}"]' in providers[1]
    assert f'role_arn = "arn:aws:iam::{ARCHIVE}:role/${{var.account_role_name}}"' in root
    management = _block(root, "module", "management")
    assert "kms_key_arn = module.log_archive.kms_key_arn" in management
    assert "depends_on  = [module.log_archive]" in management
    assert "aws = aws.management" in management
    assert f"module log_archive is applied first, in account {ARCHIVE}" in root


def test_log_archive_module_holds_bucket_and_key_with_the_plans_documents() -> None:
    plan = org_plan()
    baseline = plan.accounts[0].baseline
    assert baseline is not None
    view = log_archive_view(baseline, ARCHIVE)
    res = resources(export_org_iac(plan, "terraform")["modules/log_archive/main.tf"])
    assert heredocs(res["aws_s3_bucket_policy", "trail"])["policy"] == baseline.bucket_policy()
    assert heredocs(res["aws_kms_key", "trail"])["policy"] == view.new_key_policy()
    access = heredocs(res["aws_s3_bucket_policy", "access_logs"])["policy"]
    assert access == view.access_log_bucket_policy()
    assert ("aws_cloudtrail", "trail") not in res


def test_management_module_builds_trail_guardrail_and_drift() -> None:
    plan = org_plan()
    org = plan.organization
    assert org is not None and org.guardrail is not None
    text = export_org_iac(plan, "terraform")["modules/management/main.tf"]
    res = resources(text)
    assert ("aws_s3_bucket", "trail") not in res
    trail = res["aws_cloudtrail", "trail"]
    assert re.search(r"is_organization_trail\s+= true", trail)
    assert re.search(r"kms_key_id\s+= var.kms_key_arn", trail)
    assert strings(trail)["s3_bucket_name"] == org.bucket
    assert 'variable "kms_key_arn"' in text
    scp = res["aws_organizations_policy", "guardrail"]
    assert heredocs(scp)["content"] == org.guardrail.document
    attachment = strings(res["aws_organizations_policy_attachment", "guardrail_0"])
    assert attachment["target_id"] == ROOT
    assert heredocs(res["aws_cloudwatch_event_rule", "drift"])["event_pattern"] == PATTERN
    target = res["aws_cloudwatch_event_target", "drift"]
    assert re.search(r"arn\s+= aws_sns_topic.alarms.arn", target)
    policy = heredocs(res["aws_sns_topic_policy", "alarms"])["policy"]
    assert [s["Principal"]["Service"] for s in policy["Statement"]] == [
        "cloudwatch.amazonaws.com",
        "events.amazonaws.com",
    ]


def test_conformance_pack_body_arrives_byte_for_byte() -> None:
    """``<<-EOT`` strips the common indentation: what Terraform sends is the step's body."""
    text = export_org_iac(org_plan(), "terraform")["modules/management/main.tf"]
    match = _EOT.search(text)
    assert match is not None
    indent = len(match.group(1)) + 2
    lines = match.group(2).split("\n")
    assert all(line[:indent].strip() == "" for line in lines)
    sent = "\n".join(line[indent:] for line in lines) + "\n"
    assert sent == pack_body()


def test_existing_topic_is_targeted_and_its_statements_are_noted() -> None:
    text = export_org_iac(org_plan(**ORG_VARIANTS["existing-key-topic"]), "terraform")
    management = text["modules/management/main.tf"]
    res = resources(management)
    assert strings(res["aws_cloudwatch_event_target", "drift"])["arn"] == TOPIC_ARN
    assert ("aws_sns_topic_policy", "alarms") not in res
    header = [line[2:] for line in management.splitlines() if line.startswith("# [")]
    merged = [s for line in header for s in json.loads(line)]
    assert {s["Principal"]["Service"] for s in merged if "Service" in s["Principal"]} >= {
        "events.amazonaws.com"
    }
    assert "kms_key_arn" not in text["main.tf"]


def test_refused_guardrail_is_not_attached_and_one_account_has_no_archive_module() -> None:
    files = export_org_iac(org_plan(refused="lockout", archive=False), "terraform")
    assert list(files) == ["main.tf", "modules/management/main.tf"]
    res = resources(files["modules/management/main.tf"])
    assert ("aws_organizations_policy", "guardrail") in res
    assert not [k for k in res if k[0] == "aws_organizations_policy_attachment"]
    assert ("aws_s3_bucket", "trail") in res
    assert f'allowed_account_ids = ["{MANAGEMENT}"]' in files["main.tf"]
    assert "log_archive" not in files["main.tf"]


def test_text_heredoc_never_ends_early_and_never_interpolates() -> None:
    text = value_text(TextHeredoc("a: ${x}\nEOT\nb: %{y}\n"), "")
    assert text.startswith("<<-EOT_\n") and text.endswith("\nEOT_")
    assert "$${x}" in text and "%%{y}" in text
