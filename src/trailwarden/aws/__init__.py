"""AWS access: sessions and credentials, accounts, Regions, retries, error codes.

Owns every boto3/botocore session and client; imports boto3, botocore and trailwarden.errors only,
never the packages above it (collect, apply, verify, cli) nor rich. Talking to AWS happens here
and in collect/, apply/ and verify/, which build on it.
"""

# Here rather than in session.py so that the CLI can show it as a default without importing boto3.
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
