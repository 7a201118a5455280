"""Near-duplicate pairs from MinHash signatures: LSH bands, a screen, exact Jaccard, clusters.

The steps, each a pure function of its inputs (so a distributed engine can run them per batch):

1. :func:`lsh_params` picks bands and rows for recall at the threshold.
2. :func:`candidate_pairs` hashes each band of each signature to one uint64 and buckets the
   documents with Polars (group by band key); documents sharing a bucket in any band are pairs.
3. :func:`screen` drops candidates whose signatures agree on far fewer positions than the
   threshold needs (the MinHash estimate, ``z`` standard deviations below the threshold), which
   removes the bulk of chance collisions at a cost of 128 comparisons a pair.
4. :func:`verify` keeps the pairs whose exact Jaccard similarity of shingle sets reaches the
   threshold, so no lucky collision removes a record below it.
5. :func:`clusters` labels the connected components of the verified pairs.

:func:`near_duplicates` runs them all, with exact matching of the normalised text for texts too
short to have a shingle.
"""

from __future__ import annotations

import math
import time
from functools import lru_cache

import numpy as np
import polars as pl
from numba import njit, prange
from scipy.integrate import quad
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dataprep.dedup.minhash import ShingleSets, normalize, shingle_sets, sketch

# Weight of a missed pair against a false candidate in the choice of bands and rows.
# datasketch weighs them equally (0.5/0.5), which at threshold 0.7 and 128 permutations gives
# 14 bands of 9 rows: a pair exactly at the threshold becomes a candidate with probability 0.44.
# A false candidate only costs a screen and maybe an exact Jaccard; a miss leaves a duplicate
# in the dataset, so misses weigh more. 0.8 gives 18 bands of 7 rows (0.79 at the threshold),
# chosen on the benchmark corpus (benchmarks/dedup.py) for recall >= 0.95 at bounded cost.
FALSE_NEGATIVE_WEIGHT = 0.8
# Standard deviations of the MinHash estimate below the threshold at which :func:`screen`
# cuts: at z = 3 a pair exactly at the threshold is dropped with probability about 1e-3 (the
# bands themselves miss it with probability 0.2), while pairs at 0.45, the bulk of chance
# collisions on template-heavy trackers, pass with probability about 1e-3 instead of 2e-2.
SCREEN_Z = 3.0
# Buckets larger than this are paired by star (each member with the smallest id) rather than
# all pairs, so a hot bucket (a boilerplate text shared by thousands) stays linear.
MAX_BUCKET = 64

_P1 = np.uint64(0x9E3779B185EBCA87)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)
_P3 = np.uint64(0x165667B19E3779F9)
PAIRS_SCHEMA = {"a": pl.UInt32, "b": pl.UInt32}
VERIFIED_SCHEMA = {"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64}


@lru_cache(maxsize=64)
def lsh_params(
    threshold: float, num_perm: int, false_negative_weight: float = FALSE_NEGATIVE_WEIGHT
) -> tuple[int, int]:
    """Return (bands, rows), ``bands * rows <= num_perm``, minimising the weighted error.

    The error is datasketch's: the area under the S-curve ``1 - (1 - s**rows)**bands`` below
    the threshold (false candidates) and above it (misses), weighted ``1 - w`` and ``w``.
    """
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"threshold: expected a number between 0 and 1, got {threshold}")
    w = false_negative_weight
    best, best_error = (1, 1), math.inf
    for bands in range(1, num_perm + 1):
        for rows in range(1, num_perm // bands + 1):
            fp = quad(lambda s, b=bands, r=rows: 1 - (1 - s**r) ** b, 0.0, threshold)[0]
            fn = quad(lambda s, b=bands, r=rows: (1 - s**r) ** b, threshold, 1.0)[0]
            error = (1 - w) * fp + w * fn
            if error < best_error:
                best, best_error = (bands, rows), error
    return best


def candidate_probability(similarity: float, bands: int, rows: int) -> float:
    """Return the probability that a pair of this Jaccard similarity shares a bucket."""
    return 1.0 - (1.0 - similarity**rows) ** bands


def band_keys(signatures: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """Return one uint64 per document and band (shape (docs, bands)) hashing the band's rows."""
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"{bands} bands of {rows} rows need {bands * rows} permutations")
    return _band_keys(np.ascontiguousarray(signatures), bands, rows)


def candidate_pairs(
    signatures: np.ndarray,
    bands: int,
    rows: int,
    min_agreement: float | None = None,
    max_bucket: int = MAX_BUCKET,
) -> pl.DataFrame:
    """Return the distinct document pairs (a < b, UInt32) sharing a bucket in some band.

    Documents whose signature is empty (no shingles) are never candidates. With
    ``min_agreement``, pairs whose signatures agree on fewer positions than that fraction are
    dropped band by band (see :func:`screen`), which bounds memory on large corpora.
    """
    keys = band_keys(signatures, bands, rows)
    ids = pl.Series("doc", np.arange(len(signatures), dtype=np.uint32))
    empty = _empty_rows(signatures)
    found = []
    for band in range(bands):
        frame = pl.DataFrame({"key": keys[:, band], "doc": ids})
        if empty.any():
            frame = frame.filter(pl.Series(~empty))
        pairs = _bucket_pairs(frame, max_bucket)
        if min_agreement is not None and pairs.height:
            pairs = screen(pairs, signatures, min_agreement)
        found.append(pairs)
    if not found:
        return pl.DataFrame(schema=PAIRS_SCHEMA)
    return pl.concat(found).unique().sort("a", "b")


def screen_cutoff(threshold: float, num_perm: int, z: float = SCREEN_Z) -> float:
    """Return the signature agreement below which a pair at the threshold is implausible."""
    return max(0.0, threshold - z * math.sqrt(threshold * (1 - threshold) / num_perm))


def screen(pairs: pl.DataFrame, signatures: np.ndarray, min_agreement: float) -> pl.DataFrame:
    """Return the pairs whose signatures agree on at least ``min_agreement`` of positions."""
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    needed = math.ceil(min_agreement * signatures.shape[1] - 1e-9)
    keep = _agreement_at_least(signatures, a, b, needed)
    return pairs.filter(pl.Series(keep))


def verify(pairs: pl.DataFrame, sets: ShingleSets, threshold: float) -> pl.DataFrame:
    """Return the pairs whose exact Jaccard similarity of shingle sets is >= ``threshold``.

    ``a`` and ``b`` index ``sets``; the result adds ``similarity`` (Float64). Pairs of two
    empty sets are dropped (nothing to compare).
    """
    if pairs.height == 0:
        return pl.DataFrame(schema=VERIFIED_SCHEMA)
    a = pairs["a"].to_numpy().astype(np.int64)
    b = pairs["b"].to_numpy().astype(np.int64)
    sim = _jaccard(sets.hashes, sets.offsets, a, b)
    return (
        pairs.select("a", "b")
        .with_columns(similarity=pl.Series(sim))
        .filter(pl.col("similarity") >= threshold)
    )


def pair_similarity(
    texts: pl.Series, a: np.ndarray, b: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return, for each pair of text positions (a[i], b[i]), the exact Jaccard of their shingle
    sets (NaN when both have none) and whether their normalised texts are identical.

    Only the texts named in a pair are shingled and normalised.
    """
    if len(a) == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    involved = np.unique(np.concatenate([a, b]))
    subset = texts.gather(involved)
    sets = shingle_sets(subset, n)
    la = np.searchsorted(involved, a).astype(np.int64)
    lb = np.searchsorted(involved, b).astype(np.int64)
    sim = _jaccard(sets.hashes, sets.offsets, la, lb)
    sim[(sets.sizes()[la] == 0) & (sets.sizes()[lb] == 0)] = np.nan
    keys = normalize(subset).to_numpy()
    return sim, keys[la] == keys[lb]


def clusters(n_docs: int, pairs: pl.DataFrame) -> np.ndarray:
    """Return a component label per document (0..k-1) over the pairs, as int64."""
    a = pairs["a"].to_numpy()
    b = pairs["b"].to_numpy()
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n_docs, n_docs))
    _, labels = connected_components(graph, directed=False)
    return labels.astype(np.int64)


def near_duplicates(
    texts: pl.Series,
    threshold: float = 0.7,
    num_perm: int = 128,
    seed: int = 1,
    n: int = 3,
    scheme: str = "affine32",
    bands_rows: tuple[int, int] | None = None,
    timings: dict[str, float] | None = None,
) -> tuple[pl.DataFrame, np.ndarray]:
    """Return (pairs a < b with their Jaccard ``similarity``, a cluster label per text).

    Texts of at least ``n`` words are compared by word ``n``-gram shingles (MinHash LSH, then
    exact Jaccard >= ``threshold``); texts of 1 to n-1 words pair only with texts whose
    normalised form is identical (similarity 1.0); empty texts pair with nothing. ``timings``,
    when given, receives the seconds spent in each step.
    """
    clock = _Clock(timings)
    sk = sketch(texts, num_perm, seed, n, scheme)
    clock.lap("signatures")
    bands, rows = bands_rows or lsh_params(threshold, num_perm)
    cutoff = screen_cutoff(threshold, num_perm)
    candidates = candidate_pairs(sk.signatures, bands, rows, min_agreement=cutoff)
    words, text_keys = sk.words, sk.text_keys
    del sk  # the signatures are done with; free them before the shingle sets are built
    clock.lap("lsh")
    involved = np.unique(np.concatenate([candidates["a"].to_numpy(), candidates["b"].to_numpy()]))
    sets = shingle_sets(texts, n, docs=involved)
    clock.lap("shingles")
    clock.count(screened_pairs=candidates.height, involved_docs=len(involved))
    local = candidates.select(
        pl.Series("a", np.searchsorted(involved, candidates["a"].to_numpy()), pl.UInt32),
        pl.Series("b", np.searchsorted(involved, candidates["b"].to_numpy()), pl.UInt32),
    )
    verified = verify(local, sets, threshold)
    verified = verified.with_columns(
        pl.Series("a", involved[verified["a"].to_numpy()], pl.UInt32),
        pl.Series("b", involved[verified["b"].to_numpy()], pl.UInt32),
    )
    clock.lap("verify")
    short = _short_text_pairs(words, text_keys, n)
    pairs = pl.concat([verified, short]).sort("a", "b")
    labels = clusters(len(texts), pairs)
    clock.lap("components")
    return pairs, labels


def _short_text_pairs(words: np.ndarray, keys: np.ndarray, n: int) -> pl.DataFrame:
    """Pair each short text (1 to n-1 words) with the first text of identical normalised form."""
    frame = pl.DataFrame(
        {"key": keys, "doc": np.arange(len(keys), dtype=np.uint32), "words": words}
    ).filter((pl.col("words") > 0) & (pl.col("words") < n))
    return (
        frame.with_columns(first=pl.col("doc").min().over("key"))
        .filter(pl.col("doc") != pl.col("first"))
        .select(
            pl.col("first").alias("a"),
            pl.col("doc").alias("b"),
            pl.lit(1.0, pl.Float64).alias("similarity"),
        )
    )


def _bucket_pairs(frame: pl.DataFrame, max_bucket: int) -> pl.DataFrame:
    """Return the pairs (a < b) of documents sharing a key in one band's (key, doc) frame."""
    shared = frame.filter(pl.col("key").is_duplicated()).with_columns(size=pl.len().over("key"))
    small = shared.filter(pl.col("size") <= max_bucket).select("key", "doc")
    within = (
        small.join(small, on="key", suffix="_b")
        .filter(pl.col("doc") < pl.col("doc_b"))
        .select(pl.col("doc").alias("a"), pl.col("doc_b").alias("b"))
    )
    star = (
        shared.filter(pl.col("size") > max_bucket)
        .with_columns(first=pl.col("doc").min().over("key"))
        .filter(pl.col("doc") != pl.col("first"))
        .select(pl.col("first").alias("a"), pl.col("doc").alias("b"))
    )
    return pl.concat([within, star])


def _empty_rows(signatures: np.ndarray) -> np.ndarray:
    """Return True for documents whose signature is datasketch's empty value (no shingles)."""
    return (signatures == np.iinfo(np.uint32).max).all(axis=1)


class _Clock:
    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[name] = now - self.last
        self.last = now

    def count(self, **counts: int) -> None:
        if self.timings is not None:
            self.timings.update(counts)


@njit(cache=True, parallel=True)
def _band_keys(sig, bands, rows):
    out = np.empty((sig.shape[0], bands), dtype=np.uint64)
    for d in prange(sig.shape[0]):
        for band in range(bands):
            h = np.uint64(band)
            for k in range(band * rows, (band + 1) * rows):
                h = (h ^ sig[d, k]) * _P1
                h = (h << np.uint64(31)) | (h >> np.uint64(33))
            h ^= h >> np.uint64(33)
            h *= _P2
            h ^= h >> np.uint64(29)
            h *= _P3
            out[d, band] = h ^ (h >> np.uint64(32))
    return out


@njit(cache=True, parallel=True)
def _agreement_at_least(sig, a, b, needed):
    keep = np.zeros(len(a), dtype=np.bool_)
    perms = sig.shape[1]
    for p in prange(len(a)):
        x = sig[a[p]]
        y = sig[b[p]]
        same = 0
        for k in range(perms):
            same += x[k] == y[k]
        keep[p] = same >= needed
    return keep


@njit(cache=True, parallel=True)
def _jaccard(hashes, offsets, a, b):
    out = np.zeros(len(a), dtype=np.float64)
    for p in prange(len(a)):
        i, i_end = offsets[a[p]], offsets[a[p] + 1]
        j, j_end = offsets[b[p]], offsets[b[p] + 1]
        size = (i_end - i) + (j_end - j)
        inter = 0
        while i < i_end and j < j_end:
            x, y = hashes[i], hashes[j]
            if x == y:
                inter += 1
                i += 1
                j += 1
            elif x < y:
                i += 1
            else:
                j += 1
        if size > 0:
            out[p] = inter / (size - inter)
    return out
