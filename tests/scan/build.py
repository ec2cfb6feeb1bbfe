"""Build snapshots for control unit tests: trails placed where DescribeTrails would show them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from trailwarden.collect.collector import classify
from trailwarden.snapshot.model import (
    AccountScan,
    ApiError,
    Bucket,
    EventDataStore,
    EventSelectors,
    KmsKey,
    LogGroup,
    RegionScan,
    RegionState,
    Snapshot,
    Trail,
    TrailSighting,
    TrailStatus,
)

MGMT = "111111111111"
MEMBER = "222222222222"
REGIONS = ["us-east-1", "eu-west-1"]
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

ALL_BASIC = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]
ALL_ADVANCED = [
    {
        "Name": "Management events selector",
        "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}],
    }
]


def make_trail(
    name: str = "main",
    account: str = MGMT,
    home: str = "us-east-1",
    *,
    multi: bool = True,
    logging: bool | None = True,
    basic: list[dict[str, Any]] | None = None,
    advanced: list[dict[str, Any]] | None = None,
    selectors_known: bool = True,
    org: bool = False,
    **fields: Any,
) -> Trail:
    defaults: dict[str, Any] = {
        "log_file_validation_enabled": True,
        "kms_key_id": f"arn:aws:kms:{home}:{account}:key/k1",
        "cloudwatch_logs_log_group_arn": f"arn:aws:logs:{home}:{account}:log-group:ct:*",
        "s3_bucket_name": f"logs-{account}",
        "tags": {"owner": "security"},
        "insight_selectors": [],
    }
    defaults.update(fields)
    if basic is None and advanced is None:
        basic = ALL_BASIC
    return Trail(
        arn=f"arn:aws:cloudtrail:{home}:{account}:trail/{name}",
        name=name,
        account=account,
        home_region=home,
        is_multi_region=multi,
        is_organization_trail=org,
        status=None if logging is None else TrailStatus(is_logging=logging),
        selectors=EventSelectors(basic=basic or [], advanced=advanced or [])
        if selectors_known
        else None,
        **defaults,
    )


def owned_bucket(name: str, **fields: Any) -> Bucket:
    values: dict[str, Any] = {
        "owned": True,
        "region": "us-east-1",
        "public_access_block": {
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
        "account_public_access_block": {},
        "policy": {},
        "policy_is_public": False,
        "acl_grants": [],
        "logging_enabled": True,
        "logging_target": "access-logs",
        "encryption": [],
    }
    values.update(fields)
    return Bucket(name=name, **values)


def make_snapshot(
    trails: list[Trail],
    *,
    accounts: list[str] | None = None,
    regions: list[str] | None = None,
    buckets: dict[str, list[Bucket]] | None = None,
    keys: dict[str, list[KmsKey]] | None = None,
    groups: dict[str, list[LogGroup]] | None = None,
    stores: dict[tuple[str, str], list[EventDataStore] | None] | None = None,
    region_errors: set[tuple[str, str]] = frozenset(),  # type: ignore[assignment]
    errors: list[ApiError] | None = None,
) -> Snapshot:
    """Org trails (is_organization_trail) are visible in every account, like AWS shows them."""
    regions = regions or REGIONS
    accounts = accounts or sorted({t.account for t in trails} | {MGMT})
    scans, region_scans = [], []
    for account in accounts:
        visible = [t for t in trails if t.account == account or t.is_organization_trail]
        default_buckets = [
            owned_bucket(t.s3_bucket_name)
            for t in visible
            if t.account == account and t.s3_bucket_name
        ]
        scans.append(
            AccountScan(
                account=account,
                regions_enabled=regions,
                trails=visible,
                buckets=(buckets or {}).get(account, default_buckets),
                kms_keys=(keys or {}).get(account, []),
                log_groups=(groups or {}).get(account, []),
            )
        )
        for region in regions:
            failed = (account, region) in region_errors
            scan = RegionScan(
                account=account,
                region=region,
                state=RegionState.ERROR if failed else RegionState.SCANNED,
                event_data_stores=(stores or {}).get((account, region), []),
            )
            if not failed:
                for t in visible:
                    if t.is_multi_region or t.home_region == region:
                        scan.trails.append(
                            TrailSighting(
                                arn=t.arn,
                                classification=classify(t.arn, t.home_region, account, region),
                            )
                        )
            region_scans.append(scan)
    return Snapshot(
        generated_at=NOW,
        caller_account=MGMT,
        accounts=scans,
        regions=region_scans,
        errors=errors or [],
    )
