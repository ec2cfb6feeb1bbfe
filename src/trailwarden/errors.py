"""Errors that end a command with a clear one-line message.

Every stage raises these (never ``SystemExit``); ``cli.main`` turns them into one line on stderr and
an exit code, so library users get exceptions and CLI users never see a traceback.
"""

from __future__ import annotations


class TrailwardenError(Exception):
    """A failure the user can act on. ``str(err)`` is the one-line message."""

    exit_code = 2


class UsageError(TrailwardenError):
    """Bad input: a malformed file, an invalid option value, a time range that makes no sense."""


class CredentialsError(TrailwardenError):
    """No usable AWS credentials, or the caller's identity could not be established."""


class AccessError(TrailwardenError):
    """AWS refused something the command cannot do without (for example the log bucket)."""
