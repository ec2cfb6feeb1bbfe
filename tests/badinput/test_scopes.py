"""Item 11: impossible scopes are refused by name (``cli.options`` checks every command's
account IDs and Region names), and an empty scope is said plainly, not passed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.badinput.conftest import one_line_error

from trailwarden.cli.options import REGION_RE

WINDOW = ["--start-time", "2024-01-01T00:00:00Z", "--end-time", "2024-01-02T00:00:00Z"]


def test_region_names_have_aws_shape() -> None:
    for good in ("us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1",
                 "ap-southeast-5", "eusc-de-east-1"):  # fmt: skip
        assert REGION_RE.match(good), good
    for bad in ("mars-1", "US-EAST-1", "us-east", "us_east_1", "us-east-1 ", "", "us-east-100"):
        assert not REGION_RE.match(bad), bad


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["scan", "--regions", "mars-1"], "'mars-1' is not an AWS Region name"),
        (["scan", "--regions", "us-east-1,US-EAST-1"], "'US-EAST-1' is not an AWS Region"),
        (["scan", "--region", "mars-1"], "--region: 'mars-1'"),
        (["scan", "--accounts", "abc"], "'abc' is not a 12-digit AWS account ID"),
        (["plan", "--accounts", "1234567890123"], "is not a 12-digit"),
        (["validate", "--bucket", "b", "--account", "abc", *WINDOW], "'abc' is not a 12-digit"),
        (["validate", "--bucket", "b", "--regions", "mars-1", *WINDOW], "'mars-1' is not"),
        (["evidence", "download", "--bucket", "b", "--dir", "x", "--region", "x"], "'x' is not"),
        (
            ["logs", "who", "--resource", "AKIA", "--source", ".", "--region", "Mars"],
            "'Mars' is not",
        ),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_impossible_scopes_are_refused_before_any_call(
    argv: list[str], needle: str, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert needle in one_line_error(cli(argv))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["scan", "plan"])
def test_accounts_a_snapshot_does_not_hold(command: str, snapshot_file: Path, cli: Any) -> None:
    line = one_line_error(
        cli([command, "--from-snapshot", str(snapshot_file), "--accounts", "999999999999"])
    )
    assert "999999999999 not in the snapshot" in line


def test_scan_from_snapshot_honours_accounts(snapshot_file: Path, cli: Any) -> None:
    import json

    whole = json.loads(cli(["scan", "--from-snapshot", str(snapshot_file), "-o", "json"]).stdout)
    accounts = sorted({f["account"] for f in whole["findings"]})
    assert len(accounts) >= 1
    one = cli(
        ["scan", "--from-snapshot", str(snapshot_file), "--accounts", accounts[0], "-o", "json"]
    )
    assert {f["account"] for f in json.loads(one.stdout)["findings"]} == {accounts[0]}


def test_a_scan_of_no_account_is_not_a_pass(tmp_path: Path, cli: Any) -> None:
    from tests.scan.build import make_snapshot

    from trailwarden.snapshot import save_snapshot

    empty = make_snapshot([]).model_copy(update={"accounts": [], "regions": []})
    path = tmp_path / "empty.json"
    save_snapshot(empty, path)
    assert "no account in scope" in one_line_error(cli(["scan", "--from-snapshot", str(path)]))
