"""The data contract: record, pair, rejected and quarantine schemas and the canonical enums.

Connectors produce rows shaped like ``RECORD_SCHEMA``; every later stage reads and adds columns
but never renames these. See ``DESIGN.md`` ("The record schema").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl

UTC_DATETIME = pl.Datetime("us", "UTC")

STATUSES = ("open", "in_progress", "done", "wont_do")
ISSUE_TYPES = ("bug", "feature", "task", "improvement", "epic", "question", "other")
PRIORITIES = ("critical", "high", "medium", "low")
KINDS = ("issue", "release")
SPLITS = ("train", "validation", "test")

ENTRY = pl.Struct({"section": pl.String, "text": pl.String, "refs": pl.List(pl.String)})
COMMENT = pl.Struct({"author": pl.String, "created_at": UTC_DATETIME, "body": pl.String})

RECORD_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String,
    "source": pl.String,
    "kind": pl.String,
    "project": pl.String,
    "key": pl.String,
    "title": pl.String,
    "body": pl.String,
    "status": pl.String,
    "issue_type": pl.String,
    "priority": pl.String,
    "labels": pl.List(pl.String),
    # Restricted visibility set in the tracker (Jira issue security level, GitLab
    # "confidential"); the access policy drops these unless the level is allowed.
    "security_level": pl.String,
    "components": pl.List(pl.String),
    "fix_versions": pl.List(pl.String),
    "author": pl.String,
    "assignee": pl.String,
    "created_at": UTC_DATETIME,
    "updated_at": UTC_DATETIME,
    "resolved_at": UTC_DATETIME,
    "version": pl.String,
    "released_at": UTC_DATETIME,
    "comments": pl.List(COMMENT),
    "links": pl.List(pl.String),
    # The tracker itself marks the item a duplicate (a resolution, a state reason, a link);
    # free ground truth for dedup. ``duplicate_of`` is the original's key, spelled as in
    # ``links``, when the tracker names it.
    "is_duplicate": pl.Boolean,
    "duplicate_of": pl.String,
    "url": pl.String,
    "origin": pl.String,
    # release records: one entry per change, and the people credited, kept apart from entries
    "entries": pl.List(ENTRY),
    "contributors": pl.List(pl.String),
}

MESSAGE = pl.Struct({"role": pl.String, "content": pl.String})

PAIR_SCHEMA: dict[str, pl.DataType] = {
    "pair_id": pl.String,
    "task": pl.String,
    "messages": pl.List(MESSAGE),
    "record_ids": pl.List(pl.String),
    "sources": pl.List(pl.String),
    "split": pl.String,
    "lang": pl.String,
    # tokens of every message, as the pairs stage counted them for the budget (a configured
    # tokenizer.json, else the estimate in dataprep.pairs.tokens)
    "tokens": pl.Int64,
}

# What a task hands the pairs stage, one row per candidate pair: the record it comes from (and
# any other records it uses, ``extra_ids``), the prompt, the response and an optional system
# prompt. Built-in tasks (dataprep.pairs.tasks) and user tasks (dataprep.pairs.user_tasks) both.
CANDIDATE_SCHEMA: dict[str, pl.DataType] = {
    "task": pl.String,
    "record_id": pl.String,
    "prompt": pl.String,
    "response": pl.String,
    "extra_ids": pl.List(pl.String),
    "system": pl.String,
}

REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "record_id": pl.String,
    "stage": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}

QUARANTINE_FIELDS = ("source", "origin", "error")

_LIST_COLUMNS = (
    "labels",
    "components",
    "fix_versions",
    "links",
    "comments",
    "entries",
    "contributors",
)


def first_failing(rules: list[tuple[pl.Expr, str, pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    """Return (reason, detail) expressions from (failed, reason code, detail) rules, in order:
    the first rule a row fails names it, and null when it fails none."""
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    detail: pl.Expr = pl.lit(None, dtype=pl.String)
    for failed, code, text in reversed(rules):
        reason = pl.when(failed).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(failed).then(text).otherwise(detail)
    return reason, detail


class SchemaError(ValueError):
    """A frame or row does not match the data contract."""


def records_frame(rows: Iterable[Mapping[str, Any]]) -> pl.DataFrame:
    """Return a frame with exactly ``RECORD_SCHEMA``: missing keys null, lists empty and
    ``is_duplicate`` false, not null."""
    rows = list(rows)
    for i, row in enumerate(rows):
        unknown = set(row) - set(RECORD_SCHEMA)
        if unknown:
            raise SchemaError(
                f"row {i} ({row.get('record_id')}): unknown columns {sorted(unknown)}"
            )
    columns = {
        name: [_normalise_value(name, row.get(name)) for row in rows] for name in RECORD_SCHEMA
    }
    return pl.DataFrame(columns, schema=RECORD_SCHEMA)


def empty_records() -> pl.DataFrame:
    """Return an empty frame with the record schema."""
    return pl.DataFrame(schema=RECORD_SCHEMA)


def rejected_frame(rows: Iterable[Mapping[str, Any]] = ()) -> pl.DataFrame:
    """Return a rejected-rows frame (record_id, stage, reason, detail)."""
    rows = list(rows)
    return pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in REJECTED_SCHEMA},
        schema=REJECTED_SCHEMA,
    )


def check_records(frame: pl.DataFrame) -> None:
    """Raise ``SchemaError`` if the record columns are missing or have the wrong types."""
    for name, dtype in RECORD_SCHEMA.items():
        if name not in frame.columns:
            raise SchemaError(f"records: missing column {name!r}")
        if frame.schema[name] != dtype:
            raise SchemaError(f"records: column {name!r} is {frame.schema[name]}, expected {dtype}")


def _normalise_value(name: str, value: Any) -> Any:
    if name in _LIST_COLUMNS:
        if value is None:
            return []
        if name == "comments":
            return [
                {
                    "author": c.get("author"),
                    "created_at": _utc(c.get("created_at")),
                    "body": c.get("body"),
                }
                for c in value
            ]
        if name == "entries":
            return [
                {
                    "section": e.get("section"),
                    "text": e.get("text"),
                    "refs": list(e.get("refs") or []),
                }
                for e in value
            ]
        return [str(v) for v in value if v is not None]
    if name == "is_duplicate":
        return bool(value)
    if RECORD_SCHEMA[name] == UTC_DATETIME:
        return _utc(value)
    return value


def _utc(value: Any) -> datetime | None:
    """Return an aware UTC datetime truncated to microseconds, or None."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise SchemaError(f"expected a datetime, got {type(value).__name__}: {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


class StageResult:
    """What a stage gives back: kept frame, rejected frame, and counters for the manifest."""

    __slots__ = ("kept", "rejected", "stats")

    def __init__(
        self,
        kept: pl.DataFrame,
        rejected: pl.DataFrame | None = None,
        stats: dict[str, Any] | None = None,
    ) -> None:
        self.kept = kept
        self.rejected = rejected if rejected is not None else rejected_frame()
        self.stats = stats or {}


def reject(frame: pl.DataFrame, stage: str, reason: pl.Expr, detail: pl.Expr) -> pl.DataFrame:
    """Return the rejected-rows frame for ``frame`` with per-row reason and detail expressions."""
    return frame.select(
        pl.col("record_id"),
        pl.lit(stage).alias("stage"),
        reason.cast(pl.String).alias("reason"),
        detail.cast(pl.String).alias("detail"),
    )
