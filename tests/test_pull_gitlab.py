"""`dataprep pull` of a GitLab project against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from dataprep.config import Config, SourceConfig
from dataprep.connectors import ReadContext, ReadResult
from dataprep.connectors import gitlab as connector
from dataprep.connectors.http import PullError
from dataprep.pipeline import read_stage
from dataprep.pull import pull_source
from tests.httpserver import ApiServer, Reply, Request

TOKEN = "glpat-Secret-0123456789abcdef"
ISSUES = "/api/v4/projects/acme%2Fwidgets/issues"
PAGE = 2  # the test server's page size (GitLab caps per_page the same way)


def issue(iid: int, updated: str, notes: int = 0, title: str | None = None) -> dict[str, Any]:
    """Return a GitLab REST v4 issue as ``GET /projects/:id/issues`` lists it."""
    return {
        "id": 1000 + iid,
        "iid": iid,
        "project_id": 7,
        "title": title or f"Issue {iid}",
        "description": f"Body of issue {iid}",
        "state": "opened",
        "created_at": "2024-03-01T10:00:00.000Z",
        "updated_at": updated,
        "closed_at": None,
        "labels": ["bug"],
        "author": {"id": 1, "username": "jane", "name": "Jane Doe"},
        "assignees": [],
        "type": "ISSUE",
        "issue_type": "issue",
        "user_notes_count": notes,
        "web_url": f"https://gitlab.example.com/acme/widgets/-/issues/{iid}",
    }


def note(n: int, iid: int, system: bool = False) -> dict[str, Any]:
    return {
        "id": 500 + n,
        "type": None,
        "body": "changed the description" if system else f"Note {n} on {iid}",
        "author": {"id": 2, "username": "sam", "name": "Sam Roe"},
        "created_at": f"2024-03-02T10:0{n}:00.000Z",
        "updated_at": f"2024-03-02T10:0{n}:00.000Z",
        "system": system,
        "noteable_id": 1000 + iid,
        "noteable_type": "Issue",
        "noteable_iid": iid,
    }


def paged(items: list[Any], request: Request) -> Reply:
    """Answer one page of ``items`` the way GitLab does: ``X-Next-Page`` empty on the last."""
    page = int(request.query.get("page", "1"))
    chunk = items[(page - 1) * PAGE : page * PAGE]
    more = page * PAGE < len(items)
    headers = {"X-Page": str(page), "X-Next-Page": str(page + 1) if more else ""}
    return Reply(json=chunk, headers=headers)


class GitLab:
    """A project's issues and notes served like GitLab REST v4 (filter, sort, pages)."""

    def __init__(self, server: ApiServer) -> None:
        self.issues = {
            1: issue(1, "2024-03-05T09:00:00.000Z", notes=2),
            2: issue(2, "2024-03-04T09:00:00.000Z"),
            3: issue(3, "2024-03-03T09:00:00.000Z", notes=1),
            4: issue(4, "2024-03-02T09:00:00.000Z"),
            5: issue(5, "2024-03-01T09:00:00.000Z"),
        }
        # Issue 1: two user notes and a system note, over two pages.
        self.notes = {1: [note(1, 1), note(2, 1, system=True), note(3, 1)], 3: [note(4, 3)]}
        server.route("GET", ISSUES, self.list_issues)
        for iid in self.issues:
            server.route("GET", f"{ISSUES}/{iid}/notes", self.list_notes)

    def list_issues(self, request: Request) -> Reply:
        found = list(self.issues.values())
        since = request.query.get("updated_after")
        if since:
            found = [i for i in found if i["updated_at"] >= since.replace("Z", ".000Z")]
        found.sort(key=lambda i: i["updated_at"], reverse=True)
        return paged(found, request)

    def list_notes(self, request: Request) -> Reply:
        iid = int(request.path.split("/")[-2])
        return paged(self.notes.get(iid, []), request)


@pytest.fixture
def gitlab(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    with ApiServer() as server:
        yield server, GitLab(server)


def setup(server: ApiServer, tmp_path: Path) -> tuple[SourceConfig, Config]:
    src = SourceConfig(
        name="gl",
        type="gitlab",
        url=f"{server.url}/api/v4",
        project="acme/widgets",
        token_env="GITLAB_TOKEN",
    )
    return src, Config(sources=[src], base_dir=tmp_path)


def page_files(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / ".dataprep" / "snapshots" / "gl" / "pages").glob("*"))


def assert_no_token(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    assert TOKEN not in caplog.text


def test_pull_pages_issues_newest_first_with_all_notes_embedded(gitlab, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    server, _ = gitlab
    src, cfg = setup(server, tmp_path)

    summary = pull_source(src, cfg)

    assert (summary.run, summary.pages, summary.items) == (1, 3, 5)
    assert summary.cursor == "2024-03-05T09:00:00Z"
    files = page_files(tmp_path)
    assert [p.name for p in files] == ["00001-00001.json", "00001-00002.json", "00001-00003.json"]
    pages = [json.loads(p.read_text()) for p in files]
    assert [[i["iid"] for i in page] for page in pages] == [[1, 2], [3, 4], [5]]
    first = pages[0][0]
    assert [n["id"] for n in first["notes"]] == [501, 502, 503]  # system note kept in the page
    assert first["notes"][1]["system"] is True
    assert [n["body"] for n in pages[1][0]["notes"]] == ["Note 4 on 3"]
    assert pages[0][1]["notes"] == [] and pages[2][0]["notes"] == []

    lists = [r for r in server.requests if r.path == ISSUES]
    assert lists[0].query == {
        "scope": "all",
        "per_page": "100",
        "order_by": "updated_at",
        "sort": "desc",
    }
    assert [r.query.get("page") for r in lists] == [None, "2", "3"]
    notes = [(r.path.split("/")[-2], r.query) for r in server.requests if r.path.endswith("notes")]
    assert notes == [
        ("1", {"per_page": "100", "sort": "asc"}),
        ("1", {"per_page": "100", "sort": "asc", "page": "2"}),
        ("3", {"per_page": "100", "sort": "asc"}),
    ]  # issues without user notes are not asked
    assert {r.headers["private-token"] for r in server.requests} == {TOKEN}
    assert_no_token(tmp_path, caplog)


def test_second_pull_asks_updated_after_the_cursor_and_keeps_the_new_versions(
    gitlab, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    server, project = gitlab
    src, cfg = setup(server, tmp_path)
    pull_source(src, cfg)
    project.issues[4] = issue(4, "2024-03-06T08:00:00.000Z", title="Issue 4, edited")
    project.issues[2] = issue(2, "2024-03-06T09:30:00.000Z", notes=1, title="Issue 2, edited")
    project.notes[2] = [note(5, 2)]
    server.clear()

    summary = pull_source(src, cfg)

    assert (summary.run, summary.items, summary.cursor) == (2, 3, "2024-03-06T09:30:00Z")
    lists = [r for r in server.requests if r.path == ISSUES]
    assert [r.query.get("updated_after") for r in lists] == ["2024-03-05T09:00:00Z"] * 2
    # Issue 1 (updated at the cursor) comes again: updated_after is inclusive.
    notes = [f"{ISSUES}/{iid}/notes" for iid in (2, 1, 1)]
    assert server.paths() == [ISSUES, notes[0], ISSUES, notes[1], notes[2]]
    second = [json.loads(p.read_text()) for p in page_files(tmp_path) if p.name.startswith("00002")]
    fetched = {i["iid"]: i for page in second for i in page}
    assert sorted(fetched) == [1, 2, 4]
    assert fetched[2]["title"] == "Issue 2, edited"
    assert [n["body"] for n in fetched[2]["notes"]] == ["Note 5 on 2"]
    assert fetched[4]["title"] == "Issue 4, edited"
    state = json.loads((tmp_path / ".dataprep/snapshots/gl/state.json").read_text())
    assert (state["runs"], state["in_progress"]) == (2, None)

    # The build reads every page with the GitLab connector; the newest copy of each id wins.
    read = ReadResult()
    for page in page_files(tmp_path):
        read.extend(connector.read_file(page, ReadContext("gl", page.name)))
    kept = read_stage(read).kept
    titles = dict(zip(kept["key"].to_list(), kept["title"].to_list(), strict=True))
    assert titles == {
        "#1": "Issue 1",
        "#2": "Issue 2, edited",
        "#3": "Issue 3",
        "#4": "Issue 4, edited",
        "#5": "Issue 5",
    }
    comments = dict(zip(kept["key"].to_list(), kept["comments"].to_list(), strict=True))
    assert [c["body"] for c in comments["#1"]] == ["Note 1 on 1", "Note 3 on 1"]  # no system note
    assert_no_token(tmp_path, caplog)


def test_refused_token_names_the_variable_and_writes_nothing(gitlab, tmp_path, caplog):
    server, _ = gitlab
    server.fail("GET", ISSUES, Reply(status=401, json={"message": "401 Unauthorized"}))
    src, cfg = setup(server, tmp_path)

    with pytest.raises(PullError) as raised:
        pull_source(src, cfg)

    message = str(raised.value)
    assert "$GITLAB_TOKEN" in message and "401" in message and ISSUES in message
    assert TOKEN not in message
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert len(server.requests) == 1  # not retried
    assert_no_token(tmp_path, caplog)
