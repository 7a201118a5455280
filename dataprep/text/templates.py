"""Issue-template scaffolding removed from Markdown bodies, with Polars string ops only.

What goes: HTML comments (the guidance GitHub templates hide in ``<!-- ... -->``), unchecked
checklist items (``- [ ] I have searched the existing issues``), and sections whose heading is
followed by nothing or only by a placeholder (``_No response_`` is how GitHub issue forms render
an empty field; ``N/A``, ``None``, ``-``, ``TBD`` are what people type). A bold label on its own
line (``**Environment:**``, how Jira templates convert) counts as a heading below all others.
A ``_No response_`` line goes wherever it is: GitHub writes it, never a person. Checked items
(``- [x]``) stay: they may be template ticks or a task list's progress, and only the first is
scaffolding.

Fenced code blocks are never touched: they are swapped for a marker character first and put
back at the end, so a ``# comment`` in a shell snippet is not a heading and a block is content.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

# Private-use control characters: removed from the input first, so they cannot clash.
_CODE = "\x04"  # stands for one fenced code block while the rest is edited
_END = "\x02"  # ends the section before a heading (empty-section pass)
_START = "\x03"  # starts a heading's section (empty-section pass)

_FENCE = (
    r"(?ms)^[ \t]*```[^\n]*\n.*?(?:^[ \t]*```[ \t]*$|\z)"
    r"|^[ \t]*~~~[^\n]*\n.*?(?:^[ \t]*~~~[ \t]*$|\z)"
)
_HTML_COMMENT = r"(?s)<!--.*?-->"
_CHECKLIST = r"(?m)^[ \t]*[-*+] \[ \][^\n]*(?:\n|\z)"
# Matched case-insensitively against a whole line or a whole text.
PLACEHOLDERS = (
    r"_no response_|\*no response\*|no response|n/a|n\.a\.|none|-+|tbd|\(none\)|\(empty\)"
)
_PLACEHOLDER_TEXT = rf"(?i)\A\s*(?:{PLACEHOLDERS})\s*\z"
_BLANK_OR_PLACEHOLDER = rf"[ \t]*(?i:{PLACEHOLDERS})?[ \t]*"
_NO_RESPONSE_LINE = r"(?m)^[ \t]*_No response_[ \t]*$"
_BOLD_LABEL = r"(?m)^(\*\*[^*\n]{1,80}\*\*|__[^_\n]{1,80}__)[ \t]*:?[ \t]*$"
_LABEL_LEVEL = 7  # bold labels sit below ###### headings


def is_placeholder_expr(expr: pl.Expr) -> pl.Expr:
    """Return true where the whole text is only a placeholder (``N/A``, ``_No response_``...)."""
    return expr.str.contains(_PLACEHOLDER_TEXT)


def strip_templates_expr(expr: pl.Expr) -> pl.Expr:
    """Return Markdown without HTML comments, unchecked checklist items and empty sections."""
    return expr.map_batches(strip_templates, return_dtype=pl.String, is_elementwise=True)


def strip_templates(texts: pl.Series) -> pl.Series:
    """Return Markdown texts without HTML comments, unchecked checklists and empty sections.

    Each step runs only on the texts a cheap literal test selects: the fence-aware regexes
    (a capture group per match) cost ten times a plain one.
    """
    out = texts.str.replace_all(r"[\x02\x03\x04]", "")
    fenced = out.str.contains("```|~~~")
    comment = out.str.contains("<!--", literal=True)
    # Fence alternative first: a comment inside a code block is kept, and a comment wrapping an
    # example block goes with the block.
    out = _where(
        out, comment & fenced, lambda s: s.str.replace_all(f"({_FENCE})|{_HTML_COMMENT}", "$1")
    )
    out = _where(out, comment & ~fenced, lambda s: s.str.replace_all(_HTML_COMMENT, ""))
    fenced = out.str.contains("```|~~~")
    return _where(out, fenced, _strip_masked_fences, otherwise=_strip_scaffolding)


def _strip_masked_fences(texts: pl.Series) -> pl.Series:
    """Strip scaffolding with each fenced block swapped for a marker and put back after."""
    frame = pl.DataFrame({"t": texts}).select(
        pl.col("t").str.replace_all(_FENCE, _CODE).alias("masked"),
        pl.col("t").str.extract_all(_FENCE).alias("fences"),
    )
    masked = _strip_scaffolding(frame["masked"])
    return frame.with_columns(masked.alias("masked")).select(
        _restore(pl.col("masked"), pl.col("fences"))
    )["masked"]


def _strip_scaffolding(texts: pl.Series) -> pl.Series:
    """Drop checklists, ``_No response_`` lines and empty sections from fence-free Markdown."""
    out = _where(
        texts, texts.str.contains("[ ]", literal=True), lambda s: s.str.replace_all(_CHECKLIST, "")
    )
    out = out.str.replace_all(_NO_RESPONSE_LINE, "")
    labels = out.str.contains(_BOLD_LABEL)
    # Bold labels become level-7 headings for the empty-section passes.
    out = _where(out, labels, lambda s: s.str.replace_all(_BOLD_LABEL, "####### $1"))
    for level in range(_LABEL_LEVEL, 0, -1):
        has_level = out.str.contains(rf"(?m)^#{{{level}}}[ \t]")
        out = _where(out, has_level, lambda s, level=level: _drop_empty_sections(s, level))
    out = _where(out, labels, lambda s: s.str.replace_all(r"(?m)^####### ", ""))
    # Input is already whitespace-tidied (normalize_expr); removals only leave blank runs.
    return out.str.replace_all(r"\n{3,}", "\n\n").str.strip_chars()


def _drop_empty_sections(texts: pl.Series, level: int) -> pl.Series:
    """Remove sections of heading ``level`` whose lines are blank or placeholders.

    Deeper headings get no marker, so a surviving sub-heading is content; the deeper empty ones
    are gone by now because the passes run from the deepest level up. Each heading of this level
    or higher gets ``_END _START`` in front: a section match runs from its own ``_START`` to the
    next ``_END``, so neighbouring empty sections never overlap and all go in one pass.
    """
    marked = texts.str.replace_all(rf"(?m)^(#{{1,{level}}}[ \t])", f"{_END}{_START}$1")
    dropped = marked.str.replace_all(
        rf"{_START}#{{{level}}}[ \t][^\n]*(?:\n{_BLANK_OR_PLACEHOLDER})*(?:{_END}|\z)", ""
    )
    return dropped.str.replace_all(f"[{_END}{_START}]", "")


def _where(
    texts: pl.Series,
    mask: pl.Series,
    fn: Callable[[pl.Series], pl.Series],
    otherwise: Callable[[pl.Series], pl.Series] | None = None,
) -> pl.Series:
    """Return ``texts`` with ``fn`` applied where ``mask`` is true (``otherwise`` elsewhere)."""
    mask = mask.fill_null(False)
    if otherwise is not None:
        texts = _where(texts, ~mask, otherwise)
    if not mask.any():
        return texts
    rows = mask.arg_true()
    return texts.clone().scatter(rows, fn(texts.gather(rows)))


def _restore(masked: pl.Expr, fences: pl.Expr) -> pl.Expr:
    """Put the fenced blocks back: the parts between markers interleaved with the blocks."""
    parts = pl.concat_list(masked.str.split(_CODE), fences)
    # Part i and block i sit at i and n + 1 + i of the n + 1 parts followed by n blocks.
    i = pl.element()
    order = pl.int_ranges(0, parts.list.len()).list.eval(
        pl.when(i % 2 == 0).then(i // 2).otherwise(i // 2 + (i.len() + 1) // 2)
    )
    return (
        pl.when(fences.list.len() == 0)
        .then(masked)
        .otherwise(parts.list.gather(order).list.join(""))
    )
