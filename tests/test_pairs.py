import json
from datetime import UTC, datetime

import polars as pl

from dataprep.config import PairsConfig
from dataprep.pairs import build_pairs
from dataprep.pairs.split import split_of
from dataprep.pairs.writers import chat_line

from .conftest import issue

BODY = "The export job fails every night when the report has more than ten thousand rows."


def _release(record_id: str, version: str, body: str, released: bool = True) -> dict:
    return {
        "record_id": record_id,
        "source": "changelog",
        "kind": "release",
        "project": "acme-web",
        "key": version,
        "version": version,
        "title": f"acme-web {version}",
        "body": body,
        "released_at": datetime(2024, 1, 31, tzinfo=UTC) if released else None,
    }


def test_each_task_makes_the_messages_it_promises(make_records):
    records = make_records(
        issue(
            "jira:A-1",
            "Nightly export fails over 10k rows",
            BODY,
            issue_type="bug",
            priority="high",
        ),
        _release(
            "changelog:acme-web@1.2.0", "1.2.0", "### Fixed\n- Export of large reports (ACME-1)"
        ),
    ).with_columns(lang=pl.lit("en"))
    pairs = build_pairs(records, PairsConfig()).kept
    by_task = {row["task"]: row for row in pairs.iter_rows(named=True)}
    assert sorted(by_task) == ["issue_to_title", "release_notes", "triage"]
    title = by_task["issue_to_title"]["messages"]
    assert title[0] == {
        "role": "user",
        "content": "Write a short, specific title for this issue report.\n\n" + BODY,
    }
    assert title[1] == {"role": "assistant", "content": "Nightly export fails over 10k rows"}
    triage = by_task["triage"]["messages"]
    assert triage[0]["content"].endswith("Title: Nightly export fails over 10k rows\n\n" + BODY)
    assert json.loads(triage[1]["content"]) == {
        "type": "bug",
        "priority": "high",
        "components": [],
        "labels": [],
    }
    notes = by_task["release_notes"]["messages"]
    assert (
        notes[0]["content"]
        == "Write the release notes for acme-web version 1.2.0, released on 2024-01-31."
    )
    assert notes[1]["content"] == "### Fixed\n- Export of large reports (ACME-1)"
    assert by_task["triage"]["record_ids"] == ["jira:A-1"]
    assert by_task["triage"]["sources"] == ["jira"]


def test_tasks_skip_records_without_what_they_need(make_records):
    records = make_records(
        issue("jira:A-1", "Export fails for large reports", BODY, priority=None),
        _release("changelog:acme-web@unreleased", "Unreleased", "- wip", released=False),
    ).with_columns(lang=pl.lit("en"))
    pairs = build_pairs(records, PairsConfig()).kept
    assert pairs["task"].to_list() == ["issue_to_title"]


def test_identical_pairs_are_rejected_as_duplicates(make_records):
    records = make_records(
        issue("jira:A-1", "Export fails for large reports", BODY),
        issue("jira:A-2", "Export fails for large reports", BODY),
    ).with_columns(lang=pl.lit("en"))
    result = build_pairs(records, PairsConfig(tasks=["issue_to_title"]))
    assert result.kept["record_ids"].to_list() == [["jira:A-1"]]
    assert result.rejected.select("record_id", "reason").rows() == [
        ("jira:A-2", f"pairs:duplicate-of:{result.kept['pair_id'][0]}")
    ]


def test_pair_ids_and_splits_are_stable_across_runs(make_records):
    records = make_records(
        *(
            issue(f"jira:A-{i}", f"Export fails on report {i}", f"{BODY} Variant {i}.")
            for i in range(50)
        )
    ).with_columns(lang=pl.lit("en"))
    a = build_pairs(records, PairsConfig(tasks=["issue_to_title"])).kept
    b = build_pairs(records.reverse(), PairsConfig(tasks=["issue_to_title"])).kept
    assert a.equals(b)
    assert set(a["split"]) == {"train", "validation"}


def test_split_is_a_seeded_hash_of_the_record_id():
    assert split_of("jira:A-1", 42, 0.1, 0.0) == split_of("jira:A-1", 42, 0.1, 0.0)
    shares = [split_of(f"jira:A-{i}", 42, 0.2, 0.1) for i in range(5000)]
    assert abs(shares.count("validation") / 5000 - 0.2) < 0.03
    assert abs(shares.count("test") / 5000 - 0.1) < 0.03


def test_chat_line_has_messages_and_metadata():
    pair = {
        "pair_id": "p1",
        "task": "triage",
        "record_ids": ["jira:A-1"],
        "sources": ["jira"],
        "split": "train",
        "lang": "en",
        "tokens": 9,
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
    }
    assert json.loads(chat_line(pair)) == {
        "messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
        "metadata": {
            "pair_id": "p1",
            "task": "triage",
            "record_ids": ["jira:A-1"],
            "sources": ["jira"],
            "split": "train",
            "lang": "en",
            "tokens": 9,
        },
    }
