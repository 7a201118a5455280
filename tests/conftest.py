"""Shared helpers: small records written for the tests."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.schema import records_frame

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[1]


def issue(record_id: str, title: str, body: str | None, **fields) -> dict:
    """Return one issue row with sensible defaults for everything the test does not care about."""
    row = {
        "record_id": record_id,
        "source": record_id.split(":")[0],
        "kind": "issue",
        "project": "ACME",
        "key": record_id.split(":")[-1],
        "title": title,
        "body": body,
        "status": "open",
        "issue_type": "bug",
        "priority": "high",
        "created_at": T0,
        "updated_at": T0,
        "origin": "test",
    }
    row.update(fields)
    return row


@pytest.fixture
def make_records():
    def make(*rows: dict) -> pl.DataFrame:
        return records_frame(rows)

    return make


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory) -> Path:
    """One `dataprep build` of the repo's sample project per test run: read it, never change it
    (copy it first)."""
    from .test_build import _build, _project

    tmp = tmp_path_factory.mktemp("sample")
    code, output = _build(_project(tmp))
    assert code == 0, output
    return tmp / "out"


@pytest.fixture(scope="session")
def dataprep_wheel(tmp_path_factory) -> Path:
    """Return a wheel of this checkout, built once per test run."""
    dist = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, REPO])
    (wheel,) = dist.glob("dataprep-*.whl")
    return wheel


def fresh_venv(path: Path) -> Path:
    """Create a virtual environment at ``path`` without dataprep; return its site-packages.

    Its dependencies come from this interpreter's site-packages through a ``.pth`` line, so
    installing the wheel needs no network (a new user's ``pip install`` resolves the same
    requirements from PyPI); this interpreter's own dataprep (an editable install) is not
    visible there, so what runs is what the wheel holds.
    """
    _run([sys.executable, "-m", "venv", path])
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = Path(_run([path / "bin" / "python", "-c", code]).strip())
    (purelib / "_dataprep_test_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return purelib


@pytest.fixture(scope="session")
def installed_wheel(dataprep_wheel, tmp_path_factory) -> Path:
    """Return the bin folder of a fresh virtual environment with the wheel installed."""
    tmp = tmp_path_factory.mktemp("wheel")
    purelib = fresh_venv(tmp / "venv")
    python = tmp / "venv" / "bin" / "python"
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", dataprep_wheel])
    where = _run([python, "-c", "import dataprep; print(dataprep.__file__)"], cwd=tmp)
    assert Path(where.strip()).is_relative_to(purelib), where
    return tmp / "venv" / "bin"


def _run(args: list, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout
