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
import re
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from trailwarden.aws import DEFAULT_ROLE_NAME, DEFAULT_ROLE_SESSION_NAME
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
RoleSessionName = Annotated[
    str,
    typer.Option("--role-session-name", help="AssumeRole session name (seen in CloudTrail)."),
]
DurationSeconds = Annotated[
    int | None,
    typer.Option(
        "--duration-seconds",
        help="Assumed-role credential lifetime, 900-43200 s (refreshed before they expire; "
        "default: the role's own).",
    ),
]

# --- what a scan reads ------------------------------------------------------------------------
# Lists are repeatable and comma-separated alike: `--accounts A --accounts B,C` is three.
Accounts = Annotated[
    list[str] | None,
    typer.Option("--accounts", help="Account IDs to scan (repeatable, or comma-separated)."),
]
Org = Annotated[bool, typer.Option("--org", help="Scan every active account of the organisation.")]
Regions = Annotated[
    list[str] | None,
    typer.Option(
        "--regions", help="Regions (repeatable, or comma-separated; default: all enabled)."
    ),
]
MaxWorkers = Annotated[int, typer.Option("--max-workers", help="API calls in flight at once.")]
Processes = Annotated[
    int | None,
    typer.Option(
        "--processes",
        help="Worker processes the accounts are split across; they share --max-workers "
        "(default: one per core where each gets 64 calls in flight and 100 accounts).",
        show_default=False,
    ),
]
AccountTimeout = Annotated[
    str,
    typer.Option(
        "--account-timeout",
        help="Give up on an account still reading after this long (90s, 10m, 1h; 0: never): "
        "the scan completes, and what the account had not read is NOT_AVAILABLE.",
    ),
]

# --- reaching one account (validate, evidence, logs, alarms) ------------------------------------
EnvRegion = Annotated[str | None, typer.Option("--region", help="AWS Region for the calls.")]

# --- filters of what is read (validate, logs) ---------------------------------------------------
AccountFilter = Annotated[
    list[str] | None,
    typer.Option("--accounts", help="Only these accounts (repeatable, or comma-separated)."),
]
RegionFilter = Annotated[
    list[str] | None,
    typer.Option("--regions", help="Only these Regions (repeatable, or comma-separated)."),
]
# The old spelling, kept hidden for one release.
OldAccountFilter = Annotated[list[str] | None, typer.Option("--account", hidden=True)]

# --- a time window (validate, evidence, logs, alarms), spelt as the AWS CLI's cloudtrail commands
StartTime = Annotated[
    str | None,
    typer.Option("--start-time", help="From this time (ISO 8601 time or YYYY-MM-DD, UTC)."),
]
EndTime = Annotated[
    str | None,
    typer.Option("--end-time", help="Until this time (ISO 8601 time or YYYY-MM-DD, UTC)."),
]
OldStart = Annotated[str | None, typer.Option("--start", hidden=True)]
OldEnd = Annotated[str | None, typer.Option("--end", hidden=True)]

# --- Athena (logs --engine athena) ------------------------------------------------------------
AthenaDatabase = Annotated[str, typer.Option("--athena-database", help="Athena database.")]
AthenaTable = Annotated[str, typer.Option("--athena-table", help="Athena table name.")]
AthenaWorkgroup = Annotated[str, typer.Option("--athena-workgroup", help="Athena workgroup.")]
AthenaOutput = Annotated[
    str | None, typer.Option("--athena-output", help="s3:// location for Athena results.")
]

# --- how much a command says (every command) ---------------------------------------------------
Verbose = Annotated[
    bool,
    typer.Option("--verbose", "-v", help="Say more (on stderr: where the credentials came from)."),
]
Quiet = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress and no notes on stderr; errors only.")
]
Debug = Annotated[
    bool, typer.Option("--debug", help="Log every AWS request and response (botocore) on stderr.")
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
    """Expand each option-group parameter of a command into the group's options, in place.

    Every command also gets ``-v/--verbose``, ``-q/--quiet`` and ``--debug`` (``Chatter``; a
    command with a ``verbose`` of its own keeps it and gets ``Hush``), applied while it runs.
    """
    signature = inspect.signature(fn, eval_str=True)
    given = list(signature.parameters.values())
    if not any(p.annotation in (Chatter, Hush) for p in given):
        chatter = Hush if "verbose" in signature.parameters else Chatter
        default = chatter()
        given.append(
            inspect.Parameter(
                _CHATTER, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=chatter
            )
        )
    groups = {p.name: p.annotation for p in given if _is_group(p.annotation)}
    parameters: list[inspect.Parameter] = []
    for parameter in given:
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
        said = next(v for v in kw.values() if isinstance(v, Chatter | Hush))
        kw.pop(_CHATTER, None)
        from trailwarden.cli.chatter import chatter

        with chatter(getattr(said, "verbose", False), said.quiet, said.debug):
            return fn(**kw)

    command.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return command


_CHATTER = "chatter"  # the parameter name of the group added to a command that has none


@option_group
@dataclasses.dataclass(frozen=True)
class Chatter:
    """How much a command says besides its results."""

    verbose: Verbose = False
    quiet: Quiet = False
    debug: Debug = False


@option_group
@dataclasses.dataclass(frozen=True)
class Hush:
    """``Chatter`` for a command whose ``--verbose`` is its own (a longer listing)."""

    quiet: Quiet = False
    debug: Debug = False


def split_list(value: str | list[str] | None, what: str) -> list[str] | None:
    """A list option's values, each of which may hold several separated by commas."""
    if value is None or (not isinstance(value, str) and not value):
        return None
    joined = value if isinstance(value, str) else ",".join(value)
    items = [v.strip() for v in joined.split(",") if v.strip()]
    if not items:
        raise UsageError(f"--{what} needs at least one value")
    return items


# The one check of the account IDs and Region names every command takes, against what AWS
# accepts: `--regions mars-1` or `US-EAST-1` used to scan nothing and pass. A Region name is a
# 2-4 letter area, one or more lower-case words and a number: us-east-1, us-gov-west-1,
# us-isob-east-1, eusc-de-east-1 (the shape, not a list: new Regions need no release).
ACCOUNT_RE = re.compile(r"^[0-9]{12}$")
REGION_RE = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-[0-9]{1,2}$")


def parse_accounts(value: str | list[str] | None, what: str = "accounts") -> list[str] | None:
    accounts = split_list(value, what)
    for a in accounts or []:
        if not ACCOUNT_RE.match(a):
            raise UsageError(f"--{what}: {a!r} is not a 12-digit AWS account ID")
    return accounts


def parse_regions(value: str | list[str] | None, what: str = "regions") -> list[str] | None:
    regions = split_list(value, what)
    for r in regions or []:
        check_region(r, what)
    return regions


def check_region(region: str | None, what: str = "region") -> str | None:
    """``region`` once it has the shape of an AWS Region name (``us-east-1``), else one line."""
    if region is not None and not REGION_RE.match(region):
        raise UsageError(f"--{what}: {region!r} is not an AWS Region name (such as us-east-1)")
    return region


@option_group
@dataclasses.dataclass(frozen=True)
class AccessArgs:
    """How a command reaches the accounts it works on: its own, and others through AssumeRole."""

    profile: Profile = None
    region: GlobalRegion = None
    role_name: RoleName = DEFAULT_ROLE_NAME
    external_id: ExternalId = None
    max_attempts: MaxAttempts = 8
    role_session_name: RoleSessionName = DEFAULT_ROLE_SESSION_NAME
    duration_seconds: DurationSeconds = None

    def options(self) -> AccessOptions:
        """Checked: a bad value is a one-line error."""
        from trailwarden.aws.session import AccessOptions

        if self.max_attempts < 1:
            raise UsageError("--max-attempts must be at least 1")
        check_region(self.region)
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", self.role_session_name):
            raise UsageError("--role-session-name: 2-64 letters, digits or +=,.@_-")
        if self.duration_seconds is not None and not 900 <= self.duration_seconds <= 43200:
            raise UsageError("--duration-seconds must be between 900 and 43200")
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
    account_timeout: AccountTimeout = "10m"
    processes: Processes = None

    def options(self, reach: AccessArgs) -> tuple[AccessOptions, ScanOptions]:
        """Checked, with how the scan reaches AWS: a bad value (or pair) is a one-line error."""
        from trailwarden.collect import ScanOptions
        from trailwarden.verify import parse_duration

        if self.max_workers < 1:
            raise UsageError("--max-workers must be at least 1")
        if self.processes is not None and self.processes < 1:
            raise UsageError("--processes must be at least 1")
        timeout = parse_duration(self.account_timeout, "--account-timeout")
        # Enough connections for every call in flight (never fewer than ten).
        access = dataclasses.replace(reach.options(), pool_size=max(10, self.max_workers))
        if self.org and self.accounts:
            raise UsageError("use either --org or --accounts, not both")
        scan = ScanOptions(
            accounts=parse_accounts(self.accounts),
            org=self.org,
            regions=parse_regions(self.regions),
            max_workers=self.max_workers,
            account_timeout=timeout or None,
            account_timeout_text=self.account_timeout.strip(),
            processes=self.processes,
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


@option_group
@dataclasses.dataclass(frozen=True)
class AwsArgs:
    """How a command that reads one account (a trail's bucket, its alarms, Athena) reaches AWS:
    the caller's own credentials, from ``--profile`` or the standard chain; ``--region`` is the
    Region for the calls (None: the profile's or the chain's). They become an ``AwsAccess``
    passed down, never environment variables."""

    profile: Profile = None
    region: EnvRegion = None

    def __post_init__(self) -> None:
        check_region(self.region)  # whether or not the command then calls AWS

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
class Filters:
    """Which accounts and Regions of a trail a command reads."""

    accounts: AccountFilter = None
    regions: RegionFilter = None
    account: OldAccountFilter = None

    def account_list(self) -> list[str] | None:
        return parse_accounts([*(self.accounts or []), *(self.account or [])])

    def region_list(self) -> list[str] | None:
        return parse_regions(self.regions)


@option_group
@dataclasses.dataclass(frozen=True)
class Window:
    """A time window; each command reads its ends as its library does (a logs end date takes
    the whole day)."""

    start_time: StartTime = None
    end_time: EndTime = None
    start: OldStart = None
    end: OldEnd = None

    def bounds(
        self, *, start_required: bool = False, end_required: bool = False
    ) -> tuple[str | None, str | None]:
        """(start, end) as given, whichever spelling was used; a missing required end is a
        usage error, as click says it."""
        start, end = self.start_time or self.start, self.end_time or self.end
        for value, flag, required in (
            (start, "--start-time", start_required),
            (end, "--end-time", end_required),
        ):
            if required and value is None:
                raise UsageError(f"Missing option '{flag}'.")
        return start, end
