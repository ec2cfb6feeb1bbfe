"""Validation of the names and identifiers a baseline is built from.

Each check returns an error message (or None) worded for the command line: the option it came
from, the value, and what AWS requires. AWS's own naming rules are enforced here because a bad
name otherwise fails half-way through ``apply``, after the bucket or role already exists.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from trailwarden.errors import UsageError

ACCOUNT_RE = re.compile(r"^\d{12}$")
REGION_RE = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$")
ORG_ID_RE = re.compile(r"^o-[a-z0-9]{10,32}$")
KMS_ARN_RE = re.compile(
    r"^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):(key/[A-Za-z0-9-]+|alias/[\w/-]+)$"
)
TOPIC_ARN_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):sns:([a-z0-9-]+):(\d{12}):([\w-]{1,256})$")
AWS_PRINCIPAL_RE = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):(iam|sts)::\d{12}:.+$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_TRAIL_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_LOG_GROUP_RE = re.compile(r"^[\w./#-]{1,512}$")
_ROLE_RE = re.compile(r"^[\w+=,.@-]{1,64}$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,
    1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip


def regex_problem(pattern: re.Pattern[str], value: str, what: str, problem: str) -> str | None:
    return None if pattern.match(value) else f"{what} {value!r} {problem}"


def bucket_name_problem(name: str, option: str = "--bucket") -> str | None:
    """S3 general-purpose bucket naming rules."""
    if not _BUCKET_RE.match(name):
        return (
            f"{option} {name!r} is not a valid S3 bucket name (3-63 lower-case letters, digits,"
            " dots and hyphens, starting and ending with a letter or digit)"
        )
    if ".." in name or ".-" in name or "-." in name:
        return f"{option} {name!r} is not a valid S3 bucket name (no adjacent dots or dot-hyphen)"
    if _IPV4_RE.match(name):
        return f"{option} {name!r} is not a valid S3 bucket name (it looks like an IP address)"
    for bad in ("xn--", "sthree-", "amzn-s3-demo-"):
        if name.startswith(bad):
            return f"{option} {name!r} is not a valid S3 bucket name (reserved prefix {bad!r})"
    for bad in ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"):
        if name.endswith(bad):
            return f"{option} {name!r} is not a valid S3 bucket name (reserved suffix {bad!r})"
    return None


def trail_name_problem(name: str) -> str | None:
    """CloudTrail trail names: 3-128 of letters, digits, ``._-``, alphanumeric at both ends,
    no adjacent separators, not an IP address."""
    if not _TRAIL_RE.match(name) or re.search(r"[._-]{2}", name) or _IPV4_RE.match(name):
        return (
            f"--trail-name {name!r} is not a valid trail name (3-128 letters, digits, '.', '_'"
            " or '-', starting and ending with a letter or digit, no adjacent separators)"
        )
    return None


def prefix_problem(prefix: str) -> str | None:
    """The S3 key prefix must match the policy resource exactly
    (docs/aws-facts/trail-setup.md#s3-key-prefix): no slashes at the ends."""
    if prefix.startswith("/") or prefix.endswith("/") or "//" in prefix:
        return f"--prefix {prefix!r} must not start or end with '/' or contain '//'"
    if len(prefix) > 200 or any(ord(c) < 32 for c in prefix):
        return (
            f"--prefix {prefix!r} is not a valid S3 key prefix (at most 200 printable characters)"
        )
    return None


def log_group_problem(name: str) -> str | None:
    if not _LOG_GROUP_RE.match(name):
        return (
            f"--log-group {name!r} is not a valid log group name (1-512 letters, digits"
            " and '_-./#')"
        )
    return None


def role_name_problem(name: str) -> str | None:
    if not _ROLE_RE.match(name):
        return f"--cloudwatch-role {name!r} is not a valid IAM role name (1-64 of [\\w+=,.@-])"
    return None


def parse_tags(pairs: Sequence[str]) -> dict[str, str]:
    """``["key=value", ...]`` from repeated ``--tag`` options; a malformed pair is a UsageError."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--tag {pair!r} is not of the form key=value")
        tags[key.strip()] = value.strip()
    return tags


def tag_problem(key: str, value: str) -> str | None:
    if not key or len(key) > 128 or key.lower().startswith("aws:"):
        return f"tag key {key!r} must be 1-128 characters and must not start with 'aws:'"
    if len(value) > 256:
        return f"tag {key!r} has a value longer than 256 characters"
    return None
