"""scan --org on moto: the matrix and the own-trail list in the JSON document and the piped text."""

from __future__ import annotations

import json
from typing import Any

from tests.scan.seed import MANAGEMENT, create_org, create_trail, session_for

from trailwarden.report.matrix import MATRIX_TITLE, OWN_TITLE

REGIONS = "us-east-1,eu-west-1"


def test_scan_org_shows_matrix_and_accounts_resting_on_their_own_trail(aws: str, cli: Any) -> None:
    # No organisation trail yet: the management account and one member each run their own
    # multi-Region trail, the other member a single-Region one (CloudTrail.1 fails there).
    good, single = create_org(2)
    create_trail(session_for(MANAGEMENT), "main")
    create_trail(session_for(good), "main")
    create_trail(session_for(single), "local", multi=False)

    result = cli(["scan", "--org", "--regions", REGIONS, "--output", "json"])
    assert result.code == 1, result.stderr
    coverage = json.loads(result.stdout)["organization_coverage"]
    rows = {a["account"]: a["statuses"] for a in coverage["accounts"]}
    assert set(rows) == {MANAGEMENT, good, single}
    assert rows[good]["CloudTrail.1"] == "PASSED"
    assert rows[single]["CloudTrail.1"] == "FAILED"
    own = {o["account"]: o for o in coverage["own_trail_only"]}
    assert set(own) == {MANAGEMENT, good}
    assert own[good]["trails"] == [f"arn:aws:cloudtrail:us-east-1:{good}:trail/main"]
    assert own[good]["regions"] == ["eu-west-1", "us-east-1"]

    text = cli(["scan", "--org", "--regions", REGIONS]).stdout.splitlines()
    start = text.index(f"# {MATRIX_TITLE}") + 1
    header = text[start].split("\t")
    single_row = next(line.split("\t") for line in text[start:] if line.startswith(single))
    assert single_row[header.index("CloudTrail.1")] == "FAILED"
    listed = text[text.index(f"# {OWN_TITLE}") + 2 :]
    assert sorted(line.split("\t")[0] for line in listed[:2]) == sorted([MANAGEMENT, good])


def test_saved_org_findings_show_the_matrix_again(aws: str, cli: Any, tmp_path: Any) -> None:
    (good,) = create_org(1)
    create_trail(session_for(good), "main")
    saved = tmp_path / "findings.json"
    cli(["scan", "--org", "--regions", "us-east-1", "--output", "json", "--out", str(saved)])
    text = cli(["report", str(saved)]).stdout.splitlines()
    listed = text[text.index(f"# {OWN_TITLE}") + 2 :]
    assert [line.split("\t")[0] for line in listed] == [good]


def test_scan_without_org_has_no_matrix(aws: str, cli: Any) -> None:
    create_trail(session_for(MANAGEMENT), "main")
    result = cli(["scan", "--regions", "us-east-1", "--output", "json"])
    assert "organization_coverage" not in json.loads(result.stdout)
    assert MATRIX_TITLE not in cli(["scan", "--regions", "us-east-1"]).stdout
