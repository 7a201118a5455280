"""The Jira puller against fake Jira Cloud (v3) and Server (v2) APIs on 127.0.0.1."""

from __future__ import annotations

import base64
import json

import pytest

from dataprep.config import SourceConfig, parse_config
from dataprep.connectors import ReadContext, ReadResult, jira
from dataprep.connectors.http import HttpClient, PullError
from dataprep.connectors.pullers.jira import api_version, build_jql, jql_time
from dataprep.pipeline import read_stage
from dataprep.pull import SnapshotStore, client_for, pull_source
from tests.httpserver import ApiServer, JiraFake, Reply

TOKEN = "jira-test-token-xyz"
USER = "hana@acme.com"


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("JIRA_TOKEN", TOKEN)
    monkeypatch.setenv("JIRA_USER", USER)
    with ApiServer() as api:
        yield api


def make_config(tmp_path, server, cloud: bool, **source):
    spec = {
        "name": "acme-jira",
        "type": "jira",
        "url": f"{server.url}/rest/api/{3 if cloud else 2}",
        "project": "ACME",
        "token_env": "JIRA_TOKEN",
        "user_env": "JIRA_USER",
    }
    spec.update(source)
    return parse_config({"sources": [spec]}, base_dir=tmp_path)


def pull_jira(cfg):
    with client_for(cfg.sources[0], max_tries=2, backoff=0, sleep=lambda s: None) as client:
        return pull_source(cfg.sources[0], cfg, client=client)


def pages(cfg):
    return SnapshotStore(cfg.snapshots_dir, "acme-jira").pages()


def keys(page):
    return [issue["key"] for issue in json.loads(page.read_text())["issues"]]


def read_pages(paths) -> ReadResult:
    read = ReadResult()
    for page in paths:
        read.extend(jira.read_file(page, ReadContext("acme-jira", page.name)))
    return read


@pytest.mark.parametrize(
    ("url", "version"),
    [
        ("https://acme.atlassian.net", "3"),
        ("https://ACME.Atlassian.NET/", "3"),
        ("https://jira.acme.com", "2"),
        ("https://jira.acme.com/jira", "2"),
        ("https://notatlassian.net", "2"),
        ("https://tracker.acme.com/rest/api/3", "3"),
        ("https://acme.atlassian.net/rest/api/2/", "2"),
    ],
)
def test_cloud_when_the_host_is_atlassian_net_unless_the_url_names_the_api(url, version):
    assert api_version(url) == version


@pytest.mark.parametrize(
    ("project", "query", "since", "jql"),
    [
        ("ACME", None, None, 'project = "ACME" ORDER BY updated DESC'),
        ("ACME", None, "2024/05/03 06:00", '(project = "ACME") AND updated >= "2024/05/03 06:00" '
         "ORDER BY updated DESC"),
        (None, "project = ACME AND type = Bug order by created ASC", "2024/05/03 06:00",
         '(project = ACME AND type = Bug) AND updated >= "2024/05/03 06:00" order by created ASC'),
        (None, "ORDER BY key", "2024/05/03 06:00", 'updated >= "2024/05/03 06:00" ORDER BY key'),
    ],
)  # fmt: skip
def test_the_jql_gets_the_cursor_and_an_order(project, query, since, jql):
    src = SourceConfig("j", "jira", url="https://x", project=project, query=query)
    assert build_jql(src, since) == jql


def test_a_source_without_project_or_query_is_refused():
    with pytest.raises(PullError, match=r"^j: give 'project' \(a project key\) or 'query'"):
        build_jql(SourceConfig("j", "jira", url="https://x"), None)


def test_server_pages_by_start_at_and_fetches_truncated_comments_in_full(tmp_path, server):
    fake = JiraFake(server, cloud=False, page_size=2, comments_shown=2)
    for n in range(1, 6):
        fake.add(n, f"2024-05-0{n}T10:00:00.000+0000", comments=5 if n == 3 else 1)
    cfg = make_config(tmp_path, server, cloud=False)

    summary = pull_jira(cfg)

    searches = [r for r in server.requests if r.path == "/rest/api/2/search"]
    jql = 'project = "ACME" ORDER BY updated DESC'
    assert [r.query for r in searches] == [
        {"jql": jql, "startAt": str(at), "maxResults": "100", "fields": "*all"} for at in (0, 2, 4)
    ]
    comment_requests = [r.query for r in server.requests if r.path.endswith("/comment")]
    assert [(q["startAt"], q["maxResults"]) for q in comment_requests] == [
        ("0", "100"),
        ("2", "100"),
        ("4", "100"),
    ]
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert [keys(p) for p in pages(cfg)] == [["ACME-5", "ACME-4"], ["ACME-3", "ACME-2"], ["ACME-1"]]
    page_2 = json.loads(pages(cfg)[1].read_text())
    assert (page_2["startAt"], page_2["total"]) == (2, 5)
    comment = page_2["issues"][0]["fields"]["comment"]
    assert comment == {
        "comments": fake.comments["ACME-3"],
        "maxResults": 5,
        "total": 5,
        "startAt": 0,
    }
    (record,) = [r for r in read_pages(pages(cfg)).records if r["key"] == "ACME-3"]
    assert [c["body"] for c in record["comments"]] == [
        f"Comment {i} on ACME-3." for i in range(1, 6)
    ]
    assert (summary.items, summary.cursor) == (5, "2024-05-05T10:00:00Z")


def test_cloud_pages_by_next_page_token_with_basic_auth(tmp_path, server):
    fake = JiraFake(server, cloud=True, page_size=2)
    for n in range(1, 4):
        fake.add(n, f"2024-05-0{n}T10:00:00.000+0000")
    cfg = make_config(tmp_path, server, cloud=True)

    pull_jira(cfg)

    bodies = [r.body for r in server.requests]
    first = {"jql": 'project = "ACME" ORDER BY updated DESC', "maxResults": 100, "fields": ["*all"]}
    assert bodies == [first, {**first, "nextPageToken": "2"}]
    pair = base64.b64encode(f"{USER}:{TOKEN}".encode()).decode()
    assert {r.headers["authorization"] for r in server.requests} == {f"Basic {pair}"}
    assert [keys(p) for p in pages(cfg)] == [["ACME-3", "ACME-2"], ["ACME-1"]]
    records = read_pages(pages(cfg)).records
    assert [(r["key"], r["body"]) for r in records][-1] == ("ACME-1", "Description of issue 1.")


def test_cloud_needs_the_user_variable(tmp_path, server, monkeypatch):
    monkeypatch.delenv("JIRA_USER")
    cfg = make_config(tmp_path, server, cloud=True)
    with pytest.raises(PullError, match=r"acme-jira: \$JIRA_USER is not set; it must hold"):
        pull_source(cfg.sources[0], cfg)
    assert server.requests == []


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "server"])
def test_a_second_pull_asks_from_the_cursor_in_the_users_time_zone(tmp_path, server, cloud):
    fake = JiraFake(server, cloud=cloud, page_size=10, time_zone="America/New_York")
    for n in range(1, 6):
        fake.add(n, f"2024-05-0{n}T10:00:00.000+0000")
    cfg = make_config(tmp_path, server, cloud=cloud)
    pull_jira(cfg)
    fake.update(2, "2024-06-01T08:30:00.000+0200", "Saved search loses its filter")
    fake.update(4, "2024-06-02T09:00:00.000+0000", "Export drops the last row")
    server.clear()

    summary = pull_jira(cfg)

    version = "3" if cloud else "2"
    assert server.paths()[0] == f"/rest/api/{version}/myself"
    search = server.requests[1]
    jql = search.body["jql"] if cloud else search.query["jql"]
    # The cursor 2024-05-05T10:00Z is 06:00 in New York (EDT).
    assert jql == '(project = "ACME") AND updated >= "2024/05/05 06:00" ORDER BY updated DESC'
    # The two changed issues and ACME-5, updated at the cursor (the JQL bound is inclusive).
    run_2 = [p for p in pages(cfg) if p.name.startswith("00002-")]
    assert [keys(p) for p in run_2] == [["ACME-4", "ACME-2", "ACME-5"]]
    assert summary.cursor == "2024-06-02T09:00:00Z"
    kept = read_stage(read_pages(pages(cfg))).kept.sort("key")
    assert kept["title"].to_list() == [
        "Issue 1",
        "Saved search loses its filter",
        "Issue 3",
        "Export drops the last row",
        "Issue 5",
    ]


def test_without_a_user_time_zone_the_cursor_is_moved_14_hours_earlier(server):
    server.route("GET", "/rest/api/2/myself", lambda req: Reply(json={"name": "svc-bot"}))
    with HttpClient("acme-jira", server.url, {}) as client:
        assert jql_time(client, "2", "2024-05-05T10:00:00Z") == "2024/05/04 20:00"


def test_an_invalid_server_page_is_skipped_and_the_pull_goes_on(tmp_path, server):
    fake = JiraFake(server, cloud=False, page_size=2)
    for n in range(1, 6):
        fake.add(n, f"2024-05-0{n}T10:00:00.000+0000")
    on_page_2 = lambda req: req.query.get("startAt") == "2"  # noqa: E731
    server.fail(
        "GET", "/rest/api/2/search", Reply(body=b'{"issues": [{"key": "ACM'), when=on_page_2
    )
    cfg = make_config(tmp_path, server, cloud=False)

    summary = pull_jira(cfg)

    assert [p.name for p in pages(cfg)] == [
        "00001-00001.json",
        "00001-00002.invalid",
        "00001-00003.json",
    ]
    assert [keys(pages(cfg)[0]), keys(pages(cfg)[2])] == [["ACME-5", "ACME-4"], ["ACME-1"]]
    assert (summary.invalid, summary.cursor) == (1, None)
    quarantined = read_pages(pages(cfg)).quarantine
    assert [(q["reason"], q["origin"]) for q in quarantined] == [
        ("parse:invalid-json", "00001-00002.invalid:1")
    ]


def test_an_invalid_cloud_page_stops_the_pull_and_the_next_pull_retries_it(tmp_path, server):
    fake = JiraFake(server, cloud=True, page_size=2)
    for n in range(1, 6):
        fake.add(n, f"2024-05-0{n}T10:00:00.000+0000")
    on_page_2 = lambda req: req.body.get("nextPageToken") == "2"  # noqa: E731
    html = b"<html>Service Unavailable</html>"
    server.fail("POST", "/rest/api/3/search/jql", Reply(body=html), when=on_page_2)
    cfg = make_config(tmp_path, server, cloud=True)

    with pytest.raises(PullError) as error:
        pull_jira(cfg)
    assert "/rest/api/3/search/jql is not valid JSON" in str(error.value)
    assert "the next page depends on it" in str(error.value)
    assert [p.name for p in pages(cfg)] == ["00001-00001.json", "00001-00002.invalid"]
    store = SnapshotStore(cfg.snapshots_dir, "acme-jira")
    assert store.state()["in_progress"]["pages"] == 1

    server.clear()
    summary = pull_jira(cfg)
    assert server.requests[0].body["nextPageToken"] == "2"
    assert [p.name for p in pages(cfg)] == [
        "00001-00001.json",
        "00001-00002.json",
        "00001-00003.json",
    ]
    assert store.state()["invalid"] == {}
    assert (summary.resumed, summary.cursor) == (True, "2024-05-05T10:00:00Z")
