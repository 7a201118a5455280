"""`dataprep pull` and `dataprep build --pull` against a real local server, as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from dataprep.cli import main
from tests.httpserver import ApiServer, GitHubFake, Reply

REPO = Path(__file__).resolve().parent.parent
TOKEN = "ghp_cliTestToken0123456789abcdefghijklmn"
# Titles say what is wrong in three words or more, as issue_to_title wants.
TITLES = [
    "Item list freezes when large",
    "Export button stays disabled",
    "Reset mails arrive late",
    "Board duplicates dragged cards",
    "CLI crashes on empty config",
]
BODIES = [
    "Opening the item list with more than two hundred items freezes the page for seconds.",
    "The export button stays disabled after a filter is cleared, until the page is reloaded.",
    "Password reset e-mails arrive an hour late for accounts in the Pacific time zone.",
    "Dragging a card between columns on the board duplicates it when the network is slow.",
    "The command line tool crashes with a stack trace when the config file is empty.",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("GH_TOKEN", TOKEN)
    shutil.copytree(REPO / "expectations", tmp_path / "expectations")
    with ApiServer() as server:
        gh = GitHubFake(server, page_size=2)
        for n, (title, body) in enumerate(zip(TITLES, BODIES, strict=True), start=1):
            gh.add(n, f"2024-05-0{n}T10:00:00Z", title=title, body=body)
        gh.add(6, "2024-05-06T10:00:00Z", title="Bump lodash", pull_request=True)
        config = {
            "sources": [
                {
                    "name": "gh",
                    "type": "github",
                    "url": server.url,
                    "project": "acme/widgets",
                    "token_env": "GH_TOKEN",
                }
            ],
            "pairs": {"tasks": ["issue_to_title"]},
            "output": "out",
        }
        path = tmp_path / "dataprep.yaml"
        path.write_text(yaml.safe_dump(config))
        yield path, server, gh


def test_build_without_a_snapshot_says_to_pull_first(project):
    path, _, _ = project
    result = CliRunner().invoke(main, ["build", "--config", str(path)])
    assert result.exit_code == 2
    assert "no snapshot of 'gh'" in result.output and "dataprep pull" in result.output


def test_build_pull_fetches_then_builds_offline_and_no_token_is_written(project):
    path, server, _ = project
    result = CliRunner().invoke(main, ["build", "--pull", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert "pulled gh: run 1, 3 pages, 6 items" in result.output
    out = path.parent / "out"
    records = pl.read_parquet(out / "records.parquet")
    assert sorted(records["record_id"]) == [f"github:acme/widgets#{n}" for n in range(1, 6)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert all(i["path"].startswith(".dataprep/snapshots/gh/pages/") for i in manifest["inputs"])
    written = [p for p in path.parent.rglob("*") if p.is_file()]
    assert not [p for p in written if TOKEN.encode() in p.read_bytes()]
    assert TOKEN not in result.output

    # A second build is offline: the server is not asked again.
    asked = len(server.requests)
    again = CliRunner().invoke(main, ["build", "--config", str(path)])
    assert again.exit_code == 0, again.output
    assert len(server.requests) == asked


def test_a_refused_token_fails_the_pull_with_the_variable_named(project):
    path, server, gh = project
    server.fail("GET", gh.issues_path, Reply(status=401, json={"message": "Bad credentials"}))
    result = CliRunner().invoke(main, ["pull", "--config", str(path)])
    assert result.exit_code == 1
    assert "GH_TOKEN" in result.output and TOKEN not in result.output
    assert not (path.parent / ".dataprep" / "snapshots" / "gh" / "pages").exists() or not list(
        (path.parent / ".dataprep" / "snapshots" / "gh" / "pages").iterdir()
    )
