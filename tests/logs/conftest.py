"""Fixtures for the logs tests: the real datasets placed in CloudTrail's S3 key layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support import datasets as shipped

from trailwarden.trailstore.fixtures import write_layout
from trailwarden.trailstore.records import Record

ORG = "o-a1b2c3d4e5"


def stratus_files(datasets: Path) -> dict[str, list[Record]]:
    """Technique id (file stem) -> its recorded events."""
    folder = datasets / "stratus-red-team-detonation-logs"
    return {p.stem: json.loads(p.read_text()) for p in sorted(folder.glob("aws.*.json"))}


def otrf_records(datasets: Path) -> list[Record]:
    path = (
        datasets
        / "otrf-aws-ec2-proxy-s3-exfiltration/ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    )
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def all_records(datasets_dir: Path) -> list[Record]:
    recs = [r for recs in stratus_files(datasets_dir).values() for r in recs]
    return recs + otrf_records(datasets_dir)


@pytest.fixture(scope="session")
def stratus(datasets_dir: Path) -> dict[str, list[Record]]:
    return stratus_files(datasets_dir)


@pytest.fixture(scope="session")
def otrf(datasets_dir: Path) -> list[Record]:
    return otrf_records(datasets_dir)


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    return shipped.require()  # the same place tests/conftest.py looks


@pytest.fixture(scope="session")
def trail_tree(tmp_path_factory: pytest.TempPathFactory, datasets_dir: Path) -> Path:
    """Stratus events as an organisation trail, OTRF events as a single-account trail."""
    root = tmp_path_factory.mktemp("bucket")
    stratus = [r for recs in stratus_files(datasets_dir).values() for r in recs]
    write_layout(stratus, root, org=ORG)
    write_layout(otrf_records(datasets_dir), root)
    return root


@pytest.fixture(scope="session")
def trail_db(tmp_path_factory: pytest.TempPathFactory, trail_tree: Path) -> Path:
    from trailwarden.logs.layout import Scope
    from trailwarden.logs.store import ingest
    from trailwarden.trailstore.files import local_files

    db = tmp_path_factory.mktemp("db") / "trail.duckdb"
    ingest(local_files(trail_tree), db, Scope())
    return db
