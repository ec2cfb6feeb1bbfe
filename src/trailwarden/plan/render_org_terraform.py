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
from trailwarden.plan.hcl import Block, JsonHeredoc, Raw, TextHeredoc, render
from trailwarden.plan.org.iac_input import OrgIacInput
from trailwarden.plan.render_org_cloudformation import guardrail_description, scp_note
from trailwarden.plan.render_terraform import required_providers, storage_blocks, trail_blocks

ROLE_VARIABLE = "log_archive_role_name"
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
    if archive is not None:
        role = f"arn:{b.partition}:iam::{archive.account_id}:role/${{var.{ROLE_VARIABLE}}}"
        blocks += [
            Block("variable", (ROLE_VARIABLE,))
            .attr("type", Raw("string"))
            .attr("default", DEFAULT_ROLE)
            .attr("description", "The role Terraform assumes in the log-archive account"),
            _provider("log_archive", archive.account_id, archive.bucket.region).block(
                Block("assume_role").attr("role_arn", Raw(json.dumps(role)))
            ),
            Block("module", ("log_archive",))
            .attr("source", "./modules/log_archive")
            .attr("providers", {"aws": Raw("aws.log_archive")}),
        ]
        if b.kms.mode == "new":
            call.attr("kms_key_arn", Raw("module.log_archive.kms_key_arn"))
        # CreateTrail checks the bucket policy: the whole log-archive module comes first.
        call.attr("depends_on", [Raw("module.log_archive")])
    blocks.append(call)
    blocks.append(Block("output", ("trail_arn",)).attr("value", Raw("module.management.trail_arn")))
    return blocks


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
    blocks += _guardrail(data) + _config(data) + _event_rule(data)
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
