"""`dataprep init`: files recognised by content, grouped into sources, a config that loads."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from dataprep.cli import main
from dataprep.config import load_config
from dataprep.connectors import CONNECTORS, ReadContext
from dataprep.connectors.detect import (
    DETECTORS,
    SNIFF_BYTES,
    Detection,
    NotRecognised,
    identify,
    sniff,
)
from dataprep.init import InitError, init_config

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(__file__).resolve().parents[2] / "shared"

JIRA_ISSUE = {
    "id": "10012",
    "key": "ACME-12",
    "self": "https://acme.atlassian.net/rest/api/2/issue/10012",
    "fields": {
        "summary": "Export fails for reports over 10k rows",
        "description": "Clicking *Export* on a large report times out.",
        "project": {"key": "ACME", "name": "Acme"},
        "issuetype": {"name": "Bug"},
        "status": {"name": "Open", "statusCategory": {"key": "new"}},
        "created": "2024-03-05T09:14:00.000+0000",
        "updated": "2024-03-06T10:00:00.000+0000",
    },
}
GITHUB_ISSUE = {
    "url": "https://api.github.com/repos/acme/widgets/issues/45",
    "repository_url": "https://api.github.com/repos/acme/widgets",
    "html_url": "https://github.com/acme/widgets/issues/45",
    "number": 45,
    "title": "Crash when the widget list is empty",
    "body": "Opening an empty list crashes the page.",
    "state": "open",
    "user": {"login": "octo-dev"},
    "labels": [{"name": "bug"}],
    "comments": 0,
    "created_at": "2024-03-05T09:14:00Z",
    "updated_at": "2024-03-05T09:14:00Z",
}

# name -> (content, type, shape, items, label). Names say nothing about the content on purpose.
FIXTURES = {
    "export1.json": (
        json.dumps({"startAt": 0, "maxResults": 50, "total": 2, "issues": [JIRA_ISSUE] * 2}),
        "jira", "Jira REST search JSON", 2, "ACME",
    ),
    "one.json": (json.dumps(JIRA_ISSUE), "jira", "Jira REST issue JSON", 1, "ACME"),
    "tickets.txt": (
        "Summary,Issue key,Issue id,Issue Type,Status,Project key,Created\n"
        "Login fails,ACME-21,10021,Bug,Open,ACME,05/Mar/24 9:14 AM\n"
        'Export is slow,ACME-22,10022,Task,Done,ACME,"06/Mar/24 1:00 PM"\n',
        "jira", "Jira CSV export", 2, "ACME",
    ),
    "feed.json": (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="0.92"><channel>\n'
        "<title>Acme Jira</title>\n<item><title>[ACME-31] Login times out</title>\n"
        "<link>https://jira.acme.test/browse/ACME-31</link>\n"
        '<project id="10000" key="ACME">Acme</project><key id="10031">ACME-31</key>\n'
        "<summary>Login times out</summary><type id=\"1\">Bug</type>\n"
        "<status id=\"1\">Open</status>\n"
        "<created>Fri, 28 Jul 2023 00:11:05 +0000</created></item>\n</channel></rss>\n",
        "jira", "Jira XML (RSS) export", 1, "ACME",
    ),
    "data.json": (
        json.dumps([GITHUB_ISSUE, {**GITHUB_ISSUE, "number": 46, "pull_request": {}}]),
        "github", "GitHub REST issues JSON", 2, "acme/widgets",
    ),
    "gh.json": (
        json.dumps([{
            "number": 7, "title": "Docs typo", "body": "", "state": "OPEN",
            "author": {"login": "jo"}, "createdAt": "2024-03-05T09:14:00Z",
            "url": "https://github.com/acme/widgets/issues/7",
        }]),
        "github", "gh issue list JSON", 1, "acme/widgets",
    ),
    "rel.json": (
        json.dumps([{
            "tag_name": "v2.3.0", "name": "Widgets 2.3", "body": "* Fix crash", "draft": False,
            "prerelease": False, "created_at": "2024-03-01T09:00:00Z",
            "published_at": "2024-03-01T09:30:00Z",
            "html_url": "https://github.com/acme/widgets/releases/tag/v2.3.0",
        }]),
        "github_release", "GitHub REST releases JSON", 1, "acme/widgets",
    ),
    "tags.json": (
        json.dumps([{"tagName": "v2.4.0", "name": "", "isDraft": True, "isPrerelease": False,
                     "createdAt": "2024-03-10T08:00:00Z", "publishedAt": "2024-03-10T08:00:00Z"}]),
        "github_release", "gh release JSON", 1, None,
    ),
    "gl.json": (
        json.dumps([{
            "id": 9012, "iid": 12, "project_id": 3, "title": "Pipeline hangs",
            "description": "The cache step never ends.", "state": "opened", "labels": ["bug"],
            "web_url": "https://gitlab.com/acme/platform/web/-/issues/12",
            "created_at": "2024-03-05T09:14:00Z", "updated_at": "2024-03-05T09:14:00Z",
        }]),
        "gitlab", "GitLab REST issues JSON", 1, "acme/platform/web",
    ),
    "lin.csv": (
        "ID,Team,Title,Description,Status,Priority,Created\n"
        "ENG-123,Engineering,Editor crashes on save,Saving crashes.,In Progress,High,"
        "2024-03-05T09:14:00.000Z\n",
        "linear", "Linear CSV export", 1, "ENG",
    ),
    "page.json": (
        json.dumps({"data": {"issues": {"pageInfo": {"hasNextPage": False}, "nodes": [
            {"identifier": "OPS-3", "title": "Sync stalls", "team": {"key": "OPS"},
             "state": {"name": "Todo", "type": "unstarted"}}]}}}),
        "linear", "Linear GraphQL JSON", 1, "OPS",
    ),
    "query.csv": (
        "\ufeffID,Work Item Type,Title,State,Tags,Priority,Created Date,Area Path\n"
        "412,Bug,Login fails with SSO,Active,auth,1,3/5/2024 9:14:00 AM,Fabrikam\\Web\n",
        "azure_devops", "Azure DevOps CSV export", 1, "Fabrikam",
    ),
    "batch.json": (
        json.dumps({"count": 1, "value": [{"id": 500, "fields": {
            "System.TeamProject": "Fabrikam", "System.WorkItemType": "Bug",
            "System.Title": "App crashes", "System.State": "New"}}]}),
        "azure_devops", "Azure DevOps work items JSON", 1, "Fabrikam",
    ),
    "notes.md": (
        "# Changelog\n\n## [Unreleased]\n### Added\n- CSV export (ACME-12)\n\n"
        "## [1.2.0] - 2024-01-31\n### Fixed\n- Crash on empty input (#45)\n\n"
        "[1.2.0]: https://github.com/acme/web/compare/v1.1.0...v1.2.0\n",
        "changelog", "release notes (keepachangelog)", 2, "acme-web",
    ),
    "history.md": (
        "# Widgets Changelog\n\n## 2.0.0 (2024-02-01)\n\n* Drop Python 3.8\n\n"
        "## 1.9.1 (2023-12-24)\n\n* Fix the retry loop\n",
        "changelog", "release notes (markdown)", 2, "Widgets",
    ),
    "CHANGES.rst": (
        "Version 2.0.0\n-------------\n\nReleased 2031-04-09\n\n-   Drop old APIs. :issue:`12`\n\n"
        "Version 1.9.0\n-------------\n\nReleased 2031-01-02\n\n-   Add ``sign``. :pr:`9`\n",
        "changelog", "release notes (rst)", 2, None,
    ),
    "relnotes.txt": (
        "Gadget v3.1.2 Release Notes\n===========================\n\n"
        "Fixes since v3.1.1\n------------------\n\n * The frobnicator no longer leaks.\n",
        "changelog", "release notes (plaintext)", 1, "Gadget",
    ),
}  # fmt: skip


def _write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(FIXTURES))
def test_every_source_type_is_recognised_by_its_content(tmp_path, name):
    content, kind, shape, items, label = FIXTURES[name]
    found = identify(_write(tmp_path, name, content))
    assert isinstance(found, Detection), found
    assert (found.type, found.shape, found.items, found.label) == (kind, shape, items, label)


@pytest.mark.parametrize("name", list(FIXTURES))
def test_the_connector_reads_what_was_recognised(tmp_path, name):
    content, kind, *_ = FIXTURES[name]
    path = _write(tmp_path, name, content)
    found = identify(path)
    fmt = found.format if found.format != "text" else None
    ctx = ReadContext("src", name, project=found.project or "acme/widgets", format=fmt)
    result = CONNECTORS[kind](path, ctx)
    assert result.quarantine == []
    assert result.received == found.items


def test_the_registry_names_every_type_a_file_can_be_recognised_as():
    assert set(DETECTORS) == set(CONNECTORS) - {"generic"}


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "README.md",
            "# Acme widgets\n\nInstall with `pip install acme-widgets` (version 2.0 or later).\n\n"
            "## Usage\n\nRun `widgets serve`.\n\n## License\n\nApache-2.0\n",
            "no release-notes style finds a version",
        ),
        (
            "LICENSE",
            "MIT License\n\nCopyright (c) 2024 Acme\n\nPermission is hereby granted, free of "
            "charge, to any person obtaining a copy of this software.\n",
            "no release-notes style finds a version",
        ),
        ("package.json", '{"name": "widgets", "version": "1.2.0"}', "keys name, version"),
        ("rows.json", '[{"id": 1, "subject": "a"}]', "generic source"),
        ("empty.json", "[]", "an empty JSON list"),
        ("people.csv", "name,email,team\nJo,jo@acme.test,web\n", "CSV with columns name"),
        ("bad.json", '{"issues": [1, 2,, 3]}', "invalid JSON at line 1"),
        ("lines.json", '{"number": 1, "title": "a"}\n{"number": 2}\n', "JSON Lines"),
        ("search.json", '{"total_count": 1, "items": [{"number": 1}]}', "search API"),
        ("hook.json", '{"action": "opened", "issue": {"number": 1}}', "webhook"),
        ("page.html", "<html><body><p>Release 1.2.0</p></body></html>", "no release-notes"),
    ],
)
def test_files_that_are_not_exports_or_release_notes_are_not_taken(tmp_path, name, content, reason):
    found = identify(_write(tmp_path, name, content))
    assert isinstance(found, NotRecognised)
    assert reason in found.reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"),
        (b"\xff\xfeI\x00D\x00", "UTF-16"),
        ("Summary,Issue key\nCaf\xe9,ACME-1\n".encode("latin-1"), "not UTF-8 text (byte 0xe9"),
        (b"", "empty file"),
    ],
)
def test_binary_and_undecodable_files_are_reported_with_a_reason(tmp_path, content, reason):
    found = identify(_write(tmp_path, "export.json", content))
    assert isinstance(found, NotRecognised)
    assert reason in found.reason


def test_an_export_cut_short_is_recognised_and_noted_for_quarantine(tmp_path):
    text = json.dumps({"startAt": 0, "issues": [JIRA_ISSUE, JIRA_ISSUE]})
    found = identify(_write(tmp_path, "export.json", text[: len(text) - 80]))
    assert isinstance(found, Detection) and found.type == "jira"
    assert found.items == 0  # the build quarantines the whole file
    assert "(cut short): the build quarantines it" in found.note


def test_a_huge_export_is_sniffed_from_its_head_only(tmp_path):
    item = json.dumps(JIRA_ISSUE)
    path = tmp_path / "big.dat"
    with path.open("w") as handle:
        handle.write('{"startAt": 0, "issues": [')
        handle.write(",".join([item] * (50 * 1024 * 1024 // len(item))))
        handle.write("]}")
    start = time.perf_counter()
    found = identify(path)
    assert time.perf_counter() - start < 5
    assert isinstance(found, Detection) and found.type == "jira"
    assert found.items is None and found.label == "ACME"
    assert len(sniff(path).head) == SNIFF_BYTES


def test_a_sparse_two_gigabyte_file_is_not_read_whole(tmp_path):
    path = tmp_path / "disk.img"
    with path.open("wb") as handle:
        handle.write(
            b'[{"number": 1, "title": "t", "html_url": "https://github.com/a/b/issues/1"},'
        )
        handle.truncate(2 * 1024**3)
    start = time.perf_counter()
    assert identify(path) == NotRecognised("binary file, not text")
    assert time.perf_counter() - start < 2


# --- grouping and the config -----------------------------------------------------------------


def _init(tmp_path: Path, root: Path, **kwargs):
    return init_config(root, tmp_path / "dataprep.yaml", **kwargs)


def test_a_folder_of_one_type_becomes_one_glob_source(tmp_path):
    data = tmp_path / "exports" / "jira"
    for page in (1, 2):
        _write(data, f"page{page}.json", FIXTURES["export1.json"][0])
    result = _init(tmp_path, tmp_path / "exports")
    cfg = load_config(tmp_path / "dataprep.yaml")
    assert [(s.name, s.type, s.path) for s in cfg.sources] == [
        ("acme", "jira", "exports/jira/*.json")
    ]
    assert result.sources[0].summary() == "Jira REST search JSON: 2 files, 4 issues"


def test_a_glob_that_would_match_other_files_becomes_one_source_per_file(tmp_path):
    data = tmp_path / "in"
    _write(data, "a.json", FIXTURES["export1.json"][0])
    _write(data, "b.json", FIXTURES["one.json"][0])
    _write(data, "package.json", '{"name": "x"}')
    _init(tmp_path, data)
    cfg = load_config(tmp_path / "dataprep.yaml")
    assert [(s.name, s.path) for s in cfg.sources] == [
        ("acme-a", "in/a.json"),
        ("acme-b", "in/b.json"),
    ]


def test_renamed_files_get_the_format_their_connector_needs(tmp_path):
    data = tmp_path / "in"
    for name in ("tickets.txt", "feed.json", "data.json", "notes.md", "lin.csv"):
        _write(data, name, FIXTURES[name][0])
    _init(tmp_path, data)
    cfg = load_config(tmp_path / "dataprep.yaml")
    by_path = {s.path: s for s in cfg.sources}
    assert by_path["in/tickets.txt"].format == "csv"
    assert by_path["in/feed.json"].format == "xml"
    assert by_path["in/data.json"].format is None
    assert by_path["in/lin.csv"].format is None
    assert by_path["in/notes.md"].project == "acme-web"
    for src in cfg.sources:
        path = cfg.resolve(src.path)
        ctx = ReadContext(src.name, src.path, project=src.project, format=src.format)
        result = CONNECTORS[src.type](path, ctx)
        assert result.records and not result.quarantine, src


def test_names_are_unique_and_say_what_the_source_is(tmp_path):
    data = tmp_path / "in"
    _write(data, "jira/acme.json", FIXTURES["export1.json"][0])
    _write(data, "backup/acme.json", FIXTURES["export1.json"][0])
    _write(data, "rel.json", FIXTURES["rel.json"][0])
    _write(data, "data.json", FIXTURES["data.json"][0])
    _write(data, "gh.json", FIXTURES["gh.json"][0])
    _init(tmp_path, data)
    names = [s.name for s in load_config(tmp_path / "dataprep.yaml").sources]
    assert names == ["acme-backup", "acme-jira", "acme-widgets-data", "acme-widgets-gh",
                     "acme-widgets-releases"]  # fmt: skip


def test_hidden_folders_outputs_virtualenvs_and_symlinks_are_not_followed(tmp_path):
    data = tmp_path / "in"
    _write(data, "issues.json", FIXTURES["data.json"][0])
    _write(data, ".cache/issues.json", FIXTURES["data.json"][0])
    _write(data, ".dataprep/snapshots/x/pages/1.json", FIXTURES["data.json"][0])
    _write(data, "out/manifest.json", "{}")
    _write(data, "out/records.parquet", b"PAR1")
    _write(data, "out/train.jsonl", "{}\n")
    _write(data, "venv/pyvenv.cfg", "home = /usr/bin\n")
    _write(data, "venv/lib/issues.json", FIXTURES["data.json"][0])
    (data / "loop").symlink_to(data)
    (data / "outside").symlink_to(tmp_path)
    (data / "dangling").symlink_to(data / "nothing")
    if hasattr(os, "mkfifo"):
        os.mkfifo(data / "pipe")
    result = _init(tmp_path, data)
    assert [s.path for s in result.sources] == ["in/issues.json"]
    assert {p.path.name: p.reason for p in result.skipped} == {
        "out": "a dataprep output folder",
        "venv": "a Python virtual environment",
    }
    reasons = {p.path.name: p.reason for p in result.unplaced}
    assert reasons["loop"].startswith("a symlink to a folder: not followed")
    assert reasons["outside"].startswith("a symlink to a folder: not followed")
    assert reasons["dangling"].startswith("a broken symlink")
    if hasattr(os, "mkfifo"):
        assert reasons["pipe"] == "not a regular file (a pipe, socket or device)"


def test_the_config_keeps_defaults_and_leaves_expectations_alone(tmp_path):
    _write(tmp_path / "in", "notes.md", FIXTURES["notes.md"][0])
    _init(tmp_path, tmp_path / "in")
    text = (tmp_path / "dataprep.yaml").read_text()
    data = yaml.safe_load(text)
    assert set(data) == {"sources", "clean", "pairs", "output"}
    cfg = load_config(tmp_path / "dataprep.yaml")
    assert cfg.clean.languages == ["en"] and cfg.output == "out"
    assert "  # release notes (keepachangelog): 1 file, 2 versions\n" in text


def test_paths_are_relative_to_the_config_folder(tmp_path):
    for page in (1, 2):
        _write(tmp_path / "data" / "jira", f"p{page}.json", FIXTURES["export1.json"][0])
    init_config(tmp_path / "data", tmp_path / "conf" / "sub" / "acme.yaml")
    cfg = load_config(tmp_path / "conf" / "sub" / "acme.yaml")
    assert [s.path for s in cfg.sources] == ["../../data/jira/*.json"]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads all")
def test_an_unreadable_file_is_reported_not_raised(tmp_path):
    path = _write(tmp_path / "in", "locked.json", FIXTURES["data.json"][0])
    path.chmod(0)
    try:
        found = identify(path)
    finally:
        path.chmod(0o644)
    assert found == NotRecognised("cannot read it: Permission denied")


def test_a_path_with_glob_characters_is_escaped(tmp_path):
    _write(tmp_path / "in", "export [1].json", FIXTURES["data.json"][0])
    _init(tmp_path, tmp_path / "in")
    cfg = load_config(tmp_path / "dataprep.yaml")
    assert cfg.sources[0].path == "in/export [[]1].json"


def test_init_refuses_to_overwrite_a_config_without_force(tmp_path, monkeypatch):
    _write(tmp_path / "in", "data.json", FIXTURES["data.json"][0])
    config = _write(tmp_path, "dataprep.yaml", "sources: []\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "in"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: {Path('dataprep.yaml').absolute()} already exists; pass --force to overwrite it"
    )
    assert config.read_text() == "sources: []\n"
    result = CliRunner().invoke(main, ["init", "in", "--force"])
    assert result.exit_code == 0, result.output
    assert load_config(config).sources[0].type == "github"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "error: no such file or folder: 'in'"),
        (lambda p: (p / "in").mkdir(), "error: no files under 'in'"),
        (
            lambda p: _write(p / "in", "README.md", "# Hello\n"),
            "error: nothing under 'in' is a tracker export or release notes dataprep reads",
        ),
    ],
)
def test_nothing_to_configure_is_a_one_line_error_and_writes_nothing(
    tmp_path, monkeypatch, setup, message
):
    setup(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init", "in"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith(message)
    assert not (tmp_path / "dataprep.yaml").exists()


def test_init_in_a_copy_of_the_sample_data_finds_its_three_kinds_of_source(tmp_path, monkeypatch):
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    cfg = load_config(tmp_path / "dataprep.yaml")
    # The truncated broken-export.json is a Jira export: it joins the glob, and the build
    # quarantines it with its error, as it does in the hand-written sample config.
    assert [(s.name, s.type, s.path, s.project) for s in cfg.sources] == [
        ("acme", "jira", "sample_data/jira/*.json", None),
        ("acme-widgets", "github", "sample_data/github/issues.json", None),
        ("acme-cli", "changelog", "sample_data/changelogs/acme-cli.md", "acme-cli"),
        ("acme-sdk", "changelog", "sample_data/changelogs/acme-sdk.md", "acme-sdk"),
        ("acme-web", "changelog", "sample_data/changelogs/acme-web.md", "acme-web"),
    ]
    text = (tmp_path / "dataprep.yaml").read_text()
    assert "  # Jira REST search JSON: 3 files, 75 issues\n" in text
    assert "broken-export.json: invalid JSON at line 125, column 24 (cut short)" in text
    lines = result.output.splitlines()
    assert any(line.split()[:2] == ["acme", "jira"] for line in lines if line.strip())
    assert "broken-export.json" in result.output and "wrote" in result.output


# --- real exports ------------------------------------------------------------------------------

# Files in ../shared/realdata* that no connector reads: webhook payloads, Redmine and Bugzilla
# responses, an ADF document, a search API response, and release notes in layouts the
# changelog reader does not take (TOML, nginx XML, Debian, Go's HTML-headed notes, i3 banners).
NOT_PLACED = {
    "realdata": {
        "containerd__containerd__releases_v1.7.0.toml",
        "golang__go__doc_next_1-intro.md",
        "nginx__nginx__docs_xml_nginx_changes.xml",
        "PyGithub__PyGithub__tests_ReplayData_Issue.setUp.txt",
        "octokit__webhooks__payload-examples_api.github.com_issue_comment_created.payload.json",
        "xanzy__go-gitlab__testdata_webhooks_issue.json",
        "ankitpokhrel__jira-cli__pkg_adf_testdata_md.json",
        "mattermost__mattermost-plugin-jira__server_testdata_webhook-issue-comment-created-"
        "indentation.json",
        "python-bugzilla__python-bugzilla__tests_data_mockreturn_test_query1.txt",
        "python-bugzilla__python-bugzilla__tests_data_mockreturn_test_query_cve_getbug.txt",
        "taskadapter__redmine-java-api__src_test_resources_issue_issue_with_multiline_"
        "description.json",
        "taskadapter__redmine-java-api__src_test_resources_issue_issues_foreign_symbols.json",
        "taskadapter__redmine-java-api__src_test_resources_redmine_issues.json",
    },
    "realdata2": {
        "golang__website__go1.21.md",
        "i3__i3__RELEASE-NOTES-4.23",
        "i3__i3__debian-changelog",
        "PyGithub__PyGithub__Search.testSearchIssues.json",
        "ElabdiAchraf__rails-issue-analysis__issues.json",
    },
}
# Files per detected type, in each folder.
EXPECTED_TYPES = {
    "realdata": {"changelog": 34, "jira": 4},
    "realdata2": {"changelog": 11, "github": 4, "jira": 3},
}
# Items counted for a few files: versions of release notes, issues of exports.
EXPECTED_ITEMS = {
    "olivierlacan__keep-a-changelog__CHANGELOG.md": 15,
    "pallets__itsdangerous__CHANGES.rst": 18,
    "php__php-src__NEWS": 5,
    "mikemccand__luceneserver__loadAllJiraIssues.LUCENE-search.json": 10,
    "PyGithub__PyGithub__Issue945.openFrameworks-issues.json": 30,
    "AnySoftKeyboard__AnySoftKeyboard__issues.json": 50,
    "grokify__gojira__xml_testdata_example_jira_mongodb_new-issues.xml": 0,
}
FOLDER_TYPES = {"changelogs": "changelog", "jira": "jira", "github": "github"}


def _real_files(folder: str) -> list[Path]:
    root = SHARED / folder
    if not root.is_dir():
        pytest.skip(f"no {root}: the real exports live in ../shared, next to the repository")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.parent != root)


@pytest.mark.parametrize("folder", ["realdata", "realdata2"])
def test_real_exports_are_recognised_as_the_connectors_read_them(folder):
    counts: dict[str, int] = {}
    for path in _real_files(folder):
        found = identify(path)
        if path.name in NOT_PLACED[folder]:
            assert isinstance(found, NotRecognised), (path.name, found)
            continue
        assert isinstance(found, Detection), (path.name, found)
        assert found.type == FOLDER_TYPES[path.parent.name], path.name
        counts[found.type] = counts.get(found.type, 0) + 1
        if path.name in EXPECTED_ITEMS:
            assert found.items == EXPECTED_ITEMS[path.name], path.name
        fmt = found.format if found.format != "text" else None
        ctx = ReadContext("real", path.name, project=found.project, format=fmt)
        result = CONNECTORS[found.type](path, ctx)
        if found.items:
            assert result.received == found.items, path.name
        elif found.type == "changelog":
            assert result.records, path.name
        else:
            assert result.quarantine, path.name
    assert counts == EXPECTED_TYPES[folder]


def test_init_over_all_real_exports_writes_a_config_that_loads(tmp_path):
    _real_files("realdata")
    _real_files("realdata2")
    result = init_config(SHARED, tmp_path / "dataprep.yaml")
    cfg = load_config(tmp_path / "dataprep.yaml")
    assert len(cfg.sources) == len(result.sources)
    assert len({s.name for s in cfg.sources}) == len(cfg.sources)
    placed = sum(len(s.files) for s in result.sources)
    assert placed == sum(sum(counts.values()) for counts in EXPECTED_TYPES.values())
    for src in result.sources:
        matched = {Path(p).resolve() for p in glob.glob(str(cfg.resolve(src.path)))}
        assert matched == {f.resolve() for f in src.files}, src.path


def test_init_error_lists_what_was_left_out(tmp_path):
    _write(tmp_path / "in", "notes.txt", "nothing here\n")
    with pytest.raises(InitError) as raised:
        init_config(tmp_path / "in", tmp_path / "dataprep.yaml")
    assert [u.path.name for u in raised.value.unplaced] == ["notes.txt"]


@pytest.mark.skipif(not Path("/proc/kmsg").exists(), reason="needs Linux's /proc/kmsg")
def test_a_kernel_file_that_blocks_on_read_is_not_waited_for():
    code = (
        "from pathlib import Path; from dataprep.connectors.detect import sniff;"
        "print(sniff(Path('/proc/kmsg')).reason)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "empty file"
