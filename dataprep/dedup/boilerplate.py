"""Boilerplate release entries: the same line in many versions of one project says nothing.

"Updated dependencies", "Bug fixes and performance improvements", "Bump version to 2.4.1":
an entry whose text, with case, punctuation, numbers, versions and issue references folded away,
appears in ``min_versions`` or more releases of the same project is removed from those releases'
entries and from their notes, and listed with the reason ``dedup:boilerplate-entry`` (the record
itself stays: its other entries are real).
"""

from __future__ import annotations

import polars as pl

from dataprep.text.templates import strip_templates_expr

REASON = "dedup:boilerplate-entry"
REMOVED_SCHEMA = {
    "record_id": pl.String,
    "section": pl.String,
    "text": pl.String,
    "reason": pl.String,
    "detail": pl.String,
}
# What varies between two copies of a boilerplate line: references, hashes, versions, numbers.
_VARYING = r"https?://\S+|\b[A-Z][A-Z0-9]+-\d+\b|#\d+|\b[0-9a-f]{7,40}\b|\bv?\d+(?:\.\d+)*\S*|@\S+"


def entry_key(text: pl.Expr) -> pl.Expr:
    """Return the folded form two near-verbatim copies of an entry share: references, versions
    and numbers removed, lower case, letters only, common English suffixes cut."""
    return (
        text.fill_null("")
        .str.replace_all(_VARYING, " ")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}]+", " ")
        # a light stem, so "Updated dependencies" and "Update dependency" meet
        .str.replace_all(r"(?:ies|y|ing|ed|es|e|s)\b", "")
        .str.strip_chars()
    )


def remove_boilerplate(frame: pl.DataFrame, min_versions: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the frame without boilerplate entries, and the entries removed with their reason."""
    empty = pl.DataFrame(schema=REMOVED_SCHEMA)
    if min_versions < 2 or frame.height == 0:
        return frame, empty
    # The link stage's entry_links are one list per entry: they are cut with their entries.
    aligned = [c for c in ("entries", "entry_links") if c in frame.columns]
    entries = (
        frame.with_row_index("_row")
        .filter(pl.col("kind") == "release", pl.col("entries").list.len() > 0)
        .select("_row", "record_id", "project", *aligned)
        .explode(aligned)
        .with_columns(pl.int_range(pl.len()).over("_row").alias("_entry"))
        .unnest("entries")
        .with_columns(entry_key(pl.col("text")).alias("_key"))
    )
    versions = pl.col("record_id").n_unique().over("project", "_key")
    removed = entries.filter((pl.col("_key") != "") & (versions >= min_versions)).with_columns(
        versions.alias("_versions")
    )
    if removed.height == 0:
        return frame, empty
    dropped = removed.select("_row", "_entry").with_columns(pl.lit(True).alias("_drop"))
    kept_entries = (
        entries.join(dropped, on=["_row", "_entry"], how="left")
        .filter(pl.col("_drop").is_null())
        .group_by("_row")
        .agg(
            pl.struct("section", "text", "refs").alias("_kept"),
            *(pl.col(c).alias(f"_kept_{c}") for c in aligned[1:]),
        )
    )
    lines = removed.group_by("_row").agg(pl.col("text").alias("_texts"))
    updated = (
        frame.with_row_index("_row")
        .join(lines, on="_row", how="left")
        .join(kept_entries, on="_row", how="left")
        .with_columns(
            *(
                pl.when(pl.col("_texts").is_not_null())
                .then(pl.col(kept).fill_null(pl.lit([], dtype=frame.schema[column])))
                .otherwise(pl.col(column))
                .alias(column)
                for column, kept in zip(
                    aligned, ["_kept", *(f"_kept_{c}" for c in aligned[1:])], strict=True
                )
            ),
            pl.when(pl.col("_texts").is_not_null())
            .then(
                strip_templates_expr(
                    pl.struct("body", "_texts").map_elements(_drop_lines, return_dtype=pl.String)
                )
            )
            .otherwise(pl.col("body"))
            .alias("body"),
        )
        .sort("_row")
        .select(frame.columns)
    )
    report = removed.select(
        "record_id",
        "section",
        "text",
        pl.lit(REASON).alias("reason"),
        pl.format("in {} versions of {}", "_versions", pl.col("project").fill_null("?")).alias(
            "detail"
        ),
    ).sort("record_id", "text")
    return updated, report


def _drop_lines(row: dict) -> str | None:
    """Remove from the notes every line that carries one of the removed entries' text."""
    body, texts = row["body"], row["_texts"]
    if body is None or not texts:
        return body
    wanted = [t.strip() for t in texts if t and t.strip()]
    kept = [line for line in body.split("\n") if not any(t in line for t in wanted)]
    return "\n".join(kept)
