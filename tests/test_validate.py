"""The shipped suites pass on good data and fail, naming the expectation, on bad data."""

import json
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from dataprep.config import PairsConfig
from dataprep.pairs import build_pairs
from dataprep.validate import SuiteError, describe_failures, gate, run_suite

from .conftest import issue

SUITES = Path(__file__).parent.parent / "expectations"
BODY = "The export job fails every night when the report has more than ten thousand rows."


def _records(make_records, *rows):
    return make_records(*rows).with_columns(
        lang=pl.lit("en"), lang_prob=pl.lit(0.99), dup_cluster=pl.lit(None, pl.String)
    )


def test_shipped_suites_pass_on_a_good_build(make_records):
    records = _records(make_records, issue("jira:A-1", "Export fails", BODY))
    pairs = build_pairs(records, PairsConfig()).kept
    results = gate(records, pairs, SUITES)
    assert [(r.suite, r.success) for r in results] == [("records", True), ("pairs", True)]


@pytest.mark.parametrize(
    ("fields", "expectation", "column"),
    [
        ({"status": "resolved"}, "expect_column_values_to_be_in_set", "status"),
        ({"title": "Mail x.y@acme.example"}, "expect_column_values_to_not_match_regex", "title"),
        (
            {"updated_at": datetime(2020, 1, 1, tzinfo=UTC)},
            "expect_column_pair_values_a_to_be_greater_than_b",
            "updated_at,created_at",
        ),
    ],
)
def test_records_gate_fails_on_the_broken_expectation_only(
    make_records, fields, expectation, column
):
    row = issue("jira:A-1", "Export fails", BODY)
    records = _records(make_records, {**row, **fields})
    pairs = build_pairs(records, PairsConfig()).kept
    records_result = gate(records, pairs, SUITES)[0]
    assert [(o.expectation, o.column) for o in records_result.failures] == [(expectation, column)]


def test_duplicate_ids_fail_with_examples(make_records):
    records = _records(
        make_records,
        issue("jira:A-1", "Export fails", BODY),
        issue("jira:A-1", "Export fails again", BODY),
    )
    pairs = build_pairs(records, PairsConfig(tasks=["issue_to_title"])).kept
    lines = describe_failures(gate(records, pairs, SUITES))
    assert lines == [
        "records: expect_column_values_to_be_unique on 'record_id' failed: 2 of 2 rows; "
        "e.g. ['jira:A-1', 'jira:A-1']"
    ]


def test_unknown_expectation_type_is_an_error_naming_the_file(tmp_path):
    suite = tmp_path / "records.json"
    suite.write_text(
        json.dumps({"name": "r", "expectations": [{"type": "expect_nothing", "kwargs": {}}]})
    )
    with pytest.raises(SuiteError, match="records.json"):
        run_suite(pl.DataFrame({"a": [1]}), suite)


def test_missing_suite_file_is_an_error(tmp_path):
    with pytest.raises(SuiteError, match="no such suite file"):
        run_suite(pl.DataFrame({"a": [1]}), tmp_path / "pairs.json")
