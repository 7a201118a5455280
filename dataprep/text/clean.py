"""The clean stage: policy, normalise, strip scaffolding and noise, redact, measure, drop.

Order matters and is fixed:

1. access policy (``policy:*``): confidential records leave before their text is touched;
2. issues opened by bots (``noise:bot-author``);
3. Unicode and whitespace normalised, stack traces fenced, long logs truncated; template
   scaffolding and quoted e-mail replies stripped; bot and noise comments removed (counted by
   reason in the stats, since a comment is not a record);
4. redaction of personal data and secrets, before anything is measured, logged or written;
5. quality rules (``quality:*``) and language (``lang:not-allowed``) on the prose view: code,
   URLs, markup and placeholders removed.

Each rejected record gets the first reason it meets, in that order.
"""

from __future__ import annotations

import polars as pl

from dataprep.config import CleanConfig
from dataprep.schema import StageResult, reject
from dataprep.text.language import UNDETERMINED, detect_series
from dataprep.text.noise import drop_noise_comments, is_bot_expr, strip_email_quotes_expr
from dataprep.text.normalize import normalize_frame, prose_expr
from dataprep.text.policy import policy_verdicts
from dataprep.text.quality import measures, top_ngram_fractions, verdicts
from dataprep.text.redact import redact_records
from dataprep.text.templates import strip_templates_expr

STAGE = "clean"
MEASURES = ("lang", "lang_prob", "quality_words")


def clean(frame: pl.DataFrame, cfg: CleanConfig) -> StageResult:
    """Return records with clean, redacted text and ``lang``, ``lang_prob``, ``quality_words``;
    the rest rejected with the first ``policy:``, ``noise:``, ``quality:`` or ``lang:`` reason."""
    policy_reason, policy_detail = policy_verdicts(cfg.policy)
    frame = frame.with_columns(
        policy_reason.alias("_reason"),
        policy_detail.alias("_detail"),
    ).with_columns(
        _first(
            is_bot_expr(pl.col("author"), cfg.bots).fill_null(False) & (pl.col("kind") == "issue"),
            "noise:bot-author",
            pl.format("opened by bot '{}'", "author"),
        )
    )
    early = frame.filter(pl.col("_reason").is_not_null())
    frame = frame.filter(pl.col("_reason").is_null())

    frame = normalize_frame(frame.drop("_reason", "_detail"), cfg.max_log_lines)
    body = strip_email_quotes_expr(pl.col("body"))
    if cfg.strip_templates:
        body = strip_templates_expr(body)
    frame = frame.with_columns(body.alias("body"))
    frame, dropped_comments = drop_noise_comments(frame, cfg.bots)
    redactions: dict[str, int] = {}
    if cfg.redact.enabled:
        frame, redactions = redact_records(frame, cfg.redact)

    frame = _measure(frame, cfg)
    # Release notes repeat their phrasing by nature ("X is now the minimum supported version"
    # twice in ten lines); Gopher's repetition rules are for prose pages, so they judge issues.
    reason, detail = verdicts(frame, cfg.quality, repetition=pl.col("kind") == "issue")
    frame = frame.with_columns(reason.alias("_reason"), detail.alias("_detail")).with_columns(
        _first(
            ~pl.col("lang").is_in(cfg.languages),
            "lang:not-allowed",
            pl.when(pl.col("lang") == UNDETERMINED)
            .then(pl.lit("und: too little prose to tell"))
            .otherwise(pl.format("{} ({})", "lang", "lang_prob")),
        )
    )
    failed = pl.col("_reason").is_not_null()
    rejected = pl.concat(
        [
            reject(early, STAGE, pl.col("_reason"), pl.col("_detail")),
            reject(frame.filter(failed), STAGE, pl.col("_reason"), pl.col("_detail")),
        ]
    )
    kept = frame.filter(~failed).select(pl.exclude("^_.*$", "^q_.*$"))
    stats = {
        "redactions": redactions,
        "comments_dropped": {k: n for k, n in dropped_comments.items() if n},
        "languages": _counts(frame, "lang"),
    }
    return StageResult(kept, rejected, stats)


def _measure(frame: pl.DataFrame, cfg: CleanConfig) -> pl.DataFrame:
    """Add the quality measures (``q_*``), ``lang``, ``lang_prob`` and ``quality_words``."""
    frame = frame.with_columns(prose_expr(pl.col("body")).alias("_prose"))
    # The language reads title + body prose; the body's prose view (the costly one) is reused.
    lang_prose = pl.concat_str(prose_expr(pl.col("title")), pl.col("_prose"), separator=" ")
    langs = detect_series(frame.select(lang_prose.alias("p"))["p"], cfg.lang_min_chars)
    sizes = sorted(int(n) for n in cfg.quality.max_top_ngram_fraction)
    scored = pl.concat(
        [
            frame,
            measures(frame, pl.col("_prose"), pl.col("body")),
            top_ngram_fractions(frame["_prose"], sizes, cfg.quality.ratio_rules_min_words),
        ],
        how="horizontal",
    )
    return scored.with_columns(
        langs.struct.field("lang").alias("lang"),
        langs.struct.field("lang_prob").alias("lang_prob"),
        pl.col("q_words").alias("quality_words"),
    )


def _first(failed: pl.Expr, code: str, text: pl.Expr) -> list[pl.Expr]:
    """Set ``_reason``/``_detail`` where ``failed`` and no earlier rule has set them."""
    fresh = failed & pl.col("_reason").is_null()
    return [
        pl.when(fresh).then(pl.lit(code)).otherwise(pl.col("_reason")).alias("_reason"),
        pl.when(fresh).then(text).otherwise(pl.col("_detail")).alias("_detail"),
    ]


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    grouped = frame.group_by(column).len().sort(column)
    return {str(k): int(v) for k, v in grouped.iter_rows()}
