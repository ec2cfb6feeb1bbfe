"""What every command shares: output formats, exit codes, JSON emission, one-line errors."""

from __future__ import annotations

import enum
import functools
import inspect
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from trailwarden.cli.options import EnvProfile, EnvRegion
from trailwarden.terminal import console, err_console, show_progress

# Exit codes, the same for every command.
EXIT_OK = 0
EXIT_FINDINGS = 1  # something failed/was invalid at or above the threshold
EXIT_USAGE = 2  # bad input, credentials, access to something required


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


class TableFormat(enum.StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


__all__ = ["console", "err_console", "show_progress"]

OUTPUT_OPTION = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def emit_json(doc: Any, out: Path | None = None) -> None:
    """Write a JSON document to ``out`` (if given) or stdout, with a trailing newline."""
    text = json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"
    if out is not None:
        out.write_text(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


@contextmanager
def aws_environment(profile: str | None, region: str | None) -> Iterator[None]:
    """Apply ``--profile``/``--region`` to every boto3 session the command creates (standard chain),
    and restore the environment afterwards (commands also run in-process, in tests)."""
    saved = {k: os.environ.get(k) for k in ("AWS_PROFILE", "AWS_DEFAULT_REGION")}
    try:
        if profile:
            os.environ["AWS_PROFILE"] = profile
        if region:
            os.environ["AWS_DEFAULT_REGION"] = region
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _flags(parameter: inspect.Parameter) -> set[str]:
    """The option names a command parameter declares (``--region`` -> ``region``), whether
    given as its default or, ``Annotated``, in its type (where the first flag is "default")."""
    decls: list[object] = []
    if isinstance(parameter.default, typer.models.ParameterInfo):
        decls += parameter.default.param_decls or ()
    for info in getattr(parameter.annotation, "__metadata__", ()):
        if isinstance(info, typer.models.ParameterInfo):
            decls += [info.default, *(info.param_decls or ())]
    return {flag.lstrip("-") for d in decls if isinstance(d, str) for flag in d.split("/")}


def with_aws_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command ``--profile`` and ``--region`` (for commands that reach AWS through boto3's
    default session). A command whose ``--region`` already means something else (a filter) only
    gets ``--profile``; the Region then comes from the profile or the standard chain."""
    signature = inspect.signature(fn, eval_str=True)
    options = {"profile": EnvProfile, "region": EnvRegion}
    taken = set(signature.parameters)
    for parameter in signature.parameters.values():
        taken.update(_flags(parameter))
    added = [name for name in options if name not in taken]
    extra = [
        inspect.Parameter(
            name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=options[name]
        )
        for name in added
    ]

    @functools.wraps(fn)
    def command(*args: Any, **kw: Any) -> Any:
        ours = {name: kw.pop(name, None) for name in added}
        with aws_environment(ours.get("profile"), ours.get("region")):
            return fn(*args, **kw)

    command.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[*signature.parameters.values(), *extra]
    )
    return command
