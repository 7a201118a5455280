"""Jira search pages, pulled with every comment of every issue.

Cloud or Server: Jira Cloud (REST v3, ADF bodies) when the host of ``src.url`` ends with
``atlassian.net``, else Jira Server / Data Center (REST v2, wiki markup). A ``src.url`` ending
in ``/rest/api/3`` or ``/rest/api/2`` chooses explicitly (a Cloud site on a custom domain).

Requests (JQL: ``src.query``, else ``project = "<src.project>"``)::

    Cloud:  POST /rest/api/3/search/jql
            {"jql": ..., "maxResults": 100, "fields": ["*all"], "nextPageToken": ...}
            -> {"issues": [...], "nextPageToken": "...", "isLast": false}
    Server: GET /rest/api/2/search?jql=...&startAt=0&maxResults=100&fields=*all
            -> {"startAt": 0, "maxResults": 100, "total": 420, "issues": [...]}
    both:   GET /rest/api/{3|2}/issue/{key}/comment?startAt=0&maxResults=100
            for an issue whose fields.comment.total exceeds the comments on the page
    incremental: GET /rest/api/{3|2}/myself (the user's timeZone, see below)

Each page written is the search response as received, except that ``fields.comment`` of an
issue whose comments were truncated holds all of them (``{"comments": [...all], "total": n,
"maxResults": n, "startAt": 0}``), so ``dataprep.connectors.jira.read_file`` reads it as is.

Incremental: the JQL gets ``updated >= "yyyy/MM/dd HH:mm"``. Jira reads that time in the
user's own time zone, so the cursor (UTC) is converted to the ``timeZone`` of ``/myself``
(without one, 14 hours earlier than the cursor: the largest UTC offset, so nothing is
missed). ``ORDER BY updated DESC`` is appended to a query without ORDER BY: newest first, an
issue updated during the pull moves to the pages already read and nothing shifts past the
reader (see ``github.py``).

Auth: Cloud, basic auth with the e-mail in ``$user_env`` and the API token in ``$token_env``;
Server, ``Authorization: Bearer`` with a personal access token in ``$token_env``.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dataprep.config import SourceConfig
from dataprep.connectors.base import parse_datetime
from dataprep.connectors.http import (
    HttpClient,
    OffsetPaginator,
    PullError,
    TokenPaginator,
    request_dict,
)
from dataprep.connectors.pullers import Page, collect, env_value, token, walk

log = logging.getLogger(__name__)

PAGE_SIZE = 100
_API_SUFFIX = re.compile(r"/rest/api/([23])/?$")
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


def api_version(url: str) -> str:
    """Return ``"3"`` (Cloud) or ``"2"`` (Server / Data Center) for a Jira base URL."""
    explicit = _API_SUFFIX.search(url)
    if explicit:
        return explicit.group(1)
    host = (urlsplit(url).hostname or "").lower()
    return "3" if host == "atlassian.net" or host.endswith(".atlassian.net") else "2"


def base_url(src: SourceConfig) -> str:
    """Return the site URL the API paths hang from (an explicit ``/rest/api/N`` removed)."""
    return _API_SUFFIX.sub("", src.url or "")


def headers(src: SourceConfig) -> dict[str, str]:
    """Return basic auth (Cloud: user + API token) or a bearer PAT (Server) with JSON accept."""
    secret = token(src)
    if api_version(src.url or "") == "3":
        user = env_value(src, src.user_env, "the Atlassian account e-mail for the API token")
        pair = base64.b64encode(f"{user}:{secret}".encode()).decode()
        auth = f"Basic {pair}"
    else:
        auth = f"Bearer {secret}"
    return {"Authorization": auth, "Accept": "application/json"}


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield the search pages of issues updated at or after ``cursor``, comments in full."""
    version = api_version(src.url or "")
    paginator = TokenPaginator() if version == "3" else OffsetPaginator()
    yield from walk(
        client,
        resume or first_request(src, client, version, cursor),
        paginator,
        items=lambda body: body.get("issues") if isinstance(body, dict) else None,
        updated=lambda issue: (
            (issue.get("fields") or {}).get("updated") if isinstance(issue, dict) else None
        ),
        embed=lambda body: embed_comments(client, version, body),
    )


def first_request(
    src: SourceConfig, client: HttpClient, version: str, cursor: str | None
) -> dict[str, Any]:
    """Return the first search request for the source's JQL, narrowed to the cursor."""
    since = jql_time(client, version, cursor) if cursor else None
    jql = build_jql(src, since)
    if version == "3":
        body = {"jql": jql, "maxResults": PAGE_SIZE, "fields": ["*all"]}
        return request_dict("POST", "/rest/api/3/search/jql", json=body)
    params = {"jql": jql, "startAt": 0, "maxResults": PAGE_SIZE, "fields": "*all"}
    return request_dict("GET", "/rest/api/2/search", params)


def build_jql(src: SourceConfig, since: str | None) -> str:
    """Return the source's JQL with ``updated >= "since"`` and an ORDER BY."""
    if src.query:
        query = src.query.strip()
    elif src.project:
        query = f'project = "{src.project}"'
    else:
        raise PullError(f"{src.name}: give 'project' (a project key) or 'query' (JQL)")
    match = _ORDER_BY.search(query)
    where, order = (query[: match.start()], query[match.start() :]) if match else (query, "")
    where = where.strip()
    if since:
        clause = f'updated >= "{since}"'
        where = f"({where}) AND {clause}" if where else clause
    order = order.strip() or "ORDER BY updated DESC"
    return f"{where} {order}".strip()


def jql_time(client: HttpClient, version: str, cursor: str) -> str:
    """Return the cursor as a JQL time (``yyyy/MM/dd HH:mm``) in the Jira user's time zone."""
    when = parse_datetime(cursor)
    if when is None:
        raise PullError(f"{client.source}: the snapshot cursor is empty; delete state.json")
    zone_name = client.send(request_dict("GET", f"/rest/api/{version}/myself")).json()
    zone_name = zone_name.get("timeZone") if isinstance(zone_name, dict) else None
    try:
        local = when.astimezone(ZoneInfo(zone_name)) if zone_name else None
    except (ZoneInfoNotFoundError, ValueError):
        local = None
    if local is None:
        log.warning(
            "%s: Jira did not say the user's time zone (%r); asking from 14 hours before the "
            "cursor so nothing is missed",
            client.source,
            zone_name,
        )
        local = when - timedelta(hours=14)
    return local.strftime("%Y/%m/%d %H:%M")


def embed_comments(client: HttpClient, version: str, body: Any) -> None:
    """Replace a truncated ``fields.comment`` by the full list from the comment endpoint."""
    for issue in body.get("issues") or () if isinstance(body, dict) else ():
        fields = issue.get("fields") if isinstance(issue, dict) else None
        comment = fields.get("comment") if isinstance(fields, dict) else None
        if not isinstance(comment, dict):
            continue
        shown = comment.get("comments") if isinstance(comment.get("comments"), list) else []
        total = comment.get("total")
        key = issue.get("key")
        if not isinstance(total, int) or total <= len(shown) or not isinstance(key, str):
            continue
        request = request_dict(
            "GET",
            f"/rest/api/{version}/issue/{key}/comment",
            {"startAt": 0, "maxResults": PAGE_SIZE},
        )
        found = collect(client, request, OffsetPaginator("comments"), _comment_list)
        fields["comment"] = {
            "comments": found,
            "maxResults": len(found),
            "total": len(found),
            "startAt": 0,
        }


def _comment_list(body: Any) -> Any:
    return body.get("comments") if isinstance(body, dict) else None
