"""Gate results as the formats CI systems read: JSON, JUnit XML, GitHub annotations.

The text table lives in ``dataprep.cli`` (it needs the console); everything here returns strings
so the Python API can write them too.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from dataprep.validate import GateResult, Outcome

EXAMPLE_CHARS = 80


def summary(o: Outcome) -> str:
    """Return one line on an outcome: column, unexpected rows, observed value, examples."""
    parts = []
    if o.column:
        parts.append(f"column {o.column}")
    if o.unexpected_count:
        parts.append(f"{o.unexpected_count} of {o.element_count} rows unexpected")
    if o.observed is not None:
        parts.append(f"observed {short(o.observed)}")
    if o.examples:
        parts.append("e.g. " + ", ".join(short(e) for e in o.examples[:3]))
    return "; ".join(parts) or ("passed" if o.success else "failed")


def short(value: Any, limit: int = EXAMPLE_CHARS) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def to_json(results: list[GateResult]) -> str:
    data = {
        "success": all(r.success for r in results),
        "gates": [r.to_dict() for r in results],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str) + "\n"


def to_junit(results: list[GateResult]) -> str:
    """Return JUnit XML: a ``testsuite`` per gate, a ``testcase`` per expectation. A failed
    error is a ``failure``; a failed warning passes with the finding in ``system-out``."""
    root = ET.Element("testsuites", name="dataprep")
    total = failed = 0
    for res in results:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=res.suite,
            tests=str(len(res.outcomes)),
            failures=str(len(res.failures)),
            errors="0",
            skipped="0",
        )
        if res.path:
            suite.set("file", res.path)
        for o in res.outcomes:
            case = ET.SubElement(
                suite, "testcase", classname=f"dataprep.{res.suite}", name=o.name or o.expectation
            )
            detail = f"{o.expectation}: {summary(o)}"
            if not o.success and o.severity == "error":
                failure = ET.SubElement(case, "failure", message=detail, type=o.expectation)
                failure.text = json.dumps(
                    {"observed": o.observed, "examples": o.examples},
                    ensure_ascii=False,
                    default=str,
                )
            elif not o.success:
                ET.SubElement(case, "system-out").text = f"warning: {detail}"
        total += len(res.outcomes)
        failed += len(res.failures)
    root.set("tests", str(total))
    root.set("failures", str(failed))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def to_github(results: list[GateResult]) -> list[str]:
    """Return GitHub Actions workflow commands: ``::error`` for each failed error-severity
    expectation, ``::warning`` for each failed warning, and a ``::notice`` per gate."""
    lines = []
    for res in results:
        for o in res.failures + res.warnings:
            level = "error" if o.severity == "error" else "warning"
            props = f"title={_property(f'dataprep {res.suite}: {o.name}')}"
            # a suite in the checkout is linked; a shipped one (inside site-packages, an absolute
            # path) is not a file GitHub can show, so its annotation names no file
            if res.path and not Path(res.path).is_absolute():
                props = f"file={_property(res.path)},{props}"
            lines.append(f"::{level} {props}::{_data(o.expectation + ': ' + summary(o))}")
        state = "passed" if res.success else "FAILED"
        passed = len(res.outcomes) - len(res.failures) - len(res.warnings)
        note = f"gate {res.suite} {state}: {passed}/{len(res.outcomes)} passed"
        lines.append(f"::notice title=dataprep::{_data(note)}")
    return lines


def _data(text: str) -> str:
    """Escape a workflow command's message (GitHub's toolkit: %, CR and LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value (also : and ,)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")
