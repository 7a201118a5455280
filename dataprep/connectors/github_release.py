"""GitHub Releases (``GET /repos/{owner}/{repo}/releases``) as release records.

One file is the JSON list that endpoint returns (newest first, drafts included for users with
push access)::

    [{"url": "https://api.github.com/repos/acme/widgets/releases/1", "tag_name": "v2.3.0",
      "html_url": "https://github.com/acme/widgets/releases/tag/v2.3.0", "name": "Widgets 2.3",
      "body": Markdown | null, "draft": false, "prerelease": false,
      "created_at": ..., "published_at": ... | null, "author": {"login": ...}, ...}]

The output of ``gh release list --json tagName,name,publishedAt,createdAt,isDraft,isPrerelease``
(a list; no URL, so the source's ``project`` must name the repository) and of ``gh release view
TAG --json tagName,name,body,publishedAt,createdAt,isDraft,isPrerelease,url,apiUrl,author``
(one object) are read too: their camelCase keys are renamed to the REST names first
(``_from_gh_cli``). A single release object (REST ``.../releases/latest``) is a list of one.

The body's entries and contributors are read as GitHub's generated notes ("* title by @user
in URL", "## New Contributors"; see ``changelog.markdown.release_body_entries``).

Drafts are kept as unreleased records (``status: open``, no ``released_at``); a prerelease is
a release like any other.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    dig,
    field_datetime,
    load_json,
    read_items,
)
from dataprep.connectors.changelog.markdown import release_body_entries
from dataprep.connectors.refs import collect_links

_API_REPO = re.compile(r"/repos/([^/]+/[^/]+)/releases(?:/|$)")
_HTML_REPO = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/releases(?:/|$)")
_VERSION_PREFIX = re.compile(r"^v(?=\d)")
# gh writes an unset time as Go's zero time (a draft's publishedAt).
_GO_ZERO_TIME = "0001-01-01T00:00:00Z"


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the release records of one GitHub releases file; bad items quarantined."""
    return read_items(ctx, lambda: _items(load_json(path)), _build)


def _items(data: Any) -> list[tuple[str, Any]]:
    """Return (JSON path, item) pairs of a releases list or a single release."""
    if isinstance(data, list):
        return [(f":$[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict) and ("tag_name" in data or "tagName" in data):
        return [(":$", data)]
    raise InputError(
        "expected a JSON list of GitHub releases (GET /repos/OWNER/REPO/releases "
        "or gh release list --json)",
        reason="parse:unexpected-shape",
    )


def _build(item: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    return release_record(item, ctx)


def release_record(item: Any, ctx: ReadContext) -> dict[str, Any]:
    """Return one release (REST or gh shape) as a record row; raise ``InputError`` naming a
    missing or bad field."""
    if not isinstance(item, dict):
        raise InputError(f"expected a release object, got {type(item).__name__}")
    if "tagName" in item:
        item = _from_gh_cli(item)
    tag = item.get("tag_name")
    if not isinstance(tag, str) or not tag.strip():
        raise InputError(f"tag_name: missing or not a string: {tag!r}")
    repo = _repo(item, ctx)
    draft = item.get("draft") is True
    # A draft's published_at is null in REST (gh: zero time); it has not been released.
    published = None if draft else field_datetime(item.get("published_at"), "published_at")
    body = _text(item.get("body"))
    entries, contributors = release_body_entries(body, repo)
    return {
        "record_id": f"github_release:{repo}@{tag}",
        "source": "github_release",
        "kind": "release",
        "project": ctx.project or repo,
        "key": tag,
        "version": _VERSION_PREFIX.sub("", tag),
        "title": _str(item.get("name")) or tag,
        "body": body,
        "status": "done" if published else "open",
        "author": _str(dig(item, "author", "login")),
        "created_at": field_datetime(item.get("created_at"), "created_at"),
        "released_at": published,
        "entries": [{"section": e.section, "text": e.text, "refs": e.refs} for e in entries],
        "contributors": contributors,
        "links": collect_links([body], repo=repo),
        "url": _str(item.get("html_url")),
    }


def _from_gh_cli(item: dict[str, Any]) -> dict[str, Any]:
    """Return a ``gh release list/view --json`` item with the REST field names this module reads."""
    published = item.get("publishedAt")
    return {
        **item,
        "tag_name": item.get("tagName"),
        "draft": item.get("isDraft"),
        "prerelease": item.get("isPrerelease"),
        "created_at": item.get("createdAt"),
        "published_at": None if published == _GO_ZERO_TIME else published,
        "html_url": item.get("url"),
        "url": item.get("apiUrl"),  # REST's url is the API one; gh's is the web page
    }


def _repo(item: dict[str, Any], ctx: ReadContext) -> str:
    """Return ``owner/repo`` from the release's API or web URL, else the configured project."""
    for url, pattern in ((item.get("url"), _API_REPO), (item.get("html_url"), _HTML_REPO)):
        match = pattern.search(url) if isinstance(url, str) else None
        if match:
            return match.group(1)
    if ctx.project:
        return ctx.project
    raise InputError(
        "url: missing, so the repository is unknown; set the source's project to OWNER/REPO"
    )


def _text(value: Any) -> str | None:
    # GitHub keeps the line endings the browser sent (often \r\n); the rest is Markdown as written.
    return value.replace("\r\n", "\n") if isinstance(value, str) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
