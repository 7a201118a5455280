"""Azure DevOps Boards work items: a WIQL query, then the items in batches of 200, with comments.

Requests (``src.url`` is the organisation, ``https://dev.azure.com/ORG`` or an Azure DevOps
Server collection ``https://HOST/tfs/COLLECTION``; ``src.project`` is the project name)::

    POST /{project}/_apis/wit/wiql?api-version=7.1[&timePrecision=true]
         {"query": src.query or DEFAULT_QUERY [+ changed-date condition]}
         -> {"asOf": ..., "workItems": [{"id": 1, "url": ...}, ...]}
    POST /{project}/_apis/wit/workitemsbatch?api-version=7.1
         {"ids": [at most 200], "$expand": "all", "errorPolicy": "omit"}
         -> {"count": 200, "value": [{"id": 1, "fields": {...}, "relations": [...]}, ...]}
    GET  /{project}/_apis/wit/workItems/{id}/comments?api-version=7.1-preview.4
         # for each item whose System.CommentCount is not 0, all pages (continuationToken)

Each page written is one ``workitemsbatch`` response, with ``comments`` (the list of comment
objects of the Comments API) added to every work item. Items deleted between the query and
the batch come back as ``null`` (``errorPolicy: omit``) and are dropped from ``value``
(``count`` adjusted), so ``dataprep.connectors.azure_devops`` reads only work items.

Incremental: the query gets ``[System.ChangedDate] > '<cursor>'`` (with ``timePrecision=true``,
as WIQL otherwise compares dates only) and the newest ``ChangedDate`` on a page is capped at
the query's ``asOf``: an item changed after the query was fetched in its newer state, but one
changed after its own batch was fetched is only caught if the cursor stays at ``asOf``. WIQL
returns at most 20,000 items; narrow a larger project with ``query``.

Resuming: ``Page.next`` is the next batch request plus ``later`` (the ids after that batch)
and ``as_of``, so an interrupted pull goes on from the next batch without querying again.

Auth: basic auth with an empty user and a personal access token (Work Items: Read) in
``$token_env``.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from dataprep.config import SourceConfig
from dataprep.connectors.base import parse_datetime
from dataprep.connectors.http import (
    HttpClient,
    HttpResponse,
    InvalidPage,
    PageGuard,
    Paginator,
    PullError,
    request_dict,
)
from dataprep.connectors.pullers import Page, collect, iso, newest, token

log = logging.getLogger(__name__)

API_VERSION = "7.1"
COMMENTS_API_VERSION = "7.1-preview.4"
BATCH_SIZE = 200  # the most ids workitemsbatch accepts
DEFAULT_QUERY = (
    "SELECT [System.Id] FROM WorkItems WHERE [System.TeamProject] = @project "
    "ORDER BY [System.ChangedDate] ASC"
)
_WHERE = re.compile(r"\bwhere\b", re.IGNORECASE)
_ORDER_BY = re.compile(r"\border\s+by\b", re.IGNORECASE)


class ContinuationTokenPaginator(Paginator):
    """Azure DevOps comments: ``{"comments": [...], "continuationToken": "..."}`` (or the
    ``x-ms-continuationtoken`` header); the token goes into the next request's query."""

    def next_request(self, response: HttpResponse, request: dict[str, Any]) -> dict | None:
        body = response.json()
        found = body.get("continuationToken") if isinstance(body, dict) else None
        found = found or response.headers.get("x-ms-continuationtoken")
        if not found:
            return None
        return {**request, "params": {**(request.get("params") or {}), "continuationToken": found}}


def headers(src: SourceConfig) -> dict[str, str]:
    """Return basic auth with an empty user and the personal access token."""
    pair = base64.b64encode(f":{token(src)}".encode()).decode()
    return {"Authorization": f"Basic {pair}", "Accept": "application/json"}


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield one ``workitemsbatch`` page per 200 items changed after ``cursor`` (all if None)."""
    project = project_path(src)
    request = resume or first_batch(src, client, project, cursor)
    guard = PageGuard(client)
    while request is not None:
        guard.visit(request)
        response = client.send(request)
        following = next_batch(request)
        try:
            body = response.json()
        except InvalidPage as bad:
            # The next batch is already known, so the pull goes on past this one.
            log.warning("%s; saved as invalid and skipped", bad)
            yield Page(response.url, response.content, following, error=str(bad))
            request = following
            continue
        items = work_items(client, response, body)
        body["value"], body["count"] = items, len(items)
        embed_comments(client, project, items)
        changed = newest((item.get("fields") or {}).get("System.ChangedDate") for item in items)
        yield Page(response.url, body, following, len(items), capped(changed, request.get("as_of")))
        request = following


def project_path(src: SourceConfig) -> str:
    """Return ``/<url-encoded project>``."""
    project = (src.project or "").strip().strip("/")
    if not project:
        raise PullError(f"{src.name}: project: set it to the Azure DevOps project name")
    return "/" + quote(project, safe="")


def build_wiql(query: str | None, cursor: str | None) -> str:
    """Return the WIQL query with ``[System.ChangedDate] > 'cursor'`` added to its WHERE."""
    query = (query or DEFAULT_QUERY).strip()
    if not cursor:
        return query
    order = _ORDER_BY.search(query)
    head, tail = (query[: order.start()], query[order.start() :]) if order else (query, "")
    changed = f"[System.ChangedDate] > '{cursor}'"
    where = _WHERE.search(head)
    if where:
        condition = head[where.end() :].strip()
        head = f"{head[: where.start()]}WHERE ({condition}) AND {changed}"
    else:
        head = f"{head.strip()} WHERE {changed}"
    return f"{head} {tail.strip()}".strip()


def first_batch(
    src: SourceConfig, client: HttpClient, project: str, cursor: str | None
) -> dict[str, Any] | None:
    """Run the WIQL query; return the request for the first batch (None: nothing matched)."""
    params: dict[str, Any] = {"api-version": API_VERSION}
    if cursor:
        params["timePrecision"] = "true"
    wiql = {"query": build_wiql(src.query, cursor)}
    response = client.send(request_dict("POST", f"{project}/_apis/wit/wiql", params, wiql))
    if response.status == 203:
        # Azure DevOps answers a bad or expired PAT with 203 and its HTML sign-in page.
        where = f"${client.token_env}" if client.token_env else "the source's token_env variable"
        raise PullError(
            f"{client.source}: POST {response.url} answered with a sign-in page (HTTP 203); "
            f"check the token in {where}: it may be expired, revoked or lack Work Items (Read)"
        )
    body = response.json()
    ids = query_ids(body)
    if ids is None:
        raise PullError(
            f"{client.source}: POST {response.url}: the WIQL answer lists no workItems; "
            "query: must select work items (SELECT [System.Id] FROM WorkItems WHERE ...)"
        )
    log.info("%s: the WIQL query matched %d work items", client.source, len(ids))
    if not ids:
        return None
    batch = request_dict(
        "POST",
        f"{project}/_apis/wit/workitemsbatch",
        {"api-version": API_VERSION},
        {"ids": ids[:BATCH_SIZE], "$expand": "all", "errorPolicy": "omit"},
    )
    return {**batch, "later": ids[BATCH_SIZE:], "as_of": body.get("asOf")}


def query_ids(body: Any) -> list[int] | None:
    """Return the work item ids of a WIQL answer, flat or link query, in order, once each."""
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("workItems"), list):
        refs = body["workItems"]
    elif isinstance(body.get("workItemRelations"), list):
        refs = [r.get("target") for r in body["workItemRelations"] if isinstance(r, dict)]
    else:
        return None
    ids = (ref.get("id") for ref in refs if isinstance(ref, dict))
    return list(dict.fromkeys(i for i in ids if isinstance(i, int)))


def next_batch(request: dict[str, Any]) -> dict[str, Any] | None:
    """Return the request for the batch after ``request`` (None after the last)."""
    later = request.get("later") or []
    if not later:
        return None
    return {
        **request,
        "json": {**request["json"], "ids": later[:BATCH_SIZE]},
        "later": later[BATCH_SIZE:],
    }


def work_items(client: HttpClient, response: HttpResponse, body: Any) -> list[dict[str, Any]]:
    """Return the work items of a batch answer (deleted ones, ``null``, left out)."""
    value = body.get("value") if isinstance(body, dict) else None
    if not isinstance(value, list):
        raise PullError(
            f"{client.source}: POST {response.url}: expected a workitemsbatch answer "
            '{"count": n, "value": [...]}'
        )
    return [item for item in value if isinstance(item, dict)]


def embed_comments(client: HttpClient, project: str, items: list[dict[str, Any]]) -> None:
    """Add each work item's comments (all pages) as ``item["comments"]``."""
    for item in items:
        count = (item.get("fields") or {}).get("System.CommentCount")
        number = item.get("id")
        if count == 0 or not isinstance(number, int):
            item["comments"] = []
            continue
        request = request_dict(
            "GET",
            f"{project}/_apis/wit/workItems/{number}/comments",
            {"api-version": COMMENTS_API_VERSION},
        )
        item["comments"] = collect(client, request, ContinuationTokenPaginator(), _comment_list)


def capped(changed: str | None, as_of: Any) -> str | None:
    """Return ``changed``, or the query's ``asOf`` if that is earlier (see the module doc)."""
    limit = parse_datetime(as_of) if isinstance(as_of, str) else None
    if changed is None or limit is None:
        return changed
    when = parse_datetime(changed)
    return iso(limit) if when is not None and when > limit else changed


def _comment_list(body: Any) -> Any:
    return body.get("comments") if isinstance(body, dict) else None
