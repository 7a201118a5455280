"""A new user's first build, as they run it: a wheel in a fresh virtual environment, in an
empty folder holding only exports, `dataprep init` + `build` + `validate`, then `datasets`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _dataprep(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env["HF_HOME"] = str(cwd / ".hf")  # never the user's cache
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(bin_dir / "dataprep"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def _renamed_flat_copy(target: Path) -> None:
    """The sample export as a user might keep it: one folder, names that say nothing."""
    target.mkdir(parents=True)
    sample = REPO / "sample_data"
    shutil.copy(sample / "github" / "issues.json", target / "export1.json")
    for i, page in enumerate(sorted((sample / "jira").glob("*.json")), start=2):
        shutil.copy(page, target / f"export{i}.json")
    for i, notes in enumerate(sorted((sample / "changelogs").glob("*.md"))):
        shutil.copy(notes, target / ("notes.md" if i == 0 else f"notes{i}.md"))


def _first_build(bin_dir: Path, folder: Path) -> dict:
    """Run init, build and validate in ``folder``; return the build's manifest."""
    init = _dataprep(bin_dir, "init", "exports", cwd=folder)
    assert init.returncode == 0, init.stdout + init.stderr
    assert (folder / "dataprep.yaml").is_file()
    build = _dataprep(bin_dir, "build", cwd=folder)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "gate records: passed" in build.stdout and "gate pairs: passed" in build.stdout
    validate = _dataprep(bin_dir, "validate", "out", cwd=folder)
    assert validate.returncode == 0, validate.stdout + validate.stderr
    # and from another folder, as a CI job that only has the build
    elsewhere = folder / "elsewhere"
    elsewhere.mkdir()
    again = _dataprep(bin_dir, "validate", str(folder / "out"), "--no-docs", cwd=elsewhere)
    assert again.returncode == 0, again.stdout + again.stderr
    return json.loads((folder / "out" / "manifest.json").read_text())


@pytest.fixture(scope="module")
def two_first_builds(installed_wheel, tmp_path_factory) -> tuple[Path, dict, dict]:
    as_shipped = tmp_path_factory.mktemp("as-shipped")
    shutil.copytree(REPO / "sample_data", as_shipped / "exports")
    renamed = tmp_path_factory.mktemp("renamed")
    _renamed_flat_copy(renamed / "exports")
    return (
        as_shipped,
        _first_build(installed_wheel, as_shipped),
        _first_build(installed_wheel, renamed),
    )


def test_init_build_and_validate_pass_in_an_empty_folder_outside_the_repo(two_first_builds):
    folder, manifest, _ = two_first_builds
    counts = manifest["counts"]
    assert counts["records"] > 100 and counts["pairs"] > 200
    assert counts["quarantined"] >= 1  # the truncated Jira page is quarantined, not lost
    assert set(counts["records_by_source"]) == {"jira", "github", "changelog"}
    assert all(g["success"] for g in manifest["gates"].values())
    assert not (folder / "expectations").exists()  # the suites came from the package


def test_renamed_exports_in_one_folder_build_the_same_records(two_first_builds):
    _, as_shipped, renamed = two_first_builds
    for key in ("records", "quarantined", "pairs"):
        assert renamed["counts"][key] == as_shipped["counts"][key], key
    assert renamed["counts"]["records_by_source"] == as_shipped["counts"]["records_by_source"]


def test_datasets_loads_the_first_build(two_first_builds, installed_wheel):
    folder, manifest, _ = two_first_builds
    code = (
        "import datasets, json; ds = datasets.load_dataset('out');"
        "print(json.dumps({s: ds[s].num_rows for s in ds}))"
    )
    env = {**os.environ, "HF_HOME": str(folder / ".hf"), "HF_DATASETS_OFFLINE": "1"}
    result = subprocess.run(
        [str(installed_wheel / "python"), "-c", code],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout.strip().splitlines()[-1])
    assert rows == manifest["counts"]["pairs_by_split"]
