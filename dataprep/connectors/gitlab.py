"""GitLab REST v4 issues (``GET /projects/:id/issues``), with the notes ``dataprep pull`` embeds.

One file is the JSON list that endpoint returns::

    [{"iid": 12, "project_id": 3, "title": ..., "description": Markdown | null,
      "state": "opened" | "closed", "labels": ["bug", "priority::high"],
      "references": {"full": "acme/web#12"}, "web_url": "https://gitlab.com/acme/web/-/issues/12",
      "author": {"username": ...}, "assignee": {"username": ...} | null, "milestone": {"title"},
      "created_at": "2013-12-03T17:15:43Z", "updated_at": ..., "closed_at": ... | null,
      "issue_type": "issue" | "incident" | "task",
      "notes": [{"body": ..., "author": {"username"}, "created_at": ..., "system": false}]}]

Older GitLab versions write dates as ``2017-09-15 16:50:55 UTC``; both are read. System notes
("changed the description", "closed") are not comments and are left out, except that "marked
this issue as a duplicate of #5" gives a link and makes the issue a duplicate of that one (the
latest such note wins). A single issue object is read as a list of one. Labels name the type
and priority (``bug``, ``type::bug``, ``priority::high``, ``P1``) as for GitHub; ``incident``
issues are bugs.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

from dataprep.connectors import github
from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    dig,
    duplicate_columns,
    load_json,
    read_items,
)
from dataprep.connectors.generic import field_datetime_any
from dataprep.connectors.refs import collect_links, find_refs
from dataprep.text.markup import tidy_markdown

STATUSES = {"opened": "open", "reopened": "open", "closed": "done"}
ISSUE_TYPES = {"incident": "bug", "task": "task", "test_case": "task"}  # "issue": see labels
_SCOPED = re.compile(r"^(type|kind|priority)::\s*")
_WEB_PATH = re.compile(r"^https?://[^/]+/(.+?)/-/(?:issues|work_items)/\d+")
_DUPLICATE_NOTE = re.compile(r"^marked this issue as a duplicate of\s+(\S+)", re.IGNORECASE)


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one GitLab issues file; bad issues are quarantined."""
    return read_items(ctx, lambda: _items(load_json(path)), _record)


def _items(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, list):
        return [(f":$[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict) and "iid" in data and "title" in data:
        return [(":$", data)]
    raise InputError(
        "expected a JSON list of GitLab issues (GET /projects/:id/issues)",
        reason="parse:unexpected-shape",
    )


def _record(item: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise InputError(f"expected an issue object, got {type(item).__name__}")
    iid = item.get("iid")
    if not isinstance(iid, int) or isinstance(iid, bool):
        raise InputError(f"iid: missing or not an integer: {iid!r}")
    title = item.get("title")
    if not isinstance(title, str) or not title.strip():
        raise InputError("title: missing")
    project_path = _project_path(item, ctx)
    description = item.get("description")
    body = tidy_markdown(description) or None if isinstance(description, str) else None
    labels = [_label(label) for label in item.get("labels") or []]
    labels = [label for label in labels if label]
    plain_labels = [_SCOPED.sub(lambda m: m.group(1) + ": ", label) for label in labels]
    comments, marked = _notes(item.get("notes"))
    duplicate_of = [_qualified(ref, project_path) for ref in marked]
    state = item.get("state")
    status = ctx.canonical("status", state, STATUSES, result)
    if status == "done" and duplicate_of:
        status = "wont_do"
    kind = item.get("issue_type")
    issue_type = github.canonical_issue_type(None, plain_labels, ctx, result)
    if issue_type is None and isinstance(kind, str) and kind != "issue":
        issue_type = ctx.canonical("issue_type", kind, ISSUE_TYPES, result, "other")
    own = [f"#{iid}", f"{project_path}#{iid}"]
    return {
        "record_id": f"gitlab:{project_path}#{iid}",
        "source": "gitlab",
        "kind": "issue",
        "project": ctx.project or project_path,
        "key": f"#{iid}",
        "title": title.strip(),
        "body": body,
        "status": status,
        "issue_type": issue_type,
        "priority": github.canonical_priority(plain_labels, ctx),
        "labels": labels,
        "security_level": "confidential" if item.get("confidential") is True else None,
        "fix_versions": [m] if (m := _str(dig(item, "milestone", "title"))) else [],
        "author": _str(dig(item, "author", "username")),
        "assignee": _str(dig(item, "assignee", "username"))
        or _str(dig((item.get("assignees") or [None])[0], "username")),
        "created_at": _date(item.get("created_at"), "created_at"),
        "updated_at": _date(item.get("updated_at"), "updated_at"),
        "resolved_at": _date(item.get("closed_at"), "closed_at") if state == "closed" else None,
        "comments": comments,
        "links": collect_links(
            [title, body, *(c["body"] for c in comments)],
            structured=duplicate_of,
            own=own,
            repo=project_path,
        ),
        **duplicate_columns(bool(duplicate_of), duplicate_of[-1] if duplicate_of else None),
        "url": _str(item.get("web_url")),
    }


def _project_path(item: dict[str, Any], ctx: ReadContext) -> str:
    """Return ``group/project`` from ``references.full``, the web URL or the config."""
    full = dig(item, "references", "full")
    if isinstance(full, str) and "#" in full:
        return full.rsplit("#", 1)[0]
    url = item.get("web_url")
    match = _WEB_PATH.match(url) if isinstance(url, str) else None
    if match:
        return match.group(1)
    if ctx.project:
        return ctx.project
    raise InputError(
        "references.full and web_url: missing, so the project is unknown; set the source's project"
    )


def _notes(value: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the user notes in time order, and the references of "duplicate of" notes in time
    order (the API lists notes newest first; the last marking is the one that stands)."""
    comments, marks = [], []
    for i, note in enumerate(value if isinstance(value, list) else []):
        if not isinstance(note, dict):
            raise InputError(f"notes[{i}]: expected a note object")
        body = note.get("body")
        if note.get("system"):
            match = _DUPLICATE_NOTE.match(body) if isinstance(body, str) else None
            if match:
                marks.append((_date_or_none(note.get("created_at")), match.group(1).rstrip(".")))
            continue
        comments.append(
            {
                "author": _str(dig(note, "author", "username")),
                "created_at": _date(note.get("created_at"), f"notes[{i}].created_at"),
                "body": tidy_markdown(body) if isinstance(body, str) else None,
            }
        )
    comments.sort(key=lambda c: (c["created_at"] is None, c["created_at"] or 0))
    marks.sort(key=lambda m: (m[0] is not None, m[0] or 0))
    return comments, [ref for _, ref in marks]


def _date_or_none(value: Any) -> datetime | None:
    # A system note's bad date only orders the marking; it is no reason to quarantine the issue.
    try:
        return _date(value, "notes.created_at")
    except InputError:
        return None


def _qualified(ref: str, project_path: str) -> str:
    """Return ``group/project#5`` for ``#5`` (and keep an already qualified reference)."""
    refs = find_refs(ref, project_path)
    return min(refs) if refs else ref


def _label(label: Any) -> str | None:
    # ``with_labels_details=true`` gives objects instead of names.
    return _str(label) or _str(dig(label, "name"))


def _date(value: Any, field_name: str) -> Any:
    return field_datetime_any(value, field_name, ("%Y-%m-%d %H:%M:%S %Z",))


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
