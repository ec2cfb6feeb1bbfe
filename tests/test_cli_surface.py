"""The CLI surface, command by command: one spelling per meaning, help on -h, pipes that work.

``SURFACE`` is the table: every command with the option families it must offer. A command
added without a row here fails ``test_the_table_names_every_command``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from trailwarden.trailstore.fixtures import write_layout

EVERY = ("-v, --verbose", "-q, --quiet", "--debug", "-h, --help")
AWS = ("--profile", "--region")
WINDOW = ("--start-time", "--end-time")
SOURCE = ("--source",)
FILTERS = ("--accounts", "--regions")
OUT = ("--out",)
ROWS = ("table|json|jsonl|csv",)
# Old spellings: still accepted, never shown.
HIDDEN = ("--start ", "--end ", "--account ", "--start <", "--end <", "--account <")

SURFACE: dict[str, tuple[str, ...]] = {
    "scan": (*AWS, *FILTERS, *OUT, "--account-timeout", "--resume", "--processes"),
    "plan": (
        *AWS,
        *FILTERS,
        *OUT,
        "--account-timeout",
        "--processes",
        "--org-trail",
        "--log-archive-account",
        "--retire-duplicate-trails",
        "--approved-role",
        "--target-ous",
        "--no-guardrail",
        "--no-drift",
    ),
    "apply": (*AWS, *OUT),
    "verify": (*AWS, *OUT, "--org", "--regions", "--max-workers"),
    "demo": (),
    "report": (*OUT, "--compliance", "--suppressions"),
    "validate": (*AWS, *WINDOW, *FILTERS, *OUT, "text|json|jsonl"),
    "evidence download": (*AWS, *WINDOW),
    "evidence pack": (*AWS, *WINDOW, *OUT, "--months", "--findings", "--sample"),
    "evidence verify": (),
    "securityhub diff": (*AWS, *OUT, "--findings", *ROWS),
    "evidence coverage": (*AWS, *WINDOW, *FILTERS, *OUT, *ROWS, "--months"),
    "filter test": OUT,
    "filter canonical": OUT,
    "filter compare": OUT,
    "logs ingest": (*AWS, *WINDOW, *SOURCE, *FILTERS, *OUT),
    "logs who": (*AWS, *WINDOW, *SOURCE, *OUT, *ROWS),
    "logs actor": (*AWS, *WINDOW, *SOURCE, *OUT, *ROWS),
    "logs timeline": (*AWS, *WINDOW, *SOURCE, *FILTERS, *OUT, *ROWS),
    "logs query": (*AWS, *SOURCE, *OUT, *ROWS),
    "logs hunt": (*AWS, *WINDOW, *SOURCE, *FILTERS, *OUT, *ROWS),
    "logs sigma": (*AWS, *WINDOW, *SOURCE, *OUT, *ROWS),
    "alarms replay": (*AWS, *WINDOW, *SOURCE, *OUT, *ROWS),
    "config show": (*OUT, *ROWS),
}

ARN = (
    "arn:aws:iam::111111111111:role/"
    + "a-role-name-long-enough-that-a-wrapped-line-would-split-it" * 3
)


def _leaves(command: Any, path: list[str]) -> list[str]:
    subcommands = getattr(command, "commands", None)
    if not subcommands:
        return [" ".join(path)]
    return [leaf for n, c in subcommands.items() for leaf in _leaves(c, [*path, n])]


def test_the_table_names_every_command() -> None:
    from trailwarden.cli import _register, app

    _register(["--all"])
    assert sorted(_leaves(typer.main.get_command(app), [])) == sorted(SURFACE)


@pytest.mark.parametrize("command", sorted(SURFACE))
def test_every_command_answers_h_with_its_vocabulary(cli: Any, command: str) -> None:
    res = cli([*command.split(), "-h"])
    assert res.code == 0, res.stderr
    assert res.stdout.startswith("Usage: trailwarden " + command)
    for spelling in (*EVERY, *SURFACE[command]):
        assert spelling in res.stdout, f"{command} lacks {spelling}"
    for old in HIDDEN:
        assert old not in res.stdout, f"{command} shows {old.strip()}"


@pytest.mark.parametrize("command", sorted(SURFACE))
def test_usage_lines_have_no_braces_and_every_option_has_help(cli: Any, command: str) -> None:
    from typer.core import TyperOption

    from trailwarden.cli import app, settings

    usage = cli([*command.split(), "-h"]).stdout.splitlines()[0]
    assert "{" not in usage and "}" not in usage, usage
    leaf = settings.find(typer.main.get_command(app), command.split())
    assert leaf is not None
    silent = [
        p.opts[0]
        for p in leaf.params
        if isinstance(p, TyperOption) and not p.hidden and not (p.help or "").strip()
    ]
    assert not silent, f"{command}: options without help: {silent}"


def test_a_required_argument_is_named_plainly(cli: Any) -> None:
    assert cli(["logs", "actor", "-h"]).stdout.startswith(
        "Usage: trailwarden logs actor [OPTIONS] PRINCIPAL\n"
    )
    assert cli(["logs", "ingest", "-h"]).stdout.startswith(
        "Usage: trailwarden logs ingest [OPTIONS] [SOURCE]\n"
    )


@pytest.mark.parametrize("args", [[], ["-h"], ["--help"], ["logs", "-h"]])
def test_help_goes_to_stdout_and_exits_0(cli: Any, args: list[str]) -> None:
    res = cli(args)
    assert res.code == 0
    assert res.stdout.startswith("Usage: trailwarden")
    assert res.stderr == ""


def test_version_and_completion(cli: Any) -> None:
    res = cli(["--version"])
    assert (res.code, res.stdout.split()[0]) == (0, "trailwarden")
    assert "--install-completion" in cli(["-h"]).stdout


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Four accounts, two events each, one principal with an ARN longer than any terminal."""
    records = [
        {
            "eventVersion": "1.08",
            "eventTime": f"2024-05-0{day}T10:00:00Z",
            "eventName": "DeleteTrail",
            "eventSource": "cloudtrail.amazonaws.com",
            "awsRegion": "eu-west-1",
            "eventID": f"{account}-{day}",
            "recipientAccountId": account,
            "userIdentity": {"type": "AssumedRole", "arn": ARN},
            "sourceIPAddress": "192.0.2.1",
        }
        for account in ("111111111111", "222222222222", "333333333333", "444444444444")
        for day in (1, 2)
    ]
    root = tmp_path / "bucket"
    write_layout(records, root)
    return root


def _timeline(cli: Any, tree: Path, *args: str) -> Any:
    base = ["logs", "timeline", "--source", str(tree), "--start-time", "2024-05-01"]
    return cli([*base, "--end-time", "2024-05-02", *args])


def test_lists_are_repeatable_and_comma_separated(cli: Any, tree: Path) -> None:
    res = _timeline(
        cli,
        tree,
        "--accounts",
        "111111111111",
        "--accounts",
        "222222222222,333333333333",
        "-o",
        "json",
    )
    assert res.code == 0, res.stderr
    accounts = {row["recipientAccountId"] for row in json.loads(res.stdout)}
    assert accounts == {"111111111111", "222222222222", "333333333333"}
    old = _timeline(cli, tree, "--account", "444444444444", "-o", "json")  # the hidden alias
    assert {row["recipientAccountId"] for row in json.loads(old.stdout)} == {"444444444444"}


def test_old_time_spellings_still_work(cli: Any, tree: Path) -> None:
    base = ["logs", "timeline", "--source", str(tree), "-o", "json"]
    res = cli([*base, "--start", "2024-05-02", "--end", "2024-05-02"])
    assert res.code == 0, res.stderr
    assert {row["eventTime"][:10] for row in json.loads(res.stdout)} == {"2024-05-02"}
    missing = cli([*base, "--start-time", "2024-05-02"])
    assert missing.code == 2 and "--end-time" in missing.stderr


def test_piped_tables_are_tab_separated_rows_never_wrapped(cli: Any, tree: Path) -> None:
    res = _timeline(cli, tree)
    assert res.code == 0, res.stderr
    lines = res.stdout.splitlines()
    rows = [line for line in lines if not line.startswith("#")]
    header = rows[0].split("\t")
    assert header[:3] == ["eventTime", "eventName", "eventSource"]
    assert len(rows) == 1 + 8  # the header, then one line per event
    assert all(len(row.split("\t")) == len(header) for row in rows)
    assert all(ARN in row.split("\t") for row in rows[1:])  # the full value, on one line
    assert not any(c in res.stdout for c in "│┃━─")  # no borders


@pytest.mark.parametrize(
    "args",
    [
        ["logs", "query", "SELECT eventID, userIdentity.arn AS arn FROM events ORDER BY 1"],
        ["logs", "hunt", "trail-tampering"],
        ["alarms", "replay", "--patterns", "cis"],
    ],
)
def test_jsonl_is_one_object_per_line(cli: Any, tree: Path, args: list[str]) -> None:
    res = cli([*args, "--source", str(tree), "-o", "jsonl"])
    assert res.code in (0, 1), res.stderr
    lines = res.stdout.splitlines()
    assert lines
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(o, dict) for o in objects)
    as_json = cli([*args, "--source", str(tree), "-o", "json"])
    assert objects == json.loads(as_json.stdout)  # the same rows, one a line


def test_out_writes_the_document_and_keeps_text_on_stdout(
    cli: Any, tree: Path, tmp_path: Path
) -> None:
    out = tmp_path / "rows.json"
    res = _timeline(cli, tree, "--out", str(out))
    assert res.code == 0, res.stderr
    assert len(json.loads(out.read_text())) == 8
    assert "eventTime\t" in res.stdout


def test_quiet_leaves_out_notes(cli: Any, tree: Path) -> None:
    (tree / "broken.json.gz").write_bytes(b"not gzip")
    args = ["logs", "query", "SELECT count(*) AS n FROM events", "--source", str(tree)]
    loud = cli([*args, "-o", "json"])
    assert "skipped corrupt file" in loud.stderr
    quiet = cli([*args, "-o", "json", "-q"])
    assert quiet.stderr == "" and json.loads(quiet.stdout) == json.loads(loud.stdout)


def test_debug_logs_botocore_requests(cli: Any, aws: str, tmp_path: Path) -> None:
    import boto3

    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="trail")
    args = ["logs", "ingest", "--source", "s3://trail", "--db", str(tmp_path / "x.duckdb")]
    plain = cli(args)
    assert plain.code == 0, plain.stderr
    assert "botocore" not in plain.stderr
    debug = cli([*args, "--debug"])
    assert debug.code == 0, debug.stderr
    assert "botocore" in debug.stderr and "ListObjectsV2" in debug.stderr
