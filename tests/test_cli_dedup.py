"""`dataprep dedup` on a user's own JSONL or Parquet file."""

from __future__ import annotations

import json

import polars as pl
from click.testing import CliRunner

from dataprep.cli import main

BUG = (
    "When a user uploads a CSV file larger than fifty megabytes the import worker runs out of "
    "memory and the upload page keeps spinning without any error message."
)
ROWS = [
    {"id": "t-1", "text": BUG, "team": "web"},
    {
        "id": "t-2",
        "text": "Dark mode does not persist after logging out and back in.",
        "team": "ui",
    },
    {"id": "t-3", "text": BUG.replace("keeps spinning", "keeps on spinning"), "team": "api"},
    {"id": "t-4", "text": BUG.upper(), "team": "web"},
    {"id": "t-5", "text": "Short", "team": "ui"},
    {"id": "t-6", "text": "short!", "team": "ui"},
]


def jsonl(rows) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_stdin_jsonl_to_parquet_keeps_first_of_each_cluster_and_lists_the_rest(tmp_path):
    out = tmp_path / "unique.parquet"
    result = CliRunner().invoke(
        main,
        ["dedup", "-", "--text-column", "text", "--id-column", "id", "--out", str(out)],
        input=jsonl(ROWS),
    )
    assert result.exit_code == 0, result.output
    assert "6 rows: kept 3, removed 3 (2 exact, 1 near)" in result.output
    kept = pl.read_parquet(out)
    assert kept["id"].to_list() == ["t-1", "t-2", "t-5"]
    assert kept.columns == ["id", "text", "team"]  # the user's columns, untouched
    removed = pl.read_parquet(tmp_path / "unique.removed.parquet")
    assert removed.select("id", "duplicate_of", "reason").rows() == [
        ("t-3", "t-1", "dedup:near-duplicate-of"),
        ("t-4", "t-1", "dedup:exact-of"),
        ("t-6", "t-5", "dedup:exact-of"),
    ]
    near = removed.filter(pl.col("id") == "t-3")["similarity"][0]
    assert 0.7 <= near < 1.0


def test_a_file_without_ids_uses_row_numbers_and_a_stricter_threshold(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(ROWS))
    out = tmp_path / "out.jsonl"
    args = ["dedup", str(source), "--text-column", "text", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--threshold", "0.99"])
    assert result.exit_code == 0, result.output
    removed = [
        json.loads(line) for line in (tmp_path / "out.removed.jsonl").read_text().splitlines()
    ]
    assert [(r["id"], r["duplicate_of"]) for r in removed] == [("3", "0"), ("5", "4")]


def test_a_missing_column_is_a_usage_error_naming_the_columns(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(jsonl(ROWS))
    result = CliRunner().invoke(
        main, ["dedup", str(source), "--text-column", "body", "--out", str(tmp_path / "o.jsonl")]
    )
    assert result.exit_code == 2
    assert "no column 'body'; the input has id, text, team" in result.output
