"""Option groups: declared once, expanded in place into a command's options, checked once."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from botocore.exceptions import ProfileNotFound
from typer.testing import CliRunner

from trailwarden.cli.options import (
    AccessArgs,
    AthenaArgs,
    AwsArgs,
    Filters,
    ScanScope,
    option_group,
    with_option_groups,
)
from trailwarden.errors import UsageError


def _app(command: Any) -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None)
    app.command()(command)
    app.callback()(lambda: None)  # keeps `run` a subcommand, as in the real CLI
    return app


def test_a_group_expands_in_place_and_reaches_the_command_built() -> None:
    seen: list[Any] = []

    @with_option_groups
    def run(
        first: str = typer.Option("a", "--first"),
        athena: AthenaArgs = AthenaArgs(),
        last: int = typer.Option(1, "--last"),
    ) -> None:
        seen.append((first, athena, last))

    app = _app(run)
    help_text = CliRunner().invoke(app, ["run", "--help"]).output
    order = ["--first", "--athena-database", "--athena-table", "--athena-workgroup"]
    order += ["--athena-output", "--last"]
    positions = [help_text.index(flag) for flag in order]
    assert positions == sorted(positions), help_text
    assert "[default: cloudtrail_logs]" in help_text

    result = CliRunner().invoke(app, ["run", "--athena-table", "t", "--last", "3"])
    assert result.exit_code == 0, result.output
    assert seen == [("a", AthenaArgs(athena_table="t"), 3)]


@option_group
@dataclasses.dataclass(frozen=True)
class Other:
    athena_table: Annotated[str, typer.Option("--table")] = "x"


def test_an_option_declared_twice_is_refused_when_the_command_is_defined() -> None:
    def run(athena: AthenaArgs = AthenaArgs(), other: Other = Other()) -> None: ...

    with pytest.raises(TypeError, match="athena_table"):
        with_option_groups(run)


def test_aws_args_reach_the_command_as_options_not_environment() -> None:
    seen: list[Any] = []

    @with_option_groups
    def run(filters: Filters = Filters(), aws: AwsArgs = AwsArgs()) -> None:
        seen.append((filters.region_list(), aws.profile, aws.region, os.environ.get("AWS_PROFILE")))

    app = _app(run)
    args = ["run", "--regions", "eu-west-1,eu-west-2", "--regions", "us-east-1"]
    result = CliRunner().invoke(app, [*args, "--profile", "p", "--region", "eu-west-3"])
    assert result.exit_code == 0, result.output
    # --regions filters (repeatable and comma-separated); --region is where calls go; the
    # profile reaches the command as an option, never through the environment.
    assert seen == [(["eu-west-1", "eu-west-2", "us-east-1"], "p", "eu-west-3", None)]


def test_aws_args_become_the_access_the_command_reads_with(tmp_path: Path) -> None:
    access = AwsArgs(region="eu-west-2").access(in_flight=4)
    assert access.options.region == "eu-west-2"
    assert access.options.profile is None
    assert access.options.pool_size == 4 + 8 + 4  # the GETs, the listings, a margin
    assert AwsArgs().files(str(tmp_path)).source.remote is False
    assert AwsArgs().files("s3://bucket/prefix").source.remote is True
    with pytest.raises(ProfileNotFound, match="nope"):  # the session is built with it
        AwsArgs(profile="nope").files("s3://bucket/prefix")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"max_workers": 0}, "--max-workers must be at least 1"),
        ({"max_attempts": 0}, "--max-attempts must be at least 1"),
        ({"org": True, "accounts": "111122223333"}, "either --org or --accounts"),
        ({"accounts": "12345"}, "not a 12-digit AWS account ID"),
        ({"regions": " , "}, "--regions needs at least one value"),
    ],
)
def test_scan_options_are_checked_once_for_every_command(
    args: dict[str, Any], message: str
) -> None:
    reach = AccessArgs(max_attempts=args.pop("max_attempts", 8))
    with pytest.raises(UsageError, match=message):
        ScanScope(**args).options(reach)


def test_scan_and_access_options_become_the_library_options() -> None:
    scope = ScanScope(accounts="111122223333", regions="eu-west-1", max_workers=4)
    access, scan = scope.options(AccessArgs(role_name="Auditor"))
    assert (scan.accounts, scan.regions, scan.max_workers) == (["111122223333"], ["eu-west-1"], 4)
    assert (access.role_name, access.pool_size) == ("Auditor", 10)  # ten connections at least
    plan_access = AccessArgs(profile="p", external_id="x", max_attempts=3).options()
    assert (plan_access.profile, plan_access.external_id, plan_access.max_attempts) == (
        "p",
        "x",
        3,
    )
    with pytest.raises(UsageError, match="--max-attempts"):
        AccessArgs(max_attempts=0).options()


def test_assumed_role_session_options_are_checked_and_passed_on() -> None:
    access = AccessArgs(role_session_name="audit@corp", duration_seconds=900).options()
    assert (access.role_session_name, access.duration_seconds) == ("audit@corp", 900)
    assert AccessArgs().options().duration_seconds is None  # the role's own default
    with pytest.raises(UsageError, match="--role-session-name"):
        AccessArgs(role_session_name="no spaces").options()
    with pytest.raises(UsageError, match="--duration-seconds"):
        AccessArgs(duration_seconds=899).options()
