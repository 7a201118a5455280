"""Jira's CSV export ("Export > CSV (all fields)") as records.

The header repeats a column once per value (``Labels,Labels,Comment,Comment,Component/s``), so
the file is read with the ``csv`` module by position, never into a dict::

    Summary,Issue key,Issue id,Issue Type,Status,Project key,Priority,Resolution,Assignee,
    Reporter,Created,Updated,Resolved,Labels,Labels,Component/s,Fix Version/s,Description,
    Outward issue link (Duplicate),Comment,Comment

Dates are written in the exporting user's format and time zone without an offset
(``05/Mar/24 9:14 AM``); they are read as UTC, which shifts them by that user's offset.
A ``Comment`` cell is ``"<date>;<account id or user name>;<wiki markup body>"``. Descriptions
and comments are wiki markup. ``Outward/Inward issue link (<type>)`` cells give linked keys
(a ``Duplicate`` link among them). Status, type and priority map as in ``jira``; a won't-do
resolution (``Duplicate``, ``Won't Fix``) makes the status ``wont_do``. A ``Duplicate``
resolution or an ``Outward issue link (Duplicate)`` cell makes the issue a duplicate, the
latter naming its original.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from dataprep.connectors import jira
from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    decode_text,
    duplicate_columns,
    read_items,
)
from dataprep.connectors.generic import field_datetime_any, raise_field_limit
from dataprep.connectors.refs import collect_links
from dataprep.text.markup import jira_wiki_to_markdown

# The export writes the user's date format; these are Jira's defaults and common settings.
DATE_FORMATS = (
    "%d/%b/%y %I:%M %p",  # 05/Mar/24 9:14 AM: Jira's default
    "%d/%b/%Y %I:%M %p",
    "%d/%b/%y %H:%M",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
)
# The "Status Category" column of Cloud exports, as the REST statusCategory keys.
STATUS_CATEGORY_NAMES = {"to do": "new", "in progress": "indeterminate", "done": "done"}
REQUIRED = ("Issue key", "Summary")


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Jira CSV export; bad rows are quarantined by line."""

    def rows() -> list[tuple[str, _Row]]:
        header, cells_by_line = _rows(decode_text(path.read_bytes()))
        return [(f":{line}", _Row(header, cells)) for line, cells in cells_by_line]

    return read_items(ctx, rows, _record)


def _rows(text: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Return the header and (first line, cells) of each non-empty row."""
    raise_field_limit()
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = [name.strip() for name in next(reader, [])]
        missing = [name for name in REQUIRED if name not in header]
        if missing:
            raise InputError(
                f"not a Jira CSV export: no {' or '.join(repr(m) for m in missing)} column"
                " in the header row",
                reason="parse:unexpected-shape",
                where=":1",
            )
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                rows.append((start, cells))
    except csv.Error as error:
        raise InputError(
            f"invalid CSV: {error} (line {reader.line_num})",
            reason="parse:invalid-csv",
            where=f":{reader.line_num}",
        ) from None
    return header, rows


class _Row:
    """One CSV row read by column name; a repeated column gives all its non-empty cells."""

    def __init__(self, header: list[str], cells: list[str]) -> None:
        self.cells: dict[str, list[str]] = {}
        for name, cell in zip(header, cells, strict=False):
            self.cells.setdefault(name, []).append(cell)

    def one(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        return [cell.strip() for cell in self.cells.get(name, ()) if cell.strip()]

    def starting(self, prefix: str) -> list[str]:
        return [
            cell.strip()
            for name, cells in self.cells.items()
            if name.startswith(prefix)
            for cell in cells
            if cell.strip()
        ]


def _record(row: _Row, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    key = row.one("Issue key")
    if not key:
        raise InputError("Issue key: missing")
    summary = row.one("Summary")
    if not summary:
        raise InputError("Summary: missing")
    description = row.cells.get("Description", [""])[0]
    body = jira_wiki_to_markdown(description) if description.strip() else None
    comments = _comments(row.all("Comment"))
    category = STATUS_CATEGORY_NAMES.get((row.one("Status Category") or "").lower())
    status = {"name": row.one("Status"), "statusCategory": {"key": category}}
    linked = row.starting("Outward issue link") + row.starting("Inward issue link")
    return {
        "record_id": f"jira:{key}",
        "source": "jira",
        "kind": "issue",
        "project": ctx.project or row.one("Project key") or key.rsplit("-", 1)[0],
        "key": key,
        "title": summary,
        "body": body,
        "status": jira.canonical_status(status, {"name": row.one("Resolution")}, ctx, result),
        "issue_type": jira.canonical_issue_type(row.one("Issue Type"), ctx, result),
        "priority": jira.canonical_priority(row.one("Priority"), ctx, result),
        "labels": row.all("Labels"),
        "security_level": row.one("Security Level"),
        "components": row.all("Component/s"),
        "fix_versions": row.all("Fix Version/s"),
        "author": row.one("Reporter"),
        "assignee": row.one("Assignee"),
        "created_at": jira_datetime(row.one("Created"), "Created"),
        "updated_at": jira_datetime(row.one("Updated"), "Updated"),
        "resolved_at": jira_datetime(row.one("Resolved"), "Resolved"),
        "comments": comments,
        "links": collect_links(
            [summary, body, *(c["body"] for c in comments)], structured=linked, own=[key]
        ),
        **duplicate_columns(
            jira.is_duplicate_resolution(row.one("Resolution")),
            row.one("Outward issue link (Duplicate)"),
        ),
        "url": None,
    }


def jira_datetime(value: str | None, field_name: str) -> Any:
    """Return a date of the export (no offset: read as UTC); ``InputError`` naming the column."""
    return field_datetime_any(value, field_name, DATE_FORMATS)


def _comments(cells: list[str]) -> list[dict[str, Any]]:
    """Return ``date;author;body`` cells as comments in time order."""
    comments = []
    for i, cell in enumerate(cells):
        parts = cell.split(";", 2)
        if len(parts) < 3:
            raise InputError(f"Comment[{i}]: expected 'date;author;text', got {cell[:60]!r}")
        created, author, body = parts
        comments.append(
            {
                "author": author.strip() or None,
                "created_at": jira_datetime(created.strip(), f"Comment[{i}] date"),
                "body": jira_wiki_to_markdown(body),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))
