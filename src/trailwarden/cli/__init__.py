"""Owns the command line: parse options, call the library, draw progress, render, exit code.
May import every trailwarden package, typer, rich and trailwarden.terminal; nothing imports cli.

Thin: the commands hold no logic the library lacks. Options shared by several commands are
declared once in ``options``; every progress display is drawn by ``progress``.

Each area keeps its commands in its own module here and registers them on ``app``; this module
only assembles them and owns the one place where exceptions become one-line errors and exit codes.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import typer
from botocore.exceptions import (
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    TokenRetrievalError,
)

from trailwarden import __version__
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
) -> None:
    """Scan, fix once, prove it, and query the record."""


# One module per command (or command group), named like the command.
COMMAND_MODULES = (
    "scan", "report", "demo", "plan", "apply", "verify", "validate", "evidence", "filter", "logs",
    "alarms",
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


def run(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (tests call this; ``main`` exits with it).

    Commands end with ``typer.Exit(code)``; click reports usage errors itself (exit 2). Everything
    else a user can cause arrives here as an exception and leaves as one line on stderr.
    """
    args = list(argv) if argv is not None else sys.argv[1:]
    if not args:
        args = ["--help"]  # bare `trailwarden`: the help, on stdout, exit 0
    _register(args)
    command = typer.main.get_command(app)
    try:
        command.main(
            args=args,
            prog_name="trailwarden",
            standalone_mode=True,
        )
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except TrailwardenError as exc:
        _one_line(str(exc))
        return exc.exit_code
    except (NoCredentialsError, PartialCredentialsError, TokenRetrievalError) as exc:
        _one_line(f"no usable AWS credentials ({exc})")
        return EXIT_USAGE
    except ProfileNotFound as exc:
        _one_line(str(exc))
        return EXIT_USAGE
    except NoRegionError:
        _one_line("no AWS Region: give --region, or set AWS_REGION or the profile's region")
        return EXIT_USAGE
    except EndpointConnectionError as exc:
        _one_line(f"cannot reach AWS ({exc})")
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
    return 0


def _one_line(message: str) -> None:
    line = " ".join(message.split())
    err_console.print(f"trailwarden: error: {line}", markup=False, soft_wrap=True)


def main() -> None:
    sys.exit(run())
