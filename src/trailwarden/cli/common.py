"""What every command shares: output formats, exit codes, JSON emission, one-line errors."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

import typer

from trailwarden.terminal import console, err_console, show_progress

# Exit codes, the same for every command.
EXIT_OK = 0
EXIT_FINDINGS = 1  # something failed/was invalid at or above the threshold
EXIT_USAGE = 2  # bad input, credentials, access to something required


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


__all__ = ["console", "err_console", "show_progress"]

OUTPUT_OPTION = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def note(text: str) -> None:
    """What the user should know beside the results (a corrupt file skipped...), on stderr."""
    err_console.print(text, markup=False)


def emit_json(doc: Any, out: Path | None = None) -> None:
    """Write a JSON document to ``out`` (if given) or stdout, with a trailing newline."""
    text = json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"
    if out is not None:
        out.write_text(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
