"""Options several commands share, each declared once, and the groups commands take them in.

An option is an ``Annotated`` type: its flag and help are written here, its default where it is
used. A group is a frozen dataclass of such fields marked with ``@option_group``; a command
decorated with ``@with_option_groups`` that has a parameter annotated with a group gets the
group's options in that parameter's place (same order in ``--help``) and is called with the
group built from them::

    @app.command()
    @with_option_groups
    def scan(reach: AccessArgs = AccessArgs(), target: ScanScope = ScanScope(), ...) -> None:

Commands that read a trail's files or one account's settings take ``AwsArgs`` (or
``ProfileArgs`` where ``--region`` is a filter): the options become an ``AwsAccess`` passed down,
never environment variables. Every command module imports this one, so it stays light: the AWS
libraries are imported when a group becomes their options, not when a command is registered.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from trailwarden.aws import DEFAULT_ROLE_NAME
from trailwarden.errors import UsageError

if TYPE_CHECKING:
    from trailwarden.aws.session import AccessOptions, AwsAccess
    from trailwarden.collect import ScanOptions
    from trailwarden.trailstore.files import TrailFiles

# --- reaching AWS through trailwarden's own sessions (scan, plan, apply, verify) -------------
Profile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (default: the standard chain).")
]
GlobalRegion = Annotated[
    str | None, typer.Option("--region", help="Region for global calls (STS, Organizations).")
]
RoleName = Annotated[str, typer.Option("--role-name", help="Role assumed in other accounts.")]
ExternalId = Annotated[
    str | None, typer.Option("--external-id", help="External ID for AssumeRole.")
]
MaxAttempts = Annotated[
    int,
    typer.Option("--max-attempts", help="Attempts per call (adaptive retries absorb throttling)."),
]

# --- what a scan reads ------------------------------------------------------------------------
Accounts = Annotated[
    str | None, typer.Option("--accounts", help="Comma-separated account IDs to scan.")
]
Org = Annotated[bool, typer.Option("--org", help="Scan every active account of the organisation.")]
Regions = Annotated[
    str | None, typer.Option("--regions", help="Comma-separated Regions (default: all enabled).")
]
MaxWorkers = Annotated[int, typer.Option("--max-workers", help="API calls in flight at once.")]

# --- reaching AWS through boto3's default session (validate, evidence, logs, alarms) ----------
# The help differs from Profile's by a word only because the two were written apart; keeping
# it keeps every command's --help as it was.
EnvProfile = Annotated[
    str | None, typer.Option("--profile", help="AWS profile (default: standard chain).")
]
EnvRegion = Annotated[str | None, typer.Option("--region", help="AWS Region for the calls.")]

# --- Athena (logs --engine athena) ------------------------------------------------------------
AthenaDatabase = Annotated[str, typer.Option("--athena-database", help="Athena database.")]
AthenaTable = Annotated[str, typer.Option("--athena-table", help="Athena table name.")]
AthenaWorkgroup = Annotated[str, typer.Option("--athena-workgroup", help="Athena workgroup.")]
AthenaOutput = Annotated[
    str | None, typer.Option("--athena-output", help="s3:// location for Athena results.")
]

G = TypeVar("G")
_GROUP_MARK = "__option_group__"


def option_group(cls: type[G]) -> type[G]:
    """Mark a frozen dataclass whose fields are ``Annotated`` options as an option group."""
    setattr(cls, _GROUP_MARK, True)
    return cls


def _is_group(annotation: Any) -> bool:
    return inspect.isclass(annotation) and getattr(annotation, _GROUP_MARK, False)


def _default(f: dataclasses.Field[Any]) -> Any:
    """A group's field default (every field has one: the group's default is the command's)."""
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    raise TypeError(f"option group field {f.name} needs a default")


def _group_parameters(group: type[Any]) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(
            f.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=_default(f),
            annotation=hints[f.name],
        )
        for f in dataclasses.fields(group)
    ]


def with_option_groups(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Expand each option-group parameter of a command into the group's options, in place."""
    signature = inspect.signature(fn, eval_str=True)
    groups = {
        p.name: p.annotation for p in signature.parameters.values() if _is_group(p.annotation)
    }
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name in groups:
            parameters += _group_parameters(groups[parameter.name])
        else:  # typer passes every value by name, so all may be keyword-only
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    names = [p.name for p in parameters]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise TypeError(f"{fn.__name__}: options declared twice: {', '.join(clashes)}")

    @functools.wraps(fn)
    def command(**kw: Any) -> Any:
        for name, group in groups.items():
            kw[name] = group(**{f.name: kw.pop(f.name) for f in dataclasses.fields(group)})
        return fn(**kw)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return command


def split_list(value: str | None, what: str) -> list[str] | None:
    if value is None:
        return None
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise UsageError(f"--{what} needs at least one value")
    return items


def parse_accounts(value: str | None) -> list[str] | None:
    accounts = split_list(value, "accounts")
    for a in accounts or []:
        if not (a.isdigit() and len(a) == 12):
            raise UsageError(f"--accounts: {a!r} is not a 12-digit AWS account ID")
    return accounts


@option_group
@dataclasses.dataclass(frozen=True)
class AccessArgs:
    """How a command reaches the accounts it works on: its own, and others through AssumeRole."""

    profile: Profile = None
    region: GlobalRegion = None
    role_name: RoleName = DEFAULT_ROLE_NAME
    external_id: ExternalId = None
    max_attempts: MaxAttempts = 8

    def options(self) -> AccessOptions:
        """Checked: a bad value is a one-line error."""
        from trailwarden.aws.session import AccessOptions

        if self.max_attempts < 1:
            raise UsageError("--max-attempts must be at least 1")
        return AccessOptions(**dataclasses.asdict(self))  # the same names, by design


@option_group
@dataclasses.dataclass(frozen=True)
class ScanScope:
    """Which accounts and Regions a scan reads, and how many calls it keeps in flight.

    With neither ``accounts`` nor ``org`` the scan reads the caller's own account; with no
    ``regions``, every Region enabled in each account.
    """

    accounts: Accounts = None
    org: Org = False
    regions: Regions = None
    max_workers: MaxWorkers = 32

    def options(self, reach: AccessArgs) -> tuple[AccessOptions, ScanOptions]:
        """Checked, with how the scan reaches AWS: a bad value (or pair) is a one-line error."""
        from trailwarden.collect import ScanOptions

        if self.max_workers < 1:
            raise UsageError("--max-workers must be at least 1")
        # Enough connections for every call in flight (never fewer than ten).
        access = dataclasses.replace(reach.options(), pool_size=max(10, self.max_workers))
        if self.org and self.accounts:
            raise UsageError("use either --org or --accounts, not both")
        scan = ScanOptions(
            accounts=parse_accounts(self.accounts),
            org=self.org,
            regions=split_list(self.regions, "regions"),
            max_workers=self.max_workers,
        )
        return access, scan


@option_group
@dataclasses.dataclass(frozen=True)
class AthenaArgs:
    """Where ``--engine athena`` runs its queries."""

    athena_database: AthenaDatabase = "trailwarden"
    athena_table: AthenaTable = "cloudtrail_logs"
    athena_workgroup: AthenaWorkgroup = "primary"
    athena_output: AthenaOutput = None

    def where(self) -> dict[str, str | None]:
        """As ``logs.athena.Athena`` keywords."""
        return {
            "database": self.athena_database,
            "table": self.athena_table,
            "workgroup": self.athena_workgroup,
            "output": self.athena_output,
        }


class OwnAccountArgs:
    """What ``AwsArgs`` and ``ProfileArgs`` share: their options become an ``AwsAccess``."""

    profile: str | None = None
    region: str | None = None  # the Region for the calls; None: the profile's or the chain's

    def access(self, in_flight: int | None = None) -> AwsAccess:
        """Sessions for these options, with ``in_flight`` GETs (default: the reader's)."""
        from trailwarden.trailstore.s3 import READS_IN_FLIGHT, reader_access

        return reader_access(self.profile, self.region, in_flight or READS_IN_FLIGHT)

    def files(self, spec: str) -> TrailFiles:
        """The trail files at ``spec`` (a local path, or ``s3://`` read with these options)."""
        from trailwarden.trailstore.s3 import open_source

        return open_source(spec, self.access() if spec.startswith("s3://") else None)


@option_group
@dataclasses.dataclass(frozen=True)
class AwsArgs(OwnAccountArgs):
    """How a command that reads one account (a trail's bucket, its alarms, Athena) reaches AWS:
    the caller's own credentials, from ``--profile`` or the standard chain."""

    profile: EnvProfile = None
    region: EnvRegion = None


@option_group
@dataclasses.dataclass(frozen=True)
class ProfileArgs(OwnAccountArgs):
    """``AwsArgs`` for a command whose ``--region`` is a filter: the Region for the calls comes
    from the profile or the standard chain."""

    profile: EnvProfile = None
