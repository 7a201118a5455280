"""``build()``: the one place where the stages are wired, in order, top to bottom.

sources -> records -> clean -> dedup -> gate(records) -> pairs -> gate(pairs) -> outputs

Every stage returns kept and rejected rows; the ledger checks that they add up. Outputs are
written to a temporary folder next to the output folder and renamed into place only when every
gate passed, so a failed build never touches the previous output.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from dataprep.config import Config, ConfigError, PairsConfig, load_config
from dataprep.connectors import CONNECTORS, ReadContext, ReadResult
from dataprep.connectors.base import display_path
from dataprep.dedup import dedup
from dataprep.dedup.decontam import DecontamError, decontaminate
from dataprep.dedup.index import ShippedIndex
from dataprep.dedup.stage import comparable_text
from dataprep.ledger import Ledger
from dataprep.link import link, remap
from dataprep.pairs import build_pairs
from dataprep.pairs.split import task_shares
from dataprep.pairs.tokens import TokenCounter
from dataprep.preflight import check_build, source_files
from dataprep.report.folder import failed_dir, fault_point, locked, new_staging, publish
from dataprep.report.outputs import write_outputs
from dataprep.schema import StageResult, records_frame, reject, rejected_frame
from dataprep.text.clean import clean
from dataprep.text.people import Pseudonymizer, key_from_env
from dataprep.validate import GateResult, describe_failures, gate

log = logging.getLogger(__name__)


class BuildFailed(RuntimeError):
    """A gate failed; ``lines`` say which expectation and why, ``result`` holds everything built."""

    def __init__(self, message: str, lines: list[str], result: BuildResult) -> None:
        super().__init__(message)
        self.lines = lines
        self.result = result


@dataclass
class BuildResult:
    output_dir: Path
    records: pl.DataFrame
    pairs: pl.DataFrame
    rejected: pl.DataFrame
    quarantine: list[dict[str, str]]
    ledger: Ledger
    gates: list[GateResult] = field(default_factory=list)
    manifest: dict = field(default_factory=dict)
    clusters: pl.DataFrame | None = None  # one row per duplicate cluster (clusters.parquet)
    boilerplate: pl.DataFrame | None = None  # release entries removed (boilerplate.parquet)

    @property
    def success(self) -> bool:
        return all(g.success for g in self.gates)


@dataclass
class SourceInputs:
    """What the read stage produced: records, skipped and quarantined items, input fingerprints."""

    read: ReadResult
    files: list[dict[str, object]]


def build(config: Config | str | Path | None = None) -> BuildResult:
    """Run every stage and publish the outputs; raise ``BuildFailed`` if a gate fails."""
    cfg = config if isinstance(config, Config) else load_config(config)
    check_build(cfg)
    with locked(cfg.output_dir):
        return _build(cfg)


def _build(cfg: Config) -> BuildResult:
    ledger = Ledger()
    inputs = read_sources(cfg)
    read = read_stage(inputs.read)
    fault_point("read")
    ledger.record(
        "read",
        inputs.read.received,
        read.kept.height,
        read.rejected,
        [q["reason"] for q in inputs.read.quarantine],
    )
    linked = _run(ledger, "link", read.kept, link)
    cleaned = _run(ledger, "clean", linked.kept, lambda f: clean(f, cfg.clean))
    index = ShippedIndex(cfg.resolve(cfg.dedup.index), cfg.dedup) if cfg.dedup.index else None
    deduped = _run(ledger, "dedup", cleaned.kept, lambda f: dedup(f, cfg.dedup, index))
    records = remap(deduped.kept, survivors(deduped.rejected))
    counter = TokenCounter(cfg.resolve(cfg.pairs.tokenizer) if cfg.pairs.tokenizer else None)
    pairs = _decontaminate(build_pairs(records, _pairs_config(cfg), counter), cfg)
    ledger.record(
        "pairs", pairs.stats["candidates"], pairs.kept.height, pairs.rejected, unit="pairs"
    )
    fault_point("pairs")
    staging = new_staging(cfg.output_dir)
    try:
        docs = staging / "validation" / "docs" if cfg.validate.data_docs else None
        # the pairs stage counted each task's candidates: the tasks the gate expects pairs from
        candidates = pairs.stats.get("candidates_by_task", {})
        expected = [t for t in cfg.pairs.task_names if candidates.get(t)]
        gates = (
            gate(records, pairs.kept, cfg, docs_dir=docs, expected_tasks=expected)
            if cfg.validate.enabled
            else []
        )
        fault_point("gates")
        clusters = deduped.stats.pop("clusters_frame", None)
        boilerplate = deduped.stats.pop("boilerplate_frame", None)
        result = BuildResult(
            output_dir=cfg.output_dir,
            records=records,
            pairs=pairs.kept,
            rejected=pl.concat([read.rejected, cleaned.rejected, deduped.rejected, pairs.rejected]),
            quarantine=inputs.read.quarantine,
            ledger=ledger,
            gates=gates,
            clusters=clusters,
            boilerplate=boilerplate,
        )
        stats = {
            "redactions": cleaned.stats.get("redactions", {}),
            "clean": {
                "comments_dropped": cleaned.stats.get("comments_dropped", {}),
                "languages": cleaned.stats.get("languages", {}),
            },
            "unmapped": dict(sorted(inputs.read.unmapped.items())),
            "decontaminated": pairs.stats.get("decontaminated", {}),
            # splits as written: decontamination ran after the split and may move the shares
            "splits": {
                **pairs.stats.get("splits", {}),
                "tasks": task_shares(pairs.kept, cfg.pairs),
            },
            "tokens": counter.method,
            "expected_tasks": expected,
            **deduped.stats,
            **linked.stats,
        }
        write_outputs(staging, result, cfg, inputs.files, stats)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    published = cfg.output_dir if result.success else failed_dir(cfg.output_dir)
    publish(staging, published)
    if index is not None and result.success:
        # only what was shipped is remembered: a failed gate ships nothing
        index.append(records, comparable_text(records))
    if not result.success:
        lines = describe_failures(gates)
        raise BuildFailed(
            f"{len(lines)} expectation(s) failed; outputs left in {published}, "
            f"{cfg.output_dir} is unchanged",
            lines,
            result,
        )
    return result


def read_sources(cfg: Config) -> SourceInputs:
    """Return every configured source read by its connector, with a fingerprint per file.

    File sources read the files their ``path`` matches; API sources read the raw pages that
    ``dataprep pull`` saved, with the same connector, so a build never touches the network.
    """
    total = ReadResult()
    files = []
    for i, src in enumerate(cfg.sources):
        for path in source_files(cfg, i, src):
            origin = display_path(path, cfg.base_dir)
            ctx = ReadContext(
                source_name=src.name,
                origin=origin,
                project=src.project,
                format=src.format,
                style=src.style,
                status_map=src.status_map,
                type_map=src.type_map,
                priority_map=src.priority_map,
                fields=src.fields,
            )
            result = CONNECTORS[src.type](path, ctx)
            if path.suffix == ".invalid":
                _name_the_url(result, path)
            total.extend(result)
            files.append(
                {
                    "source": src.name,
                    "path": origin,
                    "sha256": _sha256(path),
                    "bytes": path.stat().st_size,
                    "items": result.received,
                }
            )
            log.info("%s: %d records from %s", src.name, len(result.records), origin)
    return SourceInputs(total, files)


def read_stage(read: ReadResult) -> StageResult:
    """Return the records read, keeping the newest copy of an id that appears more than once."""
    frame = records_frame(read.records).with_row_index("_order")
    newest_first = frame.sort(
        ["record_id", "updated_at", "_order"], descending=[False, True, False], nulls_last=True
    )
    first = newest_first.select(pl.col("_order").first().over("record_id")).to_series()
    is_kept = newest_first["_order"] == first
    kept = newest_first.filter(is_kept).sort("_order").drop("_order")
    dropped = newest_first.filter(~is_kept)
    skipped = rejected_frame({**row, "stage": "read"} for row in read.skipped)
    duplicates = reject(
        dropped, "read", pl.lit("read:duplicate-id"), pl.format("older copy from {}", "origin")
    )
    return StageResult(kept, pl.concat([skipped, duplicates]))


def _name_the_url(result: ReadResult, page: Path) -> None:
    """Add the URL a page that was not JSON came from (kept in the snapshot's state)."""
    state_path = page.parent.parent / "state.json"
    state = json.loads(state_path.read_text()) if state_path.is_file() else {}
    url = state.get("invalid", {}).get(page.name, {}).get("url")
    if url:
        for item in result.quarantine:
            item["error"] = f"{item['error']}; fetched from {url}"


def survivors(rejected: pl.DataFrame) -> dict[str, str]:
    """Return removed record id -> the id of the record that survived in its place."""
    tail = pl.col("reason").str.extract(r"^dedup:[a-z-]+-of:(.+)$")
    pairs = rejected.select("record_id", tail.alias("survivor")).drop_nulls()
    return dict(pairs.iter_rows())


def _pairs_config(cfg: Config) -> PairsConfig:
    """Return ``pairs`` with ``maintainers`` pseudonymised as the records' people are, so the
    real names users write in the config match the redacted comment authors."""
    redact = cfg.clean.redact
    if not (redact.enabled and redact.people and cfg.pairs.maintainers):
        return cfg.pairs
    pseudonyms = Pseudonymizer(key_from_env(redact.pseudonym_key_env), redact.pseudonym_chars)
    names = [pseudonyms.of(name) for name in cfg.pairs.maintainers]
    return dataclasses.replace(cfg.pairs, maintainers=names)


def _decontaminate(pairs: StageResult, cfg: Config) -> StageResult:
    """Reject pairs sharing a long n-gram with an evaluation set (``dedup.decontaminate``)."""
    if not cfg.dedup.decontaminate:
        return pairs
    try:
        kept, rejected, counts = decontaminate(
            pairs.kept, cfg.dedup.decontaminate, cfg.dedup.decontaminate_ngram, cfg.base_dir
        )
    except DecontamError as err:
        raise ConfigError(str(err)) from None
    return StageResult(
        kept, pl.concat([pairs.rejected, rejected]), {**pairs.stats, "decontaminated": counts}
    )


def _run(ledger: Ledger, name: str, frame: pl.DataFrame, stage) -> StageResult:
    result = stage(frame)
    ledger.record(name, frame.height, result.kept.height, result.rejected)
    fault_point(name)
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
