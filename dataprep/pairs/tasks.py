"""Built-in tasks: each is a filter on records and the prompt and response it makes of them.

A task returns a frame with ``task``, ``record_id``, ``prompt``, ``response`` for every record
it applies to; the stage turns these into chat messages, ids and splits.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dataprep.schema import ISSUE_TYPES, PRIORITIES

_issue = pl.col("kind") == "issue"
_has_body = pl.col("body").fill_null("").str.len_chars() > 0
_has_title = pl.col("title").fill_null("").str.len_chars() > 0


def issue_to_title(records: pl.DataFrame) -> pl.DataFrame:
    """Description -> the title a person gave it."""
    return records.filter(_issue & _has_body & _has_title).select(
        pl.lit("issue_to_title").alias("task"),
        pl.col("record_id"),
        pl.concat_str(
            pl.lit("Write a short, specific title for this issue report.\n\n"), pl.col("body")
        ).alias("prompt"),
        pl.col("title").alias("response"),
    )


def triage(records: pl.DataFrame) -> pl.DataFrame:
    """Title and description -> JSON with the canonical type and priority a person set."""
    known = pl.col("issue_type").is_not_null() & pl.col("priority").is_not_null()
    instruction = (
        "Triage this issue. Answer with JSON: "
        f'{{"type": one of {list(ISSUE_TYPES)}, "priority": one of {list(PRIORITIES)}}}.\n\n'
    ).replace("'", '"')
    return records.filter(_issue & _has_body & _has_title & known).select(
        pl.lit("triage").alias("task"),
        pl.col("record_id"),
        pl.concat_str(
            pl.lit(instruction), pl.lit("Title: "), pl.col("title"), pl.lit("\n\n"), pl.col("body")
        ).alias("prompt"),
        pl.concat_str(
            pl.lit('{"type": "'), "issue_type", pl.lit('", "priority": "'), "priority", pl.lit('"}')
        ).alias("response"),
    )


def release_notes(records: pl.DataFrame) -> pl.DataFrame:
    """Project and released version -> the release notes written for it."""
    released = (pl.col("kind") == "release") & pl.col("released_at").is_not_null()
    return records.filter(released & _has_body).select(
        pl.lit("release_notes").alias("task"),
        pl.col("record_id"),
        pl.format(
            "Write the release notes for {} version {}, released on {}.",
            "project",
            "version",
            pl.col("released_at").dt.strftime("%Y-%m-%d"),
        ).alias("prompt"),
        pl.col("body").alias("response"),
    )


TASKS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "issue_to_title": issue_to_title,
    "triage": triage,
    "release_notes": release_notes,
}
