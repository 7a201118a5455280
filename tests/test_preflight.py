"""Everything a build needs is checked before it reads a record, and each mistake is one line
naming the key (or the suite file) and the fix, exit code 2."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

import dataprep.pipeline
from dataprep.cli import main
from dataprep.config import ConfigError, load_config
from dataprep.preflight import check_build
from dataprep.validate import (
    SuiteError,
    configured_suite_paths,
    default_suite_paths,
    packaged_suites_dir,
)

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder holding only inputs and a minimal config; returns the config path."""
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    config = tmp_path / "dataprep.yaml"
    _write(
        config,
        {
            "sources": [
                {"name": "j", "type": "jira", "path": "sample_data/jira/*.json"},
                {"name": "c", "type": "changelog", "path": "sample_data/changelogs/*.md"},
            ]
        },
    )
    return config


def _write(config: Path, data: dict) -> None:
    config.write_text(yaml.safe_dump(data, sort_keys=False))


def _with(config: Path, **sections) -> Path:
    data = yaml.safe_load(config.read_text())
    data.update(sections)
    _write(config, data)
    return config


def _error(config: Path, monkeypatch) -> str:
    """Return the one-line error of ``dataprep build``, asserting no record was read."""
    reads = []

    def spy(path, ctx):
        reads.append(path)
        raise AssertionError("a source was read before the config was checked")

    monkeypatch.setattr(
        dataprep.pipeline, "CONNECTORS", dict.fromkeys(dataprep.pipeline.CONNECTORS, spy)
    )
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert reads == []
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    return lines[0]


def test_the_shipped_suites_are_package_data_and_the_default():
    shipped = packaged_suites_dir()
    assert shipped.parent == Path(dataprep.__file__).parent
    assert [p.name for p in default_suite_paths()] == ["records.json", "pairs.json"]
    # the repository's expectations/ is the same folder, so editing it edits what ships
    assert (REPO / "expectations").resolve() == shipped.resolve()


def test_a_suite_of_your_own_replaces_the_shipped_one_of_its_name_and_others_are_added(tmp_path):
    mine = tmp_path / "suites"
    mine.mkdir()
    (mine / "pairs.json").write_text(json.dumps({"name": "pairs", "expectations": []}))
    (mine / "house-rules.json").write_text(
        json.dumps({"name": "house-rules", "meta": {"dataprep_frame": "pairs"}, "expectations": []})
    )
    paths = default_suite_paths(mine)
    assert paths == [
        packaged_suites_dir() / "records.json",
        mine / "pairs.json",
        mine / "house-rules.json",
    ]


def test_a_missing_source_file_of_a_later_source_fails_before_the_first_is_read(
    project, monkeypatch
):
    data = yaml.safe_load(project.read_text())
    data["sources"][1]["path"] = "releases/*.md"
    _write(project, data)
    assert _error(project, monkeypatch) == (
        "error: sources[1].path: no file matches 'releases/*.md'; check the path"
    )


def test_an_api_source_without_a_snapshot_names_the_pull(project, monkeypatch):
    data = yaml.safe_load(project.read_text())
    data["sources"].append({"name": "gh", "type": "github", "url": "http://127.0.0.1:9"})
    _write(project, data)
    assert "sources[2]: no snapshot of 'gh'" in _error(project, monkeypatch)
    assert "dataprep pull" in _error(project, monkeypatch)


def test_a_tokenizer_that_is_not_a_tokenizer_json_fails_with_its_key(project, monkeypatch):
    (project.parent / "tokenizer.json").write_text('{"not": "a tokenizer"}')
    _with(project, pairs={"tokenizer": "tokenizer.json"})
    line = _error(project, monkeypatch)
    assert line.startswith("error: pairs.tokenizer: 'tokenizer.json' is not a Hugging Face")


def test_a_missing_suite_folder_fails_with_the_fix(project, monkeypatch):
    _with(project, validate={"expectations": "my-suites"})
    line = _error(project, monkeypatch)
    assert "my-suites: no such folder of suites" in line
    assert "leave validate.expectations unset" in line


def _own_suite(config: Path, name: str, text: str) -> None:
    """Put ``text`` in ``my-suites/<name>`` beside ``config`` and point the config at it."""
    mine = config.parent / "my-suites"
    mine.mkdir(exist_ok=True)
    (mine / name).write_text(text)
    _with(config, validate={"expectations": "my-suites"})


def test_a_misspelt_expectation_in_your_suite_fails_before_reading(project, monkeypatch):
    suite = {
        "name": "extra",
        "meta": {"dataprep_frame": "pairs"},
        "expectations": [{"type": "expect_table_row_count_to_be_betwen", "kwargs": {}}],
    }
    _own_suite(project, "extra.json", json.dumps(suite))
    line = _error(project, monkeypatch)
    assert "extra.json: expectation 1" in line
    assert "unknown expectation type 'expect_table_row_count_to_be_betwen' (did you mean" in line


def test_a_suite_that_is_not_json_names_its_line(project, monkeypatch):
    _own_suite(project, "records.json", '{"expectations": [\n  {"type": }\n]}')
    assert "records.json:2: not valid JSON" in _error(project, monkeypatch)


def test_a_missing_evaluation_set_and_a_file_for_a_folder_fail_with_their_keys(
    project, monkeypatch
):
    _with(project, dedup={"decontaminate": ["evals/mmlu.jsonl"]})
    assert "dedup.decontaminate[0]: no file at 'evals/mmlu.jsonl'" in _error(project, monkeypatch)
    (project.parent / "index").write_text("")
    _with(project, dedup={"index": "index"})
    assert "dedup.index: 'index' is a file; name a folder" in _error(project, monkeypatch)
    (project.parent / "results").write_text("")
    _with(project, dedup={}, output="results")
    assert "output: 'results' is a file" in _error(project, monkeypatch)


def test_a_good_config_passes_the_check(project):
    check_build(load_config(project))


def test_the_check_skips_snapshots_for_a_build_that_pulls_first(project):
    data = yaml.safe_load(project.read_text())
    data["sources"].append({"name": "gh", "type": "github", "url": "http://127.0.0.1:9"})
    _write(project, data)
    cfg = load_config(project)
    check_build(cfg, snapshots=False)
    with pytest.raises(ConfigError, match="no snapshot of 'gh'"):
        check_build(cfg)


def test_validate_runs_the_suites_the_build_ran_from_any_folder(project, tmp_path):
    mine = project.parent / "my-suites"
    mine.mkdir()
    suite = {
        "name": "house-rules",
        "meta": {"dataprep_frame": "pairs"},
        "expectations": [
            {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1}}
        ],
    }
    (mine / "house-rules.json").write_text(json.dumps(suite))
    _with(project, validate={"expectations": "my-suites", "data_docs": False})
    result = CliRunner().invoke(main, ["build", "--config", str(project)])
    assert result.exit_code == 0, result.output
    out = project.parent / "out"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cwd = os.getcwd()
    os.chdir(elsewhere)
    try:
        result = CliRunner().invoke(main, ["validate", str(out), "--format", "json", "--no-docs"])
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    gates = [g["suite"] for g in json.loads(result.output)["gates"]]
    assert gates == ["records", "pairs", "house-rules"]
    assert configured_suite_paths(load_config(project))[-1] == mine / "house-rules.json"


def test_a_suite_error_is_a_suite_error(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(SuiteError, match="expected an object with an 'expectations' list"):
        default_suite_paths(tmp_path)
