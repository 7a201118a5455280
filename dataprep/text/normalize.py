"""Unicode and whitespace normalisation, and the prose view of a text used for measuring it."""

from __future__ import annotations

import re
from collections.abc import Callable

import ftfy
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
# Same result as replacing r"\s+" with one space, five times faster: single spaces are left
# alone instead of each being matched and replaced by itself.
_SPACE_RUN = r"\s{2,}|[\s-- ]"
# A line of code pasted without a fence: a statement keyword at the start, a stack frame, an
# assignment, or a line ending in ; { } -- the shapes on which langdetect confidently names a
# language for code. Case-sensitive on purpose: "Import fails" or "For each user" are prose.
_CODE_LINE = (
    r"(?m)^[ \t]*(?:"
    r"import\s+[\w.]+|from\s+[\w.]+\s+import\b|def\s+\w+\s*\(|class\s+\w+\s*[:({]"
    r"|return\b|(?:public|private|protected|static|final|const|let|var|func|fn|val)\s+\w+"
    r"|#(?:include|define|if|endif)\b|package\s+[\w.]+|using\s+[\w.]+\s*;"
    r"|@[A-Za-z]\w*(?:\(|\s*$)|(?:for|if|while|with|elif|else|try|except|switch)\b[^\n]*[:{]\s*$"
    r"|(?:SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\s"
    r"|at\s+[\w.$<>/]+\(|File \"[^\"\n]*\", line \d+|Traceback \(most recent call last\)"
    r"|Caused by:|goroutine \d+|\.\.\. \d+ more|[\w.]*[a-z]\.[A-Z]\w*(?:Exception|Error)\b"
    r"|[A-Z]\w+(?:Exception|Error):"
    r"|[\w.\[\]\"']+\s*(?:[-+*/|&]?=|\+\+|--)[^=\n]*"
    r"|[^\n]*[;{}]\s*$|[})\]]"
    r")[^\n]*$"
)


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
    """Return the natural-language part of Markdown: code blocks and code lines, URLs, markup
    and placeholders removed."""
    return (
        expr.fill_null("")
        .str.replace_all(_FENCED_CODE, " ")
        .str.replace_all(_HTML_COMMENT, " ")
        .str.replace_all(_INDENTED_CODE, " ")
        .str.replace_all(_CODE_LINE, " ")
        .str.replace_all(_INLINE_CODE, " ")
        .str.replace_all(_MD_LINK, "$1")
        .str.replace_all(_URL, " ")
        .str.replace_all(_PLACEHOLDER, " ")
        .str.replace_all(_HTML_TAG, " ")
        .str.replace_all(_MARKDOWN_SYMBOLS, " ")
        .str.replace_all(_SPACE_RUN, " ")
        .str.strip_chars()
    )


# --- whole-record normalisation ---------------------------------------------------------------

# Mojibake is UTF-8 read as cp1252/latin-1: "â€™" for "’", "Ã©" for "é", "Â " for a no-break
# space, "ï»¿" for a BOM. Only texts with one of these go through ftfy, which is slow.
_MOJIBAKE_HINT = r"[ÃÂ]|â€|â„|ï»"
# Only the encoding repairs: quotes stay curly, HTML entities and line breaks are left alone
# (NFKC and normalize_expr do the rest).
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    remove_terminal_escapes=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    fix_line_breaks=False,
    remove_control_chars=False,
    normalization=None,
    explain=False,
)
# Rows worth scanning for an unfenced stack trace (the scan decides).
_TRACE_HINT = (
    r"(?m)^Traceback \(most recent call last\):|^[ \t]+at \S|^goroutine \d+ \[|^Caused by: "
)
_FENCE_OPEN = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_PY_TRACE = re.compile(r"Traceback \(most recent call last\):\s*$")
_PY_CHAIN = re.compile(
    r"^(?:During handling of the above exception, another exception occurred:"
    r"|The above exception was the direct cause of the following exception:)\s*$"
)
# A frame of a Java/Kotlin, JavaScript or .NET trace, and the lines that belong between frames.
_FRAME = re.compile(r"^[ \t]+at \S.*(?:\)|:\d+|:line \d+)\s*$")
_FRAME_EXTRA = re.compile(
    r"^(?:[ \t]*Caused by: |[ \t]*Suppressed: |[ \t]*\.\.\. \d+ (?:more|common frames omitted)"
    r"|[ \t]*--- End of .*---\s*$|[ \t]+---> )"
)
# The line naming the exception, just above the first frame.
_TRACE_HEADER = re.compile(
    r"^(?:Exception in thread |Caused by: |Uncaught |Unhandled exception|"
    r"(?:[\w$]+\.)*[\w$]*(?:Error|Exception|Throwable)\b)"
)
_GOROUTINE = re.compile(r"^goroutine \d+ \[[^\]]*\]:\s*$")
# A function line, its "\t/path/file.go:12 +0x1d" line, "created by ...", elided frames.
_GO_FRAME = re.compile(r"^(?:\t\S|\S+\(.*\)\s*$|created by \S|\.\.\.additional frames elided)")
_GO_HEADER = re.compile(r"^(?:panic: |fatal error: )")


def normalize_frame(frame: pl.DataFrame, max_log_lines: int) -> pl.DataFrame:
    """Return the frame with its text normalised: mojibake repaired, NFKC, whitespace tidied,
    stack traces fenced and fenced blocks over ``max_log_lines`` lines truncated.

    Applies to ``title`` (one line: no fences, no truncation), ``body``, comment bodies and
    release ``entries[].text``; other columns and the row order are untouched.
    """

    def text(expr: pl.Expr) -> pl.Expr:
        return expr.map_batches(
            lambda s: normalize_text_series(s, max_log_lines),
            return_dtype=pl.String,
            is_elementwise=True,
        )

    columns: list[pl.Expr] = []
    if "title" in frame.columns:
        columns.append(
            pl.col("title")
            .map_batches(
                lambda s: _nfkc(_fix_mojibake(s)), return_dtype=pl.String, is_elementwise=True
            )
            .str.replace_all(r"\s+", " ")
            .str.strip_chars()
        )
    if "body" in frame.columns:
        columns.append(text(pl.col("body")))
    for column, field in (("comments", "body"), ("entries", "text")):
        if column in frame.columns:
            columns.append(
                pl.col(column).list.eval(pl.element().struct.with_fields(text(pl.field(field))))
            )
    return frame.with_columns(columns)


def normalize_text_series(texts: pl.Series, max_log_lines: int) -> pl.Series:
    """Return Markdown texts normalised: mojibake, NFKC, whitespace, fenced traces, long logs."""
    tidy = pl.DataFrame({"t": _nfkc(_fix_mojibake(texts))}).select(
        # normalize_expr without its NFKC step, done above on the texts that need it
        pl.col("t")
        .str.replace_all(r"\r\n?", "\n")
        .str.replace_all(r"[ \t]+\n", "\n")
        .str.replace_all(r"\n{3,}", "\n\n")
        .str.strip_chars()
    )["t"]
    out = _map_where(tidy, tidy.str.contains(_TRACE_HINT), fence_traces)
    if max_log_lines > 0:
        long_block = out.str.contains("```|~~~") & (out.str.count_matches("\n") > max_log_lines)
        out = _map_where(out, long_block, lambda t: truncate_blocks(t, max_log_lines))
    return out.alias(texts.name)


def _nfkc(texts: pl.Series) -> pl.Series:
    """Return texts in NFKC; ASCII texts (most of them) are skipped, NFKC leaves them as is."""
    non_ascii = texts.str.len_bytes() != texts.str.len_chars()
    if not non_ascii.any():
        return texts
    rows = non_ascii.arg_true()
    return texts.clone().scatter(rows, texts.gather(rows).str.normalize("NFKC"))


def _fix_mojibake(texts: pl.Series) -> pl.Series:
    return _map_where(
        texts,
        texts.str.contains(_MOJIBAKE_HINT),
        lambda t: ftfy.fix_text(t, _FTFY_CONFIG),
    )


def _map_where(texts: pl.Series, mask: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Return ``texts`` with ``fn`` applied, in Python, only where ``mask`` is true."""
    mask = mask.fill_null(False)
    if not mask.any():
        return texts
    rows = mask.arg_true()
    fixed = pl.Series([fn(t) for t in texts.gather(rows).to_list()], dtype=pl.String)
    return texts.clone().scatter(rows, fixed)


def fence_traces(text: str) -> str:
    """Return the text with each stack trace outside a code block wrapped in a ``` fence.

    Recognised: Python tracebacks (chained ones stay one block), Java/Kotlin, JavaScript and
    .NET frames (``at ...``) with the exception line above them, Go goroutine dumps with their
    ``panic:`` line.
    """
    lines = text.split("\n")
    out: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        opened = _FENCE_OPEN.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(line)
            i += 1
            continue
        if opened:
            fence = opened.group(1)
            out.append(line)
            i += 1
            continue
        end, header = _trace_at(lines, i)
        if end is None:
            out.append(line)
            i += 1
            continue
        block = lines[i:end]
        if header:
            block = out[-header:] + block
            del out[-header:]
        out.extend(["```", *block, "```"])
        i = end
    return "\n".join(out)


def _trace_at(lines: list[str], i: int) -> tuple[int | None, int]:
    """Return (end, header lines above) of a trace starting at line ``i``, or (None, 0)."""
    line = lines[i]
    if _PY_TRACE.match(line):
        return _python_trace_end(lines, i), 0
    if _FRAME.match(line):
        end = i + 1
        while end < len(lines) and (_FRAME.match(lines[end]) or _FRAME_EXTRA.match(lines[end])):
            end += 1
        header = 1 if i > 0 and _TRACE_HEADER.match(lines[i - 1]) else 0
        return end, header
    if _GOROUTINE.match(line):
        end = i + 1
        while end < len(lines):
            if _GO_FRAME.match(lines[end]):
                end += 1
            elif (
                not lines[end].strip() and end + 1 < len(lines) and _GOROUTINE.match(lines[end + 1])
            ):
                end += 2
            else:
                break
        if end < len(lines) and lines[end].startswith("exit status "):
            end += 1
        header = 0
        if i >= 2 and not lines[i - 1].strip() and _GO_HEADER.match(lines[i - 2]):
            header = 2
        elif i >= 1 and _GO_HEADER.match(lines[i - 1]):
            header = 1
        return end, header
    return None, 0


def _python_trace_end(lines: list[str], i: int) -> int:
    """Return the line after a Python traceback (and the tracebacks chained to it)."""
    end = i + 1
    while end < len(lines) and lines[end][:1] in (" ", "\t"):
        end += 1
    if end < len(lines) and lines[end].strip():
        end += 1  # the exception line
    # "During handling of the above exception..." then another traceback: one block.
    k = end
    while k < len(lines) and not lines[k].strip():
        k += 1
    if k < len(lines) and _PY_CHAIN.match(lines[k]):
        k += 1
        while k < len(lines) and not lines[k].strip():
            k += 1
        if k < len(lines) and _PY_TRACE.match(lines[k]):
            return _python_trace_end(lines, k)
    return end


def truncate_blocks(text: str, max_lines: int) -> str:
    """Return the text with each fenced block longer than ``max_lines`` lines cut down.

    A cut block keeps its first two thirds and last third of ``max_lines - 1`` lines around a
    ``[... N lines truncated ...]`` line, ``max_lines`` lines in all: the head shows what ran
    and where it started failing, the tail the final error.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        opened = _FENCE_OPEN.match(lines[i])
        out.append(lines[i])
        i += 1
        if not opened:
            continue
        fence = opened.group(1)
        start = i
        while i < len(lines):
            closing = _FENCE_OPEN.match(lines[i])
            if (
                closing
                and closing.group(1)[0] == fence[0]
                and len(closing.group(1)) >= len(fence)
                and not lines[i].strip()[len(closing.group(1)) :]
            ):
                break
            i += 1
        out.extend(_truncate(lines[start:i], max_lines))
        if i < len(lines):
            out.append(lines[i])  # the closing fence
            i += 1
    return "\n".join(out)


def _truncate(block: list[str], max_lines: int) -> list[str]:
    if len(block) <= max_lines:
        return block
    keep = max(max_lines - 1, 2)
    head = max(keep * 2 // 3, 1)
    tail = keep - head
    cut = len(block) - head - tail
    return [*block[:head], f"[... {cut} lines truncated ...]", *block[len(block) - tail :]]
