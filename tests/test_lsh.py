"""LSH candidates, exact verification and clusters of near-duplicate tracker texts."""

from __future__ import annotations

import random

import numpy as np
import polars as pl
import pytest
from datasketch.lsh import _optimal_param

from dataprep.dedup.lsh import (
    candidate_pairs,
    candidate_probability,
    clusters,
    lsh_params,
    near_duplicates,
    screen,
    screen_cutoff,
    verify,
)
from dataprep.dedup.minhash import normalize, shingle_sets, signatures

COMPONENTS = [
    "CSV export",
    "login page",
    "webhook sender",
    "search index",
    "PDF renderer",
    "billing job",
    "audit log",
    "SSO bridge",
    "upload worker",
    "settings page",
]
SYMPTOMS = [
    "times out after {n} seconds",
    "returns HTTP 500",
    "shows a blank screen",
    "drops the second change",
    "keeps the old value",
    "uses {n} MB more every hour",
    "sends the e-mail twice",
    "sorts lower-case names last",
]
CONTEXT = [
    "since the upgrade to v{v}",
    "only for accounts created before v{v}",
    "when the input has more than {n} rows",
    "on Safari {v} but not on Firefox",
    "after the nightly sync at 02:{n2:02d} UTC",
    "when two people edit the same record",
]
EXTRA = [
    "Steps: open the page, click Save, wait.",
    "Workaround: restart the pod.",
    "Logs attached below, see `worker-{n2}.log`.",
    "Regression from #{n}.",
    "Customer ticket ZD-{n} is blocked by this.",
    "Happens in staging and production.",
]


def issue(rng: random.Random) -> str:
    """An issue title + body of about 60 words, the way a bug report is filed."""
    parts = []
    for _ in range(4):
        fill = {"n": rng.randint(2, 9999), "v": f"{rng.randint(1, 9)}.{rng.randint(0, 30)}",
                "n2": rng.randint(0, 59)}  # fmt: skip
        parts.append(
            f"The {rng.choice(COMPONENTS)} {rng.choice(SYMPTOMS).format(**fill)} "
            f"{rng.choice(CONTEXT).format(**fill)}. {rng.choice(EXTRA).format(**fill)}"
        )
    return " ".join(parts)


def refile(rng: random.Random, text: str, edits: int) -> str:
    """A re-filed copy: ``edits`` words replaced or dropped, the way a reporter rewords it."""
    words = text.split(" ")
    for _ in range(edits):
        k = rng.randrange(len(words))
        if rng.random() < 0.5:
            del words[k]
        else:
            words[k] = rng.choice(["still", "again", "now", "also", "really", "sometimes"])
    return " ".join(words)


def exact_jaccard(x: str, y: str, n: int = 3) -> float:
    def grams(t: str) -> set[str]:
        w = t.split()
        return {" ".join(w[i : i + n]) for i in range(len(w) - n + 1)}

    a, b = grams(x), grams(y)
    return len(a & b) / len(a | b)


@pytest.fixture(scope="module")
def planted():
    """400 originals and 300 re-filed copies; returns (texts, {(a, b): exact jaccard})."""
    rng = random.Random(20240611)
    texts = [issue(rng) for _ in range(400)]
    truth = {}
    for _ in range(300):
        base = rng.randrange(400)
        texts.append(refile(rng, texts[base], rng.randint(1, 5)))
        truth[(base, len(texts) - 1)] = None
    norm = normalize(pl.Series(texts)).to_list()
    truth = {pair: exact_jaccard(norm[pair[0]], norm[pair[1]]) for pair in truth}
    return texts, truth


def test_planted_pairs_span_the_threshold(planted):
    _, truth = planted
    at_threshold = [j for j in truth.values() if 0.7 <= j < 0.8]
    assert len(at_threshold) >= 40  # the recall test below is about these, not easy 0.95s


def test_recall_at_the_threshold_is_at_least_95_percent(planted):
    texts, truth = planted
    pairs, _ = near_duplicates(pl.Series(texts), threshold=0.7, num_perm=128, seed=1, n=3)
    found = set(zip(pairs["a"].to_list(), pairs["b"].to_list(), strict=True))
    positives = [pair for pair, j in truth.items() if j >= 0.7]
    recall = sum(pair in found for pair in positives) / len(positives)
    assert recall >= 0.95


def test_chosen_bands_catch_more_pairs_at_the_threshold_than_datasketch_defaults():
    ours = lsh_params(0.7, 128)
    theirs = _optimal_param(0.7, 128, 0.5, 0.5)
    assert ours[0] * ours[1] <= 128
    assert theirs == (14, 9)
    assert candidate_probability(0.7, *ours) >= candidate_probability(0.7, *theirs) + 0.3


def test_no_pair_below_the_threshold_is_ever_kept(planted):
    texts, truth = planted
    pairs, _ = near_duplicates(pl.Series(texts), threshold=0.7)
    norm = normalize(pl.Series(texts)).to_list()
    for a, b, sim in pairs.iter_rows():
        assert sim == pytest.approx(exact_jaccard(norm[a], norm[b]))
        assert sim >= 0.7


def test_verify_drops_forced_candidates_below_the_threshold():
    rng = random.Random(5)
    base = issue(rng)
    texts = pl.Series(
        [
            base,
            refile(random.Random(1), base, 1),  # near-duplicate
            issue(rng),  # unrelated issue about the same components
            " ".join(base.split(" ")[: len(base.split(" ")) // 2]) + " " + issue(rng),  # half
        ]
    )
    sets = shingle_sets(texts)
    forced = pl.DataFrame(
        {"a": [0, 0, 0, 1], "b": [1, 2, 3, 3]}, schema={"a": pl.UInt32, "b": pl.UInt32}
    )
    kept = verify(forced, sets, 0.7)
    assert kept.select("a", "b").rows() == [(0, 1)]
    norm = normalize(texts).to_list()
    assert kept["similarity"][0] == pytest.approx(exact_jaccard(norm[0], norm[1]))
    assert exact_jaccard(norm[0], norm[3]) < 0.7


def test_verify_keeps_a_pair_exactly_at_the_threshold():
    # 7 shared of 10 distinct shingles: jaccard exactly 0.7.
    shared = "alpha beta gamma delta epsilon zeta eta theta iota"  # 7 trigrams
    a = shared + " kappa lambda"  # + 2 trigrams
    b = shared + " mu"  # + 1 trigram
    sets = shingle_sets(pl.Series([a, b]))
    pairs = pl.DataFrame({"a": [0], "b": [1]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    assert verify(pairs, sets, 0.7)["similarity"].to_list() == [0.7]
    assert verify(pairs, sets, 0.71).height == 0


def test_every_member_of_a_shared_bucket_is_paired():
    # Rows 0-2 share band 0, rows 3-4 share band 1, row 5 shares nothing.
    sig = np.arange(6 * 4, dtype=np.uint32).reshape(6, 4)
    sig[1, :2] = sig[2, :2] = sig[0, :2]
    sig[4, 2:] = sig[3, 2:]
    pairs = candidate_pairs(sig, bands=2, rows=2)
    assert pairs.rows() == [(0, 1), (0, 2), (1, 2), (3, 4)]


def test_a_bucket_over_the_cap_is_paired_to_its_smallest_member():
    sig = np.zeros((5, 2), dtype=np.uint32)
    pairs = candidate_pairs(sig, bands=1, rows=2, max_bucket=3)
    assert pairs.rows() == [(0, 1), (0, 2), (0, 3), (0, 4)]


def test_texts_without_shingles_are_never_candidates():
    sig = signatures(pl.Series(["Login broken", "", "???", "Login broken"]))
    assert candidate_pairs(sig, bands=16, rows=8).height == 0


def test_screen_keeps_pairs_the_threshold_allows_and_drops_chance_collisions():
    sig = np.zeros((3, 100), dtype=np.uint32)
    sig[1, :40] = 1  # agrees with row 0 on 60 positions
    sig[2, :60] = 1  # agrees with row 0 on 40 positions
    pairs = pl.DataFrame({"a": [0, 0], "b": [1, 2]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    cutoff = screen_cutoff(0.7, 100)
    assert 0.5 < cutoff < 0.6
    assert screen(pairs, sig, cutoff).rows() == [(0, 1)]


def test_chain_of_pairs_is_one_cluster():
    pairs = pl.DataFrame({"a": [0, 1], "b": [1, 2]}, schema={"a": pl.UInt32, "b": pl.UInt32})
    labels = clusters(4, pairs)
    assert labels[0] == labels[1] == labels[2]
    assert labels[3] != labels[0]


def test_short_texts_match_only_identical_normalised_text():
    texts = pl.Series(["Login broken", "login -- BROKEN!", "Logout broken", "", "", None, "x"])
    pairs, labels = near_duplicates(texts, threshold=0.7)
    assert pairs.rows() == [(0, 1, 1.0)]
    assert labels[0] == labels[1]
    assert len(set(labels[2:].tolist())) == 5  # empty texts are not duplicates of each other


def test_near_duplicates_clusters_a_refiled_bug_with_its_original():
    rng = random.Random(11)
    base = issue(rng)
    texts = pl.Series([base, issue(rng), refile(random.Random(2), base, 1), issue(rng)])
    pairs, labels = near_duplicates(texts, threshold=0.7)
    assert pairs.select("a", "b").rows() == [(0, 2)]
    assert labels[0] == labels[2]
    assert len({labels[0], labels[1], labels[3]}) == 3
