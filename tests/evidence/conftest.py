"""Evidence tests reuse the validation fixtures: a signing key, a trail bucket on moto, taught
ListPublicKeys."""

from __future__ import annotations

from tests.integrity.conftest import public_keys, signing_key, trail_bucket

__all__ = ["public_keys", "signing_key", "trail_bucket"]
