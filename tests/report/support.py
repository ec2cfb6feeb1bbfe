"""Findings documents for the renderer tests: a real evaluation of a built snapshot, with a
suppressed failure and a finding whose status no renderer knows yet."""

from __future__ import annotations

import copy
from typing import Any

from tests.scan.build import make_snapshot, make_trail

from trailwarden.controls import evaluate
from trailwarden.report.findings_json import findings_document

FUTURE_STATUS = "NO_DATA"  # a status the findings contract may gain; renderers must pass it on


def scanned_document() -> dict[str, Any]:
    """One account, two Regions: a single-Region unencrypted trail and an organisation trail
    without log file validation, so every status but WARNING appears."""
    snapshot = make_snapshot(
        [
            make_trail(multi=False, kms_key_id=None),
            make_trail("org", org=True, home="eu-west-1", log_file_validation_enabled=False),
        ]
    )
    return findings_document(evaluate(snapshot))


def varied_document() -> dict[str, Any]:
    """The scanned document plus a suppressed failure and a finding of an unknown status."""
    doc = copy.deepcopy(scanned_document())
    failed = [f for f in doc["findings"] if f["status"] == "FAILED"]
    failed[0]["suppressed"] = {
        "reason": "accepted <risk> & documented",
        "owner": "secops@example.com",
        "expires": "2099-01-01",
        "entry": 1,
    }
    extra = dict(failed[1], status=FUTURE_STATUS, resource="arn:aws:s3:::no-data-bucket")
    extra.pop("suppressed", None)
    doc["findings"].append(extra)
    return doc
