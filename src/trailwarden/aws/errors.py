"""Turning botocore exceptions into the snapshot's error entries."""

from __future__ import annotations

from urllib.parse import urlsplit

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)

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

# An endpoint that refused, dropped or did not answer.
_UNREACHABLE = (
    EndpointConnectionError,
    ConnectTimeoutError,
    ConnectionClosedError,
    ReadTimeoutError,
)

# The exceptions a scan step catches and records; anything else is a bug and propagates.
AWS_ERRORS: tuple[type[BaseException], ...] = (ClientError, BotoCoreError)


def error_code(exc: BaseException, default: str = "ClientError") -> str:
    """The AWS error code of a botocore exception (``default`` when a ClientError has none), or
    the exception's class name: the one place that digs it out of ``exc.response``."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", default))
    return type(exc).__name__


def unreachable(exc: BaseException) -> str | None:
    """One line naming the endpoint that did not answer, or None for any other error.

    A timeout carries how long each attempt waited (noted by the session's retry handler,
    ``aws.session._stop_retrying_timeouts``)."""
    if not isinstance(exc, _UNREACHABLE):
        return None
    url = urlsplit(str(getattr(exc, "kwargs", {}).get("endpoint_url", "")))
    endpoint = f"{url.scheme}://{url.netloc}" if url.netloc else "AWS"
    waited, attempts = getattr(exc, "waited", (None, 1))
    after = f" after {waited:g}s" if waited is not None else ""
    tries = f" ({attempts} attempts)" if attempts > 1 else ""
    if isinstance(exc, ReadTimeoutError):
        why = f"read timed out{after}{tries}"
    elif isinstance(exc, ConnectTimeoutError):
        why = f"connect timed out{after}{tries}"
    elif isinstance(exc, ConnectionClosedError):
        why = "the connection closed without an answer"
    else:
        why = "could not connect"
    return f"cannot reach AWS at {endpoint}: {why}"


def describe(exc: BaseException) -> str:
    """What went wrong with an AWS call, for a message that wraps it: AWS's error code, an
    endpoint that did not answer in its own words, anything else as botocore says it."""
    if isinstance(exc, ClientError):
        return error_code(exc, "")
    return unreachable(exc) or str(exc)
