"""Release notes in the styles real projects write, as ``kind=release`` records.

One record per version, with ``entries`` (section, text, refs) and ``contributors`` kept apart.
The style is detected per file, in the order of ``STYLES`` (most specific first), or taken
from the source's ``style`` in the config. A file no style recognises is quarantined with
``parse:unrecognised-changelog``, never guessed into garbage.

The project is the configured one, else the one the notes name ("Rails 6.0.3"), else the
file name without its suffix (``acme-web.md``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from dataprep.connectors.base import InputError, ReadContext, ReadResult, decode_text
from dataprep.connectors.changelog.model import Entry, Release
from dataprep.connectors.refs import collect_links

# style name -> module in this package; detection tries them in this order.
STYLES: dict[str, str] = {
    # reStructuredText and plain-text layouts: recognised by their own markers (RST underlines,
    # ".. change::", "DD Mon YYYY, PHP x", "Git vX Release Notes"), never by Markdown headings.
    "plaintext": "plaintext",
    "rst": "rst",
    "conventional-changelog": "conventional_changelog",
    "keepachangelog": "keepachangelog",
    "github-generated": "github_generated",
    "markdown": "markdown",
}


def style_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{STYLES[name]}")


def detect_style(text: str, name: str) -> str | None:
    """Return the first style whose ``detect`` accepts the file, or None."""
    for style in STYLES:
        if style_module(style).detect(text, name):
            return style
    return None


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return one release record per version in a release-notes file."""
    result = ReadResult()
    try:
        text = decode_text(path.read_bytes())
    except InputError as error:
        result.quarantined(ctx, error.where, error.reason, str(error))
        return result
    style = ctx.style or detect_style(text, path.name)
    if style is None:
        tried = ", ".join(STYLES)
        result.quarantined(
            ctx,
            "",
            "parse:unrecognised-changelog",
            f"no release-notes style recognised (tried {tried}); "
            "set the source's 'style' if the file is one of them",
        )
        return result
    releases = style_module(style).parse(text, path.name, ctx.project)
    if not releases:
        result.quarantined(
            ctx, "", "parse:unrecognised-changelog", f"style {style}: no version found"
        )
        return result
    for release in releases:
        project = ctx.project or release.project or _stem(path)
        record = release_record(release, project, style)
        result.records.append({**record, "origin": f"{ctx.origin}:{release.line}"})
    return result


def release_record(release: Release, project: str, style: str) -> dict[str, Any]:
    """Return one release as a record row of the record schema."""
    # A dated placeholder ("2.2.1 (2018-04-??)") is unreleased but keeps its version in the
    # id, so two unreleased versions in one file stay two records.
    version_key = "unreleased" if release.version == "Unreleased" else release.version
    suffix = f"#{release.id_suffix}" if release.id_suffix else ""
    texts = [release.body, *(e.text for e in release.entries)]
    structured = [ref for e in release.entries for ref in e.refs]
    # The entry parser knows the file's repository; a bare "#45" in the body is the same
    # reference as the entry's "owner/repo#45", not a second one.
    repos = {ref.split("#")[0] for ref in structured if "/" in ref and "#" in ref}
    return {
        "record_id": f"changelog:{project}@{version_key}{suffix}",
        "source": "changelog",
        "kind": "release",
        "project": project,
        "key": release.version,
        "version": release.version,
        "title": f"{project} {release.version}",
        "body": release.body,
        "status": "open" if release.unreleased else "done",
        "released_at": release.released_at,
        "entries": [_entry(e) for e in release.entries],
        "contributors": release.contributors,
        "labels": [f"style:{style}"],
        "links": collect_links(
            texts, structured=structured, repo=next(iter(repos)) if len(repos) == 1 else None
        ),
        "url": release.url,
    }


def _entry(entry: Entry) -> dict[str, Any]:
    return {"section": entry.section, "text": entry.text, "refs": entry.refs}


def _stem(path: Path) -> str:
    stem = path.stem
    for noise in ("CHANGELOG", "CHANGES", "HISTORY", "NEWS", "RELEASE-NOTES", "RELEASES"):
        if stem.upper() == noise:
            return path.resolve().parent.name
    return stem
