"""A real HTTP server on 127.0.0.1 for tests: routes answer with canned replies, faults on demand.

    with ApiServer() as server:
        server.route("GET", "/repos/acme/widgets/issues", lambda req: Reply(json=[...]))
        server.fail("GET", "/repos/acme/widgets/issues", Reply(status=500))  # once, first
        ... HttpClient("gh", server.url, {}) ...
        assert server.paths() == ["/repos/acme/widgets/issues", ...]

Faults queued with ``fail`` are served before the route's handler, one per request, in order:
a status with headers (429 + Retry-After), a body that is not JSON, a ``Reply(drop=True)``
that closes the connection without answering, or a ``Reply(delay=...)`` that answers late.
Every request is recorded (method, path, query, headers, JSON body) for the test to check.
The server runs in a daemon thread and is shut down on exit; nothing leaves the loopback.

``GitHubFake`` and ``JiraFake`` below route a server as those APIs do, with their real
response shapes, for the puller tests.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo


@dataclass
class Reply:
    """One answer: JSON (``json``) or raw bytes (``body``), or a fault."""

    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without sending anything
    delay: float = 0.0  # seconds to wait before answering


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, str]  # the last value of each parameter
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON body, or None

    @property
    def url(self) -> str:
        return self.path


Handler = Callable[[Request], Reply]


class ApiServer:
    """A threaded HTTP/1.1 server on a free port of 127.0.0.1 (or another loopback ``host``,
    such as 127.0.0.2: a second origin for the tests that no credentials leave the first)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        if not host.startswith("127."):
            raise ValueError(f"{host}: the test server listens on loopback addresses only")
        self.routes: dict[tuple[str, str], Handler] = {}
        self.faults: list[tuple[str, str, Callable[[Request], bool] | None, deque[Reply]]] = []
        self.requests: list[Request] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer((host, 0), self._handler_class())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        # A short poll keeps shutdown (and so each test) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def __enter__(self) -> ApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` (any query) with ``handler(request)``."""
        self.routes[(method, path)] = handler

    def fail(
        self,
        method: str,
        path: str,
        *replies: Reply,
        when: Callable[[Request], bool] | None = None,
    ) -> None:
        """Queue replies served, one per matching request (``when``: a test on the request,
        such as its page parameter), before the route's handler answers again."""
        with self._lock:
            self.faults.append((method, path, when, deque(replies)))

    def paths(self, method: str | None = None) -> list[str]:
        return [r.path for r in self.requests if method is None or r.method == method]

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()

    def _answer(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            for method, path, when, queued in self.faults:
                matches = (method, path) == (request.method, request.path)
                if matches and queued and (when is None or when(request)):
                    return queued.popleft()
        handler = self.routes.get((request.method, request.path))
        if handler is None:
            return Reply(status=404, json={"message": "Not Found"})
        return handler(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes

            def log_message(self, format: str, *args: Any) -> None:  # quiet test output
                pass

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={k: v[-1] for k, v in parse_qs(parts.query).items()},
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=json.loads(raw) if raw else None,
                )
                reply = server._answer(request)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.drop:
                    self.close_connection = True
                    return
                body = reply.body
                if body is None:
                    body = json.dumps(reply.json).encode() if reply.json is not None else b""
                self.send_response(reply.status)
                if "content-type" not in {k.lower() for k in reply.headers}:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up already (a timeout test).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

        return _Handler


# --- Fake tracker APIs on top of ApiServer, serving the real response shapes ----------------


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class GitHubFake:
    """GitHub REST issues and comments for one repository, paged by ``page_size``.

    ``GET /repos/{repo}/issues`` honours ``state=all``, ``since`` (inclusive), ``sort=updated``,
    ``direction`` and ``page``; the ``Link`` header points at ``/repositories/{id}/issues``
    as GitHub's does. ``GET /repos/{repo}/issues/{n}/comments`` pages the same way.
    """

    def __init__(self, server: ApiServer, repo: str = "acme/widgets", page_size: int = 2):
        self.server = server
        self.repo = repo
        self.repo_id = 1300192
        self.page_size = page_size
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        for path in (f"/repos/{repo}/issues", f"/repositories/{self.repo_id}/issues"):
            server.route("GET", path, self._issues)

    @property
    def issues_path(self) -> str:
        return f"/repos/{self.repo}/issues"

    def add(
        self,
        number: int,
        updated_at: str,
        *,
        title: str | None = None,
        body: str | None = "Steps to reproduce: open the list.",
        comments: list[str] = (),
        pull_request: bool = False,
    ) -> dict[str, Any]:
        """Add an issue (or a pull request) with ``comments`` (bodies) an hour apart."""
        api = f"{self.server.url}/repos/{self.repo}/issues/{number}"
        web = f"https://github.com/{self.repo}/{'pull' if pull_request else 'issues'}/{number}"
        issue = {
            "url": api,
            "repository_url": f"{self.server.url}/repos/{self.repo}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": web,
            "id": 2000000000 + number,
            "node_id": f"I_kwDOA{number:05d}",
            "number": number,
            "title": title or f"Issue {number}",
            "user": {"login": "octo-dev", "id": 583231, "type": "User", "site_admin": False},
            "labels": [{"id": 1, "name": "bug", "color": "d73a4a", "default": True}],
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": len(comments),
            "created_at": "2024-01-02T09:00:00Z",
            "updated_at": updated_at,
            "closed_at": None,
            "author_association": "MEMBER",
            "active_lock_reason": None,
            "body": body,
            "reactions": {"url": f"{api}/reactions", "total_count": 0, "+1": 0},
            "timeline_url": f"{api}/timeline",
            "performed_via_github_app": None,
            "state_reason": None,
        }
        if pull_request:
            issue["pull_request"] = {
                "url": f"{self.server.url}/repos/{self.repo}/pulls/{number}",
                "html_url": web,
                "diff_url": f"{web}.diff",
                "patch_url": f"{web}.patch",
                "merged_at": None,
            }
        self.issues[number] = issue
        self.comments[number] = [
            self._comment(number, i, text) for i, text in enumerate(comments, start=1)
        ]
        self.server.route("GET", f"/repos/{self.repo}/issues/{number}/comments", self._comments)
        return issue

    def update(self, number: int, updated_at: str, title: str) -> None:
        self.issues[number].update(updated_at=updated_at, title=title)

    def _comment(self, number: int, i: int, text: str) -> dict[str, Any]:
        cid = 900000 + number * 100 + i
        return {
            "url": f"{self.server.url}/repos/{self.repo}/issues/comments/{cid}",
            "html_url": f"https://github.com/{self.repo}/issues/{number}#issuecomment-{cid}",
            "issue_url": f"{self.server.url}/repos/{self.repo}/issues/{number}",
            "id": cid,
            "node_id": f"IC_kwDO{cid}",
            "user": {"login": f"user{i}", "id": 1000 + i, "type": "User"},
            "created_at": f"2024-01-02T{9 + i:02d}:00:00Z",
            "updated_at": f"2024-01-02T{9 + i:02d}:00:00Z",
            "author_association": "CONTRIBUTOR",
            "body": text,
            "reactions": {"total_count": 0},
        }

    def _issues(self, request: Request) -> Reply:
        items = list(self.issues.values())
        since = request.query.get("since")
        if since:
            items = [i for i in items if _utc(i["updated_at"]) >= _utc(since)]
        items.sort(
            key=lambda i: (i["updated_at"], i["number"]),
            reverse=request.query.get("direction", "desc") == "desc",
        )
        return self._page(request, items, f"/repositories/{self.repo_id}/issues")

    def _comments(self, request: Request) -> Reply:
        number = int(request.path.split("/")[-2])
        return self._page(request, self.comments[number], request.path)

    def _page(self, request: Request, items: list[Any], link_path: str) -> Reply:
        page = int(request.query.get("page", 1))
        start = (page - 1) * self.page_size
        last = max(1, -(-len(items) // self.page_size))
        links = []
        query = {k: v for k, v in request.query.items() if k != "page"}
        for rel, number in (("prev", page - 1), ("next", page + 1), ("last", last)):
            if 1 <= number <= last and number != page:
                target = f"{self.server.url}{link_path}?{urlencode({**query, 'page': number})}"
                links.append(f'<{target}>; rel="{rel}"')
        headers = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999"}
        if links:
            headers["Link"] = ", ".join(links)
        return Reply(json=items[start : start + self.page_size], headers=headers)


class JiraFake:
    """Jira search and comment endpoints for one project: Cloud (v3) or Server (v2).

    Cloud: ``POST /rest/api/3/search/jql`` with ``nextPageToken``/``isLast``; Server:
    ``GET /rest/api/2/search`` with ``startAt``/``maxResults``/``total``. A search page shows
    at most ``comments_shown`` comments an issue (``fields.comment.total`` says how many there
    are); ``GET /rest/api/N/issue/{key}/comment`` pages them all. JQL understood:
    ``updated >= "yyyy/MM/dd HH:mm"`` read in the ``/myself`` user's ``time_zone``, and
    ``ORDER BY updated ASC|DESC``.
    """

    def __init__(
        self,
        server: ApiServer,
        cloud: bool,
        page_size: int = 2,
        comments_shown: int = 2,
        time_zone: str = "America/New_York",
    ) -> None:
        self.server = server
        self.version = "3" if cloud else "2"
        self.page_size = page_size
        self.comments_shown = comments_shown
        self.time_zone = time_zone
        self.issues: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, list[dict[str, Any]]] = {}
        api = f"/rest/api/{self.version}"
        if cloud:
            server.route("POST", f"{api}/search/jql", self._search_cloud)
        else:
            server.route("GET", f"{api}/search", self._search_server)
        server.route("GET", f"{api}/myself", self._myself)

    @property
    def search_path(self) -> str:
        return f"/rest/api/{self.version}/search" + ("/jql" if self.version == "3" else "")

    def add(self, n: int, updated: str, *, summary: str | None = None, comments: int = 0) -> dict:
        """Add ACME-n, updated at ``updated`` (Jira's ``2024-05-15T22:31:50.510+0900`` form)."""
        key = f"ACME-{n}"
        cloud = self.version == "3"
        issue = {
            "expand": "renderedFields,names,schema,operations,editmeta,changelog",
            "id": str(10000 + n),
            "self": f"{self.server.url}/rest/api/{self.version}/issue/{10000 + n}",
            "key": key,
            "fields": {
                "summary": summary or f"Issue {n}",
                "issuetype": {"id": "10004", "name": "Bug", "subtask": False},
                "project": {"id": "10100", "key": "ACME", "name": "Acme Platform"},
                "status": {
                    "name": "To Do",
                    "id": "1",
                    "statusCategory": {"id": 2, "key": "new", "name": "To Do"},
                },
                "resolution": None,
                "priority": {"name": "Major", "id": "3"},
                "labels": ["search"],
                "components": [{"id": "10200", "name": "web-app"}],
                "fixVersions": [],
                "reporter": self._user("hnakamura", "Hana Nakamura"),
                "assignee": None,
                "created": "2024-01-02T10:00:00.000+0000",
                "updated": updated,
                "resolutiondate": None,
                "issuelinks": [],
                "description": self._body(f"Description of issue {n}.", cloud),
            },
        }
        self.comments[key] = [
            {
                "self": f"{self.server.url}/rest/api/{self.version}/issue/{10000 + n}/comment/{i}",
                "id": str(30000 + n * 100 + i),
                "author": self._user(f"user{i}", f"User {i}"),
                "body": self._body(f"Comment {i} on {key}.", cloud),
                "updateAuthor": self._user(f"user{i}", f"User {i}"),
                "created": f"2024-01-0{min(9, 2 + i)}T10:00:00.000+0000",
                "updated": f"2024-01-0{min(9, 2 + i)}T10:00:00.000+0000",
            }
            for i in range(1, comments + 1)
        ]
        self.issues[key] = issue
        self.server.route("GET", f"/rest/api/{self.version}/issue/{key}/comment", self._comment)
        return issue

    def update(self, n: int, updated: str, summary: str) -> None:
        self.issues[f"ACME-{n}"]["fields"].update(updated=updated, summary=summary)

    @staticmethod
    def _user(name: str, display: str) -> dict[str, Any]:
        return {"name": name, "key": name, "displayName": display, "active": True}

    @staticmethod
    def _body(text: str, cloud: bool) -> Any:
        if not cloud:
            return text
        paragraph = {"type": "paragraph", "content": [{"type": "text", "text": text}]}
        return {"type": "doc", "version": 1, "content": [paragraph]}

    def _matching(self, jql: str) -> list[dict[str, Any]]:
        items = list(self.issues.values())
        since = re.search(r'updated\s*>=\s*"(\d{4}/\d{2}/\d{2} \d{2}:\d{2})"', jql)
        if since:
            local = datetime.strptime(since.group(1), "%Y/%m/%d %H:%M")
            bound = local.replace(tzinfo=ZoneInfo(self.time_zone))
            items = [i for i in items if _jira_time(i["fields"]["updated"]) >= bound]
        order = re.search(r"ORDER BY updated (ASC|DESC)", jql, re.IGNORECASE)
        descending = bool(order) and order.group(1).upper() == "DESC"
        items.sort(key=lambda i: (_jira_time(i["fields"]["updated"]), i["key"]), reverse=descending)
        return [self._shown(i) for i in items]

    def _shown(self, issue: dict[str, Any]) -> dict[str, Any]:
        comments = self.comments[issue["key"]]
        shown = comments[: self.comments_shown]
        fields = {
            **issue["fields"],
            "comment": {
                "comments": shown,
                "self": f"{issue['self']}/comment",
                "maxResults": len(shown),
                "total": len(comments),
                "startAt": 0,
            },
        }
        return {**issue, "fields": fields}

    def _search_cloud(self, request: Request) -> Reply:
        body = request.body
        items = self._matching(body["jql"])
        start = int(body.get("nextPageToken") or 0)
        size = min(int(body.get("maxResults", 50)), self.page_size)
        page = {"issues": items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = str(start + size)
        page["isLast"] = start + size >= len(items)
        return Reply(json=page)

    def _search_server(self, request: Request) -> Reply:
        items = self._matching(request.query["jql"])
        start = int(request.query.get("startAt", 0))
        size = min(int(request.query.get("maxResults", 50)), self.page_size)
        return Reply(
            json={
                "expand": "schema,names",
                "startAt": start,
                "maxResults": size,
                "total": len(items),
                "issues": items[start : start + size],
            }
        )

    def _comment(self, request: Request) -> Reply:
        comments = self.comments[request.path.split("/")[-2]]
        start = int(request.query.get("startAt", 0))
        size = min(int(request.query.get("maxResults", 50)), self.page_size)
        return Reply(
            json={
                "startAt": start,
                "maxResults": size,
                "total": len(comments),
                "comments": comments[start : start + size],
            }
        )

    def _myself(self, request: Request) -> Reply:
        return Reply(
            json={
                "self": f"{self.server.url}/rest/api/{self.version}/user?username=hnakamura",
                "name": "hnakamura",
                "emailAddress": "hana@example.com",
                "displayName": "Hana Nakamura",
                "active": True,
                "timeZone": self.time_zone,
                "locale": "en_US",
            }
        )


def _jira_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")
