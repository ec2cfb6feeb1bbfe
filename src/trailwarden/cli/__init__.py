"""Owns the command line: parse options, call the library, draw progress, render, exit code.
May import every trailwarden package, typer, rich and trailwarden.terminal; nothing imports cli.

Thin: the commands hold no logic the library lacks. Options shared by several commands are
declared once in ``options``; every progress display is drawn by ``progress``.

Each area keeps its commands in its own module here and registers them on ``app``; this module
only assembles them and owns the one place where exceptions become one-line errors and exit codes.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoRegionError,
    ProfileNotFound,
    ReadTimeoutError,
)
from typer.core import TyperArgument

from trailwarden import __version__, interrupt
from trailwarden.aws.credentials import credential_problem
from trailwarden.aws.errors import unreachable
from trailwarden.cli import settings
from trailwarden.cli.common import EXIT_USAGE, err_console
from trailwarden.errors import TrailwardenError

app = typer.Typer(
    name="trailwarden",
    help="A complete, trustworthy, queryable CloudTrail audit trail for an AWS organisation.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion for the user's shell
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    # Every command and group inherits it from the root's context.
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"trailwarden {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
    # Read (and taken out of the arguments, wherever it is) by ``run`` before click parses.
    _config: Path | None = typer.Option(
        None,
        "--config",
        help="Settings file (default: $TRAILWARDEN_CONFIG, else trailwarden.toml in the "
        "user config folder); see `trailwarden config show`.",
    ),
) -> None:
    """Scan, fix once, prove it, and query the record."""


# One module per command (or command group), named like the command.
COMMAND_MODULES = (
    "scan", "report", "demo", "plan", "apply", "verify", "validate", "evidence", "filter", "logs",
    "alarms", "securityhub", "config",
)  # fmt: skip


def _register(argv: Sequence[str]) -> None:
    """Import the command modules (each adds its commands to ``app`` on import).

    Only the module of the command being run is imported when it can be told from ``argv``: the
    areas pull in heavy libraries (DuckDB, sqlglot, moto) that other commands never need, and
    every command would otherwise pay for all of them at start-up. ``--version`` alone needs none:
    it must answer even where an optional dependency is missing.
    """
    first = next((a for a in argv if not a.startswith("-")), None)
    if first is None and any(a in argv for a in ("--version", "--show-completion")):
        return
    names = [first] if first in COMMAND_MODULES else list(COMMAND_MODULES)
    for name in names:
        importlib.import_module(f"trailwarden.cli.{name}")


def load_settings(command: Any, config: Path | None) -> settings.Settings:
    """The config file's settings for ``command`` (the root, with the modules imported so far):
    the tables of commands not imported are checked when one of them runs."""
    registered = getattr(command, "commands", {})
    unloaded = [name for name in COMMAND_MODULES if name not in registered]
    return settings.load(command, settings.config_path(config), unloaded)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this; ``main`` exits with it).

    Commands end with ``typer.Exit(code)``; click reports usage errors itself (exit 2). Everything
    else a user can cause arrives here as an exception and leaves as one line on stderr.
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    try:
        args, config = settings.take_config_flag(args)
        if not args:
            args = ["--help"]  # bare `trailwarden`: the help, on stdout, exit 0
        _register(args)
        command = typer.main.get_command(app)
        _plain_usage(command)
        # Defaults from the environment and the config file, for every command's options.
        settings.wire_environment(command)
        found = load_settings(command, config)
        # The command's modules are imported: from here Ctrl-C unwinds the command.
        interrupt.release()
        command.main(
            args=args,
            prog_name="trailwarden",
            standalone_mode=True,
            default_map=found.default_map(command),
            obj=found,  # for `trailwarden config show`
        )
    except SystemExit as exc:
        if _interrupted(exc):
            # typer turns Ctrl-C in a command into a silent exit 130: say it, as below.
            _one_line("interrupted")
            return 130
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TrailwardenError as exc:
        # A stage may have wrapped a credential failure in its own words: say what to do.
        _one_line(credential_problem(exc, _profile(args)) or str(exc))
        return exc.exit_code
    except ProfileNotFound as exc:
        _one_line(str(exc))
        return EXIT_USAGE
    except NoRegionError:
        _one_line("no AWS Region: give --region, or set AWS_REGION or the profile's region")
        return EXIT_USAGE
    except (
        EndpointConnectionError,
        ConnectTimeoutError,
        ConnectionClosedError,
        ReadTimeoutError,
    ) as exc:
        # An endpoint that refused, dropped or never answered: its URL and how long was
        # waited, not a traceback.
        _one_line(unreachable(exc) or f"cannot reach AWS ({exc})")
        return EXIT_USAGE
    except (BotoCoreError, ClientError) as exc:
        problem = credential_problem(exc, _profile(args))
        if problem is None:
            raise  # not the user's to fix: a bug, with its traceback
        _one_line(problem)
        return EXIT_USAGE
    except ValueError as exc:
        # botocore's words for an endpoint URL it cannot use (AWS_ENDPOINT_URL=not-a-url);
        # any other ValueError is a bug and keeps its traceback.
        if not str(exc).startswith("Invalid endpoint:"):
            raise
        _one_line(f"{exc} (check AWS_ENDPOINT_URL and endpoint_url in the AWS config)")
        return EXIT_USAGE
    except KeyboardInterrupt:
        _one_line("interrupted")
        return 130
    except RuntimeError as exc:
        # DuckDB's Python client turns Ctrl-C during a statement on the main thread into this
        # (logs query, hunts, timelines): it is the user's interrupt, not a bug.
        if str(exc) != "Query interrupted":
            raise
        _one_line("interrupted")
        return 130
    return 0


def _plain_usage(root: Any) -> None:
    """Usage lines name arguments as click and man pages do (``PRINCIPAL``, ``[SOURCE]``):
    typer wraps a required one in braces, which reads as a choice or a placeholder to fill."""
    for path in settings.leaves(root):
        for param in getattr(settings.find(root, path), "params", []):
            if isinstance(param, TyperArgument):
                param.get_usage_pieces = functools.partial(_usage_piece, param)  # type: ignore[method-assign]


def _usage_piece(argument: TyperArgument, _ctx: Any) -> list[str]:
    name = argument.display_name_raw.upper()
    piece = name if argument.required else f"[{name}]"
    return [piece + ("..." if argument.nargs != 1 else "")]


def _profile(args: Sequence[str]) -> str | None:
    """The AWS profile the command ran with (``--profile``, else the environment's), named in
    the command a credential message tells the user to run."""
    for i, arg in enumerate(args):
        if arg == "--profile" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--profile="):
            return arg.split("=", 1)[1]
    return (
        os.environ.get("TRAILWARDEN_PROFILE")
        or os.environ.get("AWS_PROFILE")
        or os.environ.get("AWS_DEFAULT_PROFILE")
    )


def _one_line(message: str) -> None:
    line = " ".join(message.split())
    err_console.print(f"trailwarden: error: {line}", markup=False, soft_wrap=True)


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is the end of a Ctrl-C (a KeyboardInterrupt in its chain of causes)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main() -> None:
    """Run the CLI and exit. Until the command starts (``trailwarden.__main__``) and after it
    ends, Ctrl-C is ``interrupt.exit_interrupted``: after the end the exit handlers run, output is
    flushed, and the process ends without the interpreter's teardown, the ~0.7 s (DuckDB, isal)
    in which Python no longer runs signal handlers and Ctrl-C kills it."""
    try:
        code = run()
        interrupt.hold()
    except KeyboardInterrupt:  # between the command's end and the handler above
        interrupt.hold()
        _one_line("interrupted")
        code = 130
    for thread in threading.enumerate():  # as the interpreter would: wait for non-daemon threads
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe: nothing left to say
            stream.flush()
    os._exit(code)
