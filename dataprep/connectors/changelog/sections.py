"""Section names as release notes write them -> the seven canonical sections.

Keep a Changelog's six sections plus ``other``. Conventional-commit types, bracket tags
(``[BUGFIX]``) and upper-case headings (``BUG FIXES:``) map through the same table.
"""

from __future__ import annotations

import re

_TABLE = {
    "added": [
        "added",
        "add",
        "new",
        "new features",
        "features",
        "feature",
        "feat",
        "new feature",
        "highlights",
        "what's new",
        "additions",
        "new resources",
        "new resource",
        "enh",
        "usecase",
        "ui, workflows & features",
    ],
    "changed": [
        "changed",
        "changes",
        "change",
        "improvements",
        "improvement",
        "enhancements",
        "enhancement",
        "perf",
        "performance",
        "refactor",
        "behavior changes",
        "behaviour changes",
        "breaking changes",
        "breaking change",
        "backwards incompatible changes",
        "backward incompatible changes",
        "updated",
        "updates",
        "minor changes",
        "major changes",
        "what's changed",
        "api changes",
        "enhance",
        "enhanced",
        "improve",
        "improved",
        "performance improvements",
        "breaking",
        "update",
        "backward compatibility notes",
        "performance, internal implementation, development support etc",
    ],
    "deprecated": ["deprecated", "deprecations", "deprecation", "pending removal", "dep"],
    "removed": ["removed", "removals", "removal", "expired deprecations", "remove"],
    "fixed": [
        "fixed",
        "fixes",
        "fix",
        "bug fixes",
        "bugfixes",
        "bugfix",
        "bugs fixed",
        "bug",
        "bugs",
        "regression fixes",
        "bug fix",
        "fixed regressions",
    ],
    "security": ["security", "security fixes", "security fix", "vulnerabilities", "vulnerability"],
}
_LOOKUP = {name: section for section, names in _TABLE.items() for name in names}


def normalize_section(name: str | None) -> str:
    """Return the canonical section for a heading, tag or commit type; ``other`` if unknown."""
    if not name:
        return "other"
    key = re.sub(r"[\s_]+", " ", name.strip().strip("[]:*#`").strip().lower())
    key = re.sub(r"^\W+|\W+$", "", key) if key not in _LOOKUP else key
    return _LOOKUP.get(key, "other")
