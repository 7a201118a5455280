"""Quality rules on the cleaned body: each a measure column, a threshold and a reason code.

The thresholds and where they come from are in ``QualityConfig`` (dataprep/config.py). Every
measure is a Polars expression over the whole batch; the word n-gram rule explodes words once
for the rows long enough to be judged by it.
"""

from __future__ import annotations

import polars as pl

from dataprep.config import QualityConfig

_WORD = r"\S+"
_ALPHA_WORD = r"\S*[^\W\d_]\S*"
_FENCED_CODE = r"(?s)```.*?(?:```|$)|~~~.*?(?:~~~|$)"
# Placeholder bodies are compared lower-cased, without trailing punctuation.
_FOLD = r"[.!?:;,\s]+$"


def measures(frame: pl.DataFrame, prose: pl.Expr, text: pl.Expr) -> pl.DataFrame:
    """Return the measure columns ``q_*`` for each row: ``prose`` is the prose view of ``text``."""
    lines = text.fill_null("").str.replace_all(_FENCED_CODE, "").str.split("\n")
    nonblank = pl.element().str.strip_chars().filter(pl.element().str.strip_chars() != "")
    return frame.select(
        prose.str.count_matches(_WORD).alias("q_words"),
        prose.str.count_matches(_ALPHA_WORD).alias("q_alpha_words"),
        prose.str.len_chars().alias("q_prose_chars"),
        text.fill_null("").str.replace_all(r"\s+", "").str.len_chars().alias("q_chars"),
        text.fill_null("")
        .str.to_lowercase()
        .str.replace_all(_FOLD, "")
        .str.strip_chars()
        .alias("q_folded"),
        lines.list.eval(nonblank).alias("_lines"),
    ).select(
        pl.exclude("_lines"),
        pl.col("_lines").list.len().alias("q_lines"),
        pl.col("_lines")
        .list.eval(pl.element().is_first_distinct().not_().sum())
        .list.first()
        .alias("q_dup_lines"),
        pl.col("_lines")
        .list.eval(
            pl.element().filter(pl.element().is_first_distinct().not_()).str.len_chars().sum()
        )
        .list.first()
        .alias("q_dup_line_chars"),
        pl.col("_lines")
        .list.eval(pl.element().str.len_chars().sum())
        .list.first()
        .alias("q_line_chars"),
    )


def top_ngram_fractions(prose: pl.Series, sizes: list[int], min_words: int) -> pl.DataFrame:
    """Return ``q_top_<n>gram``: the share of word characters that the most frequent word
    n-gram covers (Gopher's measure), for rows with at least ``min_words`` words, else 0."""
    words = (
        prose.to_frame("text")
        .with_row_index("row")
        .select("row", pl.col("text").str.to_lowercase().str.extract_all(r"\w+").alias("w"))
    )
    long = words.filter(pl.col("w").list.len() >= min_words).explode("w")
    out = words.select("row")
    if long.height == 0:
        return out.with_columns(pl.lit(0.0).alias(f"q_top_{n}gram") for n in sizes).drop("row")
    long = long.with_columns(pl.col("w").str.len_chars().alias("chars"))
    totals = long.group_by("row").agg(pl.col("chars").sum().alias("total"))
    for n in sizes:
        gram = pl.concat_str(
            [pl.col("w").shift(-k).over("row") for k in range(n)], separator=" ", ignore_nulls=False
        )
        grams_chars = sum(pl.col("chars").shift(-k).over("row") for k in range(n))
        counted = (
            long.select("row", gram.alias("g"), grams_chars.alias("gc"))
            .drop_nulls("g")
            .group_by("row", "g")
            .agg(pl.len().alias("count"), pl.col("gc").first())
        )
        top = (
            counted.filter(pl.col("count") > 1)
            .group_by("row")
            .agg((pl.col("count") * pl.col("gc")).max().alias("top"))
            .join(totals, on="row")
            .select("row", (pl.col("top") / pl.col("total")).alias(f"q_top_{n}gram"))
        )
        out = out.join(top, on="row", how="left")
    return out.sort("row").drop("row").fill_null(0.0)


def verdicts(
    frame: pl.DataFrame, cfg: QualityConfig, repetition: pl.Expr | None = None
) -> tuple[pl.Expr, pl.Expr]:
    """Return (reason, detail) expressions: the first rule a row fails, else null.

    ``repetition`` says where the repetition rules apply (default: every row with at least
    ``repetition_min_words`` words).
    """
    words = pl.col("q_words")
    repeats = words >= cfg.repetition_min_words
    if repetition is not None:
        repeats = repeats & repetition
    rules: list[tuple[pl.Expr, str, pl.Expr]] = [
        (
            pl.col("q_folded").is_in([p.lower() for p in cfg.placeholders])
            & (pl.col("q_folded") != ""),
            "quality:placeholder",
            pl.format("body is only '{}'", "q_folded"),
        ),
        (
            words < cfg.min_words,
            "quality:too-few-words",
            pl.format("{} words < min_words {}", words, pl.lit(cfg.min_words)),
        ),
        (
            words > cfg.max_words,
            "quality:too-long",
            pl.format("{} words > max_words {}", words, pl.lit(cfg.max_words)),
        ),
        (
            pl.col("q_prose_chars") < cfg.min_prose_fraction * pl.col("q_chars"),
            "quality:mostly-code",
            pl.format(
                "prose is {} of {} characters (< {})",
                "q_prose_chars",
                "q_chars",
                pl.lit(cfg.min_prose_fraction),
            ),
        ),
        (
            pl.col("q_alpha_words") < cfg.min_alpha_words * words,
            "quality:low-alpha",
            pl.format(
                "{} of {} words have a letter (< {})",
                "q_alpha_words",
                words,
                pl.lit(cfg.min_alpha_words),
            ),
        ),
        (
            repeats
            & (
                (pl.col("q_dup_lines") > cfg.max_dup_line_fraction * pl.col("q_lines"))
                | (
                    pl.col("q_dup_line_chars")
                    > cfg.max_dup_line_char_fraction * pl.col("q_line_chars")
                )
            ),
            "quality:repeated-lines",
            pl.format(
                "{} of {} lines repeat ({} of {} characters)",
                "q_dup_lines",
                "q_lines",
                "q_dup_line_chars",
                "q_line_chars",
            ),
        ),
    ]
    for size, limit in sorted(cfg.max_top_ngram_fraction.items()):
        column = pl.col(f"q_top_{size}gram")
        rules.append(
            (
                repeats & (column > limit),
                "quality:repeated-ngrams",
                pl.format(
                    "top word {}-gram covers {} of characters (> {})",
                    pl.lit(size),
                    column.round(3),
                    pl.lit(limit),
                ),
            )
        )
    reason: pl.Expr = pl.lit(None, dtype=pl.String)
    detail: pl.Expr = pl.lit(None, dtype=pl.String)
    for failed, code, text in reversed(rules):
        reason = pl.when(failed).then(pl.lit(code)).otherwise(reason)
        detail = pl.when(failed).then(text).otherwise(detail)
    return reason, detail
