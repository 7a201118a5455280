"""Shared helpers: small records written for the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.schema import records_frame

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)


def issue(record_id: str, title: str, body: str | None, **fields) -> dict:
    """Return one issue row with sensible defaults for everything the test does not care about."""
    row = {
        "record_id": record_id,
        "source": record_id.split(":")[0],
        "kind": "issue",
        "project": "ACME",
        "key": record_id.split(":")[-1],
        "title": title,
        "body": body,
        "status": "open",
        "issue_type": "bug",
        "priority": "high",
        "created_at": T0,
        "updated_at": T0,
        "origin": "test",
    }
    row.update(fields)
    return row


@pytest.fixture
def make_records():
    def make(*rows: dict) -> pl.DataFrame:
        return records_frame(rows)

    return make


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """One `dataprep build` of the repo's sample project per test run: read it, never change it
    (copy it first)."""
    from .test_build import _build, _project

    tmp = tmp_path_factory.mktemp("sample")
    code, output = _build(_project(tmp))
    assert code == 0, output
    return tmp / "out"
