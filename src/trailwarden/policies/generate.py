"""Write the shipped IAM policies from the permissions the code declares.

    python -m trailwarden.policies.generate          # rewrite the scan, apply and verify policies
    python -m trailwarden.policies.generate --check  # exit 1 if a shipped file is out of date

scan-policy.json grants what every collector read declares (``collect.reads.SCAN_READS``);
apply-policy.json what every apply handler declares (``apply.operations.HANDLERS``) plus what the
access itself needs (``apply.context.CountingAccess.needs``); verify-policy.json what verify and
its canaries declare (``verify.permissions.VERIFY_GRANTS``); evidence-policy.json what
evidence and securityhub declare (``evidence.aws.GRANTS``). This is the one module of
``policies`` that imports collect/, apply/, verify/ and evidence/: it gathers their declarations.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from trailwarden.policies.permissions import (
    APPLY_STATEMENTS,
    EVIDENCE_STATEMENTS,
    SCAN_STATEMENTS,
    VERIFY_STATEMENTS,
    policy_document,
)

HERE = Path(__file__).resolve().parent
SCAN_POLICY_FILE = "scan-policy.json"
APPLY_POLICY_FILE = "apply-policy.json"
VERIFY_POLICY_FILE = "verify-policy.json"
EVIDENCE_POLICY_FILE = "evidence-policy.json"


def scan_policy() -> dict[str, Any]:
    from trailwarden.collect import collector  # noqa: F401  (declares with details, on import)
    from trailwarden.collect.reads import SCAN_READS

    return policy_document(SCAN_STATEMENTS, [read.grant for read in SCAN_READS])


def apply_policy() -> dict[str, Any]:
    from trailwarden.apply import (
        drift_ops,  # noqa: F401  (registers the drift handlers)
        org_guardrail_ops,  # noqa: F401  (registers the SCP handlers)
        trail_ops,  # noqa: F401  (registers the trail handlers)
    )
    from trailwarden.apply.context import CountingAccess
    from trailwarden.apply.operations import HANDLERS

    grants = [*CountingAccess.needs, *(g for h in HANDLERS.values() for g in h.needs)]
    return policy_document(APPLY_STATEMENTS, grants)


def verify_policy() -> dict[str, Any]:
    from trailwarden.verify.permissions import VERIFY_GRANTS

    return policy_document(VERIFY_STATEMENTS, VERIFY_GRANTS)


def evidence_policy() -> dict[str, Any]:
    from trailwarden.evidence.aws import GRANTS

    return policy_document(EVIDENCE_STATEMENTS, GRANTS)


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2) + "\n"


def generated() -> dict[str, str]:
    """File name -> the text it must have."""
    return {
        SCAN_POLICY_FILE: render(scan_policy()),
        APPLY_POLICY_FILE: render(apply_policy()),
        VERIFY_POLICY_FILE: render(verify_policy()),
        EVIDENCE_POLICY_FILE: render(evidence_policy()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trailwarden.policies.generate")
    parser.add_argument("--check", action="store_true", help="only report stale files")
    parser.add_argument("--dir", type=Path, default=HERE, help="where the policies are")
    args = parser.parse_args(argv)
    stale = []
    for name, text in generated().items():
        path = args.dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(name)
        if not args.check:
            path.write_text(text, encoding="utf-8")
    verb = "out of date" if args.check else "rewritten"
    print(f"{verb}: {', '.join(stale)}" if stale else "policies up to date")
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
