"""The two consoles and the progress policy, shared by the CLI and long-running stages."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.text import Text

# Human output goes to stderr when stdout carries JSON, so pipes stay machine-readable.
# On a terminal rich wraps to its width. Anywhere else (a file, a pipe, a CI log) nothing is
# wrapped: an ARN or an eventID split across two lines is one that grep cannot find. The width
# then only bounds tables, which are drawn as wide as their widest values.
UNWRAPPED = 10_000


def _console(stderr: bool) -> Console:
    # No markup and no emoji codes by default: what is printed comes mostly from AWS and from
    # the logs (a value containing "[/]" would raise, "[bold]" vanish, "root:x:0" become an
    # emoji). Styling is asked for explicitly, through ``styled``.
    tty = (sys.stderr if stderr else sys.stdout).isatty()
    return Console(
        stderr=stderr,
        highlight=False,
        markup=False,
        emoji=False,
        width=None if tty else UNWRAPPED,
        soft_wrap=not tty,
    )


def styled(template: str, *values: object) -> Text:
    """The one place data meets markup: ``template`` is trailwarden's own rich markup with
    ``{}`` where each of ``values`` goes; the values are escaped, so they print as they are
    whatever the console's settings."""
    return Text.from_markup(template.format(*(escape(str(v)) for v in values)), emoji=False)


def plain(value: object) -> Text:
    """A value as a table cell or a line, never read as markup or emoji codes."""
    return Text("" if value is None else str(value))


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
