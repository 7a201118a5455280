"""dataprep's MinHash signatures as datasketch objects, for datasketch's own tools.

The dedup stage computes its signatures with numba kernels over whole batches, value for value
equal to ``datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash32)`` fed the same
shingles (``tests/test_minhash.py`` checks this against datasketch). Here those signatures
become ``datasketch.LeanMinHash`` objects, so a user can put a build's records into a
``datasketch.MinHashLSH`` (or LSH Forest, or a Redis/Cassandra-backed LSH) and ask whether a
new ticket or an evaluation item is a near-copy of something in the training set::

    import datasketch, dataprep

    shipped = dataprep.record_minhashes("out")            # record_id -> LeanMinHash
    lsh = datasketch.MinHashLSH(threshold=0.7, num_perm=128)
    for record_id, m in shipped.items():
        lsh.insert(record_id, m)
    lsh.query(dataprep.minhashes(["Login fails after password reset ..."])[0])
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import polars as pl
from datasketch import LeanMinHash

from dataprep.config import DedupConfig, parse_config
from dataprep.dedup.minhash import signatures
from dataprep.dedup.stage import comparable_text

SCHEME = "affine32"  # the scheme the dedup stage and the shipped index use


def minhashes(
    texts: Sequence[str | None] | pl.Series, cfg: DedupConfig | None = None
) -> list[LeanMinHash]:
    """Return one ``datasketch.LeanMinHash`` per text, with the dedup stage's parameters
    (``num_perm``, ``seed``, ``shingle_size`` of ``cfg``, default the build defaults)."""
    cfg = cfg or DedupConfig()
    series = texts if isinstance(texts, pl.Series) else pl.Series(list(texts), dtype=pl.String)
    sigs = signatures(series, num_perm=cfg.num_perm, seed=cfg.seed, n=cfg.shingle_size)
    return [LeanMinHash(seed=cfg.seed, hashvalues=row, scheme=SCHEME) for row in sigs]


def record_minhashes(out_dir: str | Path) -> dict[str, LeanMinHash]:
    """Return record_id -> ``LeanMinHash`` for the records a build kept, signed over the text
    the dedup stage compares (title and body) with that build's dedup parameters."""
    out = Path(out_dir)
    manifest_path, records_path = out / "manifest.json", out / "records.parquet"
    if not (manifest_path.is_file() and records_path.is_file()):
        raise FileNotFoundError(f"{out}: no manifest.json or records.parquet; is this a build?")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    cfg = parse_config(manifest["config"]).dedup
    records = pl.read_parquet(records_path, columns=["record_id", "title", "body"])
    ids = records["record_id"].to_list()
    return dict(zip(ids, minhashes(comparable_text(records), cfg), strict=True))
