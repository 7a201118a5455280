"""The CI integrations as a runner runs them: every ``run:`` step of action.yml, and the GitLab
template's script, executed with bash in an empty folder against a wheel of this checkout.

A small emulation of the GitHub runner stands in for GitHub: each step's ``env:`` with its
``${{ }}`` expressions evaluated, ``if:`` conditions, the GITHUB_OUTPUT / GITHUB_ENV /
GITHUB_STEP_SUMMARY files, ``bash --noprofile --norc -eo pipefail`` as ``shell: bash`` runs.
``uses:`` steps are not run: actions/setup-python is the fresh virtual environment first on the
PATH, actions/upload-artifact is checked to get paths that exist. The install step installs the
wheel with PIP_NO_INDEX=1; its dependencies are already there through a ``.pth`` line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from .conftest import fresh_venv

REPO = Path(__file__).resolve().parents[1]
ACTION = REPO / "action.yml"
GITLAB = REPO / "ci" / "gitlab" / "dataprep.gitlab-ci.yml"
USES = ("actions/setup-python@v5", "actions/upload-artifact@v4")
RUN_KEYS = {"name", "id", "if", "shell", "env", "run", "working-directory"}
USES_KEYS = {"name", "id", "if", "uses", "with"}
# the sample's release notes go back to 2023: records gate `released_at-plausible` fails
FAILING_CONFIG = """\
sources:
  - {name: acme-releases, type: changelog, path: sample_data/changelogs/*.md}
validate:
  earliest_date: "2024-06-01"
"""


@dataclass
class Venv:
    bin: Path
    purelib: Path
    wheel: Path


@dataclass
class StepRun:
    key: str  # the step's id, else its name, else what it uses
    outcome: str  # success, failure or skipped, as steps.<id>.outcome
    returncode: int | None = None
    log: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # a `uses:` step's `with:`


@dataclass
class ActionRun:
    steps: list[StepRun]
    outputs: dict[str, str]
    summary: str

    def step(self, key: str) -> StepRun:
        (found,) = (s for s in self.steps if s.key == key)
        return found


@pytest.fixture(scope="module")
def venv(dataprep_wheel, tmp_path_factory) -> Venv:
    """Return a fresh virtual environment without dataprep (the action installs it) and a wheel
    of this checkout; the dependencies resolve from this interpreter's site-packages."""
    tmp = tmp_path_factory.mktemp("ci-venv")
    purelib = fresh_venv(tmp / "venv")
    return Venv(tmp / "venv" / "bin", purelib, dataprep_wheel)


@pytest.fixture(scope="module")
def sample_run(venv, tmp_path_factory) -> tuple[Path, ActionRun]:
    """Run the action once on the sample project in an empty folder: the one full build."""
    workspace = tmp_path_factory.mktemp("github-build")
    shutil.copytree(REPO / "sample_data", workspace / "sample_data")
    shutil.copy(REPO / "dataprep.yaml", workspace / "dataprep.yaml")
    run = run_action({"config": "dataprep.yaml", "package": str(venv.wheel)}, workspace, venv)
    return workspace, run


def test_action_builds_the_sample_and_reports_passed_gates(sample_run, venv):
    workspace, run = sample_run
    assert [(s.key, s.outcome) for s in run.steps] == [
        ("actions/setup-python@v5", "success"),
        ("install", "success"),
        ("build", "success"),
        ("gates", "success"),
        ("summary", "success"),
        ("actions/upload-artifact@v4", "success"),
        ("Fail when a gate failed", "success"),
    ], _logs(run)
    assert run.outputs["result"] == "passed" and run.outputs["exit-code"] == "0"
    assert int(run.outputs["pairs"]) > 200 and int(run.outputs["records"]) > 100
    assert run.outputs["output"] == str((workspace / "out").resolve())
    junit = ET.parse(run.outputs["junit"]).getroot()
    assert len(list(junit.iter("testcase"))) > 30 and junit.get("failures") == "0"
    assert "### dataprep gates passed" in run.summary and "| pairs |" in run.summary
    gates_log = run.step("gates").log
    assert "::notice title=dataprep::gate pairs passed" in gates_log
    assert "::error" not in gates_log
    assert "::warning " in gates_log and "resolved-not-before-created" in gates_log
    code = "import dataprep; print(dataprep.__file__)"
    where = _check([venv.bin / "python", "-c", code], cwd=workspace)
    assert Path(where.strip()).is_relative_to(venv.purelib), where
    uploaded = run.step("actions/upload-artifact@v4").inputs["path"].splitlines()
    assert sorted(Path(p).name for p in uploaded) == ["README.md", "manifest.json", "validation"]


def test_action_reports_a_tampered_build_then_fails_the_job(sample_run, venv, tmp_path):
    shutil.copytree(sample_run[0] / "out", tmp_path / "out")
    (tmp_path / "out" / "validation.jsonl").unlink()  # the validation share drops to 0
    older = tmp_path / "out.failed" / "manifest.json"  # a failed build before this one
    older.parent.mkdir()
    older.write_text("{}")
    os.utime(older, (0, 0))
    run = run_action({"command": "validate", "package": str(venv.wheel)}, tmp_path, venv)
    assert run.step("build").outcome == "skipped"
    assert run.outputs["output"] == str((tmp_path / "out").resolve())
    assert run.outputs["result"] == "failed" and run.outputs["exit-code"] == "1"
    errors = [line for line in run.step("gates").log.splitlines() if line.startswith("::error ")]
    assert len(errors) == 1 and "title=dataprep pairs%3A validation-share" in errors[0], errors
    assert run.step("summary").outcome == "success"
    assert "FAILED (exit 1)" in run.summary and "validation-share" in run.summary
    assert run.step("actions/upload-artifact@v4").outcome == "success"
    last = run.step("Fail when a gate failed")
    assert (last.outcome, last.returncode) == ("failure", 1)
    failures = ET.parse(run.outputs["junit"]).getroot().get("failures")
    assert failures == "1"


def test_action_validates_the_failed_folder_when_a_gate_fails_the_build(venv, tmp_path):
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    (tmp_path / "dataprep.yaml").write_text(FAILING_CONFIG)
    (tmp_path / "out.failed").mkdir()  # an earlier run's, to be replaced, not validated
    run = run_action({"package": str(venv.wheel)}, tmp_path, venv)
    assert run.step("build").outcome == "success", _logs(run)
    assert run.step("build").outputs == {"folder": "out.failed"}
    assert not (tmp_path / "out").exists()
    assert run.outputs["output"] == str((tmp_path / "out.failed").resolve())
    assert run.outputs["result"] == "failed" and run.outputs["pairs"] != ""
    assert "dataprep records%3A released_at-plausible" in run.step("gates").log
    assert run.step("actions/upload-artifact@v4").outcome == "success"
    assert run.step("Fail when a gate failed").returncode == 1


def test_action_stops_on_an_unknown_command_with_a_summary_and_no_verdict(venv, tmp_path):
    run = run_action({"command": "deploy"}, tmp_path, venv)
    assert [s.outcome for s in run.steps] == [
        "success",
        "failure",
        "skipped",
        "skipped",
        "success",
        "skipped",
        "skipped",
    ], _logs(run)
    assert run.step("install").returncode == 2
    assert "::error title=dataprep::input command must be build or validate" in _logs(run)
    assert "stopped before the gates" in run.summary and run.outputs["result"] == ""


def test_action_run_scripts_read_inputs_only_through_env():
    for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_gitlab_template_validates_a_build_into_a_junit_report(sample_run, venv, tmp_path):
    shutil.copytree(sample_run[0] / "out", tmp_path / "out")
    done = run_gitlab({"DATAPREP_COMMAND": "validate"}, tmp_path, venv)
    assert done.returncode == 0, done.stdout + done.stderr
    report = tmp_path / gitlab_job()["artifacts"]["reports"]["junit"]
    root = ET.parse(report).getroot()
    assert len(list(root.iter("testcase"))) > 30 and root.get("failures") == "0"
    assert (tmp_path / "dataprep-report" / "manifest.json").is_file()


def test_gitlab_template_reports_the_failed_folder_and_keeps_the_exit_status(venv, tmp_path):
    shutil.copytree(REPO / "sample_data", tmp_path / "sample_data")
    (tmp_path / "dataprep.yaml").write_text(FAILING_CONFIG)
    done = run_gitlab({}, tmp_path, venv)
    assert done.returncode == 1, done.stdout + done.stderr
    job = gitlab_job()
    assert job["artifacts"]["when"] == "always" and job["image"] == "python:3.11-slim"
    report = ET.parse(tmp_path / job["artifacts"]["reports"]["junit"]).getroot()
    assert report.get("failures") == "1"
    assert "released_at-plausible" in ET.tostring(report, encoding="unicode")
    assert (tmp_path / "out.failed").is_dir() and not (tmp_path / "out").exists()
    # validate only: the newest build is the failed one
    shutil.rmtree(tmp_path / "dataprep-report")
    again = run_gitlab({"DATAPREP_COMMAND": "validate"}, tmp_path, venv)
    assert again.returncode == 1, again.stdout + again.stderr
    report = ET.parse(tmp_path / job["artifacts"]["reports"]["junit"]).getroot()
    assert report.get("failures") == "1"


# --- the GitHub runner, as far as action.yml needs it ---------------------------------------


def run_action(given: dict[str, str], workspace: Path, venv: Venv) -> ActionRun:
    """Return the steps' outcomes, the action's outputs and the job summary of one run of
    action.yml with the inputs ``given``, in ``workspace``."""
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    declared = action["inputs"]
    assert set(given) <= set(declared), set(given) - set(declared)
    inputs = {name: str(spec.get("default", "")) for name, spec in declared.items()}
    inputs.update(given)
    steps = action["runs"]["steps"]
    ids = {s["id"] for s in steps if "id" in s}
    context = _Context(inputs, ids)
    runner = workspace.parent / f"{workspace.name}-runner"
    runner.mkdir()
    env = _runner_env(workspace, runner, venv)
    done: list[StepRun] = []
    for i, step in enumerate(steps):
        failed = any(s.outcome == "failure" for s in done)
        if "uses" in step:
            run = _uses_step(step, context, failed)
        else:
            run = _run_step(step, context, failed, env, workspace, runner / f"step{i}")
        done.append(run)
        if "id" in step:
            context.steps[step["id"]] = run
    outputs = {name: context.expand(spec["value"]) for name, spec in action["outputs"].items()}
    summary = "".join(p.read_text() for p in sorted(runner.glob("step*/summary")))
    return ActionRun(done, outputs, summary)


@dataclass
class _Context:
    """The expressions action.yml uses, and only those: anything else fails the test."""

    inputs: dict[str, str]
    ids: set[str]
    steps: dict[str, StepRun] = field(default_factory=dict)

    def value(self, ref: str) -> str:
        match ref.split("."):
            case ["inputs", name] if name in self.inputs:
                return self.inputs[name]
            case ["github", "action_path"]:
                return str(REPO)
            case ["steps", sid, "outputs", name] if sid in self.ids:
                return self.steps[sid].outputs.get(name, "") if sid in self.steps else ""
            case ["steps", sid, "outcome" | "conclusion"] if sid in self.ids:
                return self.steps[sid].outcome if sid in self.steps else ""
        raise AssertionError(f"action.yml: expression {ref!r} is not emulated")

    def expand(self, text: str) -> str:
        """Return ``text`` with each ``${{ ref }}`` replaced by its value."""
        return re.sub(r"\$\{\{\s*(.*?)\s*\}\}", lambda m: self.value(m[1]), str(text))

    def condition(self, expr: str | None, failed: bool) -> bool:
        """Return whether a step with ``if: expr`` runs; without a status function GitHub
        adds ``success() &&``."""
        status = {"always()": True, "success()": not failed, "failure()": failed}
        text = re.sub(r"^\$\{\{(.*)\}\}$", r"\1", (expr or "success()").strip())
        runs, checked_status = True, False
        for term in (t.strip() for t in text.split("&&")):
            if term in status:
                runs, checked_status = runs and status[term], True
            elif m := re.fullmatch(r"([\w.-]+)\s*(==|!=)\s*'([^']*)'", term):
                same = self.value(m[1]).casefold() == m[3].casefold()  # GitHub ignores case
                runs = runs and same == (m[2] == "==")
            else:
                raise AssertionError(f"action.yml: condition {term!r} is not emulated")
        return runs if checked_status else runs and not failed


def _uses_step(step: dict, context: _Context, failed: bool) -> StepRun:
    assert set(step) <= USES_KEYS and step["uses"] in USES, step
    if not context.condition(step.get("if"), failed):
        return StepRun(step["uses"], "skipped")
    given = {k: context.expand(v) for k, v in step.get("with", {}).items()}
    if step["uses"].startswith("actions/upload-artifact"):
        paths = given["path"].splitlines()
        assert given["name"] and paths and all(Path(p).exists() for p in paths), given
    return StepRun(step["uses"], "success", inputs=given)


def _run_step(
    step: dict, context: _Context, failed: bool, env: dict, workspace: Path, files: Path
) -> StepRun:
    assert set(step) <= RUN_KEYS and step.get("shell") == "bash", step
    key = step.get("id") or step["name"]
    if not context.condition(step.get("if"), failed):
        return StepRun(key, "skipped")
    files.mkdir()
    for name in ("output", "env", "summary"):
        (files / name).touch()
    step_env = {
        **env,
        **{k: context.expand(v) for k, v in step.get("env", {}).items()},
        "GITHUB_OUTPUT": str(files / "output"),
        "GITHUB_ENV": str(files / "env"),
        "GITHUB_STEP_SUMMARY": str(files / "summary"),
    }
    (files / "script.sh").write_text(step["run"])
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(files / "script.sh")],
        cwd=workspace / context.expand(step.get("working-directory", ".")),
        env=step_env,
        capture_output=True,
        text=True,
    )
    env.update(_commands_file(files / "env"))
    outcome = "success" if done.returncode == 0 else "failure"
    outputs = _commands_file(files / "output")
    return StepRun(key, outcome, done.returncode, done.stdout + done.stderr, outputs)


def _commands_file(path: Path) -> dict[str, str]:
    """Return the ``name=value`` and ``name<<DELIMITER`` entries of a GITHUB_OUTPUT file."""
    values, lines = {}, iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for part in lines:
                if part == delimiter:
                    break
                body.append(part)
            else:
                raise AssertionError(f"{path}: no closing {delimiter}")
            values[name] = "\n".join(body)
        elif line:
            name, value = line.split("=", 1)
            values[name] = value
    return values


def _runner_env(workspace: Path, runner: Path, venv: Venv) -> dict[str, str]:
    """Return the environment of every step: this one's, less any outer CI's GitHub variables,
    with the fresh virtual environment first on the PATH (what setup-python does)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "RUNNER_"))}
    for name in ("PYTHONPATH", "VIRTUAL_ENV"):
        env.pop(name, None)
    here = str(Path(sys.executable).parent)  # this interpreter's own dataprep must not answer
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != here]
    env.update(
        PATH=os.pathsep.join([str(venv.bin), *path]),
        CI="true",
        GITHUB_ACTIONS="true",
        GITHUB_WORKSPACE=str(workspace),
        GITHUB_ACTION_PATH=str(REPO),
        RUNNER_TEMP=str(runner),
        HF_HOME=str(runner / "hf"),
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def _logs(run: ActionRun) -> str:
    return "\n".join(f"--- {s.key} ({s.outcome})\n{s.log}" for s in run.steps)


# --- the GitLab runner, as far as the template needs it -------------------------------------


def gitlab_job(name: str = "dataprep") -> dict:
    """Return the job ``name`` of the template with what it ``extends`` merged in."""
    jobs = yaml.safe_load(GITLAB.read_text())
    job = dict(jobs[name])
    base = jobs[job.pop("extends")] if "extends" in job else {}
    return {**base, **job, "variables": {**base.get("variables", {}), **job.get("variables", {})}}


def run_gitlab(variables: dict[str, str], workspace: Path, venv: Venv):
    """Run the job's script as GitLab Runner's bash shell does: the lines in one shell with
    ``set -eo pipefail``, the job's variables in the environment."""
    job = gitlab_job()
    env = _runner_env(workspace, workspace.parent / f"{workspace.name}-runner", venv)
    env.update(GITLAB_CI="true", CI_PROJECT_DIR=str(workspace))
    env.update({k: str(v) for k, v in job["variables"].items()})
    env.update(DATAPREP_PACKAGE=str(venv.wheel), **variables)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", "\n".join(job["script"])],
        cwd=workspace,
        env=env,
        capture_output=True,
        text=True,
    )


def _check(args: list, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return result.stdout
