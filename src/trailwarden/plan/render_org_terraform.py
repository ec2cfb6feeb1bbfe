"""The organisation plan as Terraform: one root module, one child module per account.

Why one root with a provider alias per account rather than a root module per account: the trail
needs the log-archive key's ARN and must wait for the bucket policy (CreateTrail checks both), and
inside one root Terraform passes the ARN as a reference and orders the modules itself; separate
roots would need remote state or a hand-copied ARN. Each provider carries
``allowed_account_ids``, so a module cannot land in the wrong account; the log-archive provider
assumes a role there (``OrganizationAccountAccessRole`` by default: the role Organizations creates
in the accounts it creates, docs/iac.md#organisation-export).
"""

from __future__ import annotations

import json
from typing import Any

from trailwarden.plan.baseline import Baseline
from trailwarden.plan.checkov import hcl_skips
from trailwarden.plan.hcl import Block, JsonHeredoc, Raw, TextHeredoc, render
from trailwarden.plan.org.iac_input import OrgIacInput
from trailwarden.plan.render_cloudformation import dump_template
from trailwarden.plan.render_org_cloudformation import (
    STACKSET_NAME,
    guardrail_description,
    member_notes,
    scp_note,
)
from trailwarden.plan.render_terraform import required_providers, storage_blocks, trail_blocks

ROLE_VARIABLE = "account_role_name"
ROOT_VARIABLE = "organization_root_id"
DEFAULT_ROLE = "OrganizationAccountAccessRole"


def _resource(kind: str, name: str) -> Block:
    return Block("resource", (kind, name))


def org_terraform(data: OrgIacInput) -> dict[str, str]:
    files = {"main.tf": render(_root(data), _root_note(data))}
    if data.archive is not None:
        files["modules/log_archive/main.tf"] = render(
            _log_archive(data.archive),
            f"The log archive of organisation {data.org.org_id}, account"
            f" {data.archive.account_id}: bucket, access-log bucket, key.",
        )
    files["modules/management/main.tf"] = render(_management(data), _management_note(data))
    return files


def _root_note(data: OrgIacInput) -> str:
    lines = [
        f"trailwarden organisation trail for {data.org.org_id}.",
        f"Run from the management account {data.org.management_account}:"
        " `terraform init && terraform apply` in this folder.",
    ]
    if data.archive is not None:
        lines.append(
            f"The module log_archive is applied first, in account {data.archive.account_id}"
            f" (through the role var.{ROLE_VARIABLE}), then the module management."
        )
    return "\n".join(lines)


def _provider(alias: str, account: str, region: str) -> Block:
    return (
        Block("provider", ("aws",))
        .attr("alias", alias)
        .attr("region", region)
        .attr("allowed_account_ids", [account])
    )


def _assumed(alias: str, account: str, region: str, partition: str) -> Block:
    """A provider that assumes ``var.account_role_name`` in another account of the organisation."""
    role = f"arn:{partition}:iam::{account}:role/${{var.{ROLE_VARIABLE}}}"
    return _provider(alias, account, region).block(
        Block("assume_role").attr("role_arn", Raw(json.dumps(role)))
    )


def _root(data: OrgIacInput) -> list[Block]:
    b = data.trail
    management = _provider("management", data.org.management_account, b.trail.home_region)
    blocks = [required_providers(), management]
    call = (
        Block("module", ("management",))
        .attr("source", "./modules/management")
        .attr("providers", {"aws": Raw("aws.management")})
    )
    archive = data.archive
    per_account = data.members.per_account if data.members else {}
    if archive is not None or per_account:
        blocks.append(
            Block("variable", (ROLE_VARIABLE,))
            .attr("type", Raw("string"))
            .attr("default", DEFAULT_ROLE)
            .attr("description", "The role Terraform assumes in the other accounts")
        )
    if archive is not None:
        region = archive.bucket.region
        blocks += [
            _assumed("log_archive", archive.account_id, region, b.partition),
            Block("module", ("log_archive",))
            .attr("source", "./modules/log_archive")
            .attr("providers", {"aws": Raw("aws.log_archive")}),
        ]
        if b.kms.mode == "new":
            call.attr("kms_key_arn", Raw("module.log_archive.kms_key_arn"))
        # CreateTrail checks the bucket policy: the whole log-archive module comes first.
        call.attr("depends_on", [Raw("module.log_archive")])
    if data.members is not None and data.members.shared is not None and data.root_id is None:
        blocks.append(
            Block("variable", (ROOT_VARIABLE,))
            .attr("type", Raw("string"))
            .attr("description", "The organisation root id (r-...) the member StackSet targets")
        )
        call.attr(ROOT_VARIABLE, Raw(f"var.{ROOT_VARIABLE}"))
    blocks.append(call)
    for account, template in per_account.items():
        # A member whose part differs from the others' gets its own stack, after the
        # management account's part (its rules forward there).
        blocks += [
            _assumed(f"member_{account}", account, b.trail.home_region, b.partition),
            _resource("aws_cloudformation_stack", f"member_{account}")
            .comment(*hcl_skips("CKV_AWS_124"))
            .attr("provider", Raw(f"aws.member_{account}"))
            .attr("name", STACKSET_NAME)
            .attr("capabilities", ["CAPABILITY_NAMED_IAM"])
            .attr("template_body", TextHeredoc(dump_template(template)))
            .attr("depends_on", [Raw("module.management")]),
        ]
    blocks.append(Block("output", ("trail_arn",)).attr("value", Raw("module.management.trail_arn")))
    return blocks


def _member_stackset(data: OrgIacInput) -> list[Block]:
    members = data.members
    if members is None or members.shared is None:
        return []
    root = data.root_id or Raw(f"var.{ROOT_VARIABLE}")
    blocks = []
    if data.root_id is None:
        blocks.append(
            Block("variable", (ROOT_VARIABLE,))
            .attr("type", Raw("string"))
            .attr("description", "The organisation root id (r-...) the member StackSet targets")
        )
    stack_set = (
        _resource("aws_cloudformation_stack_set", "members")
        .attr("name", STACKSET_NAME)
        .attr(
            "description", "trailwarden: what the organisation plan needs in every member account"
        )
        .attr("permission_model", "SERVICE_MANAGED")
        .attr("capabilities", ["CAPABILITY_NAMED_IAM"])
        .attr("template_body", TextHeredoc(dump_template(members.shared)))
        .block(
            Block("auto_deployment")
            .attr("enabled", True)
            .attr("retain_stacks_on_account_removal", False)
        )
    )
    instance = (
        _resource("aws_cloudformation_stack_set_instance", "members")
        .attr("stack_set_name", Raw("aws_cloudformation_stack_set.members.name"))
        .attr("region", data.org.home_region)
        .block(Block("deployment_targets").attr("organizational_unit_ids", [root]))
    )
    return [*blocks, stack_set, instance]


def _log_archive(archive: Baseline) -> list[Block]:
    storage, kms_key = storage_blocks(archive)
    blocks = [required_providers(), *storage]
    blocks.append(Block("output", ("bucket",)).attr("value", Raw("aws_s3_bucket.trail.id")))
    if archive.kms.mode == "new" and kms_key is not None:
        blocks.append(Block("output", ("kms_key_arn",)).attr("value", kms_key))
    return blocks


def _management(data: OrgIacInput) -> list[Block]:
    b = data.trail
    blocks = [required_providers()]
    kms_key: Raw | str | None
    if data.archive is None:
        storage, kms_key = storage_blocks(b)
        blocks += storage
        bucket: Raw | str = Raw("aws_s3_bucket.trail.id")
        depends = [Raw("aws_s3_bucket_policy.trail")]
    else:
        kms_key, bucket, depends = b.kms.key_arn, b.bucket.name, []
        if b.kms.mode == "new":
            kms_key = Raw("var.kms_key_arn")
            blocks.append(
                Block("variable", ("kms_key_arn",))
                .attr("type", Raw("string"))
                .attr("description", "The log-archive module's output kms_key_arn")
            )
    blocks += trail_blocks(b, bucket, kms_key, depends)
    blocks += _guardrail(data) + _config(data) + _event_rule(data) + _member_stackset(data)
    blocks.append(Block("output", ("trail_arn",)).attr("value", Raw("aws_cloudtrail.trail.arn")))
    return blocks


def _guardrail(data: OrgIacInput) -> list[Block]:
    g = data.org.guardrail
    if g is None:
        return []
    blocks = [
        _resource("aws_organizations_policy", "guardrail")
        .attr("name", g.policy_name)
        .attr("description", guardrail_description(data.org.trail_arn))
        .attr("type", "SERVICE_CONTROL_POLICY")
        .attr("content", JsonHeredoc(g.document))
    ]
    if g.refused is not None:  # the plan refused to attach it (self-lockout): created only
        return blocks
    for index, target in enumerate(g.targets):
        blocks.append(
            _resource("aws_organizations_policy_attachment", f"guardrail_{index}")
            .attr("policy_id", Raw("aws_organizations_policy.guardrail.id"))
            .attr("target_id", target)
        )
    return blocks


def _config(data: OrgIacInput) -> list[Block]:
    blocks = []
    pack = data.conformance_pack
    if pack is not None:
        block = (
            _resource("aws_config_organization_conformance_pack", "trail")
            .attr("name", pack["OrganizationConformancePackName"])
            .attr("template_body", TextHeredoc(pack["TemplateBody"]))
        )
        if pack.get("ExcludedAccounts"):
            block.attr("excluded_accounts", list(pack["ExcludedAccounts"]))
        blocks.append(block)
    for index, rule in enumerate(data.config_rules):
        meta: dict[str, Any] = rule.get("OrganizationManagedRuleMetadata", {})
        block = (
            _resource("aws_config_organization_managed_rule", f"rule_{index}")
            .attr("name", rule["OrganizationConfigRuleName"])
            .attr("rule_identifier", meta["RuleIdentifier"])
        )
        if meta.get("InputParameters"):
            block.attr("input_parameters", meta["InputParameters"])
        if rule.get("ExcludedAccounts"):
            block.attr("excluded_accounts", list(rule["ExcludedAccounts"]))
        blocks.append(block)
    return blocks


def _event_rule(data: OrgIacInput) -> list[Block]:
    rule = data.event_rule
    if rule is None:
        return []
    blocks = [
        _resource("aws_cloudwatch_event_rule", "drift")
        .attr("name", rule.name)
        .attr("description", "Someone weakened the organisation trail, its bucket or its key")
        .attr("event_pattern", JsonHeredoc(rule.pattern))
    ]
    if rule.topic_arn is None:
        return blocks
    ours = data.own_topic
    blocks.append(
        _resource("aws_cloudwatch_event_target", "drift")
        .attr("rule", Raw("aws_cloudwatch_event_rule.drift.name"))
        .attr("target_id", "alarm-topic")
        .attr("arn", Raw("aws_sns_topic.alarms.arn") if ours else rule.topic_arn)
    )
    if ours:
        blocks.append(
            _resource("aws_sns_topic_policy", "alarms")
            .attr("arn", Raw("aws_sns_topic.alarms.arn"))
            .attr("policy", JsonHeredoc(data.own_topic_policy()))
        )
    return blocks


def _management_note(data: OrgIacInput) -> str:
    """What the module cannot do itself: policies of resources it does not own must already hold
    our statements (``trailwarden apply`` merges them; Terraform would replace the policy)."""
    b = data.trail
    lines = [
        f"The management account {data.org.management_account} of {data.org.org_id}:"
        f" organisation trail {b.trail.name}, guardrail, drift detection.",
        *scp_note(data),
        *member_notes(data),
    ]
    merge: list[tuple[str, list[Any]]] = []
    if b.kms.mode == "existing":
        merge.append((str(b.kms.key_arn), b.key_policy_statements()))
    if b.alarms is not None and not b.alarms.new_topic:
        merge.append((b.alarms.topic_arn, [b.topic_policy_statement()]))
    rule = data.event_rule
    if rule is not None and rule.topic_arn is not None and not data.own_topic:
        merge.append((rule.topic_arn, rule.topic_statements))
    for arn, statements in merge:
        lines += [f"Before applying, merge these statements into the policy of {arn}:"]
        lines += [json.dumps(statements)]
    return "\n".join(lines)
