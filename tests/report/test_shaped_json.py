"""ShapedJson: a finding's JSON made from its shape's is the whole encoding, byte for byte,
whatever its texts hold, and it falls back to the whole encoding where a shape cannot hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from trailwarden.report.common import COMPACT, TEXTS, ShapedJson, finding_uid

TRICKY = [
    'quote " and \\ back',
    "brace {0} {} }{",
    "é ü 日本",
    "emoji 😀",
    "nul-ish \x01\x1f",
    "\n\t",
]


def _finding(n: int, text: str) -> dict[str, Any]:
    return {
        "control": f"CloudTrail.{n % 3}",
        "status": "FAILED",
        "region": "eu-west-1",
        "account": f"1234567890{n % 7:02d}",
        "resource": f"arn:aws:cloudtrail:eu-west-1:1:trail/{text}",
        "reason": f"{text} #{n}",
        "root_cause": f"no-trail:{n}",
        "compliance": {"CIS": ["3.1"]},
    }


def _build(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": finding_uid(f),
        "message": f"{f['reason']} ({f['account']} {f['region']}: {f['resource']})",
        "control": f["control"],
        "tags": sorted(f["compliance"]),
        "cause": f["root_cause"],
    }


@pytest.mark.parametrize("encode", [COMPACT, json.dumps])
def test_every_finding_reads_as_its_whole_encoding(encode: Any) -> None:
    shaped = ShapedJson(_build, encode, TEXTS, (finding_uid,))
    findings = [_finding(n, text) for n in range(30) for text in TRICKY]
    assert [shaped(f) for f in findings] == [encode(_build(f)) for f in findings]
    # ... made from the three controls' shapes, not encoded whole one by one
    assert len(shaped._forms) == 3 and None not in shaped._forms.values()


def test_a_build_that_does_more_than_write_a_text_is_encoded_whole() -> None:
    def truncating(f: dict[str, Any]) -> dict[str, Any]:
        return {"short": f["reason"][:6], "upper": f["account"].upper()}

    shaped = ShapedJson(truncating, COMPACT, TEXTS)
    findings = [_finding(n, "abcdefghij") for n in range(5)]
    assert [shaped(f) for f in findings] == [COMPACT(truncating(f)) for f in findings]
    assert list(shaped._forms.values()) == [None, None, None]


def test_missing_empty_or_long_texts_are_encoded_whole() -> None:
    shaped = ShapedJson(lambda f: {"r": f.get("reason")}, COMPACT, TEXTS, longest=20)
    for reason in (None, "", "x" * 21, 5):
        f = dict(_finding(1, "t"), reason=reason)
        assert shaped(f) == COMPACT({"r": reason})
