"""The CIS data agrees with the table of docs/aws-facts/controls.md#cis-patterns byte for byte and
with the dataset canonically."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from trailwarden.filterpattern import canonical, compile_pattern, parse
from trailwarden.filterpattern.cis import BY_ID, CIS_CONTROLS, control, exact_control, is_exact

FACTS = Path(__file__).resolve().parents[2] / "docs" / "aws-facts" / "controls.md"


def documented_patterns() -> dict[str, str]:
    """The 'Pattern' column of docs/aws-facts/controls.md#cis-patterns, the strings the Security
    Hub user guide gives (markdown-escaped pipes undone)."""
    text = FACTS.read_text(encoding="utf-8")
    section = text[text.index('<a id="cis-patterns">') : text.index('<a id="cis-alarm-settings">')]
    rows = re.findall(r"^\| (CloudWatch\.\d+) \|.*\| `(\{.*\})` \|$", section, re.MULTILINE)
    return {cid: pattern.replace("\\|", "|") for cid, pattern in rows}


def test_fourteen_controls_in_order() -> None:
    assert [c.control_id for c in CIS_CONTROLS] == [f"CloudWatch.{i}" for i in range(1, 15)]
    assert len({c.metric_name for c in CIS_CONTROLS}) == 14


def test_patterns_are_the_documented_strings_byte_for_byte() -> None:
    documented = documented_patterns()
    assert len(documented) == 14
    for c in CIS_CONTROLS:
        assert c.pattern == documented[c.control_id], c.control_id


def test_dataset_agrees_canonically(datasets: Path) -> None:
    rows = json.loads(
        (datasets / "cis-cloudwatch-metric-filters" / "cis_patterns.json").read_text()
    )
    assert {row["control"] for row in rows} == set(BY_ID)
    for row in rows:
        ours = BY_ID[row["control"]]
        assert canonical(row["pattern"]) == canonical(ours.pattern), row["control"]
        assert row["title"] == ours.title
        for cis_id in ours.cis_v12:
            assert f"v1.2.0/{cis_id}" in row["related"]
        for cis_id in ours.cis_v14:
            assert f"v1.4.0/{cis_id}" in row["related"]
        assert "v1.4.0" in row["related"] or not ours.cis_v14


def test_alarm_settings_are_the_cis_ones() -> None:
    for c in CIS_CONTROLS:
        assert (c.namespace, c.statistic, c.period, c.threshold, c.evaluation_periods) == (
            "CISBenchmark",
            "Sum",
            300,
            1.0,
            1,
        )


@pytest.mark.parametrize(
    ("control_id", "variant"),
    [
        # Variants seen in the wild (docs/aws-facts/controls.md#cis-patterns): spacing differs only.
        (
            "CloudWatch.7",
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || "
            "($.eventName = ScheduleKeyDeletion)) }",
        ),
        (
            "CloudWatch.1",
            '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && '
            '$.eventType != "AwsServiceEvent" }',
        ),
    ],
)
def test_spaced_variants_are_security_hub_equal(control_id: str, variant: str) -> None:
    assert canonical(variant) == canonical(control(control_id).pattern)


def test_supersets_are_not_security_hub_equal() -> None:
    later_cis = (
        '{(($.errorCode="*UnauthorizedOperation") || ($.errorCode="AccessDenied*")) && '
        '(($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket"))}'
    )
    assert canonical(later_cis) != canonical(control("CloudWatch.2").pattern)
    older_mfa = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
    assert canonical(older_mfa) != canonical(control("CloudWatch.3").pattern)


def test_every_pattern_parses_and_compiles() -> None:
    for c in CIS_CONTROLS:
        assert compile_pattern(parse(c.pattern))({}) is False


def test_unknown_control_names_the_valid_ids() -> None:
    with pytest.raises(KeyError, match=r"CloudWatch\.1 to \.14"):
        control("CloudWatch.15")


def test_is_exact_and_exact_control() -> None:
    spaced = "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = "
    spaced += "DeleteTrail) || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
    assert is_exact(spaced, "CloudWatch.5")
    assert not is_exact(spaced, "CloudWatch.4")
    assert exact_control(spaced) is BY_ID["CloudWatch.5"]
    assert not is_exact("{$.eventName = }", "CloudWatch.5")  # broken filters are just not CIS
    assert exact_control("{$.eventName = CreateTrail}") is None
    for c in CIS_CONTROLS:
        assert exact_control(c.pattern) is c
