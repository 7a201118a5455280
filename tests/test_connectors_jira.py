from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import CONNECTORS, ReadContext, jira
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "jira"


def read(path: Path, project: str | None = None):
    return jira.read_file(path, ReadContext("tracker", "data/jira.json", project))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.json"
    path.write_text(text, encoding="utf-8")
    return path


EXPECTED = [
    {
        "record_id": "jira:ACME-12",
        "source": "jira",
        "kind": "issue",
        "project": "ACME",
        "key": "ACME-12",
        "title": "Export fails for reports over 10k rows",
        "body": (
            "## Steps\n1. Open a large report\n1. Click **Export**\n\n"
            "```java\nexporter.run(report);\n```\n\nSame trace as ACME-7."
        ),
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "critical",
        "labels": ["export", "regression"],
        "security_level": None,
        "components": ["Reports"],
        "fix_versions": ["2.4.0"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2024, 3, 5, 8, 14, 22, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 7, 15, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "Jane Doe",
                "created_at": datetime(2024, 3, 5, 12, 30, tzinfo=UTC),
                "body": "@omar can you take this?",
            },
            {
                "author": "Omar Haddad",
                "created_at": datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
                "body": "Fixed on the branch, see [PR](https://github.com/acme/web/pull/45).",
            },
        ],
        "links": ["ACME-3", "ACME-7", "OPS-9", "acme/web#45"],
        "is_duplicate": True,
        "duplicate_of": "ACME-3",
        "url": "https://acme.atlassian.net/browse/ACME-12",
        "origin": "data/jira.json:$.issues[0]",
    },
    {
        "record_id": "jira:ACME-13",
        "source": "jira",
        "kind": "issue",
        "project": "ACME",
        "key": "ACME-13",
        "title": "Dark mode for the dashboard",
        "body": "Users ask for **dark mode**.\n\n```css\nbody { color: #eee; }\n```",
        "status": "wont_do",
        "issue_type": "feature",
        "priority": None,
        "labels": [],
        "security_level": None,
        "components": [],
        "fix_versions": [],
        "author": "Li Wei",
        "assignee": None,
        "created_at": datetime(2024, 2, 1, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 2, 10, 8, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 2, 10, 8, 0, tzinfo=UTC),
        "comments": [
            {
                "author": "Li Wei",
                "created_at": datetime(2024, 2, 10, 8, 0, tzinfo=UTC),
                "body": "Out of scope, thanks @Jane Doe",
            }
        ],
        "links": [],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": "https://acme.atlassian.net/browse/ACME-13",
        "origin": "data/jira.json:$.issues[1]",
    },
    {
        "record_id": "jira:OPS-2",
        "source": "jira",
        "kind": "issue",
        "project": "OPS",
        "key": "OPS-2",
        "title": "Rotate the backup keys",
        "body": None,
        "status": "open",
        "issue_type": "other",
        "priority": "low",
        "labels": [],
        "security_level": "Ops only",
        "components": [],
        "fix_versions": [],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 1, 15, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 15, tzinfo=UTC),
        "resolved_at": None,
        "comments": [],
        "links": [],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": None,
        "origin": "data/jira.json:$.issues[2]",
    },
]


def test_search_page_maps_wiki_and_adf_issues_to_exact_records():
    result = read(FIXTURES / "jira_search.json")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_issue_with_unparseable_date_is_quarantined_and_the_others_kept():
    result = read(FIXTURES / "jira_search.json")

    assert result.quarantine == [
        {
            "source": "tracker",
            "origin": "data/jira.json:$.issues[3]",
            "reason": "parse:invalid-record",
            "error": "fields.created: invalid datetime 'yesterday'",
        }
    ]
    assert result.received == 4
    assert result.skipped == []


def test_file_that_is_not_json_is_quarantined_at_the_failing_line(tmp_path):
    result = read(write(tmp_path, '{\n  "issues": [\n    oops\n  ]\n}'))

    assert result.records == []
    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/jira.json:3", "parse:invalid-json")
    ]
    assert "line 3" in result.quarantine[0]["error"]


def test_file_that_is_not_utf8_is_quarantined_as_invalid_encoding(tmp_path):
    path = tmp_path / "page.json"
    path.write_bytes(b'{"issues": [\n{"key": "A-1", "fields": {"summary": "caf\xe9"}}]}')

    result = read(path)

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/jira.json:2", "parse:invalid-encoding")
    ]


def test_json_without_an_issues_list_is_quarantined_as_unexpected_shape(tmp_path):
    result = read(write(tmp_path, '{"webhookEvent": "jira:issue_updated", "issue": {}}'))

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/jira.json", "parse:unexpected-shape")
    ]


@pytest.mark.parametrize(
    ("issue", "error"),
    [
        ('{"fields": {"summary": "x"}}', "key: missing"),
        ('{"key": "A-1"}', "fields: missing"),
        ('{"key": "A-1", "fields": {"status": {"name": "Open"}}}', "fields.summary: missing"),
        (
            '{"key": "A-1", "fields": {"summary": "x", "comment": {"comments": '
            '[{"body": "hi", "created": "soon"}]}}}',
            "fields.comment.comments[0].created: invalid datetime 'soon'",
        ),
        ('{"key": "A-1", "fields": {"summary": "x", "description": 7}}', "fields.description"),
    ],
)
def test_issue_missing_a_required_field_is_quarantined_naming_the_field(tmp_path, issue, error):
    result = read(write(tmp_path, '{"issues": [' + issue + "]}"))

    assert result.records == []
    [entry] = result.quarantine
    assert (entry["origin"], entry["reason"]) == (
        "data/jira.json:$.issues[0]",
        "parse:invalid-record",
    )
    assert entry["error"].startswith(error)


def test_cloud_token_page_and_single_issue_object_are_both_read(tmp_path):
    issue = '{"key": "TEST-1", "fields": {"summary": "One", "status": {"name": "To Do"}}}'
    token_page = read(
        write(tmp_path, '{"isLast": true, "nextPageToken": "x", "issues": [' + issue + "]}")
    )
    single = read(write(tmp_path, issue))

    assert [r["origin"] for r in token_page.records] == ["data/jira.json:$.issues[0]"]
    assert [r["origin"] for r in single.records] == ["data/jira.json:$"]
    assert single.records[0]["status"] == "open"


def test_configured_project_overrides_the_project_key():
    result = read(FIXTURES / "jira_search.json", project="Acme Web")

    assert {r["project"] for r in result.records} == {"Acme Web"}
    assert result.records[0]["record_id"] == "jira:ACME-12"


def test_browse_url_keeps_the_server_context_path(tmp_path):
    issue = (
        '{"key": "SP-1", "self": "http://localhost:2990/jira/rest/api/2/issue/10002",'
        ' "fields": {"summary": "x"}}'
    )

    [record] = read(write(tmp_path, '{"issues": [' + issue + "]}")).records

    assert record["url"] == "http://localhost:2990/jira/browse/SP-1"


def test_parent_and_subtask_keys_are_links_and_the_own_key_is_not(tmp_path):
    issue = (
        '{"key": "A-5", "fields": {"summary": "Split A-5 as planned in A-1",'
        ' "parent": {"key": "A-1"}, "subtasks": [{"key": "A-6"}]}}'
    )

    [record] = read(write(tmp_path, '{"issues": [' + issue + "]}")).records

    assert record["links"] == ["A-1", "A-6"]


def test_duplicate_resolution_and_outward_duplicate_link_mark_a_duplicate_inward_does_not(tmp_path):
    duplicate = (
        '{"type": {"name": "Duplicate", "inward": "is duplicated by", "outward": "duplicates"}'
    )
    issues = [
        '{"key": "A-2", "fields": {"summary": "x", "resolution": {"name": "Duplicate"}}}',
        '{"key": "A-3", "fields": {"summary": "x", "issuelinks": ['
        + duplicate
        + ', "outwardIssue": {"key": "A-1"}}]}}',
        '{"key": "A-1", "fields": {"summary": "x", "issuelinks": ['
        + duplicate
        + ', "inwardIssue": {"key": "A-3"}}]}}',
    ]

    result = read(write(tmp_path, '{"issues": [' + ", ".join(issues) + "]}"))

    assert [
        (r["key"], r["is_duplicate"], r["duplicate_of"], r["links"]) for r in result.records
    ] == [
        ("A-2", True, None, []),
        ("A-3", True, "A-1", ["A-1"]),
        ("A-1", False, None, ["A-3"]),
    ]


def test_unknown_values_are_null_or_other_and_counted_as_unmapped(tmp_path):
    issues = ", ".join(
        f'{{"key": "A-{i}", "fields": {{"summary": "x", "status": {{"name": "Parked"}},'
        f' "issuetype": {{"name": "Spike"}}, "priority": {{"name": "P2"}}}}}}'
        for i in (1, 2)
    )

    result = read(write(tmp_path, '{"issues": [' + issues + "]}"))

    assert [(r["status"], r["issue_type"], r["priority"]) for r in result.records] == [
        (None, "other", None),
        (None, "other", None),
    ]
    assert dict(result.unmapped) == {"status:Parked": 2, "issue_type:Spike": 2, "priority:P2": 2}


def test_config_maps_override_the_default_status_type_and_priority():
    ctx = ReadContext(
        "tracker",
        "data/jira.json",
        status_map={"in review": "open"},
        type_map={"bug": "improvement"},
        priority_map={"Blocker": "high"},
    )

    [first, *_] = jira.read_file(FIXTURES / "jira_search.json", ctx).records

    assert (first["status"], first["issue_type"], first["priority"]) == (
        "open",
        "improvement",
        "high",
    )


@pytest.mark.parametrize(
    ("status", "resolution", "expected"),
    [
        ({"name": "To Do", "statusCategory": {"key": "new"}}, None, "open"),
        ({"name": "Doing", "statusCategory": {"key": "indeterminate"}}, None, "in_progress"),
        ({"name": "Shipped", "statusCategory": {"key": "done"}}, {"name": "Fixed"}, "done"),
        ({"name": "Closed", "statusCategory": {"key": "done"}}, {"name": "Won't Fix"}, "wont_do"),
        ({"name": "Closed", "statusCategory": {"key": "done"}}, {"name": "Won’t Do"}, "wont_do"),
        ({"name": "Resolved"}, {"name": "Duplicate"}, "wont_do"),
        ({"name": "Resolved"}, {"name": "Cannot Reproduce"}, "wont_do"),
        ({"name": "Closed"}, {"name": "Incomplete"}, "wont_do"),
        ({"name": "Closed"}, {"name": "Declined"}, "wont_do"),
        ({"name": "Closed"}, {"name": "Rejected"}, "wont_do"),
        ({"name": "Closed"}, {"name": "Invalid"}, "wont_do"),
        ({"name": "Closed"}, {"name": "Obsolete"}, "wont_do"),
        ({"name": "Open"}, None, "open"),
        ({"name": "Backlog"}, None, "open"),
        ({"name": "Reopened"}, None, "open"),
        ({"name": "Selected for Development"}, None, "open"),
        ({"name": "In Progress"}, None, "in_progress"),
        ({"name": "In Review"}, None, "in_progress"),
        ({"name": "Testing"}, None, "in_progress"),
        ({"name": "Done"}, None, "done"),
        ({"name": "Closed"}, None, "done"),
        ({"name": "Released"}, None, "done"),
        ({"name": "Parked"}, None, None),
        (None, None, None),
    ],
)
def test_status_and_resolution_map_to_canonical_status(status, resolution, expected):
    assert jira.canonical_status(status, resolution) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Bug", "bug"),
        ("Story", "feature"),
        ("New Feature", "feature"),
        ("Feature", "feature"),
        ("Task", "task"),
        ("Sub-task", "task"),
        ("Subtask", "task"),
        ("Technical task", "task"),
        ("Improvement", "improvement"),
        ("Enhancement", "improvement"),
        ("Epic", "epic"),
        ("Question", "question"),
        ("Support", "question"),
        ("Service Request", "question"),
        ("Spike", "other"),
        (None, None),
    ],
)
def test_issue_type_names_map_to_canonical_types(name, expected):
    assert jira.canonical_issue_type(name) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Highest", "critical"),
        ("Blocker", "critical"),
        ("Critical", "critical"),
        ("Urgent", "critical"),
        ("High", "high"),
        ("Major", "high"),
        ("Medium", "medium"),
        ("Normal", "medium"),
        ("Low", "low"),
        ("Lowest", "low"),
        ("Minor", "low"),
        ("Trivial", "low"),
        ("P2 - whenever", None),
        (None, None),
    ],
)
def test_priority_names_map_to_canonical_priorities(name, expected):
    assert jira.canonical_priority(name) == expected


def test_registry_reads_jira_files_with_this_connector():
    assert CONNECTORS["jira"] is jira.read_file


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not beside the repo")
def test_real_jira_payloads_are_read_or_quarantined_never_raised():
    for path in sorted(REALDATA.iterdir()):
        result = jira.read_file(path, ReadContext("jira", path.name))
        assert result.received >= 1, path.name
        check_records(records_frame(result.records))
