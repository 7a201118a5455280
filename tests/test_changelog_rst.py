from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataprep.connectors import ReadContext, changelog
from dataprep.connectors.changelog import detect_style, rst
from dataprep.connectors.changelog.model import Entry, Release

FIXTURES = Path(__file__).parent / "fixtures" / "changelogs"
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "changelogs"


def parse(name: str) -> list[Release]:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    assert detect_style(text, name) == "rst"
    return rst.parse(text, name)


def day(year: int, month: int, date: int) -> datetime:
    return datetime(year, month, date, tzinfo=UTC)


def test_sphinx_release_file_gives_its_version_date_project_and_entries():
    assert parse("rst_django_5.0.1.txt") == [
        Release(
            version="5.0.1",
            line=2,
            released_at=day(2024, 1, 2),
            unreleased=False,
            body=(
                "Acme 5.0.1 fixes a security issue and several bugs in 5.0.\n\n"
                "### CVE-2024-0001: Denial-of-service in `acme.utils.text`\n\n"
                "`wrap` was slow on crafted input (follow up to\nCVE-2023-1234).\n\n"
                "### Bugfixes\n\n"
                "- Fixed a regression in Acme 5.0 that caused a crash of\n"
                "  `Model.save` (#35020).\n\n"
                "- Fixed `Query` ordering, see [the docs](https://acme.example/docs/)"
                " (#35024, #35025):\n\n"
                '  ```\n  Query.order_by("name")\n  ```'
            ),
            entries=[
                Entry(
                    "security",
                    "CVE-2024-0001: Denial-of-service in `acme.utils.text`",
                    ["CVE-2023-1234", "CVE-2024-0001"],
                ),
                Entry(
                    "fixed",
                    "Fixed a regression in Acme 5.0 that caused a crash of `Model.save` (#35020).",
                    ["#35020"],
                ),
                Entry(
                    "fixed",
                    "Fixed `Query` ordering, see [the docs](https://acme.example/docs/)"
                    " (#35024, #35025):",
                    ["#35024", "#35025"],
                ),
            ],
            project="Acme",
        )
    ]


def test_expected_date_in_a_release_file_counts_as_unreleased(tmp_path):
    text = "=======================\nAcme 2.0 release notes\n=======================\n\n"
    text += "*Expected May 1, 2023*\n\nBugfixes\n========\n\n* Fixed it (:ticket:`1`).\n"
    [release] = rst.parse(text, "2.0.txt")
    assert (release.version, release.released_at, release.unreleased) == ("2.0", None, True)
    assert release.entries == [Entry("fixed", "Fixed it (#1).", ["#1"])]


def test_numpy_notes_keep_contributors_apart_and_tag_pull_requests():
    [release] = parse("rst_numpy_1.97.3-notes.rst")
    assert (release.version, release.line, release.project) == ("1.97.3", 4, "NumPy")
    assert (release.released_at, release.unreleased) == (None, False)
    assert release.contributors == ["@octo", "Ada Lovelace", "Grace Hopper"]
    assert "Contributors" not in release.body and "Grace" not in release.body
    assert release.entries == [
        Entry(
            "fixed",
            "[#31207](https://github.com/numpy/numpy/pull/31207): BUG: avoid overflow in "
            "`np.histogram`",
            ["numpy/numpy#31207"],
        ),
        Entry(
            "added",
            "[#31244](https://github.com/numpy/numpy/pull/31244): ENH: Add an `out=` argument to "
            "`np.trace`",
            ["numpy/numpy#31244"],
        ),
    ]


REFS = ["#71358"]


def test_pandas_whatsnew_placeholder_date_is_unreleased_and_jinja_is_dropped():
    assert parse("rst_whatsnew_v2.9.4.rst") == [
        Release(
            version="2.9.4",
            line=3,
            released_at=None,
            unreleased=True,
            body=(
                "This page lists what changed in pandas 2.9.4. "
                "The release page has every version.\n\n"
                "### Fixed regressions\n\n"
                "- Fixed regression in `DataFrame.pivot` dropping categorical columns (#71358)\n\n"
                "### Other"
            ),
            entries=[
                Entry(
                    "fixed",
                    "Fixed regression in `DataFrame.pivot` dropping categorical columns (#71358)",
                    REFS,
                )
            ],
        )
    ]


def test_pallets_version_headings_with_released_and_unreleased_lines():
    assert parse("rst_pallets_CHANGES.rst") == [
        Release(
            version="2.1.0",
            line=1,
            released_at=None,
            unreleased=True,
            body=(
                "- Drop support for Python 3.7. #372\n"
                "- Fix the timestamp check so a\n"
                "  signature from the future is rejected. #140, #141"
            ),
            entries=[
                Entry("removed", "Drop support for Python 3.7. #372", ["#372"]),
                Entry(
                    "fixed",
                    "Fix the timestamp check so a signature from the future is rejected. "
                    "#140, #141",
                    ["#140", "#141"],
                ),
            ],
        ),
        Release(
            version="2.0.1",
            line=11,
            released_at=day(2021, 5, 18),
            unreleased=False,
            body=(
                "- Mark top-level names as exported so type checking understands\n"
                "  imports in user projects. #240"
            ),
            entries=[
                Entry(
                    "other",
                    "Mark top-level names as exported so type checking understands imports in "
                    "user projects. #240",
                    ["#240"],
                )
            ],
        ),
    ]


def test_towncrier_output_sections_and_linked_issue_numbers():
    releases = parse("rst_towncrier_NEWS.rst")
    assert [(r.version, r.line, r.released_at, r.project) for r in releases] == [
        ("1.2.0", 1, day(2024, 1, 31), "acme"),
        ("1.1.0", 16, day(2023, 12, 1), "acme"),
    ]
    assert releases[0].body == (
        "### Features\n\n- Add CSV export. ([#123](https://github.com/acme/web/issues/123))\n\n"
        "### Bugfixes\n\n"
        "- Fix crash on empty input (ACME-7). ([#124](https://github.com/acme/web/issues/124))"
    )
    assert [(e.section, e.refs) for r in releases for e in r.entries] == [
        ("added", ["acme/web#123"]),
        ("fixed", ["ACME-7", "acme/web#124"]),
        ("removed", ["#99"]),
    ]


def test_cpython_news_d_blurbs_by_section_with_gh_issue_refs():
    assert parse("rst_newsd_3.99.0rc1.rst") == [
        Release(
            version="3.99.0rc1",
            line=1,
            released_at=day(2031, 5, 2),
            unreleased=False,
            body=(
                "### Security\n\n"
                "- gh-201734: Rejected oversized header blocks in "
                "`http.client.HTTPResponse`, tracked as\n"
                "  [CVE-2031-55501](https://www.cve.org/CVERecord?id=CVE-2031-55501)"
                ". Patch by\n  Marta K. Lindqvist.\n\n"
                "### IDLE\n\n"
                "- gh-201902: Add `idlelib.example`. Contributed by Ada Lovelace and Grace Hopper."
            ),
            entries=[
                Entry(
                    "security",
                    "Rejected oversized header blocks in `http.client.HTTPResponse`, tracked as "
                    "[CVE-2031-55501](https://www.cve.org/CVERecord?id=CVE-2031-55501)"
                    ". Patch by Marta K. Lindqvist.",
                    ["#201734", "CVE-2031-55501"],
                ),
                Entry(
                    "added",
                    "Add `idlelib.example`. Contributed by Ada Lovelace and Grace Hopper.",
                    ["#201902"],
                ),
            ],
            contributors=["Marta K. Lindqvist", "Ada Lovelace", "Grace Hopper"],
        )
    ]


def test_sqlalchemy_change_fragment_is_one_unreleased_record_per_file():
    assert parse("rst_sqlalchemy_98031.rst") == [
        Release(
            version="Unreleased",
            line=1,
            released_at=None,
            unreleased=True,
            body=(
                "Fixed `_orm.relationship.order_by` when given a\n"
                "lambda.  Thanks to Ada Lovelace for the help.\n\n"
                "**See also:**\nchange_98031"
            ),
            entries=[
                Entry(
                    "fixed",
                    "Fixed `_orm.relationship.order_by` when given a lambda.  "
                    "Thanks to Ada Lovelace for the help.",
                    ["#98031", "#98032"],
                )
            ],
            contributors=["Ada Lovelace"],
            id_suffix="rst_sqlalchemy_98031",
        )
    ]


def test_sqlalchemy_changelog_file_gives_one_release_per_changelog_block():
    text = (
        ".. changelog::\n    :version: 2.0.1\n    :released: January 5, 2024\n\n"
        "    .. change::\n        :tags: usecase, sql\n        :tickets: 7\n\n"
        "        Support :class:`.Foo`.\n\n"
        ".. changelog::\n    :version: 2.0.2\n    :include_notes_from: unreleased_20\n"
    )
    releases = rst.parse(text, "changelog_20.rst")
    assert [(r.version, r.line, r.released_at, r.unreleased) for r in releases] == [
        ("2.0.1", 1, day(2024, 1, 5), False),
        ("2.0.2", 11, None, True),
    ]
    assert releases[0].entries == [Entry("added", "Support `Foo`.", ["#7"])]


def test_read_file_labels_records_with_the_rst_style():
    path = FIXTURES / "rst_sqlalchemy_98031.rst"
    result = changelog.read_file(path, ReadContext("notes", "notes/x.rst", "sqlalchemy"))
    [record] = result.records
    assert record["record_id"] == "changelog:sqlalchemy@unreleased#rst_sqlalchemy_98031"
    assert record["labels"] == ["style:rst"]
    assert record["entries"][0]["refs"] == ["#98031", "#98032"]


@pytest.mark.parametrize(
    "text",
    [
        "# Changelog\n\n## 1.0.0\n\nVersion 1.0\n-----------\n",  # Markdown headings
        "Notes\n=====\n\nNothing versioned here.\n",
    ],
)
def test_files_of_other_styles_are_not_claimed(text):
    assert rst.detect(text, "CHANGES.md") is False


def test_rst_roles_and_literals_become_markdown():
    assert rst.rst_to_markdown(
        [
            "Use ``x`` with :meth:`~a.B.c`, :ref:`the guide <guide>` and :pep:`8`.",
            "",
            ".. code-block:: python",
            "",
            "    print(1)",
        ]
    ) == ("Use `x` with `c`, the guide and PEP 8.\n\n```python\nprint(1)\n```")


REALDATA_RST = sorted(REALDATA.glob("*.rst")) + sorted(REALDATA.glob("django*.txt"))


@pytest.mark.skipif(not REALDATA.is_dir(), reason="realdata not present")
@pytest.mark.parametrize("path", REALDATA_RST, ids=lambda p: p.name)
def test_realdata_rst_files_parse_into_releases(path):
    result = changelog.read_file(path, ReadContext("notes", f"notes/{path.name}", None))
    assert result.records, path.name
    assert all(r["labels"] == ["style:rst"] for r in result.records)
