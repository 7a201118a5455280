"""Everything a build needs, checked before it reads a single record.

A build runs for minutes on real exports; a mistake in the config should not wait that long to
show. ``check_build`` looks at what the config points to (the files each source matches, the
snapshots of API sources, the gate suites, the tokenizer, the evaluation sets, the index, and
the output folders: ``dataprep.report.folder`` says which a build may replace) and raises
``ConfigError`` naming the key and the fix, or ``SuiteError`` naming the suite file. It imports
nothing heavy: a wrong value fails in well under a second.
"""

from __future__ import annotations

import glob
from pathlib import Path

from dataprep.config import Config, ConfigError, SourceConfig
from dataprep.report.folder import check_output
from dataprep.validate import configured_suite_paths, load_suite


def check_build(cfg: Config, snapshots: bool = True) -> None:
    """Raise ``ConfigError`` (or ``SuiteError``) for the first thing ``cfg`` points to that a
    build could not use. ``snapshots=False`` skips the API sources' snapshots, for a build
    that pulls them first."""
    inputs: list[Path] = []
    for i, src in enumerate(cfg.sources):
        if src.url is None or snapshots:
            inputs += source_files(cfg, i, src)
    if any(src.url for src in cfg.sources):
        inputs.append(cfg.snapshots_dir)
    if cfg.validate.enabled:
        for path in configured_suite_paths(cfg):
            load_suite(path)
            inputs.append(path)
    if cfg.pairs.tokenizer is not None:
        _check_tokenizer(cfg.resolve(cfg.pairs.tokenizer), cfg.pairs.tokenizer)
    for i, name in enumerate(cfg.dedup.decontaminate):
        if not cfg.resolve(name).is_file():
            raise ConfigError(
                f"dedup.decontaminate[{i}]: no file at '{name}'; give a JSON Lines evaluation set"
            )
    if cfg.dedup.index is not None and cfg.resolve(cfg.dedup.index).is_file():
        raise ConfigError(
            f"dedup.index: '{cfg.dedup.index}' is a file; name a folder (it is created if absent)"
        )
    inputs += [cfg.resolve(p) for p in (cfg.pairs.tokenizer, cfg.dedup.index) if p is not None]
    inputs += [cfg.resolve(name) for name in cfg.dedup.decontaminate]
    check_output(cfg.output_dir, cfg.output, cfg.base_dir, inputs)


def source_files(cfg: Config, i: int, src: SourceConfig) -> list[Path]:
    """Return the files source ``i`` is built from, sorted; raise ``ConfigError`` if none.

    File sources read the files their ``path`` matches; API sources read the raw pages that
    ``dataprep pull`` saved in the source's snapshot.
    """
    if src.url is not None:
        pages = cfg.snapshots_dir / src.name / "pages"
        paths = sorted(p for p in pages.glob("*") if p.suffix in (".json", ".invalid"))
        if not paths:
            raise ConfigError(
                f"sources[{i}]: no snapshot of '{src.name}' in {pages}; "
                "run `dataprep pull` first, or `dataprep build --pull`"
            )
        return paths
    pattern = str(cfg.resolve(src.path))
    paths = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
    if not paths:
        raise ConfigError(f"sources[{i}].path: no file matches '{src.path}'; check the path")
    return paths


def _check_tokenizer(path: Path, shown: str) -> None:
    from tokenizers import Tokenizer

    try:
        Tokenizer.from_file(str(path))
    except Exception as err:  # tokenizers raises a bare Exception for a bad file
        reason = str(err).splitlines()[0][:200] if str(err) else type(err).__name__
        raise ConfigError(
            f"pairs.tokenizer: '{shown}' is not a Hugging Face tokenizer.json ({reason}); "
            "give the tokenizer.json saved with your model"
        ) from None
