"""Python API helpers that work on an existing build folder.

A folder is a build when it holds ``manifest.json`` or ``records.parquet``; anything else (no
such folder, a file, an empty folder) raises ``FileNotFoundError`` or ``NotADirectoryError``.
A build with a file missing or unreadable (a JSON Lines file cut mid-line, a Parquet file that
is not one, a manifest that is not JSON) raises ``DamagedOutputError`` naming the file and, for
JSON Lines and JSON, the line.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl

from dataprep.config import Config, ConfigError, parse_config
from dataprep.pairs.writers import read_chat_jsonl
from dataprep.schema import PAIR_SCHEMA, SchemaError, check_records
from dataprep.validate import (
    RECORDED_SUITES,
    GateResult,
    Outcome,
    default_suite_paths,
    gate,
)

MANIFEST = "manifest.json"
RECORDS = "records.parquet"
# JSON Lines at the top of a build that are not pairs
_NOT_PAIRS = ("quarantine.jsonl",)
_REBUILD = "the build output is damaged; run `dataprep build` again"


class DamagedOutputError(ValueError):
    """A file of a build folder is missing or unreadable. ``path`` is the file; the message
    names it (with the line, where there is one), says what is wrong and what to do."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"{problem}; {_REBUILD}")
        self.path = Path(path)

    def as_gate(self) -> GateResult:
        """Return the damage as a failed gate named ``output``, one outcome named for the file,
        so every report format (and CI reading it) shows it like a failed expectation."""
        failed = Outcome(
            expectation="output_file_readable",
            column=None,
            success=False,
            unexpected_count=None,
            element_count=None,
            examples=[],
            observed=str(self),
            name=self.path.name,
        )
        return GateResult(suite="output", rows=0, outcomes=[failed], path=str(self.path))


def read_output(out_dir: str | Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (records, pairs) of the build in ``out_dir``."""
    out = Path(out_dir)
    _check_folder(out)
    return _read_frames(out)


def build_config(out_dir: str | Path) -> Config:
    """Return the config the build in ``out_dir`` was made with (from its manifest)."""
    out = Path(out_dir)
    _check_folder(out)
    return _config_of(_required_manifest(out), out / MANIFEST)


def validate_output(
    out_dir: str | Path,
    suites: list[Path] | None = None,
    config: Config | None = None,
    docs: bool = True,
) -> list[GateResult]:
    """Return the gate results of ``suites`` on the build in ``out_dir``, with the suite
    parameters of the config the build was made with. By default the suites are those the build
    ran: the shipped ones, and the copies of the user's own that the build kept in
    ``validation/suites``, so this works from any folder.
    Data Docs go to ``out_dir/validation/docs`` unless ``docs`` is false."""
    out = Path(out_dir)
    _check_folder(out)
    manifest = _manifest(out) if config is not None else _required_manifest(out)
    cfg = config or _config_of(manifest, out / MANIFEST)
    records, pairs = _read_frames(out)
    # The tasks the build found candidates for (of those ``cfg`` configures), so the gate need
    # not run every task on the records again; an older manifest without them makes it do so.
    expected = (manifest or {}).get("expected_tasks")
    if isinstance(expected, list):
        expected = [t for t in expected if t in cfg.pairs.task_names]
    else:
        expected = None
    docs_dir = out / "validation" / "docs" if docs else None
    if docs_dir is not None:
        shutil.rmtree(docs_dir, ignore_errors=True)
    if suites is None:
        kept = out / RECORDED_SUITES
        suites = default_suite_paths(kept if kept.is_dir() else None)
    return gate(records, pairs, cfg, suites, docs_dir=docs_dir, expected_tasks=expected)


def _check_folder(out: Path) -> None:
    """Raise ``FileNotFoundError`` or ``NotADirectoryError`` unless ``out`` is a build folder."""
    if not out.exists():
        raise FileNotFoundError(f"{out}: no such folder; pass the output folder of a build")
    if not out.is_dir():
        raise NotADirectoryError(f"{out}: a file, not a folder; pass the output folder of a build")
    if not (out / MANIFEST).exists() and not (out / RECORDS).exists():
        raise FileNotFoundError(f"{out}: no {MANIFEST}; is this a dataprep output folder?")


def _manifest(out: Path) -> dict | None:
    """Return the build's manifest, None when there is none; raise ``DamagedOutputError`` when
    it is not a readable manifest."""
    path = out / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_bytes())
    except json.JSONDecodeError as err:
        raise DamagedOutputError(
            path, f"{path}:{err.lineno}:{err.colno}: not valid JSON ({err.msg})"
        ) from None
    except UnicodeDecodeError:
        raise DamagedOutputError(path, f"{path}: not UTF-8 text") from None
    except OSError as err:
        raise DamagedOutputError(path, f"{path}: cannot be read ({err.strerror})") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise DamagedOutputError(path, f"{path}: no 'config' object; not a dataprep manifest")
    return data


def _required_manifest(out: Path) -> dict:
    manifest = _manifest(out)
    if manifest is None:
        path = out / MANIFEST
        # _check_folder found records.parquet: a build, without the file it writes last
        raise DamagedOutputError(path, f"{path}: missing, though {out / RECORDS} is there")
    return manifest


def _config_of(manifest: dict, path: Path) -> Config:
    try:
        return parse_config(manifest["config"], base_dir=Path.cwd())
    except ConfigError as err:
        raise DamagedOutputError(path, f"{path}: the config in it does not load ({err})") from None


def _read_frames(out: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return (records, pairs) read from ``out``. A pair file that is missing is no error
    here: the gates see the pairs shrink (the validation share, the tasks produced)."""
    records = _read_records(out / RECORDS)
    split_files = sorted(p for p in out.glob("*.jsonl") if p.name not in _NOT_PAIRS)
    frames = [_read_pairs(p) for p in split_files]
    pairs = pl.concat(frames) if frames else pl.DataFrame(schema=PAIR_SCHEMA)
    return records, pairs


def _read_records(path: Path) -> pl.DataFrame:
    if not path.exists():
        raise DamagedOutputError(path, f"{path}: missing")
    try:
        records = pl.read_parquet(path)
    except (pl.exceptions.PolarsError, OSError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise DamagedOutputError(path, f"{path}: not a readable Parquet file ({first})") from None
    try:
        check_records(records)
    except SchemaError as err:
        raise DamagedOutputError(path, f"{path}: {err}") from None
    return records


def _read_pairs(path: Path) -> pl.DataFrame:
    try:
        return read_chat_jsonl(path)
    except OSError as err:
        raise DamagedOutputError(path, f"{path}: cannot be read ({err.strerror})") from None
    except ValueError as err:  # read_chat_jsonl names the file and line
        raise DamagedOutputError(path, str(err)) from None
