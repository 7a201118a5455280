import json
from datetime import UTC, datetime
from pathlib import Path

from dataprep.connectors import ReadContext, azure_devops
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"


def read(path: Path, **settings):
    return azure_devops.read_file(path, ReadContext("ado", f"data/{path.name}", **settings))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


BASE = {
    "source": "azure_devops",
    "kind": "issue",
    "project": "Fabrikam",
    "fix_versions": [],
    "comments": [],
    "is_duplicate": False,
    "duplicate_of": None,
    "url": None,
}

EXPECTED_CSV = [
    {
        **BASE,
        "record_id": "azure_devops:Fabrikam/412",
        "key": "412",
        "title": "Login fails with SSO",
        "body": (
            "Steps:\n\n1. Open **login**\n2. Pick SSO\n\n```python\nsso.login()\n```\n\n"
            "Same as #400."
        ),
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "critical",
        "labels": ["auth", "web"],
        "components": ["Fabrikam\\Web"],
        "author": None,
        "assignee": "Jane Doe",
        "created_at": datetime(2024, 3, 5, 9, 14, tzinfo=UTC),
        "updated_at": datetime(2024, 3, 6, 16, 30, tzinfo=UTC),
        "resolved_at": None,
        "links": ["Fabrikam/400"],
        "origin": "data/azure_devops_query.csv:2",
    },
    {
        **BASE,
        "record_id": "azure_devops:Fabrikam/413",
        "key": "413",
        "title": "Remember me checkbox",
        "body": None,
        "status": "wont_do",
        "issue_type": "feature",
        "priority": "medium",
        "labels": [],
        "components": ["Fabrikam"],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 1, 10, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 11, 8, 0, tzinfo=UTC),
        "resolved_at": None,
        "links": [],
        "origin": "data/azure_devops_query.csv:3",
    },
    {
        **BASE,
        "record_id": "azure_devops:Fabrikam/414",
        "key": "414",
        "title": "Check login",
        "body": None,
        "status": None,
        "issue_type": "other",
        "priority": None,
        "labels": [],
        "components": ["Fabrikam"],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 1, 10, 8, 0, tzinfo=UTC),
        "updated_at": datetime(2024, 1, 11, 8, 0, tzinfo=UTC),
        "resolved_at": None,
        "links": [],
        "origin": "data/azure_devops_query.csv:4",
    },
]

EXPECTED_BATCH = [
    {
        **BASE,
        "record_id": "azure_devops:Fabrikam/500",
        "key": "500",
        "title": "App crashes on rotate",
        "body": "Rotate the phone.",
        "status": "wont_do",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["mobile"],
        "components": ["Fabrikam\\Mobile"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2024, 2, 1, 9, 0, 0, 123000, tzinfo=UTC),
        "updated_at": datetime(2024, 2, 3, 9, 0, tzinfo=UTC),
        "resolved_at": datetime(2024, 2, 3, 9, 0, tzinfo=UTC),
        "comments": [
            {
                "author": "Jane Doe",
                "created_at": datetime(2024, 2, 2, 9, 0, tzinfo=UTC),
                "body": "Seen on *Android 14*.",
            },
            {
                "author": "Omar Haddad",
                "created_at": datetime(2024, 2, 3, 9, 0, tzinfo=UTC),
                "body": "Closing as a duplicate.",
            },
        ],
        "links": ["Fabrikam/480"],
        "is_duplicate": True,
        "duplicate_of": "Fabrikam/480",
        "url": "https://dev.azure.com/fabrikam/Fabrikam/_workitems/edit/500",
        "origin": "data/azure_devops_workitems.json:$.value[0]",
    },
    {
        **BASE,
        "record_id": "azure_devops:Fabrikam/501",
        "key": "501",
        "title": "Offline mode",
        "body": None,
        "status": "open",
        "issue_type": "epic",
        "priority": None,
        "labels": [],
        "components": [],
        "author": None,
        "assignee": None,
        "created_at": datetime(2024, 2, 1, 9, 0, tzinfo=UTC),
        "updated_at": None,
        "resolved_at": None,
        "links": [],
        "origin": "data/azure_devops_workitems.json:$.value[1]",
    },
]


def test_query_csv_export_maps_to_exact_records():
    result = read(FIXTURES / "azure_devops_query.csv")

    assert result.records == EXPECTED_CSV
    check_records(records_frame(result.records))


def test_csv_row_with_a_bad_id_is_quarantined_and_unknowns_are_counted():
    result = read(FIXTURES / "azure_devops_query.csv")

    assert result.quarantine == [
        {
            "source": "ado",
            "origin": "data/azure_devops_query.csv:5",
            "reason": "parse:invalid-record",
            "error": "id (ID): missing or not an integer: 'abc'",
        }
    ]
    assert dict(result.unmapped) == {"status:Design": 1, "issue_type:Test Case": 1, "priority:5": 1}


def test_workitemsbatch_page_maps_to_exact_records_with_embedded_comments():
    result = read(FIXTURES / "azure_devops_workitems.json")

    assert result.records == EXPECTED_BATCH
    check_records(records_frame(result.records))


def test_duplicate_reason_and_duplicate_of_link_mark_a_duplicate_the_forward_end_does_not(tmp_path):
    def item(number: int, reason: str | None, rel: str, target: int) -> dict:
        url = f"https://dev.azure.com/fabrikam/_apis/wit/workItems/{target}"
        fields = {"System.TeamProject": "Fabrikam", "System.Title": "x", "System.Reason": reason}
        return {"id": number, "fields": fields, "relations": [{"rel": rel, "url": url}]}

    page = {
        "value": [
            item(7, "Duplicate", "System.LinkTypes.Duplicate-Reverse", 3),  # "Duplicate Of" 3
            item(3, "Fixed", "System.LinkTypes.Duplicate-Forward", 7),  # has the duplicate 7
        ]
    }
    text = "ID,Title,State,Reason,Area Path\n9,y,Closed,Duplicate,Fabrikam\n"

    batch = read(write(tmp_path, "p.json", json.dumps(page))).records
    [from_csv] = read(write(tmp_path, "q.csv", text)).records

    assert [(r["key"], r["is_duplicate"], r["duplicate_of"], r["links"]) for r in batch] == [
        ("7", True, "Fabrikam/3", ["Fabrikam/3"]),
        ("3", False, None, ["Fabrikam/7"]),
    ]
    assert (from_csv["status"], from_csv["is_duplicate"], from_csv["duplicate_of"]) == (
        "wont_do",
        True,
        None,
    )


def test_work_item_with_a_bad_date_is_quarantined_naming_the_field():
    [entry] = read(FIXTURES / "azure_devops_workitems.json").quarantine

    assert (entry["origin"], entry["error"]) == (
        "data/azure_devops_workitems.json:$.value[2]",
        "System.CreatedDate: invalid datetime 'tomorrow'",
    )


def test_config_maps_override_state_type_and_priority():
    result = read(
        FIXTURES / "azure_devops_query.csv",
        status_map={"Design": "open"},
        type_map={"Test Case": "task"},
        priority_map={"5": "low"},
    )

    assert (result.records[2]["status"], result.records[2]["issue_type"]) == ("open", "task")
    assert result.records[2]["priority"] == "low"
    assert not result.unmapped


def test_without_area_path_the_configured_project_names_the_record(tmp_path):
    text = "ID,Title,State\n7,x,New\n"

    [record] = read(write(tmp_path, "q.csv", text), project="Fabrikam").records
    [entry] = read(write(tmp_path, "q.csv", text)).quarantine

    assert record["record_id"] == "azure_devops:Fabrikam/7"
    assert "set the source's project" in entry["error"]


def test_tree_query_title_columns_give_the_title(tmp_path):
    text = "ID,Work Item Type,Title 1,Title 2,Area Path\n8,Task,,Write docs,Fabrikam\n"

    [record] = read(write(tmp_path, "q.csv", text)).records

    assert record["title"] == "Write docs"


def test_json_that_is_not_a_workitems_response_is_quarantined(tmp_path):
    [entry] = read(write(tmp_path, "p.json", '{"workItems": 3}')).quarantine

    assert entry["reason"] == "parse:unexpected-shape"
