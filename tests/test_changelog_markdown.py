"""Markdown release notes beyond Keep a Changelog: plain version headings, conventional-changelog,
tag styles, Rails and GitHub's generated notes."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, changelog
from dataprep.connectors.changelog import detect_style, markdown
from dataprep.connectors.changelog.model import Entry
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "changelogs"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "changelogs"


def read(name: str):
    path = FIXTURES / name
    result = changelog.read_file(path, ReadContext("notes", f"notes/{name}"))
    check_records(records_frame(result.records))
    return result


def summary(record: dict) -> tuple:
    return (
        record["version"],
        record["released_at"],
        record["status"],
        record["url"],
        record["contributors"],
        record["origin"],
    )


def entries(record: dict) -> list[tuple]:
    return [(e["section"], e["text"], e["refs"]) for e in record["entries"]]


def day(year: int, month: int, dom: int) -> datetime:
    return datetime(year, month, dom, tzinfo=UTC)


def test_plain_version_headings_in_every_common_spelling_become_releases():
    result = read("headings.md")

    assert [summary(r) for r in result.records] == [
        ("1.4.0", None, "open", None, [], "notes/headings.md:3"),
        ("1.3.0", None, "done", None, [], "notes/headings.md:7"),
        ("1.2.0", day(2024, 1, 31), "done", None, [], "notes/headings.md:17"),
        ("1.1.0", day(2023, 1, 31), "done", None, [], "notes/headings.md:26"),
        ("1.0.0", None, "done", None, [], "notes/headings.md:30"),
    ]
    assert {r["labels"][0] for r in result.records} == {"style:markdown"}


def test_upper_case_labels_and_sub_headings_set_the_entry_sections():
    by_version = {r["version"]: entries(r) for r in read("headings.md").records}

    assert by_version["1.3.0"] == [
        (
            "added",
            "**New Resource:** `acme_report` ([#61](https://github.com/acme/web/issues/61))",
            ["acme/web#61"],
        ),
        ("fixed", "export: no crash on an empty sheet (ACME-30)", ["ACME-30"]),
    ]
    assert by_version["1.2.0"] == [
        ("added", "Dark mode, see GH-45", ["#45"]),
        ("fixed", "Login loop fixed in 3f2a9c1", ["commit:3f2a9c1"]),
        ("security", "Patch CVE-2024-1234", ["CVE-2024-1234"]),
    ]
    assert by_version["1.1.0"] == [("other", "First public release", [])]


def test_placeholder_date_in_a_heading_makes_the_version_unreleased():
    [first, *_] = read("headings.md").records

    assert (first["record_id"], first["key"], first["body"]) == (
        "changelog:headings@1.4.0",
        "1.4.0",
        "- Next up",
    )


def test_tag_style_bullets_take_their_section_from_the_tag():
    result = read("tags.md")

    assert [summary(r) for r in result.records] == [
        ("Unreleased", None, "open", None, [], "notes/tags.md:1"),
        ("2.3.0", day(2018, 6, 5), "done", None, [], "notes/tags.md:5"),
        ("2.2.1", day(2018, 4, 20), "done", None, [], "notes/tags.md:13"),
    ]
    assert [entries(r) for r in result.records] == [
        [("changed", "`NewCompactor` takes a context.", [])],
        [
            ("added", "Size based retention (#374). - new metric `blocks_bytes`", ["#374"]),
            ("fixed", "Close file readers on Windows.", []),
            ("changed", "Faster WAL replay. #380", ["#380"]),
            ("other", "Drop `WALFlushInterval`.", []),
        ],
        [
            (
                "fixed",
                "tags in words, Enhance: prefixes (prometheus/tsdb#12)",
                ["prometheus/tsdb#12"],
            )
        ],
    ]


def test_rails_changelog_names_the_project_and_keeps_authors_out_of_entries():
    result = read("rails.md")

    assert [(r["record_id"], *summary(r)) for r in result.records] == [
        (
            "changelog:Rails@unreleased",
            "Unreleased",
            None,
            "open",
            None,
            ["Jane Doe", "John Roe"],
            "notes/rails.md:1",
        ),
        (
            "changelog:Rails@4.9.7",
            "4.9.7",
            day(2021, 3, 4),
            "done",
            None,
            ["Mila Okafor"],
            "notes/rails.md:8",
        ),
        (
            "changelog:Rails@4.9.6.2",
            "4.9.6.2",
            day(2021, 1, 27),
            "done",
            None,
            [],
            "notes/rails.md:15",
        ),
    ]
    assert [entries(r) for r in result.records] == [
        [("other", "Retry jobs on deadlock. Fixes #48.", ["#48"])],
        [("other", "Let the inline adapter honour a job's priority", [])],
        [],  # "No changes." is not an entry
    ]


def test_conventional_changelog_output_links_versions_commits_and_closed_issues():
    result = read("conventional.md")

    assert [summary(r) for r in result.records] == [
        (
            "1.2.1",
            day(2024, 2, 3),
            "done",
            "https://github.com/acme/web/compare/v1.2.0...v1.2.1",
            [],
            "notes/conventional.md:5",
        ),
        (
            "1.2.0",
            day(2024, 1, 31),
            "done",
            "https://github.com/acme/web/compare/v1.1.0...v1.2.0",
            [],
            "notes/conventional.md:11",
        ),
    ]
    commit = "https://github.com/acme/web/commit/"
    assert [entries(r) for r in result.records] == [
        [
            (
                "fixed",
                f"**api:** keep the page size ([a1b2c3d]({commit}"
                "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678)), "
                "closes [#12](https://github.com/acme/web/issues/12)",
                ["acme/web#12", "commit:a1b2c3d"],
            )
        ],
        [
            (
                "added",
                "paging for /reports [#10](https://github.com/acme/web/issues/10) "
                f"([9f8e7d6]({commit}9f8e7d6c5b4a39281706f5e4d3c2b1a098765432))",
                ["acme/web#10", "commit:9f8e7d6"],
            ),
            # "(#migrating)" is a link to a heading in the page, not an issue
            ("changed", "**api:** drop the v1 endpoints, see [the guide](#migrating)", []),
            (
                "changed",
                f"smaller bundle ([0a1b2c3]({commit}0a1b2c3d4e5f60718293a4b5c6d7e8f901234567))",
                ["commit:0a1b2c3"],
            ),
        ],
    ]
    assert result.records[1]["body"].endswith("## Migrating\n\nNothing to do for most users.")
    assert {r["labels"][0] for r in result.records} == {"style:conventional-changelog"}


def test_github_generated_notes_give_titles_as_entries_and_handles_as_contributors():
    result = read("github-generated.md")

    compare = "https://github.com/acme/widgets/compare/"
    assert [summary(r) for r in result.records] == [
        (
            "2.3.0",
            None,
            "done",
            f"{compare}v2.2.1...v2.3.0",
            ["@octo-dev", "@dependabot[bot]", "@maria-k"],
            "notes/github-generated.md:1",
        ),
        (
            "2.2.1",
            None,
            "done",
            f"{compare}v2.2.0...v2.2.1",
            ["@octo-dev"],
            "notes/github-generated.md:13",
        ),
    ]
    assert entries(result.records[0]) == [
        ("changed", "Fix crash on empty list", ["acme/widgets#45"]),
        ("changed", "Bump lodash from 4.17.20 to 4.17.21", ["acme/widgets#46"]),
        ("changed", "Relates to ACME-12", ["ACME-12", "acme/widgets#47"]),
    ]
    assert "New Contributors" not in result.records[0]["body"]
    assert result.records[0]["labels"] == ["style:github-generated"]


def test_a_lone_github_release_body_takes_its_version_from_the_compare_url():
    [record] = read("github-release-body.md").records

    assert summary(record) == (
        "2.4.0",
        None,
        "done",
        "https://github.com/acme/widgets/compare/v2.3.0...v2.4.0",
        ["@octo-dev"],
        "notes/github-release-body.md:1",
    )
    assert entries(record) == [("changed", "Export to CSV", ["acme/widgets#51"])]


def test_release_body_entries_reads_a_github_release_body():
    body = (
        "## What's Changed\r\n"
        "* Fix crash by @octo-dev in https://github.com/acme/widgets/pull/45\r\n\r\n"
        "## New Contributors\r\n"
        "* @maria-k made their first contribution in https://github.com/acme/widgets/pull/45\r\n\r\n"
        "**Full Changelog**: https://github.com/acme/widgets/compare/v1...v2"
    )

    assert markdown.release_body_entries(body, "acme/widgets") == (
        [Entry("changed", "Fix crash", ["acme/widgets#45"])],
        ["@octo-dev", "@maria-k"],
    )
    assert markdown.release_body_entries(None) == ([], [])


@pytest.mark.parametrize(
    ("heading", "version"),
    [
        ("# v1.2.0", "v1.2.0"),
        ("## 1.2.0 (2024-01-31)", "1.2.0"),
        ("## 1.2.0 (January 31, 2024)", "1.2.0"),
        ("## Rails 4.9.7 (March 04, 2021) ##", "4.9.7"),
        ("## 2.3.0 / 2018-06-05", "2.3.0"),
        ("## master / unreleased", "Unreleased"),
        ("### [1.2.1](https://x.test/compare/v1.2.0...v1.2.1) (2024-02-03)", "1.2.1"),
        ("## 2024.3.1", "2024.3.1"),
        ("## 6.0.0.rc2 - 2019-07-22", "6.0.0.rc2"),
    ],
)
def test_version_headings_are_recognised(heading, version):
    found = markdown.version_heading(heading)

    assert found is not None and found.version == version


@pytest.mark.parametrize(
    "heading",
    ["## Migration guide", "### 1.2 migration notes", "## Main features", "## 2024-01-31", "1.2.0"],
)
def test_other_headings_are_not_versions(heading):
    assert markdown.version_heading(heading) is None


@pytest.mark.parametrize(
    ("text", "name", "style"),
    [
        ("## [1.0.0] - 2024-01-01\n### Added\n- x\n", "CHANGELOG.md", "keepachangelog"),
        ("## 1.0.0 (2024-01-01)\n- x\n", "CHANGELOG.md", "markdown"),
        ("Release notes\n=============\n\n* Fixed things\n", "NOTES.md", None),
        ("# Notes\n\nSome prose about 1.2.0 and nothing else.\n", "NOTES.md", None),
    ],
)
def test_detection_claims_only_its_own_files(text, name, style):
    assert detect_style(text, name) == style


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not beside the repo")
def test_real_markdown_changelogs_parse_or_are_quarantined_with_a_reason():
    outcomes = {}
    for path in sorted(REALDATA.glob("*.md")):
        result = changelog.read_file(path, ReadContext("notes", path.name))
        check_records(records_frame(result.records))
        outcomes[path.name] = (len(result.records) > 0, [q["reason"] for q in result.quarantine])
        assert outcomes[path.name][0] or outcomes[path.name][1], path.name
    # A draft fragment of Go's notes names no version in a heading: quarantined, not guessed.
    if "golang__go__doc_next_1-intro.md" in outcomes:
        assert outcomes["golang__go__doc_next_1-intro.md"] == (
            False,
            ["parse:unrecognised-changelog"],
        )
