"""The two consoles and the progress policy, shared by the CLI and long-running stages."""

from __future__ import annotations

import sys

from rich.console import Console

# Human output goes to stderr when stdout carries JSON, so pipes stay machine-readable.
# Not on a terminal (CI logs, files), rich would wrap at 80 columns; reports read better wider.
_WIDTH = None if sys.stdout.isatty() else 120
console = Console(stderr=False, highlight=False, width=_WIDTH)
err_console = Console(stderr=True, highlight=False, width=None if sys.stderr.isatty() else 120)


def show_progress() -> bool:
    """Progress bars only on an interactive terminal: CI logs and pipes stay clean."""
    return sys.stderr.isatty()
