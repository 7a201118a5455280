from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import CONNECTORS, ReadContext, changelog
from dataprep.schema import check_records, records_frame

FIXTURES = Path(__file__).parent / "fixtures" / "connectors"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "changelogs"


def read(path: Path, project: str | None = None):
    return changelog.read_file(path, ReadContext("notes", f"notes/{path.name}", project))


def write(tmp_path: Path, text: str, name: str = "tool.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def release(version: str, **fields) -> dict:
    """Return the fields every acme-web release record shares, plus ``fields``."""
    return {
        "record_id": f"changelog:acme-web@{version.lower()}",
        "source": "changelog",
        "kind": "release",
        "project": "acme-web",
        "key": version,
        "version": version,
        "title": f"acme-web {version}",
        "contributors": [],
        "labels": ["style:keepachangelog"],
        **fields,
    }


EXPECTED = [
    release(
        "Unreleased",
        body="### Added\n- CSV export for reports (ACME-12)",
        status="open",
        released_at=None,
        entries=[
            {"section": "added", "text": "CSV export for reports (ACME-12)", "refs": ["ACME-12"]}
        ],
        links=["ACME-12"],
        url="https://github.com/acme/web/compare/v1.2.0...HEAD",
        origin="notes/acme-web.md:5",
    ),
    release(
        "1.2.0",
        body=(
            "### Added\n- Dark mode,\n  switchable per user (#45)\n\n"
            "### Fixed\n- Config example no longer breaks:\n"
            "  ```yaml\n  ## not a version heading\n  theme: dark\n  ```"
        ),
        status="done",
        released_at=datetime(2024, 1, 31, tzinfo=UTC),
        entries=[
            {
                "section": "added",
                "text": "Dark mode, switchable per user (#45)",
                "refs": ["acme/web#45"],
            },
            {
                "section": "fixed",
                "text": "Config example no longer breaks: ```yaml ## not a version heading "
                "theme: dark ```",
                "refs": [],
            },
        ],
        links=["acme/web#45"],
        url="https://github.com/acme/web/compare/v1.1.0...v1.2.0",
        origin="notes/acme-web.md:9",
    ),
    release(
        "1.1.0",
        body="",
        status="done",
        released_at=datetime(2023, 12, 1, tzinfo=UTC),
        entries=[],
        links=[],
        url="https://github.com/acme/web/releases/tag/v1.1.0",
        origin="notes/acme-web.md:23",
    ),
    # 2023-02-30 is no date: the version stands, undated (parsers never raise on odd input).
    release(
        "1.0.1",
        body="### Fixed\n- Typo in the footer",
        status="done",
        released_at=None,
        entries=[{"section": "fixed", "text": "Typo in the footer", "refs": []}],
        links=[],
        url=None,
        origin="notes/acme-web.md:25",
    ),
]


def test_each_version_heading_becomes_one_exact_release_record():
    result = read(FIXTURES / "acme-web.md")

    assert result.records == EXPECTED
    check_records(records_frame(result.records))


def test_file_without_version_headings_is_quarantined_as_unrecognised(tmp_path):
    result = read(write(tmp_path, "Release notes\n=============\n\n* Fixed things\n"))

    assert result.records == []
    assert result.quarantine == [
        {
            "source": "notes",
            "origin": "notes/tool.md",
            "reason": "parse:unrecognised-changelog",
            "error": "no release-notes style recognised (tried "
            + ", ".join(changelog.STYLES)
            + "); set the source's 'style' if the file is one of them",
        }
    ]


def test_file_that_is_not_utf8_is_quarantined_at_the_bad_line(tmp_path):
    path = tmp_path / "tool.md"
    path.write_bytes(b"# Changelog\n## [1.0.0]\n- caf\xe9\n")

    result = read(path)

    assert [(q["origin"], q["reason"]) for q in result.quarantine] == [
        ("notes/tool.md:3", "parse:invalid-encoding")
    ]


def test_configured_project_replaces_the_file_stem(tmp_path):
    path = write(tmp_path, "## [2.0.0] - 2024-05-01\n- Faster\n")

    [record] = read(path, project="Tool").records

    assert (record["record_id"], record["title"]) == ("changelog:Tool@2.0.0", "Tool 2.0.0")


def test_windows_line_endings_and_bare_version_headings_are_read(tmp_path):
    text = "# Changelog\r\n\r\n## v0.9.0 (2024-02-03)\r\n- First cut  \r\n\r\n## Unreleased\r\n"
    path = write(tmp_path, text)

    result = read(path)

    assert [(r["key"], r["released_at"], r["body"]) for r in result.records] == [
        ("0.9.0", datetime(2024, 2, 3, tzinfo=UTC), "- First cut"),
        ("Unreleased", None, ""),
    ]


def test_version_without_a_date_is_released_with_no_release_date(tmp_path):
    [record] = read(write(tmp_path, "## [1.0.0]\n- Initial\n")).records

    assert (record["status"], record["released_at"], record["url"]) == ("done", None, None)


def test_link_reference_labels_match_headings_case_insensitively(tmp_path):
    text = "## [Unreleased]\n- WIP\n\n[unreleased]: https://git.example.com/tool/compare/HEAD\n"

    [record] = read(write(tmp_path, text)).records

    assert record["url"] == "https://git.example.com/tool/compare/HEAD"
    assert record["body"] == "- WIP"


def test_numbers_stay_bare_when_the_links_do_not_name_a_github_repository(tmp_path):
    [record] = read(write(tmp_path, "## [1.0.0]\n- Fix (#7, OPS-2)\n")).records

    assert record["links"] == ["#7", "OPS-2"]


def test_registry_reads_changelog_files_with_this_connector():
    assert CONNECTORS["changelog"] is changelog.read_file


@pytest.mark.skipif(not REALDATA.is_dir(), reason="shared/realdata is not beside the repo")
def test_real_release_notes_are_read_or_quarantined_never_raised():
    for path in sorted(REALDATA.iterdir()):
        result = changelog.read_file(path, ReadContext("notes", path.name))
        assert result.received >= 1, path.name
        check_records(records_frame(result.records))
