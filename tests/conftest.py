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
def installed_wheel(tmp_path_factory) -> Path:
    """Return the bin folder of a fresh virtual environment with a wheel of this checkout.

    The wheel is built from the repository and installed with ``--no-deps --no-index``; the
    dependencies come from this interpreter's site-packages through a ``.pth`` line, so the
    install needs no network (a new user's ``pip install`` resolves the same requirements from
    PyPI). What the package finds at run time is what the wheel holds, not this checkout.
    """
    tmp = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp / "dist", REPO])
    (wheel,) = (tmp / "dist").glob("dataprep-*.whl")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", venv])
    python = venv / "bin" / "python"
    purelib = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    Path(purelib.strip(), "_dataprep_test_deps.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    _run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel])
    where = _run([python, "-c", "import dataprep; print(dataprep.__file__)"], cwd=tmp)
    assert Path(where.strip()).is_relative_to(Path(purelib.strip())), where
    return venv / "bin"


def _run(args: list, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout
