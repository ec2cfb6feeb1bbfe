"""The snapshot file is written a piece at a time, with the bytes of one whole dump."""

from __future__ import annotations

from pathlib import Path

from tests.scan.build import make_snapshot, make_trail

from trailwarden.snapshot import Snapshot, load_snapshot, save_snapshot
from trailwarden.snapshot.model import ApiError, OrgAccount, Organization


def _whole(snapshot: Snapshot) -> str:
    return snapshot.model_dump_json(by_alias=True, indent=1) + "\n"


def test_the_streamed_file_is_the_whole_dump_byte_for_byte(tmp_path: Path) -> None:
    snapshot = make_snapshot([make_trail(multi=False), make_trail(name="second")])
    snapshot.errors.append(ApiError(account="1", region="-", operation="s3:X", error="é \n"))
    # A nested "accounts" list (the organisation's) must not be taken for the top-level one.
    snapshot.organization = Organization(
        id="o-1", management_account_id="1", caller_account_id="1", accounts=[OrgAccount(id="1")]
    )
    path = tmp_path / "snap.json"
    save_snapshot(snapshot, path)
    assert path.read_text(encoding="utf-8") == _whole(snapshot)
    assert load_snapshot(path) == snapshot


def test_empty_lists_stay_as_a_whole_dump_writes_them(tmp_path: Path) -> None:
    snapshot = make_snapshot([])
    snapshot.accounts, snapshot.regions, snapshot.errors = [], [], []
    path = tmp_path / "snap.json"
    save_snapshot(snapshot, path)
    assert path.read_text(encoding="utf-8") == _whole(snapshot)
