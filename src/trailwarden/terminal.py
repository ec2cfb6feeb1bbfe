"""The two consoles and the progress policy, shared by the CLI and long-running stages."""

from __future__ import annotations

import sys

from rich.console import Console

# Human output goes to stderr when stdout carries JSON, so pipes stay machine-readable.
# On a terminal rich wraps to its width. Anywhere else (a file, a pipe, a CI log) nothing is
# wrapped: an ARN or an eventID split across two lines is one that grep cannot find. The width
# then only bounds tables, which are drawn as wide as their widest values.
UNWRAPPED = 10_000


def _console(stderr: bool) -> Console:
    tty = (sys.stderr if stderr else sys.stdout).isatty()
    return Console(
        stderr=stderr, highlight=False, width=None if tty else UNWRAPPED, soft_wrap=not tty
    )


console = _console(stderr=False)
err_console = _console(stderr=True)

_quiet = False


def set_quiet(quiet: bool) -> bool:
    """``--quiet``: no progress and no notes. Returns the previous setting (to restore it)."""
    global _quiet
    previous, _quiet = _quiet, quiet
    return previous


def quiet() -> bool:
    return _quiet


def piped() -> bool:
    """stdout is not a terminal: tables become tab-separated rows with their full values."""
    return not sys.stdout.isatty()


def show_progress() -> bool:
    """Progress bars only on an interactive terminal (CI logs and pipes stay clean), unless
    ``--quiet``."""
    return sys.stderr.isatty() and not _quiet
