"""`dataprep pull` of Linear issues (GraphQL) against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from dataprep.config import Config, SourceConfig
from dataprep.connectors import ReadContext, ReadResult
from dataprep.connectors import linear as connector
from dataprep.connectors.http import PullError
from dataprep.pipeline import read_stage
from dataprep.pull import pull_source
from tests.httpserver import ApiServer, Reply, Request

TOKEN = "lin_api_Secret0123456789abcdef"
PAGE = 2  # issues per page on the test server


def comment(n: int) -> dict[str, Any]:
    return {
        "body": f"Comment {n}",
        "createdAt": f"2024-03-02T10:{n:02d}:00.000Z",
        "user": {"name": "Sam"},
    }


def node(number: int, updated: str, comments: int = 0, title: str | None = None) -> dict[str, Any]:
    """Return an issue node as Linear's ``issues`` query answers it (all comments kept here;
    the server cuts them to the page the query asks for)."""
    return {
        "id": f"uuid-{number}",
        "identifier": f"ENG-{number}",
        "title": title or f"Issue {number}",
        "description": f"Body of **issue {number}**",
        "priority": 2,
        "priorityLabel": "High",
        "state": {"name": "In Progress", "type": "started"},
        "team": {"key": "ENG"},
        "labels": {"nodes": [{"name": "Bug"}]},
        "creator": {"name": "Jane Doe"},
        "assignee": None,
        "createdAt": "2024-03-01T10:00:00.000Z",
        "updatedAt": updated,
        "completedAt": None,
        "canceledAt": None,
        "url": f"https://linear.app/acme/issue/ENG-{number}",
        "comments": [comment(n) for n in range(1, comments + 1)],
        "project": {"name": "Editor"},
        "parent": None,
        "relations": {"nodes": []},
    }


class Linear:
    """Linear's GraphQL endpoint: the issues query (filter, newest first, cursor pages) and the
    follow-up query for an issue's further comments."""

    def __init__(self, server: ApiServer) -> None:
        self.issues = {
            1: node(1, "2024-03-05T09:00:00.500Z", comments=30),
            2: node(2, "2024-03-04T09:00:00.000Z", comments=1),
            3: node(3, "2024-03-03T09:00:00.000Z"),
        }
        server.route("POST", "/graphql", self.answer)

    def answer(self, request: Request) -> Reply:
        query, variables = request.body["query"], request.body["variables"]
        if "IssueComments" in query:
            number = int(variables["id"].split("-")[1])
            rest = self.issues[number]["comments"][int(variables["after"]) :]
            return Reply(json={"data": {"issue": {"comments": connection(rest, 0, 100)}}})
        found = sorted(self.issues.values(), key=lambda i: i["updatedAt"], reverse=True)
        since = ((variables.get("filter") or {}).get("updatedAt") or {}).get("gt")
        if since:
            found = [i for i in found if i["updatedAt"] > since.replace("Z", ".000Z")]
        start = int(variables["after"] or 0)
        page = connection(found, start, min(variables["first"], PAGE))
        shown = []
        for issue in page["nodes"]:
            first = int(query.split("comments(first: ")[1].split(")")[0])
            shown.append({**issue, "comments": connection(issue["comments"], 0, first)})
        page["nodes"] = shown
        return Reply(json={"data": {"issues": page}})


def connection(items: list[Any], start: int, first: int) -> dict[str, Any]:
    """Return a GraphQL connection of ``items[start:start+first]``; cursors are offsets."""
    end = start + first
    return {
        "nodes": items[start:end],
        "pageInfo": {"hasNextPage": end < len(items), "endCursor": str(end)},
    }


@pytest.fixture
def linear(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("LINEAR_TOKEN", TOKEN)
    with ApiServer() as server:
        yield server, Linear(server)


def setup(server: ApiServer, tmp_path: Path, project: str | None = None):
    src = SourceConfig(
        name="lin", type="linear", url=server.url, project=project, token_env="LINEAR_TOKEN"
    )
    return src, Config(sources=[src], base_dir=tmp_path)


def page_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / ".dataprep" / "snapshots" / "lin" / "pages").glob("*"))


def assert_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in caplog.text


def test_pull_saves_each_graphql_response_with_every_comment(linear, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server, _ = linear
    src, cfg = setup(server, tmp_path)

    summary = pull_source(src, cfg)

    assert (summary.pages, summary.items, summary.cursor) == (2, 3, "2024-03-05T09:00:00Z")
    pages = [json.loads(p.read_text()) for p in page_files(tmp_path)]
    issues = [page["data"]["issues"] for page in pages]
    assert [[n["identifier"] for n in i["nodes"]] for i in issues] == [
        ["ENG-1", "ENG-2"],
        ["ENG-3"],
    ]
    assert issues[0]["pageInfo"] == {"hasNextPage": True, "endCursor": "2"}
    first = issues[0]["nodes"][0]["comments"]
    assert [c["body"] for c in first["nodes"]] == [f"Comment {n}" for n in range(1, 31)]
    assert first["pageInfo"]["hasNextPage"] is False
    assert [c["body"] for c in issues[0]["nodes"][1]["comments"]["nodes"]] == ["Comment 1"]

    bodies = [r.body for r in server.requests]
    assert [b["variables"].get("after") for b in bodies] == [None, "25", "2"]
    assert "IssueComments" in bodies[1]["query"]  # ENG-1's comments after the first 25
    assert bodies[0]["variables"] == {"first": 50, "after": None, "filter": None}
    assert {r.headers["authorization"] for r in server.requests} == {TOKEN}
    assert_no_token(tmp_path, caplog)


def test_second_pull_filters_updated_after_the_cursor_and_keeps_the_new_versions(
    linear, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    server, fake = linear
    src, cfg = setup(server, tmp_path, project="ENG")
    pull_source(src, cfg)
    fake.issues[3] = node(3, "2024-03-06T08:00:00.000Z", title="Issue 3, edited")
    fake.issues[2] = node(2, "2024-03-06T09:30:00.000Z", comments=2, title="Issue 2, edited")
    server.clear()

    summary = pull_source(src, cfg)

    # ENG-1 (updated at 09:00:00.500, the cursor's second) comes again: the cursor is cut to
    # the second, so nothing updated within it is missed.
    assert (summary.run, summary.items, summary.cursor) == (2, 3, "2024-03-06T09:30:00Z")
    issue_queries = [
        r.body["variables"] for r in server.requests if "query Issues" in r.body["query"]
    ]
    assert issue_queries[0]["filter"] == {
        "updatedAt": {"gt": "2024-03-05T09:00:00Z"},
        "team": {"key": {"eq": "ENG"}},
    }
    second = [json.loads(p.read_text()) for p in page_files(tmp_path) if p.name.startswith("00002")]
    fetched = [n["identifier"] for page in second for n in page["data"]["issues"]["nodes"]]
    assert fetched == ["ENG-2", "ENG-3", "ENG-1"]

    read = ReadResult()
    for page in page_files(tmp_path):
        read.extend(connector.read_file(page, ReadContext("lin", page.name)))
    kept = read_stage(read).kept
    titles = dict(zip(kept["key"].to_list(), kept["title"].to_list(), strict=True))
    assert titles == {"ENG-1": "Issue 1", "ENG-2": "Issue 2, edited", "ENG-3": "Issue 3, edited"}
    assert_no_token(tmp_path, caplog)


def test_graphql_errors_in_a_200_answer_stop_the_pull_naming_the_message(linear, tmp_path):
    server, _ = linear
    errors = {
        "errors": [
            {
                "message": "Query too complex",
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ],
        "data": None,
    }
    server.fail("POST", "/graphql", Reply(json=errors))
    src, cfg = setup(server, tmp_path)

    with pytest.raises(PullError, match="Query too complex"):
        pull_source(src, cfg)

    assert page_files(tmp_path) == []


def test_refused_key_names_the_variable_and_writes_nothing(linear, tmp_path, caplog):
    server, _ = linear
    refusal = {"errors": [{"message": "Authentication required, not authenticated"}]}
    server.fail("POST", "/graphql", Reply(status=401, json=refusal))
    src, cfg = setup(server, tmp_path)

    with pytest.raises(PullError) as raised:
        pull_source(src, cfg)

    assert "$LINEAR_TOKEN" in str(raised.value) and TOKEN not in str(raised.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert_no_token(tmp_path, caplog)
