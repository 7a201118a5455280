"""The GitHub puller against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dataprep.config import parse_config
from dataprep.connectors import ReadContext, ReadResult, github
from dataprep.connectors.http import PullError
from dataprep.pull import SnapshotStore, client_for, pull_source
from tests.httpserver import ApiServer, GitHubFake

TOKEN = "ghp_github_test_token_1"


@pytest.fixture
def server():
    with ApiServer() as api:
        yield api


@pytest.fixture
def gh(server, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    return GitHubFake(server, page_size=2)


def pull_github(tmp_path, server, **source):
    spec = {"name": "gh", "type": "github", "url": server.url, "project": "acme/widgets"}
    spec.update(source)
    cfg = parse_config({"sources": [spec]}, base_dir=tmp_path)
    with client_for(cfg.sources[0], backoff=0, sleep=lambda s: None) as client:
        pull_source(cfg.sources[0], cfg, client=client)
    return SnapshotStore(cfg.snapshots_dir, "gh").pages()


def test_issues_are_asked_for_in_every_state_newest_first_with_the_token(tmp_path, server, gh):
    gh.add(1, "2024-02-01T09:00:00Z")
    pull_github(tmp_path, server, token_env="GH_TOKEN")
    (request,) = server.requests
    assert (request.path, request.query) == (
        "/repos/acme/widgets/issues",
        {"state": "all", "per_page": "100", "sort": "updated", "direction": "desc"},
    )
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"


def test_a_public_repository_is_pulled_without_a_token(tmp_path, server, gh):
    gh.add(1, "2024-02-01T09:00:00Z")
    pull_github(tmp_path, server)
    assert "authorization" not in server.requests[0].headers


def test_comments_are_fetched_in_full_and_embedded_pull_requests_left_as_received(
    tmp_path, server, gh
):
    gh.add(1, "2024-02-01T09:00:00Z", comments=["One.", "Two.", "Three."])
    gh.add(2, "2024-02-02T09:00:00Z")
    gh.add(3, "2024-02-03T09:00:00Z", comments=["Looks good."], pull_request=True)

    pages = pull_github(tmp_path, server)

    assert server.paths() == [
        "/repos/acme/widgets/issues",  # page 1: #3 (pull request), #2 (no comments)
        "/repositories/1300192/issues",  # page 2: #1
        "/repos/acme/widgets/issues/1/comments",
        "/repos/acme/widgets/issues/1/comments",  # its second page of comments
    ]
    raw = [issue for page in pages for issue in json.loads(page.read_text())]
    assert [(i["number"], i["comments"]) for i in raw[:2]] == [(3, 1), (2, [])]
    assert raw[2]["comments"] == gh.comments[1]
    assert {k: v for k, v in raw[2].items() if k != "comments"} == {
        k: v for k, v in gh.issues[1].items() if k != "comments"
    }


def test_the_pages_read_back_as_records_with_their_comments(tmp_path, server, gh):
    gh.add(
        7,
        "2024-02-01T09:00:00Z",
        title="Crash when the list is empty",
        comments=["Me too", "Fixed in #9"],
    )
    gh.add(9, "2024-02-02T09:00:00Z", pull_request=True)

    read = ReadResult()
    for page in pull_github(tmp_path, server):
        read.extend(github.read_file(page, ReadContext("gh", page.name)))

    (record,) = read.records
    assert {k: record[k] for k in ("record_id", "title", "status", "links", "origin")} == {
        "record_id": "github:acme/widgets#7",
        "title": "Crash when the list is empty",
        "status": "open",
        "links": ["acme/widgets#9"],
        "origin": "00001-00001.json:$[1]",
    }
    assert record["comments"] == [
        {"author": "user1", "created_at": datetime(2024, 1, 2, 10, tzinfo=UTC), "body": "Me too"},
        {
            "author": "user2",
            "created_at": datetime(2024, 1, 2, 11, tzinfo=UTC),
            "body": "Fixed in #9",
        },
    ]
    assert read.skipped == [
        {
            "record_id": "github:acme/widgets#9",
            "reason": "source:pull-request",
            "detail": "https://github.com/acme/widgets/pull/9",
        }
    ]


def test_the_project_must_name_owner_and_repository(tmp_path, server, gh):
    with pytest.raises(PullError, match=r"^gh: project: set it to the repository as OWNER/REPO$"):
        pull_github(tmp_path, server, project="widgets")
    assert server.requests == []
