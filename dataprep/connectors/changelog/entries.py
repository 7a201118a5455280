"""Entries from Markdown release notes: one per bullet, grouped under the nearest section.

A section is set by a heading, a bold or upper-case label line (``**Bug fixes**``,
``BUG FIXES:``), or a tag at the start of the bullet (``[BUGFIX]``, ``feat:``, ``fix(api):``,
``Fix:``). Indented continuation lines join their bullet; nested bullets stay part of their
parent. An unindented paragraph after a blank line ends the bullet (``**Full Changelog**: ...``).

``credited_entries`` then takes the people out of the entries: GitHub's ``by @user in URL``
and Rails' ``*Author Name*`` attribution lines become contributors, not entry text.
"""

from __future__ import annotations

import re

from dataprep.connectors.changelog.model import Entry
from dataprep.connectors.changelog.sections import normalize_section
from dataprep.connectors.refs import find_entry_refs

_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_LABEL_LINE = re.compile(r"^(?:\*\*|__)?([A-Za-z][A-Za-z '&/-]{1,40}?)(?:\*\*|__)?:?\s*$")
_BULLET = re.compile(r"^( {0,3})(?:[-*+]|\d+[.)])\s+(.*)$")
_TAG = re.compile(r"^\[([A-Za-z ]+)\]\s*:?\s*")
_UPPER_TAG = re.compile(r"^\[[A-Z][A-Z ]+\]\s*:?\s*")  # "[CLEANUP]": a tag even when unknown
_CONVENTIONAL = re.compile(
    r"^\*{0,2}(feat|fix|perf|refactor|docs|chore|build|ci|revert|security)"
    r"(?:\([^)]*\))?!?\*{0,2}:\s*",
    re.IGNORECASE,
)
# "Fix: ...", "Enhance: ...", "Breaking: ..." (misskey and many others); used only when the
# word names a section, so "**scope:** text" keeps its scope.
_WORD_PREFIX = re.compile(r"^([A-Za-z]{3,15})\s*:\s+")
_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})")
_NO_CHANGES = re.compile(r"^no (?:notable |user-facing )?changes\.?$", re.IGNORECASE)


def markdown_entries(lines: list[str], repo: str | None = None) -> list[Entry]:
    """Return the entries of one version's Markdown body, attributions left out."""
    return credited_entries(lines, repo)[0]


def credited_entries(lines: list[str], repo: str | None = None) -> tuple[list[Entry], list[str]]:
    """Return the entries of one version's Markdown body and the people they credit.

    GitHub's ``by @user in URL`` and Rails' ``*Author Name*`` lines name contributors; they
    are cut from the entry text, while the refs are read from the full bullet (the PR URL
    after ``in`` is the entry's ref).
    """
    entries: list[Entry] = []
    people: list[str] = []
    section = "other"
    current: list[str] | None = None
    current_section = section
    base_indent: int | None = None  # indent of the list's top-level bullets
    in_code = False
    after_blank = False

    def close() -> None:
        if current:
            full = " ".join(part.strip() for part in current if part.strip())
            text, credited = _credits(current)
            people.extend(credited)
            if text and not _NO_CHANGES.match(text):
                entries.append(Entry(current_section, text, find_entry_refs(full, repo)))

    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
            if current is None:
                continue
        if in_code:
            if current is not None:
                current.append(line)
            continue
        bullet = _BULLET.match(line)
        heading = _HEADING.match(line)
        label = _LABEL_LINE.match(line.strip()) if not bullet else None
        if heading or (label and _is_label(line)):
            close()
            current, base_indent = None, None
            section = normalize_section((heading or label).group(1))
        elif bullet and (
            current is None or base_indent is None or len(bullet.group(1)) <= base_indent
        ):
            close()
            if base_indent is None:
                base_indent = len(bullet.group(1))
            text, current_section = _tagged(bullet.group(2), section)
            current = [text]
        elif current is not None and line.strip():
            if after_blank and not line.startswith((" ", "\t")):
                close()  # a paragraph after the list, not part of its last bullet
                current, base_indent = None, None
            else:
                current.append(line)
        elif not line.strip() and current is not None and current[-1].strip():
            current.append("")
        after_blank = not line.strip()
    close()
    return entries, unique(people)


def _is_label(line: str) -> bool:
    """A line that names a section: bold, upper-case, or ending with a colon."""
    stripped = line.strip()
    return (
        stripped.startswith(("**", "__"))
        or (stripped.rstrip(":").isupper() and len(stripped) > 2)
        or (stripped.endswith(":") and normalize_section(stripped) != "other")
    )


def _tagged(text: str, section: str) -> tuple[str, str]:
    """Return the bullet text and its section, a leading tag overriding the heading's."""
    for pattern in (_TAG, _CONVENTIONAL, _WORD_PREFIX):
        match = pattern.match(text)
        if match:
            tagged = normalize_section(match.group(1))
            if tagged != "other" or pattern is _CONVENTIONAL:
                return text[match.end() :].strip(), tagged if tagged != "other" else section
    upper = _UPPER_TAG.match(text)
    if upper:
        return text[upper.end() :].strip(), section
    return text.strip(), section


_HANDLE = r"@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?"
# GitHub's generated notes: "* Fix crash by @octo in https://github.com/o/r/pull/45"
_BY_USER_IN = re.compile(
    rf"\s+by\s+(?P<who>{_HANDLE}(?:(?:,\s*|,?\s+and\s+){_HANDLE})*)\s+in\s+(?P<url>\S+)\s*$"
)
_HANDLES = re.compile(_HANDLE)
# Rails: an entry ends with its authors in a paragraph of their own, "*Jane Doe*, *John Roe*".
_NAMES_LINE = re.compile(r"^\s*\*[^*\s][^*]*\*(?:\s*(?:,|&|and)\s*\*[^*\s][^*]*\*)*\s*$")
_NAME = re.compile(r"\*([^*]+)\*")


def _credits(parts: list[str]) -> tuple[str, list[str]]:
    """Return a bullet's text without its attributions, and the people they name."""
    people: list[str] = []
    kept: list[str] = []
    for number, part in enumerate(parts):
        names = _NAMES_LINE.match(part)
        if number > 0 and names and not parts[number - 1].strip():
            people += [n.strip() for n in _NAME.findall(part)]
        else:
            kept.append(part.strip())
    text = " ".join(p for p in kept if p)
    by = _BY_USER_IN.search(text)
    if by:
        people += _HANDLES.findall(by.group("who"))
        text = text[: by.start()]
    return text.strip(), people


def unique(items: list[str]) -> list[str]:
    """Return ``items`` without repeats, in first-seen order."""
    return list(dict.fromkeys(i for i in items if i))


# A Markdown link-reference definition: ``[1.2.0]: https://...`` (Keep a Changelog's footer).
LINK_REFERENCE = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<url>[^\s>]+)>?")


def link_references(lines: list[str]) -> dict[str, str]:
    """Return link-reference targets by lower-cased label (``[unreleased]`` matches)."""
    references: dict[str, str] = {}
    for line in lines:
        match = LINK_REFERENCE.match(line)
        if match:
            references.setdefault(match.group("label").strip().lower(), match.group("url"))
    return references
