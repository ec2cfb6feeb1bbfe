"""Defaults for any long option from a file and from the environment, for every command at once.

The file is ``trailwarden.toml``: ``--config FILE``, else ``$TRAILWARDEN_CONFIG``, else
``trailwarden.toml`` in the user's config folder (``~/.config/trailwarden`` on Linux) when it
exists. It has a table per command, named as the command is typed, whose keys are the command's
long options without their dashes::

    [scan]
    role-name = "AuditRole"
    regions = ["eu-west-1", "eu-central-1"]

    [logs.hunt]
    source = "s3://org-trail/AWSLogs"

The environment variable ``TRAILWARDEN_<OPTION>`` (``TRAILWARDEN_ROLE_NAME``) sets an option of
every command that has it. Precedence is click's own: command line > environment > file (click's
``default_map``) > the built-in default, so the parsing, conversion and error messages are those
of the command line. A key that is no command's table or no option of its command is an error
naming the key and the file: a misspelt setting must not be silently ignored.

Two variables are no command's option but set how long any AWS call waits for its endpoint
(``aws.session.CALL_KINDS``): ``TRAILWARDEN_CONNECT_TIMEOUT`` and ``TRAILWARDEN_READ_TIMEOUT``,
in seconds, for every kind of call at once.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup, TyperOption

from trailwarden.errors import UsageError

if TYPE_CHECKING:  # typer carries its own click; its Command is what get_command builds
    from typer._click.core import Command

ENV_PREFIX = "TRAILWARDEN_"
CONFIG_ENV = "TRAILWARDEN_CONFIG"
FILE_NAME = "trailwarden.toml"
CONFIG_FLAG = "--config"


def take_config_flag(args: Sequence[str]) -> tuple[list[str], Path | None]:
    """``args`` without ``--config FILE`` (wherever it is: before or after the command), and
    FILE. It is taken out before click parses, because the file decides the defaults click
    parses with."""
    rest: list[str] = []
    given: Path | None = None
    it = iter(enumerate(args))
    for i, arg in it:
        if arg == "--":
            rest += args[i:]
            break
        if arg == CONFIG_FLAG:
            if i + 1 >= len(args):
                raise UsageError("Option '--config' requires an argument.")
            given = Path(args[i + 1])
            next(it)
        elif arg.startswith(CONFIG_FLAG + "="):
            given = Path(arg.split("=", 1)[1])
        else:
            rest.append(arg)
    return rest, given


def config_path(given: Path | None) -> Path | None:
    """The file to read: named (it must exist), or the user's (if it exists), or None."""
    named = given or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    if named is not None:
        if not named.is_file():
            raise UsageError(f"config file not found: {named}")
        return named
    default = Path(typer.get_app_dir("trailwarden")) / FILE_NAME
    return default if default.is_file() else None


def env_name(long: str) -> str:
    return ENV_PREFIX + long.replace("-", "_").upper()


def long_options(command: Command) -> dict[str, TyperOption]:
    """A command's settable options by long spelling without dashes (``role-name``); hidden
    old spellings and ``--help`` are not settings."""
    found: dict[str, TyperOption] = {}
    for param in command.params:
        if not isinstance(param, TyperOption) or param.hidden:
            continue
        longs = [o for o in param.opts if o.startswith("--")]
        if longs and longs[0] != "--help":
            found[longs[0][2:]] = param
    return found


def leaves(command: Command, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every runnable command under ``command`` (``("logs", "hunt")``)."""
    if isinstance(command, TyperGroup):
        for name, sub in sorted(command.commands.items()):
            yield from leaves(sub, (*path, name))
    else:
        yield path


def find(root: Command, path: Sequence[str]) -> Command | None:
    command: Command | None = root
    for name in path:
        if not isinstance(command, TyperGroup):
            return None
        command = command.commands.get(name)
    return command


@dataclass
class Settings:
    """The file's settings, checked against the commands; ``default_map`` is click's."""

    path: Path | None = None
    values: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)

    def default_map(self, root: Command) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        for path, values in self.values.items():
            command = find(root, path)
            assert command is not None  # load() checked every path
            node = tree
            for name in path:
                node = node.setdefault(name, {})
            options = long_options(command)
            node.update({options[key].name: value for key, value in values.items()})
        return tree

    def origin(self, path: tuple[str, ...], long: str) -> tuple[str, Any] | None:
        """Where the value of ``--long`` of the command at ``path`` comes from, if not built in,
        and the value as given there."""
        name = env_name(long)
        if name in os.environ:
            return f"environment {name}", os.environ[name]
        if long in self.values.get(path, {}):
            return f"file {self.path} [{'.'.join(path)}]", self.values[path][long]
        return None


def load(root: Command, path: Path | None, unloaded: Sequence[str] = ()) -> Settings:
    """The settings in ``path`` (None: no file), every key checked against ``root``'s commands;
    the tables of the ``unloaded`` commands (not imported for this run) are left unread."""
    if path is None:
        return Settings()
    try:
        table = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read config file {path}: {exc}") from None
    settings = Settings(path)
    _collect(root, {k: v for k, v in table.items() if k not in unloaded}, (), settings)
    return settings


def _collect(
    command: Command, table: dict[str, Any], path: tuple[str, ...], into: Settings
) -> None:
    options = {} if isinstance(command, TyperGroup) else long_options(command)
    for key, value in table.items():
        where = (*path, key)
        if key in options:
            into.values.setdefault(path, {})[key] = value
            continue
        sub = command.commands.get(key) if isinstance(command, TyperGroup) else None
        if sub is None or not isinstance(value, dict):
            raise UsageError(f"unknown key '{'.'.join(where)}' in config file {into.path}")
        _collect(sub, value, where, into)


def wire_environment(root: Command) -> None:
    """Give every long option of every command its ``TRAILWARDEN_<OPTION>`` variable."""
    for path in leaves(root):
        command = find(root, path)
        assert command is not None
        for long, option in long_options(command).items():
            option.envvar = env_name(long)
            # The same rule for every option, said once (README, `config show`), not in
            # every line of every --help.
            option.show_envvar = False
