"""Pullers: one module per tracker API, each turning a source into raw pages for the snapshot.

How a puller is written (``github.py`` and ``jira.py`` are the models to copy):

A module ``dataprep/connectors/pullers/<type>.py`` for the source ``type`` in ``PULLERS`` with
two functions, and nothing else required::

    def headers(src: SourceConfig) -> dict[str, str]:
        # Auth and Accept headers. The token comes only from the environment: token(src).
        return {"Authorization": f"Bearer {token(src)}", "Accept": "application/json"}

    def pages(src: SourceConfig, client: HttpClient, cursor: str | None,
              resume: dict | None) -> Iterator[Page]:
        # resume: the request saved after the last page written by an interrupted run; start
        # there. Otherwise build the first request from src (project, query) and, when cursor
        # (ISO 8601 UTC) is set, ask only for items updated at or after it.
        request = resume or request_dict("GET", "/issues", {"updated_after": cursor, ...})
        yield from walk(client, request, NextPageHeaderPaginator(), items=lambda b: b,
                        updated=lambda item: item.get("updated_at"), embed=embed_notes)

``walk`` sends each request, embeds the comments of every item (``embed(body)``, which may
send more requests through the same client, and mutates or returns the body), and yields one
``Page`` per response with the next request, the item count and the newest ``updated`` value.
A body that is not JSON becomes a ``Page`` with ``error`` set and the raw bytes, and the walk
goes on when the paginator can find the next page without that body (a Link or page-number
header still sent, an offset) or stops with a ``PullError`` when it cannot (token and GraphQL
cursors, a header missing); the next pull then asks for that page again. A
puller whose API does not fit ``walk`` (Azure DevOps: a WIQL query, then batches of ids)
yields ``Page`` objects itself; ``Page.next`` must then be a JSON-serialisable request dict
that its ``pages(..., resume=that)`` understands, and its loop calls ``PageGuard.visit``
before each request, as ``walk`` and ``collect`` do, so that a page asked for twice (a cycle)
or past ``max_pages`` stops the pull.

URLs the API names (a ``Link`` next page, GitHub's ``comments_url``) can be sent as they are:
``HttpClient`` refuses any URL off the origin of the source's url, so the token never goes to
another host.

A module may also define ``base_url(src) -> str`` when the API root is not ``src.url`` as
written (Jira strips an explicit ``/rest/api/N``).

``dataprep.pull`` does the rest: it builds the ``HttpClient`` from ``src.url`` (or
``base_url(src)``) and ``headers(src)``, writes each page and the state atomically, and keeps
the cursor.
Each module's docstring shows the requests it sends and what it embeds into each item.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from dataprep.config import SourceConfig
from dataprep.connectors.base import parse_datetime
from dataprep.connectors.http import HttpClient, InvalidPage, PageGuard, Paginator, PullError

log = logging.getLogger(__name__)

# Source type -> module in this package (imported when that type is pulled).
PULLERS: dict[str, str] = {
    "github": "github",
    "github_release": "github_release",
    "jira": "jira",
    "gitlab": "gitlab",
    "linear": "linear",
    "azure_devops": "azure_devops",
}


@dataclass
class Page:
    """One response, ready to be written to the snapshot."""

    url: str  # where it came from (lineage; recorded for an invalid page)
    content: Any  # the parsed JSON with comments embedded; the raw bytes when ``error`` is set
    next: dict[str, Any] | None  # the request for the page after this one; None: last page
    items: int = 0  # items on the page
    newest: str | None = None  # ISO 8601 UTC of the newest ``updated`` on the page
    error: str | None = None  # why the body could not be read (then ``content`` is bytes)


class Puller(Protocol):
    """What ``puller(type)`` returns: a module with ``headers`` and ``pages``."""

    def headers(self, src: SourceConfig) -> dict[str, str]: ...

    def pages(
        self,
        src: SourceConfig,
        client: HttpClient,
        cursor: str | None,
        resume: dict[str, Any] | None,
    ) -> Iterator[Page]: ...


def puller(source_type: str) -> Puller:
    """Return the puller module of a source type; raise ``PullError`` if it has none."""
    if source_type not in PULLERS:
        raise PullError(f"a {source_type} source reads files only; give it 'path', not 'url'")
    return importlib.import_module(f"{__name__}.{PULLERS[source_type]}")  # type: ignore[return-value]


def token(src: SourceConfig, required: bool = True) -> str | None:
    """Return the token from ``$src.token_env``; ``PullError`` naming the variable if unset."""
    if not src.token_env:
        if required:
            raise PullError(
                f"{src.name}: token_env: missing; name the environment variable holding the "
                "API token (for example token_env: TRACKER_TOKEN)"
            )
        return None
    value = os.environ.get(src.token_env, "").strip()
    if not value:
        raise PullError(
            f"{src.name}: the environment variable ${src.token_env} is not set; "
            f"export {src.token_env}=<token> and run the pull again"
        )
    return value


def env_value(src: SourceConfig, variable: str | None, what: str) -> str:
    """Return a required setting from the environment (Jira Cloud's user); clear error if unset."""
    value = os.environ.get(variable, "").strip() if variable else ""
    if not value:
        name = f"${variable}" if variable else "user_env"
        raise PullError(f"{src.name}: {name} is not set; it must hold {what}")
    return value


def walk(
    client: HttpClient,
    request: dict[str, Any],
    paginator: Paginator,
    *,
    items: Callable[[Any], Any],
    updated: Callable[[Any], Any],
    embed: Callable[[Any], Any] | None = None,
) -> Iterator[Page]:
    """Yield every page from ``request`` on, following ``paginator``, comments embedded.

    ``items(body)`` gives the page's list of items, ``updated(item)`` an item's last-update
    time, ``embed(body)`` fetches and embeds comments (returning the body, or None if it
    changed the body in place). A page asked for twice (a paging cycle) or past the client's
    ``max_pages`` stops the walk with a ``PullError`` (see ``PageGuard``).
    """
    guard = PageGuard(client)
    while request is not None:
        guard.visit(request)
        response = client.send(request)
        try:
            body = response.json()
        except InvalidPage as bad:
            try:
                following = paginator.next_request(response, request)
            except InvalidPage:
                following = None
            if following is None:
                # Without the body (or a Link header: an HTML error page from a proxy has none)
                # there is no telling where the next page is, or whether this was the last.
                yield Page(response.url, response.content, None, error=str(bad))
                raise PullError(
                    f"{bad}; the next page depends on it, so the pull stopped here: "
                    "run it again to retry that page"
                ) from None
            log.warning("%s; saved as invalid and skipped", bad)
            yield Page(response.url, response.content, following, error=str(bad))
            request = following
            continue
        if embed is not None:
            embedded = embed(body)
            body = body if embedded is None else embedded
        following = paginator.next_request(response, request)
        listed = items(body)
        listed = listed if isinstance(listed, list) else []
        yield Page(response.url, body, following, len(listed), newest(updated(i) for i in listed))
        request = following


def collect(
    client: HttpClient, request: dict[str, Any], paginator: Paginator, items: Callable[[Any], Any]
) -> list[Any]:
    """Return every item of a paged list (an issue's comments); invalid JSON or a paging cycle
    raises."""
    found: list[Any] = []
    guard = PageGuard(client)
    while request is not None:
        guard.visit(request)
        response = client.send(request)
        listed = items(response.json())
        if not isinstance(listed, list):
            raise PullError(f"{client.source}: GET {response.url}: expected a list of items")
        found.extend(listed)
        request = paginator.next_request(response, request)
    return found


def newest(values: Any) -> str | None:
    """Return the latest of some tracker timestamps as ISO 8601 UTC (``...Z``); bad ones ignored."""
    latest: datetime | None = None
    for value in values:
        try:
            when = parse_datetime(value)
        except (TypeError, ValueError):
            continue
        if when is not None and (latest is None or when > latest):
            latest = when
    return iso(latest) if latest else None


def iso(when: datetime) -> str:
    """Return ``when`` as ISO 8601 UTC with a ``Z``, to the second (the cursor's format)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
