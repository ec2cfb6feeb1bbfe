"""``--compliance``: a report narrowed to one framework, with a status per requirement.

Which control grades which requirement is data (``data/frameworks.yaml``), each line with its
source, so a mapping can be checked and corrected without reading code.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from trailwarden.errors import UsageError
from trailwarden.report.common import effective_status

FRAMEWORK_NAMES = (
    "cis-1.2", "cis-1.4", "cis-3.0", "cis-5.0", "nist-800-53-r5", "pci-dss-3.2.1", "pci-dss-4.0",
)  # fmt: skip


@dataclass(frozen=True)
class Requirement:
    id: str
    title: str
    controls: tuple[str, ...]
    sources: tuple[str, ...]  # the citations of every line that maps a control to it


@dataclass(frozen=True)
class Framework:
    name: str
    title: str
    requirements: tuple[Requirement, ...]

    @property
    def controls(self) -> frozenset[str]:
        return frozenset(c for r in self.requirements for c in r.controls)


@functools.cache
def frameworks() -> dict[str, Framework]:
    raw = yaml.safe_load(
        resources.files("trailwarden.report").joinpath("data/frameworks.yaml").read_text()
    )
    sources: dict[str, str] = raw["sources"]
    result = {}
    for name, fw in raw["frameworks"].items():
        merged: dict[str, Requirement] = {}  # one requirement may come from several lines
        for line in fw["requirements"]:
            before = merged.get(line["id"])
            controls = tuple(line["controls"])
            cited: tuple[str, ...] = (sources[line["source"]],)
            if before is not None:
                controls = before.controls + tuple(c for c in controls if c not in before.controls)
                cited = before.sources + tuple(s for s in cited if s not in before.sources)
            merged[line["id"]] = Requirement(line["id"], line["title"], controls, cited)
        result[name] = Framework(name, fw["title"], tuple(merged.values()))
    return result


def framework(name: str) -> Framework:
    known = frameworks()
    if name not in known:
        raise UsageError(f"--compliance: unknown framework {name!r}; use one of {', '.join(known)}")
    return known[name]


# Statuses a requirement can take besides the findings' own (a new finding status passes through).
NO_FINDINGS = "NO_FINDINGS"
_SETTLED = {"PASSED", "SUPPRESSED"}  # neither needs work: passed, or failed with an accepted reason
_UNDECIDED_ORDER = ("WARNING", "NOT_AVAILABLE")


def requirement_status(statuses: Counter[str]) -> str:
    """FAILED if any finding failed (unsuppressed); PASSED if all passed or are suppressed;
    otherwise the status that keeps it undecided (WARNING, NOT_AVAILABLE, or any newer one)."""
    if statuses["FAILED"]:
        return "FAILED"
    if not +statuses:
        return NO_FINDINGS
    open_ = sorted(
        (s for s in statuses if s not in _SETTLED and statuses[s]),
        key=lambda s: (_UNDECIDED_ORDER.index(s) if s in _UNDECIDED_ORDER else 99, s),
    )
    return open_[0] if open_ else "PASSED"


def apply_compliance(doc: dict[str, Any], name: str) -> dict[str, Any]:
    """The document narrowed to the framework's controls, with ``framework`` added: the status
    of every requirement and where its mapping comes from."""
    fw = framework(name)
    controls = fw.controls  # a property that builds the set: once, not once per finding
    findings = [f for f in doc["findings"] if f["control"] in controls]
    by_control: dict[str, Counter[str]] = {}
    for f in findings:
        by_control.setdefault(f["control"], Counter())[effective_status(f)] += 1
    requirements = []
    for req in fw.requirements:
        counts: Counter[str] = Counter()
        for control in req.controls:
            counts.update(by_control.get(control, Counter()))
        requirements.append(
            {
                "id": req.id,
                "title": req.title,
                "controls": list(req.controls),
                "status": requirement_status(counts),
                "counts": dict(sorted(counts.items())),
                "sources": list(req.sources),
            }
        )
    return {
        **doc,
        "findings": findings,
        "framework": {"name": fw.name, "title": fw.title, "requirements": requirements},
    }
