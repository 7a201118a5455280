"""The build config (``dataprep.yaml``): every default lives here, and bad config fails clearly.

Only ``sources`` is required. Relative paths are relative to the folder of the config file.
Errors name the key and the fix, for example
``dedup.treshold: unknown key; did you mean 'threshold'?``.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import types
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

import yaml

CONFIG_NAME = "dataprep.yaml"
SOURCE_TYPES = (
    "jira",
    "github",
    "github_release",
    "gitlab",
    "linear",
    "azure_devops",
    "changelog",
    "generic",
)
FILE_FORMATS = ("json", "jsonl", "csv", "xml")
SURVIVOR_POLICIES = ("most_complete", "latest", "earliest", "preferred_source")
VOCABULARY_FIELDS = {"status_map": "status", "type_map": "issue_type", "priority_map": "priority"}
TASKS = (
    "issue_to_title",
    "triage",
    "bug_to_resolution",
    "question_to_answer",
    "release_notes",
    "release_qa",
    "changes_to_release_notes",
    "issue_to_changelog_entry",
    "duplicate_check",
)
FORMATS = ("chat", "openai", "prompt_completion", "alpaca", "sharegpt", "parquet")
SPLIT_MODES = ("hash", "time", "project")
TRIAGE_FIELDS = ("type", "priority", "components", "labels")
OVER_BUDGET = ("drop", "truncate")
# Titles that say nothing about the issue: issue_to_title skips them (compared lowercased,
# without punctuation).
UNINFORMATIVE_TITLES = (
    "bug", "error", "question", "issue", "problem", "help", "help needed", "feature request",
    "enhancement", "todo", "fix", "test", "untitled", "no title", "crash", "exception",
    "not working", "doesn't work", "does not work", "broken",
)  # fmt: skip
# Labels that bots and workflows set rather than people deciding what the issue is.
AUTOMATION_LABELS = (
    "stale", "needs-triage", "needs triage", "triage", "untriaged", "status: needs triage",
    "dependencies", "renovate", "dependabot", "automated", "bot", "autorelease: pending",
    "lifecycle/stale", "lifecycle/rotten", "needs-information", "awaiting-response",
)  # fmt: skip


class ConfigError(ValueError):
    """The config is missing, unreadable or wrong; the message names the key and the fix."""


@dataclass(frozen=True)
class SourceConfig:
    """One source: files (``path``) or an API (``url``), pulled into a snapshot first."""

    name: str
    type: str
    path: str | None = None  # a file or a glob, relative to the config folder
    url: str | None = None  # API base URL; a source with a url is read by `dataprep pull`
    project: str | None = None  # project key, owner/repo, GitLab path, team or ADO project
    query: str | None = None  # JQL, WIQL or a tracker filter, where the API takes one
    token_env: str | None = None  # environment variable holding the token (never the token)
    user_env: str | None = None  # environment variable holding the user (Jira Cloud e-mail)
    format: str | None = None  # json, jsonl, csv or xml; default from the file extension
    style: str | None = None  # changelog: a release-notes style; default detected per file
    # Native value (any case) -> canonical value; consulted before the connector's defaults.
    status_map: dict[str, str] = field(default_factory=dict)
    type_map: dict[str, str] = field(default_factory=dict)
    priority_map: dict[str, str] = field(default_factory=dict)
    # generic connector: record column -> source field name or JSON path ($.fields.summary)
    fields: dict[str, str] = field(default_factory=dict)

    @property
    def record_source(self) -> str:
        """The ``source`` value this source's records carry: the type, or for ``generic``
        sources the source's name."""
        return self.name if self.type == "generic" else self.type


# Authors whose comments (and issues) are automation, not people: GitHub apps end in "[bot]";
# the rest are the accounts the common services post from. Matched case-insensitively, with
# shell-style wildcards; extend it in the config (``clean.bots``).
DEFAULT_BOTS = [
    "*[bot]",
    "dependabot*",
    "renovate*",
    "github-actions*",
    "codecov*",
    "stale*",
    "mergify*",
    "netlify*",
    "vercel*",
    "sonarcloud*",
    "coveralls*",
    "Automation for Jira",
    "Jira Automation",
    "jenkins*",
    "gitlab-bot",
    "GitLab Bot",
    "Azure Pipelines",
    "Project Collection Build Service*",
]


@dataclass(frozen=True)
class RedactConfig:
    """What is replaced by typed placeholders before anything is written."""

    enabled: bool = True
    # Hosts whose URLs are internal (a host or any of its subdomains): ``<URL:internal>``.
    internal_domains: list[str] = field(default_factory=list)
    # People (authors, assignees, @mentions, Signed-off-by) become <PERSON:xxxxxx>, a keyed
    # HMAC-SHA256 of the name. The key is read from this environment variable; without it a
    # fixed public key is used and the build warns (pseudonyms are then linkable by anyone).
    people: bool = True
    pseudonym_key_env: str = "DATAPREP_PSEUDONYM_KEY"
    # Hex digits of the HMAC kept: 6 gives 16.7M values, so the people of one thread never
    # collide in practice while the placeholder stays short.
    pseudonym_chars: int = 6


@dataclass(frozen=True)
class QualityConfig:
    """Quality rules, each with its reason code; thresholds cite where they come from.

    Gopher = Rae et al. 2021, "Scaling Language Models: Methods, Analysis & Insights from
    Training Gopher", appendix A (MassiveWeb quality filters); C4 = Raffel et al. 2020, "Exploring
    the Limits of Transfer Learning", section 2.2. Both were written for web pages; where a rule
    needs changing for tracker text, the comment says why. Every rule reads the prose view of the
    body (code blocks, URLs, markup and placeholders removed) unless it says otherwise.
    """

    # quality:too-few-words. C4 keeps lines of at least 5 words; Gopher's 50-word document
    # minimum would drop most real bug reports (a sentence plus a stack trace), so the C4 line
    # rule is applied to the whole body. Words are whitespace tokens, and each Han or kana
    # character counts as one (Chinese and Japanese are written without spaces).
    min_words: int = 5
    # quality:too-long. Gopher's upper bound of 100,000 words; beyond it a tracker body is a
    # pasted dump, not an issue.
    max_words: int = 100_000
    # Gopher's ratio and repetition rules below were calibrated on documents of at least 50
    # words (it drops shorter ones outright): on a ten-word body one version number or one
    # repeated phrase moves a ratio past its limit. They apply from this many words up.
    ratio_rules_min_words: int = 50
    # quality:low-alpha. Gopher: at least 80% of words contain an alphabetic character.
    min_alpha_words: float = 0.8
    # quality:repeated-lines. Gopher: drop when more than 30% of lines are duplicates, or
    # duplicate lines hold more than 20% of the characters. Measured on the body's lines outside
    # code blocks (a log repeats lines legitimately).
    max_dup_line_fraction: float = 0.3
    max_dup_line_char_fraction: float = 0.2
    # quality:repeated-ngrams. Gopher: the most frequent word 2-, 3- and 4-gram may cover at most
    # 20%, 18% and 16% of the characters. The repetition rules judge issues only: release notes
    # repeat their phrasing by nature (templated entries are the dedup stage's boilerplate rule).
    max_top_ngram_fraction: dict[str, float] = field(
        default_factory=lambda: {"2": 0.20, "3": 0.18, "4": 0.16}
    )
    # quality:mostly-code. Our own rule, not from the papers: a body whose prose is under 10% of
    # its characters (the rest code blocks, logs or markup) gives no natural-language prompt.
    min_prose_fraction: float = 0.1
    # quality:placeholder. Bodies that, with template scaffolding removed, say nothing:
    # matched case-insensitively against the whole prose.
    placeholders: list[str] = field(
        default_factory=lambda: [
            "n/a",
            "na",
            "none",
            "tbd",
            "todo",
            "-",
            ".",
            "see title",
            "as title",
            "title says it all",
            "no description",
            "wip",
        ]
    )


@dataclass(frozen=True)
class PolicyConfig:
    """Access policy: confidential tickets never reach a dataset (reasons ``policy:*``)."""

    # Records with a security level (Jira issue security, GitLab confidential) are dropped
    # unless their level is listed here: restricted visibility is the safe reading.
    allow_security_levels: list[str] = field(default_factory=list)
    # Empty allow lists allow everything; deny lists win over allow lists.
    allow_projects: list[str] = field(default_factory=list)
    deny_projects: list[str] = field(default_factory=list)
    allow_labels: list[str] = field(default_factory=list)
    deny_labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CleanConfig:
    redact: RedactConfig = field(default_factory=RedactConfig)
    quality: QualityConfig = field(default_factory=QualityConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    # Languages kept. ``und`` (too little prose to tell) must be listed to be kept.
    languages: list[str] = field(default_factory=lambda: ["en"])
    # Below this many letters of prose the language is ``und``: langdetect's own authors
    # report it unreliable under about 20 characters.
    lang_min_chars: int = 20
    # Authors that are automation (glob patterns, case-insensitive): their comments are
    # dropped (``noise:bot``) and issues they opened are rejected (``noise:bot-author``).
    bots: list[str] = field(default_factory=lambda: list(DEFAULT_BOTS))
    # Remove issue-template scaffolding: HTML comments, empty sections, unchecked checklists,
    # N/A placeholders.
    strip_templates: bool = True
    # A fenced code or log block longer than this keeps its first and last lines around a
    # "[... N lines truncated ...]" marker.
    max_log_lines: int = 40


@dataclass(frozen=True)
class DedupConfig:
    enabled: bool = True
    # Jaccard similarity of word 3-gram shingles at or above which two records are
    # near-duplicates. Web-corpus work uses 0.8 (Lee et al. 2022, "Deduplicating Training Data
    # Makes Language Models Better"), but a bug re-filed with a sentence or two reworded scores
    # 0.75-0.85 on 3-grams of a 100-word body, so 0.8 misses half of them; 0.7 catches them while
    # unrelated tickets stay far below (under 0.25 in the sample data).
    threshold: float = 0.7
    num_perm: int = 128
    # Word n-grams compared; texts with fewer words match only their exact normalised copies.
    shingle_size: int = 3
    seed: int = 1
    # Which record of a cluster survives: most_complete (longest body, most comments, resolved),
    # latest (updated), earliest (created), preferred_source (the record's ``source`` -- jira,
    # github, gitlab... -- listed first in preferred_sources, then most_complete). Ties by id.
    survivor: str = "most_complete"
    preferred_sources: list[str] = field(default_factory=list)
    # A release entry whose text (case, punctuation, numbers and issue references folded away)
    # appears in at least this many versions of one project is boilerplate ("Updated
    # dependencies") and is removed from the entries and the notes.
    boilerplate_min_versions: int = 3
    # A folder keeping the signatures of every record already shipped; a later build rejects
    # records that duplicate one of them (dedup:shipped-before) and appends its own.
    index: str | None = None
    # Evaluation sets (JSONL with a text or messages field): a pair sharing a word n-gram of
    # decontaminate_ngram words with one of them is rejected (decontam:<file>). 13 words is the
    # GPT-3 paper's contamination n-gram (Brown et al. 2020, appendix C).
    decontaminate: list[str] = field(default_factory=list)
    decontaminate_ngram: int = 13


@dataclass(frozen=True)
class UserTask:
    """A task written in the config: Jinja2 templates over one record's columns."""

    name: str
    # One or more phrasings of the prompt; each record gets one, chosen by a seeded hash.
    prompt: list[str]
    response: str
    system: str | None = None
    # A Polars SQL condition on record columns ("kind = 'issue' AND issue_type = 'bug'").
    when: str | None = None


@dataclass(frozen=True)
class TriageOptions:
    # Canonical values that are the tracker's default rather than a person's choice; a field
    # holding one counts as unset. A key is a field (type, priority, components, labels) for
    # every source, or "<source>.<field>" for one record source: Jira's default priority maps
    # to medium, Azure DevOps' default Priority 2 to high; a GitHub "priority: medium" label
    # is a person's choice.
    default_values: dict[str, list[str]] = field(
        default_factory=lambda: {"jira.priority": ["medium"], "azure_devops.priority": ["high"]}
    )
    # Labels set by bots and workflows, left out of the answer (compared lowercased).
    automation_labels: list[str] = field(default_factory=lambda: list(AUTOMATION_LABELS))


@dataclass(frozen=True)
class SplitConfig:
    # hash: groups by a seeded hash; time: groups whose latest record is on or after
    # `cutoff` go to validation; project: `holdout_projects` go to validation.
    mode: str = "hash"
    cutoff: str | None = None  # YYYY-MM-DD, for mode time
    holdout_projects: list[str] = field(default_factory=list)  # for mode project
    # Each task's validation share may miss validation_fraction by this much (hash mode).
    tolerance: float = 0.05


@dataclass(frozen=True)
class PairsConfig:
    tasks: list[str] = field(default_factory=lambda: list(TASKS))
    user_tasks: list[UserTask] = field(default_factory=list)
    validation_fraction: float = 0.1
    test_fraction: float = 0.0
    seed: int = 42
    system_prompt: str | None = None
    split: SplitConfig = field(default_factory=SplitConfig)
    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    # Token budget of a whole pair (every message). Counted with the Hugging Face tokenizer.json
    # at `tokenizer` when given (read locally, never downloaded), else estimated
    # (dataprep.pairs.tokens). Over budget: `drop` rejects the pair as pairs:over-token-budget,
    # `truncate` cuts the prompt to fit (a response is never cut).
    max_tokens: int = 4096
    tokenizer: str | None = None
    over_budget: str = "drop"
    issue_to_title_skip: list[str] = field(default_factory=lambda: list(UNINFORMATIVE_TITLES))
    triage: TriageOptions = field(default_factory=TriageOptions)
    # People whose comments answer questions, besides each project's assignees.
    maintainers: list[str] = field(default_factory=list)
    duplicate_negatives: int = 1  # duplicate_check: non-duplicate pairs per duplicate pair

    @property
    def task_names(self) -> list[str]:
        """Every task configured: the built-ins in ``tasks``, then the user tasks."""
        return [*self.tasks, *(t.name for t in self.user_tasks)]


@dataclass(frozen=True)
class CardConfig:
    """The dataset card (out/README.md)."""

    license: str = "other"  # a Hugging Face license id (apache-2.0, cc-by-4.0, ...)
    pretty_name: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class BaselineConfig:
    """How far a build may move from the baseline build before ``--baseline`` fails the gate.

    Shares and rates are compared as absolute differences (0.1 = ten percentage points);
    counts as relative changes. Counts below ``min_count`` in both builds are not compared,
    so that 2 -> 4 redacted phone numbers is not a 100% jump; a task or source that had at
    least that many pairs and now has none always fails.
    """

    max_pairs_decrease: float = 0.2  # per task, per source and in total
    max_pairs_increase: float | None = None  # off: growth is usually new data
    max_drop_rate_increase: float = 0.1  # share of a stage's input dropped for one reason
    max_duplicate_rate_change: float = 0.1  # share of the dedup stage's input removed
    max_language_share_change: float = 0.1  # share of records in one language
    # redactions of one kind per cleaned record: 1.0 fails when the rate doubles or halves
    max_redaction_change: float = 1.0
    min_count: int = 20


@dataclass(frozen=True)
class ValidateConfig:
    enabled: bool = True
    # A folder of your own GX suites (*.json): one named like a shipped suite (records,
    # pairs) replaces it, any other is added. Unset: the suites that ship with dataprep.
    expectations: str | None = None
    # Dates before this are implausible for tracker and release data (suite parameter
    # earliest_date); latest_date is the time of the gate plus one day.
    earliest_date: str = "1990-01-01"
    # The validation share may miss pairs.validation_fraction by this much, or by three
    # binomial standard deviations when there are few pairs.
    split_tolerance: float = 0.05
    data_docs: bool = True  # write GX Data Docs HTML to <output>/validation/docs
    baseline: BaselineConfig = field(default_factory=BaselineConfig)


@dataclass(frozen=True)
class Config:
    sources: list[SourceConfig]
    clean: CleanConfig = field(default_factory=CleanConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    pairs: PairsConfig = field(default_factory=PairsConfig)
    validate: ValidateConfig = field(default_factory=ValidateConfig)
    card: CardConfig = field(default_factory=CardConfig)
    output: str = "out"
    base_dir: Path = field(default=Path("."), compare=False)

    def resolve(self, path: str) -> Path:
        """Return ``path`` made absolute against the config folder."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p

    @property
    def output_dir(self) -> Path:
        return self.resolve(self.output)

    @property
    def snapshots_dir(self) -> Path:
        """Where `dataprep pull` keeps raw API pages, one folder per source."""
        return self.base_dir / ".dataprep" / "snapshots"

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("base_dir")
        return data

    def fingerprint(self) -> str:
        """Return a SHA-256 of the effective config (defaults included), for the manifest."""
        blob = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()


def find_config(path: str | Path | None = None) -> Path:
    """Return the config path given, or ``dataprep.yaml`` in the current folder."""
    candidate = Path(path) if path is not None else Path.cwd() / CONFIG_NAME
    if not candidate.is_file():
        if path is None:
            raise ConfigError(
                f"no {CONFIG_NAME} in {Path.cwd()}; create one (see README) or pass --config PATH"
            )
        raise ConfigError(f"config file not found: '{path}'; check the path given to --config")
    return candidate


def load_config(path: str | Path | None = None) -> Config:
    """Return the validated config from ``path`` (or ``./dataprep.yaml``)."""
    config_path = find_config(path)
    try:
        data = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f":{mark.line + 1}" if mark else ""
        raise ConfigError(f"{config_path}{where}: not valid YAML ({err})") from None
    return parse_config(data or {}, base_dir=config_path.resolve().parent)


def parse_config(data: Any, base_dir: Path = Path(".")) -> Config:
    """Return a ``Config`` from parsed YAML, or raise ``ConfigError`` naming the bad key."""
    if not isinstance(data, dict):
        raise ConfigError("config: expected a mapping with at least 'sources'")
    if "sources" not in data:
        raise ConfigError("sources: missing; list at least one {name, type, path}")
    cfg = _load(Config, {k: v for k, v in data.items()}, "", skip=("base_dir",))
    cfg = dataclasses.replace(cfg, base_dir=base_dir)
    _check_semantics(cfg)
    return cfg


def _check_semantics(cfg: Config) -> None:
    if not cfg.sources:
        raise ConfigError("sources: empty; list at least one {name, type, path}")
    names = set()
    for i, src in enumerate(cfg.sources):
        _check_source(i, src)
        if src.name in names:
            raise ConfigError(
                f"sources[{i}].name: {src.name!r} is used twice; names must be unique"
            )
        names.add(src.name)
    for i, task in enumerate(cfg.pairs.tasks):
        if task not in TASKS:
            raise ConfigError(
                f"pairs.tasks[{i}]: unknown task {task!r}; use one of {', '.join(TASKS)}"
            )
    _check_pairs(cfg)
    if not 0 <= cfg.dedup.threshold <= 1:
        raise ConfigError("dedup.threshold: must be between 0 and 1")
    if cfg.pairs.max_tokens < 16:
        raise ConfigError("pairs.max_tokens: must be at least 16")
    _iso_date("validate.earliest_date", cfg.validate.earliest_date)
    if cfg.dedup.num_perm < 16:
        raise ConfigError("dedup.num_perm: must be at least 16")
    if cfg.dedup.shingle_size < 1:
        raise ConfigError("dedup.shingle_size: must be at least 1")
    if cfg.dedup.survivor not in SURVIVOR_POLICIES:
        raise ConfigError(
            f"dedup.survivor: unknown policy {cfg.dedup.survivor!r};"
            f" use one of {', '.join(SURVIVOR_POLICIES)}"
        )
    if cfg.dedup.survivor == "preferred_source" and not cfg.dedup.preferred_sources:
        raise ConfigError(
            "dedup.preferred_sources: list record sources (jira, github...), best first"
        )
    if cfg.dedup.decontaminate_ngram < 5:
        raise ConfigError("dedup.decontaminate_ngram: must be at least 5 words")
    fractions = cfg.pairs.validation_fraction + cfg.pairs.test_fraction
    if cfg.pairs.validation_fraction < 0 or cfg.pairs.test_fraction < 0 or fractions >= 1:
        raise ConfigError(
            "pairs.validation_fraction + pairs.test_fraction: must be >= 0 and below 1"
        )


def _check_pairs(cfg: Config) -> None:
    pairs = cfg.pairs
    _one_of("pairs.split.mode", pairs.split.mode, SPLIT_MODES)
    _one_of("pairs.over_budget", pairs.over_budget, OVER_BUDGET)
    for i, fmt in enumerate(pairs.formats):
        _one_of(f"pairs.formats[{i}]", fmt, FORMATS)
    if pairs.split.mode == "time":
        if pairs.split.cutoff is None:
            raise ConfigError("pairs.split.cutoff: required when mode is time (YYYY-MM-DD)")
        _iso_date("pairs.split.cutoff", pairs.split.cutoff)
    for key in pairs.triage.default_values:
        _one_of(f"pairs.triage.default_values.{key}", key.rpartition(".")[2], TRIAGE_FIELDS)
    if pairs.split.mode == "project" and not pairs.split.holdout_projects:
        raise ConfigError("pairs.split.holdout_projects: list the projects to hold out")
    if pairs.tokenizer is not None and not cfg.resolve(pairs.tokenizer).is_file():
        raise ConfigError(
            f"pairs.tokenizer: no file at '{pairs.tokenizer}'; give the path of a local "
            "Hugging Face tokenizer.json (dataprep never downloads one)"
        )
    names = set(TASKS)
    for i, task in enumerate(pairs.user_tasks):
        if task.name in names:
            raise ConfigError(
                f"pairs.user_tasks[{i}].name: {task.name!r} is taken; task names must be unique"
            )
        names.add(task.name)
        from dataprep.pairs.user_tasks import UserTaskError, check_user_task

        try:
            check_user_task(task)
        except UserTaskError as err:
            raise ConfigError(f"pairs.user_tasks[{i}] ({task.name}): {err}") from None


def _iso_date(key: str, value: str) -> None:
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"{key}: {value!r} is not a date (YYYY-MM-DD)") from None


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{key}: {value!r} is not one of {', '.join(allowed)}")


def _check_source(i: int, src: SourceConfig) -> None:
    from dataprep.schema import ISSUE_TYPES, PRIORITIES, RECORD_SCHEMA, STATUSES

    key = f"sources[{i}]"
    if src.type not in SOURCE_TYPES:
        raise ConfigError(
            f"{key}.type: unknown type {src.type!r}; use one of {', '.join(SOURCE_TYPES)}"
        )
    if (src.path is None) == (src.url is None):
        raise ConfigError(f"{key}: give exactly one of 'path' (files) or 'url' (an API to pull)")
    if src.url is not None and src.type in ("changelog", "generic"):
        raise ConfigError(f"{key}.url: a {src.type} source reads files; use 'path'")
    if src.format is not None and src.format not in FILE_FORMATS:
        raise ConfigError(
            f"{key}.format: unknown format {src.format!r}; use one of {', '.join(FILE_FORMATS)}"
        )
    if src.style is not None:
        from dataprep.connectors.changelog import STYLES

        if src.type != "changelog" or src.style not in STYLES:
            raise ConfigError(
                f"{key}.style: {src.style!r} is not a changelog style;"
                f" use one of {', '.join(STYLES)}"
            )
    allowed = {"status_map": STATUSES, "type_map": ISSUE_TYPES, "priority_map": PRIORITIES}
    for name, values in allowed.items():
        for native, canonical in getattr(src, name).items():
            if canonical not in values:
                raise ConfigError(
                    f"{key}.{name}.{native}: {canonical!r} is not canonical;"
                    f" use one of {', '.join(values)}"
                )
    for column in src.fields:
        if column not in RECORD_SCHEMA:
            raise ConfigError(f"{key}.fields.{column}: not a record column; see dataprep/schema.py")
    if src.type == "generic" and not src.fields:
        raise ConfigError(
            f"{key}.fields: a generic source needs a field mapping (column: source field)"
        )


def _load(cls: type, data: Any, prefix: str, skip: tuple[str, ...] = ()) -> Any:
    """Build dataclass ``cls`` from ``data``, rejecting unknown keys and wrong types."""
    where = prefix.rstrip(".") or "config"
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping, got {_describe(data)}")
    hints = get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name not in skip}
    for key in data:
        if key not in fields:
            hint = difflib.get_close_matches(str(key), list(fields), n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else f"known keys: {', '.join(fields)}"
            raise ConfigError(f"{prefix}{key}: unknown key; {fix}")
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = _convert(hints[name], data[name], f"{prefix}{name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{prefix}{name}: missing; this key is required")
    return cls(**values)


def _convert(tp: Any, value: Any, key: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(args[0], value, key)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{key}: expected a mapping, got {_describe(value)}")
        _, item = get_args(tp)
        return {str(k): _convert(item, v, f"{key}.{k}") for k, v in value.items()}
    if origin is list:
        if isinstance(value, str) and get_args(tp) == (str,):
            value = [value]  # a single string where a list of strings is expected
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {_describe(value)}")
        (item,) = get_args(tp)
        return [_convert(item, v, f"{key}[{i}]") for i, v in enumerate(value)]
    if dataclasses.is_dataclass(tp):
        return _load(tp, value, f"{key}.")
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {_describe(value)}")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {_describe(value)}")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {_describe(value)}")
        return float(value)
    if tp is str:
        if not isinstance(value, str) or not value:
            raise ConfigError(f"{key}: expected a non-empty string, got {_describe(value)}")
        return value
    raise TypeError(f"unsupported config type {tp!r} for {key}")


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]
