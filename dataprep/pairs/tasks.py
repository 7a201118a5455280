"""Built-in tasks: each is a filter on records and the prompt and response it makes of them.

A task returns a frame with ``task``, ``record_id``, ``prompt``, ``response`` for every record
it applies to; the stage turns these into chat messages, ids and splits.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from dataprep.schema import ISSUE_TYPES, PRIORITIES

_issue = pl.col("kind") == "issue"
_has_body = pl.col("body").fill_null("").str.len_chars() > 0
_has_title = pl.col("title").fill_null("").str.len_chars() > 0


def issue_to_title(records: pl.DataFrame) -> pl.DataFrame:
    """Description -> the title a person gave it."""
    return records.filter(_issue & _has_body & _has_title).select(
        pl.lit("issue_to_title").alias("task"),
        pl.col("record_id"),
        pl.concat_str(
            pl.lit("Write a short, specific title for this issue report.\n\n"), pl.col("body")
        ).alias("prompt"),
        pl.col("title").alias("response"),
    )


def triage(records: pl.DataFrame) -> pl.DataFrame:
    """Title and description -> JSON with the canonical type and priority a person set."""
    known = pl.col("issue_type").is_not_null() & pl.col("priority").is_not_null()
    instruction = (
        "Triage this issue. Answer with JSON: "
        f'{{"type": one of {list(ISSUE_TYPES)}, "priority": one of {list(PRIORITIES)}}}.\n\n'
    ).replace("'", '"')
    return records.filter(_issue & _has_body & _has_title & known).select(
        pl.lit("triage").alias("task"),
        pl.col("record_id"),
        pl.concat_str(
            pl.lit(instruction), pl.lit("Title: "), pl.col("title"), pl.lit("\n\n"), pl.col("body")
        ).alias("prompt"),
        pl.concat_str(
            pl.lit('{"type": "'), "issue_type", pl.lit('", "priority": "'), "priority", pl.lit('"}')
        ).alias("response"),
    )


def release_notes(records: pl.DataFrame) -> pl.DataFrame:
    """Project and released version -> the release notes written for it."""
    released = (pl.col("kind") == "release") & pl.col("released_at").is_not_null()
    return records.filter(released & _has_body).select(
        pl.lit("release_notes").alias("task"),
        pl.col("record_id"),
        pl.format(
            "Write the release notes for {} version {}, released on {}.",
            "project",
            "version",
            pl.col("released_at").dt.strftime("%Y-%m-%d"),
        ).alias("prompt"),
        pl.col("body").alias("response"),
    )


def changes_to_release_notes(records: pl.DataFrame) -> pl.DataFrame:
    """The issues a release ships (titles and first sentences) -> the notes written for it.

    Only when every issue reference in the notes resolved to one kept issue: a prompt that
    misses some of the changes would teach the model to invent them.
    """
    issues = _issue_texts(records)
    rows = []
    for rel in _releases(records):
        ids = {i for per_entry in rel["entry_links"] for i in per_entry}
        if not ids or any(i.startswith("?") or i not in issues for i in ids):
            continue
        changes = "\n".join(
            f"- {issues[i][0]}: {_first_sentence(issues[i][1])}" for i in sorted(ids)
        )
        prompt = (
            f"Write the release notes for {rel['project']} version {rel['version']} "
            f"from the changes it ships:\n\n{changes}"
        )
        rows.append(_row("changes_to_release_notes", rel["record_id"], prompt, rel["body"]))
    return _frame(rows)


def issue_to_changelog_entry(records: pl.DataFrame) -> pl.DataFrame:
    """An issue -> the changelog line that shipped it.

    Only when the line names exactly one issue (mirrors count as one), and no other line
    names that issue.
    """
    issues = _issue_texts(records)
    found: dict[str, list[tuple[dict, str]]] = {}
    for rel in _releases(records):
        for entry, ids in zip(rel["entries"] or [], rel["entry_links"], strict=True):
            for issue_id in ids:
                found.setdefault(issue_id, []).append((rel, entry["text"] if len(ids) == 1 else ""))
    rows = []
    for issue_id, lines in sorted(found.items()):
        if issue_id not in issues or len(lines) != 1 or not lines[0][1]:
            continue
        rel, text = lines[0]
        title, body = issues[issue_id]
        prompt = f"Write the changelog entry for this change to {rel['project']}.\n\n"
        prompt += f"Title: {title}\n\n{body}"
        rows.append(_row("issue_to_changelog_entry", issue_id, prompt, text, rel["record_id"]))
    return _frame(rows)


def _releases(records: pl.DataFrame) -> list[dict]:
    """Return released-notes rows with their entries and resolved links (none before linking)."""
    if "entry_links" not in records.columns:
        return []
    released = records.filter((pl.col("kind") == "release") & _has_body)
    return released.select(
        "record_id", "project", "version", "body", "entries", "entry_links"
    ).to_dicts()


def _issue_texts(records: pl.DataFrame) -> dict[str, tuple[str, str]]:
    issues = records.filter(_issue & _has_body & _has_title)
    return {rid: (t, b) for rid, t, b in issues.select("record_id", "title", "body").iter_rows()}


def _first_sentence(text: str, limit: int = 300) -> str:
    prose = " ".join(line.strip() for line in text.splitlines() if line.strip())
    end = prose.find(". ")
    return (prose[: end + 1] if 0 < end < limit else prose[:limit]).strip()


def _row(task: str, record_id: str, prompt: str, response: str, *more: str) -> dict:
    return {
        "task": task,
        "record_id": record_id,
        "prompt": prompt,
        "response": response,
        "extra_ids": list(more),
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = {
        "task": pl.String,
        "record_id": pl.String,
        "prompt": pl.String,
        "response": pl.String,
        "extra_ids": pl.List(pl.String),
    }
    return pl.DataFrame(rows, schema=schema)


TASKS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "issue_to_title": issue_to_title,
    "triage": triage,
    "release_notes": release_notes,
    "changes_to_release_notes": changes_to_release_notes,
    "issue_to_changelog_entry": issue_to_changelog_entry,
}
