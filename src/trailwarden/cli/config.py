"""``trailwarden config show``: every option's value as a command would start with it, and from
where (environment, config file, built-in); the file and variables are read by ``settings``."""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer

from trailwarden.cli import app, settings
from trailwarden.cli.logs.group import Shown
from trailwarden.cli.options import with_option_groups
from trailwarden.errors import UsageError

config_app = typer.Typer(help="The settings file and environment variables.", no_args_is_help=True)
app.add_typer(config_app, name="config")

CommandPath = Annotated[
    list[str] | None,
    typer.Argument(
        help="Only this command (`scan`, `logs hunt`); default: every command.",
        show_default=False,
    ),
]


@config_app.command("show")
@with_option_groups
def show_command(ctx: typer.Context, command: CommandPath = None, shown: Shown = Shown()) -> None:
    """Each option's value before the command line: from TRAILWARDEN_<OPTION>, the config file,
    or built in."""
    from trailwarden.cli import _register, load_settings

    _register(["--all"])  # every command's options, not only this module's
    root = typer.main.get_command(app)
    settings.wire_environment(root)
    ran_with: settings.Settings = ctx.find_root().obj or settings.Settings()
    found = load_settings(root, ran_with.path)  # now checked against every command
    wanted = tuple(command or ())
    paths = [p for p in settings.leaves(root) if p[: len(wanted)] == wanted]
    if not paths:
        raise UsageError(f"no command {' '.join(wanted)!r}")
    rows = [row for path in paths for row in _rows(root, path, found)]
    title = f"settings ({found.path or 'no config file'})"
    shown.render(rows, title)


def _rows(root: Any, path: tuple[str, ...], found: settings.Settings) -> list[Any]:
    command = settings.find(root, path)
    assert command is not None
    rows = []
    for long, option in sorted(settings.long_options(command).items()):
        origin = found.origin(path, long)
        where, value = origin if origin else ("built-in", option.default)
        rows.append(
            {
                "command": " ".join(path),
                "option": f"--{long}",
                "value": _shown(value),
                "from": where,
            }
        )
    return rows


def _shown(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return ",".join(str(_shown(v)) for v in value)
    return value
