"""Each output format against its consumer's rules: OpenAI, TRL, Alpaca, ShareGPT, LLaMA-Factory,
and Hugging Face ``datasets``."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dataprep.pairs.writers import (
    dataset_info,
    format_path,
    read_chat_jsonl,
    write_chat_jsonl,
    write_dataset_info,
    write_formats,
)
from dataprep.schema import PAIR_SCHEMA

FORMATS = ("chat", "openai", "prompt_completion", "alpaca", "sharegpt", "parquet")
JSONL_FORMATS = ("chat", "openai", "prompt_completion", "alpaca", "sharegpt")
SPLITS = ("train", "validation", "test")
SYSTEM = "You help maintainers of acme-cli."

datasets.disable_progress_bars()


def pair(pair_id: str, split: str, user: str, assistant: str, system: str | None = None) -> dict:
    """Return one pair row; ``system`` adds a system message first."""
    messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
    if system:
        messages.insert(0, {"role": "system", "content": system})
    return {
        "pair_id": pair_id,
        "task": "issue_to_title",
        "messages": messages,
        "record_ids": [f"jira:ACME-{pair_id}"],
        "sources": ["jira"],
        "split": split,
        "lang": "en",
        "tokens": len((system or "") + user + assistant) // 4,
    }


def pairs_frame(rows: list[dict] | None = None) -> pl.DataFrame:
    """Return a pairs frame: by default four train pairs, one validation pair, no test pairs."""
    if rows is None:
        rows = [
            pair("p3", "train", "Write a title.\n\nDeploy exits 0 on failure.", "Deploy exit code"),
            pair("p1", "train", "Write a title.\n\nÜmlaut — ünïcode 日本語", "Unicode", SYSTEM),
            pair("p2", "validation", "Triage.\n\nTitle: Crash\n\nStack ```x```", '{"type": "bug"}'),
            pair("p4", "train", "What changed in acme-cli 2.14?", "- Fixed deploy", SYSTEM),
            pair("p0", "train", "Write a title.\n\nLogin loops.", "Login loop"),
        ]
    return pl.DataFrame(rows, schema=PAIR_SCHEMA)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    out.mkdir()
    write_formats(pairs_frame(), out, SPLITS, FORMATS)
    return out


def load(builder: str, folder: Path, fmt: str, cache: Path) -> datasets.DatasetDict:
    files = {s: str(folder / format_path(fmt, s)) for s in ("train", "validation")}
    return datasets.load_dataset(builder, data_files=files, cache_dir=str(cache))


def test_write_formats_returns_every_file_relative_to_the_folder(tmp_path):
    written = write_formats(pairs_frame(), tmp_path, ("train", "validation"), ["chat", "parquet"])
    assert written == [
        "train.jsonl",
        "validation.jsonl",
        "parquet/train.parquet",
        "parquet/validation.parquet",
    ]
    assert all((tmp_path / p).is_file() for p in written)
    assert not (tmp_path / "openai").exists()


def test_openai_lines_follow_the_fine_tuning_api_rules(folder):
    lines = read_jsonl(folder / "openai/train.jsonl") + read_jsonl(
        folder / "openai/validation.jsonl"
    )
    assert len(lines) == 5
    for line in lines:
        assert list(line) == ["messages"]
        messages = line["messages"]
        for i, message in enumerate(messages):
            assert list(message) == ["role", "content"]
            assert message["role"] in {"system", "user", "assistant"}
            assert isinstance(message["content"], str) and message["content"].strip()
            assert message["role"] != "system" or i == 0
        turns = [m["role"] for m in messages if m["role"] != "system"]
        assert turns == ["user", "assistant"] * (len(turns) // 2)
        assert messages[-1]["role"] == "assistant"


def test_openai_keeps_the_system_prompt_first(folder):
    first = read_jsonl(folder / "openai/train.jsonl")[1]
    assert first == {
        "messages": [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": "Write a title.\n\nÜmlaut — ünïcode 日本語"},
            {"role": "assistant", "content": "Unicode"},
        ]
    }


def test_chat_lines_carry_the_metadata_and_read_back(folder):
    assert read_jsonl(folder / "validation.jsonl") == [
        {
            "messages": [
                {"role": "user", "content": "Triage.\n\nTitle: Crash\n\nStack ```x```"},
                {"role": "assistant", "content": '{"type": "bug"}'},
            ],
            "metadata": {
                "pair_id": "p2",
                "task": "issue_to_title",
                "record_ids": ["jira:ACME-p2"],
                "sources": ["jira"],
                "split": "validation",
                "lang": "en",
                "tokens": 12,
            },
        }
    ]
    back = read_chat_jsonl(folder / "train.jsonl")
    assert back.equals(pairs_frame().filter(pl.col("split") == "train").sort("pair_id"))


def test_prompt_completion_folds_the_system_prompt_into_the_prompt(folder):
    lines = read_jsonl(folder / "prompt_completion/train.jsonl")
    assert lines[0] == {
        "prompt": "Write a title.\n\nLogin loops.\n\n",
        "completion": "Login loop",
    }
    assert lines[1] == {
        "prompt": f"{SYSTEM}\n\nWrite a title.\n\nÜmlaut — ünïcode 日本語\n\n",
        "completion": "Unicode",
    }


def test_alpaca_instruction_is_the_first_paragraph_and_input_the_rest(folder):
    train = read_jsonl(folder / "alpaca/train.jsonl")
    assert train[1] == {
        "instruction": "Write a title.",
        "input": "Ümlaut — ünïcode 日本語",
        "output": "Unicode",
        "system": SYSTEM,
    }
    assert train[3] == {
        "instruction": "What changed in acme-cli 2.14?",
        "input": "",
        "output": "- Fixed deploy",
        "system": SYSTEM,
    }
    assert read_jsonl(folder / "alpaca/validation.jsonl")[0]["input"] == (
        "Title: Crash\n\nStack ```x```"
    )


def test_sharegpt_has_human_and_gpt_turns_and_a_system_column(folder):
    train = read_jsonl(folder / "sharegpt/train.jsonl")
    assert train[0] == {
        "conversations": [
            {"from": "human", "value": "Write a title.\n\nLogin loops."},
            {"from": "gpt", "value": "Login loop"},
        ],
        "system": "",
    }
    assert train[1]["system"] == SYSTEM


def test_every_file_is_sorted_by_pair_id(folder):
    expected = ["p0", "p1", "p3", "p4"]
    assert [line["metadata"]["pair_id"] for line in read_jsonl(folder / "train.jsonl")] == expected
    assert pl.read_parquet(folder / "parquet/train.parquet")["pair_id"].to_list() == expected
    completions = [
        line["completion"] for line in read_jsonl(folder / "prompt_completion/train.jsonl")
    ]
    assert completions == ["Login loop", "Unicode", "Deploy exit code", "- Fixed deploy"]


def test_parquet_keeps_the_pair_schema(folder):
    frame = pl.read_parquet(folder / "parquet/train.parquet")
    assert frame.schema == pl.Schema(PAIR_SCHEMA)
    assert frame.equals(pairs_frame().filter(pl.col("split") == "train").sort("pair_id"))


def test_parquet_has_the_arrow_types_datasets_gives_json(folder):
    # polars alone writes large_string and large_list, which concatenate_datasets will not mix
    # with the string and list that datasets reads from the JSON Lines files
    message = pa.struct([("role", pa.string()), ("content", pa.string())])
    expected = {
        "pair_id": pa.string(),
        "task": pa.string(),
        "messages": pa.list_(message),
        "record_ids": pa.list_(pa.string()),
        "sources": pa.list_(pa.string()),
        "split": pa.string(),
        "lang": pa.string(),
        "tokens": pa.int64(),
    }
    for split in SPLITS:
        schema = pq.read_schema(folder / format_path("parquet", split))
        # Parquet names a list's items "element", Arrow "item"; compare what they hold
        assert {f.name: _items_named_item(f.type) for f in schema} == expected


def test_parquet_and_openai_messages_concatenate_in_datasets(folder, tmp_path):
    parquet = load("parquet", folder, "parquet", tmp_path / "cache")["train"]
    openai = load("json", folder, "openai", tmp_path / "cache")["train"]
    assert parquet.features["messages"] == openai.features["messages"]
    both = datasets.concatenate_datasets([parquet.select_columns(["messages"]), openai])
    assert list(both["messages"]) == list(openai["messages"]) * 2


def _items_named_item(dtype: pa.DataType) -> pa.DataType:
    if pa.types.is_list(dtype):
        return pa.list_(_items_named_item(dtype.value_type))
    if pa.types.is_struct(dtype):
        fields = [dtype.field(i) for i in range(dtype.num_fields)]
        return pa.struct([(f.name, _items_named_item(f.type)) for f in fields])
    return dtype


def test_empty_split_gets_an_empty_file_in_every_format(folder):
    for fmt in JSONL_FORMATS:
        assert (folder / format_path(fmt, "test")).read_bytes() == b""
    empty = pl.read_parquet(folder / "parquet/test.parquet")
    assert empty.height == 0 and empty.schema == pl.Schema(PAIR_SCHEMA)


def test_files_are_utf8_with_unix_newlines(folder):
    raw = (folder / "openai/train.jsonl").read_bytes()
    assert b"\r" not in raw and raw.endswith(b"\n")
    assert "日本語".encode() in raw  # not \u escapes


def test_rewriting_the_same_pairs_is_byte_identical(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    written = write_formats(pairs_frame(), first, SPLITS, FORMATS)
    shuffled = pairs_frame().sample(fraction=1.0, shuffle=True, seed=7)
    assert write_formats(shuffled, second, SPLITS, FORMATS) == written
    write_dataset_info(first, FORMATS, SPLITS)
    write_dataset_info(second, FORMATS, SPLITS)
    for name in [*written, "dataset_info.json"]:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


@pytest.mark.parametrize("fmt", JSONL_FORMATS)
def test_jsonl_formats_load_with_hugging_face_datasets(folder, tmp_path, fmt):
    loaded = load("json", folder, fmt, tmp_path / "cache")
    assert {s: loaded[s].num_rows for s in loaded} == {"train": 4, "validation": 1}
    assert loaded["train"][0] == read_jsonl(folder / format_path(fmt, "train"))[0]


def test_parquet_loads_with_hugging_face_datasets(folder, tmp_path):
    loaded = load("parquet", folder, "parquet", tmp_path / "cache")
    assert {s: loaded[s].num_rows for s in loaded} == {"train": 4, "validation": 1}
    assert loaded["validation"][0]["messages"][1] == {
        "role": "assistant",
        "content": '{"type": "bug"}',
    }
    assert loaded["train"].column_names == list(PAIR_SCHEMA)


def test_dataset_info_follows_llama_factory_documentation():
    info = dataset_info(FORMATS, ("train", "validation"))
    assert list(info) == [
        "openai_train",
        "openai_validation",
        "alpaca_train",
        "alpaca_validation",
        "sharegpt_train",
        "sharegpt_validation",
    ]
    assert info["alpaca_train"] == {
        "file_name": "alpaca/train.jsonl",
        "formatting": "alpaca",
        "columns": {
            "prompt": "instruction",
            "query": "input",
            "response": "output",
            "system": "system",
        },
    }
    assert info["sharegpt_validation"] == {
        "file_name": "sharegpt/validation.jsonl",
        "formatting": "sharegpt",
        "columns": {"messages": "conversations", "system": "system"},
    }
    assert info["openai_train"] == {
        "file_name": "openai/train.jsonl",
        "formatting": "sharegpt",
        "columns": {"messages": "messages"},
        "tags": {
            "role_tag": "role",
            "content_tag": "content",
            "user_tag": "user",
            "assistant_tag": "assistant",
            "system_tag": "system",
        },
    }


def test_dataset_info_points_at_files_whose_rows_have_the_named_columns(folder):
    assert write_dataset_info(folder, FORMATS, SPLITS) == ["dataset_info.json"]
    info = json.loads((folder / "dataset_info.json").read_text(encoding="utf-8"))
    assert len(info) == 9
    documented = {"file_name", "formatting", "columns", "tags"}
    for name, entry in info.items():
        assert set(entry) <= documented, name
        assert entry["formatting"] in {"alpaca", "sharegpt"}
        for row in read_jsonl(folder / entry["file_name"]):
            assert set(entry["columns"].values()) <= set(row), name
            if entry["formatting"] != "sharegpt":
                continue
            tags = {"role_tag": "from", "content_tag": "value", **entry.get("tags", {})}
            roles = {"human", "gpt", "system"} if "tags" not in entry else set()
            roles |= {tags.get(k) for k in ("user_tag", "assistant_tag", "system_tag")}
            for message in row[entry["columns"]["messages"]]:
                assert set(message) == {tags["role_tag"], tags["content_tag"]}
                assert message[tags["role_tag"]] in roles


def test_dataset_info_is_skipped_when_no_llama_factory_format_is_written(tmp_path):
    assert dataset_info(["chat", "parquet", "prompt_completion"], SPLITS) == {}
    assert write_dataset_info(tmp_path, ["chat", "parquet"], SPLITS) == []
    assert not (tmp_path / "dataset_info.json").exists()


def test_write_chat_jsonl_still_writes_the_top_level_files(tmp_path):
    paths = write_chat_jsonl(pairs_frame(), tmp_path, ("train", "validation"))
    assert paths == [tmp_path / "train.jsonl", tmp_path / "validation.jsonl"]
    assert len(read_jsonl(paths[0])) == 4


def test_unknown_format_or_split_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="unknown format 'jsonl'"):
        write_formats(pairs_frame(), tmp_path, ("train",), ["jsonl"])
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        write_formats(pairs_frame(), tmp_path, ("dev",), ["chat"])


def test_a_pair_that_is_not_one_turn_names_itself(tmp_path):
    odd = pair("p9", "train", "Q", "A")
    odd["messages"] = odd["messages"] * 2
    with pytest.raises(ValueError, match="pair p9: expected messages"):
        write_formats(pairs_frame([odd]), tmp_path, ("train",), ["alpaca"])
