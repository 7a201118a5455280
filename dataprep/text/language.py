"""Language detection with langdetect, deterministic and honest about texts too short to tell."""

from __future__ import annotations

import polars as pl
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

UNDETERMINED = "und"

# langdetect samples n-grams at random; a fixed seed makes the same text give the same answer
# in every run (its README recommends exactly this).
DetectorFactory.seed = 0

# langdetect's cost grows with the text while its answer settles within a few hundred
# characters of prose; beyond this the rest of a long description only costs time.
MAX_CHARS = 1000

LANG_STRUCT = pl.Struct({"lang": pl.String, "lang_prob": pl.Float64})


def detect(text: str | None, min_chars: int) -> dict[str, object]:
    """Return ``{"lang", "lang_prob"}`` for prose ``text``; ``und`` with 0.0 when it cannot tell.

    The length that counts is letters only: langdetect confidently names a language for a line
    of digits or symbols, which is noise, not evidence.
    """
    if text is None or sum(ch.isalpha() for ch in text) < min_chars:
        return {"lang": UNDETERMINED, "lang_prob": 0.0}
    try:
        best = detect_langs(text[:MAX_CHARS])[0]
    except LangDetectException:  # no features: digits, symbols only
        return {"lang": UNDETERMINED, "lang_prob": 0.0}
    return {"lang": best.lang, "lang_prob": round(best.prob, 4)}


def detect_series(prose: pl.Series, min_chars: int) -> pl.Series:
    """Return a struct series (lang, lang_prob) for a batch of prose texts."""
    values = [detect(text, min_chars) for text in prose.to_list()]
    return pl.Series(prose.name, values, dtype=LANG_STRUCT)
