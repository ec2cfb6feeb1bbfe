"""What to tell a user whose AWS credentials or tokens failed: one line with what to do.

botocore raises a different exception for each way the credential chain can fail (an SSO token
never cached or expired, no credentials at all, a role the profile cannot assume, an MFA code it
cannot ask for), and AWS answers a stale session key with an error code on whatever call came
first. ``credential_problem`` recognises all of them, also when a stage wrapped the botocore error
in its own (it looks down the ``__cause__``/``__context__`` chain), so every command words them
the same way.
"""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    CredentialRetrievalError,
    NoCredentialsError,
    PartialCredentialsError,
    RefreshWithMFAUnsupportedError,
    SSOError,
    TokenRetrievalError,
)

from trailwarden.aws.errors import error_code

# AWS's answers to a session whose temporary key has run out.
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})
# AWS's answers to a key it does not know (deleted, mistyped, from another partition).
UNKNOWN_KEY_CODES = frozenset(
    {"InvalidClientTokenId", "UnrecognizedClientException", "InvalidAccessKeyId"}
)
_REFUSED_CODES = frozenset({"AccessDenied", "AccessDeniedException"})
_ASSUME_OPERATIONS = frozenset(
    {"AssumeRole", "AssumeRoleWithWebIdentity", "AssumeRoleWithSAML", "GetRoleCredentials"}
)


def credential_problem(exc: BaseException, profile: str | None) -> str | None:
    """The one-line message for a credential or token failure anywhere in ``exc``'s chain
    (``profile`` is the one the command used, for the command to run), or None when it is
    something else."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        message = _explain(current, profile)
        if message is not None:
            return message
        current = current.__cause__ or current.__context__
    return None


def _explain(exc: BaseException, profile: str | None) -> str | None:
    login = "aws sso login" + (f" --profile {profile}" if profile else "")
    named = f"profile {profile}" if profile else "the default profile"
    if isinstance(exc, SSOError) or (
        isinstance(exc, TokenRetrievalError) and "sso" in str(exc).lower()
    ):
        return (
            f"the AWS SSO session of {named} is not logged in or has expired ({exc}): run {login}"
        )
    if isinstance(exc, RefreshWithMFAUnsupportedError):
        return (
            f"the credentials of {named} need a fresh MFA code, which cannot be asked for "
            "mid-run: run the command again from a terminal, or export the credentials of "
            "`aws sts get-session-token --serial-number ARN --token-code CODE`"
        )
    if isinstance(exc, NoCredentialsError):
        return (
            "no usable AWS credentials found: pass --profile (or set AWS_PROFILE), "
            "run `aws configure` or `aws sso login`, or export AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY"
        )
    if isinstance(exc, PartialCredentialsError):
        return f"incomplete AWS credentials ({exc}): set both the access key ID and the secret"
    if isinstance(exc, (CredentialRetrievalError, TokenRetrievalError)):
        return f"cannot get AWS credentials ({exc}): check {named} in the AWS config file"
    if isinstance(exc, ClientError):
        return _explain_answer(exc, profile, login)
    return None


def _explain_answer(exc: ClientError, profile: str | None, login: str) -> str | None:
    code = error_code(exc, "")
    detail = str(exc.response.get("Error", {}).get("Message") or code)
    if code in EXPIRED_CODES:
        renew = f"run {login}" if profile else "get a new session (aws sso login, or new keys)"
        return f"the AWS session has expired ({code}): {renew}, then run the command again"
    if code in UNKNOWN_KEY_CODES:
        return (
            f"AWS does not recognise the access key ({code}): check the keys of "
            f"{'profile ' + profile if profile else 'the credential chain'} (aws configure list)"
        )
    if code in _REFUSED_CODES and exc.operation_name in _ASSUME_OPERATIONS:
        if "multifactor" in detail.lower() or "mfa" in detail.lower():
            return (
                f"AWS refused the MFA code for sts:{exc.operation_name} ({detail}): "
                "run again with a current code from the device named by mfa_serial"
            )
        return (
            f"AWS refused sts:{exc.operation_name} ({code}: {detail}): check that the role "
            "exists and its trust policy lets your identity assume it "
            "(and the profile's role_arn, source_profile, external_id)"
        )
    return None
