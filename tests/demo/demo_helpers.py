"""Helpers shared by the demo tests (a unique module name: tests/ has no packages)."""

from __future__ import annotations

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
