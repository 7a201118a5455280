"""The clean stage: normalise, redact, measure language and length, drop what cannot be used."""

from __future__ import annotations

import polars as pl

from dataprep.config import CleanConfig
from dataprep.schema import StageResult, reject
from dataprep.text.language import UNDETERMINED, detect_series
from dataprep.text.normalize import normalize_expr, prose_expr
from dataprep.text.redact import redact_records

STAGE = "clean"


def clean(frame: pl.DataFrame, cfg: CleanConfig) -> StageResult:
    """Return records with normalised, redacted text and ``lang``/``lang_prob``/``quality_chars``,
    rejecting those too short (``quality:too-short``) or not in an allowed language
    (``lang:not-allowed``)."""
    frame = frame.with_columns(
        normalize_expr(pl.col("title")),
        normalize_expr(pl.col("body")),
        pl.col("comments").list.eval(
            pl.element().struct.with_fields(
                normalize_expr(pl.element().struct.field("body")).alias("body")
            )
        ),
    )
    stats: dict[str, object] = {}
    if cfg.redact:
        frame, stats["redactions"] = redact_records(frame)
    prose = frame.select(
        prose_expr(pl.col("body")).alias("body_prose"),
        prose_expr(
            pl.concat_str(pl.col("title").fill_null(""), pl.col("body"), separator="\n")
        ).alias("lang_prose"),
    )
    langs = detect_series(prose["lang_prose"], cfg.lang_min_chars)
    frame = frame.with_columns(
        langs.struct.field("lang").alias("lang"),
        langs.struct.field("lang_prob").alias("lang_prob"),
        prose["body_prose"].str.len_chars().alias("quality_chars"),
    )
    too_short = pl.col("quality_chars") < cfg.min_chars
    not_allowed = ~pl.col("lang").is_in(cfg.languages)
    rejected = pl.concat(
        [
            reject(
                frame.filter(too_short),
                STAGE,
                pl.lit("quality:too-short"),
                pl.format(
                    "{} prose characters < min_chars {}", "quality_chars", pl.lit(cfg.min_chars)
                ),
            ),
            reject(
                frame.filter(~too_short & not_allowed),
                STAGE,
                pl.lit("lang:not-allowed"),
                pl.when(pl.col("lang") == UNDETERMINED)
                .then(pl.lit("und: too little prose to tell"))
                .otherwise(pl.format("{} ({})", "lang", "lang_prob")),
            ),
        ]
    )
    return StageResult(frame.filter(~too_short & ~not_allowed), rejected, stats)
