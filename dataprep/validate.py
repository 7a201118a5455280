"""Great Expectations gates over records and pairs, run in-process with an ephemeral context.

The suites are plain GX 1.x suite JSON in ``expectations/`` that users edit. Each suite checks
one frame, ``records`` or ``pairs`` (``meta.dataprep_frame``, else the suite's name), seen through
a *view*: the frame's scalar columns plus documented derived columns (``records_view``,
``pairs_view``). Each expectation may carry ``meta.severity``: ``error`` (the default) fails the
gate, ``warning`` is reported only; ``meta.name`` names it in every report.

A *sensitive* expectation never shows the values it catches, since reports end up in CI logs:
each example becomes where the finding is, ``jira:ACME-12: email at body[5:22]`` (row id, the
kind the redactor would give it, the column and the character span), never the text. Every
"must not match" pattern expectation (``SENSITIVE_BY_DEFAULT``) is sensitive, as what matches a
no-e-mail or no-token pattern is the e-mail or token; ``meta.sensitive`` (true or false)
overrides that for any expectation. The values are replaced in GX's own result, before Data
Docs, ``Outcome``, JSON, JUnit, annotations or the build's ``validation/<suite>.json`` see it.

Values that depend on the build (the configured sources and tasks, allowed languages, the token
budget, the validation share) are GX suite parameters, ``{"$PARAMETER": "name"}``, filled by
``gate_parameters`` from the config and the eligible records, so one suite passes on any
legitimate build: only changelogs, only GitHub issues, or everything.

GX is imported only when a gate runs, so ``dataprep --help`` stays fast. Results are summarised
into a small, deterministic JSON (no run times or ids), so two builds of the same inputs write
the same bytes; GX's Data Docs HTML, which does carry run times, is written beside it.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import logging
import math
import operator
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from dataprep.pairs.tokens import estimate_tokens

if TYPE_CHECKING:
    from dataprep.config import Config

log = logging.getLogger(__name__)

MAX_EXAMPLES = 5
SEVERITIES = ("error", "warning")
# Where a build keeps copies of the user's own suites it ran, so that `dataprep validate OUT`
# runs the same gates from any folder.
RECORDED_SUITES = "validation/suites"
FRAMES = ("records", "pairs")
# Expectation kwargs that name a column of the checked frame.
_COLUMN_KEYS = ("column", "column_A", "column_B")
_LIST_COLUMN_KEYS = ("column_list",)
# Expectations whose failing values are the very thing that must not leak (see the docstring).
SENSITIVE_BY_DEFAULT = frozenset(
    {
        "expect_column_values_to_not_match_regex",
        "expect_column_values_to_not_match_regex_list",
        "expect_column_values_to_not_match_like_pattern",
        "expect_column_values_to_not_match_like_pattern_list",
    }
)
# The column that names a row of each frame, in place of a sensitive value.
ID_COLUMNS = {"records": "record_id", "pairs": "pair_id"}
HIDDEN = "<hidden>"
# Characters before a match the redactor sees to name its kind: the shipped patterns start
# inside a token, behind a lookbehind (``_(?<=ghp_)...``, ``@(?<=a@)...``).
_KIND_CONTEXT = 64
_PLACEHOLDER = re.compile(r"<([A-Z]+)(?::([\w.\-]+))?>")


class SuiteError(ValueError):
    """A suite file is missing or malformed; the message names the file and the fix."""


@dataclass
class Outcome:
    expectation: str  # the GX expectation type
    column: str | None
    success: bool
    unexpected_count: int | None
    element_count: int | None
    examples: list[Any]
    observed: Any = None
    name: str = ""  # meta.name, else the type
    severity: str = "error"
    sensitive: bool = False  # examples say where each finding is, never its value


@dataclass
class GateResult:
    suite: str
    rows: int
    outcomes: list[Outcome] = field(default_factory=list)
    path: str = ""  # the suite file, for annotations

    @property
    def success(self) -> bool:
        """True when every error-severity expectation passed; warnings never fail a gate."""
        return not self.failures

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "error"]

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.success and o.severity == "warning"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "success": self.success,
            "rows": self.rows,
            "evaluated": len(self.outcomes),
            "failed": len(self.failures),
            "warnings": len(self.warnings),
            "results": [asdict(o) for o in self.outcomes],
        }


@dataclass(frozen=True)
class Suite:
    path: Path
    name: str
    frame: str  # "records" or "pairs"
    expectations: list[dict[str, Any]]

    def columns(self) -> set[str] | None:
        """Return the view columns the suite reads, or None when it needs all of them."""
        used: set[str] = set()
        for exp in self.expectations:
            if exp["type"].startswith("expect_table_column"):
                return None
            kwargs = exp.get("kwargs", {})
            used.update(kwargs[k] for k in _COLUMN_KEYS if isinstance(kwargs.get(k), str))
            for key in _LIST_COLUMN_KEYS:
                used.update(c for c in kwargs.get(key) or [] if isinstance(c, str))
        return used


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
    """Return one row per pair: ``pair_id``, ``task``, ``split``, ``lang`` and derived columns:

    - ``n_messages``; ``system``, ``user``, ``assistant``: the last turn of each role;
    - ``user_chars``, ``assistant_chars``: their lengths in characters;
    - ``all_text``: every message's content, joined by newlines;
    - ``prompt_tokens`` (system + user), ``response_tokens``: the token estimate of
      ``dataprep.pairs.tokens``; ``total_tokens``: the pair's ``tokens``, the count the pairs
      stage budgeted with (a tokenizer's when configured), else the estimate's sum;
    - ``is_validation``: 1.0 for a validation pair, else 0.0 (its mean is the validation share);
    - ``source``: the first source the pair was built from.
    """

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

    contents = pl.col("messages").list.eval(pl.element().struct.field("content"))
    # the count the pairs stage budgeted with (a tokenizer's, when one was configured)
    recorded = pl.col("tokens") if "tokens" in pairs.columns else pl.lit(None, pl.Int64)
    return (
        pairs.select(
            "pair_id",
            "task",
            "split",
            "lang",
            pl.col("sources").list.first().alias("source"),
            pl.col("messages").list.len().alias("n_messages"),
            last_of("system").alias("system"),
            last_of("user").alias("user"),
            last_of("assistant").alias("assistant"),
            contents.list.join("\n").alias("all_text"),
            (pl.col("split") == "validation").cast(pl.Float64).alias("is_validation"),
            recorded.alias("tokens"),
        )
        .with_columns(
            pl.col("user").str.len_chars().fill_null(0).alias("user_chars"),
            pl.col("assistant").str.len_chars().fill_null(0).alias("assistant_chars"),
            (estimate_tokens(pl.col("system")) + estimate_tokens(pl.col("user"))).alias(
                "prompt_tokens"
            ),
            estimate_tokens(pl.col("assistant")).alias("response_tokens"),
        )
        .with_columns(
            pl.col("tokens")
            .fill_null(pl.col("prompt_tokens") + pl.col("response_tokens"))
            .alias("total_tokens")
        )
    )


VIEWS = {"records": records_view, "pairs": pairs_view}


def load_suite_json(path: Path) -> dict[str, Any]:
    """Return the suite JSON at ``path``; raise ``SuiteError`` naming the file when unreadable."""
    if not path.is_file():
        raise SuiteError(f"{path}: no such suite file; check the path")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise SuiteError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    if not isinstance(data, dict) or not isinstance(data.get("expectations"), list):
        raise SuiteError(f"{path}: expected an object with an 'expectations' list")
    return data


def load_suite(path: Path) -> Suite:
    """Return the suite at ``path``, checked: every expectation is a known GX type with a valid
    severity, and the suite names the frame it checks. GX drops an unknown type silently, so
    this is where a typo in a suite becomes an error naming the file and the expectation."""
    data = load_suite_json(path)
    name = str(data.get("name") or path.stem)
    meta = data.get("meta") or {}
    frame = meta.get("dataprep_frame") or next((f for f in FRAMES if f in name), None)
    if frame not in FRAMES:
        raise SuiteError(
            f"{path}: cannot tell which frame suite {name!r} checks; "
            f'set "meta": {{"dataprep_frame": "records"}} or "pairs"'
        )
    known = _core_expectation_types()
    for i, exp in enumerate(data["expectations"]):
        where = f"{path}: expectation {i + 1}"
        if not isinstance(exp, dict) or not isinstance(exp.get("type"), str):
            raise SuiteError(f"{where}: expected an object with a 'type'")
        label = f"{where} ({expectation_name(exp)})"
        # a near miss of a core name is a typo: said at once, without importing GX
        near = difflib.get_close_matches(exp["type"], known, n=1, cutoff=0.9)
        if exp["type"] not in known and (
            near or exp["type"] not in _registered_expectation_types()
        ):
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise SuiteError(
                f"{label}: unknown expectation type {exp['type']!r}{hint}; "
                "GX would skip it silently"
            )
        severity = (exp.get("meta") or {}).get("severity", "error")
        if severity not in SEVERITIES:
            raise SuiteError(
                f"{label}: meta.severity must be 'error' or 'warning', not {severity!r}"
            )
        sensitive = (exp.get("meta") or {}).get("sensitive")
        if sensitive is not None and not isinstance(sensitive, bool):
            raise SuiteError(f"{label}: meta.sensitive must be true or false, not {sensitive!r}")
    return Suite(path=path, name=name, frame=frame, expectations=data["expectations"])


def is_sensitive(exp: dict[str, Any]) -> bool:
    """Return whether an expectation's failing values must not be shown: its ``meta.sensitive``
    when set, else whether it is a "must not match" pattern (``SENSITIVE_BY_DEFAULT``)."""
    flag = (exp.get("meta") or {}).get("sensitive")
    return flag if isinstance(flag, bool) else exp.get("type") in SENSITIVE_BY_DEFAULT


def expectation_name(exp: dict[str, Any]) -> str:
    """Return the expectation's ``meta.name``, else its type and column."""
    meta = exp.get("meta") or {}
    if meta.get("name"):
        return str(meta["name"])
    column = (exp.get("kwargs") or {}).get("column")
    return f"{exp.get('type')}({column})" if column else str(exp.get("type"))


def packaged_suites_dir() -> Path:
    """Return the folder of the suites that ship inside the package (``records``, ``pairs``)."""
    return Path(str(resources.files("dataprep") / "expectations"))


def default_suite_paths(expectations_dir: Path | None = None) -> list[Path]:
    """Return the shipped suites, each replaced by a file of the same suite name in
    ``expectations_dir`` when given, followed by that folder's other suites (added)."""
    order = {frame: i for i, frame in enumerate(FRAMES)}  # records first: the pipeline's order
    shipped = sorted(packaged_suites_dir().glob("*.json"), key=lambda p: order.get(p.stem, 99))
    packaged = {p.stem: p for p in shipped}
    if expectations_dir is None:
        return list(packaged.values())
    if not expectations_dir.is_dir():
        raise SuiteError(
            f"{expectations_dir}: no such folder of suites; create it, or leave "
            "validate.expectations unset to use the suites that ship with dataprep"
        )
    user = {suite_name(p): p for p in sorted(expectations_dir.glob("*.json"))}
    return [user.pop(name, path) for name, path in packaged.items()] + list(user.values())


def suite_name(path: Path) -> str:
    """Return the name of the suite in ``path``: its ``name``, else the file name's stem."""
    return str(load_suite_json(path).get("name") or path.stem)


def configured_suite_paths(cfg: Config) -> list[Path]:
    """Return the suites a build with ``cfg`` runs: the shipped ones, with the suites in
    ``validate.expectations`` (when set) replacing them by name or added."""
    folder = cfg.validate.expectations
    return default_suite_paths(cfg.resolve(folder) if folder is not None else None)


def gate_parameters(
    cfg: Config,
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    expected_tasks: list[str] | None = None,
) -> dict[str, Any]:
    """Return the suite parameters of this build, derived from the config and the records.

    - ``configured_sources``: the ``source`` value each configured source gives its records;
    - ``allowed_languages``: ``clean.languages``;
    - ``earliest_date`` / ``latest_date``: ``validate.earliest_date`` and now plus one day;
    - ``configured_tasks``: ``pairs.tasks`` and the user tasks; ``expected_tasks``: those with
      eligible records (given by the build, which counted candidates; else found by running
      each task);
    - ``max_tokens``: ``pairs.max_tokens``, the token budget of a whole pair;
    - ``validation_share_min`` / ``_max``: in split mode ``hash``, ``pairs.validation_fraction``
      plus or minus the larger of ``validate.split_tolerance`` and three binomial standard
      deviations at this many pairs. In modes ``time`` and ``project`` the share follows the
      data (the cutoff, the held-out projects), so the gate asks only that both train and
      validation hold at least one pair: a cutoff after the last record or a held-out project
      with no pairs fails.
    """
    import pandas as pd

    from dataprep.pairs.stage import eligible_tasks

    share_min, share_max = _validation_share_bounds(cfg, pairs.height)
    now = datetime.now(UTC).replace(tzinfo=None)
    return {
        "configured_sources": sorted({s.record_source for s in cfg.sources}),
        "allowed_languages": list(cfg.clean.languages),
        "earliest_date": pd.Timestamp(cfg.validate.earliest_date),
        "latest_date": pd.Timestamp(now + timedelta(days=1)),
        "configured_tasks": cfg.pairs.task_names,
        "expected_tasks": (
            expected_tasks if expected_tasks is not None else eligible_tasks(records, cfg.pairs)
        ),
        "max_tokens": cfg.pairs.max_tokens,
        "validation_share_min": share_min,
        "validation_share_max": share_max,
    }


def _validation_share_bounds(cfg: Config, n_pairs: int) -> tuple[float, float]:
    """Return the bounds of the validation share of ``n_pairs`` pairs (see ``gate_parameters``)."""
    if cfg.pairs.split.mode != "hash":
        one = 1 / max(n_pairs, 1)
        return one, 1 - one
    share = cfg.pairs.validation_fraction
    spread = 3 * math.sqrt(share * (1 - share) / max(n_pairs, 1))
    tolerance = max(cfg.validate.split_tolerance, spread)
    return max(0.0, share - tolerance), min(1.0, share + tolerance)


def gate(
    records: pl.DataFrame,
    pairs: pl.DataFrame,
    cfg: Config,
    suite_paths: list[Path] | None = None,
    docs_dir: Path | None = None,
    expected_tasks: list[str] | None = None,
) -> list[GateResult]:
    """Return the results of the suites (default: ``records.json`` and ``pairs.json`` in the
    configured folder) on this build; write Data Docs to ``docs_dir`` when given."""
    paths = suite_paths or configured_suite_paths(cfg)
    suites = [load_suite(p) for p in paths]
    params = gate_parameters(cfg, records, pairs, expected_tasks)
    return run_suites({"records": records, "pairs": pairs}, suites, params, docs_dir)


def run_suites(
    frames: dict[str, pl.DataFrame],
    suites: list[Suite],
    parameters: dict[str, Any] | None = None,
    docs_dir: Path | None = None,
) -> list[GateResult]:
    """Return the outcome of every expectation of each suite on the view of its frame."""
    gx = _import_gx()
    context = gx.get_context(mode="ephemeral")
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    if docs_dir is not None:
        context.add_data_docs_site(
            site_name="dataprep",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir.resolve()),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
    source = context.data_sources.add_pandas("dataprep")
    results = []
    for i, suite in enumerate(suites):
        view = VIEWS[suite.frame](frames[suite.frame])
        try:
            gx_suite = context.suites.add(
                gx.ExpectationSuite(name=f"{suite.name}", expectations=suite.expectations)
            )
        except Exception as err:  # GX raises many types for a bad expectation config
            raise SuiteError(f"{suite.path}: invalid expectation ({err})") from None
        if len(gx_suite.expectations) != len(suite.expectations):
            raise SuiteError(f"{suite.path}: GX dropped expectations it could not read")
        asset = source.add_dataframe_asset(f"{suite.frame}-{i}")
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(
                name=f"{suite.name}-{i}",
                data=asset.add_batch_definition_whole_dataframe("all"),
                suite=gx_suite,
            )
        )
        store = context.validation_results_store
        stored = set(store.list_keys())
        run = definition.run(
            batch_parameters={"dataframe": _to_pandas(view, suite.columns())},
            expectation_parameters=parameters or {},
            result_format="SUMMARY",
        )
        if _hide_sensitive(run.results, view, suite.frame):
            # Data Docs render what the store holds: store the result with the values hidden
            for key in set(store.list_keys()) - stored:
                store.set(key, run)
        result = run.to_json_dict()
        outcomes = [_outcome(r) for r in result["results"]]
        outcomes.sort(key=lambda o: (o.severity, o.name, o.expectation, o.column or ""))
        results.append(
            GateResult(
                suite=suite.name, rows=view.height, outcomes=outcomes, path=_shown(suite.path)
            )
        )
    if docs_dir is not None:
        context.build_data_docs(site_names=["dataprep"])
    return results


def describe_failures(results: list[GateResult], warnings: bool = False) -> list[str]:
    """Return one line per failed expectation (and failed warning, if asked): suite, name,
    column, count, observed value, examples."""
    lines = []
    for res in results:
        for o in res.failures + (res.warnings if warnings else []):
            column = f" on {o.column!r}" if o.column and o.column != o.name else ""
            count = (
                f": {o.unexpected_count} of {o.element_count} rows" if o.unexpected_count else ""
            )
            observed = f" (observed {o.observed!r})" if o.observed is not None else ""
            examples = f"; e.g. {o.examples[:3]!r}" if o.examples else ""
            level = "warning: " if o.severity == "warning" else ""
            lines.append(f"{res.suite}: {level}{o.name}{column} failed{count}{observed}{examples}")
    return lines


def _hide_sensitive(results: list[Any], view: pl.DataFrame, frame: str) -> bool:
    """Replace, in place, the values GX reports for each sensitive expectation with where they
    are (see ``locate``); return whether anything was replaced."""
    changed = False
    for r in results:
        config, res = r.expectation_config, r.result
        sensitive = is_sensitive({"type": config.type, "meta": config.meta})
        if not sensitive or not isinstance(res, dict):
            continue
        values = res.get("partial_unexpected_list") or res.get("unexpected_list") or []
        indices = res.get("partial_unexpected_index_list") or res.get("unexpected_index_list")
        if values:
            found = locate(view, frame, config.kwargs, indices or [])
            found = found or [HIDDEN] * min(len(values), MAX_EXAMPLES)
            res["partial_unexpected_list"] = found
            res["partial_unexpected_counts"] = [{"value": f, "count": 1} for f in found]
            changed = True
        for key in ("unexpected_list", "unexpected_index_list", "details"):
            changed |= res.pop(key, None) is not None
        if isinstance(res.get("observed_value"), str | list | dict):
            res["observed_value"] = HIDDEN
            changed = True
    return changed


def locate(view: pl.DataFrame, frame: str, kwargs: dict[str, Any], indices: list[int]) -> list[str]:
    """Return, for the first ``MAX_EXAMPLES`` rows at ``indices`` of ``view``, where the finding
    is without its value: ``<row id>: <kind> at <column>[<start>:<end>]`` for a pattern
    expectation (the first match's kind as the redactor names it, ``email``, ``phone``,
    ``secret:github``, ..., else ``match``; the span in characters, as Python slices), else
    ``<row id>: value in <column>``. The row id is the frame's ``ID_COLUMNS`` value."""
    id_column = ID_COLUMNS.get(frame)
    column = kwargs.get("column")
    patterns = [kwargs["regex"]] if isinstance(kwargs.get("regex"), str) else []
    patterns += [p for p in kwargs.get("regex_list") or [] if isinstance(p, str)]
    found = []
    for index in indices[:MAX_EXAMPLES]:
        try:
            index = operator.index(index)  # GX's are numpy integers
        except TypeError:
            continue
        if not 0 <= index < view.height:
            continue
        row = view.row(index, named=True)
        where = row.get(id_column) if id_column else None
        where = str(where) if where is not None else f"row {index}"
        value = row.get(column) if isinstance(column, str) else None
        span = _first_match(value, patterns) if isinstance(value, str) else None
        if span is None:
            found.append(f"{where}: value in {column or 'row'}")
        else:
            start, end = span
            found.append(f"{where}: {_kind(value, start, end)} at {column}[{start}:{end}]")
    return found


def _first_match(value: str, patterns: list[str]) -> tuple[int, int] | None:
    for pattern in patterns:
        try:
            match = re.search(pattern, value)
        except re.error:
            continue
        if match:
            return match.span()
    return None


def _kind(value: str, start: int, end: int) -> str:
    """Return the kind of the finding at ``value[start:end]`` as the redactor would label it
    (``email``, ``phone``, ``ip``, ``secret:github``, ...), else ``match``."""
    # imported here: detect_secrets takes a tenth of a second, paid only when a finding shows
    from dataprep.text.redact import redact_text

    begin = max(0, start - _KIND_CONTEXT)
    before = _PLACEHOLDER.findall(redact_text(value[begin:start]))
    upto = _PLACEHOLDER.findall(redact_text(value[begin:end]))
    if len(upto) <= len(before):
        return "match"
    kind, sub = upto[len(before)]
    return f"{kind.lower()}:{sub}" if sub else kind.lower()


def _outcome(result: dict[str, Any]) -> Outcome:
    config = result["expectation_config"]
    res = result.get("result") or {}
    kwargs = config.get("kwargs", {})
    meta = config.get("meta") or {}
    column = kwargs.get("column") or (
        f"{kwargs['column_A']},{kwargs['column_B']}" if "column_A" in kwargs else None
    )
    examples = res.get("partial_unexpected_list") or []
    observed = _plain(res.get("observed_value"))
    if res.get("partial_missing_list"):  # expect_column_distinct_values_to_contain_set & co.
        observed = "missing: " + ", ".join(str(v) for v in res["partial_missing_list"])
    error = _exception(result.get("exception_info"))
    if error:
        observed = f"error: {error}"
    return Outcome(
        expectation=config["type"],
        column=column,
        success=bool(result["success"]),
        unexpected_count=res.get("unexpected_count"),
        element_count=res.get("element_count"),
        examples=[_plain(v) for v in examples[:MAX_EXAMPLES]],
        observed=observed,
        name=expectation_name(config),
        severity=meta.get("severity", "error"),
        sensitive=is_sensitive(config),
    )


def _shown(path: Path) -> str:
    """Return ``path`` relative to the working folder when under it (as CI annotations want)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _exception(info: Any) -> str | None:
    """Return the first exception message GX caught while evaluating an expectation."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "").splitlines()[0][:300]
    for value in info.values():  # keyed by metric when several metrics were computed
        if isinstance(value, dict) and value.get("exception_message"):
            return str(value["exception_message"]).splitlines()[0][:300]
    return None


def _plain(value: Any) -> Any:
    """Return ``value`` as something JSON can hold (timestamps and numpy scalars as text)."""
    if value is None or isinstance(value, bool):
        return value
    for kind in (str, int, float):  # numpy's str_ and float64 subclass these
        if isinstance(value, kind):
            return kind(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    return str(value)


def _to_pandas(frame: pl.DataFrame, columns: set[str] | None = None):
    """Return a pandas frame for GX with only ``columns`` (all when None; one when empty, so the
    row count stays), datetimes as naive nanoseconds (GX is several times slower otherwise)."""
    if columns is not None:
        keep = [c for c in frame.columns if c in columns] or frame.columns[:1]
        frame = frame.select(keep)
    casts = [
        pl.col(c).dt.replace_time_zone(None).dt.cast_time_unit("ns")
        for c, t in frame.schema.items()
        if isinstance(t, pl.Datetime)
    ]
    return frame.with_columns(casts).to_pandas()


@functools.cache
def _core_expectation_types() -> frozenset[str]:
    """Return the names of the core expectations GX registers, without importing GX (which
    takes seconds): the modules ``great_expectations/expectations/core/__init__.py`` imports,
    each named for its expectation. Suites are checked before a build reads anything; this
    keeps that check instant for suites of core expectations (anything else asks GX)."""
    spec = importlib.util.find_spec("great_expectations")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    init = Path(next(iter(spec.submodule_search_locations))) / "expectations/core/__init__.py"
    try:
        text = init.read_text(encoding="utf-8")
    except OSError:
        return frozenset()
    return frozenset(re.findall(r"^from \.(expect_\w+) import", text, flags=re.MULTILINE))


@functools.cache
def _registered_expectation_types() -> frozenset[str]:
    """Return every expectation GX registers on import (core and plugins)."""
    _import_gx()
    from great_expectations.expectations.registry import (
        list_registered_expectation_implementations,
    )

    return frozenset(list_registered_expectation_implementations())


def _import_gx():
    # GX phones home with usage statistics unless told not to; builds must stay offline.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    # Some GX modules pin their loggers to INFO on import; those lines are not for our users.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("great_expectations"):
            logging.getLogger(name).setLevel(logging.WARNING)

    return gx
