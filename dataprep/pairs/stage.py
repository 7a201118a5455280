"""The pairs stage: run the configured tasks, make chat messages, ids and splits."""

from __future__ import annotations

import hashlib
import json

import polars as pl

from dataprep.config import PairsConfig
from dataprep.pairs.split import split_of
from dataprep.pairs.tasks import TASKS
from dataprep.pairs.tokens import estimate_text_tokens
from dataprep.schema import PAIR_SCHEMA, StageResult, rejected_frame

STAGE = "pairs"


def build_pairs(records: pl.DataFrame, cfg: PairsConfig) -> StageResult:
    """Return pairs (``PAIR_SCHEMA``) sorted by ``pair_id``; candidates with an empty turn, over
    the token budget or repeating an earlier pair are rejected (``pairs:empty-turn``,
    ``pairs:over-token-budget``, ``pairs:duplicate-of:<id>``)."""
    frames = [TASKS[name](records) for name in cfg.tasks]
    candidates = pl.concat(frames, how="diagonal") if frames else pl.DataFrame()
    if candidates.is_empty():
        return StageResult(pl.DataFrame(schema=PAIR_SCHEMA), stats={"candidates": 0})
    candidates = candidates.join(
        records.select("record_id", "source", "lang"), on="record_id", how="left"
    ).sort("task", "record_id")

    if "extra_ids" not in candidates.columns:
        candidates = candidates.with_columns(extra_ids=pl.lit(None, pl.List(pl.String)))
    source_of = dict(records.select("record_id", "source").iter_rows())
    rows, rejected = [], []
    seen: dict[str, str] = {}
    for row in candidates.iter_rows(named=True):
        messages = _messages(cfg.system_prompt, row["prompt"], row["response"])
        pair_id = _pair_id(row["task"], messages)
        tokens = sum(estimate_text_tokens(m["content"]) for m in messages)
        if not row["prompt"].strip() or not row["response"].strip():
            rejected.append(_rejection(row, "pairs:empty-turn", pair_id))
        elif tokens > cfg.max_tokens:
            detail = f"~{tokens} tokens > pairs.max_tokens {cfg.max_tokens}"
            rejected.append(_rejection(row, "pairs:over-token-budget", detail))
        elif pair_id in seen:
            rejected.append(_rejection(row, f"pairs:duplicate-of:{pair_id}", seen[pair_id]))
        else:
            seen[pair_id] = row["record_id"]
            split = split_of(row["record_id"], cfg.seed, cfg.validation_fraction, cfg.test_fraction)
            rows.append(
                {
                    "pair_id": pair_id,
                    "task": row["task"],
                    "messages": messages,
                    "record_ids": [row["record_id"], *(row["extra_ids"] or [])],
                    "sources": sorted(
                        {source_of[i] for i in [row["record_id"], *(row["extra_ids"] or [])]}
                    ),
                    "split": split,
                    "lang": row["lang"],
                }
            )
    pairs = pl.DataFrame(rows, schema=PAIR_SCHEMA).sort("pair_id")
    by_task = dict(candidates.group_by("task").len().iter_rows())
    stats = {"candidates": candidates.height, "candidates_by_task": by_task}
    return StageResult(pairs, rejected_frame(rejected), stats)


def eligible_tasks(records: pl.DataFrame, cfg: PairsConfig) -> list[str]:
    """Return the configured tasks that have at least one candidate in ``records``: the tasks
    a build of these records is expected to produce pairs for."""
    return [name for name in cfg.tasks if not TASKS[name](records).is_empty()]


def _messages(system: str | None, prompt: str, response: str) -> list[dict[str, str]]:
    head = [{"role": "system", "content": system}] if system else []
    return head + [{"role": "user", "content": prompt}, {"role": "assistant", "content": response}]


def _pair_id(task: str, messages: list[dict[str, str]]) -> str:
    """Return a content hash of the task and messages: the same pair gets the same id in any run."""
    blob = json.dumps([task, messages], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _rejection(row: dict, reason: str, detail: str) -> dict[str, str]:
    detail = f"{row['task']}: {detail}"
    return {"record_id": row["record_id"], "stage": STAGE, "reason": reason, "detail": detail}
