import json
from datetime import UTC, datetime
from pathlib import Path

from dataprep.connectors import ReadContext, linear
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"


def read(path: Path, **settings):
    return linear.read_file(path, ReadContext("lin", f"data/{path.name}", **settings))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = {
    "source": "linear",
    "kind": "issue",
    "comments": [],
    "is_duplicate": False,
    "duplicate_of": None,
    "url": None,
}

EXPECTED_CSV = [
    {
        **BASE,
        "record_id": "linear:ENG-123",
        "project": "ENG",
        "key": "ENG-123",
        "title": "Editor crashes on save",
        "body": "Saving a **large** file crashes.\n\n```ts\nsave(doc)\n```\n\nRelated to ENG-99.",
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "critical",
        "labels": ["Bug", "Editor"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2024, 3, 5, 9, 14, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
        "resolved_at": None,
        "links": ["ENG-99"],
        "origin": "data/linear_export.csv:2",
    },
    {
        **BASE,
        "record_id": "linear:ENG-124",
        "project": "ENG",
        "key": "ENG-124",
        "title": "Dark mode",
        "body": None,
        "status": "wont_do",
        "issue_type": "feature",
        "priority": None,
        "labels": ["Feature"],
        "author": "Li Wei",
        "assignee": None,
        "created_at": datetime(2024, 3, 5, 8, 14, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 3, 6, 10, 0, tzinfo=UTC),
        "links": ["ENG-120"],
        "is_duplicate": True,
        "origin": "data/linear_export.csv:9",
    },
    {
        **BASE,
        "record_id": "linear:ENG-125",
        "project": "ENG",
        "key": "ENG-125",
        "title": "Tidy the build",
        "body": None,
        "status": None,
        "issue_type": None,
        "priority": "low",
        "labels": [],
        "author": "Li Wei",
        "assignee": None,
        "created_at": datetime(2024, 1, 10, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 11, 8, 0, tzinfo=UTC),
        "resolved_at": None,
        "links": [],
        "origin": "data/linear_export.csv:10",
    },
]

EXPECTED_PAGE = [
    {
        **BASE,
        "record_id": "linear:ENG-130",
        "project": "ENG",
        "key": "ENG-130",
        "title": "Sync stalls offline",
        "body": "Sync stops when the laptop sleeps.\n\nSee ENG-12.",
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["Bug", "sync"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2024, 4, 1, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 4, 3, 8, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "Jane Doe",
                "created_at": datetime(2024, 4, 2, 8, 0, tzinfo=UTC),
                "body": "I can reproduce it.",
            },
            {
                "author": "Omar Haddad",
                "created_at": datetime(2024, 4, 3, 8, 0, tzinfo=UTC),
                "body": "Fixed in the next build.",
            },
        ],
        "links": ["ENG-101", "ENG-12"],
        "is_duplicate": True,
        "duplicate_of": "ENG-101",
        "url": "https://linear.app/acme/issue/ENG-130/sync-stalls-offline",
        "origin": "data/linear_page.json:$.data.issues.nodes[0]",
    },
    {
        **BASE,
        "record_id": "linear:OPS-7",
        "project": "OPS",
        "key": "OPS-7",
        "title": "Rotate keys",
        "body": None,
        "status": "done",
        "issue_type": None,
        "priority": None,
        "labels": [],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 4, 1, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 4, 2, 8, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 4, 2, 8, 0, tzinfo=UTC),
        "links": [],
        "url": "https://linear.app/acme/issue/OPS-7/rotate-keys",
        "origin": "data/linear_page.json:$.data.issues.nodes[1]",
    },
]


def test_csv_export_maps_to_exact_records():
    result = read(FIXTURES / "linear_export.csv")

    assert result.records == EXPECTED_CSV
    check_records(records_frame(result.records))


def test_csv_row_without_an_identifier_is_quarantined_by_line():
    result = read(FIXTURES / "linear_export.csv")

    assert result.quarantine == [
        {
            "source": "lin",
            "origin": "data/linear_export.csv:11",
            "reason": "parse:invalid-record",
            "error": "identifier (ID): missing",
        }
    ]


def test_unknown_status_name_is_counted_and_a_status_map_resolves_it():
    assert dict(read(FIXTURES / "linear_export.csv").unmapped) == {"status:Shipped": 1}

    mapped = read(FIXTURES / "linear_export.csv", status_map={"shipped": "done"})

    assert [r["status"] for r in mapped.records] == ["in_progress", "wont_do", "done"]
    assert not mapped.unmapped


def test_graphql_page_maps_to_exact_records_with_comments_in_time_order():
    result = read(FIXTURES / "linear_page.json")

    assert result.records == EXPECTED_PAGE
    check_records(records_frame(result.records))


def test_own_duplicate_relation_names_the_original_and_an_inverse_one_does_not(tmp_path):
    nodes = [
        {
            "identifier": "ENG-2",
            "title": "x",
            "relations": {"nodes": [{"type": "related", "relatedIssue": {"identifier": "ENG-3"}}]},
            "inverseRelations": {
                "nodes": [{"type": "duplicate", "issue": {"identifier": "ENG-4"}}]
            },
        },
        {
            "identifier": "ENG-4",
            "title": "y",
            "state": {"name": "Duplicate", "type": "canceled"},
            "relations": {
                "nodes": [{"type": "duplicate", "relatedIssue": {"identifier": "ENG-2"}}]
            },
        },
    ]

    result = read(write(tmp_path, "page.json", json.dumps({"nodes": nodes})))

    assert [(r["key"], r["is_duplicate"], r["duplicate_of"]) for r in result.records] == [
        ("ENG-2", False, None),
        ("ENG-4", True, "ENG-2"),
    ]


def test_graphql_node_with_a_bad_date_is_quarantined_naming_the_field():
    [entry] = read(FIXTURES / "linear_page.json").quarantine

    assert entry == {
        "source": "lin",
        "origin": "data/linear_page.json:$.data.issues.nodes[2]",
        "reason": "parse:invalid-record",
        "error": "createdAt: invalid datetime 'last week'",
    }


def test_team_specific_state_name_maps_through_its_state_type(tmp_path):
    page = (
        '{"data": {"issues": {"nodes": [{"identifier": "A-1", "title": "x",'
        ' "state": {"name": "Shipped", "type": "completed"}}]}}}'
    )

    result = read(write(tmp_path, "page.json", page))

    assert result.records[0]["status"] == "done"
    assert not result.unmapped


def test_graphql_error_response_is_quarantined_with_its_message(tmp_path):
    page = '{"data": null, "errors": [{"message": "Authentication required"}]}'

    [entry] = read(write(tmp_path, "page.json", page)).quarantine

    assert entry["reason"] == "parse:unexpected-shape"
    assert entry["error"].endswith(": Authentication required")


def test_numeric_priority_is_used_when_there_is_no_label(tmp_path):
    page = '{"nodes": [{"identifier": "A-1", "title": "x", "priority": 4}]}'

    [record] = read(write(tmp_path, "page.json", page)).records

    assert record["priority"] == "low"
