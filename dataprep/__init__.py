"""dataprep: tracker issues and release notes -> clean, deduplicated, validated training pairs.

The notebook API::

    import dataprep
    result = dataprep.build("dataprep.yaml")      # runs every stage, writes out/
    result.pairs                                  # a Polars frame of pairs
    records, pairs = dataprep.read_output("out")
    dataprep.validate_output("out")                # the gates again, on an existing build
    dataprep.record_minhashes("out")               # record_id -> datasketch.LeanMinHash
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Names resolve on first use, so `import dataprep` (and `dataprep --help`) does not pay for
# importing every stage and its libraries up front.
_EXPORTS = {
    "build": "dataprep.pipeline",
    "read_sources": "dataprep.pipeline",
    "BuildFailed": "dataprep.pipeline",
    "BuildResult": "dataprep.pipeline",
    "Config": "dataprep.config",
    "ConfigError": "dataprep.config",
    "load_config": "dataprep.config",
    "clean": "dataprep.text.clean",
    "dedup": "dataprep.dedup",
    "build_pairs": "dataprep.pairs",
    "read_output": "dataprep.api",
    "validate_output": "dataprep.api",
    "minhashes": "dataprep.dedup.exchange",
    "record_minhashes": "dataprep.dedup.exchange",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'dataprep' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
