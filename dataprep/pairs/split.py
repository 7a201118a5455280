"""Leak-free train/validation/test splits: every pair of one group of records lands in one split.

A group is a connected component of records joined by anything that could carry information
from one pair to another:

- the records of one pair (a ``duplicate_check`` pair names two issues, a release task a release
  and its issues);
- one duplicate cluster (``dup_cluster``, the survivor's id);
- references: ``linked_records`` (resolved by the link stage), ``same_as`` (mirrors in other
  trackers), and ``duplicate_of`` / ``links`` resolved here to a kept record, first among the
  records of the same source and project (where ``#45`` is unambiguous), then across sources
  when exactly one record answers to the reference (as ``dataprep.link`` resolves).

A group is named by its smallest record id. Modes (``pairs.split.mode``):

- ``hash`` (default): see ``_hash_splits``; deterministic from ``pairs.seed`` and each task's
  validation (and test) share within ``pairs.split.tolerance`` wherever the groups allow.
- ``time``: a group whose latest record time is on or after ``pairs.split.cutoff`` goes to
  validation, the rest to train. A record's time is the later of ``created_at`` and
  ``released_at``, else ``updated_at``; a group with no time at all goes to train. There is one
  cutoff, so ``test_fraction`` is ignored in this mode (a warning is logged when it is set).
- ``project``: a group with any record of a project in ``pairs.split.holdout_projects`` goes to
  validation (so a group spanning a held-out and another project is held out whole, and that
  other project's records in it do not reach train); the rest to train. ``test_fraction`` is
  ignored here too.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections import defaultdict
from datetime import UTC, date, datetime

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from dataprep.config import PairsConfig
from dataprep.link import build_index, resolve

log = logging.getLogger(__name__)

SPLIT_ORDER = ("train", "validation", "test")
_EDGE = {"a": pl.String, "b": pl.String}


def assign_splits(
    pairs: pl.DataFrame, records: pl.DataFrame, cfg: PairsConfig
) -> tuple[pl.DataFrame, dict]:
    """Return ``pairs`` with ``split`` and ``group`` (the group's smallest record id) set, and
    the split stats.

    Stats: ``{"mode", "groups" (groups holding pairs), "largest_group" (pairs in the largest),
    "tasks": {task: {"train", "validation", "test", "validation_share", "test_share",
    "within_tolerance"}}}``. ``within_tolerance`` says whether the task's validation and test
    shares are within ``pairs.split.tolerance`` of their fractions; it is None in ``time`` and
    ``project`` modes, whose shares follow the cutoff or the projects, not the fractions.
    """
    if pairs.is_empty():
        empty = pairs.with_columns(pl.lit(None, pl.String).alias("group"))
        return empty, {"mode": cfg.split.mode, "groups": 0, "largest_group": 0, "tasks": {}}
    group_of = record_groups(pairs, records)
    first = pl.col("record_ids").list.first()
    pairs = pairs.with_columns(
        pl.coalesce(
            first.replace_strict(group_of, default=None, return_dtype=pl.String), first, "pair_id"
        ).alias("group")
    )
    mode = cfg.split.mode
    if mode == "hash":
        chosen = _hash_splits(pairs, cfg)
    elif mode == "time":
        chosen = _time_splits(pairs, records, group_of, cfg)
    elif mode == "project":
        chosen = _project_splits(pairs, records, group_of, cfg)
    else:
        raise ValueError(f"pairs.split.mode: {mode!r} is not one of hash, time, project")
    pairs = pairs.with_columns(
        pl.col("group")
        .replace_strict(chosen, default="train", return_dtype=pl.String)
        .alias("split")
    )
    return pairs, _stats(pairs, cfg)


def record_groups(pairs: pl.DataFrame, records: pl.DataFrame) -> dict[str, str]:
    """Return record id -> group id (the smallest record id of its connected component) for
    every record in ``records`` or named by a pair."""
    edges = pl.concat([_pair_edges(pairs), *_record_edges(records)]).filter(
        pl.col("a").is_not_null() & pl.col("b").is_not_null()
    )
    nodes = pl.concat([records["record_id"], edges["a"], edges["b"]]).drop_nulls().unique().sort()
    index = {rid: i for i, rid in enumerate(nodes.to_list())}
    a = np.fromiter((index[x] for x in edges["a"].to_list()), dtype=np.int64, count=edges.height)
    b = np.fromiter((index[x] for x in edges["b"].to_list()), dtype=np.int64, count=edges.height)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(len(index), len(index)))
    _, labels = connected_components(graph, directed=False)
    # nodes are sorted, so the first node of each component is its smallest id
    first_of: dict[int, str] = {}
    for rid, label in zip(nodes.to_list(), labels.tolist(), strict=True):
        first_of.setdefault(label, rid)
    return {
        rid: first_of[label] for rid, label in zip(nodes.to_list(), labels.tolist(), strict=True)
    }


def split_of(key: str, seed: int, validation: float, test: float) -> str:
    """Return ``train``, ``validation`` or ``test`` for ``key`` by its hash point alone (no
    grouping, no per-task quota); the same key always lands alike."""
    point = hash_point(key, seed)
    if point < test:
        return "test"
    if point < test + validation:
        return "validation"
    return "train"


def hash_point(key: str, seed: int) -> float:
    """Return the point in [0, 1) that sha256 of ``"{seed}:{key}"`` gives ``key``."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _pair_edges(pairs: pl.DataFrame) -> pl.DataFrame:
    """Return edges from each pair's first record to every other record of the pair."""
    return (
        pairs.select(pl.col("record_ids").list.first().alias("a"), pl.col("record_ids").alias("b"))
        .explode("b")
        .cast(_EDGE)
    )


def _record_edges(records: pl.DataFrame) -> list[pl.DataFrame]:
    """Return edges for duplicate clusters, resolved links, mirrors and tracker duplicates."""
    frames = [pl.DataFrame(schema=_EDGE)]
    if "dup_cluster" in records.columns:
        frames.append(records.select(a="record_id", b="dup_cluster").cast(_EDGE))
    for column in ("linked_records", "same_as"):
        if column in records.columns:
            frames.append(records.select(a="record_id", b=column).explode("b").cast(_EDGE))
    frames.append(pl.DataFrame(_reference_edges(records), schema=_EDGE, orient="row"))
    return frames


def _reference_edges(records: pl.DataFrame) -> list[tuple[str, str]]:
    """Return (record, target) for each ``duplicate_of`` or ``links`` reference that resolves
    to a kept record: within the record's source and project first, then across sources."""
    columns = [c for c in ("duplicate_of", "links") if c in records.columns]
    if not columns or records.is_empty():
        return []
    everywhere = build_index(records)
    repos = {p for p in records["project"].drop_nulls().to_list() if "/" in p}
    parts = records.partition_by("source", "project", as_dict=True)
    local: dict[tuple, dict[str, str | None]] = {}  # built for the parts that make references
    has_refs = pl.lit(False)
    if "duplicate_of" in columns:
        has_refs = has_refs | pl.col("duplicate_of").is_not_null()
    if "links" in columns:
        has_refs = has_refs | (pl.col("links").list.len() > 0)
    edges = []
    for row in (
        records.filter(has_refs)
        .select("record_id", "source", "project", *columns)
        .iter_rows(named=True)
    ):
        refs = [
            *([row["duplicate_of"]] if row.get("duplicate_of") else []),
            *(row.get("links") or []),
        ]
        key = (row["source"], row["project"])
        if key not in local:
            local[key] = build_index(parts[key])
        own = local[key]
        for ref in refs:
            target = resolve(ref, own, repos) or resolve(ref, everywhere, repos)
            if target and target != row["record_id"]:
                edges.append((row["record_id"], target))
    return edges


def _hash_splits(pairs: pl.DataFrame, cfg: PairsConfig) -> dict[str, str]:
    """Return group -> split for the groups not in train, by a seeded quota walk.

    Each group gets a hash point (``hash_point(group, seed)``), which depends on nothing but its
    own id. Validation: walk the groups by ascending point and take a group while at least one
    task it holds is still below its target (``validation_fraction`` of the task's pairs) and
    taking it pushes no task it holds above target + ``tolerance``; a task stops taking groups
    once it reaches its target. A task too small for its tolerance band to hold a whole number
    of pairs (6 pairs at 10% +- 5%: 0.3 to 0.9) may overshoot the band when that brings it
    closer to its target (one pair of six), so that small tasks still get evaluated. Test (when
    ``test_fraction`` > 0): the same walk over the remaining groups by descending point. A task
    left outside the tolerance (too few pairs, or too few groups small enough to fit) is
    flagged ``within_tolerance: false`` in the stats.

    Stability: a group's point never changes unless its id does (two groups merged by a new
    link, or a new smaller record id in it). The walk takes roughly the groups with the lowest
    points, so an added group moves only groups near the quota boundary: if its point falls
    past the boundary nothing moves; if before, it takes the quota of about as many pairs as it
    has, which pushes that many boundary groups back to train.
    """
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for group, task, n in pairs.group_by("group", "task").len().iter_rows():
        counts[group][task] = n
    totals = dict(pairs.group_by("task").len().iter_rows())
    order = sorted(counts, key=lambda g: (hash_point(g, cfg.seed), g))
    tolerance = cfg.split.tolerance
    chosen = dict.fromkeys(
        _quota_walk(order, counts, totals, cfg.validation_fraction, tolerance), "validation"
    )
    if cfg.test_fraction > 0:
        rest = [g for g in reversed(order) if g not in chosen]
        chosen |= dict.fromkeys(
            _quota_walk(rest, counts, totals, cfg.test_fraction, tolerance), "test"
        )
    return chosen


def _quota_walk(
    order: list[str],
    counts: dict[str, dict[str, int]],
    totals: dict[str, int],
    fraction: float,
    tolerance: float,
) -> list[str]:
    """Return the groups of ``order`` taken while their tasks need pairs and stay in bounds."""
    target = {t: fraction * n for t, n in totals.items()}
    upper = {t: (fraction + tolerance) * n for t, n in totals.items()}
    # no whole count of pairs lies within target +- tolerance
    tiny = {t for t, n in totals.items() if math.floor(upper[t]) < (fraction - tolerance) * n}
    filled: dict[str, int] = dict.fromkeys(totals, 0)

    def fits(task: str, n: int) -> bool:
        after = filled[task] + n
        closer = abs(after - target[task]) < abs(filled[task] - target[task])
        return after <= upper[task] or (task in tiny and closer)

    open_tasks = {t for t in totals if target[t] > 0}
    taken = []
    for group in order:
        if not open_tasks:
            break
        held = counts[group]
        if not open_tasks.intersection(held):
            continue
        if not all(fits(t, n) for t, n in held.items()):
            continue
        taken.append(group)
        for t, n in held.items():
            filled[t] += n
            if filled[t] >= target[t]:
                open_tasks.discard(t)
    return taken


def _time_splits(
    pairs: pl.DataFrame, records: pl.DataFrame, group_of: dict[str, str], cfg: PairsConfig
) -> dict[str, str]:
    """Return group -> ``validation`` for groups whose latest record is on/after the cutoff."""
    if cfg.test_fraction > 0:
        log.warning("pairs.split.mode time: test_fraction %s ignored", cfg.test_fraction)
    if cfg.split.cutoff is None:
        raise ValueError("pairs.split.cutoff: required when mode is time (YYYY-MM-DD)")
    day = date.fromisoformat(cfg.split.cutoff)
    cutoff = datetime(day.year, day.month, day.day, tzinfo=UTC)
    when = pl.max_horizontal("created_at", "released_at")
    if "updated_at" in records.columns:
        when = when.fill_null(pl.col("updated_at"))
    latest = (
        records.select(
            pl.col("record_id").replace_strict(group_of, default=None).alias("group"),
            when.alias("when"),
        )
        .group_by("group")
        .agg(pl.col("when").max())
        .filter(pl.col("when") >= cutoff)
    )
    return dict.fromkeys(latest["group"].drop_nulls().to_list(), "validation")


def _project_splits(
    pairs: pl.DataFrame, records: pl.DataFrame, group_of: dict[str, str], cfg: PairsConfig
) -> dict[str, str]:
    """Return group -> ``validation`` for groups holding a record of a held-out project."""
    if cfg.test_fraction > 0:
        log.warning("pairs.split.mode project: test_fraction %s ignored", cfg.test_fraction)
    held = records.filter(pl.col("project").is_in(cfg.split.holdout_projects))["record_id"]
    return {group_of[rid]: "validation" for rid in held.to_list() if rid in group_of}


def _stats(pairs: pl.DataFrame, cfg: PairsConfig) -> dict:
    """Return the split stats (see ``assign_splits``)."""
    sizes = pairs.group_by("group").len()
    return {
        "mode": cfg.split.mode,
        "groups": sizes.height,
        "largest_group": int(sizes["len"].max()),
        "tasks": task_shares(pairs, cfg),
    }


def task_shares(pairs: pl.DataFrame, cfg: PairsConfig) -> dict[str, dict]:
    """Return per task the pairs in each split, the validation and test shares, and (mode
    ``hash``) whether both are within ``split.tolerance`` of the configured fractions."""
    tasks = {}
    for task, frame in sorted(pairs.partition_by("task", as_dict=True).items()):
        n = frame.height
        by_split = dict(frame.group_by("split").len().iter_rows())
        entry: dict = {s: by_split.get(s, 0) for s in SPLIT_ORDER}
        entry["validation_share"] = round(entry["validation"] / n, 4)
        entry["test_share"] = round(entry["test"] / n, 4)
        within = None
        if cfg.split.mode == "hash":
            slack = cfg.split.tolerance + 1e-9
            within = (
                abs(entry["validation"] / n - cfg.validation_fraction) <= slack
                and abs(entry["test"] / n - cfg.test_fraction) <= slack
            )
        entry["within_tolerance"] = within
        tasks[task[0]] = entry
    return tasks
