"""Linear issues, from its CSV export or from GraphQL pages that ``dataprep pull`` saved.

CSV export (Settings > Import/export > Export CSV), one row an issue::

    ID,Team,Title,Description,Status,Estimate,Priority,Project,Creator,Assignee,Labels,
    Created,Updated,Started,Completed,Canceled,...
    ENG-123,Engineering,Crash on save,Markdown text,In Progress,3,High,Editor,Jane Doe,,
    "Bug, Editor",2024-03-05T09:14:00.000Z,...

Labels are comma-separated; dates ISO 8601 (older exports write JavaScript's
``Tue Mar 05 2024 09:14:00 GMT+0000 (Coordinated Universal Time)``, read too).

GraphQL page (``query { issues(first: 50, after: $cursor) { nodes {...} pageInfo {...} } }``)::

    {"data": {"issues": {"pageInfo": {"hasNextPage": true, "endCursor": "..."},
      "nodes": [{"identifier": "ENG-123", "title": ..., "description": Markdown, "url": ...,
                 "priority": 2, "priorityLabel": "High",
                 "state": {"name": "In Progress", "type": "started"}, "team": {"key": "ENG"},
                 "labels": {"nodes": [{"name": "Bug"}]}, "creator": {"name": ...},
                 "assignee": {"name": ...} | null, "createdAt": ..., "updatedAt": ...,
                 "completedAt": ..., "canceledAt": ..., "parent": {"identifier": ...} | null,
                 "comments": {"nodes": [{"body": ..., "createdAt": ..., "user": {"name": ...}}]},
                 "relations": {"nodes": [{"type": "duplicate",
                                          "relatedIssue": {"identifier": "ENG-99"}}]}}]}}}

A list of nodes, ``{"nodes": [...]}`` and ``{"issues": {"nodes": [...]}}`` are read too. Status
maps by name (config first, then ``STATUSES``), else by the state's type; the issue type comes
from the labels (Linear has no issue types); ``project`` is the team key (``ENG``), which both
shapes carry. ``resolved_at`` is the completion or cancellation date. A ``duplicate`` relation
(in ``relations``: this issue duplicates ``relatedIssue``) or the state ``Duplicate`` makes the
issue a duplicate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dataprep.connectors import github
from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    decode_text,
    dig,
    duplicate_columns,
    load_json,
    read_items,
)
from dataprep.connectors.generic import csv_rows, field_datetime_any
from dataprep.connectors.refs import collect_links
from dataprep.text.markup import tidy_markdown

STATUSES = {
    **dict.fromkeys(["backlog", "todo", "to do", "triage", "unstarted"], "open"),
    **dict.fromkeys(["in progress", "in review", "started"], "in_progress"),
    **dict.fromkeys(["done", "completed"], "done"),
    **dict.fromkeys(["canceled", "cancelled", "duplicate"], "wont_do"),
}
# WorkflowState.type, for team-specific state names.
STATE_TYPES = {
    "backlog": "open",
    "unstarted": "open",
    "triage": "open",
    "started": "in_progress",
    "completed": "done",
    "canceled": "wont_do",
}
PRIORITIES = {"urgent": "critical", "high": "high", "medium": "medium", "low": "low"}
PRIORITY_NUMBERS = {1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}  # 0: no priority
DATE_FORMATS = ("%a %b %d %Y %H:%M:%S GMT%z",)
_JS_ZONE_NAME = re.compile(r"\s*\([^)]*\)\s*$")


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Linear CSV export or GraphQL page; bad issues quarantined."""
    kind = ctx.format or path.suffix.lower().lstrip(".")
    if kind == "csv":
        text = lambda: decode_text(path.read_bytes())  # noqa: E731 (read inside the guard)
        return read_items(ctx, lambda: [(w, _from_csv(r)) for w, r in csv_rows(text())], _record)
    return read_items(ctx, lambda: _nodes(load_json(path)), _record)


def _nodes(data: Any) -> list[tuple[str, Any]]:
    """Return (JSON path, issue node) pairs of a GraphQL page."""
    for path, keys in (
        ("$.data.issues.nodes", ("data", "issues", "nodes")),
        ("$.issues.nodes", ("issues", "nodes")),
        ("$.nodes", ("nodes",)),
    ):
        nodes = dig(data, *keys)
        if isinstance(nodes, list):
            return [(f":{path}[{i}]", node) for i, node in enumerate(nodes)]
    if isinstance(data, list):
        return [(f":$[{i}]", node) for i, node in enumerate(data)]
    errors = dig(data, "errors")
    detail = f": {dig(errors[0], 'message')}" if isinstance(errors, list) and errors else ""
    raise InputError(
        'expected a Linear GraphQL response {"data": {"issues": {"nodes": [...]}}}' + detail,
        reason="parse:unexpected-shape",
    )


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """Return a CSV row in the GraphQL node's shape, so one mapping reads both."""

    def cell(name: str) -> str | None:
        value = (row.get(name) or "").strip()
        return value or None

    labels = [name.strip() for name in (cell("Labels") or "").split(",") if name.strip()]
    return {
        "identifier": cell("ID"),
        "title": cell("Title"),
        "description": row.get("Description"),
        "state": {"name": cell("Status")},
        "priorityLabel": cell("Priority"),
        "labels": {"nodes": [{"name": name} for name in labels]},
        "creator": {"name": cell("Creator")},
        "assignee": {"name": cell("Assignee")},
        "createdAt": cell("Created"),
        "updatedAt": cell("Updated"),
        "completedAt": cell("Completed"),
        "canceledAt": cell("Canceled"),
        "parent": {"identifier": cell("Parent issue")},
    }


def _record(node: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise InputError(f"expected an issue object, got {type(node).__name__}")
    key = node.get("identifier")
    if not isinstance(key, str) or not key.strip():
        raise InputError("identifier (ID): missing")
    title = node.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError("title: missing")
    description = node.get("description")
    body = tidy_markdown(description) or None if isinstance(description, str) else None
    labels = [n for label in _nodes_of(node.get("labels")) if (n := _str(dig(label, "name")))]
    comments = _comments(node.get("comments"))
    completed = _date(node.get("completedAt"), "completedAt")
    canceled = _date(node.get("canceledAt"), "canceledAt")
    return {
        "record_id": f"linear:{key}",
        "source": "linear",
        "kind": "issue",
        "project": ctx.project or _str(dig(node, "team", "key")) or key.rsplit("-", 1)[0],
        "key": key,
        "title": title.strip(),
        "body": body,
        "status": _status(node.get("state"), ctx, result),
        "issue_type": github.canonical_issue_type(None, labels, ctx, result),
        "priority": _priority(node, ctx, result),
        "labels": labels,
        "author": _person(node.get("creator")),
        "assignee": _person(node.get("assignee")),
        "created_at": _date(node.get("createdAt"), "createdAt"),
        "updated_at": _date(node.get("updatedAt"), "updatedAt"),
        "resolved_at": completed or canceled,
        "comments": comments,
        "links": collect_links(
            [title, body, *(c["body"] for c in comments)],
            structured=_linked(node),
            own=[key],
        ),
        **duplicate_columns(
            (_str(dig(node, "state", "name")) or "").lower() == "duplicate", _duplicate_of(node)
        ),
        "url": _str(node.get("url")),
    }


def _status(state: Any, ctx: ReadContext, result: ReadResult) -> str | None:
    name = _str(dig(state, "name"))
    by_type = STATE_TYPES.get(dig(state, "type"))
    if name is None:
        return by_type
    return ctx.canonical("status", name, {name: by_type} if by_type else STATUSES, result)


def _priority(node: dict[str, Any], ctx: ReadContext, result: ReadResult) -> str | None:
    label = node.get("priorityLabel")
    if not isinstance(label, str):
        label = PRIORITY_NUMBERS.get(node.get("priority"))
    if not label or label.strip().lower() == "no priority":
        return None
    return ctx.canonical("priority", label, PRIORITIES, result)


def _comments(value: Any) -> list[dict[str, Any]]:
    comments = []
    for i, comment in enumerate(_nodes_of(value)):
        if not isinstance(comment, dict):
            raise InputError(f"comments.nodes[{i}]: expected a comment object")
        body = comment.get("body")
        comments.append(
            {
                "author": _person(comment.get("user")),
                "created_at": _date(comment.get("createdAt"), f"comments.nodes[{i}].createdAt"),
                "body": tidy_markdown(body) if isinstance(body, str) else None,
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _linked(node: dict[str, Any]) -> list[str]:
    """Return the identifiers of the parent, children and related issues (duplicates too)."""
    keys = [dig(node, "parent", "identifier")]
    keys += [dig(child, "identifier") for child in _nodes_of(node.get("children"))]
    for relation in _nodes_of(node.get("relations")) + _nodes_of(node.get("inverseRelations")):
        keys += [dig(relation, "relatedIssue", "identifier"), dig(relation, "issue", "identifier")]
    return [key for key in keys if isinstance(key, str) and key]


def _duplicate_of(node: dict[str, Any]) -> str | None:
    """Return the issue this one duplicates: a ``duplicate`` relation of its own (in
    ``inverseRelations`` the other issue is the duplicate, not this one)."""
    for relation in _nodes_of(node.get("relations")):
        if _str(dig(relation, "type")) == "duplicate":
            key = _str(dig(relation, "relatedIssue", "identifier"))
            if key:
                return key
    return None


def _nodes_of(value: Any) -> list[Any]:
    """Return a GraphQL connection's nodes (or a plain list)."""
    nodes = value.get("nodes") if isinstance(value, dict) else value
    return nodes if isinstance(nodes, list) else []


def _date(value: Any, field_name: str) -> Any:
    if isinstance(value, str):
        value = _JS_ZONE_NAME.sub("", value)
    return field_datetime_any(value, field_name, DATE_FORMATS)


def _person(user: Any) -> str | None:
    return _str(dig(user, "name")) or _str(dig(user, "displayName"))


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
