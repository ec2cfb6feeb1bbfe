"""Turning botocore exceptions into the snapshot's error entries."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "AuthFailure",
        "OptInRequired",
    }
)

# The exceptions a scan step catches and records; anything else is a bug and propagates.
AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)


def error_code(exc: BaseException, default: str = "ClientError") -> str:
    """The AWS error code of a botocore exception (``default`` when a ClientError has none), or
    the exception's class name: the one place that digs it out of ``exc.response``."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", default))
    return type(exc).__name__
