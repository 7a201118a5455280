"""Print the near-duplicate engine's speed, memory and accuracy, and two anchors' speed.

Usage: python benchmarks/dedup.py [--sizes 100000,1000000] [--no-anchors] [--sample 2000]

For each size, a tracker-like corpus from ``corpus.py`` (about 150 words of body, a tenth of the
records re-filed copies of an earlier one) is written once to a cache folder
($DATAPREP_BENCH_CACHE, default /tmp/dataprep-bench) and deduplicated in a subprocess, so the
peak RSS printed is that size's own. Printed per size: wall time and its split (signatures, LSH
bucketing and screen, shingle sets of candidate documents, exact Jaccard, components), records/s,
CPU seconds, peak RSS, then precision and recall of the pairs found against exact Jaccard
computed by brute force (all pairs of a random sample of documents, plus all pairs within every
family of planted copies). At the smallest size the same pairs are also scored with
datasketch's default bands and rows.

The anchors run on the 100k corpus, each in its own subprocess: the plain datasketch recipe (a
``MinHash`` per document with ``update_batch``, then ``MinHashLSH`` insert and query) and rensa
(``RMinHash.from_token_sets``, ``RMinHashLSH``); both keep a candidate pair when the MinHash
estimate reaches the threshold. Their time includes making shingles in Python, as their users
do. dataprep's throughput is printed as a ratio to each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl
import scipy.sparse as sp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import records, titles_bodies  # noqa: E402

from dataprep.dedup.lsh import clusters, lsh_params, near_duplicates  # noqa: E402
from dataprep.dedup.minhash import normalize  # noqa: E402

THRESHOLD, NUM_PERM, SEED, N = 0.7, 128, 1, 3
ANCHOR_SIZE = 100_000
DATASKETCH_DEFAULT = (14, 9)  # datasketch.lsh._optimal_param(0.7, 128, 0.5, 0.5)
RENSA_BANDS = 16  # rensa needs bands dividing num_perm; 16 x 8 is the closest to ours


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--no-anchors", action="store_true")
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--anchor", choices=["datasketch", "rensa"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_dataprep(args.child, args.sample)
    if args.anchor:
        return run_anchor(args.anchor, args.sample)

    sizes = [int(s) for s in args.sizes.split(",")]
    check_corpus_agrees_with_records()
    results = {}
    for n in sizes:
        corpus_path(n)
        results[n] = child([f"--child={n}", f"--sample={args.sample}"])
    if args.no_anchors:
        return
    corpus_path(ANCHOR_SIZE)
    ours = results.get(ANCHOR_SIZE) or child([f"--child={ANCHOR_SIZE}", "--sample=0"])
    for name in ("datasketch", "rensa"):
        theirs = child([f"--anchor={name}", f"--sample={args.sample}"])
        ratio = theirs["seconds"] / ours["seconds"]
        print(f"== dataprep vs {name} on {ANCHOR_SIZE:,}: {ratio:.1f}x the throughput\n")


def child(argv: list[str]) -> dict:
    """Run this script in a subprocess, relay its output, return its RESULT line."""
    proc = subprocess.run(
        [sys.executable, __file__, *argv], capture_output=True, text=True, check=False
    )
    result = {}
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            result = json.loads(line[len("RESULT ") :])
        else:
            print(line, flush=True)
    if proc.returncode != 0:
        sys.exit(f"{argv}: failed\n{proc.stderr[-3000:]}")
    return result


def cache_dir() -> Path:
    path = Path(os.environ.get("DATAPREP_BENCH_CACHE", "/tmp/dataprep-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def corpus_path(n: int) -> Path:
    """Return the cached corpus of ``n`` records (text = title + body, copy_of), making it once."""
    path = cache_dir() / f"dedup-{n}-seed7.parquet"
    if not path.exists():
        start = time.perf_counter()
        titles, bodies, copy_of = titles_bodies(n, seed=7)
        frame = pl.DataFrame({"title": titles, "body": bodies, "copy_of": copy_of})
        del titles, bodies
        frame.select(
            pl.concat_str("title", "body", separator=" ").alias("text"), pl.col("copy_of")
        ).write_parquet(path)
        print(f"corpus {n:,}: generated in {time.perf_counter() - start:.0f} s -> {path}")
    return path


def check_corpus_agrees_with_records() -> None:
    rows = records(2000, seed=7)
    titles, bodies, _ = titles_bodies(2000, seed=7)
    if [r["title"] for r in rows] != titles or [r["body"] for r in rows] != bodies:
        sys.exit("corpus.titles_bodies no longer matches corpus.records; update it")


def peak_rss_mb() -> float:
    """Return this process's peak RSS. VmHWM, not ru_maxrss: on Linux a child inherits its
    parent's ru_maxrss at fork, so the corpus generated in the parent would show up here."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load(n: int) -> tuple[pl.Series, np.ndarray]:
    frame = pl.read_parquet(corpus_path(n))
    return frame["text"], frame["copy_of"].to_numpy()


# ---- dataprep --------------------------------------------------------------------------------


def run_dataprep(n: int, sample: int) -> None:
    texts, copy_of = load(n)
    rss_loaded = peak_rss_mb()
    start = time.perf_counter()
    near_duplicates(texts.head(2000), THRESHOLD, NUM_PERM, SEED, N)  # load compiled kernels
    warm = time.perf_counter() - start
    bands, rows = lsh_params(THRESHOLD, NUM_PERM)
    timings: dict[str, float] = {}
    cpu0, start = cpu_seconds(), time.perf_counter()
    pairs, labels = near_duplicates(texts, THRESHOLD, NUM_PERM, SEED, N, timings=timings)
    took, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
    steps = ", ".join(
        f"{k} {v:.1f}" for k, v in timings.items() if k not in ("screened_pairs", "involved_docs")
    )
    print(f"== dataprep, {n:,} records (threshold {THRESHOLD}, {bands} bands x {rows} rows)")
    print(
        f"wall {took:.1f} s ({steps}), {n / took:,.0f} records/s, CPU {cpu:.1f} s, "
        f"kernel load {warm:.1f} s"
    )
    print(
        f"peak RSS {peak_rss_mb():,.0f} MB (texts loaded: {rss_loaded:,.0f} MB); "
        f"{timings['screened_pairs']:,} candidate pairs after the screen, "
        f"{pairs.height:,} verified, {n - len(np.unique(labels)):,} records removed"
    )
    if sample:
        truth = ground_truth(texts, copy_of, sample)
        report_accuracy("dataprep", pairs, labels, truth, texts)
        if n <= ANCHOR_SIZE:
            pairs_ds, labels_ds = near_duplicates(
                texts, THRESHOLD, NUM_PERM, SEED, N, bands_rows=DATASKETCH_DEFAULT
            )
            report_accuracy(
                f"same engine, datasketch's default {DATASKETCH_DEFAULT[0]} bands x "
                f"{DATASKETCH_DEFAULT[1]} rows",
                pairs_ds,
                labels_ds,
                truth,
                None,
            )
    print()
    print("RESULT " + json.dumps({"seconds": took, "rss_mb": peak_rss_mb()}))


# ---- anchors ---------------------------------------------------------------------------------


def python_shingles(texts: pl.Series) -> list[list[str]]:
    """Word 3-gram shingles made in Python, the way the anchors' users make them."""
    out = []
    for text in normalize(texts).to_list():
        words = text.split()
        out.append(list({" ".join(words[i : i + N]) for i in range(len(words) - N + 1)}))
    return out


def run_anchor(name: str, sample: int) -> None:
    texts, copy_of = load(ANCHOR_SIZE)
    start = time.perf_counter()
    shingles = python_shingles(texts)
    made = time.perf_counter() - start
    if name == "datasketch":
        from datasketch import MinHash, MinHashLSH

        lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
        sketches = []
        for i, doc in enumerate(shingles):
            mh = MinHash(num_perm=NUM_PERM, seed=SEED)
            mh.update_batch([s.encode() for s in doc])
            sketches.append(mh)
            if doc:
                lsh.insert(i, mh)
        found = []
        for i, mh in enumerate(sketches):
            if shingles[i]:
                found.extend((i, j) for j in lsh.query(mh) if j > i)
        setup = f"MinHashLSH {lsh.b} bands x {lsh.r} rows"
    else:
        from rensa import RMinHash, RMinHashLSH

        sketches = RMinHash.from_token_sets(shingles, num_perm=NUM_PERM, seed=SEED)
        lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
        keep = [i for i, doc in enumerate(shingles) if doc]
        for i in keep:
            lsh.insert(i, sketches[i])
        found = []
        for i in keep:
            found.extend((i, j) for j in lsh.query(sketches[i]) if j > i)
        setup = f"RMinHashLSH {RENSA_BANDS} bands"
    kept = [(i, j) for i, j in found if sketches[i].jaccard(sketches[j]) >= THRESHOLD]
    took = time.perf_counter() - start
    print(f"== anchor {name}, {ANCHOR_SIZE:,} records ({setup})")
    print(
        f"wall {took:.1f} s (Python shingles {made:.1f} s), {ANCHOR_SIZE / took:,.0f} records/s, "
        f"peak RSS {peak_rss_mb():,.0f} MB; {len(found):,} candidates, {len(kept):,} kept"
    )
    if sample:
        pairs = pl.DataFrame(kept or None, schema={"a": pl.UInt32, "b": pl.UInt32}, orient="row")
        labels = clusters(len(texts), pairs)
        report_accuracy(name, pairs, labels, ground_truth(texts, copy_of, sample), None)
    print()
    print("RESULT " + json.dumps({"seconds": took, "rss_mb": peak_rss_mb()}))


# ---- accuracy --------------------------------------------------------------------------------


def shingle_strings(text: str) -> set[str]:
    words = text.split()
    return {" ".join(words[i : i + N]) for i in range(len(words) - N + 1)}


def ground_truth(texts: pl.Series, copy_of: np.ndarray, sample: int) -> dict:
    """Exact Jaccard by brute force on the evaluated pairs: all pairs of a random sample of
    ``sample`` documents, and all pairs within each family of planted copies."""
    rng = random.Random(0)
    docs = sorted(rng.sample(range(len(texts)), min(sample, len(texts))))
    family = np.arange(len(copy_of))
    for i, base in enumerate(copy_of):
        if base >= 0:
            family[i] = family[base]
    members: dict[int, list[int]] = {}
    for i, root in enumerate(family):
        members.setdefault(int(root), []).append(i)
    pairs = {(a, b) for group in members.values() if len(group) > 1
             for k, a in enumerate(group) for b in group[k + 1 :]}  # fmt: skip
    involved = sorted(set(docs) | {i for pair in pairs for i in pair})
    norm = normalize(texts.gather(involved)).to_list()
    sets = dict(zip(involved, (shingle_strings(t) for t in norm), strict=True))
    truth = {pair: jaccard(sets[pair[0]], sets[pair[1]]) for pair in pairs}
    truth.update(sample_all_pairs(docs, sets))
    return truth


def sample_all_pairs(docs: list[int], sets: dict[int, set[str]]) -> dict:
    """Return exact Jaccard of every pair of ``docs`` via a sparse product of shingle sets."""
    vocab: dict[str, int] = {}
    rows, cols = [], []
    for r, d in enumerate(docs):
        for s in sets[d]:
            rows.append(r)
            cols.append(vocab.setdefault(s, len(vocab)))
    x = sp.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), (len(docs), len(vocab)))
    inter = (x @ x.T).toarray()
    size = np.asarray(x.sum(axis=1)).ravel()
    union = size[:, None] + size[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        sim = np.where(union > 0, inter / union, 0.0)
    a, b = np.triu_indices(len(docs), 1)
    ids = np.array(docs)
    return dict(zip(zip(ids[a].tolist(), ids[b].tolist(), strict=True), sim[a, b].tolist(),
                    strict=True))  # fmt: skip


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def recheck(a: str, b: str) -> float:
    """Exact Jaccard of two normalised texts; texts too short for shingles match if equal."""
    x, y = shingle_strings(a), shingle_strings(b)
    if not x and not y:
        return 1.0 if a == b and a else 0.0
    return jaccard(x, y)


def report_accuracy(
    name: str, pairs: pl.DataFrame, labels: np.ndarray, truth: dict, texts: pl.Series | None
) -> None:
    """Print precision and recall of found pairs (and of same-cluster pairs) on the truth."""
    found = set(zip(pairs["a"].to_list(), pairs["b"].to_list(), strict=True))
    positives = [p for p, j in truth.items() if j >= THRESHOLD]
    hit = [p in found for p in positives]
    same = [labels[a] == labels[b] for a, b in positives]
    predicted = [p for p in truth if p in found]
    precise = sum(truth[p] >= THRESHOLD for p in predicted)
    in_cluster = [p for p in truth if labels[p[0]] == labels[p[1]]]
    print(
        f"accuracy ({name}): {len(truth):,} evaluated pairs, {len(positives):,} at or above "
        f"{THRESHOLD}: pair recall {np.mean(hit):.4f}, pair precision "
        f"{precise / max(len(predicted), 1):.4f}; same-cluster recall {np.mean(same):.4f}, "
        f"same-cluster precision "
        f"{sum(truth[p] >= THRESHOLD for p in in_cluster) / max(len(in_cluster), 1):.4f}"
    )
    bands = [(0.7, 0.75), (0.75, 0.8), (0.8, 0.9), (0.9, 1.01)]
    parts = []
    for lo, hi in bands:
        sel = [h for p, h in zip(positives, hit, strict=True) if lo <= truth[p] < hi]
        parts.append(f"[{lo}, {min(hi, 1.0)}): {np.mean(sel) if sel else float('nan'):.3f} "
                     f"of {len(sel)}")  # fmt: skip
    print("  pair recall by true jaccard: " + "; ".join(parts))
    if texts is not None:
        # Every pair found, not just those sampled: its exact Jaccard recomputed from strings.
        wanted = sorted({i for p in found for i in p})
        norm = dict(zip(wanted, normalize(texts.gather(wanted)).to_list(), strict=True))
        below = sum(recheck(norm[a], norm[b]) < THRESHOLD for a, b in found)
        print(f"  all {len(found):,} pairs found rechecked from strings: {below} below threshold")


if __name__ == "__main__":
    main()
