"""CLI commands for this area (registered on the root app)."""

from __future__ import annotations

from trailwarden.cli import app as _app  # noqa: F401
