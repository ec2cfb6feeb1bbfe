"""Every way the credential chain fails is one line on stderr, with what to do, and exit 2.

A table: each credential failure (``CASES``) against one command of each family that reaches AWS
(``FAMILIES``). The failures are made the way users meet them: an SSO profile whose token was
never cached (a temporary AWS config file), no credentials at all, a session key AWS calls
expired, a role the profile's credential chain may not assume, an MFA code AWS refuses (the last
three through the fault proxy in front of moto).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.proxy import Fault, LatencyProxy, latency_proxy

BUCKET = "trail-bucket"
TRAIL = "arn:aws:cloudtrail:us-east-1:123456789012:trail/org"
WINDOW = ["--start-time", "2024-01-01", "--end-time", "2024-01-02"]

EVIDENCE = ["--bucket", BUCKET, *WINDOW]
INGEST = ["--source", f"s3://{BUCKET}"]
FAMILIES: dict[str, Callable[[Path], list[str]]] = {
    "scan": lambda tmp: ["scan", "--regions", "us-east-1"],
    "plan": lambda tmp: ["plan", "--regions", "us-east-1", "--out", str(tmp / "plan.json")],
    "apply": lambda tmp: ["apply", str(tmp / "made.json"), "--yes"],
    "verify": lambda tmp: ["verify", str(tmp / "made.json")],
    "validate": lambda tmp: ["validate", "--trail-arn", TRAIL, *WINDOW],
    "evidence": lambda tmp: ["evidence", "download", *EVIDENCE, "--dir", str(tmp / "e")],
    "logs": lambda tmp: ["logs", "ingest", *INGEST, "--db", str(tmp / "x.duckdb")],
    "alarms": lambda tmp: ["alarms", "replay", "--source", f"s3://{BUCKET}", "--patterns", "cis"],
}  # fmt: skip

SSO_PROFILE = """[profile dev]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
sso_account_id = 123456789012
sso_role_name = Admin
region = us-east-1
"""

ROLE_PROFILE = """[profile base]
aws_access_key_id = testing
aws_secret_access_key = testing
region = us-east-1

[profile dev]
role_arn = arn:aws:iam::123456789012:role/Auditor
source_profile = base
region = us-east-1
"""


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LatencyProxy]:
    with latency_proxy(aws, delay_s=0.0) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p


def _profile(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> list[str]:
    config = tmp_path / "aws-config"
    config.write_text(text)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    return ["--profile", "dev"]


def sso_not_logged_in(request: Any, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> list[str]:
    monkeypatch.setenv("HOME", str(tmp))  # no ~/.aws/sso/cache
    return _profile(monkeypatch, tmp, SSO_PROFILE)


def no_credentials(request: Any, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> list[str]:
    return []


def expired_session(request: Any, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> list[str]:
    proxy: LatencyProxy = request.getfixturevalue("proxy")
    proxy.add_fault(Fault(kind="expired_token"))
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "a-session-token-long-expired")
    return []


def assume_role_refused(request: Any, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> list[str]:
    proxy: LatencyProxy = request.getfixturevalue("proxy")
    proxy.add_fault(Fault(service="sts", operation="AssumeRole"))
    return _profile(monkeypatch, tmp, ROLE_PROFILE)


def mfa_refused(request: Any, monkeypatch: pytest.MonkeyPatch, tmp: Path) -> list[str]:
    proxy: LatencyProxy = request.getfixturevalue("proxy")
    refusal = "MultiFactorAuthentication failed with invalid MFA one time pass code."
    proxy.add_fault(Fault(service="sts", operation="AssumeRole", message=refusal))
    return _profile(monkeypatch, tmp, ROLE_PROFILE)


# Each case: how to break the credentials, and what the one line must tell the user to do.
CASES: dict[str, tuple[Callable[[Any, pytest.MonkeyPatch, Path], list[str]], str]] = {
    "sso-not-logged-in": (sso_not_logged_in, "run aws sso login --profile dev"),
    "no-credentials": (no_credentials, "no usable AWS credentials found: pass --profile"),
    "expired-session": (expired_session, "the AWS session has expired (ExpiredToken"),
    "assume-role-refused": (assume_role_refused, "AWS refused sts:AssumeRole (AccessDenied"),
    "mfa-refused": (mfa_refused, "AWS refused the MFA code for sts:AssumeRole"),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_credential_failure_is_one_line_and_exit_2(
    cli: Any,
    request: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    family: str,
    case: str,
) -> None:
    breaker, advice = CASES[case]
    if family in ("apply", "verify"):  # they start from a plan: make one while AWS answers
        request.getfixturevalue("aws")
        made = cli(["plan", "--regions", "us-east-1", "--out", str(tmp_path / "made.json")])
        assert made.code == 0, made.stderr
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(key, raising=False)
    profile = breaker(request, monkeypatch, tmp_path)
    res = cli([*FAMILIES[family](tmp_path), *profile, "-q"])
    assert res.code == 2, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("trailwarden: error: ")
    assert advice in lines[0]
