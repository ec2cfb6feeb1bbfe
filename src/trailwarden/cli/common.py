"""What every command shares: output formats, exit codes, JSON emission, one-line errors."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path
from typing import Any

import typer

from trailwarden.cli.options import aws_environment, with_aws_options
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


# Re-exported for the commands that still import them from here; new code imports
# trailwarden.cli.options (where --profile/--region are declared) or trailwarden.terminal.
__all__ = ["aws_environment", "console", "err_console", "show_progress", "with_aws_options"]

OUTPUT_OPTION = typer.Option(OutputFormat.text, "--output", "-o", help="text or json")


def emit_json(doc: Any, out: Path | None = None) -> None:
    """Write a JSON document to ``out`` (if given) or stdout, with a trailing newline."""
    text = json.dumps(doc, indent=2, sort_keys=False, default=str) + "\n"
    if out is not None:
        out.write_text(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
