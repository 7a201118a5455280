"""`dataprep pull` of Azure DevOps Boards work items against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import logging
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dataprep.config import Config, SourceConfig
from dataprep.connectors import ReadContext, ReadResult
from dataprep.connectors import azure_devops as connector
from dataprep.connectors.http import PullError
from dataprep.pipeline import read_stage
from dataprep.pull import pull_source
from tests.httpserver import ApiServer, Reply, Request

TOKEN = "adoPatSecret0123456789abcdefghij"
ROOT = "/Fabrikam%20Web/_apis/wit"  # the project name has a space
WIQL, BATCH = f"{ROOT}/wiql", f"{ROOT}/workitemsbatch"
START = datetime(2024, 3, 1, tzinfo=UTC)
DEFAULT_QUERY = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "ORDER BY [System.ChangedDate] ASC"
)


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 10000:02d}Z"


def work_item(number: int, changed: datetime, comments: int = 0, title: str | None = None):
    """Return a work item as ``workitemsbatch`` with ``$expand: all`` answers it."""
    person = {"displayName": "Jane Doe", "uniqueName": "jane@fabrikam.com"}
    return {
        "id": number,
        "rev": 2,
        "fields": {
            "System.Id": number,
            "System.AreaPath": "Fabrikam Web",
            "System.TeamProject": "Fabrikam Web",
            "System.WorkItemType": "Bug",
            "System.State": "Active",
            "System.Reason": "New",
            "System.CreatedDate": "2024-02-01T09:00:00.12Z",
            "System.CreatedBy": person,
            "System.ChangedDate": stamp(changed),
            "System.ChangedBy": person,
            "System.CommentCount": comments,
            "System.Title": title or f"Item {number}",
            "System.Description": f"<div>Item <b>{number}</b> fails</div>",
            "Microsoft.VSTS.Common.Priority": 2,
        },
        "relations": [],
        "url": f"https://dev.azure.com/fabrikam/_apis/wit/workItems/{number}",
    }


def comment(number: int, n: int) -> dict[str, Any]:
    return {
        "workItemId": number,
        "id": n,
        "version": 1,
        "text": f"<p>Comment {n}</p>",
        "createdBy": {"displayName": "Sam Roe"},
        "createdDate": f"2024-03-02T10:{n:02d}:00.5Z",
    }


def changed(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["fields"]["System.ChangedDate"])


class AzureBoards:
    """WIQL (the changed-date condition honoured), workitemsbatch and the Comments API."""

    def __init__(self, server: ApiServer, count: int) -> None:
        self.items = {n: work_item(n, START + timedelta(minutes=n)) for n in range(1, count + 1)}
        self.items[1] = work_item(1, START + timedelta(minutes=1), comments=3)
        self.deleted = {7}  # deleted between the query and the batch: null in the answer
        self.as_of = START + timedelta(days=9)
        self.comments = {1: [comment(1, n) for n in (1, 2, 3)]}
        server.route("POST", WIQL, self.query)
        server.route("POST", BATCH, self.batch)
        server.route("GET", f"{ROOT}/workItems/1/comments", self.list_comments)
        self.server = server

    def query(self, request: Request) -> Reply:
        wiql = request.body["query"]
        since = re.search(r"\[System\.ChangedDate\] > '([^']+)'", wiql)
        found = sorted(self.items.values(), key=changed)
        if since:
            after = datetime.fromisoformat(since.group(1))
            found = [i for i in found if changed(i) > after]
        return Reply(
            json={
                "queryType": "flat",
                "queryResultType": "workItem",
                "asOf": stamp(self.as_of),
                "columns": [{"referenceName": "System.Id", "name": "ID"}],
                "workItems": [{"id": i["id"], "url": i["url"]} for i in found],
            }
        )

    def batch(self, request: Request) -> Reply:
        ids = request.body["ids"]
        assert len(ids) <= 200, "workitemsbatch takes at most 200 ids"
        value = [None if n in self.deleted else self.items[n] for n in ids]
        return Reply(json={"count": len(value), "value": value})

    def list_comments(self, request: Request) -> Reply:
        start = int(request.query.get("continuationToken", "0"))
        chunk = self.comments[1][start : start + 2]
        body: dict[str, Any] = {"totalCount": 3, "count": len(chunk), "comments": chunk}
        if start + 2 < 3:
            body["continuationToken"] = str(start + 2)
        return Reply(json=body)


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ADO_TOKEN", TOKEN)
    with ApiServer() as api:
        yield api


def setup(server: ApiServer, tmp_path: Path) -> tuple[SourceConfig, Config]:
    src = SourceConfig(
        name="ado",
        type="azure_devops",
        url=server.url,
        project="Fabrikam Web",
        token_env="ADO_TOKEN",
    )
    return src, Config(sources=[src], base_dir=tmp_path)


def page_files(tmp_path: Path, run: str = "") -> list[Path]:
    pages = tmp_path / ".dataprep" / "snapshots" / "ado" / "pages"
    return sorted(pages.glob(f"{run}*"))


def batches(server: ApiServer) -> list[list[int]]:
    return [r.body["ids"] for r in server.requests if r.path == BATCH]


def assert_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in caplog.text


def test_450_items_come_in_three_batches_of_at_most_200_with_comments(server, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    AzureBoards(server, 450)
    src, cfg = setup(server, tmp_path)

    summary = pull_source(src, cfg)

    wiql = [r for r in server.requests if r.path == WIQL]
    assert [(r.body, r.query) for r in wiql] == [({"query": DEFAULT_QUERY}, {"api-version": "7.1"})]
    assert [len(ids) for ids in batches(server)] == [200, 200, 50]
    assert [n for ids in batches(server) for n in ids] == list(range(1, 451))
    first = next(r for r in server.requests if r.path == BATCH)
    assert first.query == {"api-version": "7.1"}
    assert {k: v for k, v in first.body.items() if k != "ids"} == {
        "$expand": "all",
        "errorPolicy": "omit",
    }
    assert (summary.pages, summary.items) == (3, 449)  # item 7 was deleted meanwhile
    assert summary.cursor == "2024-03-01T07:30:00Z"  # item 450's ChangedDate

    pages = [json.loads(p.read_text()) for p in page_files(tmp_path)]
    assert [(p["count"], len(p["value"])) for p in pages] == [(199, 199), (200, 200), (50, 50)]
    items = {i["id"]: i for p in pages for i in p["value"]}
    assert [c["text"] for c in items[1]["comments"]] == [f"<p>Comment {n}</p>" for n in (1, 2, 3)]
    assert items[2]["comments"] == []  # System.CommentCount 0: not asked
    asked = [r.query for r in server.requests if r.path.endswith("/comments")]
    assert asked == [
        {"api-version": "7.1-preview.4"},
        {"api-version": "7.1-preview.4", "continuationToken": "2"},
    ]
    basic = "Basic " + base64.b64encode(f":{TOKEN}".encode()).decode()
    assert {r.headers["authorization"] for r in server.requests} == {basic}
    assert_no_token(tmp_path, caplog)


def test_second_pull_queries_changed_after_the_cursor_and_keeps_the_new_versions(
    server, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    boards = AzureBoards(server, 5)
    src, cfg = setup(server, tmp_path)
    pull_source(src, cfg)
    # Item 4 changes before the second query, item 2 after it (but before its batch).
    boards.items[4] = work_item(4, START + timedelta(days=2), title="Item 4, edited")
    boards.items[2] = work_item(2, START + timedelta(days=3), title="Item 2, edited")
    boards.as_of = START + timedelta(days=2, hours=12)
    server.clear()

    summary = pull_source(src, cfg)

    wiql = [r for r in server.requests if r.path == WIQL]
    assert [r.body["query"] for r in wiql] == [
        "SELECT [System.Id] FROM WorkItems WHERE ([System.TeamProject] = @project) "
        "AND [System.ChangedDate] > '2024-03-01T00:05:00Z' ORDER BY [System.ChangedDate] ASC"
    ]
    assert wiql[0].query == {"api-version": "7.1", "timePrecision": "true"}
    assert batches(server) == [[4, 2]]
    # The cursor stops at the query's asOf: a change after it may not be in what was fetched.
    assert (summary.run, summary.items, summary.cursor) == (2, 2, "2024-03-03T12:00:00Z")

    read = ReadResult()
    for page in page_files(tmp_path):
        read.extend(connector.read_file(page, ReadContext("ado", page.name)))
    kept = read_stage(read).kept.sort("key")
    assert kept["title"].to_list() == [
        "Item 1",
        "Item 2, edited",
        "Item 3",
        "Item 4, edited",
        "Item 5",
    ]
    assert_no_token(tmp_path, caplog)


def test_an_interrupted_pull_resumes_at_the_next_batch_without_querying_again(server, tmp_path):
    AzureBoards(server, 450)
    down = Reply(status=404, json={"message": "gone for a moment"})
    server.fail("POST", BATCH, down, when=lambda request: request.body["ids"][0] == 201)
    src, cfg = setup(server, tmp_path)

    with pytest.raises(PullError, match="404"):
        pull_source(src, cfg)
    assert [p.name for p in page_files(tmp_path)] == ["00001-00001.json"]
    server.clear()

    summary = pull_source(src, cfg)

    assert summary.resumed and (summary.run, summary.pages) == (1, 2)
    assert server.paths("POST") == [BATCH, BATCH]  # no WIQL query
    assert [ids[0] for ids in batches(server)] == [201, 401]
    assert [p.name for p in page_files(tmp_path)] == [f"00001-0000{n}.json" for n in (1, 2, 3)]


@pytest.mark.parametrize("status", [401, 203])  # 203: the sign-in page a bad PAT often gets
def test_refused_token_names_the_variable_and_writes_nothing(server, tmp_path, caplog, status):
    AzureBoards(server, 3)
    sign_in = b"<html><title>Azure DevOps Services | Sign In</title></html>"
    server.fail(
        "POST", WIQL, Reply(status=status, body=sign_in, headers={"Content-Type": "text/html"})
    )
    src, cfg = setup(server, tmp_path)

    with pytest.raises(PullError) as raised:
        pull_source(src, cfg)

    assert "$ADO_TOKEN" in str(raised.value) and str(status) in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert_no_token(tmp_path, caplog)
