"""GitHub's generated release notes, as a changelog of them or one release body alone::

    ## v2.3.0
    ## What's Changed
    * Fix crash on empty list by @octo-dev in https://github.com/acme/web/pull/45
    ## New Contributors
    * @octo-dev made their first contribution in https://github.com/acme/web/pull/45
    **Full Changelog**: https://github.com/acme/web/compare/v2.2.1...v2.3.0

Claimed when most versions' bodies are generated notes, or when the file is one body with no
version heading (its version is then the tag at the end of the Full Changelog compare URL).
"""

from __future__ import annotations

from dataprep.connectors.changelog import markdown
from dataprep.connectors.changelog.model import Release


def detect(text: str, name: str) -> bool:
    """Return True when GitHub generated most of the file's release bodies."""
    if name.lower().endswith((".rst", ".txt", ".xml", ".toml", ".json")):
        return False
    found = markdown.detect_versions(text)
    if not found:
        return markdown.is_github_generated(text.splitlines())
    generated = sum(1 for s in found if markdown.is_github_generated(s.body))
    return generated * 2 > len(found)


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version heading, or one for a lone release body."""
    return markdown.parse(text, name, project)
