"""The dataset card (``README.md`` in the output folder), written from the manifest alone."""

from __future__ import annotations

from typing import Any


def dataset_card(manifest: dict[str, Any]) -> str:
    """Return a Markdown dataset card: contents, sources, and what each stage dropped."""
    counts = manifest["counts"]
    lines = [
        "# Dataset card",
        "",
        "Prompt-response pairs built by dataprep from tracker issues and release notes.",
        "",
        "## Contents",
        "",
        f"- records kept: {counts['records']}",
        f"- pairs: {counts['pairs']}",
        "",
        "| task | pairs |",
        "| --- | --- |",
        *(f"| {task} | {n} |" for task, n in counts["pairs_by_task"].items()),
        "",
        "| split | pairs |",
        "| --- | --- |",
        *(f"| {split} | {n} |" for split, n in counts["pairs_by_split"].items()),
        "",
        "## Sources",
        "",
        "| source | file | items | sha256 |",
        "| --- | --- | --- | --- |",
        *(
            f"| {f['source']} | {f['path']} | {f['items']} | {f['sha256'][:12]} |"
            for f in manifest["inputs"]
        ),
        "",
        "## Processing",
        "",
        "| stage | unit | received | kept | rejected | quarantined | reasons |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *(
            f"| {s['stage']} | {s['unit']} | {s['received']} | {s['kept']} | {s['rejected']}"
            f" | {s['quarantined']} | {_reasons(s['reasons'])} |"
            for s in manifest["stages"]
        ),
        "",
        "Tracker values with no canonical mapping: "
        + (", ".join(f"{k} ({v})" for k, v in manifest["unmapped_values"].items()) or "none"),
        "",
        "Personal data replaced by placeholders: "
        + (", ".join(f"{k}: {v}" for k, v in manifest["redactions"].items()) or "none"),
        "",
    ]
    return "\n".join(lines)


def _reasons(reasons: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in reasons.items()) or "-"
