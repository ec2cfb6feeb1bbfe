"""SARIF 2.1.0: one rule per control (its title, help and remediation), one result per finding
that needs attention. Passed findings are left out: code-scanning views list what to act on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from trailwarden.report.common import (
    COMPACT,
    TEXTS,
    TOOL,
    VERSION,
    Items,
    ShapedJson,
    control_title,
    finding_uid,
    iter_dumps,
    related_requirements,
)

SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
# GitHub's code scanning ranks security results by this property (a CVSS-like 0-10 score).
_SECURITY_SEVERITY = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "3.0"}
_LEVEL = {"CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning", "LOW": "note"}
# SARIF's kinds: "open" is a result the tool could not decide, which NOT_AVAILABLE (and any
# status this renderer does not know) is.
_KIND = {"FAILED": "fail", "WARNING": "review"}


def _rule(control: str, example: dict[str, Any]) -> dict[str, Any]:
    title = control_title(control)
    remediation = example.get("remediation") or ""
    compliance = example.get("compliance") or {}
    refs = related_requirements(example)
    return {
        "id": control,
        "name": control.replace(".", ""),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{control}: {title}"},
        "help": {
            "text": f"Remediation: {remediation}",
            "markdown": f"**Remediation:** {remediation}"
            + ("\n\n**Requirements:** " + ", ".join(refs) if refs else ""),
        },
        "defaultConfiguration": {"level": _LEVEL.get(example["severity"], "warning")},
        "properties": {
            "tags": ["security", "cloudtrail", *sorted(compliance)],
            "security-severity": _SECURITY_SEVERITY.get(example["severity"], "1.0"),
            "severity": example["severity"],
        },
    }


def _result(f: dict[str, Any], rule_index: int) -> dict[str, Any]:
    kind = _KIND.get(f["status"], "open")
    result: dict[str, Any] = {
        "ruleId": f["control"],
        "ruleIndex": rule_index,
        "kind": kind,
        "level": _LEVEL.get(f["severity"], "warning") if kind == "fail" else "none",
        "message": {"text": f"{f['reason']} ({f['account']} {f['region']}: {f['resource']})"},
        "locations": [
            {
                "logicalLocations": [
                    {"fullyQualifiedName": f["resource"], "kind": "resource"},
                    {"name": f["account"], "kind": "account"},
                    {"name": f["region"], "kind": "region"},
                ]
            }
        ],
        "partialFingerprints": {"trailwardenFinding/v1": finding_uid(f)},
        "properties": {
            "status": f["status"],
            "account": f["account"],
            "region": f["region"],
            "rootCause": f.get("root_cause", ""),
        },
    }
    if f.get("suppressed"):
        s = f["suppressed"]
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{s['reason']} (owner {s['owner']}, until {s['expires']})",
            }
        ]
    return result


def stream_sarif(doc: dict[str, Any]) -> Iterator[str]:
    examples: dict[str, dict[str, Any]] = {}
    passed = 0
    for f in doc["findings"]:  # every control in the report gets a rule, passed or not
        examples.setdefault(f["control"], f)
        passed += f["status"] == "PASSED"
    index = {control: i for i, control in enumerate(examples)}
    shown = (f for f in doc["findings"] if f["status"] != "PASSED")
    result = ShapedJson(lambda f: _result(f, index[f["control"]]), COMPACT, TEXTS, (finding_uid,))
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": VERSION,
                        "rules": [_rule(c, f) for c, f in examples.items()],
                    }
                },
                "invocations": [
                    {
                        "executionSuccessful": not doc.get("errors"),
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {
                                    "text": f"{e['account']} {e['region']} {e['operation']}: "
                                    f"{e['error']}"
                                },
                            }
                            for e in doc.get("errors", [])
                        ],
                    }
                ],
                # Each result made as it is written: a quarter million are ~1 GB as dicts.
                "results": Items(map(result, shown), encoded=True),
                "properties": {
                    "accounts": doc.get("accounts", []),
                    "regions": doc.get("regions", []),
                    "passed": passed,
                },
            }
        ],
    }
    yield from iter_dumps(log, depth=4)  # one result per line
    yield "\n"


def render_sarif(doc: dict[str, Any]) -> str:
    return "".join(stream_sarif(doc))
