from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, jira
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "jira"
TRUNCATED = REALDATA / "grokify__gojira__xml_testdata_example_jira_mongodb_new-issues.xml"


def read(path: Path, **settings):
    return jira.read_file(path, ReadContext("tracker", "data/jira.xml", **settings))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "export.xml"
    path.write_text(text, encoding="utf-8")
    return path


EXPECTED = [
    {
        "record_id": "jira:ACME-31",
        "source": "jira",
        "kind": "issue",
        "project": "ACME",
        "key": "ACME-31",
        "title": "Login page times out",
        "body": "The login page **times out** after 30s.\n\n```python\nlogin(timeout=30)\n```",
        "status": "in_progress",
        "issue_type": "bug",
        "priority": "critical",
        "labels": ["auth", "web"],
        "security_level": None,
        "components": ["Accounts"],
        "fix_versions": ["3.1"],
        "author": "Jane Doe",
        "assignee": "Omar Haddad",
        "created_at": datetime(2023, 7, 28, 0, 11, 5, tzinfo=UTC),
        "updated_at": datetime(2023, 7, 28, 0, 0, tzinfo=UTC),
        "resolved_at": None,
        "comments": [
            {
                "author": "jane",
                "created_at": datetime(2023, 7, 28, 0, 30, tzinfo=UTC),
                "body": "Happens on Safari only.",
            },
            {
                "author": "omar",
                "created_at": datetime(2023, 7, 28, 1, 0, tzinfo=UTC),
                "body": "Reproduced, see ACME-12.",
            },
        ],
        "links": ["ACME-12", "ACME-3", "ACME-40"],
        "is_duplicate": False,
        "duplicate_of": None,
        "url": "https://jira.acme.test/browse/ACME-31",
        "origin": "data/jira.xml:$.rss.channel.item[0]",
    },
    {
        "record_id": "jira:ACME-40",
        "source": "jira",
        "kind": "issue",
        "project": "ACME",
        "key": "ACME-40",
        "title": "Login slow",
        "body": None,
        "status": "wont_do",
        "issue_type": "feature",
        "priority": "low",
        "labels": [],
        "security_level": None,
        "components": [],
        "fix_versions": [],
        "author": "Li Wei",
        "assignee": None,
        "created_at": datetime(2023, 7, 27, 23, 54, 53, tzinfo=UTC),
        "updated_at": datetime(2023, 7, 28, 1, 0, 52, tzinfo=UTC),
        "resolved_at": datetime(2023, 7, 28, 1, 0, 52, tzinfo=UTC),
        "comments": [],
        "links": [],
        "is_duplicate": True,
        "duplicate_of": None,
        "url": "https://jira.acme.test/browse/ACME-40",
        "origin": "data/jira.xml:$.rss.channel.item[1]",
    },
]


def test_rss_export_maps_html_issues_to_exact_records():
    result = read(FIXTURES / "jira_export.xml")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_item_with_a_bad_date_is_quarantined_and_the_others_kept():
    result = read(FIXTURES / "jira_export.xml")

    assert result.quarantine == [
        {
            "source": "tracker",
            "origin": "data/jira.xml:$.rss.channel.item[2]",
            "reason": "parse:invalid-record",
            "error": "created: invalid datetime 'sometime'",
        }
    ]


def test_truncated_export_is_quarantined_with_its_line(tmp_path):
    text = "<rss>\n<channel>\n<item><key>A-1</key>\n<summary>x</sum"

    result = read(write(tmp_path, text))

    assert result.records == []
    [entry] = result.quarantine
    assert (entry["origin"], entry["reason"]) == ("data/jira.xml:4", "parse:invalid-xml")
    assert "cut short" in entry["error"]


def test_entity_declarations_are_refused(tmp_path):
    text = '<!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel></channel></rss>'

    [entry] = read(write(tmp_path, text)).quarantine

    assert entry["reason"] == "parse:invalid-xml"


def test_xml_that_is_not_rss_is_quarantined_as_unexpected_shape(tmp_path):
    [entry] = read(write(tmp_path, "<changes><change/></changes>")).quarantine

    assert entry["reason"] == "parse:unexpected-shape"


def test_outward_duplicate_link_names_the_original_and_inward_links_do_not(tmp_path):
    links = (
        '<issuelinks><issuelinktype id="10002"><name>Duplicate</name>'
        '<outwardlinks description="duplicates"><issuelink><issuekey id="1">A-1</issuekey>'
        '</issuelink></outwardlinks><inwardlinks description="is duplicated by"><issuelink>'
        '<issuekey id="9">A-9</issuekey></issuelink></inwardlinks></issuelinktype></issuelinks>'
    )
    text = f"<rss><channel><item><key>A-5</key><summary>x</summary>{links}</item></channel></rss>"

    [record] = read(write(tmp_path, text)).records
    [inward_only, resolved] = read(FIXTURES / "jira_export.xml").records

    assert (record["is_duplicate"], record["duplicate_of"]) == (True, "A-1")
    assert (inward_only["is_duplicate"], inward_only["duplicate_of"]) == (False, None)
    assert (resolved["is_duplicate"], resolved["duplicate_of"]) == (True, None)


def test_config_map_overrides_status_category(tmp_path):
    result = read(FIXTURES / "jira_export.xml", status_map={"In Review": "open"})

    assert [r["status"] for r in result.records] == ["open", "wont_do"]


@pytest.mark.skipif(not TRUNCATED.is_file(), reason="shared/realdata is not beside the repo")
def test_real_truncated_mongodb_export_is_quarantined_not_raised():
    result = jira.read_file(TRUNCATED, ReadContext("jira", TRUNCATED.name))

    assert result.records == []
    [entry] = result.quarantine
    assert entry["reason"] == "parse:invalid-xml"
    assert entry["origin"].startswith(TRUNCATED.name + ":")
