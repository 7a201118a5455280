"""`dataprep validate` on a damaged output folder or baseline: one line naming the file, never a
traceback.

Which exit code, by case (the test names say it too):

- a build with a file missing or unreadable (a JSON Lines file cut mid-line or with a line that
  is not a pair, a Parquet file that is not one, a broken or missing manifest) is a build that
  failed: exit 1, ``failed: <file>[:line[:column]]: <what>; ...``, and in the json, junit and
  github formats a failed gate ``output`` with one outcome named for the file, so CI reports
  show it like a failed expectation;
- a path that is no build (missing, a file, an empty folder) and a damaged ``--baseline`` are
  usage errors: exit 2, ``error: <path>: <what>``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from dataprep.api import DamagedOutputError, read_output, validate_output
from dataprep.cli import main

DATAPREP = Path(sys.executable).parent / "dataprep"
REBUILD = "; the build output is damaged; run `dataprep build` again"


@pytest.fixture
def out(sample_build, tmp_path) -> Path:
    """A private copy of the sample build, free to damage."""
    copy = tmp_path / "out"
    shutil.copytree(sample_build, copy)
    return copy


def _replace_line(path: Path, number: int, line: bytes) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    lines[number - 1] = line + b"\n"
    path.write_bytes(b"".join(lines))


def _cut_mid_line(out: Path) -> str:
    path = out / "train.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:2]) + lines[2][: len(lines[2]) // 2])
    return f"failed: {path}:3:"


def _line_not_json(out: Path) -> str:
    path = out / "train.jsonl"
    _replace_line(path, 2, b"this is not JSON")
    return f"failed: {path}:2:1: not valid JSON (Expecting value){REBUILD}"


def _line_not_a_pair(out: Path) -> str:
    path = out / "validation.jsonl"
    _replace_line(path, 1, b'{"messages": []}')
    return f"failed: {path}:1: not a chat pair (no 'messages' and 'metadata'){REBUILD}"


def _line_not_utf8(out: Path) -> str:
    path = out / "train.jsonl"
    _replace_line(path, 4, b'{"messages": "\x80"}')
    return f"failed: {path}:4: not UTF-8 text{REBUILD}"


def _garbage_parquet(out: Path) -> str:
    path = out / "records.parquet"
    path.write_bytes(b"these bytes are no Parquet file" * 4)
    return f"failed: {path}: not a readable Parquet file ("


def _parquet_without_body(out: Path) -> str:
    import polars as pl

    path = out / "records.parquet"
    pl.read_parquet(path).drop("body").write_parquet(path)
    return f"failed: {path}: records: missing column 'body'{REBUILD}"


def _records_deleted(out: Path) -> str:
    (out / "records.parquet").unlink()
    return f"failed: {out / 'records.parquet'}: missing{REBUILD}"


def _manifest_cut(out: Path) -> str:
    path = out / "manifest.json"
    path.write_text(path.read_text()[:200])
    return f"failed: {path}:"


def _manifest_not_a_manifest(out: Path) -> str:
    path = out / "manifest.json"
    path.write_text('["a list"]')
    return f"failed: {path}: no 'config' object; not a dataprep manifest{REBUILD}"


def _manifest_config_broken(out: Path) -> str:
    path = out / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["config"]["sources"] = "nowhere"
    path.write_text(json.dumps(manifest))
    return f"failed: {path}: the config in it does not load (sources: expected a list"


def _manifest_deleted(out: Path) -> str:
    (out / "manifest.json").unlink()
    return (
        f"failed: {out / 'manifest.json'}: missing, though {out / 'records.parquet'} is there"
        f"{REBUILD}"
    )


def _empty_folder(out: Path) -> str:
    shutil.rmtree(out)
    out.mkdir()
    return f"error: {out}: no manifest.json; is this a dataprep output folder?"


def _no_folder(out: Path) -> str:
    shutil.rmtree(out)
    return f"error: {out}: no such folder; pass the output folder of a build"


def _a_file(out: Path) -> str:
    shutil.rmtree(out)
    out.write_text("not a folder")
    return f"error: {out}: a file, not a folder; pass the output folder of a build"


# case -> (damage, exit code); the damage returns the start of the one line on stderr
CASES: dict[str, tuple[Callable[[Path], str], int]] = {
    "train_cut_mid_line_fails_naming_file_and_line": (_cut_mid_line, 1),
    "a_line_that_is_not_json_fails_naming_file_line_and_column": (_line_not_json, 1),
    "a_json_line_that_is_not_a_pair_fails_naming_file_and_line": (_line_not_a_pair, 1),
    "a_line_that_is_not_utf8_fails_naming_file_and_line": (_line_not_utf8, 1),
    "garbage_parquet_fails_naming_the_file": (_garbage_parquet, 1),
    "parquet_without_a_record_column_fails_naming_file_and_column": (_parquet_without_body, 1),
    "deleted_records_parquet_fails_naming_it": (_records_deleted, 1),
    "manifest_cut_short_fails_naming_file_and_line": (_manifest_cut, 1),
    "manifest_that_is_not_one_fails_naming_it": (_manifest_not_a_manifest, 1),
    "manifest_whose_config_does_not_load_fails_naming_it": (_manifest_config_broken, 1),
    "deleted_manifest_fails_naming_it": (_manifest_deleted, 1),
    "empty_folder_is_a_usage_error": (_empty_folder, 2),
    "missing_folder_is_a_usage_error": (_no_folder, 2),
    "a_file_is_a_usage_error": (_a_file, 2),
}


def _one_line(stderr: str, start: str) -> None:
    assert "Traceback" not in stderr
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(start), (lines[0], start)
    if start.startswith("failed: "):
        assert lines[0].endswith(REBUILD)


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_output(out, case):
    damage, code = CASES[case]
    start = damage(out)
    result = CliRunner().invoke(main, ["validate", str(out)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    _one_line(result.stderr, start)


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_output_in_a_real_process_shows_no_traceback(out, case):
    damage, code = CASES[case]
    start = damage(out)
    done = subprocess.run(
        [str(DATAPREP), "validate", str(out)], capture_output=True, text=True, check=False
    )
    assert done.returncode == code, done.stderr
    assert done.stdout == ""
    _one_line(done.stderr, start)


def test_a_deleted_split_file_fails_the_gate_it_starves_not_as_damage(out):
    (out / "validation.jsonl").unlink()
    result = CliRunner().invoke(main, ["validate", str(out)])
    assert result.exit_code == 1
    assert "pairs: validation-share on 'is_validation' failed" in result.stderr


def test_a_damaged_output_is_a_failed_gate_named_output_in_json_junit_and_github(out):
    start = _line_not_json(out).removeprefix("failed: ")
    runner = CliRunner()
    result = runner.invoke(main, ["validate", str(out), "--format", "json"])
    assert result.exit_code == 1
    (gate,) = json.loads(result.stdout)["gates"]
    assert gate["suite"] == "output" and gate["success"] is False
    (outcome,) = gate["results"]
    assert outcome["name"] == "train.jsonl" and outcome["observed"] == start

    result = runner.invoke(main, ["validate", str(out), "--format", "junit"])
    assert result.exit_code == 1
    _one_line(result.stderr, f"failed: {start}")
    root = ET.parse(out / "validation" / "junit.xml").getroot()
    (case,) = root.iter("testcase")
    assert case.get("name") == "train.jsonl" and case.find("failure") is not None

    result = runner.invoke(main, ["validate", str(out), "--format", "github"])
    assert result.exit_code == 1
    assert result.stdout.startswith("::error title=dataprep output%3A train.jsonl::")


def test_the_api_raises_damaged_output_error_naming_the_file(out):
    _line_not_json(out)
    for read in (read_output, validate_output):
        with pytest.raises(DamagedOutputError, match=r"train\.jsonl:2:1: not valid JSON") as err:
            read(out)
        assert err.value.path == out / "train.jsonl"
        assert isinstance(err.value, ValueError)


def test_the_api_raises_file_not_found_for_a_folder_that_is_no_build(tmp_path):
    with pytest.raises(FileNotFoundError, match="is this a dataprep output folder"):
        read_output(tmp_path)
    (tmp_path / "f").write_text("")
    with pytest.raises(NotADirectoryError, match="a file, not a folder"):
        validate_output(tmp_path / "f")


def _no_baseline_folder(base: Path) -> str:
    shutil.rmtree(base)
    return f"error: {base}: no such folder; --baseline needs a dataprep build folder"


def _baseline_manifest_deleted(base: Path) -> str:
    (base / "manifest.json").unlink()
    return f"error: {base}: no manifest.json; --baseline needs a dataprep build folder"


def _baseline_manifest_cut(base: Path) -> str:
    path = base / "manifest.json"
    path.write_text(path.read_text()[:100])
    return f"error: {path}:"


def _baseline_manifest_without_counts(base: Path) -> str:
    path = base / "manifest.json"
    path.write_text('{"config": {}}')
    return f"error: {path}: no 'counts' object; not a dataprep manifest"


def _baseline_manifest_counts_wrong(base: Path) -> str:
    path = base / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["counts"]["pairs_by_task"] = 5
    path.write_text(json.dumps(manifest))
    return f"error: {path}: not a dataprep manifest; its counts or stages do not read ("


BASELINE_CASES = {
    "missing_baseline_folder_is_a_usage_error": _no_baseline_folder,
    "deleted_baseline_manifest_is_a_usage_error": _baseline_manifest_deleted,
    "baseline_manifest_cut_short_is_a_usage_error_naming_file_and_line": _baseline_manifest_cut,
    "baseline_manifest_without_counts_is_a_usage_error": _baseline_manifest_without_counts,
    "baseline_manifest_with_wrong_counts_is_a_usage_error": _baseline_manifest_counts_wrong,
}


@pytest.mark.parametrize("case", list(BASELINE_CASES))
def test_damaged_baseline(out, sample_build, tmp_path, case):
    base = tmp_path / "base"
    shutil.copytree(sample_build, base)
    start = BASELINE_CASES[case](base)
    result = CliRunner().invoke(main, ["validate", str(out), "--baseline", str(base)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    _one_line(result.stderr, start)
    done = subprocess.run(
        [str(DATAPREP), "validate", str(out), "--baseline", str(base)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    _one_line(done.stderr, start)
