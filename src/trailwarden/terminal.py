"""The two consoles and the progress policy, shared by the CLI and long-running stages."""

from __future__ import annotations

import sys

from rich.console import Console

# Human output goes to stderr when stdout carries JSON, so pipes stay machine-readable.
console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def show_progress() -> bool:
    """Progress bars only on an interactive terminal: CI logs and pipes stay clean."""
    return sys.stderr.isatty()
