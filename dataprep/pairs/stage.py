"""The pairs stage: run the configured tasks, check every pair, give it an id and a split.

Each candidate a task makes is checked before it is kept; the first check it fails rejects it:

- ``pairs:empty-turn``: a blank prompt or response;
- ``pairs:placeholder``: a response that is only a placeholder ("N/A", "TBD", ".") or only
  redaction marks (``<PERSON:ab12cd>``);
- ``pairs:response-in-prompt``: the response (3+ words) appears verbatim in the prompt, so the
  pair teaches copying;
- ``pairs:over-token-budget``: the pair needs more than ``pairs.max_tokens`` tokens (with
  ``over_budget: truncate`` the prompt is cut to fit first, and only a pair whose system prompt
  and response alone overflow is rejected);
- ``pairs:duplicate-of:<id>``: the same messages as a pair already kept;
- ``pairs:template-error``: a user task's template failed on the record.

Then ``split.assign_splits`` puts every pair of one group (records joined by pairs, duplicate
clusters, links, mirrors) into one split.
"""

from __future__ import annotations

import hashlib
import json
import re

import polars as pl

from dataprep.config import PairsConfig, QualityConfig
from dataprep.pairs.split import assign_splits
from dataprep.pairs.tasks import TASKS
from dataprep.pairs.tokens import TokenCounter
from dataprep.pairs.user_tasks import run_user_task
from dataprep.schema import CANDIDATE_SCHEMA, PAIR_SCHEMA, StageResult, rejected_frame

STAGE = "pairs"
_MARKS_ONLY = re.compile(r"^(?:\s*<[A-Z]+(?::[^>\s]*)?>\s*)+$")
_FOLD = re.compile(r"[^\w<>:]+")


def _fold(text: str) -> str:
    """Return ``text`` lowercased with punctuation runs as one space ("N/A" -> "n a")."""
    return _FOLD.sub(" ", text.lower()).strip()


# Compared folded, so "N/A", "n/a" and "N / A." are one placeholder.
PLACEHOLDERS = frozenset(_fold(p) for p in QualityConfig().placeholders) | {
    "",
    "same",
    "same as above",
    "see above",
    "see description",
}
_SPACE = re.compile(r"\s+")
MIN_COPY_WORDS = 3


def build_pairs(
    records: pl.DataFrame, cfg: PairsConfig, counter: TokenCounter | None = None
) -> StageResult:
    """Return pairs (``PAIR_SCHEMA``) sorted by ``pair_id`` and the rejected candidates.

    ``counter`` counts tokens (default: the estimate; the pipeline passes one built from
    ``pairs.tokenizer``). Stats: ``candidates``, ``candidates_by_task``, ``splits`` (per task).
    """
    counter = counter or TokenCounter()
    frames = [_candidates(TASKS[name](records, cfg)) for name in cfg.tasks]
    template_errors: list[dict] = []
    for task in cfg.user_tasks:
        frame, errors = run_user_task(records, task, cfg.seed)
        frames.append(_candidates(frame))
        template_errors += errors
    candidates = pl.concat(frames) if frames else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    by_task = dict(candidates.group_by("task").len().iter_rows())
    for error in template_errors:
        task = error["detail"].split(":", 1)[0]
        by_task[task] = by_task.get(task, 0) + 1
    total = candidates.height + len(template_errors)
    stats: dict = {"candidates": total, "candidates_by_task": by_task}
    if candidates.is_empty():
        return StageResult(pl.DataFrame(schema=PAIR_SCHEMA), rejected_frame(template_errors), stats)

    candidates = (
        candidates.with_columns(pl.col("system").fill_null(pl.lit(cfg.system_prompt)))
        .join(records.select("record_id", "lang"), on="record_id", how="left")
        .sort("task", "record_id", "prompt")
    )
    source_of = dict(records.select("record_id", "source").iter_rows())
    rows = candidates.to_dicts()
    sizes = _token_sizes(rows, counter)
    kept, rejected = [], list(template_errors)
    seen: dict[str, str] = {}
    for row, (system_n, prompt_n, response_n) in zip(rows, sizes, strict=True):
        reason, detail = _check(row)
        if reason is None and system_n + prompt_n + response_n > cfg.max_tokens:
            reason, detail = _fit(row, counter, cfg, system_n, prompt_n, response_n)
            prompt_n = counter.count([row["prompt"]])[0]
            if reason is None and system_n + prompt_n + response_n > cfg.max_tokens:
                # a tokenizer merged across the cut beyond the margin truncate keeps
                total = system_n + prompt_n + response_n
                reason = "pairs:over-token-budget"
                detail = f"{total} tokens > pairs.max_tokens {cfg.max_tokens} after truncation"
        if reason is not None:
            rejected.append(_rejection(row, reason, detail))
            continue
        messages = _messages(row["system"], row["prompt"], row["response"])
        pair_id = _pair_id(row["task"], messages)
        if pair_id in seen:
            rejected.append(_rejection(row, f"pairs:duplicate-of:{pair_id}", seen[pair_id]))
            continue
        seen[pair_id] = row["record_id"]
        ids = [row["record_id"], *(row["extra_ids"] or [])]
        kept.append(
            {
                "pair_id": pair_id,
                "task": row["task"],
                "messages": messages,
                "record_ids": ids,
                "sources": sorted({source_of[i] for i in ids if i in source_of}),
                "split": None,
                "lang": row["lang"],
                "tokens": system_n + prompt_n + response_n,
            }
        )
    pairs = pl.DataFrame(kept, schema=PAIR_SCHEMA)
    pairs, split_stats = assign_splits(pairs, records, cfg)
    stats["splits"] = split_stats
    return StageResult(
        pairs.select(list(PAIR_SCHEMA)).sort("pair_id"), rejected_frame(rejected), stats
    )


def eligible_tasks(records: pl.DataFrame, cfg: PairsConfig) -> list[str]:
    """Return the configured tasks (built-in and user) that have at least one candidate in
    ``records``: the tasks a build of these records is expected to produce pairs for."""
    names = [name for name in cfg.tasks if not TASKS[name](records, cfg).is_empty()]
    for task in cfg.user_tasks:
        frame, errors = run_user_task(records, task, cfg.seed)
        if not frame.is_empty() or errors:
            names.append(task.name)
    return names


def _candidates(frame: pl.DataFrame) -> pl.DataFrame:
    """Return a task's output with every candidate column, in ``CANDIDATE_SCHEMA`` order."""
    missing = [pl.lit(None, t).alias(c) for c, t in CANDIDATE_SCHEMA.items() if c not in frame]
    return frame.with_columns(missing).select(
        pl.col(c).cast(t) for c, t in CANDIDATE_SCHEMA.items()
    )


def _check(row: dict) -> tuple[str | None, str]:
    prompt, response = row["prompt"] or "", row["response"] or ""
    if not prompt.strip() or not response.strip():
        return "pairs:empty-turn", "blank prompt" if not prompt.strip() else "blank response"
    folded = _fold(response)
    if folded in PLACEHOLDERS or _MARKS_ONLY.match(response):
        return "pairs:placeholder", f"response is only {response.strip()[:40]!r}"
    flat = _SPACE.sub(" ", response).strip()
    if len(flat.split()) >= MIN_COPY_WORDS and flat in _SPACE.sub(" ", prompt):
        return "pairs:response-in-prompt", f"the prompt contains the response {flat[:60]!r}"
    return None, ""


def _token_sizes(rows: list[dict], counter: TokenCounter) -> list[tuple[int, int, int]]:
    """Return (system, prompt, response) tokens per row, counted in three batches."""
    systems = counter.count([r["system"] for r in rows])
    prompts = counter.count([r["prompt"] for r in rows])
    responses = counter.count([r["response"] for r in rows])
    return list(zip(systems, prompts, responses, strict=True))


def _fit(
    row: dict,
    counter: TokenCounter,
    cfg: PairsConfig,
    system_n: int,
    prompt_n: int,
    response_n: int,
) -> tuple[str | None, str]:
    """Truncate the prompt to the budget (``over_budget: truncate``) or reject the pair."""
    total = system_n + prompt_n + response_n
    detail = f"{total} tokens > pairs.max_tokens {cfg.max_tokens} ({counter.method})"
    if cfg.over_budget != "truncate":
        return "pairs:over-token-budget", detail
    cut = counter.truncate(row["prompt"], cfg.max_tokens - system_n - response_n)
    if cut is None:
        return "pairs:over-token-budget", detail + "; the response alone does not fit"
    row["prompt"] = cut
    return None, ""


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
