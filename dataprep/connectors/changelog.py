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

The project is the configured one or the file name without its suffix (``acme-web.md``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    decode_text,
    field_datetime,
)
from dataprep.connectors.refs import collect_links
from dataprep.text.markup import tidy_markdown

_VERSION_HEADING = re.compile(
    r"^##\s+(?:\[(?P<bracketed>unreleased|v?\d[^\]]*)\]|(?P<bare>unreleased|v?\d\S*))(?P<rest>.*)$",
    re.IGNORECASE,
)
_OTHER_HEADING = re.compile(r"^#{1,2}(?:\s|$)")  # ends a version's section without starting one
_LINK_REFERENCE = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*<?(?P<url>[^\s>]+)>?")
_FENCE = re.compile(r"^ {0,3}(?:`{3,}|~{3,})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_GITHUB_REPO = re.compile(r"^https?://github\.com/([\w.-]+/[\w.-]+)/")


@dataclass
class _Section:
    line: int  # 1-based line of the version heading
    label: str  # the heading's version as written, e.g. "1.2.0" or "Unreleased"
    rest: str  # the heading after the version: " - 2024-01-31"
    body: list[str] = field(default_factory=list)


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return one release record per version heading of a Keep a Changelog file."""
    result = ReadResult()
    try:
        lines = decode_text(path.read_bytes()).splitlines()
    except InputError as error:
        result.quarantined(ctx, error.where, error.reason, str(error))
        return result
    sections = _sections(lines)
    if not sections:
        result.quarantined(
            ctx,
            "",
            "parse:unrecognised-changelog",
            "no '## [x.y.z]' version headings found",
        )
        return result
    references = _link_references(lines)
    project = ctx.project or path.stem
    repo = _github_repo(references.values())
    for section in sections:
        try:
            record = _release_record(section, project, references, repo)
            result.records.append({**record, "origin": f"{ctx.origin}:{section.line}"})
        except InputError as error:
            result.quarantined(ctx, f":{section.line}", error.reason, str(error))
    return result


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


def _link_references(lines: list[str]) -> dict[str, str]:
    """Return link-reference targets by lower-cased label (``[unreleased]`` matches)."""
    references: dict[str, str] = {}
    for line in lines:
        match = _LINK_REFERENCE.match(line)
        if match:
            references.setdefault(match.group("label").strip().lower(), match.group("url"))
    return references


def _release_record(
    section: _Section, project: str, refs: dict[str, str], repo: str | None
) -> dict[str, Any]:
    """Return one version section as a record row; raise ``InputError`` for a bad date."""
    unreleased = section.label.lower() == "unreleased"
    version = "Unreleased" if unreleased else section.label
    date = _DATE.search(section.rest)
    body = tidy_markdown("\n".join(section.body))
    return {
        "record_id": f"changelog:{project}@{'unreleased' if unreleased else version}",
        "source": "changelog",
        "kind": "release",
        "project": project,
        "key": version,
        "version": version,
        "title": f"{project} {version}",
        "body": body,
        "status": "open" if unreleased else "done",
        "released_at": field_datetime(date.group(0), "release date") if date else None,
        "links": collect_links([body], repo=repo),
        "is_duplicate": False,
        "duplicate_of": None,
        "url": refs.get(section.label.lower()),
    }


def _github_repo(urls: Iterable[str]) -> str | None:
    """Return ``owner/repo`` when the compare links point at GitHub, so ``#45`` can be joined."""
    for url in urls:
        match = _GITHUB_REPO.match(url)
        if match:
            return match.group(1)
    return None
