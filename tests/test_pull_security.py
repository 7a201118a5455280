"""A pull never sends its token astray and never loops forever, against real servers on loopback.

Two servers: the source's own (127.0.0.1) and another origin that records whatever reaches it
(127.0.0.2, or 127.0.0.1 on another port named ``localhost``). The API points the pull at the
other one through a ``Link`` next page, a ``comments_url`` or a redirect; the assertions are on
what the other server received. Paging cycles (a ``Link`` back, a cursor, token, offset or page
number that repeats) fail after a few requests.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from click.testing import CliRunner

from dataprep.cli import main
from dataprep.config import Config, parse_config
from dataprep.connectors.http import PullError
from dataprep.pull import SnapshotStore, client_for, pull_source
from tests.httpserver import ApiServer, GitHubFake, Reply, Request

TOKEN = "ghp_securityTestToken0123456789"
ISSUES = "/repos/acme/widgets/issues"


@pytest.fixture
def server(monkeypatch):
    for name in ("GH_TOKEN", "GITLAB_TOKEN", "JIRA_TOKEN", "LINEAR_TOKEN", "ADO_TOKEN"):
        monkeypatch.setenv(name, TOKEN)
    monkeypatch.setenv("JIRA_USER", "hana@acme.com")
    with ApiServer() as api:
        yield api


@pytest.fixture(params=["127.0.0.2", "localhost"])
def elsewhere(request):
    """Another origin, reachable (checked) and recording: 127.0.0.2, or localhost:OTHERPORT."""
    with ApiServer("127.0.0.2" if request.param == "127.0.0.2" else "127.0.0.1") as api:
        if request.param == "localhost":
            api.url = f"http://localhost:{api.port}"
        api.route("GET", ISSUES, lambda req: Reply(json=[]))
        assert httpx.get(f"{api.url}{ISSUES}", timeout=5).status_code == 200  # it would answer
        api.clear()
        yield api


def config(tmp_path: Path, server: ApiServer, **source: Any) -> Config:
    spec = {"name": "acme-gh", "type": "github", "url": server.url, "project": "acme/widgets"}
    spec.update({"token_env": "GH_TOKEN", **source})
    return parse_config({"sources": [spec]}, base_dir=tmp_path)


def pull(cfg: Config, **options: Any):
    src = cfg.sources[0]
    settings = {"max_tries": 2, "backoff": 0, "sleep": lambda s: None, "timeout": 5, **options}
    with client_for(src, **settings) as client:
        return pull_source(src, cfg, client=client)


def pages(cfg: Config) -> list[Path]:
    return SnapshotStore(cfg.snapshots_dir, cfg.sources[0].name).pages()


def assert_nothing_reached(other: ApiServer, tmp_path: Path) -> None:
    assert other.requests == []
    for path in tmp_path.rglob("*"):
        assert path.is_dir() or TOKEN.encode() not in path.read_bytes(), path


# --- Credentials go only to the configured origin -----------------------------------------------


def test_a_next_page_on_another_origin_is_refused_and_never_fetched(tmp_path, server, elsewhere):
    link = f'<{elsewhere.url}{ISSUES}?page=2>; rel="next"'
    server.route("GET", ISSUES, lambda req: Reply(json=[], headers={"Link": link}))
    cfg = config(tmp_path, server)
    with pytest.raises(PullError) as error:
        pull(cfg)
    assert str(error.value).startswith(
        f"acme-gh: refused GET {elsewhere.url}{ISSUES}?page=2: it is on {elsewhere.url}, "
        f"not on the source's origin {server.url}; "
    )
    assert_nothing_reached(elsewhere, tmp_path)
    assert len(server.requests) == 1
    assert [p.name for p in pages(cfg)] == ["00001-00001.json"]  # the page before is kept


def test_a_comments_url_on_another_origin_is_refused_and_never_fetched(tmp_path, server, elsewhere):
    gh = GitHubFake(server)
    issue = gh.add(1, "2024-02-01T09:00:00Z", comments=["First!"])
    issue["comments_url"] = f"{elsewhere.url}{ISSUES}/1/comments"
    cfg = config(tmp_path, server)
    with pytest.raises(PullError, match=rf"^acme-gh: refused GET {elsewhere.url}{ISSUES}/1/"):
        pull(cfg)
    assert_nothing_reached(elsewhere, tmp_path)
    assert pages(cfg) == []


def test_the_cli_prints_the_refusal_in_one_line_and_exits_1(tmp_path, server, elsewhere):
    link = f'<{elsewhere.url}{ISSUES}?page=2>; rel="next"'
    server.route("GET", ISSUES, lambda req: Reply(json=[], headers={"Link": link}))
    spec = {"name": "gh", "type": "github", "url": server.url, "project": "acme/widgets"}
    path = tmp_path / "dataprep.yaml"
    path.write_text(yaml.safe_dump({"sources": [{**spec, "token_env": "GH_TOKEN"}]}))
    result = CliRunner().invoke(main, ["pull", "--config", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith(f"pull failed: gh: refused GET {elsewhere.url}{ISSUES}")
    assert result.output.count("\n") == 1 and TOKEN not in result.output
    assert_nothing_reached(elsewhere, tmp_path)


def test_same_origin_next_pages_are_followed_with_the_token(tmp_path, server):
    gh = GitHubFake(server, page_size=2)
    for n in range(1, 6):
        gh.add(n, f"2024-02-0{n}T09:00:00Z", comments=["First!"] * (n % 2))
    summary = pull(config(tmp_path, server))
    assert (summary.pages, summary.items) == (3, 5)
    assert [r.path for r in server.requests].count(f"/repositories/{gh.repo_id}/issues") == 2
    assert {r.headers.get("authorization") for r in server.requests} == {f"Bearer {TOKEN}"}


def test_a_redirect_to_another_origin_reaches_it_without_the_token(tmp_path, server):
    with ApiServer("127.0.0.2") as other:
        notes = "/api/v4/projects/acme%2Fwidgets/issues/1/notes"
        other.route("GET", notes, lambda req: Reply(json=[{"id": 7, "body": "moved"}]))
        issue = {"iid": 1, "user_notes_count": 1, "updated_at": "2024-03-05T09:00:00.000Z"}
        server.route("GET", "/api/v4/projects/acme%2Fwidgets/issues", lambda r: Reply(json=[issue]))
        server.route(
            "GET", notes, lambda req: Reply(status=301, headers={"Location": f"{other.url}{notes}"})
        )
        cfg = config(tmp_path, server, type="gitlab", token_env="GITLAB_TOKEN")
        pull(cfg)
    (moved,) = other.requests
    assert "private-token" not in moved.headers and TOKEN not in json.dumps(moved.headers)
    assert [r.headers.get("private-token") for r in server.requests] == [TOKEN, TOKEN]
    (page,) = pages(cfg)
    assert json.loads(page.read_text())[0]["notes"] == [{"id": 7, "body": "moved"}]


# --- Paging cycles and the page cap --------------------------------------------------------------


def test_a_link_back_to_the_first_page_fails_after_two_pages(tmp_path, server):
    def issues(request: Request) -> Reply:
        if request.query.get("page") == "2":  # back to page 1, its query in another order
            back = f"{server.url}{ISSUES}?direction=desc&sort=updated&per_page=100&state=all"
            return Reply(json=[], headers={"Link": f'<{back}>; rel="next"'})
        return Reply(json=[], headers={"Link": f'<{server.url}{ISSUES}?page=2>; rel="next"'})

    server.route("GET", ISSUES, issues)
    started = time.monotonic()
    with pytest.raises(PullError) as error:
        pull(config(tmp_path, server))
    assert time.monotonic() - started < 5
    assert str(error.value).startswith(
        f"acme-gh: GET {server.url}{ISSUES}?direction=desc&sort=updated&per_page=100&state=all "
        "was already fetched in this pull: the API's next page leads back to an earlier page"
    )
    assert len(server.requests) == 2


def test_a_comments_link_cycle_fails_too(tmp_path, server):
    gh = GitHubFake(server)
    gh.add(1, "2024-02-01T09:00:00Z", comments=["First!"])
    comments = f"{ISSUES}/1/comments"
    server.route(
        "GET",
        comments,
        lambda req: Reply(
            json=[], headers={"Link": f'<{server.url}{comments}?page=1>; rel="next"'}
        ),
    )
    with pytest.raises(PullError, match=rf"GET {server.url}{comments}\?page=1 was already"):
        pull(config(tmp_path, server))
    assert len(server.paths()) <= 4


SCHEMES = {
    # name: (source fields, method, path, an answer that always points at the same next page)
    "jira cloud token": (
        {"type": "jira", "url": "{url}/rest/api/3", "project": "ACME", "user_env": "JIRA_USER"},
        "POST",
        "/rest/api/3/search/jql",
        {"issues": [{"key": "ACME-1", "fields": {}}], "nextPageToken": "t1", "isLast": False},
    ),
    "jira server offset": (
        {"type": "jira", "url": "{url}/rest/api/2", "project": "ACME"},
        "GET",
        "/rest/api/2/search",
        {"startAt": 0, "maxResults": 2, "total": 9, "issues": [{"key": "A-1"}, {"key": "A-2"}]},
    ),
    "linear cursor": (
        {"type": "linear", "url": "{url}"},
        "POST",
        "/graphql",
        {"data": {"issues": {"nodes": [], "pageInfo": {"hasNextPage": True, "endCursor": "c1"}}}},
    ),
}


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_a_cursor_token_or_offset_that_repeats_fails_after_two_pages(tmp_path, server, scheme):
    fields, method, path, answer = SCHEMES[scheme]
    server.route(method, path, lambda req: Reply(json=answer))
    token_env = "LINEAR_TOKEN" if fields["type"] == "linear" else "JIRA_TOKEN"
    source = {**fields, "url": fields["url"].format(url=server.url), "token_env": token_env}
    cfg = parse_config({"sources": [{"name": "src", **source}]}, base_dir=tmp_path)
    with pytest.raises(PullError, match=r"^src: .* was already fetched in this pull"):
        pull(cfg)
    assert len(server.requests) == 2


def test_a_page_number_that_repeats_fails_after_two_pages(tmp_path, server):
    issues = "/api/v4/projects/acme%2Fwidgets/issues"
    server.route("GET", issues, lambda req: Reply(json=[], headers={"X-Next-Page": "2"}))
    cfg = config(tmp_path, server, type="gitlab", token_env="GITLAB_TOKEN")
    with pytest.raises(PullError, match=rf"GET {server.url}{issues}\?.*page=2 was already"):
        pull(cfg)
    assert len(server.requests) == 2


def test_a_continuation_token_that_repeats_fails_after_two_pages(tmp_path, server):
    root = "/Fabrikam/_apis/wit"
    server.route("POST", f"{root}/wiql", lambda req: Reply(json={"workItems": [{"id": 1}]}))
    item = {"id": 1, "fields": {"System.CommentCount": 5}}
    server.route("POST", f"{root}/workitemsbatch", lambda req: Reply(json={"value": [item]}))
    again = {"comments": [{"id": 1}], "continuationToken": "same"}
    server.route("GET", f"{root}/workItems/1/comments", lambda req: Reply(json=again))
    cfg = config(tmp_path, server, type="azure_devops", project="Fabrikam", token_env="ADO_TOKEN")
    with pytest.raises(PullError, match=r"comments\?.*continuationToken=same was already"):
        pull(cfg)
    assert server.paths("GET") == [f"{root}/workItems/1/comments"] * 2


def test_an_endless_listing_stops_at_max_pages_and_resumes_after_them(tmp_path, server):
    def issues(request: Request) -> Reply:
        following = int(request.query.get("page", 1)) + 1
        link = f'<{server.url}{ISSUES}?page={following}>; rel="next"'
        return Reply(json=[], headers={"Link": link})

    server.route("GET", ISSUES, issues)
    cfg = config(tmp_path, server)
    with pytest.raises(PullError, match=r"^acme-gh: stopped after 3 pages, before GET .*page=4"):
        pull(cfg, max_pages=3)
    assert (len(server.requests), len(pages(cfg))) == (3, 3)
    with pytest.raises(PullError, match=r"stopped after 3 pages, before GET .*page=7"):
        pull(cfg, max_pages=3)
