"""Token counts for budgeting pairs, without a tokenizer: a documented estimate.

``estimate_tokens`` is UTF-8 bytes / 4, rounded up, plus 4 tokens per message for the chat
template's role markers. Four bytes a token is OpenAI's rule of thumb for English with BPE
tokenizers; counting bytes rather than characters makes Chinese, Japanese and Korean text
(3 bytes a character, about one token a character in common tokenizers) come out at 0.75 tokens
a character instead of 0.25. It errs high on plain English prose and low on dense code.
"""

from __future__ import annotations

import polars as pl

BYTES_PER_TOKEN = 4
TOKENS_PER_MESSAGE = 4


def estimate_tokens(text: pl.Expr) -> pl.Expr:
    """Return the estimated tokens of one message with content ``text`` (0 when null)."""
    return (
        pl.when(text.is_null())
        .then(pl.lit(0, pl.Int64))
        .otherwise(
            (text.str.len_bytes().cast(pl.Int64) + BYTES_PER_TOKEN - 1) // BYTES_PER_TOKEN
            + TOKENS_PER_MESSAGE
        )
    )


def estimate_text_tokens(text: str | None) -> int:
    """The same estimate as ``estimate_tokens`` for one Python string."""
    if text is None:
        return 0
    return -(-len(text.encode()) // BYTES_PER_TOKEN) + TOKENS_PER_MESSAGE
