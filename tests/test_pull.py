"""``dataprep pull`` and the snapshot store, against a fake GitHub on 127.0.0.1: resume after an
interruption, incremental runs, invalid pages, refused tokens, and no token anywhere."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.config import Config, parse_config
from dataprep.connectors import ReadContext, ReadResult, github
from dataprep.connectors.http import PullError
from dataprep.pipeline import read_stage
from dataprep.pull import SnapshotStore, client_for, pull, pull_source
from tests.httpserver import ApiServer, GitHubFake, JiraFake, Reply

TOKEN = "ghp_0123456789abcdefSECRET"
PAGE_3 = 6  # issues: three pages of two


@pytest.fixture
def server():
    with ApiServer() as api:
        yield api


@pytest.fixture
def gh(server, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    fake = GitHubFake(server, page_size=2)
    for n in range(1, PAGE_3 + 1):
        fake.add(n, f"2024-02-0{n}T09:00:00Z", comments=["First!", "Second."][: n % 3])
    return fake


def config(tmp_path: Path, url: str, **source) -> Config:
    spec = {"name": "acme-gh", "type": "github", "url": url, "project": "acme/widgets"}
    spec.update(token_env="GH_TOKEN", **source)
    files = {"name": "notes", "type": "changelog", "path": "CHANGELOG.md"}
    return parse_config({"sources": [spec, files]}, base_dir=tmp_path)


def run(cfg: Config, sleeps: list[float] | None = None, **options):
    """Pull the first source with tiny, recorded waits."""
    src = cfg.sources[0]
    settings = {
        "max_tries": 3,
        "backoff": 0.001,
        "sleep": (sleeps if sleeps is not None else []).append,
    }
    settings.update(options)
    with client_for(src, **settings) as client:
        return pull_source(src, cfg, client=client)


def snapshot(cfg: Config) -> Path:
    return cfg.snapshots_dir / "acme-gh"


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def state(cfg: Config) -> dict:
    return json.loads((snapshot(cfg) / "state.json").read_text())


def numbers(page: Path) -> list[int]:
    return [issue["number"] for issue in json.loads(page.read_text())]


def read_snapshot(cfg: Config) -> ReadResult:
    total = ReadResult()
    for page in SnapshotStore(cfg.snapshots_dir, "acme-gh").pages():
        total.extend(github.read_file(page, ReadContext("acme-gh", page.name)))
    return total


def test_a_first_pull_writes_each_page_and_the_state(tmp_path, server, gh):
    cfg = config(tmp_path, server.url)
    summary = run(cfg)
    assert (summary.run, summary.pages, summary.items, summary.resumed) == (1, 3, 6, False)
    assert sorted(files(snapshot(cfg))) == [
        "pages/00001-00001.json",
        "pages/00001-00002.json",
        "pages/00001-00003.json",
        "state.json",
    ]  # no temporary files left behind
    pages = SnapshotStore(cfg.snapshots_dir, "acme-gh").pages()
    assert [numbers(p) for p in pages] == [[6, 5], [4, 3], [2, 1]]
    assert state(cfg) == {
        "cursor": "2024-02-06T09:00:00Z",
        "runs": 1,
        "in_progress": None,
        "invalid": {},
    }


def test_an_interrupted_pull_resumes_at_the_page_it_failed_on(tmp_path, server, gh):
    on_page_3 = lambda req: req.query.get("page") == "3"  # noqa: E731
    server.fail("GET", "/repositories/1300192/issues", *[Reply(drop=True)] * 3, when=on_page_3)
    cfg = config(tmp_path, server.url)
    with pytest.raises(PullError, match=r"acme-gh: GET .*page=3 failed after 3 tries"):
        run(cfg)
    assert sorted(files(snapshot(cfg) / "pages")) == ["00001-00001.json", "00001-00002.json"]
    progress = state(cfg)["in_progress"]
    assert (progress["run"], progress["pages"], progress["newest"]) == (
        1,
        2,
        "2024-02-06T09:00:00Z",
    )
    assert "page=3" in progress["next"]["url"]
    assert state(cfg)["runs"] == 0

    server.clear()
    summary = run(cfg)
    first = server.requests[0]
    assert (first.path, first.query["page"]) == ("/repositories/1300192/issues", "3")
    assert "/repos/acme/widgets/issues" not in server.paths()  # page 1 was not asked again
    assert (summary.run, summary.pages, summary.resumed) == (1, 1, True)
    pages = SnapshotStore(cfg.snapshots_dir, "acme-gh").pages()
    assert [numbers(p) for p in pages] == [[6, 5], [4, 3], [2, 1]]
    assert state(cfg)["cursor"] == "2024-02-06T09:00:00Z"
    assert state(cfg)["in_progress"] is None


def test_a_second_pull_fetches_only_what_changed_and_the_build_keeps_the_new_versions(
    tmp_path, server, gh
):
    cfg = config(tmp_path, server.url)
    run(cfg)
    gh.update(2, "2024-03-01T10:00:00Z", "Crash on empty list (reopened)")
    gh.update(4, "2024-03-02T10:00:00Z", "Export drops the last row")
    server.clear()

    summary = run(cfg)

    assert server.requests[0].query["since"] == "2024-02-06T09:00:00Z"
    # The two changed issues, and #6 again: `since` is inclusive, so the issue updated at the
    # cursor's second is fetched again (the build keeps one copy).
    run_2 = [
        p for p in SnapshotStore(cfg.snapshots_dir, "acme-gh").pages() if p.name[:5] == "00002"
    ]
    assert [numbers(p) for p in run_2] == [[4, 2], [6]]
    assert server.paths() == [
        "/repos/acme/widgets/issues",
        "/repos/acme/widgets/issues/4/comments",
        "/repos/acme/widgets/issues/2/comments",
        "/repositories/1300192/issues",
    ]
    assert (summary.run, summary.items, summary.cursor) == (2, 3, "2024-03-02T10:00:00Z")

    read = read_snapshot(cfg)
    kept = read_stage(read).kept.sort("key")
    assert kept["title"].to_list() == [
        "Issue 1",
        "Crash on empty list (reopened)",
        "Issue 3",
        "Export drops the last row",
        "Issue 5",
        "Issue 6",
    ]
    assert kept.filter(kept["key"] == "#4")["origin"].item() == "00002-00001.json:$[0]"
    assert kept.filter(kept["key"] == "#2")["comments"].item().to_list() == [
        {"author": "user1", "created_at": datetime(2024, 1, 2, 10, tzinfo=UTC), "body": "First!"},
        {"author": "user2", "created_at": datetime(2024, 1, 2, 11, tzinfo=UTC), "body": "Second."},
    ]
    assert read_stage(read).rejected["reason"].to_list() == ["read:duplicate-id"] * 3


def test_an_invalid_json_page_is_quarantined_and_the_pull_goes_on(tmp_path, server, gh):
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    on_page_2 = lambda req: req.query.get("page") == "2"  # noqa: E731
    link = f'<{server.url}/repositories/1300192/issues?page=3>; rel="next"'
    server.fail(
        "GET",
        "/repositories/1300192/issues",
        Reply(body=html, headers={"Content-Type": "text/html", "Link": link}),
        when=on_page_2,
    )
    cfg = config(tmp_path, server.url)
    summary = run(cfg)

    pages = files(snapshot(cfg) / "pages")
    assert sorted(pages) == ["00001-00001.json", "00001-00002.invalid", "00001-00003.json"]
    assert pages["00001-00002.invalid"] == html
    (entry,) = state(cfg)["invalid"].values()
    query = "state=all&per_page=100&sort=updated&direction=desc&page=2"
    assert entry["url"] == f"{server.url}/repositories/1300192/issues?{query}"
    assert "is not valid JSON" in entry["error"]
    # The run completed but the cursor did not move, so the next pull asks for everything again.
    assert (summary.invalid, state(cfg)["runs"], state(cfg)["cursor"]) == (1, 1, None)

    # The build reads the .invalid page with the same connector, which quarantines it.
    invalid = snapshot(cfg) / "pages" / "00001-00002.invalid"
    result = github.read_file(invalid, ReadContext("acme-gh", "snap/00001-00002.invalid"))
    assert [(q["reason"], q["origin"]) for q in result.quarantine] == [
        ("parse:invalid-json", "snap/00001-00002.invalid:1")
    ]

    server.clear()
    run(cfg)
    assert "since" not in server.requests[0].query
    assert state(cfg)["cursor"] == "2024-02-06T09:00:00Z"


def test_an_error_page_without_a_link_header_stops_the_pull_and_is_asked_again(
    tmp_path, server, gh
):
    on_page_2 = lambda req: req.query.get("page") == "2"  # noqa: E731
    proxy_page = Reply(body=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"})
    server.fail("GET", "/repositories/1300192/issues", proxy_page, when=on_page_2)
    cfg = config(tmp_path, server.url)
    with pytest.raises(PullError, match=r"page=2 is not valid JSON .*the next page depends on it"):
        run(cfg)
    assert sorted(files(snapshot(cfg) / "pages")) == ["00001-00001.json", "00001-00002.invalid"]

    server.clear()
    summary = run(cfg)
    assert server.requests[0].query["page"] == "2"
    assert sorted(files(snapshot(cfg) / "pages")) == [
        "00001-00001.json",
        "00001-00002.json",
        "00001-00003.json",
    ]
    assert (state(cfg)["invalid"], summary.cursor) == ({}, "2024-02-06T09:00:00Z")


def test_an_expired_token_fails_clearly_and_writes_nothing(tmp_path, server, gh):
    refused = Reply(status=401, json={"message": "Bad credentials", "status": "401"})
    server.fail("GET", "/repos/acme/widgets/issues", refused)
    cfg = config(tmp_path, server.url)
    with pytest.raises(PullError) as error:
        run(cfg)
    assert "acme-gh: GET" in str(error.value) and "check the token in $GH_TOKEN" in str(error.value)
    assert not (tmp_path / ".dataprep").exists()

    run(cfg)
    before = files(snapshot(cfg))
    server.fail("GET", "/repos/acme/widgets/issues", refused)
    with pytest.raises(PullError, match=r"HTTP 401"):
        run(cfg)
    assert files(snapshot(cfg)) == before


def test_a_token_variable_that_is_not_set_is_named(tmp_path, server, gh, monkeypatch):
    monkeypatch.delenv("GH_TOKEN")
    cfg = config(tmp_path, server.url)
    with pytest.raises(PullError, match=r"acme-gh: the environment variable \$GH_TOKEN is not set"):
        pull(cfg)
    assert server.requests == [] and not (tmp_path / ".dataprep").exists()


def test_pull_runs_the_api_sources_and_rejects_unknown_names(tmp_path, server, gh):
    cfg = config(tmp_path, server.url)
    with pytest.raises(
        PullError, match=r"no API source named 'notes'; API sources in the config: acme-gh"
    ):
        pull(cfg, ["notes"])
    [summary] = pull(cfg, ["acme-gh"])
    assert (summary.source, summary.pages) == ("acme-gh", 3)


def test_a_rewritten_page_replaces_its_invalid_copy(tmp_path):
    store = SnapshotStore(tmp_path, "src")
    store.write_invalid(1, 1, b"<html>", "https://api/x", "not JSON")
    assert store.state()["in_progress"] == {"run": 1, "pages": 0, "next": None}
    store.write_page(1, 1, [{"id": 1}], None, "2024-01-01T00:00:00Z")
    assert [p.name for p in store.pages()] == ["00001-00001.json"]
    assert store.state()["invalid"] == {}
    store.finish_run(1, "2024-01-01T00:00:00Z")
    assert store.begin_run() == 2


def test_no_token_in_any_file_or_log_line(tmp_path, server, gh, monkeypatch, caplog):
    """GitHub (bearer) and Jira Cloud (basic: user + token) through retries, rate limits,
    an invalid page, comment fetching and a final refusal, with DEBUG logging on."""
    caplog.set_level(logging.DEBUG)
    issues = "/repos/acme/widgets/issues"
    server.fail("GET", issues, Reply(status=500), Reply(status=429, headers={"Retry-After": "0"}))
    link = {"Link": f'<{server.url}/repositories/1300192/issues?page=3>; rel="next"'}
    bad_page = Reply(body=b"<html>", headers=link)
    server.fail("GET", "/repositories/1300192/issues", bad_page, Reply(drop=True))
    echo = f"Authorization: Bearer {TOKEN}".encode()
    server.fail("GET", "/repos/acme/widgets/issues/2/comments", Reply(status=503, body=echo))
    cfg = config(tmp_path, server.url)
    messages = []
    run(cfg)
    server.fail("GET", issues, Reply(status=401, body=echo))
    with pytest.raises(PullError) as error:
        run(cfg)
    messages.append(str(error.value))

    jira_token, user = "ATATT3xFfGF0SECRETjira", "hana@acme.com"
    monkeypatch.setenv("JIRA_TOKEN", jira_token)
    monkeypatch.setenv("JIRA_USER", user)
    jira = JiraFake(server, cloud=True)
    for n in range(1, 4):
        jira.add(n, f"2024-05-0{n}T10:00:00.000+0000", comments=3)
    server.fail("POST", "/rest/api/3/search/jql", Reply(status=502))
    jira_cfg = parse_config(
        {
            "sources": [
                {
                    "name": "acme-jira",
                    "type": "jira",
                    "url": f"{server.url}/rest/api/3",
                    "project": "ACME",
                    "token_env": "JIRA_TOKEN",
                    "user_env": "JIRA_USER",
                }
            ]
        },
        base_dir=tmp_path,
    )
    run(jira_cfg)
    pair = base64.b64encode(f"{user}:{jira_token}".encode()).decode()
    assert server.requests[-1].headers["authorization"] == f"Basic {pair}"

    written = files(tmp_path / ".dataprep")
    assert len(written) >= 6
    logged = [record.getMessage() for record in caplog.records] + messages
    assert any("retry" in line for line in logged)
    assert {"httpx", "httpcore.http11", "dataprep.pull"} <= {r.name for r in caplog.records}
    for secret in (TOKEN, jira_token, pair):
        assert [name for name, data in written.items() if secret.encode() in data] == []
        assert [line for line in logged if secret in line] == []
