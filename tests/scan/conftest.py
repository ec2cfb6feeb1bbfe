"""Fixtures of the scan tests that run behind the fault proxy: a small organisation with a trail
in every account, and the proxy every AWS call goes through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for
from tests.support.proxy import latency_proxy


@pytest.fixture
def members(aws: str) -> list[str]:
    """Two members; the management account and each member have one multi-Region trail."""
    found = create_org(2)
    for account in [MANAGEMENT, *found]:
        create_trail(session_for(account), "main")
    return found


@pytest.fixture
def proxy(aws: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The fault proxy (no added latency) in front of moto, for every call of the test."""
    with latency_proxy(aws, delay_s=0.0) as p:
        monkeypatch.setenv("AWS_ENDPOINT_URL", p.url)
        yield p
