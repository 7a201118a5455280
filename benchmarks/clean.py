"""Print the clean stage's speed and memory, and its language step against plain langdetect.

Usage: python benchmarks/clean.py [N] [--lang-sample K] [--workers W]
  N            records to clean (default 100000)
  --lang-sample the first K of the same records are also labelled by calling
               ``langdetect.detect_langs`` on each full text in a loop (default 20000; that
               loop costs ~4 ms a record), and by dataprep's language step on the same texts
  --workers    processes for the language step (default: every core)

Prints records/s and peak RSS for the clean stage (the corpus is generated once, in a child
process, and cached as parquet in the temp folder), then both language timings, their ratio and
the share of records on which the labels agree. The language workers are child processes: their
memory is not in the peak RSS printed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import polars as pl
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import cached_parquet  # noqa: E402

from dataprep.config import CleanConfig  # noqa: E402
from dataprep.text.clean import clean  # noqa: E402
from dataprep.text.language import detect_series  # noqa: E402
from dataprep.text.normalize import prose_expr  # noqa: E402


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--lang-sample", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()

    corpus = pl.read_parquet(cached_parquet(args.n))
    truth = corpus["_lang"].to_list()
    frame = corpus.drop("_lang")
    del corpus
    print(f"corpus: {frame.height} records, RSS after loading {peak_rss_mb():.0f} MB")

    cfg = CleanConfig(languages=["en", "de", "fr", "es"])
    start = time.perf_counter()
    result = clean(frame, cfg)
    took = time.perf_counter() - start
    print(
        f"clean: {took:.1f} s, {frame.height / took:,.0f} records/s, "
        f"kept {result.kept.height}, rejected {result.rejected.height}, "
        f"peak RSS {peak_rss_mb():.0f} MB"
    )
    reasons = result.rejected.group_by("reason").len().sort("len", descending=True)
    print("  rejected by reason:", dict(reasons.iter_rows()))
    print("  redactions:", result.stats["redactions"])
    print("  comments dropped:", result.stats["comments_dropped"])

    sample = frame.head(args.lang_sample)
    full = sample.select(pl.concat_str(pl.col("title"), pl.col("body"), separator="\n").alias("t"))[
        "t"
    ]
    start = time.perf_counter()
    prose = sample.select(
        prose_expr(pl.concat_str(pl.col("title"), pl.col("body"), separator="\n")).alias("p")
    )["p"]
    ours = detect_series(prose, cfg.lang_min_chars, workers=args.workers)
    ours_s = time.perf_counter() - start

    DetectorFactory.seed = 0
    start = time.perf_counter()
    theirs = []
    for text in full.to_list():
        try:
            theirs.append(detect_langs(text)[0].lang)
        except LangDetectException:
            theirs.append("und")
    theirs_s = time.perf_counter() - start

    labels = ours.struct.field("lang").to_list()
    agree = sum(a == b for a, b in zip(labels, theirs, strict=True)) / len(labels)
    print(
        f"language on {len(labels)} records: dataprep {ours_s:.2f} s "
        f"({len(labels) / ours_s:,.0f}/s), langdetect.detect_langs loop {theirs_s:.1f} s "
        f"({len(labels) / theirs_s:,.0f}/s): {theirs_s / ours_s:.1f}x; "
        f"same label on {agree:.2%}"
    )
    truth = truth[: len(labels)]
    print(
        f"  against the generator's language: dataprep "
        f"{sum(a == b for a, b in zip(labels, truth, strict=True)) / len(labels):.2%}, "
        f"langdetect {sum(a == b for a, b in zip(theirs, truth, strict=True)) / len(labels):.2%}"
    )


if __name__ == "__main__":
    main()
