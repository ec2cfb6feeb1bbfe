"""Each CIS pattern against its corpus and real records; semantic comparison verdicts."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from trailwarden.filterpattern import FilterPatternError, compile_pattern, evaluate, parse
from trailwarden.filterpattern.cis import BY_ID, CIS_CONTROLS, control
from trailwarden.filterpattern.compare import Comparison, compare
from trailwarden.filterpattern.corpus import CORPUS, Example, examples_for


@pytest.mark.parametrize("example", CORPUS, ids=lambda e: e.name)
def test_cis_pattern_on_its_corpus(example: Example) -> None:
    ast = parse(BY_ID[example.control_id].pattern)
    assert evaluate(ast, example.event) is example.positive
    assert compile_pattern(ast)(example.event) is example.positive


def test_corpus_shape() -> None:
    assert len({e.name for e in CORPUS}) == len(CORPUS)
    assert len({e.event["eventID"] for e in CORPUS}) == len(CORPUS)
    for c in CIS_CONTROLS:
        examples = examples_for(c.control_id)
        assert any(e.positive for e in examples), c.control_id
        assert any(not e.positive for e in examples), c.control_id
    # the schema's always-present members (docs/aws-facts/records.md#record-fields)
    for e in CORPUS:
        for member in ("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName"):
            assert member in e.event, (e.name, member)


def test_corpus_covers_the_spec_edge_cases() -> None:
    by_name = {e.name: e for e in CORPUS}
    root_login = by_name["CloudWatch.1/root-console-login"].event
    assert (
        root_login["eventType"] == "AwsConsoleSignIn"
        and root_login["userIdentity"]["type"] == "Root"
    )
    assert "invokedBy" in by_name["CloudWatch.1/root-invoked-by-service"].event["userIdentity"]
    assert by_name["CloudWatch.1/root-aws-service-event"].event["eventType"] == "AwsServiceEvent"
    absent = by_name["CloudWatch.3/iam-user-login-mfaused-absent"].event
    assert "MFAUsed" not in absent["additionalEventData"]
    assert (
        by_name["CloudWatch.3/iam-user-login-without-mfa"].event["additionalEventData"]["MFAUsed"]
        == "No"
    )
    codes = {e.event.get("errorCode") for e in examples_for("CloudWatch.2")}
    assert {"AccessDenied", "Client.UnauthorizedOperation", "AccessDeniedException"} <= codes


def _records(datasets: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in sorted((datasets / "stratus-red-team-detonation-logs").glob("*.json")):
        records.extend(json.loads(path.read_text()))
    otrf = datasets / "otrf-aws-ec2-proxy-s3-exfiltration"
    for path in sorted(otrf.glob("*.json")):
        records.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    return records


def test_cis_patterns_on_real_records(datasets: Path) -> None:
    # Independent oracles written as plain Python over the same records.
    records = _records(datasets)
    assert len(records) > 400
    oracles = {
        "CloudWatch.2": lambda r: (
            str(r.get("errorCode", "")).endswith("UnauthorizedOperation")
            or str(r.get("errorCode", "")).startswith("AccessDenied")
        ),
        "CloudWatch.3": lambda r: (
            r["eventName"] == "ConsoleLogin"
            and r.get("additionalEventData", {}).get("MFAUsed", "Yes") != "Yes"
            and r["userIdentity"].get("type") == "IAMUser"
            and (r.get("responseElements") or {}).get("ConsoleLogin") == "Success"
        ),
        "CloudWatch.4": lambda r: r["eventName"] in {"AttachUserPolicy", "AttachRolePolicy"},
        "CloudWatch.5": lambda r: r["eventName"] in {"DeleteTrail", "StopLogging"},
        "CloudWatch.10": lambda r: r["eventName"] == "AuthorizeSecurityGroupIngress",
    }
    for control_id, oracle in oracles.items():
        predicate = compile_pattern(parse(BY_ID[control_id].pattern))
        got = [r["eventID"] for r in records if predicate(r)]
        want = [r["eventID"] for r in records if oracle(r)]
        assert got == want and want, control_id
    assert not any(compile_pattern(parse(BY_ID["CloudWatch.1"].pattern))(r) for r in records)


ROOT = BY_ID["CloudWatch.1"].pattern
CW4_NAMES = re.findall(r"eventName=(\w+)", BY_ID["CloudWatch.4"].pattern)


@pytest.mark.parametrize(
    ("pattern", "control_id", "verdict"),
    [
        (ROOT, "CloudWatch.1", "exact"),
        (
            "{ $.userIdentity.type = Root && $.userIdentity.invokedBy NOT EXISTS && "
            '$.eventType != "AwsServiceEvent" }',
            "CloudWatch.1",
            "exact",
        ),
        (  # same conditions, another order: equivalent, but not what Security Hub wants
            '{$.eventType != "AwsServiceEvent" && $.userIdentity.type = "Root" && '
            "$.userIdentity.invokedBy NOT EXISTS}",
            "CloudWatch.1",
            "equivalent",
        ),
        ('{$.userIdentity.type = "Root"}', "CloudWatch.1", "broader"),
        (
            '{$.userIdentity.type = "Root" && $.eventType = "AwsApiCall" && '
            "$.userIdentity.invokedBy NOT EXISTS}",
            "CloudWatch.1",
            "narrower",
        ),
        (
            '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
            "CloudWatch.3",
            "broader",
        ),
        (
            "{($.eventName=CreateTrail) || ($.eventName=UpdateTrail) || ($.eventName=DeleteTrail)"
            " || ($.eventName=StopLogging) || ($.eventName=PutEventSelectors)}",
            "CloudWatch.5",
            "overlapping",
        ),
        ("{$.eventName = DescribeVpcs}", "CloudWatch.14", "unrelated"),
        (
            "{($.eventSource = iam.amazonaws.com) && ("
            + " || ".join(f"($.eventName = {n})" for n in CW4_NAMES)
            + ")}",
            "CloudWatch.4",
            "narrower",
        ),
        (
            "{" + " || ".join(f"$.eventName = {n}" for n in CW4_NAMES) + "}",
            "CloudWatch.4",
            "equivalent",
        ),
    ],
)
def test_verdicts(pattern: str, control_id: str, verdict: str) -> None:
    result = compare(pattern, control_id)
    assert isinstance(result, Comparison)
    assert result.verdict == verdict, result.explanation
    assert result.security_hub_pass is (verdict == "exact")
    assert (not result.missed and not result.extra) is (verdict in ("exact", "equivalent"))
    assert "\n" not in result.explanation and result.explanation.endswith(".")


def test_narrower_names_what_is_missed_and_why() -> None:
    result = compare('{$.userIdentity.type = "Root" && $.eventType = "AwsApiCall"}', "CloudWatch.1")
    assert "CloudWatch.1/root-console-login" in result.missed
    assert "CloudWatch.1/root-invoked-by-service" in result.extra  # no invokedBy guard
    assert "misses a console sign-in by the root user" in result.explanation
    assert '$.eventType="AwsApiCall" is false there ($.eventType is "AwsConsoleSignIn")' in (
        result.explanation
    )


def test_broader_says_security_hub_fails_it_anyway() -> None:
    result = compare('{$.userIdentity.type = "Root"}', "CloudWatch.1")
    assert result.explanation.startswith(
        "Security Hub will fail this filter although it catches all root user activity"
    )
    assert set(result.extra) == {
        "CloudWatch.1/root-invoked-by-service",
        "CloudWatch.1/root-aws-service-event",
    }


def test_missed_and_extra_are_exactly_the_disagreements() -> None:
    pattern = '{$.eventName = "ConsoleLogin" && $.errorMessage = *}'
    result = compare(pattern, "CloudWatch.6")
    ours, theirs = parse(pattern), parse(control("CloudWatch.6").pattern)
    for e in CORPUS:
        a, b = evaluate(ours, e.event), evaluate(theirs, e.event)
        assert (e.name in result.missed) is (b and not a)
        assert (e.name in result.extra) is (a and not b)
    assert result.verdict == "broader"  # any errorMessage, e.g. an unknown user name


def test_bad_pattern_and_unknown_control() -> None:
    with pytest.raises(FilterPatternError):
        compare("{$.eventName = }", "CloudWatch.1")
    with pytest.raises(KeyError):
        compare("{$.a = 1}", "CloudWatch.99")
