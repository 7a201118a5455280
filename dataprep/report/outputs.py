"""Write a build's outputs to a staging folder, then rename it into place.

Same config and inputs give byte-identical files: rows are sorted, JSON keys are ordered, and
nothing time- or machine-dependent (run times, absolute paths) is written.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dataprep.pairs.writers import write_dataset_info, write_formats, write_parquet
from dataprep.report.card import card_examples, dataset_card
from dataprep.report.folder import fault_point
from dataprep.text.redact import redact_text
from dataprep.validate import RECORDED_SUITES, configured_suite_paths, packaged_suites_dir

if TYPE_CHECKING:
    from dataprep.config import Config
    from dataprep.pipeline import BuildResult

LIBRARIES = ("dataprep", "polars", "pyarrow", "great-expectations", "datasketch", "langdetect")
DATA_FILES = (
    "records.parquet",
    "rejected.parquet",
    "quarantine.jsonl",
    "clusters.parquet",
    "boilerplate.parquet",
)


def write_outputs(
    staging: Path, result: BuildResult, cfg: Config, files: list[dict], stats: dict[str, Any]
) -> None:
    """Write every output of ``result`` into the folder ``staging``."""
    splits = ("train", "validation") + (("test",) if cfg.pairs.test_fraction > 0 else ())
    written = write_formats(result.pairs, staging, splits, output_formats(cfg))
    written += write_dataset_info(staging, output_formats(cfg), splits)
    fault_point("outputs:formats")
    # every Parquet file with the string and list types `datasets` gives JSON (see write_parquet)
    write_parquet(result.records.sort("record_id"), staging / "records.parquet")
    rejected = result.rejected.sort("stage", "record_id", "reason")
    write_parquet(rejected, staging / "rejected.parquet")
    _write_quarantine(result.quarantine, staging / "quarantine.jsonl")
    clusters = result.clusters if result.clusters is not None else pl.DataFrame()
    write_parquet(clusters, staging / "clusters.parquet")
    boilerplate = result.boilerplate if result.boilerplate is not None else pl.DataFrame()
    write_parquet(boilerplate, staging / "boilerplate.parquet")
    written += list(DATA_FILES)
    if result.gates:
        (staging / "validation").mkdir(exist_ok=True)
        for res in result.gates:
            _write_json(staging / "validation" / f"{res.suite}.json", res.to_dict())
        written += _keep_user_suites(staging, cfg)
    result.manifest = manifest(
        result, cfg, files, stats, {n: _sha256(staging / n) for n in written}
    )
    _write_json(staging / "manifest.json", result.manifest)
    fault_point("outputs:manifest")
    card = dataset_card(result.manifest, card_examples(result.pairs))
    (staging / "README.md").write_text(card, encoding="utf-8", newline="\n")


def _keep_user_suites(staging: Path, cfg: Config) -> list[str]:
    """Copy the user's own suites the gates ran into ``validation/suites`` (the shipped ones
    come with the package); return their paths in the output folder."""
    shipped = packaged_suites_dir().resolve()
    own = [p for p in configured_suite_paths(cfg) if p.resolve().parent != shipped]
    kept = []
    for path in own:
        target = staging / RECORDED_SUITES / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        kept.append(f"{RECORDED_SUITES}/{path.name}")
    return kept


def output_formats(cfg: Config) -> list[str]:
    """The formats written: chat always (the build's own format, which ``dataprep validate``
    and ``read_output`` read back), then the others configured."""
    return ["chat", *(f for f in cfg.pairs.formats if f != "chat")]


def manifest(
    result: BuildResult,
    cfg: Config,
    files: list[dict],
    stats: dict[str, Any],
    outputs: dict[str, str],
) -> dict[str, Any]:
    """Return the manifest: config hash, inputs, library versions, stage counts, output hashes."""
    pairs = result.pairs
    return {
        "config_sha256": cfg.fingerprint(),
        "config": cfg.to_dict(),
        "inputs": files,
        "libraries": {name: _version(name) for name in LIBRARIES},
        "stages": result.ledger.to_list(),
        "counts": {
            "records": result.records.height,
            "rejected": result.rejected.height,
            "quarantined": len(result.quarantine),
            "pairs": pairs.height,
            "pairs_by_task": _counts(pairs, "task"),
            "pairs_by_split": _counts(pairs, "split"),
            "pairs_by_task_split": _nested_counts(pairs, "task", "split"),
            "pairs_by_lang": _counts(pairs, "lang"),
            "pairs_by_source": _counts(
                pairs.select(pl.col("sources").alias("source")).explode("source"), "source"
            ),
            "records_by_source": _counts(result.records, "source"),
            "records_by_lang": _counts(result.records, "lang"),
        },
        "redactions": stats.get("redactions", {}),
        # comments removed as noise, and the language of every record the clean stage measured
        # (kept or not), so a reader sees what the language filter saw
        "clean": stats.get("clean", {}),
        "unmapped_values": stats.get("unmapped", {}),
        "dedup": {
            "clusters": stats.get("clusters", 0),
            "near_pairs": stats.get("near_pairs", 0),
            "boilerplate_entries": stats.get("boilerplate_entries", 0),
            "decontaminated": stats.get("decontaminated", {}),
        },
        # how pairs were split (mode, groups, per task the pairs per split and the shares) and
        # how their tokens were counted
        "splits": stats.get("splits", {}),
        "tokens": stats.get("tokens"),
        # the configured tasks that had candidates: the gate's expected_tasks, kept so that
        # `dataprep validate` need not run every task again
        "expected_tasks": stats.get("expected_tasks"),
        "links": {"resolved": stats.get("links", 0), "mirrors": stats.get("mirrors", 0)},
        "gates": {
            g.suite: {"success": g.success, "failed": len(g.failures), "warnings": len(g.warnings)}
            for g in result.gates
        },
        "outputs": outputs,
    }


def _counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    if frame.is_empty():
        return {}
    grouped = frame.group_by(column).len().sort(column)
    return {str(k): int(v) for k, v in grouped.iter_rows()}


def _nested_counts(frame: pl.DataFrame, outer: str, inner: str) -> dict[str, dict[str, int]]:
    nested: dict[str, dict[str, int]] = {}
    for a, b, n in frame.group_by(outer, inner).len().sort(outer, inner).iter_rows():
        nested.setdefault(str(a), {})[str(b)] = int(n)
    return nested


def _write_quarantine(items: list[dict[str, str]], path: Path) -> None:
    ordered = sorted(items, key=lambda q: (q["source"], q["origin"]))
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for item in ordered:
            clean = {k: redact_text(v) for k, v in item.items()}
            fh.write(json.dumps(clean, ensure_ascii=False, sort_keys=True) + "\n")


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
