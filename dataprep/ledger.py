"""Stage accounting: what each stage received, kept, rejected and quarantined, by reason."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import polars as pl


class LedgerError(RuntimeError):
    """A stage's counts do not add up: something was lost or invented."""


@dataclass
class StageCount:
    stage: str
    unit: str  # "records" or "pairs"
    received: int
    kept: int
    rejected: int
    quarantined: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "unit": self.unit,
            "received": self.received,
            "kept": self.kept,
            "rejected": self.rejected,
            "quarantined": self.quarantined,
            "reasons": dict(sorted(self.reasons.items())),
        }


@dataclass
class Ledger:
    stages: list[StageCount] = field(default_factory=list)

    def record(
        self,
        stage: str,
        received: int,
        kept: int,
        rejected: pl.DataFrame | None = None,
        quarantine_reasons: list[str] | None = None,
        unit: str = "records",
    ) -> StageCount:
        """Add a stage's counts; raise ``LedgerError`` unless they add up."""
        reasons: Counter[str] = Counter()
        n_rejected = 0
        if rejected is not None and rejected.height:
            n_rejected = rejected.height
            reasons.update(_reason_family(r) for r in rejected["reason"].to_list())
        quarantine_reasons = quarantine_reasons or []
        reasons.update(quarantine_reasons)
        count = StageCount(
            stage, unit, received, kept, n_rejected, len(quarantine_reasons), reasons
        )
        if received != kept + n_rejected + count.quarantined:
            raise LedgerError(
                f"stage {stage!r}: received {received} != kept {kept} + rejected {n_rejected}"
                f" + quarantined {count.quarantined}; rows were lost or duplicated"
            )
        self.stages.append(count)
        return count

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.stages]


def _reason_family(reason: str) -> str:
    """Return the reason without its record-specific tail.

    ``dedup:exact-of:jira:A-1`` -> ``dedup:exact-of``.
    """
    parts = reason.split(":")
    return ":".join(parts[:2])
