"""GitHub Releases, pulled page by page, newest first.

Requests (``src.url`` is ``https://api.github.com`` or a GitHub Enterprise ``https://HOST/api/v3``,
``src.project`` is ``owner/repo``)::

    GET /repos/{owner}/{repo}/releases?per_page=100     # Link: <...&page=2>; rel="next"

Each page written is the releases list as received (drafts are listed only to a token with
push access); ``dataprep.connectors.github_release.read_file`` reads it. Nothing is embedded.

Incremental pulls: the releases endpoint has no ``since`` parameter, so every pull asks for the
list from its first page, newest first, and stops at the first page on which every release
is older than the cursor: that page holds nothing new, so it is not written and the pages
after it are not asked for. A release's time is the newest of ``published_at`` and
``created_at`` (a draft has only the latter; ``created_at`` is the tagged commit's date, so a
release published today from an old commit counts as new). The pages before the stop are
written whole, so releases already in the snapshot (those at the cursor's second, and older
ones sharing a page with newer) come again; the build keeps one copy of each. Not seen by an
incremental pull: release notes edited after publication (no timestamp changes) and a release
whose times are both older than the cursor (a draft made from an old commit) listed below the
stopping page; delete the snapshot folder to fetch every release again.

Auth: as the GitHub issues puller (``Authorization: Bearer $token_env``, optional).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dataprep.config import SourceConfig
from dataprep.connectors.base import parse_datetime
from dataprep.connectors.http import HttpClient, LinkHeaderPaginator, PullError, request_dict
from dataprep.connectors.pullers import Page, newest, walk
from dataprep.connectors.pullers import github as github_puller

PER_PAGE = 100


def headers(src: SourceConfig) -> dict[str, str]:
    """Return the GitHub REST headers, with the token when ``token_env`` is set."""
    return github_puller.headers(src)


def pages(
    src: SourceConfig, client: HttpClient, cursor: str | None, resume: dict[str, Any] | None
) -> Iterator[Page]:
    """Yield the release pages, newest first, until a page older than ``cursor`` (all if None)."""
    bound = parse_datetime(cursor) if cursor else None
    for page in walk(
        client,
        resume or first_request(src),
        LinkHeaderPaginator(),
        items=lambda body: body,
        updated=release_time,
    ):
        if bound is not None and page.newest is not None and parse_datetime(page.newest) < bound:
            return  # every release on it is older than the cursor, so already in the snapshot
        yield page


def first_request(src: SourceConfig) -> dict[str, Any]:
    """Return the request for the first releases page."""
    if not src.project or src.project.count("/") != 1:
        raise PullError(f"{src.name}: project: set it to the repository as OWNER/REPO")
    return request_dict("GET", f"/repos/{src.project}/releases", {"per_page": PER_PAGE})


def release_time(release: Any) -> str | None:
    """Return the newest of a release's ``published_at`` and ``created_at`` (ISO 8601 UTC)."""
    if not isinstance(release, dict):
        return None
    return newest([release.get("published_at"), release.get("created_at")])
