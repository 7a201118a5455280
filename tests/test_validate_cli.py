"""`dataprep validate` on a real build: exit codes, every report format, baseline drift."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from dataprep.baseline import compare, metrics
from dataprep.cli import main
from dataprep.config import BaselineConfig

from .test_build import _build, _project


@pytest.fixture
def built(sample_build) -> Path:
    return sample_build


@pytest.fixture
def out(built, tmp_path) -> Path:
    """A private copy of the build, free to tamper with."""
    copy = tmp_path / "out"
    shutil.copytree(built, copy)
    return copy


def _validate(*args: str):
    return CliRunner().invoke(main, ["validate", *args])


def _leak_an_email(out: Path) -> int:
    """Put an e-mail address into every body; return the number of records."""
    records = pl.read_parquet(out / "records.parquet")
    records = records.with_columns(pl.col("body").str.replace(r"^", "Mail ana@acme-corp.io. "))
    records.write_parquet(out / "records.parquet")
    return records.height


def test_text_output_is_a_table_and_exit_0_on_a_good_build(out):
    result = _validate(str(out))
    assert result.exit_code == 0, result.output
    for header in ("expectation", "column", "observed", "examples"):
        assert header in result.output
    assert "record_id-unique" in result.output and "validation-share" in result.output
    assert (out / "validation" / "docs" / "index.html").is_file()


def test_a_failed_expectation_exits_1_and_names_it(out):
    n = _leak_an_email(out)
    result = _validate(str(out))
    assert result.exit_code == 1
    assert f"records: no-email-in-body on 'body' failed: {n} of {n} rows" in result.output
    assert "FAIL" in result.output


def test_usage_errors_exit_2(out, tmp_path):
    assert _validate(str(tmp_path / "nowhere")).exit_code == 2
    assert _validate(str(out), "--format", "yaml").exit_code == 2
    bad = tmp_path / "records.json"
    bad.write_text('{"expectations": [{"type": "expect_nothing_at_all"}]}')
    result = _validate(str(out), "--suite", str(bad))
    assert result.exit_code == 2
    assert "expect_nothing_at_all" in result.output and str(bad) in result.output
    assert _validate(str(out), "--baseline", str(tmp_path)).exit_code == 2


def test_the_gate_expects_the_tasks_the_build_found_candidates_for(out):
    for name in ("train.jsonl", "validation.jsonl"):
        lines = (out / name).read_text().splitlines()
        kept = [x for x in lines if json.loads(x)["metadata"]["task"] != "duplicate_check"]
        assert len(kept) < len(lines) or name == "validation.jsonl"
        (out / name).write_text("".join(x + "\n" for x in kept))
    result = _validate(str(out))
    assert result.exit_code == 1
    assert "missing: duplicate_check" in result.output
    # the manifest's expected_tasks is what the build found candidates for: the gate reads it
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["expected_tasks"].remove("duplicate_check")
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = _validate(str(out))
    assert result.exit_code == 0, result.output


def test_junit_parses_with_one_testcase_per_expectation(out):
    _leak_an_email(out)
    result = _validate(str(out), "--format", "junit")
    assert result.exit_code == 1
    root = ET.parse(out / "validation" / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"records", "pairs"}
    for name, suite in suites.items():
        shipped = json.loads((Path("expectations") / f"{name}.json").read_text())["expectations"]
        cases = suite.findall("testcase")
        assert len(cases) == len(shipped) == int(suite.get("tests"))
        assert {c.get("name") for c in cases} == {e["meta"]["name"] for e in shipped}
    failed = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert failed == ["no-email-in-body"]
    assert suites["records"].get("failures") == "1" and root.get("failures") == "1"
    # the sample data's issue resolved before it was created: a warning, not a failure
    warned = [c.get("name") for c in root.iter("testcase") if c.find("system-out") is not None]
    assert warned == ["resolved-not-before-created"]


def test_github_format_prints_error_and_warning_annotations(out):
    _leak_an_email(out)
    result = _validate(str(out), "--format", "github")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    assert len(errors) == 1 and "title=dataprep records%3A no-email-in-body::" in errors[0]
    assert "file=" in errors[0] and "records.json" in errors[0]
    assert len(warnings) == 1 and "resolved-not-before-created" in warnings[0]
    assert all("\n" not in line for line in lines)


def test_json_format_is_machine_readable(out, tmp_path):
    result = _validate(str(out), "--format", "json", "--output", str(tmp_path / "r.json"))
    assert result.exit_code == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["success"] is True
    assert [g["suite"] for g in data["gates"]] == ["records", "pairs"]
    assert data["gates"][0]["warnings"] == 1


def test_a_user_suite_runs_alone(out, tmp_path):
    suite = tmp_path / "mine.json"
    suite.write_text(
        json.dumps(
            {
                "name": "mine",
                "meta": {"dataprep_frame": "pairs"},
                "expectations": [
                    {
                        "type": "expect_column_values_to_be_in_set",
                        "kwargs": {"column": "task", "value_set": ["triage"]},
                        "meta": {"name": "triage-only"},
                    }
                ],
            }
        )
    )
    result = _validate(str(out), "--suite", str(suite))
    assert result.exit_code == 1
    assert "gate mine: FAILED" in result.output and "gate records" not in result.output
    assert "mine: triage-only on 'task' failed" in result.output


def test_an_unchanged_rebuild_passes_the_baseline(built, tmp_path):
    code, output = _build(_project(tmp_path))
    assert code == 0, output
    result = _validate(str(tmp_path / "out"), "--baseline", str(built))
    assert result.exit_code == 0, result.output
    assert "gate baseline: passed" in result.output


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text())


def test_pairs_down_past_the_threshold_fail_naming_the_metric(out, built):
    manifest = _manifest(out)
    counts = manifest["counts"]
    triage = counts["pairs_by_task"]["triage"]
    counts["pairs_by_task"]["triage"] = int(triage * 0.7)  # -30% > 20%
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = _validate(str(out), "--baseline", str(built))
    assert result.exit_code == 1
    assert "baseline: pairs.task.triage" in result.output
    assert "limit -20% (max_pairs_decrease)" in result.output


@pytest.mark.parametrize(
    ("change", "metric", "limit"),
    [
        (lambda m: m["counts"].update(pairs=int(m["counts"]["pairs"] * 0.5)), "pairs.total", ""),
        (
            lambda m: m["counts"]["records_by_lang"].update(en=m["counts"]["records"] // 2),
            "language_share.en",
            "max_language_share_change",
        ),
        (lambda m: m["redactions"].update(person=5), "redactions.person", "max_redaction_change"),
        (lambda m: _stage(m, "dedup").update(rejected=60), "duplicate_rate", "duplicate_rate"),
        (
            lambda m: _stage(m, "clean")["reasons"].update({"lang:not-allowed": 40}),
            "drop_rate.clean.lang:not-allowed",
            "max_drop_rate_increase",
        ),
        (
            lambda m: m["counts"]["pairs_by_source"].update(jira=0),
            "pairs.source.jira",
            "max_pairs_decrease",
        ),
    ],
)
def test_each_drift_metric_fails_named(built, change, metric, limit):
    before = _manifest(built)
    after = json.loads(json.dumps(before))
    change(after)
    result = compare(after, before, BaselineConfig())
    failed = [o.name for o in result.failures]
    assert failed == [metric]
    assert limit in result.failures[0].observed


def _stage(manifest: dict, name: str) -> dict:
    return next(s for s in manifest["stages"] if s["stage"] == name)


def test_small_counts_are_reported_but_not_judged(built):
    before = _manifest(built)
    after = json.loads(json.dumps(before))
    after["redactions"]["phone"] = 3  # 1 -> 3: +200%, but under min_count
    result = compare(after, before, BaselineConfig())
    assert result.success
    assert {o.name for o in result.outcomes} >= {"redactions.phone", "pairs.total"}


def test_metrics_read_every_family_from_a_real_manifest(built):
    names = set(metrics(_manifest(built)))
    for prefix in (
        "pairs.total",
        "pairs.task.",
        "pairs.source.",
        "drop_rate.clean.",
        "duplicate_rate",
        "language_share.",
        "redactions.",
    ):
        assert any(n.startswith(prefix) for n in names), prefix


def test_the_readme_ci_snippets_use_the_action_and_template_with_inputs_they_have():
    import re

    import yaml

    repo = Path(__file__).resolve().parent.parent
    readme = (repo / "README.md").read_text()
    snippets = [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    step = next(s for s in snippets if isinstance(s, list) and "uses" in s[-1])[-1]
    assert step["uses"].endswith("/dataprep@v1")
    action = yaml.safe_load((repo / "action.yml").read_text())
    assert set(step["with"]) <= set(action["inputs"])
    table = readme[readme.index("| `command` | `build`") : readme.index("Outputs: `result`")]
    assert re.findall(r"^\| `([a-z-]+)` \|", table, re.M) == list(action["inputs"])
    gitlab = next(s for s in snippets if isinstance(s, dict) and "include" in s)
    assert gitlab["include"][0]["remote"].endswith("ci/gitlab/dataprep.gitlab-ci.yml")
    template = yaml.safe_load((repo / "ci/gitlab/dataprep.gitlab-ci.yml").read_text())
    assert set(gitlab["variables"]) <= set(template[".dataprep"]["variables"])


def test_every_build_writes_data_docs_for_both_suites(built):
    docs = built / "validation" / "docs"
    assert (docs / "index.html").is_file()
    pages = sorted(
        p.relative_to(docs / "validations").parts[0]
        for p in docs.rglob("*.html")
        if "validations" in p.parts
    )
    assert pages == ["pairs", "records"]


def test_github_annotations_link_suites_in_the_checkout_but_not_shipped_ones():
    from dataprep.report.gates import to_github
    from dataprep.validate import GateResult, Outcome

    failed = Outcome("expect_column_values_to_be_unique", "pair_id", False, 2, 10, ["a", "a"])
    ours = GateResult("house", 10, [failed], path="checks/house.json")
    shipped = GateResult("pairs", 10, [failed], path="/venv/site-packages/dataprep/x/pairs.json")
    lines = to_github([ours, shipped])
    assert lines[0].startswith("::error file=checks/house.json,title=")
    assert lines[2].startswith("::error title=dataprep pairs%3A ")


# Made up for these tests: an address, a phone number and a GitHub-style token that must never
# reach a report, in any format, while the failure still says where to find them.
EMAIL = "zoe.quint@northwind-mail.io"
PHONE = "+44 20 7946 0958"
TOKEN = "ghp_Zq7Xw2Lm9Kp4Rt8Vn3Bc6Hd1Jf5Gs0Ya2Ue4"  # 36 characters after ghp_
LEAK = f"Reach {EMAIL} or {PHONE}, use {TOKEN} now. "
# a suite of the user's own: a "must not match" pattern, sensitive without saying so
PHONE_SUITE = {
    "name": "phones",
    "meta": {"dataprep_frame": "records"},
    "expectations": [
        {
            "type": "expect_column_values_to_not_match_regex",
            "kwargs": {"column": "body", "regex": r"\+\d{1,3}(?: \d{2,4}){2,4}"},
            "meta": {"name": "no-phone-in-body"},
        }
    ],
}


def _leak_secrets(out: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """Put ``LEAK`` before the first record's body and the first pair's prompt; return a folder
    with the phone suite and where each finding must be reported."""
    records = pl.read_parquet(out / "records.parquet")
    record_id = records["record_id"][0]
    first = pl.col("record_id") == record_id
    records = records.with_columns(
        pl.when(first).then(pl.lit(LEAK) + pl.col("body")).otherwise(pl.col("body")).alias("body")
    )
    records.write_parquet(out / "records.parquet")
    lines = (out / "train.jsonl").read_text().splitlines()
    pair = json.loads(lines[0])
    user = next(m for m in pair["messages"] if m["role"] == "user")
    user["content"] = LEAK + user["content"]
    lines[0] = json.dumps(pair)
    (out / "train.jsonl").write_text("".join(x + "\n" for x in lines))
    all_text = "\n".join(m["content"] for m in pair["messages"])
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "phones.json").write_text(json.dumps(PHONE_SUITE))

    def at(text: str, value: str, skip: int = 0) -> str:
        start = text.index(value) + skip
        return f"{start}:{text.index(value) + len(value)}"

    body = LEAK  # the leak starts the body: offsets in the body are offsets in LEAK
    pair_id = pair["metadata"]["pair_id"]
    # the shipped patterns start inside the value: the e-mail at its "@", the token at its "_"
    where = [
        f"{record_id}: email at body[{at(body, EMAIL, EMAIL.index('@'))}]",
        f"{record_id}: secret:github at body[{at(body, TOKEN, 3)}]",
        f"{record_id}: phone at body[{at(body, PHONE)}]",
        f"{pair_id}: email at all_text[{at(all_text, EMAIL, EMAIL.index('@'))}]",
        f"{pair_id}: secret:github at all_text[{at(all_text, TOKEN, 3)}]",
    ]
    return suites, where


def _everything_written(*folders: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace") for f in folders for p in sorted(f.rglob("*")) if p.is_file()
    )


@pytest.mark.parametrize("fmt", ["text", "json", "junit", "github"])
def test_caught_secrets_are_reported_by_place_never_by_value_in_every_format(out, tmp_path, fmt):
    suites, where = _leak_secrets(out, tmp_path)
    reports = tmp_path / "reports"
    reports.mkdir()
    args = [str(out), "--expectations", str(suites), "--format", fmt]
    if fmt in ("json", "junit"):
        args += ["--output", str(reports / f"report.{fmt}")]
    result = _validate(*args)
    assert result.exit_code == 1, result.output
    shown = result.output + _everything_written(reports, out / "validation")
    for value in (EMAIL, PHONE, TOKEN, TOKEN[4:], EMAIL.split("@")[0], EMAIL.split("@")[1]):
        assert value not in shown
    for name in ("no-email-in-body", "no-secret-in-body", "no-phone-in-body"):
        assert name in shown
    if fmt != "github":  # annotations show three examples, shortened
        for place in where:
            assert place in shown, place
    if fmt == "json":
        gates = json.loads((reports / "report.json").read_text())["gates"]
        results = {r["name"]: r for g in gates for r in g["results"]}
        assert results["no-email-in-body"]["sensitive"] is True
        assert results["no-email-in-body"]["examples"] == [where[0]]
        assert results["record_id-unique"]["sensitive"] is False


def test_a_build_reports_caught_secrets_by_place_in_its_validation_folder(tmp_path):
    config = _project(tmp_path, clean={"languages": ["en"], "redact": {"enabled": False}})
    issues_path = tmp_path / "sample_data" / "github" / "issues.json"
    issues = json.loads(issues_path.read_text())
    issues[0]["body"] = LEAK + (issues[0]["body"] or "")
    issues_path.write_text(json.dumps(issues))
    code, output = _build(config)
    assert code == 1, output
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("out") and p.is_dir()]
    assert EMAIL in pl.read_parquet(folder / "records.parquet")["body"].str.join("").item()
    shown = output + _everything_written(folder / "validation")
    for value in (EMAIL, TOKEN):
        assert value not in shown
    records = json.loads((folder / "validation" / "records.json").read_text())
    failed = {r["name"]: r for r in records["results"] if not r["success"]}
    assert any(": email at body[" in e for e in failed["no-email-in-body"]["examples"])
    assert any(": secret:github at body[" in e for e in failed["no-secret-in-body"]["examples"])
