"""Shared helpers: small records written for the tests."""

from __future__ import annotations

from datetime import UTC, datetime

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
