"""GitHub Releases files (REST list, ``gh release list/view --json``) as release records."""

import json
from datetime import UTC, datetime
from pathlib import Path

from dataprep.connectors import ReadContext, github_release
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
CHANGES = (
    "## What's Changed\n"
    "* Fix crash on empty list by @octo-dev in https://github.com/acme/widgets/pull/45\n"
    "* Relates to ACME-12, #44 and acme/api#7\n\n"
    "**Full Changelog**: https://github.com/acme/widgets/compare/v2.2.1...v2.3.0"
)


def read(path: Path, project: str | None = None):
    return github_release.read_file(path, ReadContext("rel", "data/releases.json", project))


def write(tmp_path: Path, data) -> Path:
    path = tmp_path / "releases.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def release(
    tag: str,
    record_id: str | None = None,
    **values,
) -> dict:
    """Return an expected record of acme/widgets: the fields every release has, then ``values``."""
    row = {
        "record_id": record_id or f"github_release:acme/widgets@{tag}",
        "source": "github_release",
        "kind": "release",
        "project": "acme/widgets",
        "key": tag,
        "version": tag.removeprefix("v"),
        "title": tag,
        "body": None,
        "status": "done",
        "author": "octo-dev",
        "created_at": None,
        "released_at": None,
        "entries": [],
        "contributors": [],
        "links": [],
        "url": f"https://github.com/acme/widgets/releases/tag/{tag}",
    }
    return {**row, **values}


V2_3_0 = release(
    "v2.3.0",
    title="Widgets 2.3.0",
    body=CHANGES,
    created_at=datetime(2024, 2, 1, 9, tzinfo=UTC),
    released_at=datetime(2024, 2, 2, 10, 15, tzinfo=UTC),
    # GitHub's generated notes: the PR title is the entry, "by @user" a contributor
    entries=[
        {"section": "changed", "text": "Fix crash on empty list", "refs": ["acme/widgets#45"]},
        {
            "section": "changed",
            "text": "Relates to ACME-12, #44 and acme/api#7",
            "refs": ["ACME-12", "acme/api#7", "acme/widgets#44"],
        },
    ],
    contributors=["@octo-dev"],
    links=["ACME-12", "acme/api#7", "acme/widgets#44", "acme/widgets#45"],
)

EXPECTED = [
    release(
        "v2.4.0",
        body="## What's Changed\n* Export to CSV (#51)\n",
        status="open",
        created_at=datetime(2024, 3, 10, 8, tzinfo=UTC),
        entries=[
            {"section": "changed", "text": "Export to CSV (#51)", "refs": ["acme/widgets#51"]}
        ],
        links=["acme/widgets#51"],
        url="https://github.com/acme/widgets/releases/tag/untagged-5f1c2a9e3b7d4c60a8e1",
        origin="data/releases.json:$[0]",
    ),
    release(
        "v2.4.0-rc.1",
        author="maria-k",
        created_at=datetime(2024, 3, 1, 9, tzinfo=UTC),
        released_at=datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
        origin="data/releases.json:$[1]",
    ),
    {**V2_3_0, "origin": "data/releases.json:$[2]"},
    release(
        "2.2.1",
        body="Patch release.",
        created_at=datetime(2024, 1, 15, 12, tzinfo=UTC),
        released_at=datetime(2024, 1, 15, 12, 5, tzinfo=UTC),
        origin="data/releases.json:$[3]",
    ),
]


def test_rest_releases_list_maps_each_release_to_exact_records():
    result = read(FIXTURES / "github_releases.json")

    assert result.records == EXPECTED
    assert (result.skipped, result.quarantine) == ([], [])
    check_records(records_frame(result.records))


def test_a_draft_is_kept_as_an_unreleased_open_record():
    (draft, *_) = read(FIXTURES / "github_releases.json").records

    assert (draft["status"], draft["released_at"], draft["version"]) == ("open", None, "2.4.0")


def test_gh_release_view_output_reads_as_the_same_record_as_rest():
    result = read(FIXTURES / "github_releases_gh_view.json")

    assert result.records == [{**V2_3_0, "origin": "data/releases.json:$"}]


def test_gh_release_list_output_takes_the_repository_from_the_project():
    result = read(FIXTURES / "github_releases_gh_list.json", project="acme/widgets")

    rows = [
        {k: r[k] for k in ("record_id", "version", "title", "status", "released_at", "url")}
        for r in result.records
    ]
    assert rows == [
        {
            "record_id": "github_release:acme/widgets@v2.4.0",
            "version": "2.4.0",
            "title": "v2.4.0",
            "status": "open",
            "released_at": None,  # gh writes Go's zero time for a draft
            "url": None,
        },
        {
            "record_id": "github_release:acme/widgets@v2.4.0-rc.1",
            "version": "2.4.0-rc.1",
            "title": "v2.4.0-rc.1",
            "status": "done",
            "released_at": datetime(2024, 3, 1, 9, 30, tzinfo=UTC),
            "url": None,
        },
        {
            "record_id": "github_release:acme/widgets@v2.3.0",
            "version": "2.3.0",
            "title": "Widgets 2.3.0",
            "status": "done",
            "released_at": datetime(2024, 2, 2, 10, 15, tzinfo=UTC),
            "url": None,
        },
    ]
    check_records(records_frame(result.records))


def test_gh_release_list_without_a_project_is_quarantined_naming_the_fix():
    result = read(FIXTURES / "github_releases_gh_list.json")

    assert result.records == []
    assert result.quarantine[0] == {
        "source": "rel",
        "origin": "data/releases.json:$[0]",
        "reason": "parse:invalid-record",
        "error": "url: missing, so the repository is unknown; set the source's project to "
        "OWNER/REPO",
    }
    assert len(result.quarantine) == 3


def test_the_project_setting_overrides_the_project_column_not_the_record_id():
    (record, *_) = read(FIXTURES / "github_releases.json", project="Widgets").records

    assert (record["project"], record["record_id"]) == (
        "Widgets",
        "github_release:acme/widgets@v2.4.0",
    )


def test_only_a_v_before_a_digit_is_stripped_from_the_version(tmp_path):
    tags = ["v1.0.0", "V2", "vNext", "release-3.1", "1.2"]
    path = write(tmp_path, [{"tag_name": t, "draft": True} for t in tags])

    result = read(path, project="acme/widgets")

    assert [r["version"] for r in result.records] == ["1.0.0", "V2", "vNext", "release-3.1", "1.2"]


def test_bad_items_are_quarantined_with_their_json_path_and_the_rest_kept(tmp_path):
    url = "https://api.github.com/repos/acme/widgets/releases/1"
    path = write(
        tmp_path,
        [
            {"url": url, "tag_name": "v1.0.0", "published_at": "2024-01-01T00:00:00Z"},
            "v1.1.0",
            {"url": url, "name": "No tag"},
            {"url": url, "tag_name": "v1.2.0", "published_at": "last Tuesday"},
        ],
    )

    result = read(path)

    assert [r["record_id"] for r in result.records] == ["github_release:acme/widgets@v1.0.0"]
    assert result.quarantine == [
        {
            "source": "rel",
            "origin": f"data/releases.json:$[{i}]",
            "reason": "parse:invalid-record",
            "error": error,
        }
        for i, error in (
            (1, "expected a release object, got str"),
            (2, "tag_name: missing or not a string: None"),
            (3, "published_at: invalid datetime 'last Tuesday'"),
        )
    ]
    assert result.received == 4


def test_a_file_that_is_not_json_is_quarantined_with_its_line(tmp_path):
    result = read(write(tmp_path, '[\n  {"tag_name": "v1.0.0",}\n]'))

    assert result.records == []
    assert result.quarantine == [
        {
            "source": "rel",
            "origin": "data/releases.json:2",
            "reason": "parse:invalid-json",
            "error": "invalid JSON: Expecting property name enclosed in double quotes "
            "(line 2, column 25)",
        }
    ]


def test_a_json_object_that_is_not_a_release_is_quarantined_as_the_wrong_shape(tmp_path):
    result = read(write(tmp_path, {"message": "Not Found"}))

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("data/releases.json", "parse:unexpected-shape")
    ]
