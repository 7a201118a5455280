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
# The same result as _SPACE with one space, five times faster in Polars on long prompts: a
# single space (most whitespace) is left alone instead of replaced by itself.
_SPACE_RUNS = r"\s{2,}|[^\S ]"
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
    failed_renders: dict[str, int] = {}
    for task in cfg.user_tasks:
        frame, errors = run_user_task(records, task, cfg.seed)
        frames.append(_candidates(frame))
        template_errors += errors
        if errors:
            failed_renders[task.name] = len(errors)
    candidates = pl.concat(frames) if frames else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    by_task = dict(candidates.group_by("task").len().iter_rows())
    for name, n in failed_renders.items():
        by_task[name] = by_task.get(name, 0) + n
    total = candidates.height + len(template_errors)
    stats: dict = {"candidates": total, "candidates_by_task": by_task}
    if candidates.is_empty():
        return StageResult(pl.DataFrame(schema=PAIR_SCHEMA), rejected_frame(template_errors), stats)

    candidates = (
        candidates.with_columns(pl.col("system").fill_null(pl.lit(cfg.system_prompt)))
        .join(records.select("record_id", "lang"), on="record_id", how="left")
        .sort("task", "record_id", "prompt")
        .with_row_index("_i")
    )
    # The checks run as Polars expressions over every candidate; Python sees only the rows
    # that fail one (for the detail), the rows over budget (to truncate) and the pair ids.
    candidates = candidates.with_columns(_failed_check().alias("_reason"))
    rejected = list(template_errors)
    failing = candidates.filter(pl.col("_reason").is_not_null())
    rejections = [(row["_i"], _rejection(row, *_explain(row))) for row in failing.to_dicts()]
    candidates = candidates.filter(pl.col("_reason").is_null()).drop("_reason")
    candidates, over = _budget(candidates, counter, cfg)
    rejections += over
    candidates = candidates.with_columns(
        pl.struct("task", "system", "prompt", "response")
        .map_elements(_pair_id_of, return_dtype=pl.String)
        .alias("pair_id")
    )
    # the first candidate (in sorted order) with a pair id is kept; the others name its record
    candidates = candidates.with_columns(
        pl.col("record_id").sort_by("_i").first().over("pair_id").alias("_by"),
        (pl.col("_i") == pl.col("_i").min().over("pair_id")).alias("_first"),
    )
    rejections += [
        (row["_i"], _rejection(row, f"pairs:duplicate-of:{row['pair_id']}", row["_by"]))
        for row in candidates.filter(~pl.col("_first")).to_dicts()
    ]
    rejected += [r for _, r in sorted(rejections, key=lambda item: item[0])]
    kept = candidates.filter(pl.col("_first"))
    pairs = kept.select(
        "pair_id",
        "task",
        _messages_expr().alias("messages"),
        pl.concat_list(pl.col("record_id"), pl.col("extra_ids").fill_null([])).alias("record_ids"),
        pl.lit(None, pl.String).alias("split"),
        "lang",
        pl.sum_horizontal("_system_n", "_prompt_n", "_response_n").cast(pl.Int64).alias("tokens"),
    )
    pairs = _with_sources(pairs, records)
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


def _explain(row: dict) -> tuple[str, str]:
    """Return the reason ``_failed_check`` gave ``row`` and a detail naming what failed."""
    reason = row["_reason"]
    prompt, response = row["prompt"] or "", row["response"] or ""
    if reason == "pairs:empty-turn":
        return reason, "blank prompt" if not prompt.strip() else "blank response"
    if reason == "pairs:placeholder":
        return reason, f"response is only {response.strip()[:40]!r}"
    flat = _SPACE.sub(" ", response).strip()
    return reason, f"the prompt contains the response {flat[:60]!r}"


def _failed_check() -> pl.Expr:
    """Return the reason of the first check a candidate fails, in the order of the module
    docstring (null when it passes all), as one Polars expression over every candidate."""
    prompt, response = pl.col("prompt").fill_null(""), pl.col("response").fill_null("")
    folded = response.str.to_lowercase().str.replace_all(_FOLD.pattern, " ").str.strip_chars()
    flat = response.str.replace_all(_SPACE_RUNS, " ").str.strip_chars()
    copied = (flat.str.count_matches(r"\S+") >= MIN_COPY_WORDS) & prompt.str.replace_all(
        _SPACE_RUNS, " "
    ).str.contains(flat, literal=True)
    return (
        pl.when((prompt.str.strip_chars() == "") | (response.str.strip_chars() == ""))
        .then(pl.lit("pairs:empty-turn"))
        .when(folded.is_in(list(PLACEHOLDERS)) | response.str.contains(_MARKS_ONLY.pattern))
        .then(pl.lit("pairs:placeholder"))
        .when(copied)
        .then(pl.lit("pairs:response-in-prompt"))
    )


def _budget(
    candidates: pl.DataFrame, counter: TokenCounter, cfg: PairsConfig
) -> tuple[pl.DataFrame, list[tuple[int, dict]]]:
    """Return the candidates with their tokens (``_system_n``, ``_prompt_n``, ``_response_n``)
    that fit ``pairs.max_tokens``, prompts truncated where configured, and the rejections of
    the rest (with each candidate's index)."""
    sized = candidates.with_columns(
        counter.count_column(candidates, c).alias(f"_{c}_n")
        for c in ("system", "prompt", "response")
    )
    total = pl.sum_horizontal("_system_n", "_prompt_n", "_response_n")
    over = sized.filter(total > cfg.max_tokens)
    if over.is_empty():
        return sized, []
    rejections, fitted = [], []
    for row in over.to_dicts():
        system_n, prompt_n, response_n = row["_system_n"], row["_prompt_n"], row["_response_n"]
        reason, detail = _fit(row, counter, cfg, system_n, prompt_n, response_n)
        if reason is None:
            row["_prompt_n"] = prompt_n = counter.count([row["prompt"]])[0]
            if system_n + prompt_n + response_n > cfg.max_tokens:
                # a tokenizer merged across the cut beyond the margin truncate keeps
                reason = "pairs:over-token-budget"
                detail = (
                    f"{system_n + prompt_n + response_n} tokens > pairs.max_tokens "
                    f"{cfg.max_tokens} after truncation"
                )
        if reason is None:
            fitted.append(row)
        else:
            rejections.append((row["_i"], _rejection(row, reason, detail)))
    fits = sized.filter(total <= cfg.max_tokens)
    if fitted:
        fits = pl.concat([fits, pl.DataFrame(fitted, schema=fits.schema)]).sort("_i")
    return fits, rejections


def _messages_expr() -> pl.Expr:
    """Return the chat messages of a candidate: system (when not empty), user, assistant."""
    user = pl.struct(pl.lit("user").alias("role"), pl.col("prompt").alias("content"))
    assistant = pl.struct(pl.lit("assistant").alias("role"), pl.col("response").alias("content"))
    system = pl.struct(pl.lit("system").alias("role"), pl.col("system").alias("content"))
    has_system = pl.col("system").fill_null("") != ""
    return (
        pl.when(has_system)
        .then(pl.concat_list(system, user, assistant))
        .otherwise(pl.concat_list(user, assistant))
    )


def _with_sources(pairs: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Return ``pairs`` with ``sources``: the sorted sources of its records that were kept."""
    sources = (
        pairs.select("pair_id", pl.col("record_ids").alias("record_id"))
        .explode("record_id")
        .join(records.select("record_id", "source"), on="record_id", how="left")
        .group_by("pair_id")
        .agg(pl.col("source").drop_nulls().unique().sort().alias("sources"))
    )
    return pairs.join(sources, on="pair_id", how="left")


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


def _pair_id_of(row: dict) -> str:
    """Return the pair id of a candidate row (task, system, prompt, response)."""
    return _pair_id(row["task"], _messages(row["system"], row["prompt"], row["response"]))


def _pair_id(task: str, messages: list[dict[str, str]]) -> str:
    """Return a content hash of the task and messages: the same pair gets the same id in any
    run. Fields are joined with ASCII unit and record separators (no JSON escaping of long
    texts, which cost more than the hash)."""
    blob = "\x1e".join([task, *(f"{m['role']}\x1f{m['content']}" for m in messages)])
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _rejection(row: dict, reason: str, detail: str) -> dict[str, str]:
    detail = f"{row['task']}: {detail}"
    return {"record_id": row["record_id"], "stage": STAGE, "reason": reason, "detail": detail}
