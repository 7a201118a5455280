"""Print what the records and pairs gates cost at 100k and 1M rows, beside the stage before each.

Usage: python benchmarks/gates.py [--sizes 100000,1000000] [--skip-stage] [--each]

  --sizes       corpus sizes N (default 100000,1000000)
  --skip-stage  reuse the cached dedup and build_pairs outputs without timing those stages
  --each        also time every expectation on its own (a one-expectation suite each) at the
                smallest size

For each size N the records are N issues from ``corpus.py`` run through the clean stage (once,
cached in $DATAPREP_BENCH_CACHE, default /tmp/dataprep-bench; delete it after changing the clean
stage) and the dedup stage, so the records gate sees what a build hands it: redacted text,
``lang``, ``lang_prob``, ``quality_words`` and ``dup_cluster``, and about a tenth fewer rows than
N (the re-filed copies). The pairs are N pairs made by ``build_pairs`` from the first records
that give N (two per issue: issue_to_title and triage); only when the records cannot give N are
pairs copied under new ids to make up the rest, and the output says so.

Each stage and each gate runs in its own subprocess, so each peak RSS printed is that step's own
(the loaded inputs, printed apart, included). Printed per gate: rows; seconds of the suites run,
split into the view, the pandas conversion and GX (context, batch and the expectations); the
suite parameters, computed once per build for both suites; peak RSS; the seconds of the stage
before it (dedup for records, build_pairs for pairs) and the ratio gate / stage; then
every failed expectation and warning.

``corpus.records`` spaces issues 37 minutes apart from 2024-01-01, so past about 41,000 records
they are dated in the future and ``created_at-plausible`` fails, rightly. Before cleaning, the
dates are squeezed into 2016-2025 (order and gaps kept in proportion) so that the gates judge
plausible data.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import cached_parquet  # noqa: E402

from dataprep import validate  # noqa: E402
from dataprep.config import (  # noqa: E402
    SOURCE_TYPES,
    CleanConfig,
    Config,
    DedupConfig,
    PairsConfig,
    parse_config,
)
from dataprep.dedup import dedup  # noqa: E402
from dataprep.pairs import build_pairs  # noqa: E402
from dataprep.schema import PAIR_SCHEMA  # noqa: E402
from dataprep.text.clean import clean  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SUITES = dict(
    zip(validate.FRAMES, validate.default_suite_paths(REPO / "expectations"), strict=True)
)
LANGUAGES = ["en", "de", "fr", "es"]  # the corpus's languages
CLEAN_CHUNK = 100_000  # clean is per record; chunks bound its memory at 1M
WARM_ROWS = 2000  # records run through a stage first, untimed, to load its kernels
CORPUS_T0 = datetime(2024, 1, 1, tzinfo=UTC)  # corpus.records' first date
DATES_FROM = datetime(2016, 1, 1, tzinfo=UTC)
DATES_SPAN = timedelta(days=3650)
STAGE_OF = {"records": "dedup", "pairs": "build_pairs"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--skip-stage", action="store_true")
    parser.add_argument("--each", action="store_true")
    parser.add_argument("--prepare", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stage", choices=validate.FRAMES, help=argparse.SUPPRESS)
    parser.add_argument("--gate", choices=validate.FRAMES, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # A fixed key keeps the clean stage from warning that it uses the public default.
    os.environ.setdefault("DATAPREP_PSEUDONYM_KEY", "dataprep-benchmark")
    if args.prepare:
        return prepare(args.prepare)
    if args.stage:
        return (run_dedup if args.stage == "records" else run_build_pairs)(args.size)
    if args.gate:
        return run_gate(args.gate, args.size, args.each)

    sizes = [int(s) for s in args.sizes.split(",")]
    summary = []
    for n in sizes:
        print(f"== corpus of {n:,} issues")
        ensure_cleaned(n)
        for frame in validate.FRAMES:
            stage = stage_result(frame, n, args.skip_stage)
            each = ["--each"] if args.each and n == min(sizes) else []
            gate = child([f"--gate={frame}", f"--size={n}", *each])
            summary.append(report(frame, n, gate, stage))
        print()
    print("== summary (gate = view + to_pandas + GX; parameters apart, once per build)")
    print(f"{'corpus':>10} {'gate':<8} {'rows':>10} {'gate s':>8} {'params s':>9} "
          f"{'peak RSS MB':>12} {'stage':<12} {'stage s':>8} {'gate/stage':>10}")  # fmt: skip
    for row in summary:
        print(row)


# ---- parent ----------------------------------------------------------------------------------


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


def stage_result(frame: str, n: int, skip: bool) -> dict | None:
    """Return the timed stage before ``frame``'s gate, or None when skipped and cached."""
    output = deduped_path(n) if frame == "records" else pairs_path(n)
    if skip and output.exists():
        return None
    if skip:
        print(f"{output.name} not cached: running {STAGE_OF[frame]} to make it")
    return child([f"--stage={frame}", f"--size={n}"])


def report(frame: str, n: int, gate: dict, stage: dict | None) -> str:
    """Print one gate's figures and failures; return its summary row."""
    seconds = gate["view_s"] + gate["pandas_s"] + gate["gx_s"]
    line = (
        f"{frame} gate: {gate['rows']:,} rows in {seconds:.1f} s (view {gate['view_s']:.1f}, "
        f"to_pandas {gate['pandas_s']:.1f}, GX {gate['gx_s']:.1f}; "
        f"{gate['rows'] / seconds:,.0f} rows/s); parameters {gate['params_s']:.1f} s; "
        f"peak RSS {gate['rss_mb']:,.0f} MB (inputs loaded: {gate['rss_loaded_mb']:,.0f} MB)"
    )
    stage_s = stage["seconds"] if stage else None
    if stage:
        line += f"; {STAGE_OF[frame]} {stage_s:.1f} s, gate/stage {seconds / stage_s:.2f}x"
    print(line)
    for text in gate["failures"] or ["all error-severity expectations passed"]:
        print(f"  {text}")
    for text in gate["warnings"]:
        print(f"  {text}")
    ratio = f"{seconds / stage_s:>10.2f}" if stage else f"{'-':>10}"
    shown = f"{stage_s:>8.1f}" if stage else f"{'skipped':>8}"
    return (
        f"{n:>10,} {frame:<8} {gate['rows']:>10,} {seconds:>8.1f} {gate['params_s']:>9.1f} "
        f"{gate['rss_mb']:>12,.0f} {STAGE_OF[frame]:<12} {shown} {ratio}"
    )


# ---- cached inputs ---------------------------------------------------------------------------


def cache_dir() -> Path:
    path = Path(os.environ.get("DATAPREP_BENCH_CACHE", "/tmp/dataprep-bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cleaned_path(n: int) -> Path:
    return cache_dir() / f"gates-cleaned-{n}.parquet"


def ensure_cleaned(n: int) -> None:
    """Make the cached clean-stage output for a corpus of ``n`` unless it exists."""
    if not cleaned_path(n).exists():
        child([f"--prepare={n}"])


def deduped_path(n: int) -> Path:
    return cache_dir() / f"gates-deduped-{n}.parquet"


def pairs_path(n: int) -> Path:
    return cache_dir() / f"gates-pairs-{n}.parquet"


def write(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(f"{path}.tmp")
    os.replace(f"{path}.tmp", path)


def plausible_dates(frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame`` with its dates (comments' too) moved to start in 2016 and squeezed,
    in proportion, into ten years when they span more."""
    span = frame["updated_at"].max() - CORPUS_T0
    scale = min(1.0, DATES_SPAN / span) if span else 1.0
    t0_us = int(CORPUS_T0.timestamp() * 1e6)
    start_us = int(DATES_FROM.timestamp() * 1e6)

    def moved(when: pl.Expr) -> pl.Expr:
        offset = ((when.dt.epoch("us") - t0_us) * scale).cast(pl.Int64)
        return pl.from_epoch(offset + start_us, "us").dt.replace_time_zone("UTC")

    dated = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    return frame.with_columns(
        *(moved(pl.col(c)).alias(c) for c in dated),
        pl.col("comments").list.eval(
            pl.element().struct.with_fields(moved(pl.field("created_at")).alias("created_at"))
        ),
    )


def prepare(n: int) -> None:
    """Clean the corpus of ``n`` issues, dates made plausible, and cache the kept records."""
    start = time.perf_counter()
    corpus = plausible_dates(pl.read_parquet(cached_parquet(n)).drop("_lang"))
    cfg = CleanConfig(languages=LANGUAGES)
    kept = [clean(corpus.slice(i, CLEAN_CHUNK), cfg).kept for i in range(0, n, CLEAN_CHUNK)]
    frame = pl.concat(kept)
    write(frame, cleaned_path(n))
    print(
        f"corpus {n:,}: cleaned once in {time.perf_counter() - start:.0f} s, "
        f"{frame.height:,} records kept, peak RSS {peak_rss_mb():,.0f} MB"
    )


# ---- stages ----------------------------------------------------------------------------------


def run_dedup(n: int) -> None:
    """Time the dedup stage on the cleaned records and cache its output."""
    cleaned = pl.read_parquet(cleaned_path(n))
    loaded = peak_rss_mb()
    dedup(cleaned.head(WARM_ROWS), DedupConfig())
    start = time.perf_counter()
    kept = dedup(cleaned, DedupConfig()).kept
    took = time.perf_counter() - start
    write(kept, deduped_path(n))
    print(
        f"dedup: {cleaned.height:,} -> {kept.height:,} records in {took:.1f} s, "
        f"peak RSS {peak_rss_mb():,.0f} MB (input {loaded:,.0f} MB)"
    )
    print("RESULT " + json.dumps({"seconds": took}))


def run_build_pairs(n: int) -> None:
    """Time ``build_pairs`` on the first deduped records that give ``n`` pairs; cache ``n``.

    The stage's seconds are scaled to ``n`` pairs (it made a few more, or, when the records
    cannot give ``n``, fewer: then the rest are copies under new ids, which the output says)."""
    records = pl.read_parquet(deduped_path(n))
    loaded = peak_rss_mb()
    per_record = build_pairs(records.head(WARM_ROWS), PairsConfig()).kept.height / WARM_ROWS
    take = min(records.height, math.ceil(n / per_record * 1.01))
    start = time.perf_counter()
    built = build_pairs(records.head(take), PairsConfig()).kept
    took = time.perf_counter() - start
    pairs = built.head(n)  # sorted by pair_id, a content hash: the head is a fair sample
    note = ""
    if pairs.height < n:
        pairs = copied(pairs, n)
        note = f"; only {built.height:,} pairs from all records, the rest copies under new ids"
    write(pairs, pairs_path(n))
    print(
        f"build_pairs: {take:,} records -> {built.height:,} pairs in {took:.1f} s "
        f"({built.height / took:,.0f} pairs/s), peak RSS {peak_rss_mb():,.0f} MB "
        f"(input {loaded:,.0f} MB){note}"
    )
    print("RESULT " + json.dumps({"seconds": took * n / built.height}))


def copied(pairs: pl.DataFrame, n: int) -> pl.DataFrame:
    """Return ``n`` pairs: ``pairs`` and as many copies as needed, each with a new pair id."""
    copies = [
        pairs.with_columns(pl.col("pair_id") + f"-{k}")
        for k in range(1, math.ceil(n / pairs.height))
    ]
    return pl.concat([pairs, *copies]).head(n)


# ---- gates -----------------------------------------------------------------------------------


def run_gate(frame: str, n: int, each: bool) -> None:
    """Run one suite on the cached records or pairs of size ``n`` and print what it cost."""
    start = time.perf_counter()
    suite = validate.load_suite(SUITES[frame])  # imports GX
    gx_import = time.perf_counter() - start
    records = pl.read_parquet(deduped_path(n))
    pairs = pl.read_parquet(pairs_path(n)) if frame == "pairs" else pl.DataFrame(schema=PAIR_SCHEMA)
    loaded = peak_rss_mb()
    cfg = bench_config(records)
    start = time.perf_counter()
    # as a build hands them over: the tasks that made candidates, so no task runs again here
    # (`dataprep validate` on a manifest without expected_tasks runs every task instead)
    produced = sorted(pairs["task"].unique()) if frame == "pairs" else []
    params = validate.gate_parameters(cfg, records, pairs, expected_tasks=produced)
    params_s = time.perf_counter() - start
    frames = {"records": records, "pairs": pairs}
    results, split = timed_run(frames, suite, params)
    rss = peak_rss_mb()
    print(f"{frame} gate, {n:,} corpus: suite load and GX import {gx_import:.1f} s")
    failures = validate.describe_failures(results)
    warnings = [w for w in validate.describe_failures(results, warnings=True) if w not in failures]
    if each:
        time_each(frames, suite, params)
    result = {"rows": results[0].rows, "params_s": params_s, "rss_loaded_mb": loaded}
    result |= {"rss_mb": rss, "failures": failures, "warnings": warnings, **split}
    print("RESULT " + json.dumps(result))


def bench_config(records: pl.DataFrame) -> Config:
    """Return a config whose sources and languages are those of the benchmark records."""
    sources = [
        {"name": s, "type": s if s in SOURCE_TYPES else "generic", "path": "unused"}
        for s in sorted(records["source"].unique())
    ]
    return parse_config({"sources": sources, "clean": {"languages": LANGUAGES}})


def timed_run(
    frames: dict[str, pl.DataFrame], suite: validate.Suite, params: dict[str, Any]
) -> tuple[list[validate.GateResult], dict[str, float]]:
    """Return ``run_suites`` on one suite, and its seconds split into view, pandas and GX.

    ``run_suites`` looks the view and ``_to_pandas`` up when it calls them, so wrapping them
    here times each part without doing the work twice."""
    split = {"view_s": 0.0, "pandas_s": 0.0}

    def timed(fn: Callable, key: str) -> Callable:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                split[key] += time.perf_counter() - start

        return wrapper

    views, to_pandas = dict(validate.VIEWS), validate._to_pandas
    validate.VIEWS.update({name: timed(fn, "view_s") for name, fn in views.items()})
    validate._to_pandas = timed(to_pandas, "pandas_s")
    try:
        start = time.perf_counter()
        results = validate.run_suites(frames, [suite], params)
        total = time.perf_counter() - start
    finally:
        validate.VIEWS.update(views)
        validate._to_pandas = to_pandas
    return results, split | {"gx_s": total - split["view_s"] - split["pandas_s"]}


def time_each(frames: dict[str, pl.DataFrame], suite: validate.Suite, params: dict) -> None:
    """Print each expectation's seconds run alone, slowest first (view and pandas: only the
    columns that expectation reads)."""
    rows = []
    for exp in suite.expectations:
        one = dataclasses.replace(suite, expectations=[exp])
        results, split = timed_run(frames, one, params)
        ok = "ok" if results[0].outcomes[0].success else "FAILED"
        rows.append((split["gx_s"], split["view_s"] + split["pandas_s"], exp, ok))
    print(f"  each {suite.frame} expectation alone: GX s, view + to_pandas s, name")
    for gx_s, prep_s, exp, ok in sorted(rows, key=lambda r: -r[0]):
        name = validate.expectation_name(exp)
        print(f"    {gx_s:7.2f} {prep_s:7.2f}  {name} ({exp['type']}) {ok}")


def peak_rss_mb() -> float:
    """Return this process's peak RSS. VmHWM, not ru_maxrss: on Linux a child inherits its
    parent's ru_maxrss at fork."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
