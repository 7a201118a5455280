"""A build's records as datasketch LeanMinHash objects: datasketch's LSH finds near-copies."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

import dataprep
from dataprep.config import DedupConfig
from dataprep.dedup.minhash import normalize, shingle_hash32

TEXT = (
    "Exporting a dashboard to PDF drops every chart after the first page when the dashboard "
    "has more than twelve widgets; the export finishes without an error."
)


def test_minhashes_equal_a_datasketch_minhash_of_the_same_shingles():
    cfg = DedupConfig(num_perm=64, seed=7)
    (ours,) = dataprep.minhashes([TEXT], cfg)
    words = normalize(pl.Series([TEXT])).item().split()
    theirs = MinHash(num_perm=64, seed=7, hashfunc=shingle_hash32)
    theirs.update_batch(" ".join(words[i : i + 3]).encode() for i in range(len(words) - 2))
    assert isinstance(ours, LeanMinHash)
    assert np.array_equal(ours.hashvalues, theirs.hashvalues)
    assert ours.jaccard(LeanMinHash(theirs)) == 1.0


def test_datasketch_lsh_over_a_builds_records_finds_a_reworded_copy(sample_build):
    shipped = dataprep.record_minhashes(sample_build)
    records = pl.read_parquet(sample_build / "records.parquet")
    assert set(shipped) == set(records["record_id"])
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    for record_id, m in shipped.items():
        lsh.insert(record_id, m)
    longest = records.sort(pl.col("body").str.len_chars(), descending=True).row(0, named=True)
    words = f"{longest['title']}\n{longest['body']}".split()
    reworded = " ".join(words[:-3] + ["(reported", "again)"])
    (query,) = dataprep.minhashes([reworded])
    assert longest["record_id"] in lsh.query(query)
    (unrelated,) = dataprep.minhashes([TEXT])
    assert longest["record_id"] not in lsh.query(unrelated)


def test_record_minhashes_of_a_folder_that_is_not_a_build_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="is this a build"):
        dataprep.record_minhashes(tmp_path)
