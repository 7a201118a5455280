"""Redaction of personal data before anything is written: typed placeholders, counted by type.

Issue scope today: e-mail addresses. Every text column a record carries (title, body, comment
bodies, author and assignee when they hold an address) goes through the same patterns, and the
same patterns serve quarantine lines and log messages, so nothing leaves unredacted.
"""

from __future__ import annotations

import re

import polars as pl

# Local part and domain per RFC 5322's common subset; the TLD needs two letters so that
# "user@host" in a shell prompt or "v1.2@3" is left alone.
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"

PATTERNS: dict[str, str] = {"EMAIL": EMAIL_PATTERN}

_COMPILED = {name: re.compile(pattern) for name, pattern in PATTERNS.items()}


def redact_text(text: str) -> str:
    """Return ``text`` with every pattern replaced by its placeholder (for logs and errors)."""
    for name, pattern in _COMPILED.items():
        text = pattern.sub(f"<{name}>", text)
    return text


def redact_expr(expr: pl.Expr) -> pl.Expr:
    """Return ``expr`` (a string expression) with every pattern replaced by its placeholder."""
    for name, pattern in PATTERNS.items():
        expr = expr.str.replace_all(pattern, f"<{name}>")
    return expr


def count_expr(expr: pl.Expr, name: str) -> pl.Expr:
    """Return the number of matches of pattern ``name`` in ``expr`` (null counts as zero)."""
    return expr.str.count_matches(PATTERNS[name]).fill_null(0)


TEXT_COLUMNS = ("title", "body", "author", "assignee")


def redact_records(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """Return the frame with personal data replaced in every text column, and counts per type."""
    counts: dict[str, int] = {}
    comment_body = pl.element().struct.field("body")
    entry_text = pl.element().struct.field("text")

    def in_list(column: str, inner: pl.Expr, name: str) -> pl.Expr:
        return pl.col(column).list.eval(count_expr(inner, name)).list.sum().fill_null(0).sum()

    for name in PATTERNS:
        total = frame.select(
            sum(count_expr(pl.col(c), name).sum() for c in TEXT_COLUMNS)
            + in_list("comments", comment_body, name)
            + in_list("entries", entry_text, name)
            + in_list("contributors", pl.element(), name)
        ).item()
        counts[name.lower()] = int(total)
    redacted = frame.with_columns(
        *(redact_expr(pl.col(c)) for c in TEXT_COLUMNS),
        pl.col("comments").list.eval(
            pl.element().struct.with_fields(redact_expr(comment_body).alias("body"))
        ),
        pl.col("entries").list.eval(
            pl.element().struct.with_fields(redact_expr(entry_text).alias("text"))
        ),
        pl.col("contributors").list.eval(redact_expr(pl.element())),
    )
    return redacted, counts
