"""Ctrl-C while no command is running: one line on stderr and exit 130, at once.
A leaf: imports nothing of trailwarden and nothing that is not loaded with the interpreter.

A command unwinds on Ctrl-C (KeyboardInterrupt: a journal or database is closed whole) and the
CLI turns it into the same line. Before a command starts (Python importing typer, rich, boto3
and the package: ~0.3 s) and after it ends (the exit handlers, the interpreter's teardown) there
is nothing to unwind, and a KeyboardInterrupt would surface as a traceback from whatever module
was importing. ``hold`` installs ``exit_interrupted`` for those moments; ``release`` gives Ctrl-C
back to the command.
"""

from __future__ import annotations

# Only what the interpreter has loaded before any code runs: each import here is time in which
# Ctrl-C still raises KeyboardInterrupt. ``_signal`` is the C half of ``signal``, which would
# first import enum and functools (~3 ms); typing would take ~5 ms, contextlib ~2 ms.
import _signal  # type: ignore[import-not-found]  # typeshed has stubs for ``signal`` only
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # the names are for mypy only
    from typing import Any, NoReturn

# The CLI's one line for an interrupt (``trailwarden.cli`` prints the same words).
LINE = b"trailwarden: error: interrupted\n"


def exit_interrupted(_signum: int = 0, _frame: Any = None) -> NoReturn:
    """What was printed is flushed, the line is written and the process ends with 130, without
    the exit handlers or the interpreter's teardown (nothing has started, or all has finished)."""
    for stream in (sys.stdout, sys.stderr):
        try:  # noqa: SIM105 (contextlib.suppress: one more import)
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing left to say
            pass
    try:  # noqa: SIM105
        os.write(2, LINE)
    except OSError:
        pass
    os._exit(130)


def hold() -> None:
    """From now on Ctrl-C ends the process at once. Only where Python's own handler is in place:
    a SIGINT the parent ignored (a background job of a script) stays ignored."""
    if _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, exit_interrupted)


def release() -> None:
    """Ctrl-C raises KeyboardInterrupt again, if ``hold`` had taken it."""
    if _signal.getsignal(_signal.SIGINT) is exit_interrupted:
        _signal.signal(_signal.SIGINT, _signal.default_int_handler)
