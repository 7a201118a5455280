"""The dedup stage: exact and near-duplicate clusters, one survivor each, and why.

Title + cleaned body (template scaffolding already stripped by the clean stage) are compared by
word n-gram shingles: MinHash LSH proposes candidates, exact Jaccard decides (see
``dataprep/dedup/lsh.py``). Mirrors found by the link stage (the same item in two trackers)
join the same clusters. Clusters are connected components; the survivor is chosen by the
configured policy, ties by record id. Every other member is rejected naming its survivor and its
Jaccard similarity to it, and ``clusters`` (a frame, written as ``clusters.parquet``) says for
each cluster who is in it, how alike they are and why the survivor won.

With ``dedup.index`` a record that duplicates one shipped by an earlier build is rejected as
``dedup:shipped-before:<id>`` first (see ``dataprep/dedup/index.py``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from dataprep.config import DedupConfig
from dataprep.dedup.boilerplate import REMOVED_SCHEMA, remove_boilerplate
from dataprep.dedup.index import ShippedIndex
from dataprep.dedup.lsh import clusters, near_duplicates, pair_similarity
from dataprep.schema import REJECTED_SCHEMA, StageResult, reject

STAGE = "dedup"

CLUSTER_SCHEMA = {
    "cluster": pl.String,
    "survivor": pl.String,
    "members": pl.List(pl.String),
    "size": pl.UInt32,
    "min_similarity": pl.Float64,
    "max_similarity": pl.Float64,
    "policy": pl.String,
    "why": pl.String,
}


def comparable_text(frame: pl.DataFrame) -> pl.Series:
    """Return title + body, the text compared (the engine lowercases and folds punctuation)."""
    return frame.select(
        pl.concat_str(
            pl.col("title").fill_null(""), pl.col("body").fill_null(""), separator="\n"
        ).alias("text")
    )["text"]


def dedup(frame: pl.DataFrame, cfg: DedupConfig, index: ShippedIndex | None = None) -> StageResult:
    """Return one survivor per duplicate cluster with ``dup_cluster`` set (the survivor's id),
    the rest rejected as ``dedup:exact-of:<id>``, ``dedup:near-duplicate-of:<id>`` or
    ``dedup:mirror-of:<id>``; ``stats["clusters_frame"]`` lists the clusters."""
    if not cfg.enabled or frame.height == 0:
        return StageResult(
            frame.with_columns(pl.lit(None, pl.String).alias("dup_cluster")),
            stats={
                "clusters": 0,
                "clusters_frame": pl.DataFrame(schema=CLUSTER_SCHEMA),
                "boilerplate_frame": pl.DataFrame(schema=REMOVED_SCHEMA),
            },
        )
    frame, boilerplate = remove_boilerplate(frame, cfg.boilerplate_min_versions)
    shipped = pl.DataFrame(schema=REJECTED_SCHEMA)
    if index is not None:
        matches = index.match(frame, comparable_text(frame))
        hit = frame.with_row_index("_row").join(matches, on="_row")
        shipped = reject(
            hit,
            STAGE,
            pl.format("dedup:shipped-before:{}", "shipped"),
            pl.format(
                "{} shipped by an earlier build; jaccard {}", "why", pl.col("similarity").round(3)
            ),
        )
        frame = frame.with_row_index("_row").join(matches, on="_row", how="anti").drop("_row")
    texts = comparable_text(frame)
    timings: dict[str, float] = {}
    pairs, _ = near_duplicates(
        texts, cfg.threshold, cfg.num_perm, cfg.seed, cfg.shingle_size, timings=timings
    )
    pairs = pairs.with_columns(pl.lit(False).alias("mirror"))
    mirrors = _mirror_pairs(frame)
    # A mirror that is also textually alike keeps both facts: its similarity and mirror flag.
    edges = (
        pl.concat([pairs, mirrors])
        .group_by("a", "b")
        .agg(pl.col("similarity").max(), pl.col("mirror").any())
        .sort("a", "b")
    )
    labels = clusters(frame.height, edges)

    members = _members(frame, labels, cfg)
    removed = members.filter(pl.col("size") > 1, ~pl.col("is_survivor"))
    relation = _relations(removed, texts, edges, cfg.shingle_size)
    rejected = reject(
        relation,
        STAGE,
        pl.format("dedup:{}-of:{}", "kind", "survivor"),
        pl.when(pl.col("kind") == "exact")
        .then(pl.lit("identical normalised text"))
        .when(pl.col("kind") == "mirror")
        .then(pl.format("the same item in another tracker; jaccard {}", "sim_text"))
        .otherwise(pl.format("jaccard {} with the survivor", "sim_text")),
    )
    cluster_id = pl.when(pl.col("size") > 1).then(pl.col("survivor"))
    kept_rows = members.filter((pl.col("size") == 1) | pl.col("is_survivor"))
    kept = (
        frame.with_row_index("_row")
        .join(kept_rows.select("_row", cluster_id.alias("dup_cluster")), on="_row")
        .sort("_row")
        .drop("_row")
    )
    report = _cluster_report(members, edges, frame, cfg)
    return StageResult(
        kept,
        pl.concat([shipped, rejected]).sort("record_id"),
        {
            "clusters": report.height,
            "clusters_frame": report,
            "boilerplate_entries": boilerplate.height,
            "boilerplate_frame": boilerplate,
            "near_pairs": int((~pairs["mirror"]).sum()),
            "timings": {k: round(v, 3) for k, v in timings.items()},
        },
    )


def _mirror_pairs(frame: pl.DataFrame) -> pl.DataFrame:
    """Return index pairs (a < b) the link stage found to be the same item in two trackers."""
    empty = pl.DataFrame(
        schema={"a": pl.UInt32, "b": pl.UInt32, "similarity": pl.Float64, "mirror": pl.Boolean}
    )
    if "same_as" not in frame.columns:
        return empty
    rows = frame.select(pl.col("record_id"), pl.col("same_as")).with_row_index("a")
    position = rows.select(pl.col("record_id").alias("same_as"), pl.col("a").alias("b"))
    pairs = (
        rows.explode("same_as")
        .join(position, on="same_as")
        .filter(pl.col("a") != pl.col("b"))
        .select(
            pl.min_horizontal("a", "b").cast(pl.UInt32).alias("a"),
            pl.max_horizontal("a", "b").cast(pl.UInt32).alias("b"),
        )
        .unique()
    )
    return pairs.with_columns(
        pl.lit(None, pl.Float64).alias("similarity"), pl.lit(True).alias("mirror")
    ).select(empty.columns)


def _policy_order(frame: pl.DataFrame, cfg: DedupConfig) -> list[pl.Expr]:
    """Sort keys, best survivor first, for the configured policy (record id breaks ties)."""
    complete = [
        pl.col("body").fill_null("").str.len_chars().cast(pl.Int64).neg(),
        pl.col("comments").list.len().cast(pl.Int64).neg(),
        pl.col("resolved_at").is_null(),
    ]
    if cfg.survivor == "latest":
        keys = [pl.coalesce("updated_at", "created_at").dt.epoch("us").neg().fill_null(0)]
    elif cfg.survivor == "earliest":
        keys = [pl.col("created_at").dt.epoch("us").fill_null(np.iinfo(np.int64).max)]
    elif cfg.survivor == "preferred_source":
        rank = {name: i for i, name in enumerate(cfg.preferred_sources)}
        keys = [
            pl.col("source").replace_strict(rank, default=len(rank), return_dtype=pl.Int64),
            *complete,
        ]
    else:
        keys = complete
    return [*keys, pl.col("record_id")]


def _members(frame: pl.DataFrame, labels: np.ndarray, cfg: DedupConfig) -> pl.DataFrame:
    """Return one row per record: its cluster label and size, the survivor's id and row."""
    order = _policy_order(frame, cfg)
    ranked = (
        frame.with_row_index("_row")
        .with_columns(pl.Series("label", labels))
        .with_columns(pl.len().over("label").alias("size"))
        .sort([pl.col("label"), *order])
    )
    first = pl.col("record_id").first().over("label")
    return ranked.select(
        "_row",
        "record_id",
        "label",
        "size",
        first.alias("survivor"),
        pl.col("_row").first().over("label").alias("survivor_row"),
        (pl.col("record_id") == first).alias("is_survivor"),
    )


def _relations(
    removed: pl.DataFrame, texts: pl.Series, edges: pl.DataFrame, n: int
) -> pl.DataFrame:
    """Return each removed record with its survivor, kind (exact, mirror, near-duplicate) and
    exact Jaccard similarity to the survivor (a removed record may reach it through a chain)."""
    rows = removed["_row"].to_numpy().astype(np.int64)
    survivors = removed["survivor_row"].to_numpy().astype(np.int64)
    sim, identical = pair_similarity(texts, rows, survivors, n)
    mirrors = edges.filter(pl.col("mirror")).select(
        pl.concat_str("a", "b", separator=":").alias("k")
    )["k"]
    pair_key = np.char.add(
        np.char.add(np.minimum(rows, survivors).astype(str), ":"),
        np.maximum(rows, survivors).astype(str),
    )
    is_mirror = np.isin(pair_key, mirrors.to_numpy()) if len(rows) else np.zeros(0, bool)
    kind = np.where(identical, "exact", np.where(is_mirror, "mirror", "near-duplicate"))
    sim_text = ["n/a" if np.isnan(x) else f"{x:.3f}" for x in sim]
    return removed.with_columns(
        pl.Series("kind", kind.tolist(), pl.String), pl.Series("sim_text", sim_text, pl.String)
    )


def _cluster_report(
    members: pl.DataFrame, edges: pl.DataFrame, frame: pl.DataFrame, cfg: DedupConfig
) -> pl.DataFrame:
    """Return one row per cluster of two or more: members, similarity range, why the survivor."""
    multi = members.filter(pl.col("size") > 1)
    if multi.height == 0:
        return pl.DataFrame(schema=CLUSTER_SCHEMA)
    label_of = members.select(pl.col("_row").cast(pl.UInt32).alias("a"), "label")
    sims = (
        edges.join(label_of, on="a")
        .group_by("label")
        .agg(
            pl.col("similarity").min().alias("min_similarity"),
            pl.col("similarity").max().alias("max_similarity"),
        )
    )
    survivor_rows = frame.with_row_index("_row").join(
        multi.filter(pl.col("is_survivor")).select("_row", "label"), on="_row"
    )
    why = survivor_rows.select(
        "label",
        pl.format(
            "{}: body {} chars, {} comments, {}",
            pl.lit(cfg.survivor),
            pl.col("body").fill_null("").str.len_chars(),
            pl.col("comments").list.len(),
            pl.when(pl.col("resolved_at").is_not_null())
            .then(pl.lit("resolved"))
            .otherwise(pl.lit("not resolved")),
        ).alias("why_complete"),
        pl.format("{}: source {}", pl.lit(cfg.survivor), "source").alias("why_source"),
        pl.format(
            "{}: updated {}", pl.lit(cfg.survivor), pl.coalesce("updated_at", "created_at")
        ).alias("why_latest"),
        pl.format("{}: created {}", pl.lit(cfg.survivor), "created_at").alias("why_earliest"),
    )
    column = {
        "latest": "why_latest",
        "earliest": "why_earliest",
        "preferred_source": "why_source",
    }.get(cfg.survivor, "why_complete")
    return (
        multi.group_by("label")
        .agg(
            pl.col("survivor").first(),
            pl.col("record_id").sort().alias("members"),
            pl.len().cast(pl.UInt32).alias("size"),
        )
        .join(sims, on="label", how="left")
        .join(why.select("label", pl.col(column).alias("why")), on="label", how="left")
        .select(
            pl.col("survivor").alias("cluster"),
            "survivor",
            "members",
            "size",
            "min_similarity",
            "max_similarity",
            pl.lit(cfg.survivor).alias("policy"),
            "why",
        )
        .sort("cluster")
    )
