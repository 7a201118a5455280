"""Every real public export under ../shared/realdata of a supported format is read or
quarantined with a clear error: never a crash, never an item unaccounted for."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataprep.connectors import CONNECTORS, ReadContext
from dataprep.schema import check_records, records_frame

REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
REDMINE_FIELDS = {
    "key": "$.id",
    "title": "$.subject",
    "body": "$.description",
    "status": "$.status.name",
    "issue_type": "$.tracker.name",
    "priority": "$.priority.name",
    "author": "$.author.name",
    "created_at": "$.created_on",
    "updated_at": "$.updated_on",
}

# (folder, glob, source type, extra context)
SUPPORTED = [
    ("jira", "*.json", "jira", {}),
    ("jira", "*.xml", "jira", {}),
    ("github", "*.json", "github", {}),
    ("changelogs", "*", "changelog", {}),
    ("other", "taskadapter__redmine*.json", "generic", {"fields": REDMINE_FIELDS}),
]


def _cases():
    if not REALDATA.is_dir():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason="no realdata"))]
    return [
        pytest.param(path, kind, extra, id=path.name)
        for folder, pattern, kind, extra in SUPPORTED
        for path in sorted((REALDATA / folder).glob(pattern))
    ]


@pytest.mark.parametrize(("path", "kind", "extra"), _cases())
def test_real_export_is_read_or_quarantined_clearly(path, kind, extra):
    ctx = ReadContext(source_name="real", origin=path.name, **extra)
    result = CONNECTORS[kind](path, ctx)
    assert result.received >= 1
    check_records(records_frame(result.records))
    for item in result.quarantine:
        assert item["origin"].startswith(path.name)
        assert item["reason"].startswith("parse:") and item["error"]
    for row in result.records:
        assert row["record_id"].startswith(f"{kind}:" if kind != "generic" else "real:")
