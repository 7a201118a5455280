"""End to end: `dataprep build` on sample_data, as a user runs it."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from dataprep.cli import main
from dataprep.config import TASKS
from dataprep.text.redact import EMAIL_PATTERN
from dataprep.validate import packaged_suites_dir

REPO = Path(__file__).resolve().parent.parent
OUTPUTS = (
    "train.jsonl",
    "validation.jsonl",
    "records.parquet",
    "rejected.parquet",
    "quarantine.jsonl",
    "clusters.parquet",
    "boilerplate.parquet",
    "manifest.json",
    "README.md",
    "validation/records.json",
    "validation/pairs.json",
)


def _project(tmp: Path, output: str = "out", **overrides) -> Path:
    """Copy the repo's sample build into ``tmp`` and return its config path."""
    shutil.copytree(REPO / "sample_data", tmp / "sample_data")
    cfg = yaml.safe_load((REPO / "dataprep.yaml").read_text())
    cfg["output"] = output
    cfg.update(overrides)
    path = tmp / "dataprep.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _build(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", "--config", str(config)])
    return result.exit_code, result.output


def test_build_writes_every_output(sample_build):
    for name in OUTPUTS:
        assert (sample_build / name).is_file(), name


def test_manifest_counts_add_up_at_every_stage(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text())
    stages = {s["stage"]: s for s in manifest["stages"]}
    assert list(stages) == ["read", "link", "clean", "dedup", "pairs"]
    for s in stages.values():
        assert s["received"] == s["kept"] + s["rejected"] + s["quarantined"]
        assert sum(s["reasons"].values()) == s["rejected"] + s["quarantined"]
    assert stages["link"]["received"] == stages["link"]["kept"] == stages["read"]["kept"]
    assert stages["clean"]["received"] == stages["link"]["kept"]
    assert stages["dedup"]["received"] == stages["clean"]["kept"]
    rejected = pl.read_parquet(sample_build / "rejected.parquet")
    records = pl.read_parquet(sample_build / "records.parquet")
    quarantine = (sample_build / "quarantine.jsonl").read_text().splitlines()
    assert records.height == stages["dedup"]["kept"] == manifest["counts"]["records"]
    assert len(quarantine) == stages["read"]["quarantined"] >= 1
    record_rejections = rejected.filter(pl.col("stage") != "pairs").height
    assert stages["read"]["received"] == records.height + record_rejections + len(quarantine)


def test_every_task_produced_pairs(sample_build):
    lines = [
        json.loads(line)
        for name in ("train.jsonl", "validation.jsonl")
        for line in (sample_build / name).read_text().splitlines()
    ]
    tasks = {line["metadata"]["task"] for line in lines}
    assert tasks == set(TASKS) | {"bug_to_component"}  # the built-ins and the sample's user task
    assert {line["metadata"]["split"] for line in lines} == {"train", "validation"}
    for line in lines:
        roles = [m["role"] for m in line["messages"]]
        assert roles in (["user", "assistant"], ["system", "user", "assistant"])
        assert all(m["content"].strip() for m in line["messages"])


def _sample_inputs() -> str:
    return "".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (REPO / "sample_data").rglob("*")
        if p.is_file()
    )


def _output_texts(out: Path) -> dict[str, str]:
    """Every output file as text: parquet files as NDJSON of all their columns. Data Docs'
    static assets (GX's fonts, images and CSS) are skipped; its HTML pages are read."""
    static = out / "validation" / "docs" / "static"
    texts = {
        str(p.relative_to(out)): p.read_text(encoding="utf-8")
        for p in out.rglob("*")
        if p.is_file() and p.suffix != ".parquet" and static not in p.parents
    }
    for parquet in out.rglob("*.parquet"):
        texts[str(parquet.relative_to(out))] = pl.read_parquet(parquet).write_ndjson()
    return texts


def _people_in_sample_data() -> set[str]:
    """Display names and logins of the humans in sample_data, read from the raw files."""
    names = set()
    for page in (REPO / "sample_data" / "jira").glob("*.json"):
        names |= set(re.findall(r'"displayName": "([^"]+)"', page.read_text()))
    github = json.loads((REPO / "sample_data" / "github" / "issues.json").read_text())
    for issue in github:
        for user in [issue["user"], *(c["user"] for c in issue.get("comments") or [])]:
            names.add(user["login"])
    # @mentions in prose (not "-d @payload.json" or "runner@host" in code)
    names |= set(re.findall(r"(?<![\w.])@([a-z][a-z-]*[a-z])\b(?![.\w-])", _sample_inputs()))
    return {n for n in names if "[bot]" not in n and "Automation" not in n and n != "acme"}


# Planted in sample_data (fake values, shaped like the real thing): they must never come out.
SECRETS = [
    r"ghp_[A-Za-z0-9]{36}",
    r"AKIA[0-9A-Z]{16}",
    r"tR9vXe2LqM4sZ8kP1nWb7YcJ5hF3dG6aU0oI2yQe",
    r"\+44 20 7946 0321",
    r"10\.42\.7\.19",
]


def test_every_format_holds_every_pair_of_every_split(sample_build):
    for split in ("train", "validation"):
        chat = [json.loads(x) for x in (sample_build / f"{split}.jsonl").read_text().splitlines()]
        turns = [[m["content"] for m in line["messages"]] for line in chat]
        parquet = pl.read_parquet(sample_build / "parquet" / f"{split}.parquet")
        assert parquet["pair_id"].to_list() == [line["metadata"]["pair_id"] for line in chat]
        assert set(parquet["task"]) == {line["metadata"]["task"] for line in chat}
        for fmt, key in (
            ("openai", "messages"),
            ("prompt_completion", "completion"),
            ("alpaca", "output"),
            ("sharegpt", "conversations"),
        ):
            path = sample_build / fmt / f"{split}.jsonl"
            rows = [json.loads(x) for x in path.read_text().splitlines()]
            assert len(rows) == len(chat), path
            last = [
                r[key][-1]["content" if fmt == "openai" else "value"]
                if fmt in ("openai", "sharegpt")
                else r[key]
                for r in rows
            ]
            assert last == [t[-1] for t in turns], path


def test_no_record_of_the_sample_build_feeds_two_splits(sample_build):
    pairs = pl.concat(
        pl.read_parquet(sample_build / "parquet" / f"{s}.parquet") for s in ("train", "validation")
    )
    per_record = (
        pairs.explode("record_ids")
        .group_by("record_ids")
        .agg(pl.col("split").n_unique().alias("n"))
    )
    assert per_record.filter(pl.col("n") > 1).is_empty()
    assert set(pairs["split"]) == {"train", "validation"}


@pytest.mark.parametrize("config", [None, "openai", "prompt_completion", "alpaca", "sharegpt"])
def test_hugging_face_datasets_loads_the_sample_build(sample_build, tmp_path, config):
    import datasets

    datasets.disable_progress_bars()
    loaded = datasets.load_dataset(str(sample_build), config, cache_dir=str(tmp_path / "cache"))
    chat = {s: len((sample_build / f"{s}.jsonl").read_text().splitlines()) for s in loaded}
    assert set(loaded) == {"train", "validation"}
    assert {s: loaded[s].num_rows for s in loaded} == chat


def test_no_email_secret_or_real_name_from_sample_data_reaches_any_output(sample_build):
    inputs = _sample_inputs()
    emails = set(re.findall(EMAIL_PATTERN, inputs))
    assert len(emails) >= 5, "sample_data should carry e-mail addresses to redact"
    people = _people_in_sample_data()
    assert {"Jordan Smith", "lchen-dev", "sarah-builds", "Arjun Mehta"} <= people
    secrets = [found for pattern in SECRETS for found in re.findall(pattern, inputs)]
    assert len(secrets) == len(SECRETS), "every planted secret is in sample_data"

    leaks = []
    for name, text in _output_texts(sample_build).items():
        leaks += [(name, e) for e in emails if e in text]
        leaks += [(name, s) for s in secrets if s in text]
        leaks += [(name, p) for p in people if re.search(rf"(?<![\w/.-]){re.escape(p)}\b", text)]
    assert leaks == []


def test_redaction_and_languages_are_counted_in_the_manifest(sample_build):
    manifest = json.loads((sample_build / "manifest.json").read_text())
    redactions = manifest["redactions"]
    for kind in ("email", "person", "ip", "phone", "secret:github", "secret:aws"):
        assert redactions.get(kind, 0) >= 1, kind
    assert manifest["counts"]["records_by_lang"] == {"en": manifest["counts"]["records"]}
    assert manifest["clean"]["comments_dropped"]["noise:bot"] >= 2
    assert manifest["clean"]["comments_dropped"]["noise:plus-one"] >= 1
    assert set(manifest["clean"]["languages"]) >= {"en", "de", "fr"}


def test_confidential_and_bot_tickets_are_dropped_by_policy(sample_build):
    rejected = pl.read_parquet(sample_build / "rejected.parquet")
    reasons = dict(rejected.select("record_id", "reason").iter_rows())
    assert reasons["jira:OPS-36"] == "policy:security-level"
    assert "jira:OPS-37" not in reasons  # kept, with its leaked keys redacted


def test_the_quarantine_names_the_file_and_the_error(sample_build):
    items = [
        json.loads(line) for line in (sample_build / "quarantine.jsonl").read_text().splitlines()
    ]
    broken = [q for q in items if q["origin"].startswith("sample_data/jira/broken-export.json")]
    assert broken and broken[0]["reason"] == "parse:invalid-json"
    assert broken[0]["source"] == "acme-jira" and broken[0]["error"]


def test_pull_requests_and_duplicates_are_rejected_with_reasons(sample_build):
    reasons = pl.read_parquet(sample_build / "rejected.parquet")["reason"].to_list()
    assert "source:pull-request" in reasons
    assert any(r.startswith("dedup:exact-of:") for r in reasons)
    assert any(r.startswith("dedup:near-duplicate-of:") for r in reasons)
    assert "lang:not-allowed" in reasons


def test_two_builds_of_the_same_inputs_are_byte_identical(sample_build, tmp_path):
    code, output = _build(_project(tmp_path))
    assert code == 0, output
    again = tmp_path / "out"
    for name in OUTPUTS:
        assert (again / name).read_bytes() == (sample_build / name).read_bytes(), name


def test_a_failing_expectation_fails_the_build_and_keeps_the_previous_output(tmp_path):
    config = _project(tmp_path)
    code, output = _build(config)
    assert code == 0, output
    before = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    # the user's own pairs suite replaces the shipped one by name
    suite = json.loads((packaged_suites_dir() / "pairs.json").read_text())
    suite["expectations"].append(
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"max_value": 3}}
    )
    (tmp_path / "my-suites").mkdir()
    (tmp_path / "my-suites" / "pairs.json").write_text(json.dumps(suite))
    data = yaml.safe_load(config.read_text())
    data["validate"] = {"expectations": "my-suites"}
    config.write_text(yaml.safe_dump(data))
    code, output = _build(config)
    assert code == 1
    assert "pairs: expect_table_row_count_to_be_between failed" in output
    after = {p: p.read_bytes() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert after == before
    failed = tmp_path / "out.failed"
    assert (failed / "manifest.json").is_file()
    # the build kept the suite it ran, so `dataprep validate` re-runs it from any folder
    assert json.loads((failed / "validation/suites/pairs.json").read_text()) == suite


def test_sample_changelogs_link_to_jira_and_github_issues_and_make_link_pairs(sample_build):
    records = pl.read_parquet(sample_build / "records.parquet")
    release = records.filter(pl.col("record_id") == "changelog:acme-web@4.4.0").row(0, named=True)
    assert release["linked_records"] == [
        "github:acme/widgets#85",
        "jira:ACME-101",
        "jira:ACME-132",
        "jira:ACME-134",
        "jira:ACME-138",
        "jira:ACME-140",
        "jira:OPS-26",
    ]
    assert [e["section"] for e in release["entries"]][:2] == ["added", "added"]
    # The mirrored pair: GitHub #88 names Jira ACME-137, and dedup kept one copy.
    mirror = records.filter(pl.col("record_id") == "github:acme/widgets#88").row(0, named=True)
    assert mirror["same_as"] == ["jira:ACME-137"]
    rejected = pl.read_parquet(sample_build / "rejected.parquet")
    assert ("jira:ACME-137", "dedup:mirror-of:github:acme/widgets#88") in rejected.select(
        "record_id", "reason"
    ).rows()
    lines = [
        json.loads(line)
        for name in ("train.jsonl", "validation.jsonl")
        for line in (sample_build / name).read_text().splitlines()
    ]
    entry_pairs = {
        tuple(x["metadata"]["record_ids"])
        for x in lines
        if x["metadata"]["task"] == "issue_to_changelog_entry"
    }
    assert ("jira:ACME-101", "changelog:acme-web@4.4.0") in entry_pairs
    assert ("github:acme/widgets#85", "changelog:acme-web@4.4.0") in entry_pairs


def test_pairs_sharing_13_words_with_an_evaluation_set_are_rejected(sample_build, tmp_path):
    # An answer of 14+ words (release notes): the prompts' shared instruction would match
    # every pair of a task, and the pairs gate would then fail the build for a task left empty.
    lines = [json.loads(x) for x in (sample_build / "train.jsonl").read_text().splitlines()]
    words = next(w for line in lines if len(w := line["messages"][-1]["content"].split()) >= 14)
    (tmp_path / "evals").mkdir()
    passage = " ".join(words[:14]).upper()  # case and punctuation do not hide a copy
    (tmp_path / "evals" / "qa.jsonl").write_text(
        json.dumps({"messages": [{"role": "user", "content": f"Q: {passage}?"}]}) + "\n"
    )
    dedup = {"threshold": 0.7, "decontaminate": ["evals/qa.jsonl"]}
    code, output = _build(_project(tmp_path, dedup=dedup))
    assert code == 0, output
    rejected = pl.read_parquet(tmp_path / "out" / "rejected.parquet")
    hits = rejected.filter(pl.col("reason") == "decontam:evals/qa.jsonl")
    assert hits.height >= 1
    assert hits["detail"][0].endswith("(13 words)")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["dedup"]["decontaminated"] == {"evals/qa.jsonl": hits.height}


def test_a_second_build_with_an_index_ships_nothing_twice(tmp_path):
    config = _project(tmp_path, dedup={"threshold": 0.7, "index": "shipped"})
    code, output = _build(config)
    assert code == 0, output
    assert len(list((tmp_path / "shipped").glob("part-*.parquet"))) == 1
    # the same inputs again: every record was shipped, so the records gate fails the build
    code, output = _build(config)
    assert code == 1
    rejected = pl.read_parquet(tmp_path / "out.failed" / "rejected.parquet")
    assert rejected.filter(pl.col("reason").str.starts_with("dedup:shipped-before:")).height > 100
    assert len(list((tmp_path / "shipped").glob("part-*.parquet"))) == 1  # failed: not appended


def test_the_cluster_report_explains_every_dedup_rejection(sample_build):
    clusters = pl.read_parquet(sample_build / "clusters.parquet")
    records = pl.read_parquet(sample_build / "records.parquet")
    rejected = pl.read_parquet(sample_build / "rejected.parquet").filter(pl.col("stage") == "dedup")
    removed = set(rejected["record_id"])
    members = {m for ms in clusters["members"] for m in ms}
    assert removed and removed <= members
    assert set(clusters["survivor"]) == set(records["dup_cluster"].drop_nulls())
    assert (clusters["min_similarity"] >= 0.7).all()
    mirror = clusters.filter(pl.col("members").list.contains("jira:ACME-137"))
    assert mirror["survivor"].to_list() == ["github:acme/widgets#88"]
    boilerplate = pl.read_parquet(sample_build / "boilerplate.parquet")
    assert set(boilerplate["text"]) == {"Updated dependencies."}
    assert boilerplate.height == 11
