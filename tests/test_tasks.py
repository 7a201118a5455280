import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from dataprep import config
from dataprep.config import PairsConfig, TriageOptions
from dataprep.pairs.tasks import (
    TASKS,
    bug_to_resolution,
    changes_to_release_notes,
    duplicate_check,
    issue_to_changelog_entry,
    issue_to_title,
    question_to_answer,
    release_notes,
    release_qa,
    triage,
)

from .conftest import T0, issue

CFG = PairsConfig()
BODY = "The nightly CSV export stops after 10,000 rows and the file is cut without a warning."
ALICE, BOB, CAROL = "<PERSON:a11ce0>", "<PERSON:b0b000>", "<PERSON:ca7001>"


def _comment(author: str | None, body: str, minutes: int = 0) -> dict:
    return {"author": author, "created_at": T0 + timedelta(minutes=minutes), "body": body}


def _rows(frame: pl.DataFrame) -> list[tuple]:
    return sorted(frame.select("record_id", "response", "extra_ids").rows())


def test_tasks_cover_every_configured_name():
    assert list(TASKS) == list(config.TASKS)


def test_every_task_returns_the_candidate_columns_on_no_records(make_records):
    for fn in TASKS.values():
        assert fn(make_records(), CFG).schema == {
            "task": pl.String,
            "record_id": pl.String,
            "prompt": pl.String,
            "response": pl.String,
            "extra_ids": pl.List(pl.String),
        }


# issue_to_title


def test_issue_to_title_pairs_the_body_with_an_informative_title(make_records):
    out = issue_to_title(
        make_records(issue("jira:A-1", "CSV export truncated at 10k rows", BODY)), CFG
    )
    assert out.to_dicts() == [
        {
            "task": "issue_to_title",
            "record_id": "jira:A-1",
            "prompt": "Write a short, specific title for this issue report.\n\n" + BODY,
            "response": "CSV export truncated at 10k rows",
            "extra_ids": [],
        }
    ]


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Bug", BODY),  # in the skip list
        ("Doesn't work!", BODY),  # in the skip list, punctuation aside
        ("Feature request.", BODY),
        ("Export broken", BODY),  # fewer than three words
        ("<PERSON:a11ce0> <PERSON:b0b000> <URL:internal>", BODY),  # placeholders only
        ("The nightly CSV export", BODY),  # the body's first line starts with the title
        ("CSV export: stops after 10,000 rows", "CSV export stops after 10000 rows\n\nDetails."),
        ("Export stops after 10,000 rows", "## Export stops after 10,000 rows!\nMore text."),
    ],
)
def test_issue_to_title_skips_uninformative_titles(make_records, title, body):
    assert issue_to_title(make_records(issue("jira:A-1", title, body)), CFG).is_empty()


def test_issue_to_title_skip_list_comes_from_the_config(make_records):
    records = make_records(issue("jira:A-1", "Needs more info", BODY))
    assert issue_to_title(records, CFG).height == 1
    cfg = replace(CFG, issue_to_title_skip=["Needs more info!"])
    assert issue_to_title(records, cfg).is_empty()


# triage


def test_triage_answers_with_the_fields_people_set_in_a_fixed_order(make_records):
    records = make_records(
        issue(
            "jira:A-1",
            "CSV export truncated",
            BODY,
            issue_type="bug",
            priority="high",
            components=["web-app", "api"],
            labels=["Export", "customer-reported"],
        )
    )
    row = triage(records, CFG).row(0, named=True)
    assert row["response"] == (
        '{"type":"bug","priority":"high","components":["api","web-app"],'
        '"labels":["customer-reported","Export"]}'
    )
    assert row["prompt"].startswith("Triage this issue. Answer with one JSON object")
    assert '"priority" (one of "critical", "high", "medium", "low", or null' in row["prompt"]
    assert row["prompt"].endswith("Title: CSV export truncated\n\n" + BODY)


def test_triage_counts_a_default_priority_as_unset(make_records):
    records = make_records(issue("jira:A-1", "T", BODY, priority="medium", labels=["export"]))
    answer = json.loads(triage(records, CFG)["response"][0])
    assert answer == {"type": "bug", "priority": None, "components": [], "labels": ["export"]}


def test_triage_drops_automation_labels_and_labels_repeating_type_or_priority(make_records):
    labels = ["Stale", "needs-triage", "bug", "P1", "type: bug", "priority::high", "export"]
    records = make_records(issue("github:o/r#1", "T", BODY, priority="high", labels=labels))
    answer = json.loads(triage(records, CFG)["response"][0])
    assert answer["labels"] == ["export"]


def test_triage_makes_no_pair_when_only_the_type_is_left(make_records):
    records = make_records(
        issue("jira:O-1", "T", BODY, priority="medium", labels=["bug", "stale"]),
        issue("github:o/r#2", "T", BODY, issue_type="other", priority="high"),
        issue("github:o/r#3", "T", BODY, issue_type=None, priority="high"),
    )
    assert triage(records, CFG).is_empty()


def test_triage_defaults_and_automation_labels_come_from_the_config(make_records):
    records = make_records(issue("jira:A-1", "T", BODY, priority="low", labels=["ours", "x"]))
    cfg = replace(CFG, triage=TriageOptions({"priority": ["low"]}, ["OURS"]))
    answer = json.loads(triage(records, cfg)["response"][0])
    assert answer == {"type": "bug", "priority": None, "components": [], "labels": ["x"]}


def test_triage_defaults_can_be_per_source(make_records):
    records = make_records(
        issue("jira:A-1", "T", BODY, priority="medium", labels=["export"]),
        issue("github:acme/app#1", "T", BODY, priority="medium", labels=["export"]),
        issue("azure_devops:9", "T", BODY, priority="high", labels=["export"]),
    )
    answers = {
        rid: json.loads(r)["priority"]
        for rid, r in triage(records, CFG).select("record_id", "response").rows()
    }
    # the defaults: Jira's medium and Azure DevOps' Priority 2 (high) are the trackers' own
    assert answers == {"jira:A-1": None, "github:acme/app#1": "medium", "azure_devops:9": None}
    everywhere = replace(CFG, triage=TriageOptions({"priority": ["medium"]}, []))
    assert {json.loads(r)["priority"] for r in triage(records, everywhere)["response"]} == {
        None,
        "high",
    }


def test_triage_default_values_name_a_triage_field():
    from dataprep.config import ConfigError, parse_config

    data = {
        "sources": [{"name": "j", "type": "jira", "path": "x.json"}],
        "pairs": {"triage": {"default_values": {"jira.severity": ["minor"]}}},
    }
    with pytest.raises(ConfigError, match=r"pairs.triage.default_values.jira.severity: 'severity'"):
        parse_config(data, base_dir=Path("/proj"))


# bug_to_resolution

RESOLVED = T0 + timedelta(hours=1)


def _bug(*comments: dict, **fields) -> dict:
    row = {
        "status": "done",
        "author": ALICE,
        "assignee": BOB,
        "resolved_at": RESOLVED,
        "comments": list(comments),
    }
    return issue("jira:A-1", "CSV export truncated", BODY, **(row | fields))


def test_bug_to_resolution_takes_the_assignees_last_comment_before_resolution(make_records):
    records = make_records(
        _bug(
            _comment(BOB, "I can reproduce this with any report over the limit.", 1),
            _comment(ALICE, "Same on staging, it happens every single night.", 2),
            _comment(
                BOB, "The exporter paged with a fixed limit; it streams from a cursor now.", 3
            ),
            _comment(BOB, "Released to production this morning, please check again.", 120),
        )
    )
    row = bug_to_resolution(records, CFG).row(0, named=True)
    assert row["response"] == "The exporter paged with a fixed limit; it streams from a cursor now."
    assert row["prompt"] == (
        "This bug report was resolved. Write the comment that resolved it: what was wrong and "
        "what fixed it, as the person who fixed it would.\n\n"
        f"Title: CSV export truncated\n\n{BODY}\n\nComments so far:\n"
        f"{BOB}: I can reproduce this with any report over the limit.\n"
        f"{ALICE}: Same on staging, it happens every single night."
    )


def test_bug_to_resolution_prefers_what_was_done_to_a_closing_remark(make_records):
    records = make_records(
        _bug(
            _comment(BOB, "Moved the temp tables out of the dump; I'll close after two runs.", 1),
            _comment(BOB, "Three clean runs in a row over the weekend. Closing.", 2),
        )
    )
    assert bug_to_resolution(records, CFG)["response"].to_list() == [
        "Moved the temp tables out of the dump; I'll close after two runs."
    ]


@pytest.mark.parametrize(
    ("comments", "assignee"),
    [
        ([_comment(BOB, "Taking this. I'll make the page size configurable per client.", 1)], BOB),
        (
            [_comment(CAROL, "Not on it yet, the fix is probably to pass fetch in explicitly.", 1)],
            None,
        ),
        ([_comment(BOB, "Can you share the workspace id so I can check the server logs?", 1)], BOB),
    ],
    ids=["plan", "guess", "question"],
)
def test_bug_to_resolution_never_takes_a_plan_a_guess_or_a_question(
    make_records, comments, assignee
):
    records = make_records(_bug(*comments, assignee=assignee))
    assert bug_to_resolution(records, CFG).is_empty()


def test_bug_to_resolution_falls_back_to_a_comment_naming_the_fix(make_records):
    records = make_records(
        _bug(
            _comment(CAROL, "The fix is in #412, it streams rows from a cursor now.", 1),
            _comment(CAROL, "I also checked the PDF export and it is not affected.", 2),
            assignee=None,
        )
    )
    assert bug_to_resolution(records, CFG)["response"].to_list() == [
        "The fix is in #412, it streams rows from a cursor now."
    ]


@pytest.mark.parametrize(
    "comment",
    [
        _comment("github-actions[bot]", "Fixed in abc1234 by the nightly release pipeline run.", 1),
        _comment("dependabot", "Fixed in 2.3.1: bumps exporter from 2.3.0 to 2.3.1 here.", 1),
        _comment(CAROL, "+1 fixed in 2.3.1", 1),
        _comment(CAROL, "Thanks, thank you so much! Fixed in 2.3.1", 1),
        _comment(CAROL, "<PERSON:ca7001> fixed in <URL:internal>", 1),
        _comment(ALICE, "Confirmed fixed in 2.3.1 on our side, the export is complete now.", 1),
        _comment(CAROL, "The fix is in #412, it streams rows from a cursor now.", 300),
        _comment(CAROL, "I looked at the logs and the job ran without errors today.", 1),
    ],
    ids=["bot", "bot-glob", "plus-one", "thanks", "placeholder", "reporter", "late", "no-fix"],
)
def test_bug_to_resolution_never_takes_noise_or_the_reporters_word(make_records, comment):
    records = make_records(_bug(comment, assignee=None))
    assert bug_to_resolution(records, CFG).is_empty()


def test_bug_to_resolution_never_takes_a_bot_assignee_comment(make_records):
    records = make_records(
        _bug(_comment("renovate[bot]", "This was fixed in 2.3.1 by the release workflow.", 1))
        | {"assignee": "renovate[bot]"}
    )
    assert bug_to_resolution(records, CFG).is_empty()


def test_bug_to_resolution_needs_a_resolved_bug(make_records):
    comment = _comment(BOB, "The exporter streams from a cursor now, fixed in 2.3.1.", 1)
    records = make_records(
        _bug(comment, status="open"),
        _bug(comment, issue_type="feature") | {"record_id": "jira:A-2"},
        _bug(comment, status="wont_do") | {"record_id": "jira:A-3"},
    )
    assert bug_to_resolution(records, CFG).is_empty()


# question_to_answer

ANSWER = "Use profiles: run acme login --profile work, then pass --profile work to each command."


def _question(record_id: str, title: str, *comments: dict, **fields) -> dict:
    row = {"author": ALICE, "issue_type": "task", "comments": list(comments)}
    return issue(record_id, title, "We have two workspaces.", **(row | fields))


def test_question_to_answer_takes_the_first_answer_by_an_assignee_of_the_project(make_records):
    records = make_records(
        _question(
            "jira:A-1",
            "How do I use the CLI with two workspaces",
            _comment(CAROL, "Same question here, we would like to know this as well.", 1),
            _comment(BOB, ANSWER, 2),
            _comment(BOB, "Also see the docs page on profiles for more examples.", 3),
        ),
        issue("jira:A-2", "Unrelated bug", BODY, assignee=BOB),
    )
    out = question_to_answer(records, CFG)
    assert out.to_dicts() == [
        {
            "task": "question_to_answer",
            "record_id": "jira:A-1",
            "prompt": "A user of ACME asked the question below. Answer it as a maintainer of "
            "ACME would.\n\nTitle: How do I use the CLI with two workspaces\n\n"
            "We have two workspaces.",
            "response": ANSWER,
            "extra_ids": [],
        }
    ]


def test_question_to_answer_takes_maintainers_from_the_config(make_records):
    records = make_records(_question("jira:A-1", "Profiles?", _comment(CAROL, ANSWER, 1)))
    assert question_to_answer(records, CFG).is_empty()
    cfg = replace(CFG, maintainers=[CAROL])
    assert question_to_answer(records, cfg)["response"].to_list() == [ANSWER]


@pytest.mark.parametrize(
    ("title", "fields", "asks"),
    [
        ("Can the CLI use two workspaces", {}, True),
        ("Two workspaces in the CLI?", {"issue_type": "bug"}, True),
        ("Two workspaces in the CLI", {"issue_type": "question"}, True),
        ("Two workspaces in the CLI", {"labels": ["Question"]}, True),
        ("Two workspaces in the CLI", {}, False),
        ("When I switch workspaces the CLI crashes", {"issue_type": "bug"}, False),
    ],
)
def test_question_to_answer_needs_an_issue_that_asks(make_records, title, fields, asks):
    records = make_records(_question("jira:A-1", title, _comment(BOB, ANSWER, 1), **fields))
    out = question_to_answer(records, replace(CFG, maintainers=[BOB]))
    assert out.height == (1 if asks else 0)


def test_question_to_answer_skips_the_askers_own_and_short_answers(make_records):
    records = make_records(
        _question(
            "jira:A-1",
            "How do I use two workspaces?",
            _comment(ALICE, "Found it myself: profiles, see acme login --profile.", 1),
            _comment(BOB, "Use profiles, thanks!", 2),
            _comment("stale[bot]", "This question has had no activity for thirty days now.", 3),
            assignee=ALICE,
        ),
    )
    cfg = replace(CFG, maintainers=["stale[bot]", BOB])
    assert question_to_answer(records, cfg).is_empty()


def test_question_to_answer_keeps_maintainers_per_project(make_records):
    records = make_records(
        _question("jira:A-1", "How do I use two workspaces?", _comment(BOB, ANSWER, 1)),
        issue("jira:OPS-1", "Rotate the TLS certificates", BODY, project="OPS", assignee=BOB),
    )
    assert question_to_answer(records, CFG).is_empty()


# release tasks


def _release(version: str, entries: list[dict], **fields) -> dict:
    row = {
        "record_id": f"changelog:acme-cli@{version}",
        "source": "changelog",
        "kind": "release",
        "project": "acme-cli",
        "key": version,
        "version": version,
        "title": f"acme-cli {version}",
        "body": "\n".join(f"- {e['text']}" for e in entries),
        "entries": entries,
        "released_at": datetime(2024, 1, 31, tzinfo=UTC),
    }
    return row | fields


def _entry(section: str | None, text: str, *refs: str) -> dict:
    return {"section": section, "text": text, "refs": list(refs)}


def test_release_qa_lists_the_entries_under_their_sections_in_order(make_records):
    entries = [
        _entry("fixed", "Login hung behind proxies (ACME-7)."),
        _entry("added", "A progress bar for   acme sync."),
        _entry("fixed", "Tab completion for profiles."),
    ]
    records = make_records(
        _release("2.2.0", entries, released_at=None),
        _release("Unreleased", entries),
        _release("2.3.0", []),
    )
    assert release_qa(records, CFG).to_dicts() == [
        {
            "task": "release_qa",
            "record_id": "changelog:acme-cli@2.2.0",
            "prompt": "What changed in acme-cli 2.2.0? List the changes as bullet points under "
            "the release's section headings (Added, Changed, Fixed and so on).",
            "response": "### Fixed\n- Login hung behind proxies (ACME-7).\n"
            "- Tab completion for profiles.\n\n### Added\n- A progress bar for acme sync.",
            "extra_ids": [],
        }
    ]


def test_release_qa_gives_no_heading_to_an_unsectioned_list(make_records):
    records = make_records(_release("1.0", [_entry("other", "First."), _entry(None, "Second.")]))
    assert release_qa(records, CFG)["response"].to_list() == ["- First.\n- Second."]


def _linked(frame: pl.DataFrame, entry_links: dict[str, list[list[str]]]) -> pl.DataFrame:
    links = [entry_links.get(rid, []) for rid in frame["record_id"]]
    return frame.with_columns(pl.Series("entry_links", links, dtype=pl.List(pl.List(pl.String))))


def test_release_notes_tasks_keep_working_with_the_config_argument(make_records):
    entries = [_entry("fixed", "CSV export keeps every row (ACME-1).", "ACME-1")]
    records = _linked(
        make_records(
            issue("jira:ACME-1", "CSV export truncated", BODY),
            _release("2.2.0", entries),
            _release("Unreleased", entries, released_at=None),
        ),
        {
            "changelog:acme-cli@2.2.0": [["jira:ACME-1"]],
            "changelog:acme-cli@Unreleased": [["jira:ACME-1"]],
        },
    )
    assert release_notes(records, CFG)["prompt"].to_list() == [
        "Write the release notes for acme-cli version 2.2.0, released on 2024-01-31."
    ]
    notes = changes_to_release_notes(records, CFG)
    assert notes["record_id"].to_list() == ["changelog:acme-cli@2.2.0"]
    assert notes["prompt"][0].endswith(
        "\n\n- CSV export truncated: The nightly CSV export stops after 10,000 rows and the file "
        "is cut without a warning."
    )
    # the issue is named by two entries (one unreleased), so no line is the one that shipped it
    assert issue_to_changelog_entry(records, CFG).is_empty()
    once = records.filter(pl.col("record_id") != "changelog:acme-cli@Unreleased")
    assert _rows(issue_to_changelog_entry(once, CFG)) == [
        ("jira:ACME-1", "CSV export keeps every row (ACME-1).", ["changelog:acme-cli@2.2.0"])
    ]


# duplicate_check


def _dup(record_id: str, title: str, minutes: int, **fields) -> dict:
    body = f"{title}. It happens on every nightly run since the upgrade to 4.2."
    return issue(record_id, title, body, created_at=T0 + timedelta(minutes=minutes), **fields)


def _project(*extra: dict) -> list[dict]:
    return [
        _dup("jira:A-1", "CSV export truncated at 10k rows", 0),
        _dup("jira:A-2", "Export cuts the file after ten thousand rows", 5),
        _dup("jira:A-3", "Dark mode for the dashboard", 1),
        _dup("jira:A-4", "Login page slow on Safari", 2),
        _dup("jira:A-5", "Webhooks retried forever", 3),
        _dup("jira:A-6", "Typo on the pricing page", 4),
        *extra,
    ]


def test_duplicate_check_pairs_a_marked_duplicate_with_its_original(make_records):
    records = make_records(
        *_project(), _dup("jira:A-7", "Exports lose rows", 6, is_duplicate=True, duplicate_of="A-1")
    )
    out = duplicate_check(records, replace(CFG, duplicate_negatives=0))
    assert _rows(out) == [("jira:A-7", "yes", ["jira:A-1"])]
    prompt = out["prompt"][0]
    assert prompt.startswith(
        "Do these two issue reports describe the same problem or request, so that one is a "
        'duplicate of the other? Answer "yes" or "no".\n\nIssue 1\nTitle: CSV export truncated'
    )
    assert "\n\nIssue 2\nTitle: Exports lose rows\n\n" in prompt


def test_duplicate_check_resolves_github_keys_and_strips_the_marking(make_records):
    body = "The chart legend is cut off on phones.\n\nDuplicate of #12\n"
    records = make_records(
        _dup("github:o/r#12", "Legend clipped on narrow screens", 0, project="o/r"),
        issue(
            "github:o/r#15",
            "Chart legend cut off on mobile",
            body,
            project="o/r",
            is_duplicate=True,
            duplicate_of="o/r#12",
            created_at=T0 + timedelta(minutes=9),
        ),
    )
    out = duplicate_check(records, CFG)
    assert _rows(out) == [("github:o/r#15", "yes", ["github:o/r#12"])]
    assert "Duplicate of" not in out["prompt"][0]
    assert out["prompt"][0].endswith(
        "Chart legend cut off on mobile\n\nThe chart legend is cut off on phones."
    )


def test_duplicate_check_takes_the_one_link_of_a_duplicate_without_duplicate_of(make_records):
    records = make_records(
        *_project(),
        _dup("jira:A-7", "Exports lose rows", 6, is_duplicate=True, links=["A-2"]),
        _dup("jira:A-8", "Export slow", 7, is_duplicate=True, links=["A-2", "A-3"]),
    )
    out = duplicate_check(records, replace(CFG, duplicate_negatives=0))
    assert _rows(out) == [("jira:A-7", "yes", ["jira:A-2"])]


def test_duplicate_check_ignores_originals_outside_the_project_or_not_kept(make_records):
    records = make_records(
        *_project(),
        _dup("jira:OPS-1", "Exports lose rows", 6, project="OPS"),
        _dup("jira:A-7", "Exports lose rows", 6, is_duplicate=True, duplicate_of="OPS-1"),
        _dup("jira:A-8", "Exports lose rows", 6, is_duplicate=True, duplicate_of="A-99"),
    )
    assert duplicate_check(records, CFG).is_empty()


def test_duplicate_check_samples_negatives_deterministically_from_the_project(make_records):
    records = make_records(
        *_project(),
        _dup("jira:A-7", "Exports lose rows", 6, is_duplicate=True, duplicate_of="A-1"),
        _dup("jira:OPS-1", "Backups fail", 0, project="OPS"),
        _dup("jira:OPS-2", "Disk full", 1, project="OPS"),
    )
    cfg = replace(CFG, duplicate_negatives=3)
    out = duplicate_check(records, cfg)
    negatives = out.filter(pl.col("response") == "no")
    assert negatives.height == 3
    assert set(negatives["record_id"]) == {"jira:A-7"}
    others = [ids[0] for ids in negatives["extra_ids"]]
    assert set(others) <= {"jira:A-2", "jira:A-3", "jira:A-4", "jira:A-5", "jira:A-6"}
    assert duplicate_check(records.reverse(), cfg).sort("prompt").equals(out.sort("prompt"))
    seeds = {
        tuple(sorted(duplicate_check(records, replace(cfg, seed=s))["prompt"])) for s in range(8)
    }
    assert len(seeds) > 1


def test_duplicate_check_never_samples_a_known_duplicate_or_mirror(make_records):
    records = make_records(
        _dup("jira:A-1", "CSV export truncated at 10k rows", 0),
        _dup("jira:A-2", "Export cuts the file", 1, is_duplicate=True, duplicate_of="A-1"),
        _dup("jira:A-3", "Exports lose rows", 2, is_duplicate=True, duplicate_of="A-1"),
        _dup("jira:A-4", "Export stops early", 3, is_duplicate=True, duplicate_of="A-3"),
        _dup("github:o/r#5", "CSV export truncated at 10k rows", 4),  # a mirror of A-1
        _dup("jira:A-6", "Dark mode for the dashboard", 5),
    )
    same_as = [["github:o/r#5"], [], [], [], ["jira:A-1"], []]
    records = records.with_columns(pl.Series("same_as", same_as, dtype=pl.List(pl.String)))
    out = duplicate_check(records, replace(CFG, duplicate_negatives=10))
    assert _rows(out) == [
        ("jira:A-2", "no", ["jira:A-6"]),
        ("jira:A-2", "yes", ["jira:A-1"]),
        ("jira:A-3", "no", ["jira:A-6"]),
        ("jira:A-3", "yes", ["jira:A-1"]),
        ("jira:A-4", "no", ["jira:A-6"]),
        ("jira:A-4", "yes", ["jira:A-3"]),
    ]


# the sample build


@pytest.mark.parametrize("name", list(TASKS))
def test_every_task_runs_on_the_sample_build(sample_build, name):
    records = pl.read_parquet(sample_build / "records.parquet")
    out = TASKS[name](records, CFG)
    assert out.columns == ["task", "record_id", "prompt", "response", "extra_ids"]
    assert not out.is_empty(), f"{name} made no candidate from the sample build"
    assert set(out["task"]) <= {name}
    assert set(out["record_id"]) <= set(records["record_id"])
    assert out.filter(pl.col("response").str.strip_chars() == "").is_empty()
