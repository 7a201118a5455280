"""Python API helpers that work on an existing build folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from dataprep.config import Config, parse_config
from dataprep.pairs.writers import read_chat_jsonl
from dataprep.schema import PAIR_SCHEMA
from dataprep.validate import RECORDED_SUITES, GateResult, default_suite_paths, gate


def read_output(out_dir: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (records, pairs) of the build in ``out_dir``."""
    out = Path(out_dir)
    records_path = out / "records.parquet"
    if not records_path.is_file():
        raise FileNotFoundError(f"{out}: no records.parquet; is this a dataprep output folder?")
    records = pl.read_parquet(records_path)
    split_files = sorted(out.glob("*.jsonl"))
    frames = [read_chat_jsonl(p) for p in split_files if p.name != "quarantine.jsonl"]
    pairs = pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)
    return records, pairs


def build_config(out_dir: str | Path) -> Config:
    """Return the config the build in ``out_dir`` was made with (from its manifest)."""
    manifest = _manifest(Path(out_dir))
    if manifest is None:
        raise FileNotFoundError(f"{out_dir}: no manifest.json; is this a dataprep output folder?")
    return _config_of(manifest)


def _manifest(out: Path) -> dict | None:
    path = out / "manifest.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _config_of(manifest: dict) -> Config:
    return parse_config(manifest["config"], base_dir=Path.cwd())


def validate_output(
    out_dir: str | Path,
    suites: list[Path] | None = None,
    config: Config | None = None,
    docs: bool = True,
) -> list[GateResult]:
    """Return the gate results of ``suites`` on the build in ``out_dir``, with the suite
    parameters of the config the build was made with. By default the suites are those the build
    ran: the shipped ones, and the copies of the user's own that the build kept in
    ``validation/suites``, so this works from any folder.
    Data Docs go to ``out_dir/validation/docs`` unless ``docs`` is false."""
    out = Path(out_dir)
    records, pairs = read_output(out)
    manifest = _manifest(out)
    cfg = config or (_config_of(manifest) if manifest is not None else build_config(out))
    # The tasks the build found candidates for (of those ``cfg`` configures), so the gate need
    # not run every task on the records again; an older manifest without them makes it do so.
    expected = (manifest or {}).get("expected_tasks")
    if expected is not None:
        expected = [t for t in expected if t in cfg.pairs.task_names]
    docs_dir = out / "validation" / "docs" if docs else None
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)
    if suites is None:
        kept = out / RECORDED_SUITES
        suites = default_suite_paths(kept if kept.is_dir() else None)
    return gate(records, pairs, cfg, suites, docs_dir=docs_dir, expected_tasks=expected)
