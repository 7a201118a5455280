"""Prompt-response pairs: tasks that turn records into chat messages, splits and writers."""

from dataprep.pairs.stage import build_pairs

__all__ = ["build_pairs"]
