"""Root-cause grouping: the trail (or the missing trail) is the unit of work, not the finding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from trailwarden.controls.causes import (
    BucketCause,
    LakeStores,
    MissingTrail,
    RegionNotScanned,
    RootCause,
    TrailCause,
    UnreachableAccount,
)
from trailwarden.controls.model import Finding, Gap, Remediation, Severity, Status
from trailwarden.controls.registry import REGISTRY, control_sort_key

_CREATE_TRAIL = (
    "create one multi-Region trail with all read+write management events, "
    "validation, KMS and CloudWatch Logs (trailwarden plan)"
)


@dataclass
class Group:
    account: str
    root_cause: RootCause
    findings: list[Finding] = field(default_factory=list)

    @property
    def controls(self) -> list[str]:
        return sorted({f.control for f in self.findings}, key=control_sort_key)

    @property
    def severity(self) -> Severity:
        return min((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def is_missing_trail(self) -> bool:
        return isinstance(self.root_cause, MissingTrail)

    @property
    def owned(self) -> bool:
        """False for an organisation trail: the fix belongs to its owner account."""
        cause = self.root_cause
        return not isinstance(cause, TrailCause) or cause.owner in (None, self.account)

    def fix(self) -> str:
        clears = f" - clears {_list(self.controls)}"
        cause = self.root_cause
        match cause:
            case MissingTrail() | RegionNotScanned():
                return _CREATE_TRAIL + clears
            case TrailCause():
                who = "" if self.owned else f" (organisation trail: fix in account {cause.owner})"
                return f"fix trail {cause.name}{who}: {'; '.join(self._steps())}{clears}"
            case BucketCause():
                return f"fix bucket {cause.name}: {'; '.join(self._steps())}{clears}"
            case LakeStores() | UnreachableAccount():
                return "; ".join(self._steps()) + clears
            case _:
                assert_never(cause)

    def _steps(self) -> list[str]:
        """Each control's remediation step once, in the order a fix applies them; controls that
        share a step (CloudWatch.1-14) share it here too."""
        controls = self.controls
        gaps: dict[str, set[Gap | None]] = {}
        for f in self.findings:
            gaps.setdefault(f.control, set()).add(f.gap)
        steps: dict[str, tuple[Remediation, set[Gap | None]]] = {}
        for control in sorted(controls, key=_fix_order):
            remedy = REGISTRY[control].meta.remediation
            if remedy.covered_by in controls:
                continue
            steps.setdefault(remedy.step, (remedy, set()))[1].update(gaps[control])
        return [_narrowest(remedy, seen) for remedy, seen in steps.values()]


def _narrowest(remedy: Remediation, gaps: set[Gap | None]) -> str:
    """Name only the missing link when every failure the step clears stops at the same one."""
    if len(gaps) == 1:
        (gap,) = gaps
        if gap is not None:
            return remedy.by_gap.get(gap, remedy.step)
    return remedy.step


def _fix_order(control: str) -> tuple[str, bool, int]:
    """Account-level controls first (a multi-Region, logging trail decides whether anything is
    recorded at all), then the rest by number, family by family."""
    family, number = control_sort_key(control)
    return family, REGISTRY[control].meta.resource_type != "AWS::::Account", number


def _list(controls: list[str]) -> str:
    """["CloudTrail.1", "CloudTrail.3", "CloudWatch.1", ..., "CloudWatch.14"] ->
    "CloudTrail.1, .3; CloudWatch.1-14": short enough to read in one line."""
    families: dict[str, list[int]] = {}
    for c in controls:
        family, number = control_sort_key(c)
        families.setdefault(family, []).append(number)
    parts = []
    for family, nums in families.items():
        runs: list[list[int]] = []
        for n in sorted(nums):
            if runs and n == runs[-1][-1] + 1:
                runs[-1].append(n)
            else:
                runs.append([n])
        text = [str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in runs]
        parts.append(f"{family}.{', .'.join(text)}")
    return "; ".join(parts)


def group_failures(findings: list[Finding]) -> list[Group]:
    """FAILED findings grouped per account by the root cause whose one change fixes them."""
    groups: dict[tuple[str, RootCause], Group] = {}
    for f in findings:
        if f.status != Status.FAILED:
            continue
        key = (f.account, f.root_cause)
        groups.setdefault(key, Group(f.account, f.root_cause)).findings.append(f)
    return sorted(groups.values(), key=lambda g: (g.account, g.severity.rank, g.root_cause.text))
