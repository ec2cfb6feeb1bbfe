"""What a trail's event selectors record, in either form AWS returns them (pure).

Security Hub's CloudTrail.1 needs ONE selector on ONE trail covering all management events, read and
write, with no event source excluded (docs/aws-facts/controls.md#cloudtrail-1, #event-selectors).
Split read/write selectors do not count, whether on one trail or two.
"""

from __future__ import annotations

from typing import Any

from trailwarden.snapshot.model import EventSelectors


def _basic_all_management(selector: dict[str, Any]) -> bool:
    return (
        selector.get("IncludeManagementEvents", True) is True
        and selector.get("ReadWriteType", "All") == "All"
        and not selector.get("ExcludeManagementEventSources")
    )


def _fields(selector: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    by_field: dict[str, list[dict[str, Any]]] = {}
    for fs in selector.get("FieldSelectors", []):
        by_field.setdefault(str(fs.get("Field", "")), []).append(fs)
    return by_field


def _is_management(selector: dict[str, Any]) -> bool:
    return any(
        fs.get("Equals") == ["Management"] for fs in _fields(selector).get("eventCategory", [])
    )


def _advanced_all_management(selector: dict[str, Any]) -> bool:
    fields = _fields(selector)
    # Any readOnly condition narrows to reads or writes; any eventSource condition excludes
    # sources (the advanced form of ExcludeManagementEventSources).
    return _is_management(selector) and "readOnly" not in fields and "eventSource" not in fields


def covers_all_management(selectors: EventSelectors) -> bool:
    if selectors.advanced:
        return any(_advanced_all_management(s) for s in selectors.advanced)
    return any(_basic_all_management(s) for s in selectors.basic)


def logs_management(selectors: EventSelectors) -> bool:
    """Records management events at all (even only reads or writes): a billed copy if extra."""
    if selectors.advanced:
        return any(_is_management(s) for s in selectors.advanced)
    return any(s.get("IncludeManagementEvents", True) is True for s in selectors.basic)


def logs_data_events(selectors: EventSelectors) -> bool:
    if selectors.advanced:
        return any(
            fs.get("Field") == "eventCategory" and "Data" in (fs.get("Equals") or [])
            for s in selectors.advanced
            for fs in s.get("FieldSelectors", [])
        )
    return any(s.get("DataResources") for s in selectors.basic)


def describe_management(selectors: EventSelectors) -> str:
    """A short phrase saying what management events the selectors record, for reasons."""
    if covers_all_management(selectors):
        return "all read and write management events"
    if not selectors.basic and not selectors.advanced:
        return "no event selectors"
    modes: set[str] = set()
    excluded: set[str] = set()
    if selectors.advanced:
        for s in selectors.advanced:
            if not _is_management(s):
                continue
            fields = _fields(s)
            if "readOnly" not in fields:
                modes.add("all")
            for fs in fields.get("readOnly", []):
                values = fs.get("Equals") or fs.get("NotEquals") or []
                reads = ("true" in values) == ("Equals" in fs)
                modes.add("read-only" if reads else "write-only")
            for fs in fields.get("eventSource", []):
                excluded.update(fs.get("NotEquals") or fs.get("Equals") or [])
    else:
        for s in selectors.basic:
            if s.get("IncludeManagementEvents", True) is not True:
                continue
            rw = s.get("ReadWriteType", "All")
            modes.add({"ReadOnly": "read-only", "WriteOnly": "write-only"}.get(rw, "all"))
            excluded.update(s.get("ExcludeManagementEventSources") or [])
    if not modes:
        return "no management events"
    if excluded:
        return f"management events excluding {', '.join(sorted(excluded))}"
    if modes == {"read-only", "write-only"}:
        return "read-only and write-only management events in separate selectors"
    return f"{'/'.join(sorted(modes))} management events"


def records_read_write_management(selectors: EventSelectors, must_include: str = "") -> bool:
    """Security Hub's CloudWatch.x trail test: a selector with IncludeManagementEvents and
    ReadWriteType All (or the advanced equivalent: management, no readOnly condition). Exclusions
    only matter for ``must_include`` (CloudWatch.7 fails when kms.amazonaws.com is excluded)."""
    if selectors.advanced:
        for s in selectors.advanced:
            fields = _fields(s)
            if not _is_management(s) or "readOnly" in fields:
                continue
            excluded = {v for fs in fields.get("eventSource", []) for v in fs.get("NotEquals", [])}
            if must_include not in excluded:
                return True
        return False
    return any(
        s.get("IncludeManagementEvents", True) is True
        and s.get("ReadWriteType", "All") == "All"
        and must_include not in (s.get("ExcludeManagementEventSources") or [])
        for s in selectors.basic
    )
