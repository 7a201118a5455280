"""The ``dataprep`` command: a thin shell over the Python API.

Exit codes: 0 success, 1 a gate failed, 2 a usage or config error (one line, no stack trace
unless ``--debug``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dataprep import logs
from dataprep.config import ConfigError, load_config
from dataprep.validate import GateResult, SuiteError, default_suite_paths, describe_failures

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


class UserError(click.ClickException):
    """An expected mistake: printed as one line, exit code 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        err_console.print(f"[bold red]error:[/] {self.message}", soft_wrap=True)


@click.group(
    epilog="Example:\n\n\b\n  dataprep build --config dataprep.yaml\n  dataprep pull"
    "\n  dataprep validate out/"
)
@click.option("--debug", is_flag=True, help="Show debug logs and stack traces.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Turn tracker issues and release notes into clean, deduplicated, validated
    prompt-response pairs for fine-tuning."""
    ctx.obj = {"debug": debug}
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    logs.install()


@main.command(epilog="Example:\n\n\b\n  dataprep build\n  dataprep build --config acme.yaml")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Build config (default: ./dataprep.yaml).",
)
@click.option("--pull", "pull_first", is_flag=True, help="Pull the API sources first.")
@click.pass_context
def build(ctx: click.Context, config_path: Path | None, pull_first: bool) -> None:
    """Read the sources, clean, dedup, gate and write pairs to the output folder.

    API sources are read from the snapshots `dataprep pull` saved; the build itself never
    touches the network.
    """
    from dataprep.preflight import check_build

    try:
        cfg = load_config(config_path)
        # everything the config points to, before a pull or a read that can take minutes (and
        # before importing the stages, which alone takes a second)
        check_build(cfg, snapshots=not pull_first)
    except (ConfigError, SuiteError) as err:
        _user_error(ctx, err)
    from dataprep.pipeline import BuildFailed
    from dataprep.pipeline import build as run_build

    try:
        if pull_first:
            _pull(ctx, cfg, [])
        result = run_build(cfg)
    except BuildFailed as failed:
        _print_ledger(failed.result.ledger.to_list())
        _print_gates(failed.result.gates)
        err_console.print(f"[bold red]build failed:[/] {failed}")
        for line in failed.lines:
            err_console.print(f"  - {line}", soft_wrap=True, markup=False)
        sys.exit(1)
    except (ConfigError, SuiteError) as err:
        _user_error(ctx, err)
    _print_ledger(result.ledger.to_list())
    _print_clean(result.manifest)
    _print_gates(result.gates)
    unmapped = result.manifest["unmapped_values"]
    if unmapped:
        listed = ", ".join(f"{k} ({n})" for k, n in unmapped.items())
        console.print(
            f"[yellow]values with no canonical mapping[/] (add them to a *_map): {listed}"
        )
    counts = result.manifest["counts"]
    console.print(
        f"[bold green]built[/] {counts['pairs']} pairs from {counts['records']} records "
        f"({counts['quarantined']} quarantined) -> {result.output_dir}"
    )


@main.command(
    epilog="Example:\n\n\b\n  export JIRA_TOKEN=...\n  dataprep pull\n"
    "  dataprep pull --source acme-jira"
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Build config (default: ./dataprep.yaml).",
)
@click.option("--source", "names", multiple=True, help="Pull only this source (repeatable).")
@click.pass_context
def pull(ctx: click.Context, config_path: Path | None, names: tuple[str, ...]) -> None:
    """Fetch the API sources into snapshots under .dataprep/snapshots (incremental)."""
    try:
        cfg = load_config(config_path)
    except ConfigError as err:
        _user_error(ctx, err)
    _pull(ctx, cfg, list(names))


def _pull(ctx: click.Context, cfg, names: list[str]) -> None:
    from dataprep.connectors.http import PullError
    from dataprep.pull import pull as run_pull

    if not any(src.url for src in cfg.sources):
        console.print("no API sources in the config; nothing to pull")
        return
    try:
        summaries = run_pull(cfg, names or None)
    except PullError as err:
        if ctx.find_root().obj.get("debug"):
            raise
        err_console.print(f"[bold red]pull failed:[/] {err}", soft_wrap=True)
        sys.exit(1)
    for s in summaries:
        resumed = " (resumed)" if s.resumed else ""
        invalid = f", {s.invalid} invalid" if s.invalid else ""
        console.print(
            f"pulled {s.source}: run {s.run}{resumed}, {s.pages} pages, {s.items} items"
            f"{invalid}; cursor {s.cursor}"
        )


@main.command(
    "dedup",
    epilog="Example:\n\n\b\n  dataprep dedup tickets.jsonl --text-column body --out unique.jsonl"
    "\n  cat a.jsonl | dataprep dedup - --text-column text --id-column id --out b.parquet",
)
@click.argument("source", metavar="IN")
@click.option("--text-column", required=True, help="Column with the text to compare.")
@click.option("--id-column", help="Column naming each row (default: the row number).")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the kept rows go (.jsonl or .parquet); removed rows go beside it.",
)
@click.option("--threshold", type=float, default=0.7, show_default=True, help="Jaccard.")
@click.option("--num-perm", type=int, default=128, show_default=True)
@click.option("--shingle-size", type=int, default=3, show_default=True, help="Words per shingle.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.pass_context
def dedup_command(
    ctx: click.Context,
    source: str,
    text_column: str,
    id_column: str | None,
    out: Path,
    threshold: float,
    num_perm: int,
    shingle_size: int,
    seed: int,
) -> None:
    """Remove exact and near-duplicate rows from a JSONL or Parquet file (IN, or - for stdin).

    The same MinHash LSH + exact Jaccard as `dataprep build`; the first row of each cluster
    survives. Removed rows, with the row they duplicate and their similarity, go to
    OUT's name with `.removed` before the extension.
    """
    import time

    from dataprep.config import DedupConfig
    from dataprep.dedup.standalone import (
        DedupInputError,
        dedup_table,
        read_table,
        removed_path,
        write_table,
    )

    if not 0 < threshold <= 1 or num_perm < 16 or shingle_size < 1:
        _user_error(ctx, ValueError("--threshold in (0, 1], --num-perm >= 16, --shingle-size >= 1"))
    cfg = DedupConfig(threshold=threshold, num_perm=num_perm, shingle_size=shingle_size, seed=seed)
    start = time.perf_counter()
    try:
        table = read_table(source)
        kept, removed = dedup_table(table, text_column, id_column, cfg)
        write_table(kept, out)
        write_table(removed, removed_path(out))
    except DedupInputError as err:
        _user_error(ctx, err)
    exact = int((removed["reason"] == "dedup:exact-of").sum())
    console.print(
        f"{table.height} rows: kept {kept.height}, removed {removed.height} "
        f"({exact} exact, {removed.height - exact} near) in {time.perf_counter() - start:.1f} s "
        f"-> {out}, {removed_path(out)}"
    )


@main.command(
    epilog="Example:\n\n\b\n  dataprep validate out/\n"
    "  dataprep validate out/ --format junit --baseline previous-out/\n"
    "  dataprep validate out/ --suite expectations/pairs.json --format github"
)
@click.argument("out_dir", type=click.Path(path_type=Path))
@click.option(
    "--suite",
    "suites",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A GX suite JSON to run (repeatable); only these run. Default: the suites the build "
    "ran (those shipped with dataprep, and copies of your own in OUT_DIR/validation/suites).",
)
@click.option(
    "--expectations",
    "expectations_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="A folder of your own suites: one named like a shipped suite (records, pairs) "
    "replaces it, others are added (instead of the copies the build kept).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="text: a table; json: the results on stdout; junit: an XML file for CI test reports; "
    "github: ::error/::warning annotations.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the json or junit report here (junit default: OUT_DIR/validation/junit.xml).",
)
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="A previous build folder; fail when metrics drift past validate.baseline limits.",
)
@click.option("--no-docs", is_flag=True, help="Do not write Data Docs HTML.")
@click.pass_context
def validate(
    ctx: click.Context,
    out_dir: Path,
    suites: tuple[Path, ...],
    expectations_dir: Path | None,
    fmt: str,
    output: Path | None,
    baseline: Path | None,
    no_docs: bool,
) -> None:
    """Re-check an existing build with the Great Expectations gates (for CI).

    Runs from any folder: the suites are the ones the build ran, and suite parameters
    (configured sources and tasks, languages, token budget) come from the config recorded in
    OUT_DIR/manifest.json. Data Docs HTML goes to OUT_DIR/validation/docs. Exit 0 when every
    error-severity expectation passes, 1 when any fails, 2 on a usage error.
    """
    from dataprep.api import DamagedOutputError, build_config, validate_output
    from dataprep.baseline import BaselineError, compare, read_manifest
    from dataprep.report import gates as report

    damaged = None
    try:
        previous = read_manifest(baseline) if baseline is not None else None
        paths = list(suites) or (
            default_suite_paths(expectations_dir) if expectations_dir is not None else None
        )
        cfg = build_config(out_dir)
        results = validate_output(out_dir, paths, cfg, docs=not no_docs)
        if previous is not None:
            try:
                current = read_manifest(out_dir)
            except BaselineError as err:
                raise DamagedOutputError(out_dir / "manifest.json", str(err)) from None
            results.append(compare(current, previous, cfg.validate.baseline))
    except DamagedOutputError as err:
        # a file of the build is missing or unreadable: the output fails (exit 1), reported
        # in every format like a failed expectation, so CI shows which file
        logging.getLogger(__name__).debug("damaged output", exc_info=True)
        damaged, results = err, [err.as_gate()]
    except (ConfigError, SuiteError, FileNotFoundError, NotADirectoryError, BaselineError) as err:
        _user_error(ctx, err)
    failed = not all(r.success for r in results)
    if fmt == "json":
        text = report.to_json(results)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    elif fmt == "junit":
        target = output or out_dir / "validation" / "junit.xml"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report.to_junit(results), encoding="utf-8")
        _print_gates(results)
        console.print(f"JUnit report: {target}")
    elif fmt == "github":
        for line in report.to_github(results):
            click.echo(line)
    elif damaged is None:
        _print_outcomes(results)
        _print_gates(results)
    if fmt in ("text", "junit"):
        if damaged is not None:
            err_console.print(f"[bold red]failed:[/] {escape(str(damaged))}", soft_wrap=True)
        elif failed:
            for line in describe_failures(results):
                err_console.print(f"  - {line}", soft_wrap=True, markup=False)
        else:
            console.print(f"[bold green]gates passed[/] for {out_dir}")
    sys.exit(1 if failed else 0)


@main.command(
    epilog="Example:\n\n\b\n  dataprep init exports/\n  dataprep build\n"
    "  dataprep init . --config acme.yaml --force"
)
@click.argument("path", default=".", type=click.Path(path_type=Path))
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the config (default: ./dataprep.yaml).",
)
@click.option("--force", is_flag=True, help="Overwrite the config if it exists.")
@click.pass_context
def init(ctx: click.Context, path: Path, config_path: Path | None, force: bool) -> None:
    """Write a build config for the tracker exports and release notes under PATH (default: .).

    Files are recognised by their content, not their names: Jira (JSON, CSV, XML), GitHub
    issues and releases, GitLab, Linear, Azure DevOps and changelogs in every style the
    changelog source reads. Files nothing reads are listed with the reason.
    """
    from dataprep.init import InitError, init_config

    try:
        result = init_config(path, config_path, force=force)
    except InitError as err:
        for left in err.unplaced[:30]:
            console.print(
                f"  [dim]{escape(left.shown())}: {escape(left.reason)}[/]", soft_wrap=True
            )
        _user_error(ctx, err)
    table = Table(title="sources found", title_justify="left", box=None, pad_edge=False)
    for col, justify in (("name", "left"), ("type", "left"), ("path", "left"), ("files", "right")):
        table.add_column(col, justify=justify, overflow="fold")
    table.add_column("items", justify="right", no_wrap=True)
    for src in result.sources:
        row = (src.name, src.type, src.path, str(len(src.files)), src.count())
        table.add_row(*map(escape, row))
    console.print(table)
    for src in result.sources:
        for note in src.notes:
            console.print(f"  [yellow]{escape(src.name)}[/]: {escape(note)}", soft_wrap=True)
    if result.unplaced:
        console.print(f"left out {len(result.unplaced)} of {result.entries_seen} files:")
        for left in result.unplaced[:30]:
            console.print(
                f"  [dim]{escape(left.shown())}: {escape(left.reason)}[/]", soft_wrap=True
            )
        if len(result.unplaced) > 30:
            console.print(f"  [dim]... and {len(result.unplaced) - 30} more[/]")
    for left in result.skipped:
        console.print(f"skipped folder {escape(left.shown())}: {escape(left.reason)}")
    console.print(
        f"[bold green]wrote[/] {escape(str(result.config_path))} with {len(result.sources)} "
        f"source{'s' if len(result.sources) != 1 else ''}; check it, then run `dataprep build`"
    )


def _user_error(ctx: click.Context, err: Exception) -> None:
    if ctx.find_root().obj.get("debug"):
        raise err
    raise UserError(str(err)) from None


def _print_ledger(stages: list[dict]) -> None:
    """Print one row per stage, then one indented row per reason with its count."""
    table = Table(title="stages", title_justify="left", box=None, pad_edge=False)
    table.add_column("stage / reason", no_wrap=True)
    for col in ("received", "kept", "rejected", "quarantined"):
        table.add_column(col, justify="right")
    for s in stages:
        counts = (str(s[k]) for k in ("received", "kept", "rejected", "quarantined"))
        table.add_row(f"[bold]{s['stage']}[/] ({s['unit']})", *counts)
        for reason, n in s["reasons"].items():
            table.add_row(f"  {reason}", "", "", str(n), "", style="dim")
    console.print(table)


def _print_clean(manifest: dict) -> None:
    """Print what the clean stage replaced and removed, and the languages it measured."""

    def listed(counts: dict[str, int]) -> str:
        return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1]))

    clean = manifest.get("clean", {})
    if manifest.get("redactions"):
        console.print(f"redacted: {listed(manifest['redactions'])}", soft_wrap=True)
    if clean.get("comments_dropped"):
        console.print(f"comments dropped: {listed(clean['comments_dropped'])}", soft_wrap=True)
    if clean.get("languages"):
        console.print(f"languages measured: {listed(clean['languages'])}", soft_wrap=True)
    dedup = manifest.get("dedup", {})
    console.print(
        f"duplicate clusters: {dedup.get('clusters', 0)} (clusters.parquet); boilerplate "
        f"release entries removed: {dedup.get('boilerplate_entries', 0)} (boilerplate.parquet)",
        soft_wrap=True,
    )
    if dedup.get("decontaminated"):
        console.print(f"decontaminated: {listed(dedup['decontaminated'])}", soft_wrap=True)


def _print_outcomes(results: list[GateResult]) -> None:
    """Print a table per gate, one row per expectation: status, name, column, observed value
    (with the unexpected row count) and up to three examples."""
    from dataprep.report.gates import short

    for res in results:
        table = Table(title=f"gate {res.suite}", title_justify="left", box=None, pad_edge=False)
        table.add_column("", no_wrap=True)
        table.add_column("expectation", no_wrap=True)
        table.add_column("column", no_wrap=True)
        table.add_column("observed", overflow="fold")
        table.add_column("examples", overflow="fold")
        for o in res.outcomes:
            if o.success:
                status = "[green]ok[/]"
            else:
                status = "[red]FAIL[/]" if o.severity == "error" else "[yellow]warn[/]"
            observed = short(o.observed, 60) if o.observed is not None else ""
            if o.unexpected_count:
                observed = f"{o.unexpected_count}/{o.element_count} rows {observed}".strip()
            examples = ", ".join(short(e, 40) for e in o.examples[:3])
            table.add_row(status, o.name, o.column or "", escape(observed), escape(examples))
        console.print(table)


def _print_gates(results: list[GateResult]) -> None:
    for res in results:
        status = "[green]passed[/]" if res.success else "[red]FAILED[/]"
        passed = len(res.outcomes) - len(res.failures) - len(res.warnings)
        warned = f", {len(res.warnings)} warning(s)" if res.warnings else ""
        console.print(
            f"gate {res.suite}: {status} ({passed}/{len(res.outcomes)} expectations passed"
            f"{warned}, {res.rows} rows)"
        )
        for line in describe_failures([res], warnings=True):
            if ": warning: " in line:
                console.print(f"  - {line}", soft_wrap=True, markup=False, style="yellow")
