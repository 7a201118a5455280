"""The shipped index (``dedup.index``): what earlier builds shipped, so a later one ships no copy.

A folder with ``meta.json`` (the signature parameters; a build with other parameters is refused,
since its signatures would not compare) and one ``part-NNNNN.parquet`` per published build:
record_id, text_key (hash of the normalised text), signature (MinHash, datasketch-compatible)
and shingles (the sorted 64-bit shingle hashes, for exact verification). No text is stored.

A record is shipped before when its id was shipped, when its normalised text was, or when LSH
finds a shipped record whose exact shingle Jaccard reaches the threshold.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import polars as pl

from dataprep.config import ConfigError, DedupConfig
from dataprep.dedup.lsh import candidate_pairs, lsh_params, verify
from dataprep.dedup.minhash import ShingleSets, shingle_sets, sketch

META = "meta.json"
FORMAT = 1
MATCH_SCHEMA = {"_row": pl.UInt32, "shipped": pl.String, "similarity": pl.Float64, "why": pl.String}


class ShippedIndex:
    def __init__(self, path: Path, cfg: DedupConfig) -> None:
        self.path = path
        self.cfg = cfg
        self.meta = {
            "format": FORMAT,
            "num_perm": cfg.num_perm,
            "seed": cfg.seed,
            "shingle_size": cfg.shingle_size,
            "scheme": "affine32",
            "shingle_hash": "xxh64 of each word, combined (dataprep.dedup.minhash)",
        }
        meta_path = path / META
        if meta_path.is_file():
            stored = json.loads(meta_path.read_text())
            different = {k: (stored.get(k), v) for k, v in self.meta.items() if stored.get(k) != v}
            if different:
                listed = ", ".join(f"{k} {a!r} (config: {b!r})" for k, (a, b) in different.items())
                raise ConfigError(
                    f"dedup.index: {path} was built with {listed}; use the same dedup settings "
                    "or a new index folder"
                )

    def parts(self) -> list[Path]:
        return sorted(self.path.glob("part-*.parquet"))

    def load(self) -> pl.DataFrame:
        """Return record_id, text_key and signature of everything shipped (no shingles)."""
        parts = self.parts()
        if not parts:
            return pl.DataFrame(
                schema={
                    "record_id": pl.String,
                    "text_key": pl.UInt64,
                    "signature": pl.List(pl.UInt32),
                }
            )
        return pl.read_parquet(parts, columns=["record_id", "text_key", "signature"])

    def match(self, frame: pl.DataFrame, texts: pl.Series) -> pl.DataFrame:
        """Return the rows of ``frame`` that duplicate a shipped record: _row, shipped id,
        similarity and why (same id, same text, near-duplicate)."""
        shipped = self.load()
        if shipped.height == 0 or frame.height == 0:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        rows = frame.select(pl.col("record_id")).with_row_index("_row")
        same_id = rows.join(shipped.select("record_id"), on="record_id").select(
            "_row",
            pl.col("record_id").alias("shipped"),
            pl.lit(1.0).alias("similarity"),
            pl.lit("the same record").alias("why"),
        )
        sk = sketch(texts, self.cfg.num_perm, self.cfg.seed, self.cfg.shingle_size)
        keys = pl.DataFrame({"_row": np.arange(frame.height, dtype=np.uint32), "k": sk.text_keys})
        same_text = (
            keys.filter(pl.col("k") != 0)
            .join(shipped.select(pl.col("text_key").alias("k"), "record_id"), on="k")
            .group_by("_row")
            .agg(pl.col("record_id").min().alias("shipped"))
            .select(
                "_row",
                "shipped",
                pl.lit(1.0).alias("similarity"),
                pl.lit("identical text").alias("why"),
            )
        )
        near = self._near(shipped, sk.signatures, texts)
        found = pl.concat([same_id, same_text, near], how="vertical_relaxed")
        return found.sort("_row", "similarity", descending=[False, True]).unique(
            "_row", keep="first", maintain_order=True
        )

    def _near(self, shipped: pl.DataFrame, new_sigs: np.ndarray, texts: pl.Series) -> pl.DataFrame:
        old_sigs = np.asarray(shipped["signature"].to_list(), dtype=np.uint32)
        m = len(old_sigs)
        bands, rows = lsh_params(self.cfg.threshold, self.cfg.num_perm)
        pairs = candidate_pairs(np.vstack([old_sigs, new_sigs]), bands, rows).filter(
            (pl.col("a") < m) & (pl.col("b") >= m)
        )
        if pairs.height == 0:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        old_ids = shipped["record_id"]
        wanted = old_ids.gather(pairs["a"].unique()).to_list()
        stored = (
            pl.scan_parquet(self.parts())
            .filter(pl.col("record_id").is_in(wanted))
            .select("record_id", "shingles")
            .collect()
        )
        # one ShingleSets of the shipped candidates, then the new ones, for the verify kernel
        new_rows = np.unique(pairs["b"].to_numpy() - m)
        new_sets = shingle_sets(texts.gather(new_rows), self.cfg.shingle_size)
        sizes = np.concatenate([stored["shingles"].list.len().to_numpy(), new_sets.sizes()])
        offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
        np.cumsum(sizes, out=offsets[1:])
        old_hashes = stored["shingles"].explode().drop_nulls().to_numpy().astype(np.uint64)
        sets = ShingleSets(np.concatenate([old_hashes, new_sets.hashes]), offsets)
        local = (
            pairs.with_columns(
                old_ids.gather(pairs["a"]).alias("record_id"),
                pl.Series(
                    "lb", stored.height + np.searchsorted(new_rows, pairs["b"].to_numpy() - m)
                ),
            )
            .join(stored.select("record_id").with_row_index("la"), on="record_id")
            .select(
                pl.col("la").cast(pl.UInt32).alias("a"),
                pl.col("lb").cast(pl.UInt32).alias("b"),
                pl.col("b").alias("row"),
                "record_id",
            )
        )
        verified = verify(local.select("a", "b"), sets, self.cfg.threshold)
        return local.join(verified, on=["a", "b"]).select(
            (pl.col("row") - m).cast(pl.UInt32).alias("_row"),
            pl.col("record_id").alias("shipped"),
            "similarity",
            pl.lit("near-duplicate").alias("why"),
        )

    def append(self, frame: pl.DataFrame, texts: pl.Series) -> Path | None:
        """Add the records of a published build as a new part; return its path."""
        if frame.height == 0:
            return None
        sk = sketch(texts, self.cfg.num_perm, self.cfg.seed, self.cfg.shingle_size)
        sets = shingle_sets(texts, self.cfg.shingle_size)
        part = pl.DataFrame(
            {
                "record_id": frame["record_id"],
                "text_key": pl.Series(sk.text_keys, dtype=pl.UInt64),
                "signature": pl.Series(list(sk.signatures), dtype=pl.List(pl.UInt32)),
                "shingles": pl.Series(
                    [sets.of(i) for i in range(len(sets))], dtype=pl.List(pl.UInt64)
                ),
            }
        )
        self.path.mkdir(parents=True, exist_ok=True)
        (self.path / META).write_text(json.dumps(self.meta, indent=2, sort_keys=True) + "\n")
        target = self.path / f"part-{len(self.parts()) + 1:05d}.parquet"
        tmp = target.with_suffix(".tmp")
        part.write_parquet(tmp)
        os.replace(tmp, target)
        return target
