"""Every output format, the terminal report and the typed evaluation stay byte-identical to
the reference digests (written from the code before the renderers were tuned for scale)."""

from __future__ import annotations

import json

import pytest
from tests.report.renderings import DIGESTS, digests

EXPECTED: dict[str, str] = json.loads(DIGESTS.read_text())


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return digests(tmp_path_factory.mktemp("renderings"))


def test_every_rendering_is_covered() -> None:
    # A format added later must be added to the reference too, not silently skipped.
    formats = {key.split(".", 2)[2] for key in EXPECTED if key.count(".") == 2}
    from trailwarden.report.render import RENDERERS

    assert {str(f) for f in RENDERERS} | {"text"} <= formats


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_rendering_is_unchanged(key: str, found: dict[str, str]) -> None:
    assert found[key] == EXPECTED[key], f"{key} differs from the reference rendering"


def test_nothing_unreferenced(found: dict[str, str]) -> None:
    assert sorted(found) == sorted(EXPECTED)
