"""An account-wide read (ListBuckets) asked for by many tasks at once is made once: the others
wait for its answer; if it fails, the next asker tries again."""

from __future__ import annotations

import threading
import time

import pytest

from trailwarden.aws.session import AwsAccess
from trailwarden.collect.reads import ReadContext


def test_concurrent_askers_share_one_computation() -> None:
    ctx = ReadContext(AwsAccess())
    made: list[int] = []

    def slow() -> list[str]:
        made.append(1)
        time.sleep(0.2)  # long enough for every thread to ask while it runs
        return ["bucket"]

    got: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: got.append(ctx.memo(("1", "buckets"), slow)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 1
    assert got == [["bucket"]] * 8


def test_a_failed_computation_is_not_kept() -> None:
    ctx = ReadContext(AwsAccess())

    def fails() -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        ctx.memo(("1", "x"), fails)
    assert ctx.memo(("1", "x"), lambda: "second") == "second"
