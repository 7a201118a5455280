import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import CONNECTORS, ReadContext, github
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "github"


def read(path: Path, project: str | None = None):
    return github.read_file(path, ReadContext("gh", "data/issues.json", project))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "issues.json"
    path.write_text(text, encoding="utf-8")
    return path


EXPECTED = [
    {
        "record_id": "github:acme/widgets#45",
        "source": "github",
        "kind": "issue",
        "project": "acme/widgets",
        "key": "#45",
        "title": "Crash when the widget list is empty",
        "body": (
            "<!-- Describe the bug -->\nOpening an empty list crashes.\nRelates to ACME-12 and #44."
        ),
        "status": "open",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["Type: Bug", "priority: high"],
        "fix_versions": ["v2.3"],
        "author": "octo-dev",
        "assignee": "maria-k",
        "created_at": datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "ci-bot",
                "created_at": datetime(2024, 2, 1, 10, 0, tzinfo=UTC),
                "body": "Thanks for the report!",
            },
            {
                "author": "maria-k",
                "created_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
                "body": "Fixed by acme/api#7.",
            },
        ],
        "links": ["ACME-12", "acme/api#7", "acme/widgets#44"],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": "https://github.com/acme/widgets/issues/45",
        "origin": "data/issues.json:$[0]",
    },
    {
        "record_id": "github:acme/widgets#46",
        "source": "github",
        "kind": "issue",
        "project": "acme/widgets",
        "key": "#46",
        "title": "Support YAML config",
        "body": None,
        "status": "wont_do",
        "issue_type": "feature",
        "priority": "low",
        "labels": ["enhancement", "P3"],
        "fix_versions": [],
        "author": "li-wei",
        "assignee": None,
        "created_at": datetime(2024, 1, 10, 12, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 20, 12, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 1, 20, 12, 0, tzinfo=UTC),
        "comments": [],
        "links": [],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": "https://github.com/acme/widgets/issues/46",
        "origin": "data/issues.json:$[1]",
    },
    {
        "record_id": "github:acme/widgets#48",
        "source": "github",
        "kind": "issue",
        "project": "acme/widgets",
        "key": "#48",
        "title": "Document the plugin API",
        "body": "See https://github.com/acme/widgets/issues/45#issuecomment-1 for context.",
        "status": "done",
        "issue_type": "task",
        "priority": None,
        "labels": ["bug"],
        "fix_versions": [],
        "author": "octo-dev",
        "assignee": None,
        "created_at": datetime(2024, 1, 5, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 6, tzinfo=UTC),
        "resolved_at": datetime(2024, 1, 6, tzinfo=UTC),
        "comments": [],
        "links": ["acme/widgets#45"],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": "https://github.com/acme/widgets/issues/48",
        "origin": "data/issues.json:$[3]",
    },
]


def test_issues_list_maps_each_issue_to_exact_records():
    result = read(FIXTURES / "github_issues.json")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_pull_requests_are_skipped_with_reason_and_record_id():
    result = read(FIXTURES / "github_issues.json")

    assert result.skipped == [
        {
            "record_id": "github:acme/widgets#47",
            "reason": "source:pull-request",
            "detail": "https://github.com/acme/widgets/pull/47",
        }
    ]


def test_issue_with_unparseable_date_is_quarantined_and_the_others_kept():
    result = read(FIXTURES / "github_issues.json")

    assert result.quarantine == [
        {
            "source": "gh",
            "origin": "data/issues.json:$[4]",
            "reason": "parse:invalid-record",
            "error": "created_at: invalid datetime '31/01/2024 10:00'",
        }
    ]
    assert result.received == 5


def test_file_that_is_not_json_is_quarantined_at_the_failing_line(tmp_path):
    result = read(write(tmp_path, '[\n  {"number": 1,\n  "title": }\n]'))

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/issues.json:3", "parse:invalid-json")
    ]


def test_json_that_is_not_a_list_of_issues_is_quarantined_as_unexpected_shape(tmp_path):
    result = read(write(tmp_path, '{"action": "created", "issue": {}}'))

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/issues.json", "parse:unexpected-shape")
    ]


@pytest.mark.parametrize(
    ("item", "error"),
    [
        ('{"repository_url": "https://api.github.com/repos/a/b", "title": "x"}', "number:"),
        ('{"repository_url": "https://api.github.com/repos/a/b", "number": 3}', "title: missing"),
        ('{"number": 3, "title": "no repository anywhere"}', "repository_url: missing"),
        (
            '{"repository_url": "https://api.github.com/repos/a/b", "number": 3, "title": "x",'
            ' "comments": [{"created_at": "later"}]}',
            "comments[0].created_at: invalid datetime 'later'",
        ),
        ('"not an object"', "expected an issue object"),
    ],
)
def test_item_missing_a_required_field_is_quarantined_naming_the_field(tmp_path, item, error):
    result = read(write(tmp_path, f"[{item}]"))

    [entry] = result.quarantine
    assert (entry["origin"], entry["reason"]) == ("data/issues.json:$[0]", "parse:invalid-record")
    assert entry["error"].startswith(error)


def test_repository_comes_from_html_url_or_the_configured_project(tmp_path):
    from_html = '{"number": 1, "title": "x", "html_url": "https://github.com/o/r/issues/1"}'
    bare = '{"number": 2, "title": "Fixes #1"}'

    result = read(write(tmp_path, f"[{from_html}, {bare}]"), project="o/r")

    assert [r["record_id"] for r in result.records] == ["github:o/r#1", "github:o/r#2"]
    assert result.records[1]["links"] == ["o/r#1"]


def test_configured_project_names_the_project_but_not_the_record_id():
    result = read(FIXTURES / "github_issues.json", project="Widgets")

    assert result.records[0]["project"] == "Widgets"
    assert result.records[0]["record_id"] == "github:acme/widgets#45"


def test_single_issue_object_is_read_as_a_list_of_one(tmp_path):
    issue = '{"number": 9, "title": "x", "repository_url": "https://api.github.com/repos/o/r"}'

    result = read(write(tmp_path, issue))

    assert [r["origin"] for r in result.records] == ["data/issues.json:$"]


def test_closed_at_of_an_open_issue_is_not_a_resolution(tmp_path):
    issue = (
        '{"number": 9, "title": "x", "repository_url": "https://api.github.com/repos/o/r",'
        ' "state": "open", "state_reason": "reopened", "closed_at": "2024-01-01T00:00:00Z"}'
    )

    [record] = read(write(tmp_path, f"[{issue}]")).records

    assert (record["status"], record["resolved_at"]) == ("open", None)


@pytest.mark.parametrize(
    ("state", "reason", "expected"),
    [
        ("open", None, "open"),
        ("open", "reopened", "open"),
        ("closed", "completed", "done"),
        ("closed", None, "done"),
        ("closed", "not_planned", "wont_do"),
        ("closed", "duplicate", "wont_do"),
        ("merged", None, None),
    ],
)
def test_state_and_reason_map_to_canonical_status(state, reason, expected):
    assert github.canonical_status(state, reason) == expected


@pytest.mark.parametrize(
    ("type_name", "labels", "expected"),
    [
        (None, ["bug"], "bug"),
        (None, ["Defect"], "bug"),
        (None, ["regression"], "bug"),
        (None, ["type: bug"], "bug"),
        (None, ["kind/bug"], "bug"),
        (None, ["type/feature"], "feature"),
        (None, ["enhancement"], "feature"),
        (None, ["Feature Request"], "feature"),
        (None, ["question"], "question"),
        (None, ["support"], "question"),
        (None, ["chore"], "task"),
        (None, ["documentation"], "task"),
        (None, ["docs"], "task"),
        (None, ["task"], "task"),
        (None, ["performance"], "improvement"),
        (None, ["refactor"], "improvement"),
        (None, ["improvement"], "improvement"),
        (None, ["epic"], "epic"),
        (None, ["good first issue", "bug"], "bug"),
        (None, ["wontfix"], None),
        (None, [], None),
        ("Bug", ["enhancement"], "bug"),
        ("Feature", [], "feature"),
        ("Initiative", ["bug"], "other"),
    ],
)
def test_issue_type_comes_from_the_type_object_else_the_labels(type_name, labels, expected):
    assert github.canonical_issue_type(type_name, labels) == expected


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["P0"], "critical"),
        (["priority: critical"], "critical"),
        (["priority/urgent"], "critical"),
        (["Priority: Blocker"], "critical"),
        (["P1"], "high"),
        (["priority: high"], "high"),
        (["priority: P1"], "high"),
        (["P2"], "medium"),
        (["priority/medium"], "medium"),
        (["priority: normal"], "medium"),
        (["P3"], "low"),
        (["priority: low"], "low"),
        (["priority: minor"], "low"),
        (["critical"], None),
        (["P4"], None),
        (["bug"], None),
    ],
)
def test_priority_comes_from_priority_labels(labels, expected):
    assert github.canonical_priority(labels) == expected


def test_unknown_state_and_type_are_counted_as_unmapped(tmp_path):
    item = (
        '{"number": 9, "title": "x", "repository_url": "https://api.github.com/repos/o/r",'
        ' "state": "merged", "type": {"name": "Initiative"}}'
    )

    result = read(write(tmp_path, f"[{item}]"))

    assert (result.records[0]["status"], result.records[0]["issue_type"]) == (None, "other")
    assert dict(result.unmapped) == {"status:merged": 1, "issue_type:Initiative": 1}


def test_config_maps_override_states_and_name_types_and_priorities_by_label(tmp_path):
    item = (
        '{"number": 9, "title": "x", "repository_url": "https://api.github.com/repos/o/r",'
        ' "state": "closed", "state_reason": "not_planned",'
        ' "labels": [{"name": "defect"}, {"name": "sev-1"}, {"name": "P3"}]}'
    )
    ctx = ReadContext(
        "gh",
        "data/issues.json",
        status_map={"not_planned": "done"},
        type_map={"Defect": "improvement"},
        priority_map={"sev-1": "critical"},
    )

    [record] = github.read_file(write(tmp_path, f"[{item}]"), ctx).records

    assert (record["status"], record["issue_type"], record["priority"]) == (
        "done",
        "improvement",
        "critical",
    )


def test_gh_cli_json_output_maps_to_the_same_record_as_rest(tmp_path):
    item = {
        "number": 45,
        "title": "Crash when the widget list is empty",
        "body": "Opening an empty list crashes.\r\nSee #44.",
        "state": "CLOSED",
        "stateReason": "DUPLICATE",
        "labels": [{"id": "LA_1", "name": "bug", "description": "", "color": "d73a4a"}],
        "author": {"id": "U_1", "is_bot": False, "login": "octo-dev", "name": "Octo"},
        "assignees": [{"id": "U_2", "login": "maria-k", "name": ""}],
        "comments": [
            {
                "author": {"login": "maria-k"},
                "authorAssociation": "MEMBER",
                "body": "Duplicate of #40",
                "createdAt": "2024-02-02T09:00:00Z",
                "url": "https://github.com/acme/widgets/issues/45#issuecomment-2",
            },
            {
                "author": {"login": "ci-bot"},
                "body": "Thanks!",
                "createdAt": "2024-02-01T10:00:00Z",
            },
        ],
        "createdAt": "2024-02-01T09:00:00Z",
        "updatedAt": "2024-02-02T09:00:00Z",
        "closedAt": "2024-02-02T09:00:00Z",
        "url": "https://github.com/acme/widgets/issues/45",
        "milestone": {"number": 3, "title": "v2.3", "description": "", "dueOn": None},
    }
    path = write(tmp_path, json.dumps([item]))

    [record] = read(path).records

    assert record == {
        "record_id": "github:acme/widgets#45",
        "source": "github",
        "kind": "issue",
        "project": "acme/widgets",
        "key": "#45",
        "title": "Crash when the widget list is empty",
        "body": "Opening an empty list crashes.\nSee #44.",
        "status": "wont_do",
        "issue_type": "bug",
        "priority": None,
        "labels": ["bug"],
        "fix_versions": ["v2.3"],
        "author": "octo-dev",
        "assignee": "maria-k",
        "created_at": datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
        "comments": [
            {
                "author": "ci-bot",
                "created_at": datetime(2024, 2, 1, 10, 0, tzinfo=UTC),
                "body": "Thanks!",
            },
            {
                "author": "maria-k",
                "created_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
                "body": "Duplicate of #40",
            },
        ],
        "links": ["acme/widgets#40", "acme/widgets#44"],
        "is_duplicate": True,
        "duplicate_of": "acme/widgets#40",
        "url": "https://github.com/acme/widgets/issues/45",
        "origin": "data/issues.json:$[0]",
    }


def test_duplicate_state_reason_label_and_duplicate_of_line_mark_duplicates(tmp_path):
    def issue(number: int, **fields) -> dict:
        url = f"https://api.github.com/repos/acme/widgets/issues/{number}"
        return {"number": number, "title": "x", "url": url, "state": "open", **fields}

    def comment(day: int, body: str) -> dict:
        return {"user": {"login": "u"}, "created_at": f"2024-02-0{day}T09:00:00Z", "body": body}

    items = [
        issue(1, state="closed", state_reason="duplicate"),
        issue(2, labels=[{"name": "Duplicate"}]),
        issue(3, body="Duplicate of #1"),
        issue(4, comments=[comment(2, "duplicate of acme/web#9"), comment(1, "Duplicate of #1")]),
        issue(5, comments=[comment(1, "DUPLICATE OF https://github.com/acme/api/issues/7")]),
        issue(6, body="This is not a duplicate of #1, see #2."),
    ]

    result = read(write(tmp_path, json.dumps(items)))

    assert [(r["key"], r["is_duplicate"], r["duplicate_of"]) for r in result.records] == [
        ("#1", True, None),
        ("#2", True, None),
        ("#3", True, "acme/widgets#1"),
        ("#4", True, "acme/web#9"),
        ("#5", True, "acme/api#7"),
        ("#6", False, None),
    ]
    assert all(r["duplicate_of"] in r["links"] for r in result.records if r["duplicate_of"])


def test_registry_reads_github_files_with_this_connector():
    assert CONNECTORS["github"] is github.read_file


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not beside the repo")
def test_real_github_payloads_are_read_or_quarantined_never_raised():
    for path in sorted(REALDATA.iterdir()):
        result = github.read_file(path, ReadContext("github", path.name))
        assert result.received >= 1, path.name
        check_records(records_frame(result.records))
