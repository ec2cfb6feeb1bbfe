"""Policy statements of the drift rule (docs/aws-facts/drift.md#delivery): the alarm topic lets
the rule publish, the management account's default event bus accepts events from the
organisation's accounts, and each member's forwarding role may put events on that bus only.

Pure builders returning plain dicts, with Sids starting ``Trailwarden`` so ``merge_statements``
recognises them on a rerun.
"""

from __future__ import annotations

from trailwarden.policies.builders import EVENTS, PolicyDocument, Statement, document

SID_TOPIC_FROM_RULE = "TrailwardenAllowDriftRule"
SID_BUS_FROM_ORGANIZATION = "TrailwardenDriftFromOrganization"
SID_FORWARDER_ASSUME = "TrailwardenEventBridgeAssume"
SID_FORWARDER_PUT = "TrailwardenForwardToManagementBus"


def topic_from_rule_statement(topic_arn: str, rule_arn: str) -> Statement:
    """EventBridge publishes to an SNS topic only if the topic policy lets events.amazonaws.com
    do so; ``aws:SourceArn`` narrows it to our rule."""
    return {
        "Sid": SID_TOPIC_FROM_RULE,
        "Effect": "Allow",
        "Principal": {"Service": EVENTS},
        "Action": "sns:Publish",
        "Resource": topic_arn,
        "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
    }


def bus_from_organization_statement(bus_arn: str, org_id: str) -> Statement:
    """Every account of the organisation may put events on the management account's bus."""
    return {
        "Sid": SID_BUS_FROM_ORGANIZATION,
        "Effect": "Allow",
        "Principal": "*",
        "Action": "events:PutEvents",
        "Resource": bus_arn,
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": org_id}},
    }


def forwarder_trust_policy(account_id: str) -> PolicyDocument:
    """EventBridge in this member account (and no other) assumes the forwarding role."""
    return document(
        [
            {
                "Sid": SID_FORWARDER_ASSUME,
                "Effect": "Allow",
                "Principal": {"Service": EVENTS},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def forwarder_statement(bus_arn: str) -> Statement:
    return {
        "Sid": SID_FORWARDER_PUT,
        "Effect": "Allow",
        "Action": "events:PutEvents",
        "Resource": bus_arn,
    }
