"""Bot and noise comments dropped with a reason, and quoted e-mail replies and signatures cut.

A comment is dropped with the first reason it meets, in this order:

- ``noise:bot``: its author matches a bot pattern (``clean.bots``);
- ``noise:plus-one``: the whole comment is "+1", a thumbs-up, "same here", "me too",
  "any update?", "bump" (punctuation and emoji around them allowed);
- ``noise:ci``: a CI or coverage notification posted from a person-looking account
  ("Build #123 failed", a Codecov report, Jenkins' "SUCCESS: Integrated in ...");
- ``noise:empty``: nothing left once quotes, signatures and HTML comments are cut.

Quoted Markdown replies (``> quoted`` then the answer) are conversation and stay; only quotes
under an e-mail attribution ("On ... wrote:") go. Everything here is Polars expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import polars as pl

REASONS = ("noise:bot", "noise:plus-one", "noise:ci", "noise:empty")

_FENCE = (
    r"(?ms)^[ \t]*```[^\n]*\n.*?(?:^[ \t]*```[ \t]*$|\z)"
    r"|^[ \t]*~~~[^\n]*\n.*?(?:^[ \t]*~~~[ \t]*$|\z)"
)
# Blocks that run to the end of the text: a forwarded or replied-to message below the reply.
_QUOTED_TO_END = (
    # Outlook / Exchange: "-----Original Message-----", or "From: ..." then "Sent:" or "Date:"
    r"(?ims)^[ \t]*-{3,}[ \t]*(?:original message|forwarded message)[ \t]*-{3,}.*"
    r"|(?ims)^(?:_{10,}[ \t]*\n)?[ \t]*(?:\*\*)?From:(?:\*\*)?[ \t][^\n]*\n(?:[^\n]*\n){0,2}?"
    r"[ \t]*(?:\*\*)?(?:Sent|Date):(?:\*\*)?[ \t].*"
    # "-- " signature delimiter (its trailing space is gone after whitespace tidying)
    r"|(?ms)^--[ \t]*\n.*"
)
# "On Mon, 3 Jun 2024 at 10:00, Alice <a@example.com> wrote:" (may wrap once), then the quote.
_ATTRIBUTION = (
    r"(?m)^[ \t]*(?:On|Am|Le|El) [^\n]{4,200}(?:\n[^\n]{1,200})?"
    r"(?:wrote|schrieb|a écrit|escribió)[ \t]*:[ \t]*\n(?:[ \t]*(?:>[^\n]*)?(?:\n|\z))*"
)
_SENT_FROM = (
    r"(?im)^[ \t]*(?:sent from my [^\n]{1,40}|sent from (?:outlook|mail) for [^\n]{1,30}"
    r"|get outlook for [^\n]{1,30}|von meinem [^\n]{1,30} gesendet)[ \t]*(?:\n|\z)"
)
# A closing line and up to four short lines (name, title, company, phone) ending the text.
_VALEDICTION = (
    r"(?i)\n[ \t]*(?:best regards|kind regards|warm regards|regards|best wishes|best"
    r"|many thanks|thanks and regards|sincerely|cheers|br|mit freundlichen grüßen|viele grüße"
    r"|cordialement|saludos)[ \t]*[,.!]?[ \t]*(?:\n[^`\n][^\n]{0,59}){0,4}\s*\z"
)
_HTML_COMMENT = r"(?s)<!--.*?-->"
_QUOTED_HINT = r"(?i)original message|forwarded message|from:|\n--[ \t]*\n"
_ATTRIBUTION_HINT = r"(?i)wrote|schrieb|a écrit|escribió"
_SENT_FROM_HINT = r"(?i)sent from|get outlook|von meinem"

_EMOJI = r"👍|🙏|👀|🔥|❤️|❤|\x{1F3FB}|\x{1F3FC}|\x{1F3FD}|\x{1F3FE}|\x{1F3FF}|:\+1:|:thumbsup:"
_PLUS_ONE_WORDS = (
    r"\+1+|\+100|same here|same issue here|same problem here|same for me|same|me too|ditto"
    r"|any updates?(?: on this)?|any news(?: on this)?|is there any update(?: on this)?"
    r"|bump(?:ed)?|following|subscribing|up"
)
_PLUS_ONE_TOKEN = rf"{_EMOJI}|{_PLUS_ONE_WORDS}"
_PLUS_ONE_ITEM = rf"[\s!.,?]|{_PLUS_ONE_TOKEN}"
# The whole comment: only tokens, punctuation and space, with at least one token.
_PLUS_ONE = rf"(?i)\A(?:{_PLUS_ONE_ITEM})*(?:{_PLUS_ONE_TOKEN})(?:{_PLUS_ONE_ITEM})*\z"
_CI = (
    r"(?i)\A\s*(?:"
    r"(?:build|pipeline|job|workflow|run|check)\s+#?\d+\s+(?:has\s+|is\s+)?"
    r"(?:failed|passed|succeeded|successful|fixed|broken|failing|passing|unstable|aborted)\b"
    r"|(?:success|failure|unstable|aborted|fixed):\s+integrated in\b"
    r"|integrated in (?:jenkins|hudson) build\b"
    r"|(?:jenkins|hudson|teamcity|travis|circleci|buildkite)\b[^\n]{0,80}\b(?:build|job)\b"
    r"[^\n]{0,80}\b(?:success|failure|failed|passed|unstable|aborted)\b"
    r"|test (?:passed|failed)\.\s+refer to this link"
    r"|#{0,6}\s*\[?codecov\]?(?:\([^)]*\))?\s+report\b"
    r"|\[!\[coverage status\]"
    r"|coverage (?:increased|decreased|remained the same)\b"
    r"|[|(x)/*\s]*[-+]1 overall\b"
    r")"
)


def is_bot_expr(author: pl.Expr, bots: list[str]) -> pl.Expr:
    """Return true where the author matches one of the glob patterns, ignoring case.

    Only ``*`` (any run) and ``?`` (one character) are wildcards; brackets are literal, so
    ``*[bot]`` means names ending in "[bot]", as GitHub apps are named.
    """
    if not bots:
        return author.str.len_bytes() < 0  # false, null where the author is null
    return author.str.strip_chars().str.contains(bots_regex(bots))


def bots_regex(bots: list[str]) -> str:
    """Return one case-insensitive, anchored regex matching any of the glob patterns."""
    globs = (re.escape(p.strip()).replace(r"\*", ".*").replace(r"\?", ".") for p in bots)
    return "(?i)^(?:" + "|".join(globs) + ")$"


def strip_email_quotes_expr(expr: pl.Expr) -> pl.Expr:
    """Return text without quoted e-mail replies, forwarded messages and signatures.

    Cut: an "On ... wrote:" line with the ``>`` lines under it, "-----Original Message-----"
    and Outlook "From: / Sent:" headers with everything below, a ``--`` signature delimiter and
    what follows, "Sent from my iPhone", and a closing "Best regards," with the few short lines
    after it when they end the text. Code blocks are kept whole.
    """
    return expr.map_batches(strip_email_quotes, return_dtype=pl.String, is_elementwise=True)


def strip_email_quotes(texts: pl.Series) -> pl.Series:
    """Return texts without quoted e-mail replies and signatures (see strip_email_quotes_expr).

    The fence-aware regexes run only on the texts a cheap test selects; most have no e-mail.
    """
    out = texts
    for hint, pattern in (
        (_QUOTED_HINT, _QUOTED_TO_END),
        (_ATTRIBUTION_HINT, _ATTRIBUTION),
        (_SENT_FROM_HINT, _SENT_FROM),
    ):
        out = _where(out, out.str.contains(hint), lambda s, p=pattern: _unfenced(s, p))
    out = _where(out, out.str.contains(_VALEDICTION), lambda s: s.str.replace_all(_VALEDICTION, ""))
    changed = (out != texts).fill_null(False)
    return _where(
        out,
        changed,
        lambda s: (
            s.str.replace_all(r"[ \t]+\n", "\n")
            .str.replace_all(r"\n{3,}", "\n\n")
            .str.strip_chars()
        ),
    )


def _unfenced(texts: pl.Series, pattern: str) -> pl.Series:
    """Remove ``pattern`` everywhere but inside fenced code blocks."""
    return texts.str.replace_all(f"({_FENCE})|{pattern}", "$1")


def _where(texts: pl.Series, mask: pl.Series, fn: Callable[[pl.Series], pl.Series]) -> pl.Series:
    """Return ``texts`` with ``fn`` applied where ``mask`` is true."""
    mask = mask.fill_null(False)
    if not mask.any():
        return texts
    rows = mask.arg_true()
    return texts.clone().scatter(rows, fn(texts.gather(rows)))


def clean_comment(bodies: pl.Series) -> pl.Series:
    """Return comment bodies without HTML comments, e-mail quotes and signatures."""
    bodies = _where(
        bodies, bodies.str.contains("<!--", literal=True), lambda s: _unfenced(s, _HTML_COMMENT)
    )
    return strip_email_quotes(bodies)


def noise_reason_expr(author: pl.Expr, body: pl.Expr, bots: list[str]) -> pl.Expr:
    """Return the ``noise:*`` reason for a comment (body already cleaned), or null to keep it."""
    return (
        pl.when(is_bot_expr(author, bots).fill_null(False))
        .then(pl.lit("noise:bot"))
        .when(body.str.contains(_PLUS_ONE))
        .then(pl.lit("noise:plus-one"))
        .when(body.str.contains(_CI))
        .then(pl.lit("noise:ci"))
        .when(body.fill_null("").str.strip_chars() == "")
        .then(pl.lit("noise:empty"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


def drop_noise_comments(
    frame: pl.DataFrame, bots: list[str]
) -> tuple[pl.DataFrame, dict[str, int]]:
    """Return the frame with noise comments removed and the rest cleaned, and counts by reason.

    Row order, comment order and the frame schema are kept; every reason in ``REASONS`` is in
    the counts, zero included.
    """
    counts = dict.fromkeys(REASONS, 0)
    if "comments" not in frame.columns:
        return frame, counts
    dtype = frame.schema["comments"]
    fields = [f.name for f in dtype.inner.fields]  # type: ignore[union-attr]
    tagged = frame.select(
        pl.col("comments").list.eval(
            pl.element()
            .struct.with_fields(
                pl.field("body").map_batches(
                    clean_comment, return_dtype=pl.String, is_elementwise=True
                )
            )
            .struct.with_fields(
                noise_reason_expr(pl.field("author"), pl.field("body"), bots).alias("_noise")
            )
        )
    )["comments"]
    reasons = tagged.explode().struct.field("_noise").drop_nulls().value_counts()
    for reason, n in reasons.iter_rows():
        counts[reason] = int(n)
    kept = pl.element().filter(pl.element().struct.field("_noise").is_null())
    comments = tagged.to_frame().select(
        pl.col("comments").list.eval(pl.struct([kept.struct.field(f) for f in fields]))
    )["comments"]
    return frame.with_columns(comments.cast(dtype)), counts
