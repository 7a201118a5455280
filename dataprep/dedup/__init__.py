"""Exact and near-duplicate removal (MinHash LSH from datasketch)."""

from dataprep.dedup.stage import dedup

__all__ = ["dedup"]
