"""Quality rules on the cleaned body: each a measure column, a threshold and a reason code.

The thresholds and where they come from are in ``QualityConfig`` (dataprep/config.py). Every
measure is a Polars expression over the whole batch; the word n-gram rule explodes words once
for the rows long enough to be judged by it.
"""

from __future__ import annotations

import polars as pl

from dataprep.config import QualityConfig
from dataprep.schema import first_failing

# Whitespace tokens, and each Han or kana character on its own (no spaces in those scripts).
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
_WORD = rf"[{_CJK}]|[^\s{_CJK}]+"
_ALPHA_WORD = rf"[{_CJK}]|[^\s{_CJK}]*[^\W\d_][^\s{_CJK}]*"
# The n-gram rule compares words without their punctuation.
_BARE_WORD = rf"[{_CJK}]|[^\W{_CJK}]+"
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
        (text.fill_null("").str.len_chars() - text.fill_null("").str.count_matches(r"\s"))
        .cast(pl.UInt32)
        .alias("q_chars"),
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


# Rows measured at once by the n-gram rule: its exploded words are ~25x the text in memory.
NGRAM_CHUNK = 20_000


def top_ngram_fractions(prose: pl.Series, sizes: list[int], min_words: int) -> pl.DataFrame:
    """Return ``q_top_<n>gram``: the share of word characters that the most frequent word
    n-gram covers (Gopher's measure), for rows with at least ``min_words`` words, else 0."""
    parts = [
        _top_ngram_fractions(prose.slice(start, NGRAM_CHUNK), sizes, min_words)
        for start in range(0, max(len(prose), 1), NGRAM_CHUNK)
    ]
    return pl.concat(parts)


def _top_ngram_fractions(prose: pl.Series, sizes: list[int], min_words: int) -> pl.DataFrame:
    """One chunk of ``top_ngram_fractions``.

    Words are exploded once into one flat column; an n-gram is the hash of n consecutive word
    hashes, valid where all n words belong to the same row, so no per-row window is needed.
    The hashes only group within this call, so Polars' own hash is fine here.
    """
    rows = (
        prose.to_frame("text")
        .with_row_index("row")
        .select("row", pl.col("text").str.to_lowercase().str.extract_all(_BARE_WORD).alias("w"))
        .filter(pl.col("w").list.len() >= min_words)
        .explode("w")
        .select(
            "row",
            pl.col("w").hash(seed=0).alias("h"),
            pl.col("w").str.len_chars().cast(pl.UInt32).alias("c"),
        )
    )
    out = pl.DataFrame({"row": pl.Series(range(len(prose)), dtype=pl.UInt32)})
    totals = rows.group_by("row").agg(pl.col("c").sum().alias("total"))
    for n in sizes:
        grams = rows.select(
            "row",
            pl.struct([pl.col("h").shift(-k).alias(f"h{k}") for k in range(n)]).hash().alias("g"),
            pl.sum_horizontal(pl.col("c").shift(-k) for k in range(n)).alias("gc"),
            (pl.col("row").shift(-(n - 1)) == pl.col("row")).alias("valid"),
        ).filter(pl.col("valid"))
        top = (
            grams.group_by("row", "g")
            .agg(pl.len().alias("count"), pl.col("gc").first())
            .filter(pl.col("count") > 1)
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

    The ratio rules (low-alpha, repetition) judge rows of at least ``ratio_rules_min_words``
    words; ``repetition`` narrows where the repetition rules apply.
    """
    words = pl.col("q_words")
    ratios = words >= cfg.ratio_rules_min_words
    repeats = ratios if repetition is None else ratios & repetition
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
            ratios & (pl.col("q_alpha_words") < cfg.min_alpha_words * words),
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
    return first_failing(rules)
