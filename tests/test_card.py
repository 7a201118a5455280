"""The dataset card: Hugging Face front matter that ``datasets`` can load, and readable content."""

from __future__ import annotations

import hashlib
from pathlib import Path

import datasets
import polars as pl
import pytest
import yaml

from dataprep.pairs.writers import format_path, write_formats
from dataprep.report.card import card_examples, dataset_card, size_category
from tests.test_formats import FORMATS, SPLITS, pair, pairs_frame

datasets.disable_progress_bars()


def counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame.group_by(column).len().sort(column).iter_rows()}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest_for(pairs: pl.DataFrame, formats=FORMATS, **card) -> dict:
    """Return a manifest with the fields the card reads, counted from ``pairs``."""
    by_task_split: dict[str, dict[str, int]] = {}
    for task, split, n in pairs.group_by("task", "split").len().sort("task", "split").iter_rows():
        by_task_split.setdefault(task, {})[split] = n
    return {
        "config": {
            "card": {"license": "apache-2.0", "pretty_name": None, "description": None, **card},
            "pairs": {"formats": list(formats), "user_tasks": [], "tokenizer": None},
        },
        "inputs": [
            {"source": "acme-jira", "path": "jira.json", "items": 7, "sha256": "ab" * 32},
        ],
        "stages": [
            {
                "stage": "read",
                "unit": "records",
                "received": 7,
                "kept": 6,
                "rejected": 1,
                "quarantined": 0,
                "reasons": {"source:pull-request": 1},
            },
            {
                "stage": "pairs",
                "unit": "pairs",
                "received": 6,
                "kept": pairs.height,
                "rejected": 6 - pairs.height,
                "quarantined": 0,
                "reasons": {"pairs:empty": 6 - pairs.height} if pairs.height < 6 else {},
            },
        ],
        "counts": {
            "records": 6,
            "pairs": pairs.height,
            "pairs_by_task": counts(pairs, "task"),
            "pairs_by_split": counts(pairs, "split"),
            "pairs_by_source": {"jira": pairs.height},
            "records_by_source": {"jira": 6},
            "records_by_lang": {"en": 6},
            "pairs_by_lang": counts(pairs, "lang"),
            "pairs_by_task_split": by_task_split,
        },
        "redactions": {"person": 3},
        "unmapped_values": {},
    }


def front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    head, _, _ = card[4:].partition("\n---\n")
    return yaml.safe_load(head)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """An output folder with every format and the card, as a build writes it."""
    out = tmp_path / "out"
    out.mkdir()
    pairs = pairs_frame()
    write_formats(pairs, out, SPLITS, FORMATS)
    (out / "README.md").write_text(dataset_card(manifest_for(pairs)), encoding="utf-8")
    return out


def test_front_matter_has_the_hub_metadata_and_one_config_per_format():
    meta = front_matter(dataset_card(manifest_for(pairs_frame())))
    assert meta["pretty_name"] == "dataprep training pairs"
    assert meta["license"] == "apache-2.0"
    assert meta["language"] == ["en"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["text-generation"]
    assert meta["configs"][0] == {
        "config_name": "chat",
        "data_files": [
            {"split": "train", "path": "train.jsonl"},
            {"split": "validation", "path": "validation.jsonl"},
        ],
        "default": True,
    }
    names = ["chat", "openai", "prompt_completion", "alpaca", "sharegpt"]
    assert [c["config_name"] for c in meta["configs"]] == names
    assert all("default" not in c for c in meta["configs"][1:])


def test_parquet_is_a_config_only_when_it_is_the_only_format():
    # datasets reads all of a folder's configs with the builder of the first one (json here)
    meta = front_matter(dataset_card(manifest_for(pairs_frame(), formats=["parquet"])))
    assert meta["configs"] == [
        {
            "config_name": "parquet",
            "data_files": [
                {"split": "train", "path": "parquet/train.parquet"},
                {"split": "validation", "path": "parquet/validation.parquet"},
            ],
            "default": True,
        }
    ]


def test_empty_splits_are_left_out_of_the_configs():
    meta = front_matter(dataset_card(manifest_for(pairs_frame())))
    for config in meta["configs"]:
        assert [f["split"] for f in config["data_files"]] == ["train", "validation"]


def test_each_config_description_carries_the_sha256_of_its_files():
    # datasets keys its cache on the configs, not on the files they name: the digest in the
    # description is what makes a rebuilt folder load afresh (tests/test_hf_load.py)
    outputs = {format_path(fmt, s): f"{fmt}-{s}" for fmt in FORMATS for s in SPLITS}
    manifest = {**manifest_for(pairs_frame()), "outputs": outputs}
    chat = front_matter(dataset_card(manifest))["configs"][0]
    listing = "chat-train  train.jsonl\nchat-validation  validation.jsonl\n"
    assert chat["description"] == f"dataprep chat format, files sha256 {sha256(listing)}"

    changed = {**manifest, "outputs": {**outputs, "openai/train.jsonl": "other"}}
    before = front_matter(dataset_card(manifest))["configs"]
    after = front_matter(dataset_card(changed))["configs"]
    assert [a["description"] == b["description"] for a, b in zip(before, after, strict=True)] == [
        True,
        False,
        True,
        True,
        True,
    ]


def test_a_config_whose_files_have_no_sha256_has_no_description():
    meta = front_matter(dataset_card(manifest_for(pairs_frame())))
    assert all("description" not in config for config in meta["configs"])


def test_load_dataset_reads_the_default_chat_config(folder, tmp_path):
    loaded = datasets.load_dataset(str(folder), cache_dir=str(tmp_path / "cache"))
    assert {s: loaded[s].num_rows for s in loaded} == {"train": 4, "validation": 1}
    assert loaded["train"].column_names == ["messages", "metadata"]


@pytest.mark.parametrize("fmt", ["openai", "prompt_completion", "alpaca", "sharegpt"])
def test_load_dataset_reads_every_format_config(folder, tmp_path, fmt):
    loaded = datasets.load_dataset(str(folder), fmt, cache_dir=str(tmp_path / "cache"))
    assert {s: loaded[s].num_rows for s in loaded} == {"train": 4, "validation": 1}


def test_load_dataset_reads_a_parquet_only_folder(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    write_formats(pairs_frame(), out, SPLITS, ["parquet"])
    manifest = manifest_for(pairs_frame(), formats=["parquet"])
    (out / "README.md").write_text(dataset_card(manifest), encoding="utf-8")
    loaded = datasets.load_dataset(str(out), cache_dir=str(tmp_path / "cache"))
    assert {s: loaded[s].num_rows for s in loaded} == {"train": 4, "validation": 1}


@pytest.mark.parametrize(
    ("n", "label"),
    [
        (0, "n<1K"),
        (999, "n<1K"),
        (1_000, "1K<n<10K"),
        (9_999, "1K<n<10K"),
        (10_000, "10K<n<100K"),
        (999_999, "100K<n<1M"),
        (1_000_000, "1M<n<10M"),
        (10**12, "n>1T"),
    ],
)
def test_size_category_uses_the_hub_buckets(n, label):
    assert size_category(n) == label


def test_languages_are_iso_codes_without_unknowns():
    manifest = manifest_for(pairs_frame())
    manifest["counts"]["pairs_by_lang"] = {"de": 2, "en": 3, "und": 1, "zh-cn": 1, "zh-tw": 1}
    assert front_matter(dataset_card(manifest))["language"] == ["de", "en", "zh"]


def test_license_and_names_come_from_the_config():
    manifest = manifest_for(pairs_frame(), license="cc-by-4.0", pretty_name="ACME: pairs")
    card = dataset_card(manifest)
    meta = front_matter(card)
    assert (meta["license"], meta["pretty_name"]) == ("cc-by-4.0", "ACME: pairs")
    assert "\n# ACME: pairs\n" in card


def test_card_lists_counts_per_task_and_split_and_the_funnel():
    card = dataset_card(manifest_for(pairs_frame()))
    assert "| task | train | validation | total |" in card
    assert "| issue_to_title | 4 | 1 | 5 |" in card
    assert "| **all** | 4 | 1 | 5 |" in card
    assert "| read | records | 7 | 6 | 1 | 0 | source:pull-request 1 |" in card
    assert "| pairs | pairs | 6 | 5 | 1 | 0 | pairs:empty 1 |" in card
    assert "| acme-jira | jira.json | 7 | abababababab |" in card
    assert "Personal data replaced by placeholders: person: 3" in card
    assert "## Known limitations" in card
    assert "estimated as UTF-8 bytes / 4" in card


def test_examples_are_fenced_and_long_messages_cut():
    long_text = "word " * 200 + "```code```"
    example = pair("p7", "train", long_text, "Short ````x```` title")
    card = dataset_card(manifest_for(pairs_frame()), {"issue_to_title": example})
    assert "Example `p7` (train):" in card
    assert "[... cut, 1010 chars]" in card
    assert "```code```" not in card
    assert "`````text\nShort ````x```` title\n`````" in card


def test_a_task_without_an_example_says_so():
    assert "No example." in dataset_card(manifest_for(pairs_frame()))


def test_card_is_the_same_text_every_time():
    manifest = manifest_for(pairs_frame())
    example = {"issue_to_title": pair("p1", "train", "Q\n\nbody", "A")}
    assert dataset_card(manifest, example) == dataset_card(manifest, example)


def test_card_without_pairs_has_no_configs():
    empty = pairs_frame([])
    meta = front_matter(dataset_card(manifest_for(empty)))
    assert "configs" not in meta
    assert meta["size_categories"] == ["n<1K"]


def test_card_examples_take_the_first_train_pair_of_each_task():
    rows = [
        pair("b", "train", "Q", "A"),
        pair("a", "validation", "Q", "A"),
        {**pair("c", "validation", "Q", "A"), "task": "triage"},
    ]
    examples = card_examples(pairs_frame(rows))
    assert {task: p["pair_id"] for task, p in examples.items()} == {
        "issue_to_title": "b",
        "triage": "c",
    }
