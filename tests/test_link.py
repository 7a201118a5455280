"""Cross-source links, mirrors, and the two tasks built on them."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from dataprep.config import DedupConfig, PairsConfig
from dataprep.dedup import dedup
from dataprep.link import link, remap
from dataprep.pairs import build_pairs
from dataprep.pipeline import survivors

from .conftest import issue

EXPORT = "The CSV export stops at ten thousand rows and says nothing about the rows it left out."
LOGIN = "Signing in with a hardware key fails on Firefox because the challenge is never sent."


def _release(version: str, entries: list[tuple[str, list[str]]]) -> dict:
    body = "### Fixed\n" + "\n".join(f"- {text}" for text, _ in entries)
    return {
        "record_id": f"changelog:acme-web@{version}",
        "source": "changelog",
        "kind": "release",
        "project": "acme-web",
        "key": version,
        "version": version,
        "title": f"acme-web {version}",
        "body": body,
        "released_at": datetime(2024, 5, 1, tzinfo=UTC),
        "links": sorted({r for _, refs in entries for r in refs}),
        "entries": [{"section": "fixed", "text": t, "refs": refs} for t, refs in entries],
    }


def _records(make_records, *rows):
    return make_records(*rows).with_columns(lang=pl.lit("en"))


def test_release_entries_link_to_issues_in_any_tracker(make_records):
    frame = _records(
        make_records,
        issue("jira:ACME-12", "Export truncated", EXPORT),
        issue(
            "github:acme/widgets#45", "Hardware key login", LOGIN, project="acme/widgets", key="#45"
        ),
        _release(
            "1.2.0", [("Full exports (ACME-12)", ["ACME-12"]), ("Keys (#45)", ["acme/web#45"])]
        ),
    )
    linked = link(frame).kept
    release = linked.filter(pl.col("kind") == "release").row(0, named=True)
    # acme/web has no records here, so acme/web#45 falls back to the only #45 there is.
    assert release["linked_records"] == ["github:acme/widgets#45", "jira:ACME-12"]
    assert release["entry_links"] == [["jira:ACME-12"], ["github:acme/widgets#45"]]


def test_an_ambiguous_or_unknown_reference_stays_unresolved(make_records):
    frame = _records(
        make_records,
        issue("github:acme/a#7", "One", EXPORT, project="acme/a", key="#7"),
        issue("github:acme/b#7", "Two", LOGIN, project="acme/b", key="#7"),
        _release("1.0.0", [("Fix (#7)", ["#7"]), ("Other (OPS-9)", ["OPS-9"])]),
    )
    release = link(frame).kept.filter(pl.col("kind") == "release").row(0, named=True)
    assert release["linked_records"] == []
    assert release["entry_links"] == [["?#7"], ["?OPS-9"]]


def test_mirrored_issues_are_linked_and_dedup_keeps_one_copy(make_records):
    frame = _records(
        make_records,
        issue("jira:ACME-137", "Embed loader ignores nonce", EXPORT),
        issue(
            "github:acme/widgets#88",
            "Embed loader ignores nonce",
            "Mirrored from https://acme.atlassian.net/browse/ACME-137\n\n" + LOGIN,
            project="acme/widgets",
            key="#88",
            links=["ACME-137"],  # as the GitHub connector finds it in the body
        ),
    )
    linked = link(frame).kept
    assert linked.select("record_id", "same_as").rows() == [
        ("jira:ACME-137", ["github:acme/widgets#88"]),
        ("github:acme/widgets#88", ["jira:ACME-137"]),
    ]
    result = dedup(linked, DedupConfig())
    assert result.rejected.select("record_id", "reason").rows() == [
        ("jira:ACME-137", "dedup:mirror-of:github:acme/widgets#88")
    ]


def test_link_tasks_emit_pairs_only_for_unambiguous_links(make_records):
    frame = _records(
        make_records,
        issue("jira:ACME-12", "Export truncated", EXPORT),
        issue("jira:ACME-13", "Hardware key login fails", LOGIN),
        _release("1.2.0", [("Exports are complete now (ACME-12)", ["ACME-12"])]),
        # 1.3.0 names an issue nobody has: no changes_to_release_notes pair for it.
        _release("1.3.0", [("Keys work (ACME-13)", ["ACME-13"]), ("Misc (ACME-99)", ["ACME-99"])]),
    )
    linked = link(frame).kept
    tasks = ["changes_to_release_notes", "issue_to_changelog_entry"]
    pairs = build_pairs(linked, PairsConfig(tasks=tasks)).kept
    got = sorted((p["task"], p["record_ids"]) for p in pairs.iter_rows(named=True))
    assert got == [
        ("changes_to_release_notes", ["changelog:acme-web@1.2.0"]),
        ("issue_to_changelog_entry", ["jira:ACME-12", "changelog:acme-web@1.2.0"]),
        ("issue_to_changelog_entry", ["jira:ACME-13", "changelog:acme-web@1.3.0"]),
    ]
    notes = pairs.filter(pl.col("task") == "changes_to_release_notes")["messages"][0]
    assert notes[0]["content"] == (
        "Write the release notes for acme-web version 1.2.0 from the changes it ships:\n\n"
        "- Export truncated: The CSV export stops at ten thousand rows and says nothing about "
        "the rows it left out."
    )
    assert notes[1]["content"] == "### Fixed\n- Exports are complete now (ACME-12)"


def test_an_issue_named_by_two_entries_gives_no_entry_pair(make_records):
    frame = _records(
        make_records,
        issue("jira:ACME-12", "Export truncated", EXPORT),
        _release("1.2.0", [("Part one (ACME-12)", ["ACME-12"])]),
        _release("1.3.0", [("Part two (ACME-12)", ["ACME-12"])]),
    )
    pairs = build_pairs(link(frame).kept, PairsConfig(tasks=["issue_to_changelog_entry"])).kept
    assert pairs.height == 0


def test_links_to_a_removed_copy_point_at_its_survivor(make_records):
    frame = _records(
        make_records,
        issue("jira:ACME-12", "Export truncated", EXPORT),
        issue("jira:ACME-14", "Export truncated", EXPORT, comments=[{"author": "a", "body": "+"}]),
        _release("1.2.0", [("Exports fixed (ACME-12)", ["ACME-12"])]),
    )
    deduped = dedup(link(frame).kept, DedupConfig())
    kept = remap(deduped.kept, survivors(deduped.rejected))
    release = kept.filter(pl.col("kind") == "release").row(0, named=True)
    assert release["linked_records"] == ["jira:ACME-14"]
    assert release["entry_links"] == [["jira:ACME-14"]]
