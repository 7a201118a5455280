import json
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


def test_an_invalid_api_page_is_quarantined_with_the_url_it_came_from(tmp_path):
    from dataprep.config import parse_config
    from dataprep.pipeline import read_sources

    cfg = parse_config(
        {
            "sources": [
                {
                    "name": "gh",
                    "type": "github",
                    "url": "https://api.github.com",
                    "project": "acme/widgets",
                }
            ]
        },
        base_dir=tmp_path,
    )
    pages = cfg.snapshots_dir / "gh" / "pages"
    pages.mkdir(parents=True)
    (pages / "00001-00001.json").write_text("[]")
    (pages / "00001-00002.invalid").write_bytes(b"<html>502 Bad Gateway</html>")
    url = "https://api.github.com/repositories/1/issues?page=2"
    state = {
        "cursor": None,
        "runs": 1,
        "in_progress": None,
        "invalid": {"00001-00002.invalid": {"url": url, "error": "not JSON"}},
    }
    (cfg.snapshots_dir / "gh" / "state.json").write_text(json.dumps(state))

    (item,) = read_sources(cfg).read.quarantine
    assert item["origin"] == ".dataprep/snapshots/gh/pages/00001-00002.invalid:1"
    assert item["reason"] == "parse:invalid-json"
    assert item["error"].endswith(f"; fetched from {url}")
