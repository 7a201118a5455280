"""Unicode and whitespace normalisation, and the prose view of a text used for measuring it."""

from __future__ import annotations

import polars as pl

_FENCED_CODE = r"(?s)```.*?(?:```|$)|~~~.*?(?:~~~|$)"
_INDENTED_CODE = r"(?m)^(?: {4}|\t).*$"
_INLINE_CODE = r"`[^`\n]*`"
_URL = r"(?:https?|ftp)://\S+"
_MD_LINK = r"\[([^\]]*)\]\([^)]*\)"
_HTML_TAG = r"</?[A-Za-z][^>]*>"
_HTML_COMMENT = r"(?s)<!--.*?-->"
_PLACEHOLDER = r"<[A-Z]+(?::[^>]*)?>"
_MARKDOWN_SYMBOLS = r"[#>*_|~=\[\]-]+"


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """Return text in NFKC with line endings unified, trailing spaces and blank runs tidied."""
    return (
        expr.str.normalize("NFKC")
        .str.replace_all(r"\r\n?", "\n")
        .str.replace_all(r"[ \t]+\n", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )


def prose_expr(expr: pl.Expr) -> pl.Expr:
    """Return the natural-language part of Markdown: code, URLs, markup, placeholders removed."""
    return (
        expr.fill_null("")
        .str.replace_all(_FENCED_CODE, " ")
        .str.replace_all(_HTML_COMMENT, " ")
        .str.replace_all(_INDENTED_CODE, " ")
        .str.replace_all(_INLINE_CODE, " ")
        .str.replace_all(_MD_LINK, "$1")
        .str.replace_all(_URL, " ")
        .str.replace_all(_PLACEHOLDER, " ")
        .str.replace_all(_HTML_TAG, " ")
        .str.replace_all(_MARKDOWN_SYMBOLS, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
