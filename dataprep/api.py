"""Python API helpers that work on an existing build folder."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dataprep.pairs.writers import read_chat_jsonl
from dataprep.schema import PAIR_SCHEMA
from dataprep.validate import GateResult, gate


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


def validate_output(out_dir: str | Path, expectations_dir: str | Path) -> list[GateResult]:
    """Return the gate results of the suites in ``expectations_dir`` on the build in ``out_dir``."""
    records, pairs = read_output(out_dir)
    return gate(records, pairs, Path(expectations_dir))
