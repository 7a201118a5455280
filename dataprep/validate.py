"""Great Expectations gates over records and pairs, run in-process with an ephemeral context.

The suites are plain GX 1.x suite JSON in ``expectations/`` that users edit. GX is imported only
when a gate runs, so ``dataprep --help`` stays fast. Results are summarised into a small,
deterministic JSON (no run times or ids), so two builds of the same inputs write the same bytes.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5


class SuiteError(ValueError):
    """A suite file is missing or malformed; the message names the file and the fix."""


@dataclass
class Outcome:
    expectation: str
    column: str | None
    success: bool
    unexpected_count: int | None
    element_count: int | None
    examples: list[Any]
    observed: Any = None


@dataclass
class GateResult:
    suite: str
    rows: int
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(o.success for o in self.outcomes)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success]

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "evaluated": len(self.outcomes),
            "failed": len(self.failures),
            "results": [asdict(o) for o in self.outcomes],
        }


def records_view(records: pl.DataFrame) -> pl.DataFrame:
    """Return the columns the records suite checks: scalar record columns plus derived ones
    (``body_chars``, ``n_comments``, ``comment_text`` with all comment bodies joined,
    ``entry_text`` with all release entries and contributors joined)."""
    scalar = [c for c, t in records.schema.items() if not isinstance(t, pl.List | pl.Struct)]
    return records.select(
        *scalar,
        pl.col("body").str.len_chars().alias("body_chars"),
        pl.col("comments").list.len().alias("n_comments"),
        pl.col("comments")
        .list.eval(pl.element().struct.field("body"))
        .list.join("\n")
        .alias("comment_text"),
        pl.concat_list(
            pl.col("entries").list.eval(pl.element().struct.field("text")), "contributors"
        )
        .list.join("\n")
        .alias("entry_text"),
    )


def pairs_view(pairs: pl.DataFrame) -> pl.DataFrame:
    """Return one row per pair with ``user``/``assistant`` text (the last turn of each role),
    their lengths, and ``n_messages``."""

    def last_of(role: str) -> pl.Expr:
        return (
            pl.col("messages")
            .list.eval(
                pl.element()
                .filter(pl.element().struct.field("role") == role)
                .struct.field("content")
            )
            .list.last()
        )

    return pairs.select(
        "pair_id",
        "task",
        "split",
        "lang",
        pl.col("messages").list.len().alias("n_messages"),
        last_of("user").alias("user"),
        last_of("assistant").alias("assistant"),
    ).with_columns(
        pl.col("user").str.len_chars().fill_null(0).alias("user_chars"),
        pl.col("assistant").str.len_chars().fill_null(0).alias("assistant_chars"),
    )


def load_suite_json(path: Path) -> dict[str, Any]:
    """Return the suite JSON at ``path``; raise ``SuiteError`` naming the file when unreadable."""
    if not path.is_file():
        raise SuiteError(f"{path}: no such suite file; restore it from the dataprep repository")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SuiteError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(f"{path}: expected an object with an 'expectations' list")
    return data


def run_suite(frame: pl.DataFrame, suite_path: Path) -> GateResult:
    """Return the outcome of every expectation in the suite at ``suite_path`` on ``frame``."""
    data = load_suite_json(suite_path)
    gx = _import_gx()
    context = gx.get_context(mode="ephemeral")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    name = data.get("name") or suite_path.stem
    try:
        suite = gx.ExpectationSuite(name=name, expectations=data["expectations"])
    except Exception as err:  # GX raises many types for a bad expectation config
        raise SuiteError(f"{suite_path}: invalid expectation ({err})") from None
    if len(suite.expectations) != len(data["expectations"]):
        given = {e.get("type") for e in data["expectations"]}
        known = {e.expectation_type for e in suite.expectations}
        raise SuiteError(f"{suite_path}: unknown expectation types {sorted(given - known)}")
    source = context.data_sources.add_pandas("dataprep")
    batch_def = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("all")
    batch = batch_def.get_batch(batch_parameters={"dataframe": _to_pandas(frame)})
    result = batch.validate(suite, result_format="SUMMARY").to_json_dict()
    outcomes = [_outcome(r) for r in result["results"]]
    outcomes.sort(key=lambda o: (o.expectation, o.column or ""))
    return GateResult(suite=name, rows=frame.height, outcomes=outcomes)


def gate(records: pl.DataFrame, pairs: pl.DataFrame, expectations_dir: Path) -> list[GateResult]:
    """Return the results of the records and pairs suites in ``expectations_dir``."""
    return [
        run_suite(records_view(records), expectations_dir / "records.json"),
        run_suite(pairs_view(pairs), expectations_dir / "pairs.json"),
    ]


def describe_failures(results: list[GateResult]) -> list[str]:
    """Return one line per failed expectation: suite, expectation, column, count, examples."""
    lines = []
    for res in results:
        for o in res.failures:
            column = f" on {o.column!r}" if o.column else ""
            count = (
                f": {o.unexpected_count} of {o.element_count} rows" if o.unexpected_count else ""
            )
            observed = f" (observed {o.observed!r})" if o.observed is not None else ""
            examples = f"; e.g. {o.examples[:3]!r}" if o.examples else ""
            lines.append(f"{res.suite}: {o.expectation}{column} failed{count}{observed}{examples}")
    return lines


def _outcome(result: dict[str, Any]) -> Outcome:
    config = result["expectation_config"]
    res = result.get("result") or {}
    kwargs = config.get("kwargs", {})
    column = kwargs.get("column") or (
        f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None
    )
    examples = res.get("partial_unexpected_list") or []
    return Outcome(
        expectation=config["type"],
        column=column,
        success=bool(result["success"]),
        unexpected_count=res.get("unexpected_count"),
        element_count=res.get("element_count"),
        examples=[_plain(v) for v in examples[:MAX_EXAMPLES]],
        observed=_plain(res.get("observed_value")),
    )


def _plain(value: Any) -> Any:
    """Return ``value`` as something JSON can hold (timestamps and numpy scalars as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _to_pandas(frame: pl.DataFrame):
    """Return a pandas frame for GX, datetimes as naive nanoseconds (GX is slow on others)."""
    casts = [
        pl.col(c).dt.replace_time_zone(None).dt.cast_time_unit("ns")
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime)
    ]
    return frame.with_columns(casts).to_pandas()


def _import_gx():
    # GX phones home with usage statistics unless told not to; builds must stay offline.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    # Some GX modules pin their loggers to INFO on import; those lines are not for our users.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)

    return gx
