"""Root-cause grouping: the trail (or the missing trail) is the unit of work, not the finding."""

from __future__ import annotations

from dataclasses import dataclass, field

from trailwarden.controls.model import Finding, Severity, Status

# What one change to the trail does to clear each control, in the order a fix applies them.
_FIX = {
    "CloudTrail.1": "make it multi-Region, logging all read and write management events",
    "CloudTrail.3": "start logging",
    "CloudTrail.2": "encrypt with a KMS key",
    "CloudTrail.4": "enable log file validation",
    "CloudTrail.5": "deliver to CloudWatch Logs",
    "CloudTrail.6": "block public access on its bucket",
    "CloudTrail.7": "turn on access logging for its bucket",
    "CloudTrail.9": "tag it",
}
_CLOUDWATCH_FIX = "add the CIS metric filters, alarms and a confirmed SNS subscriber"


@dataclass
class Group:
    account: str
    root_cause: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def controls(self) -> list[str]:
        return sorted({f.control for f in self.findings}, key=_order)

    @property
    def severity(self) -> Severity:
        return min((f.severity for f in self.findings), key=lambda s: s.rank)

    @property
    def is_missing_trail(self) -> bool:
        return self.root_cause.startswith("no-trail:")

    @property
    def owned(self) -> bool:
        """False for an organisation trail: the fix belongs to its owner account."""
        parts = self.root_cause.split(":")
        return self.is_missing_trail or len(parts) < 5 or parts[4] == self.account

    def fix(self) -> str:
        controls = self.controls
        if self.is_missing_trail:
            return (
                "create one multi-Region trail with all read+write management events, "
                f"validation, KMS and CloudWatch Logs (trailwarden plan) - clears {_list(controls)}"
            )
        if self.root_cause.startswith("lake:"):
            return f"use customer managed KMS keys for event data stores - clears {_list(controls)}"
        name = self.root_cause.rsplit("/", 1)[-1]
        steps = [_FIX[c] for c in _FIX if c in controls]
        if "CloudTrail.1" in controls and _FIX["CloudTrail.3"] in steps:
            steps.remove(_FIX["CloudTrail.3"])  # a multi-Region, logging trail covers it
        cloudwatch = [f.reason for f in self.findings if f.control.startswith("CloudWatch.")]
        if cloudwatch:
            steps.append(_cloudwatch_fix(cloudwatch))
        who = "" if self.owned else f" (organisation trail: fix in account {self._owner()})"
        return f"fix trail {name}{who}: {'; '.join(steps)} - clears {_list(controls)}"

    def _owner(self) -> str:
        parts = self.root_cause.split(":")
        return parts[4] if len(parts) > 4 else "?"


def _cloudwatch_fix(reasons: list[str]) -> str:
    """Name only the missing link when every CloudWatch.x failure stops at the same one."""
    if all("subscriber" in r for r in reasons):
        return "confirm a subscriber of the alarms' SNS topic"
    if all(r.startswith("no alarm on metric") for r in reasons):
        return "add alarms (with an SNS action) on the CIS metric filters"
    return _CLOUDWATCH_FIX


def _order(control: str) -> tuple[str, int]:
    family, _, num = control.partition(".")
    return family, int(num) if num.isdigit() else 0


def _list(controls: list[str]) -> str:
    """["CloudTrail.1", "CloudTrail.3", "CloudWatch.1", ..., "CloudWatch.14"] ->
    "CloudTrail.1, .3; CloudWatch.1-14": short enough to read in one line."""
    families: dict[str, list[int]] = {}
    for c in controls:
        family, _, num = c.partition(".")
        families.setdefault(family, []).append(int(num) if num.isdigit() else 0)
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
    """FAILED findings grouped per account by the trail whose one change fixes them."""
    groups: dict[tuple[str, str], Group] = {}
    for f in findings:
        if f.status != Status.FAILED:
            continue
        key = (f.account, f.root_cause)
        groups.setdefault(key, Group(f.account, f.root_cause)).findings.append(f)
    return sorted(groups.values(), key=lambda g: (g.account, g.severity.rank, g.root_cause))
