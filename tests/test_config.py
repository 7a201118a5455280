from pathlib import Path

import pytest

from dataprep.config import ConfigError, load_config, parse_config

MINIMAL = {"sources": [{"name": "j", "type": "jira", "path": "data/*.json"}]}


def test_minimal_config_fills_every_default():
    cfg = parse_config(MINIMAL, base_dir=Path("/proj"))
    assert cfg.output == "out"
    assert cfg.clean.redact.enabled is True and cfg.clean.quality.min_words == 5
    assert cfg.validate.enabled is True
    assert cfg.dedup.threshold == 0.7
    assert cfg.pairs.tasks == [
        "issue_to_title",
        "triage",
        "bug_to_resolution",
        "question_to_answer",
        "release_notes",
        "release_qa",
        "changes_to_release_notes",
        "issue_to_changelog_entry",
        "duplicate_check",
    ]
    assert cfg.pairs.formats == [
        "chat",
        "openai",
        "prompt_completion",
        "alpaca",
        "sharegpt",
        "parquet",
    ]
    assert cfg.pairs.split.mode == "hash" and cfg.pairs.over_budget == "drop"
    assert cfg.output_dir == Path("/proj/out")
    assert cfg.resolve("data/x.json") == Path("/proj/data/x.json")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {**MINIMAL, "dedup": {"treshold": 0.7}},
            "dedup.treshold: unknown key; did you mean 'threshold'?",
        ),
        ({**MINIMAL, "outptu": "x"}, "outptu: unknown key; did you mean 'output'?"),
        (
            {**MINIMAL, "clean": {"quality": {"min_words": "ten"}}},
            "clean.quality.min_words: expected an integer, got str 'ten'",
        ),
        (
            {"sources": [{"name": "j", "type": "jra", "path": "x"}]},
            "sources[0].type: unknown type 'jra'",
        ),
        (
            {"sources": [{"name": "j", "type": "jira"}]},
            "sources[0]: give exactly one of 'path' (files) or 'url' (an API to pull)",
        ),
        (
            {"sources": [{"name": "j", "type": "jira", "path": "x", "status_map": {"Live": "up"}}]},
            "sources[0].status_map.Live: 'up' is not canonical",
        ),
        (
            {"sources": [{"name": "g", "type": "generic", "path": "x.csv"}]},
            "sources[0].fields: a generic source needs a field mapping",
        ),
        ({"output": "out"}, "sources: missing"),
        (
            {**MINIMAL, "pairs": {"tasks": ["summarise"]}},
            "pairs.tasks[0]: unknown task 'summarise'",
        ),
        ({**MINIMAL, "dedup": {"threshold": 1.5}}, "dedup.threshold: must be between 0 and 1"),
    ],
)
def test_bad_config_names_the_key_and_the_fix(data, message):
    with pytest.raises(ConfigError) as err:
        parse_config(data)
    assert str(err.value).startswith(message)


def test_missing_config_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: '.*nope.yaml'"):
        load_config(tmp_path / "nope.yaml")


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "dataprep.yaml"
    path.write_text("sources:\n  - {name: a, type: jira\n")
    with pytest.raises(ConfigError, match=r"dataprep.yaml:\d+: not valid YAML"):
        load_config(path)


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    path = tmp_path / "dataprep.yaml"
    path.write_text("sources: [{name: a, type: jira, path: in/*.json}]\noutput: build\n")
    cfg = load_config(path)
    assert cfg.output_dir == tmp_path / "build"


def test_fingerprint_changes_with_the_effective_config():
    a = parse_config(MINIMAL)
    b = parse_config({**MINIMAL, "dedup": {"threshold": 0.9}})
    assert a.fingerprint() == parse_config(MINIMAL).fingerprint()
    assert a.fingerprint() != b.fingerprint()
