"""CLI commands for this area (registered on the root app). Filled in by its issue."""

from __future__ import annotations

from trailwarden.cli import app as _app  # noqa: F401
