from datetime import timedelta

from dataprep.connectors.base import ReadResult
from dataprep.pipeline import read_stage

from .conftest import T0, issue


def test_an_id_read_twice_keeps_the_newest_copy_and_rejects_the_other():
    read = ReadResult(
        records=[
            issue("jira:A-1", "old title", "body", origin="page1.json:$.issues[0]"),
            issue("jira:A-2", "other", "body", origin="page1.json:$.issues[1]"),
            issue(
                "jira:A-1",
                "new title",
                "body",
                updated_at=T0 + timedelta(days=1),
                origin="page2.json:$.issues[0]",
            ),
        ],
        skipped=[{"record_id": "github:a/b#3", "reason": "source:pull-request", "detail": ""}],
    )
    result = read_stage(read)
    assert result.kept.select("record_id", "title").rows() == [
        ("jira:A-2", "other"),
        ("jira:A-1", "new title"),
    ]
    assert result.rejected.rows() == [
        ("github:a/b#3", "read", "source:pull-request", ""),
        ("jira:A-1", "read", "read:duplicate-id", "older copy from page1.json:$.issues[0]"),
    ]
