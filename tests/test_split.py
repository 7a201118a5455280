"""Leak-free splits: groups of linked records never straddle two splits; shares per task."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from dataprep.config import PairsConfig, SplitConfig
from dataprep.pairs.split import assign_splits, record_groups
from dataprep.schema import PAIR_SCHEMA, records_frame

from .conftest import T0, issue

STAGE_COLUMNS = {
    "linked_records": pl.List(pl.String),
    "same_as": pl.List(pl.String),
    "dup_cluster": pl.String,
}


def frame(rows: list[dict]) -> pl.DataFrame:
    """Return records with the link and dedup stage columns (missing: empty or null)."""
    base = records_frame([{k: v for k, v in r.items() if k not in STAGE_COLUMNS} for r in rows])
    return base.with_columns(
        pl.Series(name, [r.get(name, [] if dtype != pl.String else None) for r in rows], dtype)
        for name, dtype in STAGE_COLUMNS.items()
    )


def pair_frame(items: list[tuple[str, list[str]]]) -> pl.DataFrame:
    """Return pairs (task, record ids) with placeholder messages and no split."""
    rows = [
        {
            "pair_id": f"p{i:05d}",
            "task": task,
            "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
            "record_ids": ids,
            "sources": sorted({rid.split(":")[0] for rid in ids}),
            "split": None,
            "lang": "en",
            "tokens": 10,
        }
        for i, (task, ids) in enumerate(items)
    ]
    return pl.DataFrame(rows, schema=PAIR_SCHEMA)


def realistic(seed: int, n_issues: int = 300) -> tuple[pl.DataFrame, pl.DataFrame, list]:
    """Return (records, pairs, edges): Jira issues with links, GitHub issues in two repos (so
    ``#N`` is ambiguous across them) with ``links`` and ``duplicate_of``, Jira<->GitHub
    mirrors, duplicate clusters, releases linking issues; pairs of five tasks, some naming two
    records. Links stay between issues filed close together, as in a tracker, so groups stay
    small. ``edges`` are the connections the generator made, to check groups independently."""
    rng = random.Random(seed)
    rows, edges = [], []
    jira = [f"jira:ACME-{i}" for i in range(n_issues)]
    repos: dict[str, list[str]] = {"acme/widgets": [], "acme/gadgets": []}
    for rid in jira:
        rows.append(issue(rid, f"Issue {rid}", "Body text here.", created_at=T0))
    for repo, ids in repos.items():
        for n in range(1, n_issues // 4):
            rid = f"github:{repo}#{n}"
            ids.append(rid)
            rows.append(issue(rid, f"GH {rid}", "Body.", project=repo, key=f"#{n}"))
    by_id = {r["record_id"]: r for r in rows}

    def near(ids: list[str]) -> tuple[str, str]:
        i = rng.randrange(len(ids) - 6)
        return ids[i], ids[i + rng.randint(1, 5)]

    for _ in range(n_issues // 10):  # Jira links, resolved by the link stage
        a, b = near(jira)
        by_id[a].setdefault("linked_records", []).append(b)
        by_id[a].setdefault("links", []).append(b.split(":")[1])
        edges.append((a, b))
    for ids in repos.values():  # "#N" in links and duplicate_of resolves within the repo
        for _ in range(len(ids) // 10):
            a, b = near(ids)
            by_id[a].setdefault("links", []).append(by_id[b]["key"])
            edges.append((a, b))
            a, b = near(ids)
            by_id[a].update(is_duplicate=True, duplicate_of=by_id[b]["key"])
            edges.append((a, b))
    for _ in range(n_issues // 20):  # mirrors
        a, b = rng.choice(jira), rng.choice(repos["acme/widgets"])
        by_id[a].setdefault("same_as", []).append(b)
        by_id[b].setdefault("same_as", []).append(a)
        edges.append((a, b))
    pool = rng.sample(jira, 3 * (n_issues // 20))
    for k in range(0, len(pool), 3):  # duplicate clusters, named by the survivor
        for m in pool[k : k + 3]:
            by_id[m]["dup_cluster"] = pool[k]
            edges.append((pool[k], m))
    releases = []
    for v in range(n_issues // 30):
        rid = f"changelog:acme@1.{v}.0"
        issues = jira[30 * v : 30 * v + 4]
        rows.append(
            issue(rid, f"1.{v}.0", None, kind="release", project="acme", key=f"1.{v}.0")
            | {"linked_records": issues}
        )
        releases.append((rid, issues))
        edges += [(rid, i) for i in issues]
    items = []
    for rid in jira + repos["acme/widgets"] + repos["acme/gadgets"]:
        items.append(("issue_to_title", [rid]))
        if rng.random() < 0.6:
            items.append(("triage", [rid]))
    for _ in range(n_issues // 5):
        a, b = near(jira)
        items.append(("duplicate_check", [a, b]))
        edges.append((a, b))
    for rid, issues in releases:
        items.append(("release_qa", [rid]))
        items += [("issue_to_changelog_entry", [i, rid]) for i in issues]
    return frame(rows), pair_frame(items), edges


def components(edges: list[tuple[str, str]], pairs: pl.DataFrame) -> dict[str, str]:
    """Return record -> component root, by a plain union-find written for the test."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    together = [(ids[0], i) for ids in pairs["record_ids"].to_list() for i in ids[1:]]
    for a, b in [*edges, *together]:
        parent[find(a)] = find(b)
    return {x: find(x) for x in list(parent)}


@pytest.mark.parametrize("seed", range(5))
def test_no_group_of_linked_records_straddles_two_splits(seed):
    records, pairs, edges = realistic(seed)
    cfg = PairsConfig(validation_fraction=0.15, test_fraction=0.1, seed=seed)
    out, _ = assign_splits(pairs, records, cfg)
    root = components(edges, pairs)
    splits_of_component: dict[str, set[str]] = {}
    for ids, split in out.select("record_ids", "split").iter_rows():
        for rid in ids:
            splits_of_component.setdefault(root.get(rid, rid), set()).add(split)
    assert max(len(s) for s in splits_of_component.values()) == 1
    assert set(out["split"]) == {"train", "validation", "test"}
    assert out.group_by("group").agg(pl.col("split").n_unique())["split"].max() == 1


def test_group_is_named_by_its_smallest_record_id_and_joins_every_relation():
    records = frame(
        [
            issue("jira:A-2", "t", "b", links=["A-3"], linked_records=["jira:A-3"]),
            issue("jira:A-3", "t", "b"),
            issue("jira:A-4", "t", "b", dup_cluster="jira:A-5"),
            issue("jira:A-5", "t", "b", dup_cluster="jira:A-5"),
            issue("github:o/a#1", "t", "b", project="o/a", key="#1", same_as=["jira:A-6"]),
            issue("jira:A-6", "t", "b", same_as=["github:o/a#1"]),
            issue("github:o/a#2", "t", "b", project="o/a", key="#2", duplicate_of="#3"),
            issue("github:o/a#3", "t", "b", project="o/a", key="#3"),
            issue("github:o/b#3", "t", "b", project="o/b", key="#3"),
            issue("jira:A-7", "t", "b"),
        ]
    )
    pairs = pair_frame([("duplicate_check", ["jira:A-7", "jira:A-4"])])
    assert record_groups(pairs, records) == {
        "jira:A-2": "jira:A-2",
        "jira:A-3": "jira:A-2",
        "jira:A-4": "jira:A-4",
        "jira:A-5": "jira:A-4",
        "jira:A-7": "jira:A-4",
        "github:o/a#1": "github:o/a#1",
        "jira:A-6": "github:o/a#1",
        "github:o/a#2": "github:o/a#2",
        "github:o/a#3": "github:o/a#2",
        "github:o/b#3": "github:o/b#3",
    }


def test_same_inputs_in_any_order_give_the_same_splits():
    records, pairs, _ = realistic(7)
    cfg = PairsConfig(validation_fraction=0.1, test_fraction=0.05)
    a, stats_a = assign_splits(pairs, records, cfg)
    b, stats_b = assign_splits(pairs.reverse(), records.sample(fraction=1.0, shuffle=True), cfg)
    assert a.sort("pair_id").equals(b.sort("pair_id"))
    assert stats_a == stats_b
    c, _ = assign_splits(pairs, records, PairsConfig(validation_fraction=0.1, seed=1))
    assert not a.sort("pair_id")["split"].equals(c.sort("pair_id")["split"])


def test_each_task_meets_its_shares_within_tolerance():
    records, pairs, _ = realistic(3, n_issues=800)
    assert 1800 <= pairs.height <= 2600
    cfg = PairsConfig(validation_fraction=0.1, test_fraction=0.1, split=SplitConfig(tolerance=0.03))
    out, stats = assign_splits(pairs, records, cfg)
    for task, entry in stats["tasks"].items():
        n = out.filter(pl.col("task") == task).height
        assert entry["train"] + entry["validation"] + entry["test"] == n
        assert abs(entry["validation"] / n - 0.1) <= 0.03, task
        assert abs(entry["test"] / n - 0.1) <= 0.03, task
        assert entry["within_tolerance"] is True
    assert stats["groups"] == out["group"].n_unique()


def test_small_tasks_get_one_pair_when_closer_to_target_and_are_flagged():
    records = frame([issue(f"jira:A-{i}", "t", "b") for i in range(40)])
    pairs = pair_frame(
        [("issue_to_title", [f"jira:A-{i}"]) for i in range(40)]
        + [("release_qa", [f"jira:A-{i}"]) for i in range(2)]  # 1 of 2 is further than 0
        + [("question_to_answer", [f"jira:A-{i}"]) for i in range(10, 16)]  # 1 of 6 is closer
    )
    _, stats = assign_splits(pairs, records, PairsConfig(validation_fraction=0.1))
    tasks = stats["tasks"]
    assert tasks["issue_to_title"]["within_tolerance"] is True
    assert (tasks["release_qa"]["validation"], tasks["release_qa"]["within_tolerance"]) == (
        0,
        False,
    )
    assert tasks["question_to_answer"]["validation"] == 1
    assert tasks["question_to_answer"]["within_tolerance"] is False


@pytest.mark.parametrize(
    ("new_id", "lands_in"),
    [("jira:ZZZ-11", "validation"), ("jira:ZZZ-1", "train"), ("jira:ZZZ-0", "test")],
)
def test_adding_one_unrelated_record_moves_at_most_a_few_pairs(new_id, lands_in):
    records, pairs, _ = realistic(5, n_issues=600)
    cfg = PairsConfig(validation_fraction=0.1, test_fraction=0.1)
    before, _ = assign_splits(pairs, records, cfg)
    extra = frame([issue(new_id, "New", "A new, unrelated issue.")])
    new_pair = pair_frame([("issue_to_title", [new_id])]).with_columns(pair_id=pl.lit("new"))
    after, _ = assign_splits(pl.concat([pairs, new_pair]), pl.concat([records, extra]), cfg)
    joined = before.join(after, on="pair_id", suffix="_after")
    moved = joined.filter(pl.col("split") != pl.col("split_after")).height
    assert joined.height == pairs.height > 1500
    assert after.filter(pl.col("pair_id") == "new")["split"].to_list() == [lands_in]
    assert moved <= 3


def dated(record_id: str, day: int, **fields) -> dict:
    return issue(record_id, "t", "b", created_at=T0 + timedelta(days=day), **fields)


def test_time_mode_puts_groups_whose_latest_record_is_after_the_cutoff_in_validation():
    cutoff = (T0 + timedelta(days=10)).date().isoformat()
    records = frame(
        [
            dated("jira:A-1", 0),
            dated("jira:A-2", 10),
            dated("jira:A-3", 1, linked_records=["jira:A-4"]),
            dated("jira:A-4", 2),
            issue(
                "changelog:acme@2.0",
                "2.0",
                None,
                kind="release",
                created_at=None,
                released_at=T0 + timedelta(days=30),
                linked_records=["jira:A-4"],
            ),
            dated("jira:A-5", 3, updated_at=T0 + timedelta(days=50)),
            issue("jira:A-6", "t", "b", created_at=None, updated_at=T0 + timedelta(days=40)),
        ]
    )
    pairs = pair_frame([("triage", [f"jira:A-{i}"]) for i in range(1, 7)])
    cfg = PairsConfig(test_fraction=0.1, split=SplitConfig(mode="time", cutoff=cutoff))
    out, stats = assign_splits(pairs, records, cfg)
    assert out["split"].to_list() == [
        "train",  # day 0
        "validation",  # day 10, the cutoff day
        "validation",  # day 1, but linked to A-4, which a release of day 30 names
        "validation",
        "train",  # created day 3; updated_at is only the fallback
        "validation",  # no created_at: updated day 40
    ]
    assert stats["tasks"]["triage"]["test"] == 0
    assert stats["tasks"]["triage"]["within_tolerance"] is None


def test_project_mode_holds_out_whole_groups_even_when_they_span_projects():
    records = frame(
        [
            issue("jira:A-1", "t", "b", same_as=["github:o/held#1"]),
            issue("github:o/held#1", "t", "b", project="o/held", key="#1", same_as=["jira:A-1"]),
            issue("github:o/held#2", "t", "b", project="o/held", key="#2"),
            issue("jira:A-2", "t", "b"),
            issue("jira:A-3", "t", "b", dup_cluster="jira:A-3"),
        ]
    )
    pairs = pair_frame(
        [
            ("triage", ["jira:A-1"]),
            ("triage", ["github:o/held#2"]),
            ("triage", ["jira:A-2"]),
            ("duplicate_check", ["jira:A-3", "jira:A-2"]),
        ]
    )
    cfg = PairsConfig(split=SplitConfig(mode="project", holdout_projects=["o/held"]))
    out, _ = assign_splits(pairs, records, cfg)
    assert out["split"].to_list() == ["validation", "validation", "train", "train"]
    assert out["group"].to_list() == ["github:o/held#1", "github:o/held#2", "jira:A-2", "jira:A-2"]


def test_no_pairs_give_an_empty_frame_and_zero_groups():
    out, stats = assign_splits(pair_frame([]), frame([issue("jira:A-1", "t", "b")]), PairsConfig())
    assert out.is_empty()
    assert stats["groups"] == 0


def test_cutoff_is_a_utc_day():
    records = frame([dated("jira:A-1", 0), issue("jira:A-2", "t", "b", created_at=_late())])
    pairs = pair_frame([("triage", ["jira:A-1"]), ("triage", ["jira:A-2"])])
    cfg = PairsConfig(split=SplitConfig(mode="time", cutoff="2024-03-02"))
    out, _ = assign_splits(pairs, records, cfg)
    assert out["split"].to_list() == ["train", "validation"]


def _late() -> datetime:
    return datetime(2024, 3, 2, 0, 0, tzinfo=UTC)
