"""The GitHub Releases puller against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from dataprep.config import Config, SourceConfig
from dataprep.connectors import ReadContext, ReadResult, github_release
from dataprep.connectors.http import PullError
from dataprep.connectors.pullers import PULLERS
from dataprep.pull import SnapshotStore, client_for, pull_source
from tests.httpserver import ApiServer, Reply, Request

TOKEN = "ghp_github_release_test_token_1"
REPO, REPO_ID = "acme/widgets", 1300192


class ReleasesFake:
    """``GET /repos/{repo}/releases`` as GitHub answers it: newest first, ``page_size`` a page,
    the ``Link`` header pointing at ``/repositories/{id}/releases``; no ``since`` parameter."""

    def __init__(self, server: ApiServer, page_size: int = 2) -> None:
        self.server = server
        self.page_size = page_size
        self.releases: list[dict[str, Any]] = []
        for path in (f"/repos/{REPO}/releases", f"/repositories/{REPO_ID}/releases"):
            server.route("GET", path, self._list)

    def add(self, n: int, created_at: str, published_at: str | None) -> dict[str, Any]:
        """Add release ``v1.n.0`` (a draft when ``published_at`` is None)."""
        api = f"{self.server.url}/repos/{REPO}/releases/{150000000 + n}"
        tag = f"v1.{n}.0"
        release = {
            "url": api,
            "assets_url": f"{api}/assets",
            "html_url": f"https://github.com/{REPO}/releases/tag/{tag}",
            "id": 150000000 + n,
            "author": {"login": "octo-dev", "id": 583231, "type": "User", "site_admin": False},
            "node_id": f"RE_kwDOA{n:05d}",
            "tag_name": tag,
            "target_commitish": "main",
            "name": f"Widgets 1.{n}",
            "draft": published_at is None,
            "prerelease": False,
            "created_at": created_at,
            "published_at": published_at,
            "assets": [],
            "body": f"Fixes #{n}.",
        }
        self.releases.append(release)
        return release

    def _list(self, request: Request) -> Reply:
        items = sorted(self.releases, key=lambda r: (r["created_at"], r["id"]), reverse=True)
        page = int(request.query.get("page", 1))
        last = max(1, -(-len(items) // self.page_size))
        query = {k: v for k, v in request.query.items() if k != "page"}
        links = [
            f"<{self.server.url}/repositories/{REPO_ID}/releases?"
            f'{urlencode({**query, "page": number})}>; rel="{rel}"'
            for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last))
            if 1 <= number <= last and number != page
        ]
        headers = {"Link": ", ".join(links)} if links else {}
        start = (page - 1) * self.page_size
        return Reply(json=items[start : start + self.page_size], headers=headers)


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    # Until the type is wired into PULLERS (a no-op once it is).
    monkeypatch.setitem(PULLERS, "github_release", "github_release")


@pytest.fixture
def server():
    with ApiServer() as api:
        yield api


@pytest.fixture
def releases(server, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    fake = ReleasesFake(server, page_size=2)
    for n in range(1, 6):  # v1.1.0 .. v1.5.0, published an hour after they were made
        fake.add(n, f"2024-02-0{n}T09:00:00Z", f"2024-02-0{n}T10:00:00Z")
    return fake


def source(server: ApiServer, **values) -> SourceConfig:
    spec = {"name": "rel", "type": "github_release", "url": server.url, "project": REPO}
    return SourceConfig(**{**spec, **values})


def run(tmp_path: Path, src: SourceConfig):
    cfg = Config(sources=[src], base_dir=tmp_path)
    with client_for(src, backoff=0, sleep=lambda s: None) as client:
        return pull_source(src, cfg, client=client)


def pages(tmp_path: Path, run_number: int | None = None) -> list[Path]:
    found = SnapshotStore(tmp_path / ".dataprep" / "snapshots", "rel").pages()
    return [p for p in found if run_number is None or p.name.startswith(f"{run_number:05d}-")]


def tags(page: Path) -> list[str]:
    return [release["tag_name"] for release in json.loads(page.read_text())]


def test_releases_are_asked_for_a_hundred_a_page_with_the_github_headers(
    tmp_path, server, releases
):
    run(tmp_path, source(server, token_env="GH_TOKEN"))

    request = server.requests[0]
    assert (request.path, request.query) == ("/repos/acme/widgets/releases", {"per_page": "100"})
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["accept"] == "application/vnd.github+json"
    assert request.headers["x-github-api-version"] == "2022-11-28"


def test_every_page_is_followed_through_the_link_header_and_written_as_received(
    tmp_path, server, releases
):
    summary = run(tmp_path, source(server))

    assert [(r.path, r.query.get("page")) for r in server.requests] == [
        ("/repos/acme/widgets/releases", None),
        ("/repositories/1300192/releases", "2"),
        ("/repositories/1300192/releases", "3"),
    ]
    assert [tags(p) for p in pages(tmp_path)] == [
        ["v1.5.0", "v1.4.0"],
        ["v1.3.0", "v1.2.0"],
        ["v1.1.0"],
    ]
    assert json.loads(pages(tmp_path)[2].read_text()) == [releases.releases[0]]
    assert (summary.pages, summary.items, summary.cursor) == (3, 5, "2024-02-05T10:00:00Z")


def test_the_pages_read_back_as_release_records(tmp_path, server, releases):
    releases.add(6, "2024-02-07T09:00:00Z", None)  # a draft, listed first
    run(tmp_path, source(server))

    read = ReadResult()
    for page in pages(tmp_path):
        read.extend(github_release.read_file(page, ReadContext("rel", page.name)))

    assert [(r["record_id"], r["status"], r["links"], r["origin"]) for r in read.records[:3]] == [
        ("github_release:acme/widgets@v1.6.0", "open", ["acme/widgets#6"], "00001-00001.json:$[0]"),
        ("github_release:acme/widgets@v1.5.0", "done", ["acme/widgets#5"], "00001-00001.json:$[1]"),
        ("github_release:acme/widgets@v1.4.0", "done", ["acme/widgets#4"], "00001-00002.json:$[0]"),
    ]
    assert (len(read.records), read.quarantine) == (6, [])


def test_an_incremental_pull_stops_at_the_first_page_older_than_the_cursor(
    tmp_path, server, releases
):
    src = source(server)
    run(tmp_path, src)
    releases.add(6, "2024-03-01T09:00:00Z", "2024-03-01T10:00:00Z")
    server.clear()

    summary = run(tmp_path, src)

    # Page 1 holds v1.6.0 (new) and v1.5.0 (at the cursor); page 2 is all older, so it is not
    # written and page 3 is not asked for.
    assert [r.query.get("page") for r in server.requests] == [None, "2"]
    assert [tags(p) for p in pages(tmp_path, 2)] == [["v1.6.0", "v1.5.0"]]
    assert (summary.pages, summary.items, summary.cursor) == (1, 2, "2024-03-01T10:00:00Z")


def test_a_release_published_after_the_cursor_counts_as_new_though_made_before_it(
    tmp_path, server, releases
):
    src = source(server)
    releases.releases[1].update(published_at="2024-02-20T10:00:00Z")  # v1.2.0, listed last
    draft = releases.add(6, "2024-02-06T09:00:00Z", None)
    run(tmp_path, src)  # cursor: v1.2.0's published_at, after the draft's created_at
    draft.update(draft=False, published_at="2024-03-01T10:00:00Z")
    server.clear()

    summary = run(tmp_path, src)

    assert [tags(p) for p in pages(tmp_path, 2)] == [["v1.6.0", "v1.5.0"]]
    assert [r.query.get("page") for r in server.requests] == [None, "2"]
    assert summary.cursor == "2024-03-01T10:00:00Z"


def test_a_new_draft_counts_by_when_it_was_made(tmp_path, server, releases):
    src = source(server)
    run(tmp_path, src)
    releases.add(6, "2024-03-02T09:00:00Z", None)
    server.clear()

    summary = run(tmp_path, src)

    assert [tags(p) for p in pages(tmp_path, 2)] == [["v1.6.0", "v1.5.0"]]
    assert summary.cursor == "2024-03-02T09:00:00Z"


def test_the_token_is_in_no_file_and_no_log_line(tmp_path, server, releases, caplog):
    caplog.set_level(logging.DEBUG)
    echo = f"Authorization: Bearer {TOKEN}".encode()
    server.fail("GET", "/repos/acme/widgets/releases", Reply(status=503, body=echo))
    src = source(server, token_env="GH_TOKEN")
    run(tmp_path, src)
    server.fail("GET", "/repos/acme/widgets/releases", Reply(status=401, body=echo))
    with pytest.raises(PullError) as error:
        run(tmp_path, src)

    written = {p: p.read_bytes() for p in (tmp_path / ".dataprep").rglob("*") if p.is_file()}
    logged = [record.getMessage() for record in caplog.records] + [str(error.value)]
    assert len(written) == 4  # three pages and the state
    assert any("retry" in line for line in logged)
    assert [path for path, data in written.items() if TOKEN.encode() in data] == []
    assert [line for line in logged if TOKEN in line] == []


def test_the_project_must_name_owner_and_repository(tmp_path, server, releases):
    with pytest.raises(PullError, match=r"^rel: project: set it to the repository as OWNER/REPO$"):
        run(tmp_path, source(server, project="widgets"))
    assert server.requests == []
