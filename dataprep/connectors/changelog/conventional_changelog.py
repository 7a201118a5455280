"""conventional-changelog / standard-version output, read by the Markdown reader::

    ## [1.2.0](https://github.com/acme/web/compare/v1.1.0...v1.2.0) (2024-01-31)
    ### Features
    * **api:** paging for /reports ([3f2a9c1](https://github.com/acme/web/commit/3f2a...)),
      closes [#12](https://github.com/acme/web/issues/12)
    ### Bug Fixes

Most version headings link to a compare URL, and the file has conventional-changelog's section
names (Features, Bug Fixes, Performance Improvements, BREAKING CHANGES) or commit links.
"""

from __future__ import annotations

from dataprep.connectors.changelog import markdown
from dataprep.connectors.changelog.model import Release


def detect(text: str, name: str) -> bool:
    """Return True for conventional-changelog output."""
    return markdown.detect(text, name) and markdown.is_conventional(
        text, markdown.detect_versions(text)
    )


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version heading."""
    return markdown.parse(text, name, project)
