"""The output folder is the user's: a build replaces only a folder dataprep wrote, one build at a
time, and a kill at any point leaves the previous or the new output complete.

Kills are real: the build runs in a second process that is told (``DATAPREP_FAULT_KILL_AT``) to
SIGKILL itself at a named point, from reading to the middle of publishing.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from dataprep.api import validate_output
from dataprep.report.folder import FAULT_ENV, MARKER, locked

REPO = Path(__file__).resolve().parents[1]
DATAPREP = Path(sys.executable).parent / "dataprep"
KILL_POINTS = (
    "read",
    "link",
    "clean",
    "dedup",
    "pairs",
    "gates",
    "outputs:formats",
    "outputs:manifest",
    "publish:start",
    "publish:exchanged",
    "publish:old-removed",
)


def _project(folder: Path, **config) -> Path:
    """A small project (the sample's release notes) in ``folder``; returns the config path."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copytree(REPO / "sample_data" / "changelogs", folder / "changelogs")
    data = {
        "sources": [{"name": "rel", "type": "changelog", "path": "changelogs/*.md"}],
        "validate": {"data_docs": False},
        **config,
    }
    path = folder / "dataprep.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _build(config: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(DATAPREP), "build", "--config", str(config)],
        cwd=config.parent,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    return line


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _complete(out: Path) -> dict:
    """Assert ``out`` is a whole build (every file the manifest lists, with its hash); return
    its manifest."""
    manifest = json.loads((out / "manifest.json").read_text())
    for name, digest in manifest["outputs"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest, name
    assert (out / MARKER).is_file()
    return manifest


@pytest.mark.parametrize(
    "output, why",
    [
        (".", "is the config's folder or holds it"),
        ("..", "is the config's folder or holds it"),
        ("changelogs", "holds the input"),
        ("dataprep.yaml", "is a file"),
        ("mine", "is a folder dataprep did not write"),
    ],
)
def test_an_output_that_is_not_datapreps_to_replace_is_refused_and_left_alone(
    tmp_path, output, why
):
    config = _project(tmp_path / "project", output=output)
    (tmp_path / "project" / "mine").mkdir()
    (tmp_path / "project" / "mine" / "thesis.tex").write_text("years of work")
    before = _snapshot(tmp_path)
    line = _one_line_error(_build(config))
    assert line.startswith(f"error: output: '{output}'") and why in line
    assert _snapshot(tmp_path) == before


def test_an_empty_folder_or_an_earlier_build_is_replaced_and_marked(tmp_path):
    config = _project(tmp_path, output="out")
    (tmp_path / "out").mkdir()
    assert _build(config).returncode == 0
    first = _complete(tmp_path / "out")
    # a build from before the marker (its manifest has a build's keys) counts as dataprep's
    (tmp_path / "out" / MARKER).unlink()
    result = _build(config)
    assert result.returncode == 0, result.stderr
    assert _complete(tmp_path / "out")["outputs"] == first["outputs"]


def test_a_second_build_into_the_same_folder_stops_at_once(tmp_path):
    config = _project(tmp_path)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path\n"
            "from dataprep.report.folder import locked\n"
            "with locked(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
            str(tmp_path / "out"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        line = _one_line_error(_build(config))
        assert "another dataprep build is writing" in line
    finally:
        holder.kill()
        holder.wait()
    assert _build(config).returncode == 0  # the lock died with its holder


def test_leftovers_of_killed_builds_are_removed_but_not_a_users_folder(tmp_path):
    config = _project(tmp_path)
    stale = tmp_path / ".out.tmp-dead"
    stale.mkdir()
    (stale / MARKER).write_text("")
    (stale / "train.jsonl").write_text("{}\n")
    users = tmp_path / ".out.tmp-notes"
    users.mkdir()
    (users / "todo.txt").write_text("mine")
    assert _build(config).returncode == 0
    assert not stale.exists()
    assert (users / "todo.txt").read_text() == "mine"


def test_an_output_a_killed_two_rename_publish_left_aside_is_put_back(tmp_path):
    aside = tmp_path / ".out.old-4242"
    aside.mkdir()
    (aside / MARKER).write_text("")
    (aside / "manifest.json").write_text("{}")
    with locked(tmp_path / "out"):
        pass
    assert (tmp_path / "out" / "manifest.json").read_text() == "{}"
    assert not aside.exists()


@pytest.fixture(scope="module")
def old_build(tmp_path_factory) -> Path:
    """A project with a finished build (all tasks), whose next build makes other pairs."""
    folder = tmp_path_factory.mktemp("old")
    config = _project(folder)
    assert _build(config).returncode == 0
    return folder


@pytest.mark.parametrize("point", KILL_POINTS)
def test_a_kill_at_any_point_leaves_the_old_or_the_new_output_complete(old_build, tmp_path, point):
    project = tmp_path / "project"
    shutil.copytree(old_build, project)
    old = _complete(project / "out")
    config = project / "dataprep.yaml"
    data = yaml.safe_load(config.read_text())
    data["pairs"] = {"tasks": ["release_notes"]}
    config.write_text(yaml.safe_dump(data))
    killed = _build(config, {FAULT_ENV: point})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    now = _complete(project / "out")
    assert now["outputs"] == old["outputs"] or now["counts"]["pairs"] < old["counts"]["pairs"]
    assert all(gate.success for gate in validate_output(project / "out", docs=False))
    # the next build puts things right and leaves nothing behind
    assert _build(config).returncode == 0
    assert _complete(project / "out")["counts"]["pairs"] < old["counts"]["pairs"]
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".out")) == [".out.lock"]


def test_a_kill_at_a_random_moment_leaves_a_complete_output(old_build, tmp_path):
    """Not at a named point: SIGKILL from outside, at moments spread over a build."""
    project = tmp_path / "project"
    shutil.copytree(old_build, project)
    config = project / "dataprep.yaml"
    for delay in (0.5, 1.5, 2.5, 3.5, 4.5):
        build = subprocess.Popen(
            [str(DATAPREP), "build", "--config", str(config)],
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        build.kill()
        build.wait()
        _complete(project / "out")
