"""The shared HTTP layer against a real server on 127.0.0.1: retries, waits, errors, paging."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest

from dataprep.connectors.http import (
    GraphQLCursorPaginator,
    HttpClient,
    HttpResponse,
    InvalidPage,
    LinkHeaderPaginator,
    NextPageHeaderPaginator,
    OffsetPaginator,
    PageGuard,
    PullError,
    TokenPaginator,
    origin,
    parse_link_header,
    request_dict,
)
from tests.httpserver import ApiServer, Reply

TOKEN = "ghp_T0pS3cretT0ken"
NOW = 1_700_000_000.0


@pytest.fixture
def server():
    with ApiServer() as api:
        api.route("GET", "/items", lambda req: Reply(json=[{"id": 1}]))
        yield api


def make_client(server: ApiServer, sleeps: list[float], **options) -> HttpClient:
    settings = {"max_tries": 3, "backoff": 0.01, "sleep": sleeps.append, "clock": lambda: NOW}
    settings.update(options)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return HttpClient("acme-gh", server.url, headers, token_env="GH_TOKEN", **settings)


def test_a_500_is_retried_after_a_jittered_backoff_then_succeeds(server):
    server.fail("GET", "/items", Reply(status=500, json={"message": "oops"}))
    sleeps: list[float] = []
    with make_client(server, sleeps) as client:
        response = client.request("GET", "/items")
    assert (response.status, response.json()) == (200, [{"id": 1}])
    assert len(server.paths()) == 2
    assert len(sleeps) == 1 and 0 <= sleeps[0] <= 0.01


def test_backoff_doubles_per_try_up_to_the_cap(server):
    server.fail("GET", "/items", *[Reply(status=503)] * 4)
    sleeps: list[float] = []
    with make_client(server, sleeps, max_tries=5, backoff=1.0, max_backoff=3.0) as client:
        client.request("GET", "/items")
    caps = [1.0, 2.0, 3.0, 3.0]  # 1 * 2**try, capped at max_backoff; full jitter below it
    assert len(sleeps) == 4 and all(0 <= s <= cap for s, cap in zip(sleeps, caps, strict=True))


def test_429_waits_the_seconds_retry_after_gives(server):
    server.fail("GET", "/items", Reply(status=429, headers={"Retry-After": "7"}))
    sleeps: list[float] = []
    with make_client(server, sleeps) as client:
        assert client.request("GET", "/items").status == 200
    assert sleeps == [7.0]


def test_retry_after_as_an_http_date_waits_until_then(server):
    when = datetime.fromtimestamp(NOW + 30, UTC)
    server.fail("GET", "/items", Reply(status=503, headers={"Retry-After": format_datetime(when)}))
    sleeps: list[float] = []
    with make_client(server, sleeps) as client:
        client.request("GET", "/items")
    assert sleeps == [30.0]


def test_github_spent_quota_waits_for_the_reset(server):
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 20)}
    body = b'{"message": "API rate limit exceeded for user ID 1."}'
    server.fail("GET", "/items", Reply(status=403, body=body, headers=spent))
    sleeps: list[float] = []
    with make_client(server, sleeps) as client:
        assert client.request("GET", "/items").status == 200
    assert sleeps == [21.0]  # until the reset, plus a second of slack


def test_the_last_request_of_a_quota_makes_the_next_one_wait(server):
    spent = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW) + 10)}
    server.fail("GET", "/items", Reply(json=[], headers=spent))
    sleeps: list[float] = []
    with make_client(server, sleeps) as client:
        client.request("GET", "/items")
        assert sleeps == []
        client.request("GET", "/items")
    assert sleeps == [11.0]


def test_a_wait_longer_than_max_wait_fails_with_when_to_retry(server):
    server.fail("GET", "/items", Reply(status=429, headers={"Retry-After": "3600"}))
    with make_client(server, [], max_wait=60) as client, pytest.raises(PullError) as error:
        client.request("GET", "/items")
    assert "rate limited for 3600 s" in str(error.value)
    assert "run the pull again later" in str(error.value)


def test_a_dropped_connection_is_retried(server):
    server.fail("GET", "/items", Reply(drop=True))
    with make_client(server, []) as client:
        assert client.request("GET", "/items").json() == [{"id": 1}]
    assert len(server.paths()) == 2


def test_a_slow_answer_times_out_and_is_retried(server):
    server.fail("GET", "/items", Reply(delay=0.5, json=["late"]))
    sleeps: list[float] = []
    with make_client(server, sleeps, timeout=0.1) as client:
        assert client.request("GET", "/items").json() == [{"id": 1}]
    assert len(sleeps) == 1


def test_bounded_tries_then_an_error_naming_source_and_url_not_the_token(server):
    server.fail("GET", "/items", *[Reply(drop=True)] * 3)
    with make_client(server, []) as client, pytest.raises(PullError) as error:
        client.request("GET", "/items", params={"page": 2})
    message = str(error.value)
    assert message.startswith(f"acme-gh: GET {server.url}/items?page=2 failed after 3 tries: ")
    assert "RemoteProtocolError" in message
    assert TOKEN not in message
    assert len(server.paths()) == 3


def test_401_fails_at_once_naming_the_token_variable(server):
    server.fail("GET", "/items", Reply(status=401, json={"message": "Bad credentials"}))
    with make_client(server, []) as client, pytest.raises(PullError) as error:
        client.request("GET", "/items")
    message = str(error.value)
    assert f"acme-gh: GET {server.url}/items was refused (HTTP 401, unauthorized)" in message
    assert "check the token in $GH_TOKEN" in message
    assert "Bad credentials" in message
    assert len(server.paths()) == 1


def test_403_without_rate_limit_headers_is_an_auth_error(server):
    server.fail("GET", "/items", Reply(status=403, json={"message": "Resource not accessible"}))
    with make_client(server, []) as client, pytest.raises(PullError, match=r"\$GH_TOKEN"):
        client.request("GET", "/items")
    assert len(server.paths()) == 1


def test_other_4xx_fail_at_once_with_the_api_explanation(server):
    with make_client(server, []) as client, pytest.raises(PullError) as error:
        client.request("GET", "/nowhere")
    assert str(error.value) == (
        f'acme-gh: GET {server.url}/nowhere failed: HTTP 404 Not Found: {{"message": "Not Found"}}'
    )


def test_secrets_echoed_by_the_server_are_scrubbed_from_errors(server):
    user_pass = base64.b64encode(f"me@acme.com:{TOKEN}".encode()).decode()
    echoed = f"bad header Authorization: Basic {user_pass} ({TOKEN})".encode()
    server.fail("GET", "/items", Reply(status=400, body=echoed))
    headers = {"Authorization": f"Basic {user_pass}"}
    with HttpClient("jira", server.url, headers) as client, pytest.raises(PullError) as error:
        client.request("GET", "/items")
    assert TOKEN not in str(error.value) and user_pass not in str(error.value)
    assert "Authorization: *** (***)" in str(error.value)


def test_every_request_carries_the_headers_and_a_timeout(server):
    server.route("POST", "/search", lambda req: Reply(json={"issues": []}))
    with make_client(server, [], timeout=4) as client:
        client.request("POST", "/search", json={"q": 1})
        assert client._client.timeout == httpx.Timeout(4)
    (request,) = server.requests
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.body == {"q": 1}


def test_urls_are_joined_to_the_base_keeping_its_path(server):
    with HttpClient("x", "https://ghe.acme.com/api/v3/", {}) as client:
        assert client.absolute("/repos/a/b") == "https://ghe.acme.com/api/v3/repos/a/b"
        assert client.absolute("https://other/x") == "https://other/x"


def test_a_body_that_is_not_json_raises_invalid_page_naming_the_url():
    response = HttpResponse(200, {}, "https://api/x?page=2", b"<html>502</html>", "gh")
    with pytest.raises(InvalidPage, match=r"^gh: GET https://api/x\?page=2 is not valid JSON"):
        response.json()


def page(body: bytes = b"{}", **headers: str) -> HttpResponse:
    return HttpResponse(200, httpx.Headers(headers), "https://api/x", body, "src")


def test_link_header_paginator_follows_rel_next_and_stops_without_it():
    first = request_dict("GET", "/repos/a/b/issues", {"state": "all"})
    link = (
        '<https://api/repositories/1/issues?page=2>; rel="next", <https://api/x?page=9>; rel="last"'
    )
    assert LinkHeaderPaginator().next_request(page(b"not json", link=link), first) == (
        request_dict("GET", "https://api/repositories/1/issues?page=2")
    )
    assert LinkHeaderPaginator().next_request(page(b"[]"), first) is None
    assert parse_link_header(link) == {
        "next": "https://api/repositories/1/issues?page=2",
        "last": "https://api/x?page=9",
    }


def test_next_page_header_paginator_sets_the_page_parameter():
    first = request_dict("GET", "/projects/1/issues", {"per_page": 100})
    following = NextPageHeaderPaginator().next_request(page(**{"X-Next-Page": "2"}), first)
    assert following["params"] == {"per_page": 100, "page": "2"}
    assert NextPageHeaderPaginator().next_request(page(**{"X-Next-Page": ""}), first) is None


def test_offset_paginator_advances_by_items_received_until_total():
    first = request_dict("GET", "/rest/api/2/search", {"jql": "x", "startAt": 0, "maxResults": 100})
    paginator = OffsetPaginator()
    body = b'{"startAt": 0, "maxResults": 2, "total": 5, "issues": [{}, {}]}'
    second = paginator.next_request(page(body), first)
    assert second["params"] == {"jql": "x", "startAt": 2, "maxResults": 100}
    # An invalid page is stepped over by the page size the server used.
    third = paginator.next_request(page(b"<html>"), second)
    assert third["params"]["startAt"] == 4
    last = b'{"startAt": 4, "maxResults": 2, "total": 5, "issues": [{}]}'
    assert paginator.next_request(page(last), third) is None
    assert OffsetPaginator().next_request(page(b'{"issues": [], "total": 9}'), first) is None


def test_token_paginator_puts_the_token_in_the_body_and_stops_on_is_last():
    first = request_dict("POST", "/rest/api/3/search/jql", json={"jql": "x", "maxResults": 100})
    body = b'{"issues": [{}], "nextPageToken": "tok2", "isLast": false}'
    assert TokenPaginator().next_request(page(body), first)["json"] == {
        "jql": "x",
        "maxResults": 100,
        "nextPageToken": "tok2",
    }
    last = b'{"issues": [{}], "isLast": true}'
    assert TokenPaginator().next_request(page(last), first) is None
    with pytest.raises(InvalidPage):
        TokenPaginator().next_request(page(b"<html>"), first)


def test_graphql_cursor_paginator_sets_variables_after():
    first = request_dict("POST", "/graphql", json={"query": "q", "variables": {"first": 50}})
    body = (
        b'{"data": {"issues": {"nodes": [], "pageInfo": {"hasNextPage": true, "endCursor": "c2"}}}}'
    )
    assert GraphQLCursorPaginator().next_request(page(body), first)["json"] == {
        "query": "q",
        "variables": {"first": 50, "after": "c2"},
    }
    done = b'{"data": {"issues": {"nodes": [], "pageInfo": {"hasNextPage": false}}}}'
    assert GraphQLCursorPaginator().next_request(page(done), first) is None


# --- Credentials go only to the source's origin ---------------------------------------------


@pytest.fixture
def elsewhere():
    """A second server on another origin (127.0.0.2), recording whatever reaches it."""
    with ApiServer("127.0.0.2") as api:
        api.route("GET", "/items", lambda req: Reply(json=[{"id": "elsewhere"}]))
        yield api


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://api.github.com/repos/a/b", "https://api.github.com:443"),
        ("HTTPS://API.GitHub.com:443/x", "https://api.github.com:443"),
        ("http://api.github.com/x", "http://api.github.com:80"),
        ("https://api.github.com:8443/x", "https://api.github.com:8443"),
        ("https://api.github.com@evil.test/x", "https://evil.test:443"),
        ("https://api.github.com:443@evil.test/x", "https://evil.test:443"),
        ("https://evil.test#@api.github.com/", "https://evil.test:443"),
        ("https://evil.test?@api.github.com/", "https://evil.test:443"),
        ("https://user:pw@api.github.com/x", "https://api.github.com:443"),
        ("http://[::1]:8080/x", "http://[::1]:8080"),
        ("https://bücher.example/", "https://xn--bcher-kva.example:443"),
    ],
)
def test_an_origin_is_scheme_host_and_port_as_httpx_connects(url, expected):
    assert origin(url) == expected


def test_a_url_on_another_origin_is_refused_before_anything_is_sent(server, elsewhere):
    with make_client(server, []) as client, pytest.raises(PullError) as error:
        client.request("GET", f"{elsewhere.url}/items", params={"page": 2})
    assert str(error.value).startswith(
        f"acme-gh: refused GET {elsewhere.url}/items?page=2: it is on {elsewhere.url}, "
        f"not on the source's origin {server.url}; "
    )
    assert TOKEN not in str(error.value)
    assert (elsewhere.requests, server.requests) == ([], [])


@pytest.mark.parametrize(
    "spelling",
    [
        "http://localhost:{port}/items",  # the same server, named by another host
        "http://127.0.0.1:{port}@127.0.0.2:{other}/items",  # user info, not the host
        "//127.0.0.2:{other}/items",  # scheme-relative
        "HTTP://127.0.0.2:{other}/items",
    ],
)
def test_host_spellings_and_user_info_tricks_are_another_origin(server, elsewhere, spelling):
    url = spelling.format(port=server.port, other=elsewhere.port)
    with make_client(server, []) as client, pytest.raises(PullError, match="refused GET"):
        client.request("GET", url)
    assert (elsewhere.requests, server.requests) == ([], [])


def test_an_https_source_is_never_asked_over_http(server):
    base = f"https://127.0.0.1:{server.port}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with HttpClient("gh", base, headers) as client, pytest.raises(PullError) as error:
        client.request("GET", f"{server.url}/items")
    assert f"it is on {server.url}, not on the source's origin {base}" in str(error.value)
    assert server.requests == []


def test_a_source_url_that_is_not_http_fails_at_once():
    with pytest.raises(PullError, match=r"^gh: url: 'api.github.com' is not an http\(s\) URL"):
        HttpClient("gh", "api.github.com", {})


def test_a_redirect_to_another_origin_is_followed_without_any_secret_header(server, elsewhere):
    server.fail("GET", "/items", Reply(status=302, headers={"Location": f"{elsewhere.url}/items"}))
    headers = {"Authorization": f"Bearer {TOKEN}", "PRIVATE-TOKEN": TOKEN, "Accept": "a/b"}
    with HttpClient("gl", server.url, headers) as client:
        assert client.request("GET", "/items").json() == [{"id": "elsewhere"}]
    (request,) = elsewhere.requests
    assert "authorization" not in request.headers and "private-token" not in request.headers
    assert request.headers["accept"] == "a/b"
    assert TOKEN not in json.dumps(request.headers)


def test_a_redirect_on_the_same_origin_keeps_the_token(server):
    server.fail("GET", "/items", Reply(status=301, headers={"Location": "/items?moved=1"}))
    with make_client(server, []) as client:
        client.request("GET", "/items")
    assert [r.headers.get("authorization") for r in server.requests] == [f"Bearer {TOKEN}"] * 2


def test_a_refusal_after_a_redirect_to_another_origin_says_the_token_stayed_home(server, elsewhere):
    elsewhere.route("GET", "/private", lambda req: Reply(status=401, json={"message": "no"}))
    moved = {"Location": f"{elsewhere.url}/private"}
    server.fail("GET", "/items", Reply(status=301, headers=moved))
    with make_client(server, []) as client, pytest.raises(PullError) as error:
        client.request("GET", "/items")
    assert str(error.value).startswith(
        f"acme-gh: GET {server.url}/items was redirected to {elsewhere.url}, which refused it "
        f"(HTTP 401, unauthorized): credentials go only to the source's origin {server.url}"
    )


# --- Paging loops end ---------------------------------------------------------------------------


def test_a_page_guard_refuses_a_page_its_loop_already_asked_for(server):
    with make_client(server, []) as client:
        guard = PageGuard(client)
        guard.visit(request_dict("GET", "/items", {"state": "all", "page": 1}))
        guard.visit(request_dict("GET", "/items", {"state": "all", "page": 2}))
        guard.visit(request_dict("POST", "/search", json={"nextPageToken": "a"}))
        guard.visit(request_dict("POST", "/search", json={"nextPageToken": "b"}))
        with pytest.raises(PullError) as error:
            # The same page as the first, as a Link header spells it: absolute, another order.
            guard.visit(request_dict("GET", f"{server.url}/items?page=1&state=all"))
        with pytest.raises(PullError, match="already fetched"):
            guard.visit(request_dict("POST", "/search", json={"nextPageToken": "a"}))
        PageGuard(client).visit(request_dict("GET", "/items", {"state": "all", "page": 1}))
    assert str(error.value).startswith(
        f"acme-gh: GET {server.url}/items?page=1&state=all was already fetched in this pull: "
        "the API's next page leads back to an earlier page (a paging cycle)"
    )
    assert server.requests == []


def test_a_page_guard_stops_a_loop_at_max_pages(server):
    with make_client(server, [], max_pages=3) as client:
        guard = PageGuard(client)
        for page in (1, 2, 3):
            guard.visit(request_dict("GET", "/items", {"page": page}))
        with pytest.raises(PullError) as error:
            guard.visit(request_dict("GET", "/items", {"page": 4}))
    assert str(error.value).startswith(
        f"acme-gh: stopped after 3 pages, before GET {server.url}/items?page=4: "
    )
