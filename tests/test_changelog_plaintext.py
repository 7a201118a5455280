from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, changelog
from dataprep.connectors.changelog import detect_style, plaintext
from dataprep.connectors.changelog.model import Entry, Release

FIXTURES = Path(__file__).parent / "fixtures" / "changelogs"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "changelogs"


def parse(name: str) -> list[Release]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert detect_style(text, name) == "plaintext"
    return plaintext.parse(text, name)


def test_php_news_versions_placeholder_dates_and_authors_apart():
    assert parse("txt_php_NEWS") == [
        Release(
            version="9.7.0beta2",
            line=3,
            released_at=None,
            unreleased=True,
            body=(
                "### Core\n\n"
                "- Fixed bug GH-40817 (Stack overflow in nested enum constant). (rkovacs)\n"
                "- Calling stream_rewind() on a pipe is now deprecated. (tmiller,\n"
                "  Ada Lovelace)"
            ),
            entries=[
                Entry(
                    "fixed",
                    "Fixed bug GH-40817 (Stack overflow in nested enum constant).",
                    ["#40817"],
                ),
                Entry("deprecated", "Calling stream_rewind() on a pipe is now deprecated."),
            ],
            contributors=["rkovacs", "tmiller", "Ada Lovelace"],
            project="PHP",
        ),
        Release(
            version="9.7.0alpha3",
            line=10,
            released_at=datetime(2031, 3, 14, tzinfo=UTC),
            unreleased=False,
            body=(
                "### GMP\n\n"
                "- Fixed bug #70312 (Static build links twice). (Noor Haddad)\n"
                "- Fixed bug GHSA-abcd-1234-wxyz (Overflow, CVE-2031-4821). (jdoe)"
            ),
            entries=[
                Entry("fixed", "Fixed bug #70312 (Static build links twice).", ["#70312"]),
                Entry(
                    "security",
                    "Fixed bug GHSA-abcd-1234-wxyz (Overflow, CVE-2031-4821).",
                    ["CVE-2031-4821"],
                ),
            ],
            contributors=["Noor Haddad", "jdoe"],
            project="PHP",
        ),
    ]


def test_git_relnotes_title_sections_bullets_and_shortlog():
    assert parse("txt_git_RelNotes_2.97.2.txt") == [
        Release(
            version="2.97.2",
            line=1,
            released_at=None,
            unreleased=False,
            body=(
                "Only a handful of small fixes this time.\n\n"
                "### Fixes since v2.97\n\n"
                '- "git log --follow" could lose track of a file renamed inside a\n'
                "  merge, which has been corrected.\n\n"
                "- CVE-2031-0457:\n\n"
                "  A crafted repository could overwrite files.\n\n"
                "Also includes small documentation and test fixes."
            ),
            entries=[
                Entry(
                    "fixed",
                    '"git log --follow" could lose track of a file renamed inside a merge, '
                    "which has been corrected.",
                ),
                Entry(
                    "security",
                    "CVE-2031-0457: A crafted repository could overwrite files.",
                    ["CVE-2031-0457"],
                ),
            ],
            contributors=["Ada Lovelace", "Rowan Ellery"],
            project="Git",
        )
    ]


def test_curl_release_notes_resolve_reference_numbers():
    assert parse("txt_curl_RELEASE-NOTES") == [
        Release(
            version="9.41.0",
            line=1,
            released_at=None,
            unreleased=False,
            body=(
                "Public curl releases:         311\n\n"
                "### Changes\n\n"
                "- tool_cb_hdr: honour --etag-save after redirects [[57]](https://curl.se/bug/?i=15488)\n\n"
                "### Bugfixes\n\n"
                "- mprintf: reject field widths above INT_MAX\n"
                "  in the parser [[31]](https://curl.se/bug/?i=15402)"
            ),
            entries=[
                Entry(
                    "added", "tool_cb_hdr: honour --etag-save after redirects", ["curl/curl#15488"]
                ),
                Entry(
                    "fixed",
                    "mprintf: reject field widths above INT_MAX in the parser",
                    ["curl/curl#15402"],
                ),
            ],
            contributors=["Ada Lovelace", "Grace Hopper"],
            project="curl",
        )
    ]


def test_read_file_names_the_project_from_the_notes():
    path = FIXTURES / "txt_php_NEWS"
    result = changelog.read_file(path, ReadContext("notes", "notes/NEWS", None))
    assert [r["record_id"] for r in result.records] == [
        "changelog:PHP@9.7.0beta2",
        "changelog:PHP@9.7.0alpha3",
    ]
    assert [r["status"] for r in result.records] == ["open", "done"]
    assert result.records[0]["contributors"] == ["rkovacs", "tmiller", "Ada Lovelace"]


@pytest.mark.parametrize(
    "text",
    [
        "## [1.0.0] - 2024-01-01\n- PHP 8 support\n",
        "Release notes\n=============\n\n * something\n",
        '<changes ver="1.0" date="2024-01-01"></changes>\n',
    ],
)
def test_files_of_other_styles_are_not_claimed(text):
    assert plaintext.detect(text, "NEWS") is False


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("Fixed bug GH-1 (crash).", "fixed"),
        ("Foo() is now deprecated.", "deprecated"),
        ("Removed the bar option.", "removed"),
        ("Added baz.", "added"),
        ("Updated qux to 2.0.", "changed"),
        ("Tighten the parser (CVE-2024-1).", "security"),
        ("Something else.", "other"),
    ],
)
def test_guess_section_from_wording(text, section):
    assert plaintext.guess_section(text) == section


REALDATA_TEXT = [
    REALDATA / name
    for name in ("php__php-src__NEWS", "curl__curl__RELEASE-NOTES")
    if (REALDATA / name).exists()
] + sorted(REALDATA.glob("git__git__*RelNotes*.txt"))


@pytest.mark.skipif(not REALDATA.is_dir(), reason="realdata not present")
@pytest.mark.parametrize("path", REALDATA_TEXT, ids=lambda p: p.name)
def test_realdata_plain_text_files_parse_into_releases(path):
    result = changelog.read_file(path, ReadContext("notes", f"notes/{path.name}", None))
    assert result.records, path.name
    assert all(r["labels"] == ["style:plaintext"] for r in result.records)


@pytest.mark.skipif(not REALDATA.is_dir(), reason="realdata not present")
@pytest.mark.parametrize("pattern", ["*changes.xml", "*.toml"])
def test_realdata_xml_and_toml_notes_are_quarantined_with_a_reason(pattern):
    for path in REALDATA.glob(pattern):
        result = changelog.read_file(path, ReadContext("notes", f"notes/{path.name}", None))
        assert result.records == []
