"""Deterministic train/validation/test assignment by a seeded hash of the record id."""

from __future__ import annotations

import hashlib


def split_of(key: str, seed: int, validation: float, test: float) -> str:
    """Return ``train``, ``validation`` or ``test`` for ``key``; the same key always lands alike."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    if point < test:
        return "test"
    if point < test + validation:
        return "validation"
    return "train"
