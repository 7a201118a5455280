"""Built-in tasks: each is a filter on records and the prompt and response it makes of them.

A task is ``fn(records, cfg) -> frame`` with ``task``, ``record_id``, ``prompt``, ``response``
and ``extra_ids`` (the other records the pair was built from, so splits keep them together).
Every prompt and response is text people wrote; nothing is generated. The stage turns these
candidates into chat messages, checks them, and gives them ids and splits.

Choices the tasks make (each is a filter a pair must pass, so a rejected record makes no pair):

- ``issue_to_title``: the title must have at least ``MIN_TITLE_WORDS`` words besides
  placeholders (one- and two-word titles like "Login broken" name an area, not the problem),
  not be in ``pairs.issue_to_title_skip``, and not be the first line of the body, or its start.
- ``triage``: a value listed in ``pairs.triage.default_values`` or the type ``other`` (a tracker
  type dataprep could not map) counts as unset and is ``null``; a record whose priority,
  components and labels are all unset makes no pair, since a type alone is mostly the tracker's
  form default. Labels set by automation, or naming the type or priority again, are dropped;
  components and labels are sorted, so one issue always gets one answer.
- ``bug_to_resolution``: the assignee's last substantive comment up to resolution that says
  what was done (names the fix or reports an action: "Switched to ...", "now streams ..."),
  else their last substantive comment; without one, the last substantive comment that names
  the fix, by anyone but the reporter (whose closing comments confirm a fix rather than make
  it). Plans, guesses and questions ("I'll look into it", "probably", "Can you ...?") never
  count: "Closing." after "Moved the tables out of the dump" picks the latter.
- ``question_to_answer``: a title ending in "?" always asks; one starting with a question word
  asks unless the issue is a bug ("When I save, it crashes" is a report, not a question).
- ``release_qa``: one pair per released version: its entries as a bulleted list under their
  section headings, in the order the notes give them.
- ``duplicate_check``: the answer is ``yes`` or ``no``; the earlier-created issue comes first,
  and lines marking a duplicate ("Duplicate of #12") are taken out of both bodies.

People are compared by their placeholder (``<PERSON:ab12cd>``) when redaction made one, else by
``normalise_name``; ``pairs.maintainers`` must be spelled the way the records spell people.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

import polars as pl

from dataprep.config import DEFAULT_BOTS, PairsConfig
from dataprep.connectors import github
from dataprep.link import build_index, resolve
from dataprep.schema import ISSUE_TYPES, PRIORITIES
from dataprep.text.noise import bots_regex
from dataprep.text.people import is_bot, normalise_name

MIN_TITLE_WORDS = 3
# A comment needs this many words (placeholders, "+1" and thanks not counted) to resolve a bug
# or answer a question: C4 keeps lines of at least 5 words, the quality stage's minimum too.
MIN_COMMENT_WORDS = 5
# "Close with comment" posts the comment and closes the issue within seconds, in either order.
RESOLUTION_GRACE = timedelta(minutes=5)
# duplicate_check shows two issues in one prompt; each body is cut to this many characters.
MAX_DUPLICATE_BODY_CHARS = 2000
QUESTION_WORDS = frozenset((
    "how", "why", "what", "which", "who", "whom", "whose", "where", "when", "is", "are", "was",
    "were", "can", "could", "does", "do", "did", "should", "shall", "will", "would", "may",
    "might", "has", "have",
))  # fmt: skip

_issue = pl.col("kind") == "issue"
_has_body = pl.col("body").fill_null("").str.len_chars() > 0
_has_title = pl.col("title").fill_null("").str.len_chars() > 0
_MARK = r"<[A-Z]+(?::[^>\s]*)?>"
_MARK_RE = re.compile(_MARK)
_PUNCTUATION = re.compile(r"[^\w\s]+")
_HAS_WORD = re.compile(r"\w")
_BOT = re.compile(bots_regex(DEFAULT_BOTS))
# Acknowledgements that carry no content: a comment is measured without them.
_ACK = re.compile(
    r"(?i)\+1+\b|:\+1:|👍|🙏|\bthanks?(?: you)?(?: (?:so|very) much)?\b|\bthx\b|\bcheers\b"
    r"|\bsame (?:here|issue|problem)\b|\bme too\b|\blgtm\b|\bditto\b"
)
# What a comment that names the fix says: a commit, a pull or merge request, a version, or
# the words.
_NAMES_FIX = re.compile(
    r"(?i)\b(?:fixed|resolved|solved|addressed)\s+(?:in|by|with|via)\b"
    r"|\bthe\s+fix\b"
    r"|(?<![\w/#!])(?:[\w.-]+/[\w.-]+)?[#!]\d+\b"
    r"|\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b"
    r"|\bv?\d+\.\d+\.\d+\b|\bv\d+\.\d+\b"
)
# A comment reporting work done: "Added ...", "Switched to ...", "now streams ...", "Fix: ...".
_DONE = re.compile(
    r"(?i)\b(?:added|fixed|switched|moved|changed|removed|replaced|rewrote|rewritten|updated"
    r"|merged|deployed|released|shipped|reverted|patched|bumped|implemented|corrected|renamed"
    r"|disabled|enabled|excluded|backfilled|rotated|upgraded|migrated|reconfigured|refactored"
    r"|increased|decreased|raised|lowered|restored)\b|\bnow\b|^\s*fix(?:ed)?\s*:"
)
# A plan, a guess or a question is not the comment that resolved a bug: "I'll look into it",
# "Not on it yet, the fix is probably ...", "Can you share the logs?".
_SPECULATIVE = re.compile(
    r"(?i)\b(?:i'll|i will|we'll|we will|i'd|we'd|i'm going to|we're going to|taking this"
    r"|not on it|will (?:look|check|investigate)|looking into|probably|maybe|might"
    r"|can you|could you|would you)\b|\?\s*$"
)
# Lines a tracker or a person writes to mark a duplicate; they would give the answer away.
_DUPLICATE_MARK = re.compile(
    r"(?im)^[^\n]*\b(?:duplicates?|dupe|dup)\s+of\b[^\n]*(?:\n|$)"
    r"|^[^\n]*\b(?:closing|closed|marking|marked)\s+(?:this\s+)?as\s+(?:an?\s+)?dup(?:licate|e)?"
    r"\b[^\n]*(?:\n|$)"
)
_SCOPED_LABEL = re.compile(r"::")


def issue_to_title(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """Description -> the title a person gave it, where the title says something."""
    skip = [_fold(title) for title in cfg.issue_to_title_skip]
    title = _fold_expr(pl.col("title"))
    first_line = _fold_expr(
        pl.col("body").str.strip_chars().str.extract(r"^([^\n]*)").str.replace(r"^[#>*+\s-]+", "")
    )
    words = pl.col("title").str.replace_all(_MARK, " ").str.extract_all(r"\S*\w\S*").list.len()
    informative = (
        (words >= MIN_TITLE_WORDS)
        & ~title.is_in(skip)
        & (first_line != title)
        & ~first_line.str.starts_with(pl.concat_str(title, pl.lit(" ")))
    )
    return _as_candidates(
        records.filter(_issue & _has_body & _has_title).filter(informative),
        "issue_to_title",
        pl.concat_str(
            pl.lit("Write a short, specific title for this issue report.\n\n"),
            pl.col("body"),
        ),
        pl.col("title"),
    )


def triage(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """Title and description -> JSON with the type, priority, components and labels people set."""
    everywhere, per_source = _triage_defaults(cfg)
    automation = {label.strip().lower() for label in cfg.triage.automation_labels}
    types = [t for t in ISSUE_TYPES if t != "other" and t not in everywhere.get("type", ())]
    priorities = [p for p in PRIORITIES if p not in everywhere.get("priority", ())]
    instruction = (
        "Triage this issue. Answer with one JSON object with these keys, in this order: "
        f'"type" (one of {_quoted(types)}), '
        f'"priority" (one of {_quoted(priorities)}, or null when nobody set one), '
        '"components" (the product components it concerns, a list, may be empty) and '
        '"labels" (the labels to add, a list, may be empty).\n\n'
    )
    rows = []
    columns = (
        "record_id", "source", "title", "body", "issue_type", "priority", "components", "labels"
    )  # fmt: skip
    issues = records.filter(_issue & _has_body & _has_title)
    for rid, source, title, body, issue_type, priority, components, labels in issues.select(
        columns
    ).iter_rows():
        defaults = per_source.get(source, everywhere)
        labels = [
            label
            for label in _set_values(labels, defaults.get("labels", set()) | automation)
            if not _repeats_triage(label, issue_type, priority)
        ]
        issue_type = _set_value(issue_type, defaults.get("type", set()) | {"other"})
        priority = _set_value(priority, defaults.get("priority", set()))
        components = _set_values(components, defaults.get("components", set()))
        if issue_type is None or not (priority or components or labels):
            continue
        answer = {
            "type": issue_type,
            "priority": priority,
            "components": components,
            "labels": labels,
        }
        prompt = f"{instruction}Title: {title}\n\n{body}"
        response = json.dumps(answer, ensure_ascii=False, separators=(",", ":"))
        rows.append(_row("triage", rid, prompt, response))
    return _frame(rows)


def _triage_defaults(
    cfg: PairsConfig,
) -> tuple[dict[str, set[str]], dict[str, dict[str, set[str]]]]:
    """Return the default values of every source, and per source those plus its own
    (``triage.default_values`` keys ``field`` and ``source.field``), lowercased."""
    everywhere: dict[str, set[str]] = {}
    own: dict[str, dict[str, set[str]]] = {}
    for key, values in cfg.triage.default_values.items():
        source, _, name = key.rpartition(".")
        target = own.setdefault(source, {}) if source else everywhere
        target.setdefault(name, set()).update(v.lower() for v in values)
    per_source = {
        source: {
            name: everywhere.get(name, set()) | fields.get(name, set())
            for name in {*everywhere, *fields}
        }
        for source, fields in own.items()
    }
    return everywhere, per_source


def bug_to_resolution(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """A resolved bug and its discussion -> the comment that resolved it."""
    resolved = _issue & (pl.col("issue_type") == "bug") & (pl.col("status") == "done")
    columns = ("record_id", "title", "body", "author", "assignee", "resolved_at", "comments")
    rows = []
    for rid, title, body, author, assignee, resolved_at, comments in (
        records.filter(resolved & _has_title).select(columns).iter_rows()
    ):
        comments = [c for c in comments or [] if not _by_bot(c)]
        chosen = _resolving_comment(comments, author, assignee, resolved_at)
        if chosen is None:
            continue
        discussion = "\n".join(
            f"{c['author'] or 'Someone'}: {c['body'].strip()}"
            for c in comments[:chosen]
            if (c["body"] or "").strip()
        )
        prompt = (
            "This bug report was resolved. Write the comment that resolved it: what was wrong "
            "and what fixed it, as the person who fixed it would.\n\n"
            f"Title: {title}\n\n{body or ''}".rstrip()
        )
        if discussion:
            prompt += f"\n\nComments so far:\n{discussion}"
        rows.append(_row("bug_to_resolution", rid, prompt, comments[chosen]["body"].strip()))
    return _frame(rows)


def question_to_answer(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """A question asked in a tracker -> the first substantive answer by a maintainer."""
    issues = records.filter(_issue & _has_title)
    named = {_person(m) for m in cfg.maintainers}
    assignees: dict[str, set[str]] = {}
    for project, assignee in issues.select("project", "assignee").iter_rows():
        if assignee:
            assignees.setdefault(project, set()).add(_person(assignee))
    columns = ("record_id", "project", "title", "body", "issue_type", "labels", "author")
    rows = []
    for rid, project, title, body, issue_type, labels, author, comments in issues.select(
        *columns, "comments"
    ).iter_rows():
        if not _asks(title, issue_type, labels):
            continue
        maintainers = named | assignees.get(project, set())
        asker = _person(author) if author else None
        answer = next(
            (
                c["body"].strip()
                for c in comments or []
                if c["author"]
                and _person(c["author"]) in maintainers
                and _person(c["author"]) != asker
                and not _by_bot(c)
                and _substantive(c["body"])
            ),
            None,
        )
        if answer is None:
            continue
        prompt = (
            f"A user of {project} asked the question below. Answer it as a maintainer of "
            f"{project} would.\n\nTitle: {title}\n\n{body or ''}".rstrip()
        )
        rows.append(_row("question_to_answer", rid, prompt, answer))
    return _frame(rows)


def release_notes(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """Project and released version -> the release notes written for it."""
    released = (pl.col("kind") == "release") & pl.col("released_at").is_not_null()
    return _as_candidates(
        records.filter(released & _has_body),
        "release_notes",
        pl.format(
            "Write the release notes for {} version {}, released on {}.",
            "project",
            "version",
            pl.col("released_at").dt.strftime("%Y-%m-%d"),
        ),
        pl.col("body"),
    )


def release_qa(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """ "What changed in PROJECT VERSION?" -> the release's entries under their sections.

    A version is released when it has a number ("Unreleased" sections list plans, not changes);
    a changelog may give no date, so the date is not required.
    """
    releases = records.filter((pl.col("kind") == "release") & (pl.col("entries").list.len() > 0))
    rows = []
    for rid, project, version, entries in releases.select(
        "record_id", "project", "version", "entries"
    ).iter_rows():
        if _unreleased(version):
            continue
        response = _entries_by_section(entries)
        if not response:
            continue
        prompt = (
            f"What changed in {project} {version}? List the changes as bullet points under "
            "the release's section headings (Added, Changed, Fixed and so on)."
        )
        rows.append(_row("release_qa", rid, prompt, response))
    return _frame(rows)


def changes_to_release_notes(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """The issues a release ships (titles and first sentences) -> the notes written for it.

    Only when every issue reference in the notes resolved to one kept issue: a prompt that
    misses some of the changes would teach the model to invent them.
    """
    issues = _issue_texts(records)
    rows = []
    for rel in _releases(records):
        if _unreleased(rel["version"]):
            continue
        ids = {i for per_entry in rel["entry_links"] for i in per_entry}
        if not ids or any(i.startswith("?") or i not in issues for i in ids):
            continue
        changes = "\n".join(
            f"- {issues[i][0]}: {_first_sentence(issues[i][1])}" for i in sorted(ids)
        )
        prompt = (
            f"Write the release notes for {rel['project']} version {rel['version']} "
            f"from the changes it ships:\n\n{changes}"
        )
        rows.append(_row("changes_to_release_notes", rel["record_id"], prompt, rel["body"]))
    return _frame(rows)


def issue_to_changelog_entry(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """An issue -> the changelog line that shipped it.

    Only when the line names exactly one issue (mirrors count as one), and no other line
    names that issue.
    """
    issues = _issue_texts(records)
    found: dict[str, list[tuple[dict, str]]] = {}
    for rel in _releases(records):
        for entry, ids in zip(rel["entries"] or [], rel["entry_links"], strict=True):
            for issue_id in ids:
                found.setdefault(issue_id, []).append((rel, entry["text"] if len(ids) == 1 else ""))
    rows = []
    for issue_id, lines in sorted(found.items()):
        if issue_id not in issues or len(lines) != 1 or not lines[0][1]:
            continue
        rel, text = lines[0]
        title, body = issues[issue_id]
        prompt = f"Write the changelog entry for this change to {rel['project']}.\n\n"
        prompt += f"Title: {title}\n\n{body}"
        rows.append(_row("issue_to_changelog_entry", issue_id, prompt, text, rel["record_id"]))
    return _frame(rows)


def duplicate_check(records: pl.DataFrame, cfg: PairsConfig) -> pl.DataFrame:
    """Two issues -> "yes" if the tracker marked one a duplicate of the other, else "no".

    Positives are the trackers' own markings, resolved to a kept issue of the same source and
    project. Each gets ``pairs.duplicate_negatives`` negatives: issues of the same project
    ranked by a seeded hash, never one known to be the same issue (a duplicate, a duplicate of
    a duplicate, or a mirror in another tracker). ``record_id`` is the duplicate (the
    positive's, or the one the negative was drawn for); ``extra_ids`` the other issue.
    """
    issues = records.filter(_issue & _has_title)
    if issues.is_empty() or not issues["is_duplicate"].fill_null(False).any():
        return _frame([])
    columns = [c for c in _DUPLICATE_COLUMNS if c in issues.columns]
    info = {row["record_id"]: row for row in issues.select(columns).to_dicts()}
    positives = _duplicate_pairs(records, info)
    same = _Groups(info)
    for dup, original in positives:
        same.join(dup, original)
    for rid, row in info.items():
        for mirror in row.get("same_as") or []:
            same.join(rid, mirror)
    # Each project's issues in a seeded order, once; a duplicate's negatives are the next
    # issues from a seeded start in that order, skipping any known to be the same issue. This
    # is O(negatives) per positive instead of a sort of the whole project for each.
    by_project: dict[str, list[str]] = {}
    for rid, row in sorted(info.items()):
        by_project.setdefault(row["project"], []).append(rid)
    for project, rids in by_project.items():
        rids.sort(key=lambda rid: _seeded(cfg.seed, project or "", rid))
    rows = []
    for dup, original in positives:
        rows.append(_duplicate_row(info[dup], info[original], "yes"))
        pool = by_project[info[dup]["project"]]
        start = int(_seeded(cfg.seed, dup)[:12], 16) % len(pool)
        taken = 0
        for step in range(len(pool)):
            if taken == cfg.duplicate_negatives:
                break
            other = pool[(start + step) % len(pool)]
            if not same.same(other, dup):
                rows.append(_duplicate_row(info[dup], info[other], "no"))
                taken += 1
    return _frame(rows)


# What duplicate_check reads of each issue.
_DUPLICATE_COLUMNS = (
    "record_id", "source", "project", "title", "body", "created_at", "same_as", "is_duplicate",
    "duplicate_of", "links",
)  # fmt: skip


def _duplicate_pairs(records: pl.DataFrame, info: dict[str, dict]) -> list[tuple[str, str]]:
    """Return sorted (duplicate, original) ids the trackers marked, both kept, same project.

    The original is ``duplicate_of`` when the tracker named it, else the one link of a marked
    duplicate to an issue of its project (a GitHub issue closed as duplicate that mentions one
    other issue, a Jira "Duplicate" resolution with a single link).
    """
    index = build_index(records.filter(_issue))
    repos = {p for p in records["project"].drop_nulls().to_list() if "/" in p}
    pairs = set()
    for rid, row in info.items():
        if not row.get("is_duplicate"):
            continue
        refs = [row["duplicate_of"]] if row.get("duplicate_of") else row.get("links") or []
        targets = {resolve(ref, index, repos) for ref in refs} - {None, rid}
        targets = {
            t
            for t in targets
            if t in info
            and info[t]["source"] == row["source"]
            and info[t]["project"] == row["project"]
        }
        if len(targets) == 1:
            pairs.add((rid, targets.pop()))
    return sorted(pairs)


def _duplicate_row(dup: dict, other: dict, answer: str) -> dict:
    first, second = sorted((dup, other), key=lambda r: (r["created_at"], r["record_id"]))
    prompt = (
        "Do these two issue reports describe the same problem or request, so that one is a "
        'duplicate of the other? Answer "yes" or "no".\n\n'
        f"Issue 1\nTitle: {first['title']}\n\n{_duplicate_body(first['body'])}\n\n"
        f"Issue 2\nTitle: {second['title']}\n\n{_duplicate_body(second['body'])}"
    )
    return _row("duplicate_check", dup["record_id"], prompt.rstrip(), answer, other["record_id"])


def _duplicate_body(body: str | None) -> str:
    """Return the body without duplicate markings, cut at a line end near the limit."""
    text = _DUPLICATE_MARK.sub("", body or "").strip()
    if len(text) <= MAX_DUPLICATE_BODY_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_DUPLICATE_BODY_CHARS)
    return text[: cut if cut > 0 else MAX_DUPLICATE_BODY_CHARS].rstrip() + "\n[...]"


class _Groups:
    """Union-find over record ids: issues known to be the same (duplicates, mirrors)."""

    def __init__(self, ids: Iterable[str]) -> None:
        self._parent = {i: i for i in ids}

    def find(self, rid: str) -> str:
        root = rid
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        return root

    def join(self, a: str, b: str) -> None:
        self._parent.setdefault(a, a)
        self._parent.setdefault(b, b)
        ra, rb = sorted((self.find(a), self.find(b)))
        self._parent[rb] = ra

    def same(self, a: str, b: str) -> bool:
        return self.find(a) == self.find(b)


def _seeded(seed: int, *parts: str) -> str:
    return hashlib.sha256("\0".join([str(seed), *parts]).encode()).hexdigest()


def _resolving_comment(
    comments: list[dict], author: str | None, assignee: str | None, resolved_at: datetime | None
) -> int | None:
    """Return the index of the comment that resolved the bug, or None.

    The assignee's last substantive comment up to resolution; else the last substantive one
    naming the fix, not by the reporter.
    """
    before = [
        i
        for i, c in enumerate(comments)
        if resolved_at is None
        or c["created_at"] is None
        or c["created_at"] <= resolved_at + RESOLUTION_GRACE
    ]
    usable = [i for i in before if _substantive(comments[i]["body"])]
    if assignee:
        by_assignee = [i for i in usable if _same_person(comments[i]["author"], assignee)]
        # the assignee's last comment that says what was done, else their last that is not a
        # plan, a guess or a question
        done = [i for i in by_assignee if _says_done(comments[i]["body"])]
        plain = [i for i in by_assignee if not _SPECULATIVE.search(comments[i]["body"])]
        if done or plain:
            return (done or plain)[-1]
    naming = [
        i
        for i in usable
        if _says_done(comments[i]["body"])
        and _NAMES_FIX.search(comments[i]["body"])
        and not (author and _same_person(comments[i]["author"], author))
    ]
    return naming[-1] if naming else None


def _says_done(text: str) -> bool:
    """Return whether a comment reports a change made: a past-tense action ("Switched to",
    "now streams"), or a fix named ("fixed in #12") in a comment that is not a plan or guess."""
    return bool(_DONE.search(text) or (_NAMES_FIX.search(text) and not _SPECULATIVE.search(text)))


def _asks(title: str, issue_type: str | None, labels: list[str] | None) -> bool:
    """Return whether the issue asks a question (see the module docstring)."""
    if issue_type == "question" or any(
        label.strip().lower() == "question" for label in labels or []
    ):
        return True
    title = title.strip()
    if title.endswith("?"):
        return True
    first = title.split(maxsplit=1)[0].lower() if title else ""
    return first in QUESTION_WORDS and issue_type != "bug"


def _substantive(text: str | None) -> bool:
    """Return whether a comment says something: enough words besides placeholders and thanks."""
    return _word_count(_ACK.sub(" ", _MARK_RE.sub(" ", text or ""))) >= MIN_COMMENT_WORDS


def _by_bot(comment: dict) -> bool:
    author = (comment["author"] or "").strip()
    return bool(author) and (is_bot(author) or bool(_BOT.match(author)))


def _same_person(a: str | None, b: str | None) -> bool:
    return bool(a and b) and _person(a) == _person(b)


def _person(name: str) -> str:
    """Return the form people are compared in: a placeholder as it is (``normalise_name``
    would take ``<PERSON:ab12cd>`` for an e-mail address and drop it), else the normalised name."""
    name = name.strip()
    return name if _MARK_RE.fullmatch(name) else normalise_name(name)


def _word_count(text: str) -> int:
    return sum(1 for word in text.split() if _HAS_WORD.search(word))


def _fold(text: str | None) -> str:
    """Return text lowercased, without punctuation and with single spaces, for comparing titles
    ("Doesn't work!" and "doesnt work" are one title, "10,000" and "10000" one number)."""
    return " ".join(_PUNCTUATION.sub("", (text or "").lower()).split())


def _fold_expr(expr: pl.Expr) -> pl.Expr:
    """Return ``_fold`` as an expression."""
    return (
        expr.fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\w\s]+", "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def _set_value(value: str | None, unset: set[str]) -> str | None:
    return None if value is None or value.lower() in unset else value


def _set_values(values: list[str] | None, unset: set[str]) -> list[str]:
    kept = {v.strip() for v in values or [] if v and v.strip() and v.strip().lower() not in unset}
    return sorted(kept, key=lambda v: (v.lower(), v))


def _repeats_triage(label: str, issue_type: str | None, priority: str | None) -> bool:
    """Return whether the label only restates the type or priority ("bug", "P1", "type::bug")."""
    plain = _SCOPED_LABEL.sub(": ", label)
    named_type = github.canonical_issue_type(None, [plain])
    named_priority = github.canonical_priority([plain])
    folded = _fold(label)
    return (issue_type is not None and (named_type == issue_type or folded == issue_type)) or (
        priority is not None and (named_priority == priority or folded == priority)
    )


def _unreleased(version: str | None) -> bool:
    """Return whether a version is missing or a changelog's "Unreleased" section."""
    return not version or version.strip().lower() in ("unreleased", "upcoming", "next")


def _quoted(values: list[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


def _entries_by_section(entries: list[dict] | None) -> str:
    """Return the entries as Markdown bullets under ``### Section`` headings, sections in the
    order they first appear; no heading when every entry is unsectioned ("other")."""
    sections: dict[str, list[str]] = {}
    for entry in entries or []:
        text = " ".join((entry["text"] or "").split())
        if text:
            sections.setdefault(entry["section"] or "other", []).append(f"- {text}")
    if list(sections) in ([], ["other"]):
        return "\n".join(sections.get("other", []))
    return "\n\n".join(
        f"### {section.capitalize()}\n" + "\n".join(lines) for section, lines in sections.items()
    )


def _as_candidates(
    frame: pl.DataFrame, task: str, prompt: pl.Expr, response: pl.Expr
) -> pl.DataFrame:
    return frame.select(
        pl.lit(task).alias("task"),
        pl.col("record_id"),
        prompt.alias("prompt"),
        response.alias("response"),
        pl.lit([], dtype=pl.List(pl.String)).alias("extra_ids"),
    )


def _releases(records: pl.DataFrame) -> list[dict]:
    """Return released-notes rows with their entries and resolved links (none before linking)."""
    if "entry_links" not in records.columns:
        return []
    released = records.filter((pl.col("kind") == "release") & _has_body)
    return released.select(
        "record_id", "project", "version", "body", "entries", "entry_links"
    ).to_dicts()


def _issue_texts(records: pl.DataFrame) -> dict[str, tuple[str, str]]:
    issues = records.filter(_issue & _has_body & _has_title)
    return {rid: (t, b) for rid, t, b in issues.select("record_id", "title", "body").iter_rows()}


def _first_sentence(text: str, limit: int = 300) -> str:
    prose = " ".join(line.strip() for line in text.splitlines() if line.strip())
    end = prose.find(". ")
    return (prose[: end + 1] if 0 < end < limit else prose[:limit]).strip()


def _row(task: str, record_id: str, prompt: str, response: str, *more: str) -> dict:
    return {
        "task": task,
        "record_id": record_id,
        "prompt": prompt,
        "response": response,
        "extra_ids": list(more),
    }


def _frame(rows: list[dict]) -> pl.DataFrame:
    schema = {
        "task": pl.String,
        "record_id": pl.String,
        "prompt": pl.String,
        "response": pl.String,
        "extra_ids": pl.List(pl.String),
    }
    return pl.DataFrame(rows, schema=schema)


Task = Callable[[pl.DataFrame, PairsConfig], pl.DataFrame]
TASKS: dict[str, Task] = {
    "issue_to_title": issue_to_title,
    "triage": triage,
    "bug_to_resolution": bug_to_resolution,
    "question_to_answer": question_to_answer,
    "release_notes": release_notes,
    "release_qa": release_qa,
    "changes_to_release_notes": changes_to_release_notes,
    "issue_to_changelog_entry": issue_to_changelog_entry,
    "duplicate_check": duplicate_check,
}
