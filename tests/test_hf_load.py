"""A build folder through ``datasets.load_dataset(folder)`` and its default cache: a rebuild is
read afresh, two folders of the same name keep apart, and every format gives shared columns the
same types."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import datasets
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml

from dataprep.pairs.writers import format_path
from tests.test_build import REPO, _build, _project

JSONL_CONFIGS = ("chat", "openai", "prompt_completion", "alpaca", "sharegpt")
SAMPLE_PAIRS = yaml.safe_load((REPO / "dataprep.yaml").read_text())["pairs"]

datasets.disable_progress_bars()


@contextmanager
def default_cache(cache: Path) -> Iterator[None]:
    """Point datasets' default cache at ``cache``: the environment for child processes, and the
    module's settings for this one (datasets reads HF_DATASETS_CACHE once, at import)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_DATASETS_CACHE", str(cache))
        mp.setattr(datasets.config, "HF_DATASETS_CACHE", cache)
        mp.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", cache / "downloads")
        mp.setattr(datasets.config, "EXTRACTED_DATASETS_PATH", cache / "downloads" / "extracted")
        yield


@pytest.fixture
def hf_cache(tmp_path: Path) -> Iterator[Path]:
    cache = tmp_path / "hf-cache"
    with default_cache(cache):
        yield cache


def rows_on_disk(out: Path) -> dict[str, int]:
    """Return the pairs per split in the chat files, leaving out empty splits."""
    lines = {s: len((out / f"{s}.jsonl").read_text().splitlines()) for s in ("train", "validation")}
    return {s: n for s, n in lines.items() if n}


def rows_loaded(out: Path, config: str | None = None, **kwargs) -> dict[str, int]:
    """Return the rows per split ``datasets.load_dataset(out, config)`` gives, no flags set."""
    loaded = datasets.load_dataset(str(out), config, **kwargs)
    return {split: loaded[split].num_rows for split in loaded}


@pytest.fixture(scope="module")
def rebuilt(sample_build: Path, tmp_path_factory) -> tuple[Path, Path, dict[str, int]]:
    """A folder ``out`` that held the sample build, was loaded once, then was rebuilt with one
    task: (the folder, the HF cache it was loaded into, the rows loaded before the rebuild)."""
    tmp = tmp_path_factory.mktemp("rebuilt")
    out, cache = tmp / "out", tmp / "hf-cache"
    shutil.copytree(sample_build, out)
    with default_cache(cache):
        before = rows_loaded(out)
    code, output = _build(_project(tmp, pairs={**SAMPLE_PAIRS, "tasks": ["issue_to_title"]}))
    assert code == 0, output
    return out, cache, before


def test_load_dataset_after_a_rebuild_returns_the_rows_on_disk(rebuilt, sample_build):
    out, cache, before = rebuilt
    assert before == rows_on_disk(sample_build)
    assert rows_on_disk(out) != before
    with default_cache(cache):
        assert rows_loaded(out) == rows_on_disk(out)
        assert rows_loaded(out, "openai") == rows_on_disk(out)
        # it used to raise NonMatchingSplitsSizesError, checking against the stale cached info
        assert rows_loaded(out, download_mode="force_redownload") == rows_on_disk(out)


def test_two_builds_in_folders_named_out_each_load_their_own_rows(
    rebuilt, sample_build, tmp_path, hf_cache
):
    one_task, _, _ = rebuilt
    full = tmp_path / "full" / "out"
    shutil.copytree(sample_build, full)
    assert rows_on_disk(full) != rows_on_disk(one_task)
    assert rows_loaded(full) == rows_on_disk(full)
    assert rows_loaded(one_task) == rows_on_disk(one_task)
    assert rows_loaded(full) == rows_on_disk(full)


def test_every_format_loads_shared_columns_with_the_same_features(sample_build, hf_cache):
    trains = {
        fmt: datasets.load_dataset(str(sample_build), fmt, split="train") for fmt in JSONL_CONFIGS
    }
    trains["parquet"] = datasets.load_dataset(
        "parquet", data_files={"train": str(sample_build / format_path("parquet", "train"))}
    )["train"]
    shared = {"messages": ["chat", "openai", "parquet"], "system": ["alpaca", "sharegpt"]}
    for column in {c for train in trains.values() for c in train.column_names}:
        having = [fmt for fmt, train in trains.items() if column in train.features]
        assert len(having) == 1 or having == shared[column], column
        first = trains[having[0]].features[column]
        assert all(trains[fmt].features[column] == first for fmt in having), column
    # the chat format nests the pair's other columns under metadata; parquet has them at the top
    for column, feature in trains["chat"].features["metadata"].items():
        assert trains["parquet"].features[column] == feature, column
    messages = datasets.concatenate_datasets(
        [trains["parquet"].select_columns(["messages"]), trains["openai"]]
    )
    assert messages.num_rows == 2 * rows_on_disk(sample_build)["train"]
    assert messages[0] == trains["openai"][0]


def _large_types(dtype: pa.DataType) -> list[str]:
    """Return the large or view types in ``dtype``, nested ones included."""
    found = [str(dtype)] if "large" in str(dtype) or "view" in str(dtype) else []
    if pa.types.is_list(dtype):
        found += _large_types(dtype.value_type)
    if pa.types.is_struct(dtype):
        for i in range(dtype.num_fields):
            found += _large_types(dtype.field(i).type)
    return found


def test_every_parquet_file_has_regular_string_and_list_types(sample_build):
    files = sorted(sample_build.rglob("*.parquet"))
    assert {f.name for f in files} >= {"records.parquet", "train.parquet", "validation.parquet"}
    for path in files:
        schema = pq.read_schema(path)
        assert [(f.name, _large_types(f.type)) for f in schema if _large_types(f.type)] == [], path
