"""User tasks: Jinja2 templates from the config rendered over records, filtered by `when`."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime

import polars as pl
import pytest

from dataprep.config import ConfigError, UserTask, parse_config
from dataprep.pairs.stage import CANDIDATE_SCHEMA
from dataprep.pairs.user_tasks import UserTaskError, check_user_task, run_user_task
from tests.conftest import T0, issue

RESOLVED = datetime(2024, 3, 4, 17, 30, tzinfo=UTC)
CRASH = issue(
    "jira:ACME-7",
    "Editor crashes when saving a file over 2 GB",
    "Saving a large file crashes the editor. It happens on every platform.\n\nSteps: save it.",
    status="done",
    labels=["crash", "io"],
    components=["editor"],
    assignee="<PERSON:a1b2c3>",
    resolved_at=RESOLVED,
    comments=[
        {"author": "<PERSON:d4e5f6>", "created_at": T0, "body": "Reproduced on Linux."},
        {"author": "<PERSON:a1b2c3>", "created_at": RESOLVED, "body": "Fixed by streaming writes."},
    ],
)
FEATURE = issue(
    "github:acme/editor#12",
    "Add a dark theme",
    "Please add a dark theme for night work.",
    issue_type="feature",
    priority=None,
    labels=["ui"],
)
UNTYPED = issue(
    "gitlab:acme/editor#3", "Tabs vanish", "Tabs vanish after a restart.", issue_type=None
)


def task(
    response: str = "{{ title }}", prompt: str | list[str] = "{{ body }}", **fields
) -> UserTask:
    prompts = [prompt] if isinstance(prompt, str) else prompt
    return UserTask(name=fields.pop("name", "mine"), prompt=prompts, response=response, **fields)


def test_renders_columns_lists_and_comments(make_records):
    records = make_records(CRASH)
    bug_fix = task(
        name="bug_fix",
        system="You maintain {{ project }}.",
        prompt=(
            "{{ title }} [{{ labels | join(', ') }}]\n\n{{ body | first_sentence }}\n"
            "{% for c in comments[:-1] %}\n{{ c.author }}: {{ c.body }}\n{% endfor %}"
        ),
        response="{{ comments[-1].body }} (components:\n{{ components | bullets }})",
    )

    frame, rejected = run_user_task(records, bug_fix, seed=42)

    assert rejected == []
    assert frame.to_dicts() == [
        {
            "task": "bug_fix",
            "record_id": "jira:ACME-7",
            "prompt": "Editor crashes when saving a file over 2 GB [crash, io]\n\n"
            "Saving a large file crashes the editor.\n<PERSON:d4e5f6>: Reproduced on Linux.",
            "response": "Fixed by streaming writes. (components:\n- editor)",
            "extra_ids": [],
            "system": "You maintain ACME.",
        }
    ]


def test_datetimes_are_datetimes_and_the_date_filter_formats_them(make_records):
    records = make_records(CRASH)
    dated = task(response="{{ resolved_at | date }} / {{ created_at | date('%B %Y') }}")

    frame, _ = run_user_task(records, dated, seed=42)

    assert frame["response"].to_list() == ["2024-03-04 / March 2024"]
    year = task(response="{{ resolved_at.year - created_at.year }} years")
    assert run_user_task(records, year, seed=42)[0]["response"].to_list() == ["0 years"]


def test_candidates_have_the_stage_schema_and_no_system_is_null(make_records):
    frame, _ = run_user_task(make_records(CRASH, FEATURE), task(), seed=42)

    assert frame.schema == pl.Schema(CANDIDATE_SCHEMA)
    assert frame["system"].to_list() == [None, None]
    assert frame["record_id"].to_list() == ["jira:ACME-7", "github:acme/editor#12"]


def test_when_keeps_matching_records_and_skips_false_and_null(make_records):
    records = make_records(CRASH, FEATURE, UNTYPED)

    bugs, rejected = run_user_task(records, task(when="issue_type = 'bug'"), seed=42)
    not_features, _ = run_user_task(records, task(when="issue_type <> 'feature'"), seed=42)
    labelled, _ = run_user_task(records, task(when="array_contains(labels, 'ui')"), seed=42)

    assert bugs["record_id"].to_list() == ["jira:ACME-7"]  # UNTYPED's null type is not 'bug'
    assert rejected == []
    assert not_features["record_id"].to_list() == ["jira:ACME-7"]  # null <> 'feature' is null
    assert labelled["record_id"].to_list() == ["github:acme/editor#12"]


def test_when_on_a_column_the_records_lack_rejects_every_record(make_records):
    records = make_records(CRASH, FEATURE)

    frame, rejected = run_user_task(records, task(when="severity = 'S1'"), seed=42)

    assert frame.is_empty()
    assert rejected == [
        {
            "record_id": rid,
            "stage": "pairs",
            "reason": "pairs:template-error",
            "detail": "mine: when: no column 'severity' in the records",
        }
        for rid in ("jira:ACME-7", "github:acme/editor#12")
    ]


def test_phrasing_follows_the_seeded_hash_whatever_the_row_order(make_records):
    rows = [issue(f"jira:ACME-{i}", f"Issue number {i}", f"Body of issue {i}.") for i in range(300)]
    records = make_records(*rows)
    phrased = task(prompt=["A {{ title }}", "B {{ title }}", "C {{ title }}"], name="three")

    frame, _ = run_user_task(records, phrased, seed=7)
    reversed_frame, _ = run_user_task(records.reverse(), phrased, seed=7)
    other_seed, _ = run_user_task(records, phrased, seed=8)

    chosen = dict(zip(frame["record_id"], frame["prompt"].str.slice(0, 1), strict=True))
    assert (
        dict(
            zip(reversed_frame["record_id"], reversed_frame["prompt"].str.slice(0, 1), strict=True)
        )
        == chosen
    )
    digest = hashlib.sha256(b"7:three:jira:ACME-0").digest()
    assert chosen["jira:ACME-0"] == "ABC"[int.from_bytes(digest, "big") % 3]
    counts = Counter(chosen.values())
    assert set(counts) == {"A", "B", "C"}
    assert all(70 <= n <= 130 for n in counts.values()), counts  # 100 each expected, sd 8
    assert other_seed["prompt"].to_list() != frame["prompt"].to_list()


def test_an_undefined_variable_rejects_the_record_naming_the_task(make_records):
    frame, rejected = run_user_task(make_records(CRASH), task(response="{{ severity }}"), seed=1)

    assert frame.is_empty()
    assert rejected == [
        {
            "record_id": "jira:ACME-7",
            "stage": "pairs",
            "reason": "pairs:template-error",
            "detail": "mine: response: 'severity' is undefined",
        }
    ]


def test_a_printed_null_rejects_the_record_but_a_guarded_one_renders(make_records):
    records = make_records(CRASH, FEATURE)  # FEATURE has no priority

    _, printed = run_user_task(records, task(response="{{ title }}: {{ priority }}"), seed=1)
    guarded, none = run_user_task(
        records,
        task(response="{{ title }}{% if priority %} ({{ priority }}){% endif %}"),
        seed=1,
    )
    defaulted, _ = run_user_task(records, task(response="{{ priority | default('unset') }}"), 1)

    assert [r["detail"] for r in printed] == [
        "mine: response: 'priority' is null; guard it with {% if priority %} or | default('...')"
    ]
    assert [r["record_id"] for r in printed] == ["github:acme/editor#12"]
    assert none == []
    assert guarded["response"].to_list() == [
        "Editor crashes when saving a file over 2 GB (high)",
        "Add a dark theme",
    ]
    assert defaulted["response"].to_list() == ["high", "unset"]


def test_the_sandbox_blocks_python_internals(make_records):
    records = make_records(CRASH)
    escape = task(prompt="{{ ''.__class__.__mro__[1].__subclasses__() }}")
    mutate = task(response="{{ labels.append('pwned') }}{{ labels }}")

    _, escaped = run_user_task(records, escape, seed=1)
    _, mutated = run_user_task(records, mutate, seed=1)

    assert escaped[0]["detail"] == (
        "mine: prompt[0]: access to attribute '__class__' of 'str' object is unsafe."
    )
    assert mutated[0]["detail"] == (
        "mine: response: access to attribute 'append' of 'list' object is unsafe."
    )


def test_a_python_error_in_a_template_rejects_only_that_record(make_records):
    records = make_records(CRASH, FEATURE)
    counting = task(response="{{ title }} {{ 10 // (labels | length - 1) }}")

    frame, rejected = run_user_task(records, counting, seed=1)

    assert frame["response"].to_list() == ["Editor crashes when saving a file over 2 GB 10"]
    assert rejected[0]["record_id"] == "github:acme/editor#12"
    assert (
        rejected[0]["detail"]
        == "mine: response: ZeroDivisionError: integer division or modulo by zero"
    )


def test_an_empty_rendering_is_left_to_the_stage_checks(make_records):
    blank = task(response="{% if assignee %}{{ assignee }}{% endif %}")

    frame, rejected = run_user_task(make_records(FEATURE), blank, seed=1)

    assert frame["response"].to_list() == [""]
    assert rejected == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            task(when="issue_type = 'bug' AND"),
            "when: unable to parse 'issue_type = 'bug' AND' as Expr; "
            "write one Polars SQL condition, e.g. \"kind = 'issue'\"",
        ),
        (task(when="SELECT title"), "when: expected an expression (found 'SELECT' clause); "),
        (
            task(prompt=["{{ title }}", "{{ title }}\n{{ body }"]),
            "prompt[1]: line 2: unexpected '}'",
        ),
        (task(system="{% if %}"), "system: line 1: Expected an expression, got 'end of statement"),
        (task(response="{{ title | shout }}"), "response: line 1: No filter named 'shout'."),
        (task(response="Thanks, fixed."), "response: uses no record column"),
        (task(response="{% set a = 'x' %}{{ a }}"), "response: uses no record column"),
        (task(prompt=[]), "prompt: give at least one phrasing"),
        (task(name="my: task"), "name: 'my: task' must be letters, digits"),
    ],
)
def test_check_rejects_a_broken_task_with_a_one_line_message(bad, message):
    with pytest.raises(UserTaskError) as err:
        check_user_task(bad)

    assert str(err.value).startswith(message)
    assert "\n" not in str(err.value)


def test_check_accepts_a_good_task():
    check_user_task(task(when="kind = 'issue'", system="{{ project }}", prompt=["a {{ x }}", "b"]))


def config_with(user_task: dict) -> dict:
    return {
        "sources": [{"name": "jira", "type": "jira", "path": "jira.json"}],
        "pairs": {"user_tasks": [user_task]},
    }


@pytest.mark.parametrize(
    ("user_task", "message"),
    [
        (
            {"name": "fix", "prompt": "{{ title }}", "response": "{{ body }}", "when": "kind ="},
            "pairs.user_tasks[0] (fix): when: unable to parse 'kind =' as Expr",
        ),
        (
            {
                "name": "fix",
                "prompt": ["{{ title }}", "{% for c in comments %}"],
                "response": "{{ body }}",
            },
            "pairs.user_tasks[0] (fix): prompt[1]: line 1: Unexpected end of template",
        ),
        (
            {"name": "fix", "prompt": "{{ title }}", "response": "Done."},
            "pairs.user_tasks[0] (fix): response: uses no record column",
        ),
    ],
)
def test_the_config_loader_reports_a_broken_user_task(user_task, message):
    with pytest.raises(ConfigError) as err:
        parse_config(config_with(user_task))

    assert str(err.value).startswith(message)


def test_the_config_loader_reads_a_user_task_with_one_phrasing_as_a_list():
    cfg = parse_config(
        config_with({"name": "fix", "prompt": "{{ title }}", "response": "{{ body }}"})
    )

    assert cfg.pairs.user_tasks == [UserTask("fix", ["{{ title }}"], "{{ body }}")]
