"""GitHub REST issues (``GET /repos/{owner}/{repo}/issues?state=all``) as records.

One file is the JSON list that endpoint returns::

    [{"number": 45, "title": ..., "body": Markdown | null, "state": "closed",
      "state_reason": "completed", "repository_url": "https://api.github.com/repos/acme/widgets",
      "html_url": "https://github.com/acme/widgets/issues/45", "user": {"login": ...},
      "labels": [{"name": "bug"}], "milestone": {"title": "v2.3"} | null,
      "comments": 2 | [{"user": {"login": ...}, "created_at": ..., "body": ...}], ...}]

``comments`` is the count REST gives, or the comment objects ``dataprep pull`` puts in its place.
The output of ``gh issue list --json number,title,body,state,stateReason,labels,author,assignees,
comments,createdAt,updatedAt,closedAt,url,milestone`` is read too: its items (camelCase keys,
``"author": {"login"}``, ``"state": "CLOSED"``, ``"url"`` the web page) are renamed to the REST
names first (``_from_gh_cli``).
Pull requests (items with a ``pull_request`` object) are skipped with ``source:pull-request``.
An issue closed as a duplicate (``state_reason: duplicate``) or labelled ``duplicate`` is a
duplicate; a "Duplicate of #N" line in its body or a comment (GitHub's own wording) names the
original.
A single issue object (``GET .../issues/45``) is read as a list of one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    dig,
    duplicate_columns,
    field_datetime,
    load_json,
    read_items,
)
from dataprep.connectors.refs import collect_links, find_refs

# Native value: the state_reason of a closed issue (when given), else the state.
STATUSES = {
    **dict.fromkeys(["open", "reopened"], "open"),
    **dict.fromkeys(["closed", "completed"], "done"),
    **dict.fromkeys(["not_planned", "duplicate"], "wont_do"),
}
ISSUE_TYPES = {
    **dict.fromkeys(["bug", "defect", "regression"], "bug"),
    **dict.fromkeys(["enhancement", "feature", "feature request"], "feature"),
    **dict.fromkeys(["question", "support"], "question"),
    **dict.fromkeys(["task", "chore", "documentation", "docs"], "task"),
    **dict.fromkeys(["improvement", "performance", "refactor"], "improvement"),
    "epic": "epic",
}
PRIORITIES = {
    **dict.fromkeys(["p0", "critical", "urgent", "blocker"], "critical"),
    **dict.fromkeys(["p1", "high"], "high"),
    **dict.fromkeys(["p2", "medium", "normal"], "medium"),
    **dict.fromkeys(["p3", "low", "minor"], "low"),
}
_TYPE_PREFIX = re.compile(r"^(?:type|kind)\s*[:/]\s*")
_PRIORITY_LABEL = re.compile(r"^priority\s*[:/]\s*(.+)$|^(p[0-3])$")
_API_REPO = re.compile(r"/repos/([^/]+/[^/]+?)(?:/issues/\d+)?/?$")
_HTML_REPO = re.compile(r"^https?://[^/]+/([^/]+/[^/]+)/(?:issues|pull)/\d+")
# GitHub's own marker: a line "Duplicate of #N" (or owner/repo#N, or the issue's URL). Only at
# the start of a line, so prose such as "not a duplicate of #3" does not count.
_DUPLICATE_OF = re.compile(r"^[ \t]*duplicate of:?[ \t]+(\S+)", re.IGNORECASE | re.MULTILINE)


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one GitHub issues file; pull requests skipped, bad ones quarantined."""
    return read_items(ctx, lambda: _items(load_json(path)), _read_item)


def _items(data: Any) -> list[tuple[str, Any]]:
    """Return (JSON path, item) pairs of an issues list or a single issue."""
    if isinstance(data, list):
        return [(f":$[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict) and "number" in data and "title" in data:
        return [(":$", data)]
    raise InputError(
        "expected a JSON list of GitHub issues (GET /repos/OWNER/REPO/issues)",
        reason="parse:unexpected-shape",
    )


def _read_item(item: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any] | None:
    """Return the record of one issue, or None for a pull request (skipped with a reason)."""
    if not isinstance(item, dict):
        raise InputError(f"expected an issue object, got {type(item).__name__}")
    if "createdAt" in item or "stateReason" in item:
        item = _from_gh_cli(item)
    repo, number = _repo(item, ctx), _number(item)
    if item.get("pull_request") is not None:
        detail = _str(item.get("html_url")) or ""
        result.skip(f"github:{repo}#{number}", "source:pull-request", detail)
        return None
    return _issue_record(item, ctx, result, repo, number)


def _from_gh_cli(item: dict[str, Any]) -> dict[str, Any]:
    """Return a ``gh issue list --json`` item with the REST field names this module reads."""
    state, reason = item.get("state"), item.get("stateReason")
    comments = item.get("comments")
    if isinstance(comments, list):
        comments = [
            {"user": c.get("author"), "created_at": c.get("createdAt"), "body": c.get("body")}
            if isinstance(c, dict)
            else c
            for c in comments
        ]
    assignees = item.get("assignees")
    return {
        **item,
        "state": state.lower() if isinstance(state, str) else state,
        "state_reason": reason.lower() if isinstance(reason, str) and reason else None,
        "user": item.get("author"),
        "assignee": assignees[0] if isinstance(assignees, list) and assignees else None,
        "html_url": item.get("url"),
        "url": None,  # the web page, not the API URL REST puts here
        "created_at": item.get("createdAt"),
        "updated_at": item.get("updatedAt"),
        "closed_at": item.get("closedAt"),
        "comments": comments,
    }


def _issue_record(
    item: dict[str, Any], ctx: ReadContext, result: ReadResult, repo: str, number: int
) -> dict[str, Any]:
    """Return one issue as a record row; raise ``InputError`` naming a missing or bad field."""
    title = item.get("title")
    if not isinstance(title, str):
        raise InputError("title: missing")
    body = _text(item.get("body"))
    labels = _labels(item.get("labels"))
    state = item.get("state")
    closed_at = field_datetime(item.get("closed_at"), "closed_at") if state == "closed" else None
    comments = _comments(item.get("comments"))
    return {
        "record_id": f"github:{repo}#{number}",
        "source": "github",
        "kind": "issue",
        "project": ctx.project or repo,
        "key": f"#{number}",
        "title": title,
        "body": body,
        "status": canonical_status(state, item.get("state_reason"), ctx, result),
        "issue_type": canonical_issue_type(dig(item, "type", "name"), labels, ctx, result),
        "priority": canonical_priority(labels, ctx),
        "labels": labels,
        "fix_versions": [m] if (m := _str(dig(item, "milestone", "title"))) else [],
        "author": _str(dig(item, "user", "login")),
        "assignee": _str(dig(item, "assignee", "login")),
        "created_at": field_datetime(item.get("created_at"), "created_at"),
        "updated_at": field_datetime(item.get("updated_at"), "updated_at"),
        "resolved_at": closed_at,
        "comments": comments,
        "links": collect_links(
            [title, body, *(c["body"] for c in comments)],
            own=[f"#{number}", f"{repo}#{number}"],
            repo=repo,
        ),
        **duplicate_columns(
            item.get("state_reason") == "duplicate"
            or any(label.strip().lower() == "duplicate" for label in labels),
            _duplicate_of([body, *(c["body"] for c in comments)], repo, number),
        ),
        "url": _str(item.get("html_url")),
    }


def _duplicate_of(texts: list[str | None], repo: str, number: int) -> str | None:
    """Return ``owner/repo#N`` of the last "Duplicate of #N" line in the body and the comments
    (in time order, so a later marking wins); None if there is none."""
    found = None
    for text in texts:
        for match in _DUPLICATE_OF.finditer(text or ""):
            refs = {r for r in find_refs(match.group(1), repo) if "#" in r} - {f"{repo}#{number}"}
            if len(refs) == 1:
                found = refs.pop()
    return found


def _repo(item: dict[str, Any], ctx: ReadContext) -> str:
    """Return ``owner/repo`` from the item's API or web URL, else the configured project."""
    for url, pattern in (
        (item.get("repository_url"), _API_REPO),
        (item.get("url"), _API_REPO),
        (item.get("html_url"), _HTML_REPO),
    ):
        match = pattern.search(url) if isinstance(url, str) else None
        if match:
            return match.group(1)
    if ctx.project:
        return ctx.project
    raise InputError(
        "repository_url: missing, so the repository is unknown; set the source's project"
    )


def _number(item: dict[str, Any]) -> int:
    number = item.get("number")
    if isinstance(number, str) and number.isdigit():
        return int(number)
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    raise InputError(f"number: missing or not an integer: {number!r}")


def canonical_status(
    state: Any,
    state_reason: Any,
    ctx: ReadContext | None = None,
    result: ReadResult | None = None,
) -> str | None:
    """Return the canonical status of a GitHub state and state_reason, or None if unrecognised.

    A closed issue is looked up by its ``state_reason`` (completed, not_planned, duplicate) when
    it has one, else by its state; the config's ``status_map`` comes first.
    """
    native = state_reason if state == "closed" and state_reason else state
    if not isinstance(native, str):
        return None
    return _context(ctx).canonical("status", native, STATUSES, _result(result))


def canonical_issue_type(
    type_name: Any,
    labels: list[str],
    ctx: ReadContext | None = None,
    result: ReadResult | None = None,
) -> str | None:
    """Return the canonical issue type from the issue type, else the first label that names one.

    Labels are matched against the config's ``type_map`` first (the whole label), then the
    defaults (``type: bug`` and ``kind/bug`` read as ``bug``). Labels that name no type are not
    counted as unmapped: most labels are not types.
    """
    ctx = _context(ctx)
    if isinstance(type_name, str) and type_name.strip():
        return ctx.canonical("issue_type", type_name, ISSUE_TYPES, _result(result), "other")
    for label in labels:
        issue_type = _lookup(ctx.type_map, label) or ISSUE_TYPES.get(
            _TYPE_PREFIX.sub("", label.strip().lower())
        )
        if issue_type:
            return issue_type
    return None


def canonical_priority(labels: list[str], ctx: ReadContext | None = None) -> str | None:
    """Return the canonical priority named by the first label in the config's ``priority_map``,
    else by the first ``priority: X`` or ``P0``-``P3`` label."""
    for label in labels:
        priority = _lookup(_context(ctx).priority_map, label)
        if not priority:
            match = _PRIORITY_LABEL.match(label.strip().lower())
            priority = PRIORITIES.get((match.group(1) or match.group(2)).strip()) if match else None
        if priority:
            return priority
    return None


def _lookup(table: Mapping[str, str], value: str) -> str | None:
    """Return ``table[value]`` compared case-insensitively, or None."""
    key = value.strip().lower()
    return next((canonical for native, canonical in table.items() if native.lower() == key), None)


def _context(ctx: ReadContext | None) -> ReadContext:
    return ctx if ctx is not None else ReadContext("", "")


def _result(result: ReadResult | None) -> ReadResult:
    return result if result is not None else ReadResult()


def _labels(value: Any) -> list[str]:
    labels = value if isinstance(value, list) else []
    names = [label if isinstance(label, str) else dig(label, "name") for label in labels]
    return [name for name in names if isinstance(name, str) and name]


def _comments(value: Any) -> list[dict[str, Any]]:
    """Return embedded comments in time order; the REST count (an int) gives none."""
    comments = []
    for i, comment in enumerate(value if isinstance(value, list) else ()):
        if not isinstance(comment, dict):
            raise InputError(f"comments[{i}]: expected a comment object")
        comments.append(
            {
                "author": _str(dig(comment, "user", "login")),
                "created_at": field_datetime(
                    comment.get("created_at"), f"comments[{i}].created_at"
                ),
                "body": _text(comment.get("body")),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _text(value: Any) -> str | None:
    # GitHub keeps the line endings the browser sent (often \r\n); the rest is Markdown as written.
    return value.replace("\r\n", "\n") if isinstance(value, str) else None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
