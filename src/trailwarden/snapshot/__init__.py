"""The snapshot stage: the typed record collection produces and every later stage reads."""

from trailwarden.snapshot.io import load_snapshot, save_snapshot
from trailwarden.snapshot.model import SNAPSHOT_SCHEMA, Snapshot

__all__ = ["SNAPSHOT_SCHEMA", "Snapshot", "load_snapshot", "save_snapshot"]
