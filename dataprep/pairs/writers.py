"""Output formats for pairs. Today: chat JSONL (messages plus metadata), one file per split."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from dataprep.schema import PAIR_SCHEMA, SPLITS


def chat_line(pair: dict) -> str:
    """Return one chat-JSONL line: ``{"messages": [...], "metadata": {...}}``."""
    record = {
        "messages": [{"role": m["role"], "content": m["content"]} for m in pair["messages"]],
        "metadata": {
            "pair_id": pair["pair_id"],
            "task": pair["task"],
            "record_ids": pair["record_ids"],
            "sources": pair["sources"],
            "split": pair["split"],
            "lang": pair["lang"],
        },
    }
    return json.dumps(record, ensure_ascii=False)


def write_chat_jsonl(pairs: pl.DataFrame, folder: Path, splits: tuple[str, ...]) -> list[Path]:
    """Write ``<split>.jsonl`` for each split named (empty files included); return the paths."""
    paths = []
    for split in splits:
        if split not in SPLITS:
            raise ValueError(f"unknown split {split!r}")
        path = folder / f"{split}.jsonl"
        subset = pairs.filter(pl.col("split") == split).sort("pair_id")
        with path.open("w", encoding="utf-8", newline="\n") as fh:
            for pair in subset.iter_rows(named=True):
                fh.write(chat_line(pair) + "\n")
        paths.append(path)
    return paths


def read_chat_jsonl(path: Path) -> pl.DataFrame:
    """Return the pairs in a chat-JSONL file as a frame with the pair schema's columns."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                item = json.loads(line)
                rows.append({"messages": item["messages"], **item["metadata"]})
    return pl.DataFrame(rows, schema=PAIR_SCHEMA)
