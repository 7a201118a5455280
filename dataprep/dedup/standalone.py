"""``dataprep dedup``: the build's near-duplicate removal on any JSONL or Parquet file.

The first row of each cluster, in input order, survives; the others are listed in
``<OUT>.removed.<ext>`` with the id of the row they duplicate, the reason and the exact Jaccard
similarity to it. Every input row is either in OUT or in the removed file.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import numpy as np
import polars as pl

from dataprep.config import DedupConfig
from dataprep.dedup.lsh import near_duplicates, pair_similarity

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


class DedupInputError(ValueError):
    """The input or output cannot be used; the message says why and what to do."""


def read_table(source: str) -> pl.DataFrame:
    """Read ``source``: a .jsonl/.ndjson/.parquet path, or ``-`` for JSONL on standard input."""
    try:
        if source == "-":
            return pl.read_ndjson(io.BytesIO(sys.stdin.buffer.read()))
        path = Path(source)
        kind = FORMATS.get(path.suffix.lower())
        if kind is None:
            raise DedupInputError(f"{source}: use a .jsonl, .ndjson or .parquet file (or -)")
        if not path.is_file():
            raise DedupInputError(f"{source}: no such file")
        return pl.read_parquet(path) if kind == "parquet" else pl.read_ndjson(path)
    except pl.exceptions.PolarsError as err:
        raise DedupInputError(f"{source}: cannot be read ({err})") from None


def dedup_table(
    table: pl.DataFrame, text_column: str, id_column: str | None, cfg: DedupConfig
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (kept rows, removed rows with id, duplicate_of, reason, similarity)."""
    for column in (text_column, id_column):
        if column is not None and column not in table.columns:
            raise DedupInputError(
                f"no column {column!r}; the input has {', '.join(table.columns) or 'no columns'}"
            )
    texts = table[text_column].cast(pl.String)
    ids = (
        table[id_column].cast(pl.String)
        if id_column
        else pl.Series(np.arange(table.height)).cast(pl.String)
    )
    _, labels = near_duplicates(texts, cfg.threshold, cfg.num_perm, cfg.seed, cfg.shingle_size)
    first = (
        pl.DataFrame({"label": labels})
        .with_row_index("row")
        .group_by("label")
        .agg(pl.col("row").min().alias("first"))
    )
    rows = pl.DataFrame({"label": labels}).with_row_index("row").join(first, on="label").sort("row")
    removed_rows = rows.filter(pl.col("row") != pl.col("first"))
    a = removed_rows["row"].to_numpy().astype(np.int64)
    b = removed_rows["first"].to_numpy().astype(np.int64)
    similarity, identical = pair_similarity(texts, a, b, cfg.shingle_size)
    removed = pl.DataFrame(
        {
            "id": ids.gather(a),
            "duplicate_of": ids.gather(b),
            "reason": np.where(identical, "dedup:exact-of", "dedup:near-duplicate-of").tolist(),
            "similarity": np.nan_to_num(similarity, nan=1.0).round(4),
        },
        schema={
            "id": pl.String,
            "duplicate_of": pl.String,
            "reason": pl.String,
            "similarity": pl.Float64,
        },
    )
    keep = np.ones(table.height, dtype=bool)
    keep[a] = False
    return table.filter(pl.Series(keep)), removed


def write_table(frame: pl.DataFrame, path: Path) -> None:
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DedupInputError(f"--out {path}: use a .jsonl, .ndjson or .parquet file name")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)


def removed_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}.removed{out.suffix}")
