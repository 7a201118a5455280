"""Any tracker's JSON, JSONL or CSV export as records, through a field mapping in the config.

For trackers without a connector of their own (Redmine, YouTrack, Bugzilla, in-house tools)::

    sources:
      - name: redmine
        type: generic
        path: exports/redmine-issues.json
        fields:                       # record column: source field name or JSON path
          key: id
          title: subject
          body: description
          status: $.status.name
          issue_type: $.tracker.name
          priority: $.priority.name
          author: $.author.name
          created_at: created_on
          comments: journals          # a list of objects, or of strings
        status_map: {Nouveau: open, Résolu: done}

A JSON file is a list of items, or an object holding one list (``{"issues": [...]}``, ``items``
preferred when there are several) or one item (``{"issue": {...}}``); JSONL is one item a line;
CSV has a header row. A field is a top-level name (a CSV column, spaces and dots allowed) or a
JSON path: ``$.a.b``, ``$.a[0]``, ``$.labels[*].name``. Values are converted by column type:
text columns take strings and numbers; list columns take lists, or strings split on ``,`` and
``;``; date columns take ISO 8601, the formats in ``DATE_FORMATS`` (read as UTC when they carry
no offset) or epoch seconds or milliseconds; ``status``, ``issue_type`` and ``priority`` go
through the config's maps, then the defaults below (unknown values: null, ``other`` for the
type; counted as unmapped). A comment object gives its ``body``/``text``/``notes``/``comment``,
``author``/``user`` (a string or an object with ``name``/``login``/``displayName``) and
``created_at``/``created``/``createdAt``/``created_on``. ``is_duplicate`` takes true/false,
yes/no, 1/0 or "duplicate" (unmapped: false); a mapped ``duplicate_of`` makes it true and
is a link too.
``record_id`` is ``"<source name>:<key>"`` unless mapped; ``source`` is the source's name.
``links`` holds the mapped links plus the references found in the title, body and comments.
Text is kept as written (Markdown or plain), tidied.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from dataprep.connectors import jira
from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    decode_text,
    duplicate_columns,
    load_json,
    parse_datetime,
    read_items,
)
from dataprep.connectors.refs import collect_links
from dataprep.schema import RECORD_SCHEMA, UTC_DATETIME
from dataprep.text.markup import tidy_markdown

# Formats seen in tracker exports besides ISO 8601, tried in this order. Day-first and
# month-first numeric dates are ambiguous, so only unambiguous ones are listed.
DATE_FORMATS = (
    "%Y/%m/%d %H:%M:%S %z",  # Redmine JSON: 2011/01/24 13:59:25 -0800
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S %Z",  # GitLab (older API versions): 2017-09-15 16:50:55 UTC
    "%d/%b/%y %I:%M %p",  # Jira CSV: 05/Mar/24 9:14 AM
    "%d/%b/%Y %I:%M %p",
    "%d %b %Y %H:%M",
    "%b %d, %Y %I:%M %p",
)

STATUSES = {
    **{name: name for name in ("open", "in_progress", "done", "wont_do")},
    **jira.STATUS_NAMES,
    **dict.fromkeys(["to do", "todo", "triage", "feedback", "assigned", "confirmed"], "open"),
    **dict.fromkeys(["in progress", "doing", "active", "started"], "in_progress"),
    **dict.fromkeys(["fixed", "completed", "verified", "finished"], "done"),
    **dict.fromkeys(
        ["rejected", "won't fix", "wontfix", "duplicate", "invalid", "canceled", "cancelled"],
        "wont_do",
    ),
}
ISSUE_TYPES = {
    **{name: name for name in ("bug", "feature", "task", "improvement", "epic", "question")},
    **jira.ISSUE_TYPES,
    "defect": "bug",
}
PRIORITIES = {
    **{name: name for name in ("critical", "high", "medium", "low")},
    **jira.PRIORITIES,
    "immediate": "critical",
}
_DEFAULTS = {"status": STATUSES, "issue_type": ISSUE_TYPES, "priority": PRIORITIES}
_LIST_COLUMNS = ("labels", "components", "fix_versions", "links")
# Texts an ``is_duplicate`` field may hold; "duplicate" lets a resolution column say it.
_TRUE = frozenset({"true", "yes", "y", "1", "duplicate"})
_FALSE = frozenset({"false", "no", "n", "0", ""})
_PATH_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one JSON, JSONL or CSV file mapped through ``ctx.fields``."""
    kind = ctx.format or path.suffix.lower().lstrip(".")
    return read_items(ctx, lambda: _items(path, kind), _record)


def _items(path: Path, kind: str) -> list[tuple[str, Any]]:
    """Return (where, item) pairs: ``:$[i]``/``:$.key[i]`` for JSON, ``:LINE`` otherwise."""
    if kind == "csv":
        return csv_rows(decode_text(path.read_bytes()))
    if kind == "jsonl":
        return _jsonl(decode_text(path.read_bytes()))
    if kind != "json":
        raise InputError(
            f"unknown format {kind!r}; set the source's format to json, jsonl or csv",
            reason="parse:unexpected-shape",
        )
    data = load_json(path)
    if isinstance(data, list):
        return [(f":$[{i}]", item) for i, item in enumerate(data)]
    lists = [k for k, v in data.items() if isinstance(v, list)] if isinstance(data, dict) else []
    if not lists and isinstance(data, dict) and len(data) == 1:
        [(name, item)] = data.items()  # one item, wrapped: Redmine's {"issue": {...}}
        if isinstance(item, dict):
            return [(f":$.{name}", item)]
    if "items" in lists:
        lists = ["items"]
    if len(lists) != 1:
        raise InputError(
            "expected a JSON list of items, or an object holding one list"
            + (f" (found lists {', '.join(lists)}; name one as 'items')" if lists else ""),
            reason="parse:unexpected-shape",
        )
    return [(f":$.{lists[0]}[{i}]", item) for i, item in enumerate(data[lists[0]])]


def _jsonl(text: str) -> list[tuple[str, Any]]:
    items = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append((f":{number}", json.loads(line)))
        except (json.JSONDecodeError, RecursionError) as error:
            # A bad line is that item's problem, not the file's: kept as a string to quarantine.
            items.append((f":{number}", _BadLine(str(error))))
    return items


class _BadLine(str):
    """A JSONL line that is not JSON, carried to the record step to be quarantined there."""


def csv_rows(text: str) -> list[tuple[str, Any]]:
    """Return (``:LINE``, {column: cell}) pairs of a CSV text with a header row.

    A column named twice keeps its first cell (trackers' repeated columns need their own
    connector). Rows of empty cells are dropped; ``InputError`` for a malformed file.
    """
    raise_field_limit()
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = []
    try:
        header = next(reader, None)
        if not header:
            raise InputError("empty CSV file: no header row", reason="parse:unexpected-shape")
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                row: dict[str, str] = {}
                for name, cell in zip(header, cells, strict=False):
                    row.setdefault(name.strip(), cell)
                rows.append((f":{start}", row))
    except csv.Error as error:
        raise InputError(
            f"invalid CSV: {error} (line {reader.line_num})",
            reason="parse:invalid-csv",
            where=f":{reader.line_num}",
        ) from None
    return rows


def raise_field_limit() -> None:
    """Let CSV cells be as long as a tracker's longest description (the default is 128 KiB)."""
    csv.field_size_limit(max(csv.field_size_limit(), min(sys.maxsize, 2**31 - 1)))


def _record(item: Any, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    if isinstance(item, _BadLine):
        raise InputError(f"invalid JSON: {item}", reason="parse:invalid-json")
    if not isinstance(item, dict):
        raise InputError(f"expected an object, got {type(item).__name__}")
    record: dict[str, Any] = {"source": ctx.source_name, "kind": "issue", "project": ctx.project}
    for column, field_name in ctx.fields.items():
        value = get_field(item, field_name)
        record[column] = _convert(column, value, field_name, ctx, result)
    key = record.get("key")
    if not record.get("record_id"):
        if key is None:
            raise InputError(f"key: missing; map 'key' to the item's id ({_mapped(ctx, 'key')})")
        record["record_id"] = f"{ctx.source_name}:{key}"
    if not isinstance(record.get("title"), str) or not record["title"].strip():
        raise InputError(f"title: missing ({_mapped(ctx, 'title')})")
    texts = [record["title"], record.get("body"), *(c["body"] for c in record.get("comments", []))]
    record.update(duplicate_columns(record.get("is_duplicate"), record.get("duplicate_of")))
    structured = [*record.get("links", []), record["duplicate_of"]]
    record["links"] = collect_links(texts, structured=structured, own=[str(key), f"#{key}"])
    record.pop("origin", None)  # set by the reader: where the item is in the file
    return record


def _mapped(ctx: ReadContext, column: str) -> str:
    field_name = ctx.fields.get(column)
    return f"mapped from {field_name!r}" if field_name else "not mapped in the source's fields"


def get_field(item: dict[str, Any], field_name: str) -> Any:
    """Return the value of a field name or a ``$.`` JSON path in ``item`` (None if absent);
    ``[*]`` gives the list of values under each element."""
    if not field_name.startswith("$"):
        return item.get(field_name)
    values: list[Any] = [item]
    spread = False
    for name, index in _PATH_STEP.findall(field_name[1:]):
        step: list[Any] = []
        for value in values:
            if name:
                step.append(value.get(name) if isinstance(value, dict) else None)
            elif index == "*":
                step.extend(value if isinstance(value, list) else [])
            elif isinstance(value, list) and int(index) < len(value):
                step.append(value[int(index)])
            else:
                step.append(None)
        spread = spread or index == "*"
        values = step
    if spread:
        return [value for value in values if value is not None]
    return values[0] if values else None


def _convert(column: str, value: Any, field_name: str, ctx: ReadContext, result: ReadResult) -> Any:
    where = f"{column} ({field_name})"
    if column == "comments":
        return _comments(value, where)
    if column in _LIST_COLUMNS:
        return _string_list(value, where)
    if RECORD_SCHEMA.get(column) == UTC_DATETIME:
        return field_datetime_any(value, where)
    if column == "is_duplicate":
        return _flag(value, where)
    text = _scalar(value, where)
    if column in _DEFAULTS:
        unknown = "other" if column == "issue_type" else None
        return ctx.canonical(column, text, _DEFAULTS[column], result, unknown)
    if column in ("body", "title") and text is not None:
        return tidy_markdown(text) if column == "body" else text.strip()
    return text


def _scalar(value: Any, where: str) -> str | None:
    if value is None or isinstance(value, str):
        return value if value else None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    raise InputError(
        f"{where}: expected a text value, got {type(value).__name__};"
        " map a path to a text inside it, such as $.status.name"
    )


def _flag(value: Any, where: str) -> bool:
    """Return a boolean field: true/false, 1/0, or a text such as "yes", "no", "Duplicate"."""
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise InputError(f"{where}: expected true or false (yes/no, 1/0), got {value!r}")


def _string_list(value: Any, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]
    if isinstance(value, list):
        names = [_name(v) for v in value]
        return [name for name in names if name]
    raise InputError(f"{where}: expected a list or a text, got {type(value).__name__}")


def _name(value: Any) -> str | None:
    """Return a text, or the ``name``/``login``/``displayName``/``title`` of an object."""
    if isinstance(value, dict):
        value = next(
            (value[k] for k in ("name", "login", "displayName", "title") if value.get(k)), None
        )
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _comments(value: Any, where: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{where}: expected a list of comments, got {type(value).__name__}")
    comments = []
    for i, comment in enumerate(value):
        if isinstance(comment, str):
            comment = {"body": comment}
        if not isinstance(comment, dict):
            raise InputError(f"{where}[{i}]: expected a comment object or text")
        body = _first(comment, "body", "text", "notes", "comment")
        if not isinstance(body, str) or not body.strip():
            continue  # Redmine journals that only change fields have empty notes
        created = _first(comment, "created_at", "created", "createdAt", "created_on")
        comments.append(
            {
                "author": _name(_first(comment, "author", "user")),
                "created_at": field_datetime_any(created, f"{where}[{i}].created_at"),
                "body": tidy_markdown(body),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _first(item: dict[str, Any], *keys: str) -> Any:
    return next((item[k] for k in keys if item.get(k) is not None), None)


def field_datetime_any(
    value: Any, field_name: str, formats: tuple[str, ...] = DATE_FORMATS
) -> datetime | None:
    """Return a UTC datetime from ISO 8601, one of ``formats`` (UTC unless they carry an
    offset), RFC 822 or epoch seconds/milliseconds; ``InputError`` naming the field otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            seconds = value / 1000 if abs(value) >= 1e11 else value
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise InputError(f"{field_name}: invalid timestamp {value!r}") from None
    if isinstance(value, str):
        text = value.strip()
        for parse in (parse_datetime, *(_strptime(f) for f in formats), parsedate_to_datetime):
            try:
                parsed = parse(text)
            except (TypeError, ValueError, IndexError):
                continue
            if parsed is not None:
                return parse_datetime(parsed)
    raise InputError(f"{field_name}: invalid datetime {value!r}")


def _strptime(fmt: str) -> Callable[[str], datetime]:
    return lambda text: datetime.strptime(text, fmt)
