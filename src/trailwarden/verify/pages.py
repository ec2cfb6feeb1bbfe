"""Who a canary pages, and what the page will say.

A topic "pages people" when it has any confirmed subscription. Protocols do not tell a person
from a program: e-mail and SMS reach a person directly, and an HTTPS, Lambda, SQS or Firehose
subscriber is as often an incident tool (PagerDuty, Opsgenie, a chat bridge) that pages the
on-call. So every confirmed subscriber counts; only the queue ``--canary-endpoint`` subscribes
for the test itself does not (it is subscribed after this check). Pending subscriptions receive
nothing and do not count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from trailwarden.errors import UsageError

if TYPE_CHECKING:
    from trailwarden.verify.chain import Chain


class CanaryRefused(UsageError):
    """The topic pages people and ``--yes`` was not given; the message says what they would get."""


def paging_subscribers(sns: Any, topic: str) -> list[dict[str, Any]]:
    """The topic's confirmed subscriptions (a pending one has no ARN yet)."""
    pages = sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=topic)
    subs = [s for page in pages for s in page.get("Subscriptions", [])]
    return [s for s in subs if str(s.get("SubscriptionArn", "")).startswith("arn:")]


@lru_cache(maxsize=64)
def region_name(region: str) -> str:
    """``us-east-1`` -> ``US East (N. Virginia)``, as CloudWatch writes it in alarm e-mails."""
    import botocore.session

    for partition in botocore.session.get_session().get_data("endpoints")["partitions"]:
        described = partition.get("regions", {}).get(region)
        if described:
            return str(described.get("description", region))
    return region


def page_text(chain: Chain, caller: str) -> str:
    """The subject and first lines of the ALARM notification CloudWatch will send."""
    where = region_name(chain.target.region)
    alarm = chain.alarm_name
    description = chain.alarm.get("AlarmDescription") or "(no description)"
    return (
        f'Subject: ALARM: "{alarm}" in {where}\n'
        f'  You are receiving this email because your Amazon CloudWatch Alarm "{alarm}" in the '
        f'{where} region has entered the ALARM state, because "Threshold Crossed: 1 datapoint '
        f'[1.0] was greater than or equal to the threshold (1.0)."\n'
        f"  Alarm description: {description}\n"
        f"  (caused by trailwarden verify --canary: {chain.candidate.operation} as "
        f"{caller or 'this caller'}; {chain.candidate.harmless})"
    )


def refusal(
    ready: Sequence[tuple[Any, Chain]],
    subscribers: Mapping[str, list[dict[str, Any]]],
    caller: str,
) -> tuple[list[str], str | None]:
    """Every page the canaries will send, and the refusal text if any reaches people."""
    pages = [page_text(chain, caller) for _, chain in ready]
    people = sorted(
        {
            f"{s.get('Protocol', '?')}:{s.get('Endpoint', '?')} on {topic}"
            for topic, subs in subscribers.items()
            for s in subs
        }
    )
    if not people:
        return pages, None
    text = (
        f"verify --canary would page people ({len(people)} confirmed subscriber(s): "
        + "; ".join(people)
        + f"). {len(pages)} alarm(s) would send:\n"
        + "\n".join(pages)
        + "\nWarn them, then run again with --yes."
    )
    return pages, text
