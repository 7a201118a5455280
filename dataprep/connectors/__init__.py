"""Connectors: one module per source system, each a ``read_file(path, ctx) -> ReadResult``.

``CONNECTORS`` maps a source's ``type`` in the build config to its reader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from dataprep.connectors import (
    azure_devops,
    changelog,
    generic,
    github,
    github_release,
    gitlab,
    jira,
    linear,
)
from dataprep.connectors.base import ReadContext, ReadResult

__all__ = ["CONNECTORS", "ReadContext", "ReadResult"]

CONNECTORS: dict[str, Callable[[Path, ReadContext], ReadResult]] = {
    "jira": jira.read_file,
    "github": github.read_file,
    "gitlab": gitlab.read_file,
    "linear": linear.read_file,
    "azure_devops": azure_devops.read_file,
    "github_release": github_release.read_file,
    "changelog": changelog.read_file,
    "generic": generic.read_file,
}
