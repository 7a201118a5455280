"""Prompt-response pairs: tasks that turn records into chat messages, splits and writers."""

from __future__ import annotations

from typing import Any

__all__ = ["build_pairs"]


def __getattr__(name: str) -> Any:
    # The stage pulls in every task, the splitter and scipy; importing a light module of this
    # package (tokens, user_tasks) must not pay for them, so checking a config stays instant.
    if name == "build_pairs":
        from dataprep.pairs.stage import build_pairs

        return build_pairs
    raise AttributeError(f"module 'dataprep.pairs' has no attribute {name!r}")
