"""Jira REST search responses (Server/Data Center v2 and Cloud v3) as records.

One file is one page of ``GET /rest/api/2/search`` (or ``/3/search/jql``)::

    {"startAt": 0, "maxResults": 50, "total": 2,     # or "nextPageToken": ..., "isLast": true
     "issues": [{"key": "ACME-12", "self": "https://acme.atlassian.net/rest/api/2/issue/10012",
                 "fields": {"summary": ..., "description": wiki text | ADF | null,
                            "status": {"name": ..., "statusCategory": {"key": "new"}}, ...}}]}

A single issue object (``GET /rest/api/2/issue/KEY``) is read as a page of one. The resolution
``Duplicate`` makes an issue a duplicate, and so does an outward Duplicate link ("duplicates
ACME-7"), which names the original; an inward one ("is duplicated by") does not.
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
    duplicate_columns,
    field_datetime,
    load_json,
    read_items,
)
from dataprep.connectors.refs import collect_links
from dataprep.text.markup import adf_to_markdown, jira_wiki_to_markdown

# Resolutions that close an issue without doing it; Jira puts them under the "done" category.
WONT_DO_RESOLUTIONS = frozenset(
    {
        "won't fix",
        "won't do",
        "duplicate",
        "cannot reproduce",
        "incomplete",
        "declined",
        "rejected",
        "invalid",
        "obsolete",
    }
)
STATUS_CATEGORIES = {"new": "open", "indeterminate": "in_progress", "done": "done"}
# Used only when a status has no category (older Server responses, hand-made exports).
STATUS_NAMES = {
    **dict.fromkeys(
        ["open", "to do", "backlog", "new", "reopened", "selected for development"], "open"
    ),
    **dict.fromkeys(["in progress", "in review", "review", "testing"], "in_progress"),
    **dict.fromkeys(["done", "closed", "resolved", "released"], "done"),
}
ISSUE_TYPES = {
    # Jira Service Management's "Incident" and "Problem" report something broken: bugs.
    **dict.fromkeys(["bug", "defect", "incident", "problem"], "bug"),
    **dict.fromkeys(["story", "new feature", "feature"], "feature"),
    **dict.fromkeys(["task", "sub-task", "subtask", "technical task"], "task"),
    **dict.fromkeys(["improvement", "enhancement"], "improvement"),
    "epic": "epic",
    **dict.fromkeys(["question", "support", "service request"], "question"),
}
PRIORITIES = {
    **dict.fromkeys(["highest", "blocker", "critical", "urgent"], "critical"),
    **dict.fromkeys(["high", "major"], "high"),
    **dict.fromkeys(["medium", "normal"], "medium"),
    **dict.fromkeys(["low", "lowest", "minor", "trivial"], "low"),
}


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Jira file: a REST search page (``.json``), a CSV "all fields"
    export (``.csv``) or an XML (RSS) export (``.xml``); ``ctx.format`` overrides the extension."""
    kind = ctx.format or path.suffix.lower().lstrip(".")
    # Imported here: the export readers reuse this module's vocabulary, so they import it.
    if kind == "csv":
        from dataprep.connectors import jira_csv

        return jira_csv.read_file(path, ctx)
    if kind == "xml":
        from dataprep.connectors import jira_xml

        return jira_xml.read_file(path, ctx)
    return read_json(path, ctx)


def read_json(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Jira search-response file; bad issues are quarantined."""
    return read_items(ctx, lambda: _issues(load_json(path)), _issue_record)


def _issues(data: Any) -> list[tuple[str, Any]]:
    """Return (JSON path, issue) pairs of a search page or a single issue."""
    if isinstance(data, dict) and isinstance(data.get("issues"), list):
        return [(f":$.issues[{i}]", issue) for i, issue in enumerate(data["issues"])]
    if isinstance(data, dict) and "key" in data and "fields" in data:
        return [(":$", data)]
    raise InputError(
        "expected a Jira search response: an object with an 'issues' list",
        reason="parse:unexpected-shape",
    )


def _issue_record(issue: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    """Return one issue as a record row; raise ``InputError`` naming a missing or bad field."""
    key, fields = _key_and_fields(issue)
    summary = fields.get("summary")
    if not isinstance(summary, str):
        raise InputError("fields.summary: missing")
    body = _markup(fields.get("description"), "fields.description")
    comments = _comments(fields)
    return {
        "record_id": f"jira:{key}",
        "source": "jira",
        "kind": "issue",
        "project": ctx.project or _str(dig(fields, "project", "key")) or key.rsplit("-", 1)[0],
        "key": key,
        "title": summary,
        "body": body,
        "status": canonical_status(fields.get("status"), fields.get("resolution"), ctx, result),
        "issue_type": canonical_issue_type(dig(fields, "issuetype", "name"), ctx, result),
        "priority": canonical_priority(dig(fields, "priority", "name"), ctx, result),
        "labels": [label for label in _list(fields.get("labels")) if isinstance(label, str)],
        "security_level": _str(dig(fields, "security", "name")),
        "components": _names(fields.get("components")),
        "fix_versions": _names(fields.get("fixVersions")),
        "author": _person(fields.get("reporter")),
        "assignee": _person(fields.get("assignee")),
        "created_at": field_datetime(fields.get("created"), "fields.created"),
        "updated_at": field_datetime(fields.get("updated"), "fields.updated"),
        "resolved_at": field_datetime(fields.get("resolutiondate"), "fields.resolutiondate"),
        "comments": comments,
        "links": collect_links(
            [summary, body, *(c["body"] for c in comments)],
            structured=_linked_keys(fields),
            own=[key],
        ),
        **duplicate_columns(
            is_duplicate_resolution(dig(fields, "resolution", "name")), _duplicate_of(fields)
        ),
        "url": _browse_url(issue.get("self"), key),
    }


def _key_and_fields(issue: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(issue, dict):
        raise InputError(f"expected an issue object, got {type(issue).__name__}")
    key = issue.get("key")
    if not isinstance(key, str) or not key:
        raise InputError("key: missing")
    fields = issue.get("fields")
    if not isinstance(fields, dict):
        raise InputError("fields: missing")
    return key, fields


def canonical_status(
    status: Any,
    resolution: Any,
    ctx: ReadContext | None = None,
    result: ReadResult | None = None,
) -> str | None:
    """Return the canonical status of a Jira status and resolution, or None if unrecognised.

    A won't-do resolution (Duplicate, Won't Fix, ...) wins; then the config's ``status_map``
    by status name; then the status category; then the status name (``STATUS_NAMES``).
    """
    if _norm(dig(resolution, "name")) in WONT_DO_RESOLUTIONS:
        return "wont_do"
    name = dig(status, "name")
    category = STATUS_CATEGORIES.get(dig(status, "statusCategory", "key"))
    if not isinstance(name, str) or not name.strip():
        return category
    defaults = {name: category} if category else STATUS_NAMES
    return _context(ctx).canonical("status", name, defaults, _result(result))


def canonical_issue_type(
    name: Any, ctx: ReadContext | None = None, result: ReadResult | None = None
) -> str | None:
    """Return the canonical issue type of a Jira issue type name; ``other`` if unknown."""
    if not isinstance(name, str):
        return None
    return _context(ctx).canonical("issue_type", name, ISSUE_TYPES, _result(result), "other")


def canonical_priority(
    name: Any, ctx: ReadContext | None = None, result: ReadResult | None = None
) -> str | None:
    """Return the canonical priority of a Jira priority name, or None if missing or unknown."""
    if not isinstance(name, str):
        return None
    return _context(ctx).canonical("priority", name, PRIORITIES, _result(result))


def _context(ctx: ReadContext | None) -> ReadContext:
    return ctx if ctx is not None else ReadContext("", "")


def _result(result: ReadResult | None) -> ReadResult:
    return result if result is not None else ReadResult()


def _norm(name: Any) -> str:
    # Jira Cloud writes "Won’t Do" with a typographic apostrophe.
    return name.strip().lower().replace("\u2019", "'") if isinstance(name, str) else ""


def _markup(value: Any, field_name: str) -> str | None:
    """Return wiki markup (v2) or an ADF document (v3) as Markdown."""
    if value is None:
        return None
    if isinstance(value, str):
        return jira_wiki_to_markdown(value)
    if isinstance(value, dict):
        return adf_to_markdown(value)
    raise InputError(f"{field_name}: expected wiki text or an ADF document, got {value!r}")


def _comments(fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the comments in time order (undated ones last)."""
    raw = dig(fields, "comment", "comments")
    comments = []
    for i, comment in enumerate(_list(raw)):
        where = f"fields.comment.comments[{i}]"
        if not isinstance(comment, dict):
            raise InputError(f"{where}: expected a comment object")
        comments.append(
            {
                "author": _person(comment.get("author")),
                "created_at": field_datetime(comment.get("created"), f"{where}.created"),
                "body": _markup(comment.get("body"), f"{where}.body"),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _person(user: Any) -> str | None:
    # Server responses always carry ``name``; some exports omit ``displayName``.
    return _str(dig(user, "displayName")) or _str(dig(user, "name"))


def _names(items: Any) -> list[str]:
    return [name for item in _list(items) if (name := _str(dig(item, "name")))]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _linked_keys(fields: dict[str, Any]) -> list[str]:
    """Return keys named by issue links, the parent and subtasks."""
    keys = [dig(fields, "parent", "key")]
    for link in _list(fields.get("issuelinks")):
        keys += [dig(link, "outwardIssue", "key"), dig(link, "inwardIssue", "key")]
    keys += [dig(task, "key") for task in _list(fields.get("subtasks"))]
    return [key for key in keys if isinstance(key, str)]


def is_duplicate_resolution(name: Any) -> bool:
    """Return whether a resolution name is Jira's "Duplicate"."""
    return _norm(name) == "duplicate"


def is_duplicate_link_type(name: Any, outward: Any = None) -> bool:
    """Return whether an issue link type is Jira's Duplicate ("duplicates" / "is duplicated
    by"), by its name or, for a renamed type, by its outward description."""
    return _norm(name) == "duplicate" or _norm(outward) == "duplicates"


def _duplicate_of(fields: dict[str, Any]) -> str | None:
    """Return the key this issue "duplicates" (an outward Duplicate link); an inward link
    ("is duplicated by") names a duplicate of this issue, not its original."""
    for link in _list(fields.get("issuelinks")):
        if is_duplicate_link_type(dig(link, "type", "name"), dig(link, "type", "outward")):
            key = _str(dig(link, "outwardIssue", "key"))
            if key:
                return key
    return None


def _browse_url(self_url: Any, key: str) -> str | None:
    """Return ``https://HOST[/context]/browse/KEY`` from the REST ``self`` link."""
    match = re.match(r"(https?://.+?)/rest/api/", self_url) if isinstance(self_url, str) else None
    return f"{match.group(1)}/browse/{key}" if match else None
