"""Member-account resources of an organisation plan: one StackSet when every member needs the
same, a stack per member otherwise, in both formats and from the plan's own step parameters."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from trailwarden.plan.export import export_org_iac

from .org_support import FORWARD_ROLE, MANAGEMENT, MEMBERS, PATTERN, ROOT, org_plan
from .test_render_terraform import resources, strings

SUB_ROLE = {"Fn::Sub": f"arn:aws:iam::${{AWS::AccountId}}:role/{FORWARD_ROLE}"}
_BODY = re.compile(r"^(\s*)template_body\s+= <<-EOT\n(.*?)\n\s*EOT$", re.M | re.S)


def _heredoc_text(block: str) -> str:
    """What Terraform sends for a ``<<-EOT`` heredoc: the lines less their common indentation."""
    match = _BODY.search(block)
    assert match is not None
    lines = match.group(2).split("\n")
    indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
    text = "\n".join(line[indent:] for line in lines) + "\n"
    return text.replace("$${", "${").replace("%%{", "%{")  # Terraform's escapes


def _stackset(plan: Any) -> dict[str, Any]:
    management = yaml.safe_load(export_org_iac(plan, "cloudformation")["2-management.yaml"])
    found: dict[str, Any] = management["Resources"]["MemberStackSet"]["Properties"]
    return found


def test_members_with_the_same_part_get_one_auto_deployed_stackset() -> None:
    plan = org_plan(members=3)
    files = export_org_iac(plan, "cloudformation")
    assert list(files) == ["1-log-archive.yaml", "2-management.yaml"]
    props = _stackset(plan)
    assert props["PermissionModel"] == "SERVICE_MANAGED"
    assert props["AutoDeployment"] == {"Enabled": True, "RetainStacksOnAccountRemoval": False}
    (group,) = props["StackInstancesGroup"]
    assert group == {
        "DeploymentTargets": {"OrganizationalUnitIds": [ROOT]},
        "Regions": ["eu-west-1"],
    }
    body = yaml.safe_load(props["TemplateBody"])["Resources"]
    rule = body["RuleTrailwardenTrailDrift"]["Properties"]
    assert rule["EventPattern"] == PATTERN
    assert rule["Targets"] == [
        {
            "Id": "management-bus",
            "Arn": f"arn:aws:events:eu-west-1:{MANAGEMENT}:event-bus/default",
            "RoleArn": SUB_ROLE,
        }
    ]
    role = body["RoleTrailwardenForwardDrift"]["Properties"]
    put = next(s for s in plan.steps if s.operation == "PutRolePolicy")
    assert role["Policies"][0]["PolicyDocument"] == json.loads(put.params["PolicyDocument"])
    assert not any(m in props["TemplateBody"] for m in MEMBERS)


def test_member_actions_are_named_not_templated() -> None:
    text = export_org_iac(org_plan(members=2, retire=True), "cloudformation")["2-management.yaml"]
    header = [line for line in text.splitlines() if line.startswith("#")]
    for member in MEMBERS[:2]:
        assert any(f"{member}:stop-01: cloudtrail:StopLogging is an action" in h for h in header)
    body = yaml.safe_load(_stackset(org_plan(members=2, retire=True))["TemplateBody"])
    assert {r["Type"] for r in body["Resources"].values()} == {
        "AWS::IAM::Role",
        "AWS::Events::Rule",
    }


def test_members_that_differ_get_a_stack_each_in_order() -> None:
    files = export_org_iac(org_plan(members=3, differ=True, archive=False), "cloudformation")
    assert list(files) == ["1-management.yaml"] + [
        f"{n}-member-{m}.yaml" for n, m in enumerate(MEMBERS, start=2)
    ]
    assert "MemberStackSet" not in files["1-management.yaml"]
    for name, member in zip(list(files)[1:], MEMBERS, strict=True):
        assert files[name].startswith(
            f"# Stack {list(files).index(name) + 1} of 4: deploy in the member account {member}"
        )
        template = yaml.safe_load(files[name])
        assertion = template["Rules"]["TargetAccountAndRegion"]["Assertions"][0]["Assert"]
        assert assertion == {"Fn::Equals": [{"Ref": "AWS::AccountId"}, member]}
        targets = next(
            r["Properties"]["Targets"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Events::Rule"
        )
        assert targets[0]["RoleArn"] == f"arn:aws:iam::{member}:role/{FORWARD_ROLE}"


def test_root_id_is_asked_for_when_the_plan_does_not_name_it() -> None:
    plan = org_plan(members=3, guardrail=False)
    management = yaml.safe_load(export_org_iac(plan, "cloudformation")["2-management.yaml"])
    assert management["Parameters"]["OrganizationRootId"]["AllowedPattern"] == "^r-[0-9a-z]{4,32}$"
    group = management["Resources"]["MemberStackSet"]["Properties"]["StackInstancesGroup"][0]
    assert group["DeploymentTargets"] == {"OrganizationalUnitIds": [{"Ref": "OrganizationRootId"}]}
    files = export_org_iac(plan, "terraform")
    assert "organization_root_id = var.organization_root_id" in files["main.tf"]
    assert 'variable "organization_root_id"' in files["modules/management/main.tf"]


def test_terraform_stackset_sends_the_same_member_template() -> None:
    plan = org_plan(members=3)
    res = resources(export_org_iac(plan, "terraform")["modules/management/main.tf"])
    stack_set = res["aws_cloudformation_stack_set", "members"]
    assert strings(stack_set)["permission_model"] == "SERVICE_MANAGED"
    assert _heredoc_text(stack_set) == _stackset(plan)["TemplateBody"]
    instance = res["aws_cloudformation_stack_set_instance", "members"]
    assert f'organizational_unit_ids = ["{ROOT}"]' in instance


def test_terraform_members_that_differ_get_a_provider_and_stack_each() -> None:
    plan = org_plan(members=3, differ=True, archive=False)
    root = export_org_iac(plan, "terraform")["main.tf"]
    cfn = export_org_iac(plan, "cloudformation")
    res = resources(root)
    for number, member in enumerate(MEMBERS, start=2):
        assert f'role_arn = "arn:aws:iam::{member}:role/${{var.account_role_name}}"' in root
        stack = res["aws_cloudformation_stack", f"member_{member}"]
        assert f"provider      = aws.member_{member}" in stack
        assert "depends_on    = [module.management]" in stack
        sent = yaml.safe_load(_heredoc_text(stack))
        from_cfn = yaml.safe_load(cfn[f"{number}-member-{member}.yaml"])
        assert sent["Resources"] == from_cfn["Resources"]
