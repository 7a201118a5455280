import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, generic
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
REDMINE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "other"
    / "taskadapter__redmine-java-api__src_test_resources_redmine_issues.json"
)
REALDATA_ONE = REDMINE.with_name(
    "taskadapter__redmine-java-api__src_test_resources_issue_issue_with_multiline_description.json"
)

REDMINE_FIELDS = {
    "key": "id",
    "title": "subject",
    "body": "description",
    "status": "$.status.name",
    "issue_type": "$.tracker.name",
    "priority": "$.priority.name",
    "author": "$.author.name",
    "assignee": "$.assigned_to.name",
    "project": "$.project.name",
    "labels": "$.tags[*].name",
    "created_at": "created_on",
    "updated_at": "updated_on",
    "comments": "journals",
}
FRENCH = {
    "status_map": {"Nouveau": "open", "Rejeté": "wont_do", "Résolu": "done"},
    "type_map": {"Anomalie": "bug", "Tâche": "task"},
    "priority_map": {"Haute": "high"},
}


def read(path: Path, name: str = "redmine", fields=None, **settings):
    ctx = ReadContext(name, f"data/{path.name}", fields=fields or REDMINE_FIELDS, **settings)
    return generic.read_file(path, ctx)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


EXPECTED_JSON = [
    {
        "record_id": "redmine:101",
        "source": "redmine",
        "kind": "issue",
        "project": "Intranet",
        "key": "101",
        "title": "Le export PDF échoue",
        "body": "Le bouton *Exporter* ne répond pas.\n\nVoir #99.",
        "status": "open",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["pdf", "export"],
        "author": "Jérémie H",
        "assignee": None,
        "created_at": datetime(2011, 7, 25, 12, 3, 12, tzinfo=UTC),
        "updated_at": datetime(2011, 7, 28, 23, 40, 35, tzinfo=UTC),
        "comments": [
            {
                "author": "Paul",
                "created_at": datetime(2011, 7, 26, 7, 0, tzinfo=UTC),
                "body": "Je confirme.",
            },
            {
                "author": "Anne",
                "created_at": datetime(2011, 7, 28, 23, 40, 35, tzinfo=UTC),
                "body": "Corrigé dans 2.1",
            },
        ],
        "links": ["#99"],
        "is_duplicate": False,
        "duplicate_of": None,
        "origin": "data/generic_issues.json:$.issues[0]",
    },
    {
        "record_id": "redmine:102",
        "source": "redmine",
        "kind": "issue",
        "project": "Intranet",
        "key": "102",
        "title": "Doublon",
        "body": None,
        "status": "wont_do",
        "issue_type": "bug",
        "priority": "medium",
        "labels": [],
        "author": None,
        "assignee": None,
        "created_at": datetime(2011, 7, 26, 8, 0, tzinfo=UTC),
        "updated_at": None,
        "comments": [],
        "links": [],
        "is_duplicate": False,
        "duplicate_of": None,
        "origin": "data/generic_issues.json:$.issues[1]",
    },
]


def test_json_with_paths_and_value_maps_gives_exact_records():
    result = read(FIXTURES / "generic_issues.json", **FRENCH)

    assert result.records == EXPECTED_JSON
    assert not result.unmapped
    check_records(records_frame(result.records))


def test_item_with_a_bad_date_is_quarantined_naming_column_and_field():
    result = read(FIXTURES / "generic_issues.json", **FRENCH)

    assert result.quarantine == [
        {
            "source": "redmine",
            "origin": "data/generic_issues.json:$.issues[2]",
            "reason": "parse:invalid-record",
            "error": "created_at (created_on): invalid datetime 'hier'",
        }
    ]


def test_unmapped_native_values_are_null_or_other_and_counted():
    result = read(FIXTURES / "generic_issues.json")

    assert [(r["status"], r["issue_type"], r["priority"]) for r in result.records] == [
        (None, "other", None),
        (None, "bug", "medium"),
    ]
    assert dict(result.unmapped) == {
        "status:Nouveau": 1,
        "status:Rejeté": 1,
        "issue_type:Anomalie": 1,
        "priority:Haute": 1,
    }


def test_csv_columns_map_and_a_row_without_title_is_quarantined_by_line():
    fields = {
        "key": "ticket",
        "title": "summary",
        "status": "state",
        "issue_type": "kind",
        "created_at": "opened",
        "labels": "tags",
    }

    result = read(FIXTURES / "generic_issues.csv", "helpdesk", fields, type_map={"incident": "bug"})

    assert result.records == [
        {
            "record_id": "helpdesk:7",
            "source": "helpdesk",
            "kind": "issue",
            "project": None,
            "key": "7",
            "title": "Printer offline",
            "status": "open",
            "issue_type": "bug",
            "labels": ["hw", "office"],
            "created_at": datetime(2024, 3, 5, 9, 14, tzinfo=UTC),
            "links": [],
            "is_duplicate": False,
            "duplicate_of": None,
            "origin": "data/generic_issues.csv:2",
        }
    ]
    assert [(q["origin"], q["error"]) for q in result.quarantine] == [
        ("data/generic_issues.csv:3", "title: missing (mapped from 'summary')")
    ]


def test_jsonl_reads_nested_paths_and_epoch_dates_and_quarantines_a_bad_line():
    fields = {
        "key": "ref",
        "title": "$.fields.summary",
        "labels": "$.fields.labels",
        "author": "$.user.login",
        "created_at": "created",
    }

    result = read(FIXTURES / "generic_issues.jsonl", "tool", fields, project="Tools")

    assert [(r["record_id"], r["origin"], r["labels"], r["author"]) for r in result.records] == [
        ("tool:T-1", "data/generic_issues.jsonl:1", ["a"], "jo"),
        ("tool:T-2", "data/generic_issues.jsonl:3", [], "al"),
    ]
    assert {r["created_at"] for r in result.records} == {datetime(2024, 3, 5, 9, 14, tzinfo=UTC)}
    assert {r["project"] for r in result.records} == {"Tools"}
    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/generic_issues.jsonl:4", "parse:invalid-json")
    ]


def test_object_where_text_is_expected_names_the_path_to_use(tmp_path):
    path = write(tmp_path, "i.json", '[{"id": 1, "subject": "x", "status": {"name": "New"}}]')

    [entry] = read(path, fields={"key": "id", "title": "subject", "status": "status"}).quarantine

    assert entry["error"] == (
        "status (status): expected a text value, got dict;"
        " map a path to a text inside it, such as $.status.name"
    )


def test_duplicate_columns_map_from_flags_and_texts_and_a_bad_flag_is_quarantined(tmp_path):
    items = [
        {"id": 1, "t": "x", "dup": True, "of": "PRJ-7"},
        {"id": 2, "t": "x", "dup": "Duplicate"},
        {"id": 3, "t": "x", "dup": "no", "of": 9},
        {"id": 4, "t": "x", "dup": 0},
        {"id": 5, "t": "x"},
        {"id": 6, "t": "x", "dup": "Fixed"},
    ]
    fields = {"key": "id", "title": "t", "is_duplicate": "dup", "duplicate_of": "of"}

    result = read(write(tmp_path, "i.json", json.dumps(items)), fields=fields)

    assert [(r["key"], r["is_duplicate"], r["duplicate_of"]) for r in result.records] == [
        ("1", True, "PRJ-7"),
        ("2", True, None),
        ("3", True, "9"),  # naming an original makes it a duplicate whatever the flag says
        ("4", False, None),
        ("5", False, None),
    ]
    assert result.records[0]["links"] == ["PRJ-7"]
    [entry] = result.quarantine
    assert entry["error"] == "is_duplicate (dup): expected true or false (yes/no, 1/0), got 'Fixed'"
    frame = records_frame(result.records + [{"record_id": "other:1", "is_duplicate": None}])
    assert frame["is_duplicate"].to_list() == [True, True, True, False, False, False]


def test_mapped_record_id_is_used_as_is(tmp_path):
    path = write(tmp_path, "i.json", '{"items": [{"uid": "yt:ABC-1", "t": "x"}], "other": []}')

    [record] = read(path, fields={"record_id": "uid", "title": "t"}).records

    assert record["record_id"] == "yt:ABC-1"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('{"a": [], "b": []}', "found lists a, b; name one as 'items'"),
        ("[1, 2", "invalid JSON"),
    ],
)
def test_unreadable_json_files_are_quarantined_whole(tmp_path, text, error):
    [entry] = read(write(tmp_path, "i.json", text)).quarantine

    assert error in entry["error"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2011/01/24 13:59:25 -0800", datetime(2011, 1, 24, 21, 59, 25, tzinfo=UTC)),
        ("2017-09-15 16:50:55 UTC", datetime(2017, 9, 15, 16, 50, 55, tzinfo=UTC)),
        ("05/Mar/24 9:14 AM", datetime(2024, 3, 5, 9, 14, tzinfo=UTC)),
        ("Fri, 28 Jul 2023 00:11:05 +0000", datetime(2023, 7, 28, 0, 11, 5, tzinfo=UTC)),
        ("2024-03-05T09:14:00+01:00", datetime(2024, 3, 5, 8, 14, tzinfo=UTC)),
        (1709630040, datetime(2024, 3, 5, 9, 14, tzinfo=UTC)),
        (None, None),
    ],
)
def test_dates_in_tracker_formats_become_utc(value, expected):
    assert generic.field_datetime_any(value, "created") == expected


@pytest.mark.skipif(not REDMINE.is_file(), reason="shared/realdata is not beside the repo")
def test_real_redmine_export_reads_with_a_field_mapping():
    result = read(REDMINE, status_map={"New": "open"})

    assert len(result.records) == 26
    assert result.quarantine == []
    assert result.records[0]["record_id"] == "redmine:72"
    assert result.records[0]["created_at"] == datetime(2011, 1, 24, 21, 59, 25, tzinfo=UTC)
    check_records(records_frame(result.records))


@pytest.mark.skipif(not REALDATA_ONE.is_file(), reason="shared/realdata is not beside the repo")
def test_real_redmine_single_issue_maps_french_values_through_the_config():
    [record] = read(REALDATA_ONE, **FRENCH).records

    assert (record["status"], record["issue_type"], record["author"]) == (
        "done",
        "task",
        "Jérémie H",
    )
    assert record["body"] == "This is a description\nwith more than\n\none line."
