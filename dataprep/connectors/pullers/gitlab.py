"""GitLab REST v4 issues, pulled page by page with their notes embedded.

Requests (``src.url`` is ``https://gitlab.com`` or a self-managed ``https://HOST``, an explicit
``/api/v4`` allowed; ``src.project`` is the project path ``group/subgroup/project`` or its id)::

    GET /api/v4/projects/{url-encoded project}/issues?scope=all&per_page=100
        &order_by=updated_at&sort=desc[&updated_after=<cursor>]     # X-Next-Page: 2
    GET /api/v4/projects/{url-encoded project}/issues/{iid}/notes?per_page=100&sort=asc
        # for each issue with user_notes_count > 0, all pages (X-Next-Page)

Each page written is the issues list as received, with one key added to every issue:
``notes``, the list of REST note objects (``[]`` when ``user_notes_count`` is 0). System notes
("changed the description", "closed") stay in the list as received; the connector
``dataprep.connectors.gitlab`` skips them, except for what they say about duplicates.

Newest first (``sort=desc``): an issue updated during the pull moves to page 1, already
fetched, and nothing shifts past the reader (see ``github.py``). ``updated_after`` is
inclusive, so the issue(s) updated at the cursor's second are fetched again; the build keeps
the newest copy of each.

Auth: ``PRIVATE-TOKEN: $token_env`` (a personal, project or group access token with
``read_api``). Without ``token_env`` a public project is read anonymously.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from dataprep.config import SourceConfig
from dataprep.connectors.http import (
    HttpClient,
    NextPageHeaderPaginator,
    PullError,
    request_dict,
)
from dataprep.connectors.pullers import Page, collect, token, walk

PER_PAGE = 100
_API_SUFFIX = re.compile(r"/api/v4/?$")


def base_url(src: SourceConfig) -> str:
    """Return the GitLab site URL (an explicit ``/api/v4`` removed; the paths add it)."""
    return _API_SUFFIX.sub("", src.url or "")


def headers(src: SourceConfig) -> dict[str, str]:
    """Return the GitLab headers, with ``PRIVATE-TOKEN`` when ``token_env`` is set."""
    found = {"Accept": "application/json"}
    secret = token(src, required=False)
    if secret:
        found["PRIVATE-TOKEN"] = secret
    return found


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield the issue pages updated at or after ``cursor`` (all if None), notes embedded."""
    project_path = issues_path(src)
    yield from walk(
        client,
        resume or first_request(project_path, cursor),
        NextPageHeaderPaginator(),
        items=lambda body: body,
        updated=lambda issue: issue.get("updated_at") if isinstance(issue, dict) else None,
        embed=lambda body: embed_notes(client, project_path, body),
    )


def issues_path(src: SourceConfig) -> str:
    """Return ``/api/v4/projects/<encoded project>/issues``."""
    project = (src.project or "").strip().strip("/")
    if not project:
        raise PullError(
            f"{src.name}: project: set it to the project path (group/project) or its numeric id"
        )
    return f"/api/v4/projects/{quote(project, safe='')}/issues"


def first_request(path: str, cursor: str | None) -> dict[str, Any]:
    """Return the request for the first issues page."""
    params: dict[str, Any] = {
        "scope": "all",
        "per_page": PER_PAGE,
        "order_by": "updated_at",
        "sort": "desc",
    }
    if cursor:
        params["updated_after"] = cursor
    return request_dict("GET", path, params)


def embed_notes(client: HttpClient, path: str, body: Any) -> None:
    """Add each issue's notes (all pages, oldest first) as ``issue["notes"]``."""
    for issue in body if isinstance(body, list) else ():
        if not isinstance(issue, dict):
            continue
        count, iid = issue.get("user_notes_count"), issue.get("iid")
        if isinstance(count, int) and count > 0 and isinstance(iid, int):
            request = request_dict(
                "GET", f"{path}/{iid}/notes", {"per_page": PER_PAGE, "sort": "asc"}
            )
            issue["notes"] = collect(client, request, NextPageHeaderPaginator(), lambda b: b)
        else:
            issue["notes"] = []
