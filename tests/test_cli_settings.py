"""Option defaults from trailwarden.toml and TRAILWARDEN_<OPTION>: command line > environment >
file > built-in, for any long option of any command; unknown keys are one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trailwarden.trailstore.fixtures import write_layout

ACCOUNTS = ("111111111111", "222222222222")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    records = [
        {
            "eventVersion": "1.08",
            "eventTime": "2024-05-01T10:00:00Z",
            "eventName": "DeleteTrail",
            "eventSource": "cloudtrail.amazonaws.com",
            "awsRegion": "eu-west-1",
            "eventID": f"{account}-1",
            "recipientAccountId": account,
            "userIdentity": {"type": "Root", "arn": f"arn:aws:iam::{account}:root"},
            "sourceIPAddress": "192.0.2.1",
        }
        for account in ACCOUNTS
    ]
    root = tmp_path / "bucket"
    write_layout(records, root)
    return root


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "trailwarden.toml"
    path.write_text(text)
    return path


def _timeline(cli: Any, *args: str) -> Any:
    return cli(
        ["logs", "timeline", "--start-time", "2024-05-01", "--end-time", "2024-05-01", *args]
    )


def test_command_line_beats_environment_beats_file_beats_built_in(
    cli: Any, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_in = _timeline(cli, "--source", str(tree))
    assert built_in.code == 0, built_in.stderr
    assert built_in.stdout.startswith("# ")  # the table, piped: a title, then rows

    path = _config(tmp_path, f'[logs.timeline]\nsource = "{tree}"\noutput = "json"\n')
    from_file = _timeline(cli, "--config", str(path))
    assert from_file.code == 0, from_file.stderr
    assert len(json.loads(from_file.stdout)) == 2  # the file gave both --source and -o

    monkeypatch.setenv("TRAILWARDEN_OUTPUT", "csv")
    from_env = _timeline(cli, "--config", str(path))
    assert from_env.code == 0, from_env.stderr
    assert from_env.stdout.splitlines()[0].startswith("eventTime,")

    from_line = _timeline(cli, "--config", str(path), "-o", "jsonl")
    assert [json.loads(line)["eventID"] for line in from_line.stdout.splitlines()] == [
        f"{a}-1" for a in ACCOUNTS
    ]


def test_the_config_file_from_the_environment_and_the_user_folder(
    cli: Any, tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = tmp_path / "xdg" / "trailwarden"
    user.mkdir(parents=True)
    (user / "trailwarden.toml").write_text(f'[logs.timeline]\nsource = "{tree}"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    res = _timeline(cli, "-o", "json", "--accounts", ACCOUNTS[0])
    assert res.code == 0, res.stderr
    assert [row["recipientAccountId"] for row in json.loads(res.stdout)] == [ACCOUNTS[0]]

    named = _config(tmp_path, f'[logs.timeline]\nsource = "{tree}"\naccounts = ["{ACCOUNTS[1]}"]\n')
    monkeypatch.setenv("TRAILWARDEN_CONFIG", str(named))  # wins over the user folder's file
    res = _timeline(cli, "-o", "json")
    assert [row["recipientAccountId"] for row in json.loads(res.stdout)] == [ACCOUNTS[1]]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[scan]\nrol-name = "Audit"\n', "scan.rol-name"),
        ('[scna]\nrole-name = "Audit"\n', "scna"),
        ('role-name = "Audit"\n', "role-name"),
        ("[scan.deep]\nx = 1\n", "scan.deep"),
        ('[scan]\nstart = "2024-01-01"\n', "scan.start"),  # not scan's option
    ],
)
def test_an_unknown_key_is_one_line_naming_it_and_the_file(
    cli: Any, tmp_path: Path, text: str, key: str
) -> None:
    path = _config(tmp_path, text)
    res = cli(["scan", "--config", str(path)])
    assert res.code == 2
    assert res.stderr.splitlines() == [
        f"trailwarden: error: unknown key '{key}' in config file {path}"
    ]


def test_an_unknown_key_of_a_command_not_run_is_found_by_config_show(
    cli: Any, tmp_path: Path
) -> None:
    path = _config(tmp_path, '[logs.hunt]\nsorce = "s3://x"\n')
    res = cli(["config", "show", "--config", str(path)])
    assert res.code == 2
    assert f"unknown key 'logs.hunt.sorce' in config file {path}" in res.stderr


def test_a_missing_or_broken_file_is_one_line(cli: Any, tmp_path: Path) -> None:
    res = cli(["--config", str(tmp_path / "nope.toml"), "scan"])
    assert (res.code, res.stderr.strip()) == (
        2,
        f"trailwarden: error: config file not found: {tmp_path / 'nope.toml'}",
    )
    broken = _config(tmp_path, "[scan\n")
    res = cli(["scan", "--config", str(broken)])
    assert res.code == 2 and len(res.stderr.splitlines()) == 1
    assert f"cannot read config file {broken}" in res.stderr


def test_config_show_says_where_each_value_comes_from(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config(tmp_path, '[scan]\nrole-name = "Audit"\nregions = ["eu-west-1", "us-east-1"]\n')
    monkeypatch.setenv("TRAILWARDEN_MAX_ATTEMPTS", "3")
    res = cli(["config", "show", "scan", "--config", str(path), "-o", "json"])
    assert res.code == 0, res.stderr
    rows = {row["option"]: (row["value"], row["from"]) for row in json.loads(res.stdout)}
    assert rows["--role-name"] == ("Audit", f"file {path} [scan]")
    assert rows["--regions"] == ("eu-west-1,us-east-1", f"file {path} [scan]")
    assert rows["--max-attempts"] == ("3", "environment TRAILWARDEN_MAX_ATTEMPTS")
    assert rows["--max-workers"] == (32, "built-in")
    assert "--start" not in rows  # hidden old spellings are not settings
