import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, gitlab
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"


def read(path: Path, **settings):
    return gitlab.read_file(path, ReadContext("gl", "data/issues.json", **settings))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "issues.json"
    path.write_text(text, encoding="utf-8")
    return path


BASE = {
    "source": "gitlab",
    "kind": "issue",
    "project": "acme/platform/web",
    "is_duplicate": False,
    "duplicate_of": None,
}

EXPECTED = [
    {
        **BASE,
        "record_id": "gitlab:acme/platform/web#12",
        "key": "#12",
        "title": "Pipeline hangs on cache upload",
        "body": "The cache step never ends.\n\n```yaml\ncache:\n  key: main\n```\nSee #9.",
        "status": "open",
        "issue_type": "bug",
        "priority": "high",
        "labels": ["bug", "priority::high", "ci"],
        "security_level": None,
        "fix_versions": ["16.1"],
        "author": "jane",
        "assignee": "omar",
        "created_at": datetime(2013, 12, 3, 17, 15, 43, tzinfo=UTC),
        "updated_at": datetime(2013, 12, 5, 8, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "li",
                "created_at": datetime(2013, 12, 3, 18, 30, tzinfo=UTC),
                "body": "Same here.",
            },
            {
                "author": "omar",
                "created_at": datetime(2013, 12, 4, 10, 0, tzinfo=UTC),
                "body": "Reproduced on runner 4.",
            },
        ],
        "links": ["acme/platform/web#9"],
        "url": "https://gitlab.com/acme/platform/web/-/issues/12",
        "origin": "data/issues.json:$[0]",
    },
    {
        **BASE,
        "record_id": "gitlab:acme/platform/web#13",
        "key": "#13",
        "title": "Cache upload stuck",
        "body": None,
        "status": "wont_do",
        "issue_type": "bug",
        "priority": None,
        "labels": [],
        "security_level": "confidential",
        "fix_versions": [],
        "author": "li",
        "assignee": None,
        "created_at": datetime(2017, 9, 15, 16, 50, 55, tzinfo=UTC),
        "updated_at": datetime(2017, 9, 16, 8, 0, tzinfo=UTC),
        "resolved_at": datetime(2017, 9, 16, 8, 0, tzinfo=UTC),
        "comments": [],
        "links": ["acme/platform/web#12"],
        "is_duplicate": True,
        "duplicate_of": "acme/platform/web#12",
        "url": "https://gitlab.com/acme/platform/web/-/issues/13",
        "origin": "data/issues.json:$[1]",
    },
]


def test_issue_list_with_embedded_notes_maps_to_exact_records():
    result = read(FIXTURES / "gitlab_issues.json")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_system_notes_are_not_comments_but_a_duplicate_note_is_a_link_and_wont_do():
    [first, duplicate] = read(FIXTURES / "gitlab_issues.json").records

    assert "added ~ci label" not in [c["body"] for c in first["comments"]]
    assert (duplicate["status"], duplicate["links"]) == ("wont_do", ["acme/platform/web#12"])
    assert (duplicate["is_duplicate"], duplicate["duplicate_of"]) == (True, "acme/platform/web#12")


def test_latest_duplicate_note_names_the_original_and_the_reverse_note_does_not(tmp_path):
    def note(day: int, body: str) -> dict:
        return {"body": body, "system": True, "created_at": f"2024-02-0{day}T09:00:00Z"}

    notes = [  # newest first, as the API lists them
        note(3, "marked this issue as a duplicate of acme/other#4"),
        note(2, "marked #30 as a duplicate of this issue"),
        note(1, "marked this issue as a duplicate of #12"),
    ]
    text = json.dumps(
        [
            {"iid": 20, "title": "x", "state": "closed", "notes": notes},
            {"iid": 30, "title": "y", "state": "opened", "notes": [note(2, notes[1]["body"])]},
        ]
    )

    [duplicate, original] = read(write(tmp_path, text), project="acme/web").records

    assert (duplicate["is_duplicate"], duplicate["duplicate_of"]) == (True, "acme/other#4")
    assert duplicate["links"] == ["acme/other#4", "acme/web#12"]
    assert (original["is_duplicate"], original["duplicate_of"]) == (False, None)


def test_issue_with_a_bad_date_is_quarantined_naming_the_field():
    result = read(FIXTURES / "gitlab_issues.json")

    assert result.quarantine == [
        {
            "source": "gl",
            "origin": "data/issues.json:$[2]",
            "reason": "parse:invalid-record",
            "error": "created_at: invalid datetime 'soon'",
        }
    ]
    assert result.received == 3


@pytest.mark.parametrize(
    ("item", "record_id"),
    [
        ('{"iid": 4, "title": "x", "web_url": "https://gl.acme.test/a/b/-/issues/4"}', "a/b#4"),
        ('{"iid": 4, "title": "x"}', "configured/path#4"),
    ],
)
def test_project_path_comes_from_the_web_url_or_the_config(tmp_path, item, record_id):
    [record] = read(write(tmp_path, f"[{item}]"), project="configured/path").records

    assert record["record_id"] == f"gitlab:{record_id}"


def test_issue_without_any_project_path_is_quarantined(tmp_path):
    [entry] = read(write(tmp_path, '[{"iid": 4, "title": "x"}]')).quarantine

    assert "set the source's project" in entry["error"]


def test_unknown_state_is_counted_and_config_maps_override(tmp_path):
    item = '{"iid": 4, "title": "x", "state": "locked", "labels": ["sev::1"], "web_url": ""}'
    plain = read(write(tmp_path, f"[{item}]"), project="a/b")
    mapped = read(
        write(tmp_path, f"[{item}]"),
        project="a/b",
        status_map={"locked": "done"},
        priority_map={"sev::1": "critical"},
    )

    assert (plain.records[0]["status"], dict(plain.unmapped)) == (None, {"status:locked": 1})
    assert (mapped.records[0]["status"], mapped.records[0]["priority"]) == ("done", "critical")


def test_json_that_is_not_an_issue_list_is_quarantined(tmp_path):
    [entry] = read(write(tmp_path, '{"object_kind": "issue"}')).quarantine

    assert entry["reason"] == "parse:unexpected-shape"
