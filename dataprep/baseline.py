"""Compare a build's manifest with a baseline build's: the drift gate of ``--baseline``.

Metrics, all read from ``manifest.json`` (nothing is recomputed, so any two builds compare):

- ``pairs.total``, ``pairs.task.<task>``, ``pairs.source.<source>``: pair counts; fail when one
  falls by more than ``max_pairs_decrease`` (or rises by more than ``max_pairs_increase``);
- ``drop_rate.<stage>.<reason>``: the share of a stage's input dropped for that reason; fails
  when it rises by more than ``max_drop_rate_increase``;
- ``duplicate_rate``: the share of the dedup stage's input removed as duplicates;
- ``language_share.<lang>``: the share of kept records in a language;
- ``redactions.<kind>``: redactions of a kind per record the clean stage received; fails when
  it grows or shrinks by more than a factor of ``1 + max_redaction_change``.

Counts smaller than ``min_count`` in both builds are reported but not judged. Each metric
becomes one ``Outcome`` of a ``GateResult`` named ``baseline``, so every report format shows
drift the same way it shows a failed expectation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataprep.config import BaselineConfig
from dataprep.validate import GateResult, Outcome

SUITE = "baseline"


class BaselineError(ValueError):
    """The baseline folder has no readable manifest."""


@dataclass(frozen=True)
class Metric:
    name: str
    kind: str  # "count", "share" or "rate"
    value: float
    base: int  # the count the value rests on, for min_count


def read_manifest(out_dir: Path) -> dict[str, Any]:
    """Return the manifest of the build in ``out_dir``; raise ``BaselineError`` naming the file
    when there is none or it is not a readable dataprep manifest."""
    out_dir = Path(out_dir)
    path = out_dir / "manifest.json"
    if not out_dir.is_dir():
        what = "a file, not a folder" if out_dir.exists() else "no such folder"
        raise BaselineError(f"{out_dir}: {what}; --baseline needs a dataprep build folder")
    if not path.is_file():
        raise BaselineError(
            f"{out_dir}: no manifest.json; --baseline needs a dataprep build folder"
        )
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as err:
        raise BaselineError(
            f"{path}:{err.lineno}:{err.colno}: not valid JSON ({err.msg})"
        ) from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise BaselineError(f"{path}: cannot be read ({err.strerror})") from None
    if not isinstance(data, dict) or not isinstance(data.get("counts"), dict):
        raise BaselineError(f"{path}: no 'counts' object; not a dataprep manifest")
    try:
        metrics(data)
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise BaselineError(
            f"{path}: not a dataprep manifest; its counts or stages do not read ({err!r})"
        ) from None
    return data


def metrics(manifest: dict[str, Any]) -> dict[str, Metric]:
    """Return the drift metrics of one build's manifest, by name."""
    found: dict[str, Metric] = {}

    def add(name: str, kind: str, value: float, base: int) -> None:
        found[name] = Metric(name, kind, float(value), int(base))

    counts = manifest.get("counts", {})
    add("pairs.total", "count", counts.get("pairs", 0), counts.get("pairs", 0))
    for task, n in counts.get("pairs_by_task", {}).items():
        add(f"pairs.task.{task}", "count", n, n)
    for source, n in counts.get("pairs_by_source", {}).items():
        add(f"pairs.source.{source}", "count", n, n)
    stages = {s["stage"]: s for s in manifest.get("stages", [])}
    for stage in stages.values():
        received = stage.get("received", 0)
        for reason, n in stage.get("reasons", {}).items():
            add(f"drop_rate.{stage['stage']}.{reason}", "share", _ratio(n, received), received)
    if "dedup" in stages:
        dedup = stages["dedup"]
        add(
            "duplicate_rate",
            "share",
            _ratio(dedup["rejected"], dedup["received"]),
            dedup["received"],
        )
    kept = counts.get("records", 0)
    for lang, n in counts.get("records_by_lang", {}).items():
        add(f"language_share.{lang}", "share", _ratio(n, kept), kept)
    cleaned = stages.get("clean", {}).get("received", 0)
    for kind, n in manifest.get("redactions", {}).items():
        add(f"redactions.{kind}", "rate", _ratio(n, cleaned), n)
    return found


def compare(current: dict[str, Any], baseline: dict[str, Any], cfg: BaselineConfig) -> GateResult:
    """Return one outcome per metric of either build; failed ones name the metric and the limit."""
    now, before = metrics(current), metrics(baseline)
    outcomes = []
    for name in sorted(now.keys() | before.keys()):
        new, old = now.get(name), before.get(name)
        kind = (new or old).kind
        new_value = new.value if new else 0.0
        old_value = old.value if old else 0.0
        big_enough = max(new.base if new else 0, old.base if old else 0) >= cfg.min_count
        problem = _judge(name, kind, old_value, new_value, cfg) if big_enough else None
        outcomes.append(
            Outcome(
                expectation="metric_within_baseline",
                column=name,
                success=problem is None,
                unexpected_count=None,
                element_count=None,
                examples=[],
                observed=problem or _describe(kind, old_value, new_value),
                name=name,
                severity="error",
            )
        )
    return GateResult(suite=SUITE, rows=len(outcomes), outcomes=outcomes)


def _judge(name: str, kind: str, old: float, new: float, cfg: BaselineConfig) -> str | None:
    change = _describe(kind, old, new)
    if kind == "count":
        if old > 0 and (old - new) / old > cfg.max_pairs_decrease:
            return f"{change}; limit -{cfg.max_pairs_decrease:.0%} (max_pairs_decrease)"
        increase = cfg.max_pairs_increase
        if increase is not None and old > 0 and (new - old) / old > increase:
            return f"{change}; limit +{increase:.0%} (max_pairs_increase)"
        return None
    if kind == "rate":
        # symmetric in ratio: 1.0 fails when the rate more than doubles or falls below half
        limit = cfg.max_redaction_change
        if old > 0 and not 1 / (1 + limit) <= new / old <= 1 + limit:
            return f"{change}; limit x{1 + limit:g} either way (max_redaction_change)"
        if old == 0 and new > 0:
            return f"{change}; none before (max_redaction_change)"
        return None
    if name.startswith("drop_rate."):
        if new - old > cfg.max_drop_rate_increase:
            return f"{change}; limit +{cfg.max_drop_rate_increase:.1%} (max_drop_rate_increase)"
        return None
    limit = (
        cfg.max_duplicate_rate_change if name == "duplicate_rate" else cfg.max_language_share_change
    )
    if abs(new - old) > limit:
        key = (
            "max_duplicate_rate_change" if name == "duplicate_rate" else "max_language_share_change"
        )
        return f"{change}; limit ±{limit:.1%} ({key})"
    return None


def _describe(kind: str, old: float, new: float) -> str:
    if kind == "count":
        pct = f" ({(new - old) / old:+.1%})" if old else ""
        return f"{old:.0f} -> {new:.0f}{pct}"
    if kind == "rate":
        return f"{old:.4f} -> {new:.4f} per record"
    return f"{old:.1%} -> {new:.1%}"


def _ratio(n: float, total: float) -> float:
    return n / total if total else 0.0
