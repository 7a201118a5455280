"""What every release-notes style parser returns, and the helpers they share.

A style module has ``detect(text, name) -> bool`` (does this file look like my style?) and
``parse(text, name, repo) -> list[Release]`` (one per version, in file order). Parsers never
raise for odd input: a version they cannot date gets ``released_at`` None, and a file in which
they find no version gives an empty list (the reader then quarantines it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

SECTIONS = ("added", "changed", "deprecated", "removed", "fixed", "security", "other")


@dataclass
class Entry:
    section: str  # one of SECTIONS
    text: str  # the entry as clean Markdown, continuation lines joined
    refs: list[str] = field(default_factory=list)  # sorted; see refs.find_entry_refs


@dataclass
class Release:
    version: str  # "1.2.0" (leading v dropped), or "Unreleased"
    line: int  # 1-based line where the version starts in the file (lineage)
    released_at: datetime | None  # None: unreleased, undated or a placeholder date
    unreleased: bool  # [Unreleased], "master / unreleased", placeholder dates (XX, ?? ??? ????)
    body: str  # the whole entry as clean Markdown
    entries: list[Entry] = field(default_factory=list)
    contributors: list[str] = field(default_factory=list)  # names/handles, apart from entries
    url: str | None = None  # compare link or release page when the file gives one
    project: str | None = None  # when the notes name it ("Rails 6.0.3", "Django 5.0.1")
    # Distinguishes records that share a version (towncrier/changelog fragments: one file
    # per change, all "unreleased"): the record id becomes project@version#suffix.
    id_suffix: str | None = None


_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}
_ISO = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
# A date someone meant to fill in later: "XX", "??", "...", "TBD", "unreleased".
PLACEHOLDER_DATE = re.compile(
    r"\b(?:XX|xx)\b|\?\?|\.\.\.|…|\bTBD\b|\bTBA\b|\bunreleased\b|\bnot yet released\b",
    re.IGNORECASE,
)


def parse_release_date(text: str | None) -> tuple[datetime | None, bool]:
    """Return (date at UTC midnight or None, is_placeholder) from a heading or date line.

    Understands 2024-01-31, 2024/01/31, January 31, 2024, Jan 31st 2024, 31 Jan 2024.
    A placeholder such as "September XX, 2023" or "?? ??? ????" gives (None, True).
    """
    if not text:
        return None, False
    if PLACEHOLDER_DATE.search(text) and not _ISO.search(text):
        return None, True
    for pattern, order in ((_ISO, "ymd"), (_MONTH_DAY_YEAR, "mdy"), (_DAY_MONTH_YEAR, "dmy")):
        for match in pattern.finditer(text):
            when = _build(match.groups(), order)
            if when is not None:
                return when, False
    return None, False


def _build(groups: tuple[str, ...], order: str) -> datetime | None:
    parts = dict(zip(order, groups, strict=True))
    month = parts["m"]
    month_number = int(month) if month.isdigit() else _MONTHS.get(month.lower().rstrip("."))
    if month_number is None:
        return None
    try:
        return datetime(int(parts["y"]), month_number, int(parts["d"]), tzinfo=UTC)
    except ValueError:
        return None


def clean_version(label: str) -> str:
    """Return a version as records keep it: ``v1.2.0`` -> ``1.2.0``; ``Unreleased`` as is."""
    label = label.strip().strip("[]").strip()
    if re.match(r"^[vV]\d", label):
        label = label[1:]
    if label.lower() in ("unreleased", "master", "main", "head"):
        return "Unreleased"
    return label
