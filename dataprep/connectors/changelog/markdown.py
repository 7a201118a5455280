"""Markdown release notes under plain version headings, as release records, one per version::

    # v1.2.0
    ## 1.2.0 (2024-01-31)                      ## 2.3.0 / 2018-06-05
    ## 1.2.0 (January 31, 2024)                ## master / unreleased
    ## Rails 6.0.3 (May 06, 2020) ##           ## [1.2.0](compare-url) (2024-01-31)

A heading is a version heading when its text is a version (optionally after up to three
capitalised words naming the project, "Rails 6.0.3") followed by nothing, a date, a
placeholder date, or a parenthesis. Every other heading belongs to the version above it, so
``### Features`` and even ``## Migration guide`` stay in the body. Entries are the bullets,
sectioned by headings, upper-case labels (``BUG FIXES:``) and tags (``[BUGFIX]``, ``Fix:``).

Three styles share this reader and differ only in what ``detect`` looks for:

- ``conventional-changelog``: conventional-changelog / standard-version output, linked version
  headings with ``### Features`` / ``### Bug Fixes`` and ``([sha](url)), closes [#12](url)``.
- ``github-generated``: GitHub's generated release notes ("## What's Changed", "* title by
  @user in URL", "## New Contributors", "**Full Changelog**: compare-URL"), as most versions
  of a file, or one release body alone (its version then comes from the compare URL).
- ``markdown``: any other file with version headings.

Contributors ("by @user", "## New Contributors", Rails' ``*Author Name*`` lines) are kept out
of the entries; the New Contributors list is kept out of the body too. Entries above the first
version heading of a Rails component changelog (which points at "N-N-stable for previous
changes") are its unreleased changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dataprep.connectors.changelog.entries import (
    LINK_REFERENCE as _LINK_REFERENCE,
)
from dataprep.connectors.changelog.entries import credited_entries, link_references, unique
from dataprep.connectors.changelog.model import (
    PLACEHOLDER_DATE,
    Entry,
    Release,
    clean_version,
    parse_release_date,
)
from dataprep.text.markup import tidy_markdown

_ATX = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_VERSION = r"v?\d+(?:\.\d+)+(?:[-+.]?[0-9A-Za-z][0-9A-Za-z.+-]*)?"
_HEADING_VERSION = re.compile(
    rf"^(?:(?P<prefix>[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){{0,2}})\s+)?"
    rf"(?:\[(?P<linked>{_VERSION})\]\((?P<url>[^)\s]+)\)|\[(?P<bracketed>{_VERSION})\]"
    rf"|(?P<bare>{_VERSION}))(?P<rest>(?:\s.*)?)$"
)
_UNRELEASED_HEADING = re.compile(
    r"^\[?(?P<label>unreleased|master|main|head|next)\]?(?P<rest>(?:\s.*)?)$", re.IGNORECASE
)
_REST_SEPARATOR = re.compile(r"^\s*(?:[-–—/:]\s*)?")
_GENERIC_PREFIXES = {"version", "release", "v"}
_ANCHOR = re.compile(r'^\s*<a\s+name="[^"]*">\s*</a>\s*$', re.IGNORECASE)
_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})")
# The file's own repository shows in its compare, commit and release links; issue and pull
# links may point anywhere (misskey credits cherry-picks from a fork), so they do not count.
_GITHUB_REPO = re.compile(r"https?://github\.com/([\w.-]+/[\w.-]+?)/(?:compare|commit|releases)/")
_FULL_CHANGELOG = re.compile(
    r"^\s*\*\*Full Changelog\*\*:\s*(?P<url>https?://\S+/compare/\S+?\.\.\.(?P<tag>[^\s/]+))\s*$"
)
_WHATS_CHANGED = re.compile(r"^ {0,3}#{1,6}\s+What's Changed\s*$", re.IGNORECASE)
_BY_USER_IN = re.compile(r"^\s*[-*]\s+.+\sby\s+@[\w-]+(?:\[bot\])?.*\sin\s+https?://\S+\s*$")
_NEW_CONTRIBUTORS = re.compile(r"^ {0,3}#{1,6}\s+New Contributors\s*$", re.IGNORECASE)
_FIRST_CONTRIBUTION = re.compile(r"^\s*[-*]\s+(@[\w-]+(?:\[bot\])?) made their first contribution")
_CONVENTIONAL_SECTION = re.compile(
    r"^ {0,3}#{2,4}\s+(?:⚠\s*)?(?:Features|Bug Fixes|Performance Improvements|BREAKING CHANGES"
    r"|Reverts)\s*$"
)
_COMMIT_LINK = re.compile(r"\(\[[0-9a-f]{7,40}\]\([^)\s]+/commits?/[0-9a-f]{7,40}\)\)")
_RAILS_POINTER = re.compile(r"^Please check \[\d+-\d+-stable\]\(\S+\) for previous changes\.?\s*$")
_RAILS_BULLET = re.compile(r"^\*\s{3}\S")


@dataclass
class _Section:
    line: int  # 1-based line of the version heading (or of the first unreleased entry)
    version: str  # as written, "v1.2.0", "Unreleased"
    rest: str  # the heading after the version: "(2024-01-31)"
    url: str | None = None
    project: str | None = None
    body: list[str] = field(default_factory=list)


def version_heading(line: str) -> _Section | None:
    """Return the version a heading line names, or None for any other line."""
    atx = _ATX.match(line)
    if not atx:
        return None
    text = atx.group(2).strip()
    unreleased = _UNRELEASED_HEADING.match(text)
    if unreleased:
        rest = unreleased.group("rest")
        if unreleased.group("label").lower() != "unreleased" and not re.search(
            r"\bunreleased\b", rest, re.IGNORECASE
        ):
            return None  # "## Main features" is not a version
        return _Section(0, "Unreleased", rest) if _rest_is_date_like(rest, True) else None
    match = _HEADING_VERSION.match(text)
    if not match or not _rest_is_date_like(match.group("rest"), False):
        return None
    prefix = match.group("prefix")
    project = prefix if prefix and prefix.lower() not in _GENERIC_PREFIXES else None
    version = match.group("linked") or match.group("bracketed") or match.group("bare")
    return _Section(0, version, match.group("rest"), match.group("url"), project)


def _rest_is_date_like(rest: str, unreleased: bool) -> bool:
    """True when what follows the version is nothing, a date, a placeholder or a parenthesis."""
    rest = _REST_SEPARATOR.sub("", rest).strip()
    if not rest or rest.startswith("(") or (unreleased and PLACEHOLDER_DATE.search(rest)):
        return True
    when, placeholder = parse_release_date(rest)
    return when is not None or placeholder or rest.upper() in ("[YANKED]", "YANKED")


def sections(lines: list[str]) -> list[_Section]:
    """Return the version sections in file order; bodies keep every non-version line."""
    found: list[_Section] = []
    preamble: list[tuple[int, str]] = []
    current: _Section | None = None
    in_code = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else version_heading(line)
        if heading:
            heading.line = number
            current = heading
            found.append(current)
        elif current is not None:
            current.body.append(line)
        else:
            preamble.append((number, line))
    pointer = any(_RAILS_POINTER.match(line) for line in lines)
    unreleased = _rails_unreleased(preamble) if pointer else None
    return [unreleased, *found] if unreleased else found


def _rails_unreleased(preamble: list[tuple[int, str]]) -> _Section | None:
    """Return the entries above the first version of a Rails component changelog, if any.

    Rails keeps its unreleased changes at the top of ``CHANGELOG.md`` on main, with no heading,
    and ends the file with "Please check [7-0-stable](...) for previous changes" (right after a
    release branch is cut, that pointer is all the file holds besides the new entries).
    """
    starts = [n for n, line in preamble if _RAILS_BULLET.match(line)]
    if not starts:
        return None
    body = [line for n, line in preamble if n >= starts[0] and not _RAILS_POINTER.match(line)]
    return _Section(starts[0], "Unreleased", "", body=body, project="Rails")


def detect_versions(text: str) -> list[_Section]:
    """Return the sections the file would be read as (empty: not a Markdown changelog)."""
    return sections(text.splitlines())


def is_github_generated(lines: list[str]) -> bool:
    """True for a body GitHub generated: "What's Changed" / "by @user in URL" + Full Changelog."""
    changed = any(_WHATS_CHANGED.match(line) for line in lines)
    by_user = any(_BY_USER_IN.match(line) for line in lines)
    full = any(_FULL_CHANGELOG.match(line) for line in lines)
    return (changed and (by_user or full)) or (by_user and full)


def is_conventional(text: str, found: list[_Section]) -> bool:
    """True for conventional-changelog output: linked versions and its section names or commits."""
    linked = sum(1 for s in found if s.url)
    if not found or linked * 2 < len(found):
        return False
    lines = text.splitlines()
    return any(_CONVENTIONAL_SECTION.match(line) for line in lines) or any(
        _COMMIT_LINK.search(line) for line in lines
    )


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version heading (or one for a lone GitHub release body)."""
    lines = text.splitlines()
    found = sections(lines)
    if not found:
        lone = _lone_github_release(lines)
        found = [lone] if lone else []
    references = link_references(lines)
    repo = _github_repo(text)
    return [_release(section, references, repo) for section in found]


def _lone_github_release(lines: list[str]) -> _Section | None:
    """Return a file that is one GitHub release body, its version the compare URL's tag."""
    if not is_github_generated(lines):
        return None
    for line in lines:
        full = _FULL_CHANGELOG.match(line)
        if full:
            return _Section(1, full.group("tag"), "", body=lines)
    return None


def _release(section: _Section, references: dict[str, str], repo: str | None) -> Release:
    """Return one version section as a ``Release``."""
    version = clean_version(section.version)
    released_at, placeholder = parse_release_date(section.rest)
    body, people = _without_new_contributors(
        [line for line in section.body if not (_LINK_REFERENCE.match(line) or _ANCHOR.match(line))]
    )
    entries, credited = release_body_lines(body, repo)
    unreleased = version == "Unreleased" or placeholder
    url = section.url or references.get(section.version.lower()) or _full_changelog_url(body)
    return Release(
        version=version,
        line=section.line,
        released_at=None if unreleased else released_at,
        unreleased=unreleased,
        body=tidy_markdown("\n".join(body)),
        entries=entries,
        contributors=unique(credited + people),
        url=url,
        project=section.project,
    )


def release_body_entries(
    body: str | None, repo: str | None = None
) -> tuple[list[Entry], list[str]]:
    """Return the entries and contributors of one Markdown release body (a GitHub release).

    GitHub's generated notes give one entry per "* title by @user in URL" (text: the title;
    refs: the pull request), and contributors from the "by" handles and "## New Contributors".
    """
    if not body:
        return [], []
    lines, people = _without_new_contributors(body.replace("\r\n", "\n").split("\n"))
    entries, credited = release_body_lines(lines, repo)
    return entries, unique(credited + people)


def release_body_lines(lines: list[str], repo: str | None) -> tuple[list[Entry], list[str]]:
    """Return the entries of a version body and the people credited in them."""
    return credited_entries(lines, repo)


def _without_new_contributors(lines: list[str]) -> tuple[list[str], list[str]]:
    """Return the lines without a "New Contributors" section, and the handles it lists."""
    kept: list[str] = []
    people: list[str] = []
    inside = False
    for line in lines:
        if _NEW_CONTRIBUTORS.match(line):
            inside = True
            continue
        if inside:
            first = _FIRST_CONTRIBUTION.match(line)
            if first:
                people.append(first.group(1))
                continue
            if not line.strip():
                continue
            inside = False
        kept.append(line)
    return kept, people


def _full_changelog_url(lines: list[str]) -> str | None:
    for line in lines:
        match = _FULL_CHANGELOG.match(line)
        if match:
            return match.group("url")
    return None


def _github_repo(text: str) -> str | None:
    """Return the ``owner/repo`` most compare/commit links point at, so ``#45`` is joined."""
    counts: dict[str, int] = {}
    for match in _GITHUB_REPO.finditer(text):
        repo = match.group(1)
        counts[repo.lower()] = counts.get(repo.lower(), 0) + 1
    if not counts:
        return None
    best = max(counts, key=lambda r: counts[r])
    # Keep the spelling used first: "AttoJS/vue-request" and "attojs/vue-request" are one repo.
    return next(m.group(1) for m in _GITHUB_REPO.finditer(text) if m.group(1).lower() == best)


def detect(text: str, name: str) -> bool:
    """Return True for Markdown with version headings (any style not claimed before it)."""
    if name.lower().endswith((".rst", ".txt", ".xml", ".toml", ".json")):
        return False
    return bool(detect_versions(text))
