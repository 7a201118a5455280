"""The dataset card (``README.md`` in the output folder), in Hugging Face dataset-card form.

Written from the manifest and one redacted example per task. The YAML front matter is what the
Hub and ``datasets.load_dataset(folder)`` read: one config per format written, with its files
per split (the chat format is the default). Front-matter keys follow the Hub's dataset card
metadata (pretty_name, license, language, size_categories, task_categories, tags, configs).
"""

from __future__ import annotations

import hashlib
from typing import Any

import polars as pl
import yaml

from dataprep.pairs.writers import DATASET_INFO, PROMPT_END, PROMPT_SEPARATOR, format_path
from dataprep.schema import SPLITS

EXAMPLE_CHARS = 600  # a message in the card is cut after this many characters
DEFAULT_NAME = "dataprep training pairs"
DEFAULT_DESCRIPTION = (
    "Prompt-response pairs for fine-tuning, derived by dataprep from what people wrote in issue "
    "trackers and release notes. No language model wrote any prompt or response: each pair is "
    "a fixed template around a record's own text, and names the records it came from."
)

# The Hub's size_categories buckets: (upper bound, label); n at a bound goes to the next bucket.
SIZE_CATEGORIES = (
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
    (1_000_000_000, "100M<n<1B"),
    (10_000_000_000, "1B<n<10B"),
    (100_000_000_000, "10B<n<100B"),
    (1_000_000_000_000, "100B<n<1T"),
)
LARGEST_SIZE = "n>1T"
NO_LANGUAGE = ("", "und", "unknown", "none", "null", "zxx")

FORMAT_USES = {
    "chat": "dataprep's own: `messages` plus `metadata` (pair_id, task, record_ids, sources, "
    "split, lang, tokens)",
    "openai": "the OpenAI fine-tuning API: `messages` only (roles system, user, assistant)",
    "prompt_completion": "TRL's SFTTrainer, prompt-completion: `prompt`, `completion`",
    "alpaca": "Alpaca and LLaMA-Factory: `instruction`, `input`, `output`, `system`",
    "sharegpt": "ShareGPT and LLaMA-Factory, axolotl: `conversations` (from human, gpt), `system`",
    "parquet": "the pair schema as columns (messages as a list of {role, content})",
}

TASK_DESCRIPTIONS = {
    "issue_to_title": "An issue's description -> its title (only informative titles).",
    "triage": "Title and description -> JSON with the type, priority, components and labels a "
    "person set (tracker defaults and automation labels left out).",
    "bug_to_resolution": "A resolved bug and its discussion -> the comment that resolved it.",
    "question_to_answer": "An issue asking a question -> a maintainer's answer.",
    "release_notes": "A release -> its release notes.",
    "release_qa": '"What changed in PROJECT VERSION?" -> the release entry.',
    "changes_to_release_notes": "The issues fixed in a release -> its release notes.",
    "issue_to_changelog_entry": "An issue -> the changelog entry that mentions it.",
    "duplicate_check": "Two issues -> whether one duplicates the other (positives from the "
    "trackers' duplicate links, negatives sampled from the same project).",
}

STAGE_DESCRIPTIONS = {
    "read": "parse each source into the common record schema; unreadable items are quarantined",
    "link": "resolve references between records and mirrors of one item in several trackers",
    "clean": "Markdown normalisation, noise comments, language and quality filters, policy, "
    "redaction of personal data",
    "dedup": "exact, mirror and near-duplicate removal (MinHash), boilerplate, decontamination",
    "pairs": "build task pairs, check each (non-empty, no placeholder, response not in prompt, "
    "token budget) and assign grouped splits",
}

LIMITATIONS = (
    "Human-set fields are told from defaults and automation by heuristics (configured default "
    "values and automation labels); a value a script set that is not on those lists counts as "
    "a person's choice.",
    "Token counts are {tokens}; pairs near `max_tokens` may be over or under the budget for "
    "another tokenizer.",
    "Personal data is redacted by patterns (e-mail, phone, IP, known secrets) and by "
    "pseudonymising the people the trackers name; a name written in free text, or a secret in "
    "an unknown format, can remain. Pseudonyms are stable, so one person's items can be linked.",
    "No language model or person checked that responses are correct: a resolving comment, "
    "answer or release note is what someone wrote, and may be wrong or incomplete.",
    "Language detection is unreliable on short texts, and mixed-language items get one label.",
    "Splits keep records, duplicate clusters and linked threads together, but items related only "
    "in prose (no key or link) can fall in different splits.",
    "The pairs reflect the source projects: their wording, their labels and which issues they "
    "chose to write up.",
)


def dataset_card(manifest: dict[str, Any], examples: dict[str, dict] | None = None) -> str:
    """Return the Hugging Face dataset card: YAML front matter, then the card in Markdown."""
    card = manifest.get("config", {}).get("card") or {}
    sections = [
        f"# {card.get('pretty_name') or DEFAULT_NAME}",
        card.get("description") or DEFAULT_DESCRIPTION,
        _formats_section(manifest),
        _sources_section(manifest),
        _processing_section(manifest),
        _tasks_section(manifest, examples or {}),
        _languages_section(manifest),
        "## Known limitations\n\n" + "\n".join(f"- {item}" for item in _limitations(manifest)),
    ]
    return "---\n" + front_matter(manifest) + "---\n\n" + "\n\n".join(sections) + "\n"


def card_examples(pairs: pl.DataFrame) -> dict[str, dict]:
    """Return one pair per task for the card: the first by pair_id, from train when it has one."""
    if pairs.is_empty():
        return {}
    ordered = pairs.sort(pl.col("split") != "train", "pair_id")
    return {
        row["task"]: row
        for row in ordered.unique("task", keep="first", maintain_order=True).iter_rows(named=True)
    }


def front_matter(manifest: dict[str, Any]) -> str:
    """Return the card's YAML metadata (without the ``---`` lines)."""
    card = manifest.get("config", {}).get("card") or {}
    meta: dict[str, Any] = {
        "pretty_name": card.get("pretty_name") or DEFAULT_NAME,
        "license": card.get("license") or "other",
    }
    languages = card_languages(manifest)
    if languages:
        meta["language"] = languages
    meta["size_categories"] = [size_category(manifest["counts"]["pairs"])]
    meta["task_categories"] = ["text-generation"]
    meta["tags"] = ["dataprep", "fine-tuning", "issue-tracker", "release-notes"]
    configs = card_configs(manifest)
    if configs:
        meta["configs"] = configs
    return yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)


def size_category(n: int) -> str:
    """Return the Hub's size bucket for ``n`` rows (1000 rows is ``1K<n<10K``)."""
    for bound, label in SIZE_CATEGORIES:
        if n < bound:
            return label
    return LARGEST_SIZE


def card_languages(manifest: dict[str, Any]) -> list[str]:
    """Return the pairs' languages as ISO 639 codes (``zh-cn`` -> ``zh``), sorted."""
    counts = manifest["counts"]
    by_lang = counts.get("pairs_by_lang", counts.get("records_by_lang", {}))
    codes = set()
    for lang, n in by_lang.items():
        code = str(lang).lower().replace("_", "-").split("-")[0]
        if n and code not in NO_LANGUAGE and code.isalpha() and 2 <= len(code) <= 3:
            codes.add(code)
    return sorted(codes)


def card_configs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Return one ``configs`` entry per JSON Lines format written, listing its non-empty splits.

    Empty splits are left out: ``datasets`` cannot load a split with no rows. ``datasets`` reads
    every config of a folder with the builder it infers from the first config's files, so JSON
    Lines and Parquet cannot share a card; parquet is a config only when it is the only format.
    """
    splits = _splits(manifest)
    formats = _formats(manifest)
    if not splits:
        return []
    if formats != ["parquet"]:
        formats = [fmt for fmt in formats if fmt != "parquet"]
    default = "chat" if "chat" in formats else formats[0] if formats else None
    outputs = manifest.get("outputs") or {}
    configs = []
    for fmt in formats:
        paths = [format_path(fmt, s) for s in splits]
        entry: dict[str, Any] = {"config_name": fmt}
        digest = files_digest(outputs, paths)
        if digest:
            # Not only for people: this is the one thing in a config that makes datasets' cache
            # key follow the files' content. See files_digest.
            entry["description"] = f"dataprep {fmt} format, files sha256 {digest}"
        entry["data_files"] = [{"split": s, "path": p} for s, p in zip(splits, paths, strict=True)]
        if fmt == default:
            entry["default"] = True
        configs.append(entry)
    return configs


def files_digest(outputs: dict[str, str], paths: list[str]) -> str | None:
    """Return one sha256 over ``paths`` and their sha256 in ``outputs``; None if one is missing.

    Why the card carries it: for a folder whose card has ``configs``, ``datasets`` (5.2:
    ``load.py``, ``LocalDatasetModuleFactory.get_module``) caches under
    ``<folder name>/<config name>/0.0.0/<hash>``, the hash being
    ``Hasher.hash({"dataset_infos": ..., "builder_configs": ...})``, and those builder configs
    hold the card's ``data_files`` as patterns (``DataFilesPatternsDict``: relative paths, no
    modification time, no content; files are resolved only after the key is made). So nothing in
    the key changes when a build rewrites its files: a rebuild loads the previous build's cached
    rows, and two builds in folders of the same name share one entry. A config's
    ``description`` is a BuilderConfig field, hence part of that hash: with the files' content in
    it, new content gets a new cache entry, and the same content (same config and inputs) the
    same one.
    """
    if not paths or any(p not in outputs for p in paths):
        return None
    listing = "".join(f"{outputs[p]}  {p}\n" for p in paths)
    return hashlib.sha256(listing.encode()).hexdigest()


def _formats_section(manifest: dict[str, Any]) -> str:
    formats = _formats(manifest)
    splits = _splits(manifest)
    rows = [
        f"| {fmt} | {', '.join(f'`{format_path(fmt, s)}`' for s in splits) or '-'}"
        f" | {FORMAT_USES.get(fmt, '')} |"
        for fmt in formats
    ]
    lines = [
        "## Files and formats",
        "",
        "Every format holds the same pairs, sorted by pair_id. Load one with "
        '`datasets.load_dataset("<this folder>", "<format>")`; `chat` is the default. Each '
        "config's `description` holds the sha256 of its files: `datasets` caches a config by its "
        "definition, so a rebuilt folder is read afresh.",
        *(
            [
                "",
                "The Parquet files are not a config here (`datasets` reads a folder's configs "
                'with one builder): load them with `datasets.load_dataset("parquet", '
                'data_files={"train": "parquet/train.parquet", ...})`.',
            ]
            if "parquet" in formats and formats != ["parquet"]
            else []
        ),
        "",
        "| format | files | for |",
        "| --- | --- | --- |",
        *rows,
    ]
    if "prompt_completion" in formats:
        lines += [
            "",
            f"`prompt_completion`: the prompt is the system prompt (if any), "
            f"{_show(PROMPT_SEPARATOR)}, the user prompt, then {_show(PROMPT_END)}; the "
            "completion is the response as written.",
        ]
    if "alpaca" in formats:
        lines += [
            "",
            "`alpaca`: the instruction is the user prompt's first paragraph, the input is the "
            'rest ("" when the prompt is one paragraph); `system` is "" when there is none.',
        ]
    if any(fmt in formats for fmt in ("alpaca", "sharegpt", "openai")):
        lines += [
            "",
            f"LLaMA-Factory: `{DATASET_INFO}` names each file as `<format>_<split>` "
            "(`alpaca_train`, `sharegpt_validation`, ...); set `dataset_dir` to this folder.",
        ]
    return "\n".join(lines)


def _sources_section(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    records = counts.get("records_by_source", {})
    pairs = counts.get("pairs_by_source", {})
    names = sorted(set(records) | set(pairs))
    return "\n".join(
        [
            "## Sources and counts",
            "",
            f"{counts.get('records', 0)} records kept, {counts['pairs']} pairs.",
            "",
            "| source | records | pairs |",
            "| --- | --- | --- |",
            *(f"| {n} | {records.get(n, 0)} | {pairs.get(n, 0)} |" for n in names),
            "",
            "Input files:",
            "",
            "| source | file | items | sha256 |",
            "| --- | --- | --- | --- |",
            *(
                f"| {f['source']} | {f['path']} | {f['items']} | {f['sha256'][:12]} |"
                for f in manifest.get("inputs", [])
            ),
        ]
    )


def _processing_section(manifest: dict[str, Any]) -> str:
    stages = manifest.get("stages", [])
    steps = []
    for i, stage in enumerate(stages, 1):
        about = STAGE_DESCRIPTIONS.get(stage["stage"])
        steps.append(f"{i}. **{stage['stage']}**" + (f": {about}" if about else ""))
    unmapped = manifest.get("unmapped_values", {})
    redactions = manifest.get("redactions", {})
    return "\n".join(
        [
            "## Processing",
            "",
            *steps,
            "",
            "What each stage received, kept and dropped, with the reasons:",
            "",
            "| stage | unit | received | kept | rejected | quarantined | reasons |",
            "| --- | --- | --- | --- | --- | --- | --- |",
            *(
                f"| {s['stage']} | {s['unit']} | {s['received']} | {s['kept']} | {s['rejected']}"
                f" | {s['quarantined']} | {_reasons(s['reasons'])} |"
                for s in stages
            ),
            "",
            "Tracker values with no canonical mapping: "
            + (", ".join(f"{k} ({v})" for k, v in sorted(unmapped.items())) or "none"),
            "",
            "Personal data replaced by placeholders: "
            + (", ".join(f"{k}: {v}" for k, v in sorted(redactions.items())) or "none"),
        ]
    )


def _tasks_section(manifest: dict[str, Any], examples: dict[str, dict]) -> str:
    counts = manifest["counts"]
    by_task_split = counts.get("pairs_by_task_split") or {
        task: {} for task in counts.get("pairs_by_task", {})
    }
    by_task = counts.get("pairs_by_task", {})
    splits = _splits(manifest) or ["train"]
    user_tasks = {
        t["name"]: t for t in manifest.get("config", {}).get("pairs", {}).get("user_tasks", [])
    }
    tasks = sorted(set(by_task_split) | set(by_task))
    lines = [
        "## Tasks",
        "",
        "| task | " + " | ".join(splits) + " | total |",
        "| --- |" + " --- |" * (len(splits) + 1),
    ]
    for task in tasks:
        per_split = by_task_split.get(task, {})
        total = by_task.get(task, sum(per_split.values()))
        cells = " | ".join(str(per_split.get(s, 0)) for s in splits)
        lines.append(f"| {task} | {cells} | {total} |")
    totals = counts.get("pairs_by_split", {})
    lines.append(
        "| **all** | "
        + " | ".join(str(totals.get(s, 0)) for s in splits)
        + f" | {counts['pairs']} |"
    )
    lines += _splits_note(manifest)
    for task in tasks:
        if task in TASK_DESCRIPTIONS:
            about = TASK_DESCRIPTIONS[task]
        elif task in user_tasks:
            about = "A task defined in the build's config (Jinja2 templates)."
        else:
            about = ""
        lines += ["", f"### {task}", ""] + ([about, ""] if about else [])
        lines.append(_example(examples[task]) if task in examples else "No example.")
    return "\n".join(lines)


def _splits_note(manifest: dict[str, Any]) -> list[str]:
    """Return a paragraph on how the splits were made, when the manifest records it."""
    splits = manifest.get("splits") or {}
    if not splits.get("mode"):
        return []
    pairs_cfg = manifest.get("config", {}).get("pairs", {})
    how = {
        "hash": f"a seeded hash of each group (seed {pairs_cfg.get('seed', '?')}), aiming at a "
        f"validation share of {pairs_cfg.get('validation_fraction', '?')} per task",
        "time": "time: groups whose latest record is on or after "
        f"{(pairs_cfg.get('split') or {}).get('cutoff')} are validation",
        "project": "project: groups touching "
        f"{', '.join((pairs_cfg.get('split') or {}).get('holdout_projects') or [])} are validation",
    }.get(splits["mode"], splits["mode"])
    off = sorted(
        t for t, e in (splits.get("tasks") or {}).items() if e.get("within_tolerance") is False
    )
    note = (
        f"Splits by {how}. Pairs are grouped first ({splits.get('groups', 0)} groups, the "
        f"largest {splits.get('largest_group', 0)} pairs): the pairs of one record, one "
        "duplicate cluster or one linked thread are always in the same split."
    )
    if off:
        note += f" Outside the tolerance (too few groups): {', '.join(off)}."
    return ["", note]


def _languages_section(manifest: dict[str, Any]) -> str:
    counts = manifest["counts"]
    by_lang = counts.get("pairs_by_lang")
    unit = "pairs"
    if by_lang is None:
        by_lang, unit = counts.get("records_by_lang", {}), "records"
    return "\n".join(
        [
            "## Languages",
            "",
            f"| language | {unit} |",
            "| --- | --- |",
            *(f"| {lang} | {n} |" for lang, n in sorted(by_lang.items(), key=lambda kv: kv[0])),
        ]
    )


def _example(pair: dict) -> str:
    """Return one pair as Markdown: each message in a fence, long ones cut."""
    lines = [f"Example `{pair.get('pair_id', '')}` ({pair.get('split', '')}):"]
    for message in pair["messages"]:
        text = message["content"]
        if len(text) > EXAMPLE_CHARS:
            text = text[:EXAMPLE_CHARS].rstrip() + f"\n[... cut, {len(message['content'])} chars]"
        fence = "`" * max(3, _longest_backtick_run(text) + 1)
        lines += ["", f"**{message['role']}**", "", f"{fence}text", text, fence]
    return "\n".join(lines)


def _limitations(manifest: dict[str, Any]) -> list[str]:
    tokenizer = manifest.get("config", {}).get("pairs", {}).get("tokenizer")
    tokens = (
        f"counted with the tokenizer at `{tokenizer}`"
        if tokenizer
        else "estimated as UTF-8 bytes / 4 (no tokenizer configured)"
    )
    return [item.format(tokens=tokens) for item in LIMITATIONS]


def _formats(manifest: dict[str, Any]) -> list[str]:
    pairs_cfg = manifest.get("config", {}).get("pairs", {})
    return list(pairs_cfg.get("formats", ["chat"]))


def _splits(manifest: dict[str, Any]) -> list[str]:
    """Return the splits that hold pairs, in SPLITS order."""
    by_split = manifest["counts"].get("pairs_by_split", {})
    return [s for s in SPLITS if by_split.get(s, 0) > 0]


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for ch in text:
        run = run + 1 if ch == "`" else 0
        longest = max(longest, run)
    return longest


def _show(separator: str) -> str:
    return "a blank line" if separator == "\n\n" else f"`{separator!r}`"


def _reasons(reasons: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in reasons.items()) or "-"
