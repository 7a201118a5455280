"""Print seconds and peak memory for the record stages on synthetic tracker issues.

Usage: python benchmarks/pipeline.py [N]   (default 20000 records; a tenth are near-copies)
"""

from __future__ import annotations

import random
import resource
import sys
import time
from datetime import UTC, datetime

from dataprep.config import CleanConfig, DedupConfig, PairsConfig
from dataprep.dedup import dedup
from dataprep.pairs import build_pairs
from dataprep.schema import records_frame
from dataprep.text.clean import clean

WORDS = [
    "export",
    "report",
    "worker",
    "queue",
    "upload",
    "timeout",
    "memory",
    "retry",
    "scheduler",
    "dashboard",
    "login",
    "token",
    "cache",
    "database",
    "index",
    "query",
    "page",
    "button",
    "setting",
    "user",
    "admin",
    "release",
    "build",
    "deploy",
    "error",
    "crash",
    "slow",
    "latency",
    "request",
    "response",
    "header",
    "file",
    "import",
    "parser",
    "config",
    "network",
    "proxy",
]


def synthetic(n: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for i in range(n):
        if i and rng.random() < 0.1:
            base = dict(rows[rng.randrange(len(rows))])
            body = base["body"] + " " + rng.choice(WORDS)
        else:
            body = " ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 160))) + "."
        rows.append(
            {
                "record_id": f"jira:BENCH-{i}",
                "source": "jira",
                "kind": "issue",
                "title": " ".join(rng.choice(WORDS) for _ in range(6)),
                "body": body + f" Contact user{i}@example.com.",
                "issue_type": "bug",
                "priority": "high",
                "created_at": t0,
                "updated_at": t0,
            }
        )
    return rows


def timed(name: str, fn):
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name:<8} {seconds:8.2f} s   peak RSS {peak_mb:8.0f} MB")
    return result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"{n} synthetic records")
    frame = timed("schema", lambda: records_frame(synthetic(n)))
    # `und` allowed: the synthetic text is a bag of words langdetect cannot always place.
    cleaned = timed("clean", lambda: clean(frame, CleanConfig(languages=["en", "und"])))
    deduped = timed("dedup", lambda: dedup(cleaned.kept, DedupConfig()))
    pairs = timed("pairs", lambda: build_pairs(deduped.kept, PairsConfig()))
    print(
        f"kept {deduped.kept.height} records ({deduped.rejected.height} duplicates), "
        f"{pairs.kept.height} pairs"
    )


if __name__ == "__main__":
    main()
