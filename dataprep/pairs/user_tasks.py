"""User tasks: pairs from Jinja2 templates written in the config, one per matching record.

A task (``pairs.user_tasks`` in ``dataprep.yaml``)::

    - name: bug_to_component
      when: "kind = 'issue' AND issue_type = 'bug' AND array_length(components) > 0"
      system: You route bug reports to the team that owns them.
      prompt:
        - "Which component does this bug belong to?\\n\\n{{ title }}\\n\\n{{ body }}"
        - "{{ title }}\\n\\n{{ body | first_sentence }}\\n\\nName the component."
      response: "{{ components | join(', ') }}"

``when`` is a Polars SQL condition on record columns; records where it is false or null are
skipped. It is evaluated as one Polars expression, so only the matching records are rendered in
Python. Each record gets one prompt phrasing, chosen by
``sha256(f"{seed}:{name}:{record_id}") mod len(prompt)``: the same record always gets the same
phrasing, whatever the order of the records.

Templates see every record column as a variable: lists as lists, ``comments`` and ``entries``
as lists of dicts (``{% for c in comments %}{{ c.body }}{% endfor %}``), datetimes as
``datetime``. Extra filters: ``first_sentence``, ``bullets`` (a list as ``- item`` lines) and
``date`` (``{{ released_at | date }}`` gives ``2024-03-01``; ``date('%B %Y')`` any strftime
format). Rendering is sandboxed (no attribute access to Python internals, no mutation), a name
that is no column fails the record, ``trim_blocks`` and ``lstrip_blocks`` are on (a block tag
on its own line leaves no blank line behind), and the output is stripped of leading and
trailing whitespace.

A column that is null in a record is false in ``{% if %}``, empty in ``{% for %}`` and replaced
by ``| default('...')``, but printing it fails the record (``pairs:template-error``) rather
than write "None" into a pair. Guard it, or exclude such records with ``when``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

import jinja2
import polars as pl
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from dataprep.config import UserTask
from dataprep.schema import CANDIDATE_SCHEMA

REASON = "pairs:template-error"
STAGE = "pairs"
# Task names end up in the pairs' ``task`` column, file names and rejection details
# ("<task>: <message>"), so they are kept to identifier-like words.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


class UserTaskError(ValueError):
    """A user task's template or condition is wrong; the message says where."""


class _Null(jinja2.Undefined):
    """A column that is null in this record: falsy, empty when iterated, replaced by
    ``default``, and an error when printed (the message names the column)."""

    __slots__ = ()

    def __str__(self) -> str:
        return self._fail_with_undefined_error()


def _no_none(value: Any) -> Any:
    """Refuse to print a null nested inside a column (a comment without an author, say)."""
    if value is None:
        raise jinja2.UndefinedError(
            "a printed value is null; guard it with {% if ... %} or | default('...', true)"
        )
    return value


def _first_sentence(text: Any, limit: int = 300) -> str:
    """Return the first sentence of ``text`` (lines joined), or its first ``limit`` characters."""
    prose = " ".join(line.strip() for line in str(text).splitlines() if line.strip())
    match = _SENTENCE_END.search(prose)
    end = match.start() if match else len(prose)
    return prose[: min(end, limit)].strip()


def _bullets(items: Iterable[Any]) -> str:
    """Return the items as Markdown bullet lines (``- item``)."""
    return "\n".join(f"- {item}" for item in items)


def _date(value: date | datetime, fmt: str = "%Y-%m-%d") -> str:
    """Return the date formatted with ``fmt`` (strftime; default ISO ``2024-03-01``)."""
    return value.strftime(fmt)


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_no_none,
    )
    env.filters.update(first_sentence=_first_sentence, bullets=_bullets, date=_date)
    return env


_ENV = _environment()


def _templates(task: UserTask) -> dict[str, str]:
    """Return the task's templates by the name errors use: prompt[i], response, system."""
    named = {f"prompt[{i}]": text for i, text in enumerate(task.prompt)}
    named["response"] = task.response
    if task.system is not None:
        named["system"] = task.system
    return named


def _compile(text: str) -> jinja2.Template:
    template = _ENV.from_string(text)
    # Jinja chains the globals (ChainMap) and flattens them again on every render; a plain
    # dict halves the time of a short template.
    template.globals = dict(template.globals)
    return template


def _parse(where: str, text: str) -> Any:
    """Return the template's syntax tree once it compiles (unknown filters and tests fail
    only at compile time, not when parsing)."""
    try:
        _ENV.from_string(text)
        return _ENV.parse(text)
    except jinja2.TemplateSyntaxError as err:  # includes TemplateAssertionError
        raise UserTaskError(f"{where}: line {err.lineno}: {err.message}") from None


def _condition(when: str) -> pl.Expr:
    try:
        return pl.sql_expr(when)
    except pl.exceptions.PolarsError as err:
        raise UserTaskError(
            f"when: {_one_line(err)}; write one Polars SQL condition, e.g. \"kind = 'issue'\""
        ) from None


def check_user_task(task: UserTask) -> None:
    """Return nothing when the task can run; raise ``UserTaskError`` (one line) otherwise."""
    if not _NAME.match(task.name):
        raise UserTaskError(
            f"name: {task.name!r} must be letters, digits, '_', '-' or '.' (no spaces or ':')"
        )
    if not task.prompt:
        raise UserTaskError("prompt: give at least one phrasing")
    if task.when is not None:
        _condition(task.when)
    for where, text in _templates(task).items():
        ast = _parse(where, text)
        if where == "response" and not meta.find_undeclared_variables(ast):
            raise UserTaskError(
                "response: uses no record column, so every pair would get the same answer;"
                " use one, e.g. {{ title }}"
            )


def run_user_task(
    records: pl.DataFrame, task: UserTask, seed: int
) -> tuple[pl.DataFrame, list[dict]]:
    """Return the task's candidates (``task``, ``record_id``, ``prompt``, ``response``,
    ``extra_ids``, ``system``) and a rejected row per record whose rendering failed.

    Candidates keep the order of ``records``. An empty rendering is kept: the stage's checks
    reject it with their own reason. A ``when`` that cannot be evaluated on these records (a
    column they lack) rejects every record, naming the problem.
    """
    check_user_task(task)
    matching, problem = _matching(records, task)
    if problem is not None:
        detail = f"{task.name}: when: {problem}"
        return _frame([]), [_rejection(rid, detail) for rid in records["record_id"]]
    templates = _templates(task)
    compiled = {where: _compile(text) for where, text in templates.items()}
    used = set().union(*(meta.find_undeclared_variables(_ENV.parse(t)) for t in templates.values()))
    # Only the columns the templates name leave Polars: a wide frame costs nothing extra.
    columns = ["record_id", *sorted(c for c in used if c in records.columns and c != "record_id")]
    nulls = {
        c: _Null(hint=f"{c!r} is null; guard it with {{% if {c} %}} or | default('...')", name=c)
        for c in columns
    }
    rows, rejected = [], []
    for row in matching.select(columns).iter_rows(named=True):
        record_id = row["record_id"]
        context = {c: nulls[c] if v is None else v for c, v in row.items()}
        wanted = [f"prompt[{_phrasing(seed, task, record_id)}]", "response", "system"]
        out: dict[str, str | None] = {"system": None}
        try:
            for where in wanted:
                if where in compiled:
                    out[where] = compiled[where].render(context).strip()
        except Exception as err:  # a template may fail in any way; only this record is lost
            rejected.append(_rejection(record_id, f"{task.name}: {where}: {_describe(err)}"))
            continue
        rows.append((task.name, record_id, out[wanted[0]], out["response"], out["system"]))
    return _frame(rows), rejected


def _matching(records: pl.DataFrame, task: UserTask) -> tuple[pl.DataFrame, str | None]:
    """Return the records ``when`` holds for (false and null skip a record), or the reason it
    cannot be evaluated on them."""
    if task.when is None:
        return records, None
    condition = _condition(task.when)
    missing = sorted(set(condition.meta.root_names()) - set(records.columns))
    if missing:
        return records, f"no column {', '.join(map(repr, missing))} in the records"
    try:
        return records.filter(condition), None
    except pl.exceptions.PolarsError as err:
        return records, f"cannot evaluate {task.when!r} ({_one_line(err)})"


def _phrasing(seed: int, task: UserTask, record_id: str) -> int:
    if len(task.prompt) == 1:
        return 0
    digest = hashlib.sha256(f"{seed}:{task.name}:{record_id}".encode()).digest()
    return int.from_bytes(digest, "big") % len(task.prompt)


def _describe(err: Exception) -> str:
    """Return the error on one line; Jinja's own errors speak for themselves."""
    text = _one_line(err)
    return text if isinstance(err, jinja2.TemplateError) else f"{type(err).__name__}: {text}"


def _one_line(err: Exception) -> str:
    return " ".join(str(err).split())


def _rejection(record_id: str, detail: str) -> dict:
    return {"record_id": record_id, "stage": STAGE, "reason": REASON, "detail": detail}


def _frame(rows: list[tuple]) -> pl.DataFrame:
    columns = ["task", "record_id", "prompt", "response", "system"]
    frame = pl.DataFrame(rows, schema={c: CANDIDATE_SCHEMA[c] for c in columns}, orient="row")
    no_ids = pl.lit([], dtype=CANDIDATE_SCHEMA["extra_ids"])
    return frame.with_columns(extra_ids=no_ids).select(list(CANDIDATE_SCHEMA))
