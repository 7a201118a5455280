from datetime import UTC, datetime
from pathlib import Path

from dataprep.connectors import ReadContext, jira, jira_csv
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"


def read(path: Path, **settings):
    return jira.read_file(path, ReadContext("tracker", "data/jira.csv", **settings))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return path


BASE = {
    "source": "jira",
    "kind": "issue",
    "project": "ACME",
    "is_duplicate": False,
    "duplicate_of": None,
    "url": None,
}

EXPECTED = [
    {
        **BASE,
        "record_id": "jira:ACME-21",
        "key": "ACME-21",
        "title": "Export fails for large reports",
        "body": (
            "Steps:\n1. Open a report\n1. Click **Export**\n\n```java\nexporter.run(report);\n```"
        ),
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["export", "regression"],
        "security_level": None,
        "components": ["Reports"],
        "fix_versions": ["2.4.0"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2024, 3, 5, 9, 14, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 7, 15, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "jane",
                "created_at": datetime(2024, 3, 5, 12, 30, tzinfo=UTC),
                "body": "Can you take this?",
            },
            {
                "author": "omar",
                "created_at": datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
                "body": "Fixed on the branch; see ACME-7.",
            },
        ],
        "links": ["ACME-7"],
        "origin": "data/jira.csv:2",
    },
    {
        **BASE,
        "record_id": "jira:ACME-22",
        "key": "ACME-22",
        "title": "Same export failure",
        "body": None,
        "status": "wont_do",
        "issue_type": "bug",
        "priority": "high",
        "labels": [],
        "security_level": None,
        "components": [],
        "fix_versions": [],
        "author": "Li Wei",
        "assignee": None,
        "created_at": datetime(2024, 3, 6, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 6, 9, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 3, 6, 9, 0, tzinfo=UTC),
        "comments": [],
        "links": ["ACME-21"],
        "is_duplicate": True,
        "duplicate_of": "ACME-21",
        "origin": "data/jira.csv:9",
    },
    {
        **BASE,
        "record_id": "jira:ACME-23",
        "key": "ACME-23",
        "title": "Spike on caching",
        "body": None,
        "status": None,
        "issue_type": "other",
        "priority": None,
        "labels": [],
        "security_level": None,
        "components": [],
        "fix_versions": [],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 2, 1, 23, 5, tzinfo=UTC),
        "updated_at": datetime(2024, 2, 1, 23, 5, tzinfo=UTC),
        "resolved_at": None,
        "comments": [],
        "links": [],
        "origin": "data/jira.csv:10",
    },
]


def test_all_fields_export_with_repeated_columns_maps_to_exact_records():
    result = read(FIXTURES / "jira_export.csv")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_duplicate_resolution_is_wont_do_and_the_duplicate_link_names_the_original():
    [original, duplicate, _] = read(FIXTURES / "jira_export.csv").records

    assert (duplicate["status"], duplicate["links"]) == ("wont_do", ["ACME-21"])
    assert (duplicate["is_duplicate"], duplicate["duplicate_of"]) == (True, "ACME-21")
    assert (original["is_duplicate"], original["duplicate_of"]) == (False, None)


def test_inward_duplicate_link_does_not_make_the_issue_a_duplicate(tmp_path):
    text = "Issue key,Summary,Resolution,Inward issue link (Duplicate)\nA-1,x,Fixed,A-2\n"

    [record] = read(write(tmp_path, text)).records

    assert (record["is_duplicate"], record["duplicate_of"], record["links"]) == (
        False,
        None,
        ["A-2"],
    )


def test_rows_missing_a_summary_or_with_a_bad_date_are_quarantined_by_line():
    result = read(FIXTURES / "jira_export.csv")

    assert result.quarantine == [
        {
            "source": "tracker",
            "origin": "data/jira.csv:11",
            "reason": "parse:invalid-record",
            "error": "Summary: missing",
        },
        {
            "source": "tracker",
            "origin": "data/jira.csv:12",
            "reason": "parse:invalid-record",
            "error": "Created: invalid datetime 'yesterday'",
        },
    ]
    assert result.received == 5


def test_unknown_status_type_and_priority_are_counted_as_unmapped():
    result = read(FIXTURES / "jira_export.csv")

    assert dict(result.unmapped) == {"status:Parked": 1, "issue_type:Spike": 1, "priority:P2": 1}


def test_config_maps_override_the_defaults():
    result = read(
        FIXTURES / "jira_export.csv",
        status_map={"Parked": "open", "In Progress": "open"},
        type_map={"spike": "task"},
        priority_map={"P2": "medium"},
    )

    assert [(r["status"], r["issue_type"], r["priority"]) for r in result.records] == [
        ("open", "bug", "high"),
        ("wont_do", "bug", "high"),
        ("open", "task", "medium"),
    ]
    assert not result.unmapped


def test_csv_without_the_jira_columns_is_quarantined_as_unexpected_shape(tmp_path):
    result = read(write(tmp_path, "ID,Title\n1,x\n"))

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/jira.csv:1", "parse:unexpected-shape")
    ]
    assert "'Issue key' or 'Summary'" in result.quarantine[0]["error"]


def test_comment_cell_without_date_and_author_is_quarantined(tmp_path):
    text = "Issue key,Summary,Comment\nA-1,x,just text\n"

    [entry] = read(write(tmp_path, text)).quarantine

    assert entry["error"] == "Comment[0]: expected 'date;author;text', got 'just text'"


def test_format_setting_reads_a_csv_whatever_its_extension(tmp_path):
    path = tmp_path / "export.txt"
    path.write_text("Issue key,Summary,Created\nA-1,x,2024-03-05 09:14\n", encoding="utf-8")

    [record] = read(path, format="csv").records

    assert record["created_at"] == datetime(2024, 3, 5, 9, 14, tzinfo=UTC)


def test_status_category_column_maps_team_specific_statuses(tmp_path):
    text = "Issue key,Summary,Status,Status Category\nA-1,x,Waiting for QA,In Progress\n"

    [record] = read(write(tmp_path, text)).records

    assert record["status"] == "in_progress"


def test_undecodable_file_is_quarantined_as_invalid_encoding(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"Issue key,Summary\nA-1,caf\xe9\n")

    result = read(path)

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/jira.csv:2", "parse:invalid-encoding")
    ]


def test_module_reads_csv_directly_too():
    assert (
        jira_csv.read_file(
            FIXTURES / "jira_export.csv", ReadContext("tracker", "data/jira.csv")
        ).records
        == EXPECTED
    )
