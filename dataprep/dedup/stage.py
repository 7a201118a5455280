"""The dedup stage: exact duplicates by normalised-text hash, near-duplicates by MinHash LSH.

Candidates from LSH are verified by the exact Jaccard similarity of their shingle sets, so a
lucky hash collision never removes a record below the threshold. Clusters are the connected
components of exact and verified near pairs; one survivor per cluster is chosen by a
deterministic policy (most complete record, ties by record id).
"""

from __future__ import annotations

import hashlib

import polars as pl
from datasketch import MinHash, MinHashLSH

from dataprep.config import DedupConfig
from dataprep.schema import StageResult, rejected_frame

STAGE = "dedup"


def comparable_text(frame: pl.DataFrame) -> pl.Series:
    """Return title + body lowercased with punctuation folded to spaces: the text compared."""
    return frame.select(
        pl.concat_str(pl.col("title").fill_null(""), pl.col("body").fill_null(""), separator=" ")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars()
        .alias("text")
    )["text"]


def shingles(text: str, n: int) -> set[str]:
    """Return the set of word ``n``-grams of ``text`` (empty when it has fewer than n words)."""
    words = text.split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


def dedup(frame: pl.DataFrame, cfg: DedupConfig) -> StageResult:
    """Return one survivor per duplicate cluster with ``dup_cluster`` set, the rest rejected
    as ``dedup:exact-of:<id>`` or ``dedup:near-duplicate-of:<id>``."""
    if not cfg.enabled or frame.height == 0:
        return StageResult(frame.with_columns(pl.lit(None, pl.String).alias("dup_cluster")))
    texts = comparable_text(frame).to_list()
    ids = frame["record_id"].to_list()
    digests = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    sets = [shingles(t, cfg.shingle_size) for t in texts]

    parent = list(range(len(ids)))
    first_of_digest: dict[str, int] = {}
    for i, digest in enumerate(digests):
        if digest in first_of_digest:
            _union(parent, i, first_of_digest[digest])
        else:
            first_of_digest[digest] = i
    representatives = [i for i in first_of_digest.values() if sets[i]]
    for i, j in _near_pairs(representatives, sets, cfg):
        _union(parent, i, j)
    mirrors = _mirror_pairs(frame, ids)
    for i, j in mirrors:
        _union(parent, i, j)

    roots = [_find(parent, i) for i in range(len(ids))]
    members: dict[int, list[int]] = {}
    for i, root in enumerate(roots):
        members.setdefault(root, []).append(i)
    rank = _completeness_rank(frame)

    cluster = [None] * len(ids)
    rejected_rows = []
    for group in members.values():
        if len(group) == 1:
            continue
        survivor = min(group, key=lambda i: rank[i])
        for i in group:
            cluster[i] = ids[survivor]
            if i == survivor:
                continue
            if digests[i] == digests[survivor]:
                reason, detail = f"dedup:exact-of:{ids[survivor]}", "identical normalised text"
            elif (min(i, survivor), max(i, survivor)) in mirrors:
                sim = jaccard(sets[i], sets[survivor])
                reason = f"dedup:mirror-of:{ids[survivor]}"
                detail = f"the same item in another tracker; jaccard {sim:.3f}"
            else:
                sim = jaccard(sets[i], sets[survivor])
                reason, detail = f"dedup:near-duplicate-of:{ids[survivor]}", f"jaccard {sim:.3f}"
            rejected_rows.append(
                {"record_id": ids[i], "stage": STAGE, "reason": reason, "detail": detail}
            )
    frame = frame.with_columns(pl.Series("dup_cluster", cluster, dtype=pl.String))
    removed = {row["record_id"] for row in rejected_rows}
    kept = frame.filter(~pl.col("record_id").is_in(list(removed)))
    rejected = rejected_frame(sorted(rejected_rows, key=lambda r: r["record_id"]))
    clusters = sum(1 for g in members.values() if len(g) > 1)
    return StageResult(kept, rejected, {"clusters": clusters})


def _near_pairs(
    candidates: list[int], sets: list[set[str]], cfg: DedupConfig
) -> list[tuple[int, int]]:
    """Return index pairs whose LSH buckets collide and whose exact Jaccard passes the threshold."""
    lsh = MinHashLSH(threshold=cfg.threshold, num_perm=cfg.num_perm)
    hashes = {}
    for i in candidates:
        mh = MinHash(num_perm=cfg.num_perm, seed=cfg.seed)
        mh.update_batch([s.encode() for s in sorted(sets[i])])
        lsh.insert(str(i), mh)
        hashes[i] = mh
    pairs = []
    for i in candidates:
        for other in lsh.query(hashes[i]):
            j = int(other)
            if j > i and jaccard(sets[i], sets[j]) >= cfg.threshold:
                pairs.append((i, j))
    return pairs


def _mirror_pairs(frame: pl.DataFrame, ids: list[str]) -> set[tuple[int, int]]:
    """Return index pairs the link stage found to be the same item in two trackers."""
    if "same_as" not in frame.columns:
        return set()
    position = {rid: i for i, rid in enumerate(ids)}
    pairs = set()
    for i, others in enumerate(frame["same_as"].to_list()):
        for other in others or []:
            j = position.get(other)
            if j is not None and j != i:
                pairs.add((min(i, j), max(i, j)))
    return pairs


def _completeness_rank(frame: pl.DataFrame) -> list[tuple]:
    """Return a sort key per row: longest body, most comments, resolved first, then record id."""
    cols = frame.select(
        pl.col("body").fill_null("").str.len_chars().alias("body_len"),
        pl.col("comments").list.len().alias("n_comments"),
        pl.col("resolved_at").is_not_null().alias("resolved"),
        pl.col("record_id"),
    )
    return [
        (-b, -c, not r, rid)
        for b, c, r, rid in zip(
            cols["body_len"], cols["n_comments"], cols["resolved"], cols["record_id"], strict=True
        )
    ]


def _find(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _union(parent: list[int], i: int, j: int) -> None:
    ri, rj = _find(parent, i), _find(parent, j)
    if ri != rj:
        parent[max(ri, rj)] = min(ri, rj)
