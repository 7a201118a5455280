"""What every connector returns, and the small parsing helpers they share.

A connector is a function ``read_file(path, ctx) -> ReadResult``. It maps what the source has
into rows of the record schema (see ``dataprep.schema``), and accounts for every input item:
each one becomes a record, a skipped row with a reason code (for example a pull request in a
GitHub issues list), or a quarantine entry naming where it was and what was wrong with it.
A connector never raises for bad input data; it raises only for programming errors.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ReadContext:
    """Where a file comes from (the configured source, the path as users see it) and the
    source's settings that change how it is mapped."""

    source_name: str
    origin: str  # the file path as written in lineage, relative to the config folder
    project: str | None = None  # overrides the project a connector would derive
    format: str | None = None  # json, jsonl, csv, xml; None: from the file extension
    style: str | None = None  # release-notes style; None: detected per file
    # Native value -> canonical, from the config; keys compared case-insensitively.
    status_map: Mapping[str, str] = field(default_factory=dict)
    type_map: Mapping[str, str] = field(default_factory=dict)
    priority_map: Mapping[str, str] = field(default_factory=dict)
    fields: Mapping[str, str] = field(default_factory=dict)  # generic: column -> source field

    def canonical(
        self,
        column: str,
        value: Any,
        defaults: Mapping[str, str],
        result: ReadResult,
        unknown: str | None = None,
    ) -> str | None:
        """Return the canonical value of ``column`` for a native ``value``: the config's map
        first, then the connector's ``defaults`` (lower-case keys). An unknown value gives
        ``unknown`` and is counted in ``result.unmapped`` for the build summary."""
        if value is None or str(value).strip() == "":
            return None
        key = str(value).strip().lower()
        overrides = {"status": self.status_map, "issue_type": self.type_map}.get(
            column, self.priority_map if column == "priority" else {}
        )
        for table in (overrides, defaults):
            for native, canonical in table.items():
                if native.lower() == key:
                    return canonical
        result.unmapped[f"{column}:{value}"] += 1
        return unknown


@dataclass
class ReadResult:
    """Records, skipped items (with reason codes) and quarantined items from one input."""

    records: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # record_id, reason, detail
    quarantine: list[dict[str, str]] = field(default_factory=list)  # source, origin, reason, error
    unmapped: Counter[str] = field(default_factory=Counter)  # "status:Triaged" -> times seen

    @property
    def received(self) -> int:
        return len(self.records) + len(self.skipped) + len(self.quarantine)

    def skip(self, record_id: str, reason: str, detail: str = "") -> None:
        self.skipped.append({"record_id": record_id, "reason": reason, "detail": detail})

    def quarantined(self, ctx: ReadContext, where: str, reason: str, error: str) -> None:
        """Record a malformed input. ``where`` is ``:LINE`` or a JSON path such as ``$.issues[3]``;
        ``reason`` a stable code such as ``parse:invalid-json`` or ``parse:invalid-record``."""
        origin = f"{ctx.origin}{where}" if where else ctx.origin
        self.quarantine.append(
            {"source": ctx.source_name, "origin": origin, "reason": reason, "error": error}
        )

    def add_item(
        self,
        ctx: ReadContext,
        where: str,
        build: Callable[[Any, ReadContext, ReadResult], dict[str, Any] | None],
        item: Any,
    ) -> None:
        """Add the record ``build(item, ctx, scratch)`` makes of one input item at ``where``,
        or quarantine the item when it raises ``InputError``. ``build`` returns None for an
        item it skipped (with ``scratch.skip``). Unknown vocabulary is counted only for items
        kept, so a quarantined item leaves no trace in the build summary."""
        scratch = ReadResult()
        try:
            record = build(item, ctx, scratch)
        except InputError as error:
            self.quarantined(ctx, where, error.reason, str(error))
            return
        self.skipped.extend(scratch.skipped)
        if record is not None:
            self.unmapped.update(scratch.unmapped)
            self.records.append({**record, "origin": f"{ctx.origin}{where}"})

    def extend(self, other: ReadResult) -> None:
        self.records.extend(other.records)
        self.skipped.extend(other.skipped)
        self.quarantine.extend(other.quarantine)
        self.unmapped.update(other.unmapped)


_OFFSET_WITHOUT_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_datetime(value: Any) -> datetime | None:
    """Return an aware UTC datetime from the ISO-8601 shapes trackers emit, or None if empty.

    Accepts ``2024-01-31``, ``2024-01-31T10:00:00Z``, ``...T10:00:00.123+0100`` (Jira's offset
    without a colon) and ``...+01:00``. Raises ``ValueError`` for anything else, so the caller
    can quarantine the item with the field name.
    """
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        text = str(value).strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        text = _OFFSET_WITHOUT_COLON.sub(r"\1:\2", text)
        parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def display_path(path: Path, base: Path) -> str:
    """Return ``path`` relative to ``base`` in POSIX form when it lies below it, else absolute."""
    try:
        return path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()


class InputError(ValueError):
    """Bad input at one place; the connector turns it into a quarantine entry, never a crash.

    ``where`` is appended to the file's origin (``:12`` for a line, ``:$.issues[3]`` for an item);
    ``reason`` is the stable code, ``str(error)`` the message naming the field and the value.
    """

    def __init__(self, message: str, reason: str = "parse:invalid-record", where: str = ""):
        super().__init__(message)
        self.reason = reason
        self.where = where


def decode_text(data: bytes) -> str:
    """Return UTF-8 text (a leading BOM dropped); raise ``InputError`` naming the bad line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise InputError(
            f"not UTF-8: byte {data[error.start]:#04x} at line {line}; re-save the file as UTF-8",
            reason="parse:invalid-encoding",
            where=f":{line}",
        ) from None


def load_json(path: Path) -> Any:
    """Return the parsed JSON document in ``path``; raise ``InputError`` with the failing line."""
    text = decode_text(path.read_bytes())
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(
            f"invalid JSON: {error.msg} (line {error.lineno}, column {error.colno})",
            reason="parse:invalid-json",
            where=f":{error.lineno}",
        ) from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply", reason="parse:invalid-json") from None


def field_datetime(value: Any, field_name: str) -> datetime | None:
    """Return ``parse_datetime(value)``; raise ``InputError`` naming the field if it is not one."""
    try:
        return parse_datetime(value)
    except (TypeError, ValueError):
        raise InputError(f"{field_name}: invalid datetime {value!r}") from None


def dig(value: Any, *keys: str) -> Any:
    """Return ``value[k1][k2]...``, or None where a level is missing or not an object."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def duplicate_columns(marked: bool, of: str | None = None) -> dict[str, Any]:
    """Return the ``is_duplicate`` and ``duplicate_of`` columns: an item the tracker names the
    original of is a duplicate even when it carries no duplicate resolution or state."""
    return {"is_duplicate": bool(marked or of), "duplicate_of": of or None}


def read_items(
    ctx: ReadContext,
    load: Callable[[], Iterable[tuple[str, Any]]],
    build: Callable[[Any, ReadContext, ReadResult], dict[str, Any] | None],
) -> ReadResult:
    """Return what ``build`` makes of every item ``load()`` lists as (where, item) pairs.

    The shape every connector shares: a file that cannot be read at all is one quarantine
    entry; otherwise each item is a record, a skip or a quarantine entry of its own.
    """
    result = ReadResult()
    try:
        items = list(load())
    except InputError as error:
        result.quarantined(ctx, error.where, error.reason, str(error))
        return result
    for where, item in items:
        result.add_item(ctx, where, build, item)
    return result
