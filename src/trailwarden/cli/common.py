"""What every command shares: output formats, exit codes, JSON emission, one-line errors."""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from trailwarden import outfile
from trailwarden.cli.options import option_group
from trailwarden.terminal import console, err_console, quiet, show_progress

# Exit codes, the same for every command.
EXIT_OK = 0
EXIT_FINDINGS = 1  # something failed/was invalid at or above the threshold
EXIT_USAGE = 2  # bad input, credentials, access to something required


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


class ListFormat(enum.StrEnum):
    """For a command whose document is a list of items (validation items...)."""

    text = "text"
    json = "json"
    jsonl = "jsonl"


__all__ = ["console", "err_console", "show_progress"]

OUTPUT_OPTION = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write the document to FILE (JSON unless -o says otherwise)."),
]


@option_group
@dataclasses.dataclass(frozen=True)
class Output:
    """``-o/--output text|json`` and ``--out FILE``: how a command gives its document."""

    output: Annotated[OutputFormat, typer.Option("--output", "-o", help="text or json")] = (
        OutputFormat.text
    )
    out: Out = None

    def document(self, doc: Any) -> bool:
        """Write ``doc`` where the options say; True when stdout still wants the text."""
        return emit(doc, [doc], self.output, self.out)


@option_group
@dataclasses.dataclass(frozen=True)
class ListOutput:
    """``Output`` for a document that is a list of items: ``-o jsonl`` gives one a line."""

    output: Annotated[
        ListFormat,
        typer.Option("--output", "-o", help="text, json, or jsonl (one object per line)"),
    ] = ListFormat.text
    out: Out = None

    def document(self, doc: Any, items: Iterable[Any]) -> bool:
        """Write ``doc`` (or its ``items``) where the options say; True when stdout still
        wants the text."""
        return emit(doc, items, self.output, self.out)


def note(text: str) -> None:
    """What the user should know beside the results (a corrupt file skipped...), on stderr;
    nothing with ``--quiet``."""
    if not quiet():
        err_console.print(text, markup=False, soft_wrap=True)


def emit_json(doc: Any, out: Path | None = None) -> None:
    """Write a JSON document to ``out`` (if given) or stdout, with a trailing newline."""
    text = json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"
    if out is not None:
        outfile.write_text(out, text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def emit_jsonl(items: Iterable[Any], out: Path | None = None) -> None:
    """One compact JSON object per line, to ``out`` or stdout, each line flushed as it is
    written (a reader downstream sees items as they come)."""
    with outfile.atomic(out) if out is not None else contextlib.nullcontext(sys.stdout) as stream:
        for item in items:
            stream.write(json.dumps(item, separators=(",", ":"), default=str) + "\n")
            stream.flush()


def emit(doc: Any, items: Iterable[Any], fmt: str, out: Path | None) -> bool:
    """The document in a machine format: ``-o json`` (or ``--out`` with ``-o text``) writes
    ``doc``, ``-o jsonl`` its ``items``, to ``out`` or stdout. True when stdout still wants the
    text (``-o text``)."""
    if fmt == "jsonl":
        emit_jsonl(items, out)
    elif fmt == "json" or out is not None:
        emit_json(doc, out)
    return fmt == "text"
