"""Helpers shared by the demo tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import boto3


def member_session(account_id: str, region: str = "us-east-1") -> boto3.Session:
    """A session inside ``account_id`` via OrganizationAccountAccessRole, as the scan reaches it."""
    creds = boto3.client("sts", region_name=region).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
        RoleSessionName="trailwarden-test",
    )["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )


def without_account_host_prefix(client: Any) -> Any:
    """Let an s3control client reach a local endpoint.

    botocore's endpoint rules put the account id in front of the host
    (``123456789012.127.0.0.1``), which does not resolve; moto routes on the ``/v20180820/`` path
    instead. Real AWS needs no such hook.
    """

    def strip(request: Any, **_: Any) -> None:
        netloc = urlsplit(request.url).netloc
        first, _, rest = netloc.partition(".")
        if first.isdigit():
            request.url = request.url.replace(netloc, rest, 1)

    client.meta.events.register("before-send.s3-control", strip)
    return client
