"""GitHub REST issues, pulled page by page with their comments embedded.

Requests (``src.url`` is ``https://api.github.com`` or a GitHub Enterprise ``https://HOST/api/v3``,
``src.project`` is ``owner/repo``)::

    GET /repos/{owner}/{repo}/issues?state=all&per_page=100&sort=updated&direction=desc
        [&since=<cursor>]                      # Link: <...&page=2>; rel="next"
    GET {issue.comments_url}?per_page=100      # for each issue with comments > 0, all pages

Each page written is the issues list as received, except that ``comments`` (a count) is
replaced by the list of REST comment objects, so ``dataprep.connectors.github.read_file`` reads
the page with its comments. Pull requests stay in the page as received (their comments are
not fetched); the connector skips them.

Newest first (``direction=desc``): an issue updated during the pull moves to page 1, already
fetched, and shifts the rest one place later, so nothing is skipped (in ascending order the
shift is the other way and one issue per change slips between two pages); the moved issue
is newer than the cursor, so the next pull gets it. ``since`` is inclusive, so the issue(s)
updated at the cursor's second are fetched again; the build keeps the newest copy of each.

Auth: ``Authorization: Bearer $token_env`` (optional: without ``token_env`` public
repositories are read anonymously, at 60 requests an hour).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dataprep.config import SourceConfig
from dataprep.connectors.http import (
    HttpClient,
    LinkHeaderPaginator,
    PullError,
    request_dict,
)
from dataprep.connectors.pullers import Page, collect, token, walk

PER_PAGE = 100


def headers(src: SourceConfig) -> dict[str, str]:
    """Return the GitHub REST headers, with the token when ``token_env`` is set."""
    found = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    secret = token(src, required=False)
    if secret:
        found["Authorization"] = f"Bearer {secret}"
    return found


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield the issue pages updated at or after ``cursor`` (all if None), comments embedded."""
    yield from walk(
        client,
        resume or first_request(src, cursor),
        LinkHeaderPaginator(),
        items=lambda body: body,
        updated=lambda issue: issue.get("updated_at") if isinstance(issue, dict) else None,
        embed=lambda body: embed_comments(client, body),
    )


def first_request(src: SourceConfig, cursor: str | None) -> dict[str, Any]:
    """Return the request for the first issues page."""
    if not src.project or src.project.count("/") != 1:
        raise PullError(f"{src.name}: project: set it to the repository as OWNER/REPO")
    params: dict[str, Any] = {
        "state": "all",
        "per_page": PER_PAGE,
        "sort": "updated",
        "direction": "desc",
    }
    if cursor:
        params["since"] = cursor
    return request_dict("GET", f"/repos/{src.project}/issues", params)


def embed_comments(client: HttpClient, body: Any) -> None:
    """Replace each issue's comment count by its comments (pull requests left as they are)."""
    for issue in body if isinstance(body, list) else ():
        if not isinstance(issue, dict) or issue.get("pull_request") is not None:
            continue
        count, url = issue.get("comments"), issue.get("comments_url")
        if isinstance(count, int) and count > 0 and isinstance(url, str):
            request = request_dict("GET", url, {"per_page": PER_PAGE})
            issue["comments"] = collect(client, request, LinkHeaderPaginator(), lambda b: b)
        elif isinstance(count, int):
            issue["comments"] = []
