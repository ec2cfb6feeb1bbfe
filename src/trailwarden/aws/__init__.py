"""Owns AWS access: sessions, credentials, clients, accounts, Regions, retries and error codes.
May import boto3, botocore, arns and errors; never snapshot, collect, apply, verify or cli.

collect/, apply/ and verify/ talk to AWS through it; concurrency lives in trailwarden.concurrency.
"""

# Here rather than in session.py so that the CLI can show it as a default without importing boto3.
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_ROLE_SESSION_NAME = "trailwarden-scan"
# ``AwsAccess.client(OWN, ...)``: the caller's own credentials, without asking STS which account
# that is (reading a bucket needs no account id, and no sts:GetCallerIdentity round trip).
OWN = ""
