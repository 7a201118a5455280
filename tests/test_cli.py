"""The command line: help, exit codes and one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from dataprep.cli import main


def test_help_lists_the_commands_with_an_example():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "build" in result.output and "validate" in result.output
    assert "Example:" in result.output
    assert "dataprep build --config dataprep.yaml" in result.output


def test_console_script_help_does_not_import_great_expectations():
    code = (
        "import sys; from dataprep.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('great_expectations' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_bad_config_path_is_a_one_line_error_with_exit_2(tmp_path):
    result = CliRunner().invoke(main, ["build", "--config", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert "config file not found" in lines[0] and "missing.yaml" in lines[0]


def test_unknown_key_is_a_one_line_error_with_exit_2(tmp_path):
    config = tmp_path / "dataprep.yaml"
    config.write_text("sources: [{name: a, type: jira, path: x.json}]\nclean: {languagse: [en]}\n")
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: clean.languagse: unknown key; did you mean 'languages'?"
    )


def test_a_source_matching_no_file_is_a_user_error(tmp_path):
    config = tmp_path / "dataprep.yaml"
    config.write_text("sources: [{name: a, type: jira, path: nothing/*.json}]\n")
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    assert result.exit_code == 2
    assert "sources[0].path: no file matches 'nothing/*.json'" in result.output


def test_validate_on_a_folder_that_is_not_a_build_exits_2(tmp_path):
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert "no manifest.json; is this a dataprep output folder?" in result.output


def test_validate_reruns_the_gates_on_a_build(tmp_path):
    repo = Path(__file__).resolve().parent.parent
    from .test_build import _build, _project

    code, output = _build(_project(tmp_path))
    assert code == 0, output
    args = ["validate", str(tmp_path / "out"), "--expectations", str(repo / "expectations")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "gate records: passed" in result.output and "gate pairs: passed" in result.output
    # Tamper with the build: an e-mail address slips into the records.
    import polars as pl

    records = pl.read_parquet(tmp_path / "out" / "records.parquet")
    records = records.with_columns(pl.col("title").str.replace(r"^", "ping ana@acme-corp.io: "))
    records.write_parquet(tmp_path / "out" / "records.parquet")
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "records: no-email-in-title on 'title' failed" in result.output
