"""Owns the snapshot: the typed, versioned record that collection produces and later stages read.
May import pydantic, errors and jsonfile; never AWS, never a later stage (controls, plan, cli)."""

from trailwarden.snapshot.io import load_snapshot, save_snapshot
from trailwarden.snapshot.model import SNAPSHOT_SCHEMA, Snapshot

__all__ = ["SNAPSHOT_SCHEMA", "Snapshot", "load_snapshot", "save_snapshot"]
