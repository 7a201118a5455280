"""Keep a Changelog files (https://keepachangelog.com) as release records, one per version::

    # Changelog
    ## [Unreleased]
    ### Added
    - Export to CSV (ACME-12, #45)
    ## [1.2.0] - 2024-01-31
    ### Fixed
    - Crash on empty input,
      continued on an indented line
    [Unreleased]: https://github.com/acme/web/compare/v1.2.0...HEAD
    [1.2.0]: https://github.com/acme/web/compare/v1.1.0...v1.2.0

Entries are the bullets under each ``###`` section heading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from dataprep.connectors.changelog.entries import (
    LINK_REFERENCE as _LINK_REFERENCE,
)
from dataprep.connectors.changelog.entries import credited_entries, link_references
from dataprep.connectors.changelog.model import Release, clean_version, parse_release_date
from dataprep.text.markup import tidy_markdown

_VERSION_HEADING = re.compile(
    r"^##\s+(?:\[(?P<bracketed>unreleased|v?\d[^\]]*)\]|(?P<bare>unreleased|v?\d\S*))(?P<rest>.*)$",
    re.IGNORECASE,
)
_KEPT_HEADING = re.compile(r"^##\s+\[(?:unreleased|v?\d[^\]]*)\](?!\()", re.IGNORECASE)
_OTHER_HEADING = re.compile(r"^#{1,2}(?:\s|$)")  # ends a version's section without starting one
_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})")
_GITHUB_REPO = re.compile(r"^https?://github\.com/([\w.-]+/[\w.-]+)/")


@dataclass
class _Section:
    line: int  # 1-based line of the version heading
    label: str  # the heading's version as written, e.g. "1.2.0" or "Unreleased"
    rest: str  # the heading after the version: " - 2024-01-31"
    body: list[str] = field(default_factory=list)


def detect(text: str, name: str) -> bool:
    """Return True for Keep a Changelog: ``## [x.y.z]`` / ``## [Unreleased]`` headings.

    A bracketed version followed by ``(url)`` is a link (conventional-changelog), not this.
    """
    return any(_KEPT_HEADING.match(line) for line in text.splitlines())


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version heading, entries by ``###`` section."""
    lines = text.splitlines()
    references = link_references(lines)
    repo = _github_repo(references.values())
    return [_release(section, references, repo) for section in _sections(lines)]


def _sections(lines: list[str]) -> list[_Section]:
    """Return the version sections, their bodies without link-reference lines."""
    sections: list[_Section] = []
    current: _Section | None = None
    in_code = False
    for number, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_code = not in_code
        heading = None if in_code else _VERSION_HEADING.match(line)
        if heading:
            label = heading.group("bracketed") or heading.group("bare")
            current = _Section(number, label.strip(), heading.group("rest"))
            sections.append(current)
        elif not in_code and _OTHER_HEADING.match(line):
            current = None
        elif current is not None and (in_code or not _LINK_REFERENCE.match(line)):
            current.body.append(line)
    return sections


def _release(section: _Section, refs: dict[str, str], repo: str | None) -> Release:
    """Return one version section as a ``Release``."""
    version = clean_version(section.label)
    unreleased = version == "Unreleased"
    released_at, placeholder = parse_release_date(section.rest)
    entries, contributors = credited_entries(section.body, repo)
    return Release(
        version=version,
        line=section.line,
        released_at=None if unreleased else released_at,
        unreleased=unreleased or placeholder,
        body=tidy_markdown("\n".join(section.body)),
        entries=entries,
        contributors=contributors,
        url=refs.get(section.label.lower()),
    )


def _github_repo(urls: Iterable[str]) -> str | None:
    """Return ``owner/repo`` when the compare links point at GitHub, so ``#45`` can be joined."""
    for url in urls:
        match = _GITHUB_REPO.match(url)
        if match:
            return match.group(1)
    return None
