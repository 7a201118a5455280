"""Azure DevOps Boards work items, from a query's CSV export or saved ``workitemsbatch`` pages.

CSV export of a query (Boards > Queries > Export to CSV), columns named as shown in the query::

    ID,Work Item Type,Title,State,Assigned To,Tags,Priority,Description,Created Date,
    Changed Date,Area Path,Iteration Path
    412,Bug,Login fails,Active,Jane Doe <jane@fabrikam.com>,auth; web,1,<div>HTML</div>,
    3/5/2024 9:14:00 AM,...,Fabrikam\\Web,Fabrikam\\Sprint 12

Dates are written in the exporting user's locale without an offset: US (month first) and
ISO forms are read, as UTC. Tree queries write ``Title 1``, ``Title 2`` ... columns: the
first non-empty one is the title.

``POST _apis/wit/workitemsbatch`` response, with the comments ``dataprep pull`` embeds::

    {"count": 1, "value": [{"id": 412, "url": ".../_apis/wit/workItems/412",
      "fields": {"System.TeamProject": "Fabrikam", "System.WorkItemType": "Bug",
                 "System.Title": ..., "System.State": "Active", "System.Reason": ...,
                 "System.Description": HTML, "Microsoft.VSTS.TCM.ReproSteps": HTML,
                 "System.AssignedTo": {"displayName": ...}, "System.CreatedBy": {...},
                 "System.Tags": "auth; web", "Microsoft.VSTS.Common.Priority": 1,
                 "System.CreatedDate": ISO, "System.ChangedDate": ISO,
                 "Microsoft.VSTS.Common.ClosedDate": ISO, "System.AreaPath": "Fabrikam\\\\Web"},
      "relations": [{"rel": "System.LinkTypes.Duplicate-Reverse", "url": ".../workItems/7"}],
      "comments": [{"text": HTML, "createdBy": {"displayName": ...}, "createdDate": ISO}]}]}

``record_id`` is ``azure_devops:<project>/<id>``: work item ids are unique within an
organisation, but the organisation is in neither the CSV nor the fields, while the project is
in both (``System.TeamProject``, ``Team Project`` or the first part of the area path), so one
item read from an export and from the API gets the same id. Linked work items become
``<project>/<id>`` links, and so do ``#id`` mentions in the text. A bug's repro steps stand in
for its description when that is empty. The reason ``Duplicate`` makes an item a duplicate,
and its "Duplicate Of" link (``Duplicate-Reverse``) names the original. HTML becomes Markdown;
``"Name <email>"`` people keep their name only.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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
from dataprep.text.markup import html_to_markdown

STATUSES = {
    **dict.fromkeys(["new", "to do", "proposed", "approved"], "open"),
    **dict.fromkeys(["active", "doing", "committed", "in progress"], "in_progress"),
    **dict.fromkeys(["resolved", "closed", "done", "completed"], "done"),
    "removed": "wont_do",
}
# System.Reason values that close an item without doing it (Agile, Scrum and CMMI processes).
WONT_DO_REASONS = frozenset(
    {"duplicate", "obsolete", "cannot reproduce", "as designed", "won't fix", "rejected"}
)
ISSUE_TYPES = {
    "bug": "bug",
    **dict.fromkeys(["user story", "product backlog item", "feature", "requirement"], "feature"),
    **dict.fromkeys(["task", "issue"], "task"),
    "epic": "epic",
    "change request": "improvement",
}
PRIORITIES = {"1": "critical", "2": "high", "3": "medium", "4": "low"}
# Month-first, as the US locale writes them; day-first dates cannot be told apart from these.
DATE_FORMATS = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
CSV_FIELDS = {
    "ID": "System.Id",
    "Work Item Type": "System.WorkItemType",
    "Title": "System.Title",
    "State": "System.State",
    "Reason": "System.Reason",
    "Assigned To": "System.AssignedTo",
    "Created By": "System.CreatedBy",
    "Tags": "System.Tags",
    "Priority": "Microsoft.VSTS.Common.Priority",
    "Description": "System.Description",
    "Repro Steps": "Microsoft.VSTS.TCM.ReproSteps",
    "Created Date": "System.CreatedDate",
    "Changed Date": "System.ChangedDate",
    "Closed Date": "Microsoft.VSTS.Common.ClosedDate",
    "Resolved Date": "Microsoft.VSTS.Common.ResolvedDate",
    "Area Path": "System.AreaPath",
    "Iteration Path": "System.IterationPath",
    "Team Project": "System.TeamProject",
}
_EMAIL = re.compile(r"\s*<[^<>@\s]+@[^<>\s]+>\s*$")
_WORK_ITEM_URL = re.compile(r"/_apis/wit/workItems/(\d+)$", re.IGNORECASE)
_TITLE_LEVEL = re.compile(r"^Title \d+$")
_CLOUD_ORG = re.compile(r"^(https://dev\.azure\.com/[^/]+)/")
# The "Duplicate Of" end of the Duplicate link type, on the duplicate and pointing at the
# original. The Forward end is shown as "Duplicate": the original pointing at its duplicate.
# (learn.microsoft.com/azure/devops/boards/queries/link-type-reference, "Duplicate-Duplicate of")
DUPLICATE_OF_REL = "System.LinkTypes.Duplicate-Reverse"


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Azure DevOps CSV export or workitemsbatch page."""
    kind = ctx.format or path.suffix.lower().lstrip(".")
    if kind == "csv":
        text = lambda: decode_text(path.read_bytes())  # noqa: E731 (read inside the guard)
        return read_items(ctx, lambda: [(w, _from_csv(r)) for w, r in csv_rows(text())], _record)
    return read_items(ctx, lambda: _work_items(load_json(path)), _record)


def _work_items(data: Any) -> list[tuple[str, Any]]:
    if isinstance(data, dict) and isinstance(data.get("value"), list):
        return [(f":$.value[{i}]", item) for i, item in enumerate(data["value"])]
    if isinstance(data, list):
        return [(f":$[{i}]", item) for i, item in enumerate(data)]
    if isinstance(data, dict) and isinstance(data.get("fields"), dict):
        return [(":$", data)]
    raise InputError(
        'expected an Azure DevOps workitemsbatch response {"count": n, "value": [...]}',
        reason="parse:unexpected-shape",
    )


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """Return a CSV row in the API's work item shape, so one mapping reads both."""
    fields = {api: row[column] for column, api in CSV_FIELDS.items() if row.get(column)}
    if "System.Title" not in fields:
        levels = [row[name] for name in row if _TITLE_LEVEL.match(name) and row[name].strip()]
        if levels:
            fields["System.Title"] = levels[0]
    return {"id": fields.pop("System.Id", None), "fields": fields}


def _record(item: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    if not isinstance(item, dict) or not isinstance(item.get("fields"), dict):
        raise InputError("expected a work item object with 'fields'")
    fields = item["fields"]
    number = _id(item.get("id", fields.get("System.Id")))
    title = fields.get("System.Title")
    if not isinstance(title, str) or not title.strip():
        raise InputError("System.Title (Title): missing")
    project = _project(fields, ctx)
    body = _html(fields.get("System.Description")) or _html(
        fields.get("Microsoft.VSTS.TCM.ReproSteps")
    )
    comments = _comments(item.get("comments"))
    state = fields.get("System.State")
    reason = fields.get("System.Reason")
    if isinstance(reason, str) and reason.strip().lower() in WONT_DO_REASONS:
        status = "wont_do"
    else:
        status = ctx.canonical("status", state, STATUSES, result)
    priority = fields.get("Microsoft.VSTS.Common.Priority")
    closed = _date(fields.get("Microsoft.VSTS.Common.ClosedDate"), "ClosedDate")
    resolved = _date(fields.get("Microsoft.VSTS.Common.ResolvedDate"), "ResolvedDate")
    return {
        "record_id": f"azure_devops:{project}/{number}",
        "source": "azure_devops",
        "kind": "issue",
        "project": ctx.project or project,
        "key": str(number),
        "title": title.strip(),
        "body": body,
        "status": status,
        "issue_type": ctx.canonical(
            "issue_type", fields.get("System.WorkItemType"), ISSUE_TYPES, result, "other"
        ),
        "priority": ctx.canonical("priority", _scalar(priority), PRIORITIES, result),
        "labels": _tags(fields.get("System.Tags")),
        "components": [area] if (area := _str(fields.get("System.AreaPath"))) else [],
        "fix_versions": [],
        "author": _person(fields.get("System.CreatedBy")),
        "assignee": _person(fields.get("System.AssignedTo")),
        "created_at": _date(fields.get("System.CreatedDate"), "System.CreatedDate"),
        "updated_at": _date(fields.get("System.ChangedDate"), "System.ChangedDate"),
        "resolved_at": closed or resolved if status in ("done", "wont_do") else None,
        "comments": comments,
        "links": _links(item, [title, body, *(c["body"] for c in comments)], project, number),
        **duplicate_columns(
            isinstance(reason, str) and reason.strip().lower() == "duplicate",
            _duplicate_of(item.get("relations"), project),
        ),
        "url": _web_url(item, project, number),
    }


def _id(value: Any) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InputError(f"id (ID): missing or not an integer: {value!r}")


def _project(fields: dict[str, Any], ctx: ReadContext) -> str:
    project = _str(fields.get("System.TeamProject"))
    area = _str(fields.get("System.AreaPath"))
    project = project or (area.split("\\")[0].strip() if area else None) or ctx.project
    if not project:
        raise InputError(
            "System.TeamProject / Area Path: missing, so the project is unknown;"
            " add the Area Path column to the query or set the source's project"
        )
    return project


def _comments(value: Any) -> list[dict[str, Any]]:
    """Return embedded comments (a list, or the Comments API's {"comments": [...]})."""
    items = value.get("comments") if isinstance(value, dict) else value
    comments = []
    for i, comment in enumerate(items if isinstance(items, list) else []):
        if not isinstance(comment, dict):
            raise InputError(f"comments[{i}]: expected a comment object")
        if comment.get("isDeleted"):
            continue
        comments.append(
            {
                "author": _person(comment.get("createdBy")),
                "created_at": _date(comment.get("createdDate"), f"comments[{i}].createdDate"),
                "body": _html(comment.get("text")),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _links(item: dict[str, Any], texts: list[str | None], project: str, number: int) -> list[str]:
    """Return ``project/id`` of linked work items (duplicates, parents, related items) and of
    ``#id`` mentions in the text (Azure DevOps' own mention syntax), plus other references."""
    found = collect_links(texts, own=[f"#{number}", f"{project}#{number}"], repo=project)
    mentioned = [
        ref.replace("#", "/", 1) if ref.startswith(f"{project}#") else ref for ref in found
    ]
    return sorted(set(mentioned) | set(_related(item.get("relations"), project)))


def _related(relations: Any, project: str) -> list[str]:
    return [f"{project}/{number}" for rel, number in _work_item_relations(relations)]


def _duplicate_of(relations: Any, project: str) -> str | None:
    """Return ``project/id`` of the work item a "Duplicate Of" link points at, or None."""
    numbers = [n for rel, n in _work_item_relations(relations) if rel == DUPLICATE_OF_REL]
    return f"{project}/{numbers[0]}" if numbers else None


def _work_item_relations(relations: Any) -> list[tuple[str, str]]:
    """Return (link type, work item id) of the links to other work items."""
    found = []
    for relation in relations if isinstance(relations, list) else []:
        rel, url = dig(relation, "rel"), dig(relation, "url")
        match = _WORK_ITEM_URL.search(url) if isinstance(url, str) else None
        if isinstance(rel, str) and rel.startswith("System.LinkTypes") and match:
            found.append((rel, match.group(1)))
    return found


def _web_url(item: dict[str, Any], project: str, number: int) -> str | None:
    """Return the work item's web page: ``_links.html`` when expanded, else built from a
    ``dev.azure.com/ORG/...`` API URL (server URLs cannot be split into collection and project)."""
    href = dig(item, "_links", "html", "href")
    if isinstance(href, str):
        return href
    url = item.get("url")
    match = _CLOUD_ORG.match(url) if isinstance(url, str) else None
    return f"{match.group(1)}/{project}/_workitems/edit/{number}" if match else None


def _tags(value: Any) -> list[str]:
    return [t.strip() for t in value.split(";") if t.strip()] if isinstance(value, str) else []


def _person(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("displayName") or value.get("uniqueName")
    return _EMAIL.sub("", value).strip() or None if isinstance(value, str) else None


def _html(value: Any) -> str | None:
    return html_to_markdown(value) or None if isinstance(value, str) else None


def _scalar(value: Any) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value) if value is not None and value != "" else None


def _date(value: Any, field_name: str) -> Any:
    return field_datetime_any(value, field_name, DATE_FORMATS)


def _str(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None
