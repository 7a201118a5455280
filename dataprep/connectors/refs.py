"""References to other issues found in free text, for joining records across sources.

One set of patterns for every connector, so ``links`` means the same thing everywhere:
Jira keys (``ACME-12``), GitHub numbers (``#45``, ``acme/web#45``), GitHub issue and pull
request URLs, and Jira ``/browse/KEY`` URLs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GITHUB_URL = re.compile(r"https?://github\.com/([\w.-]+/[\w.-]+)/(?:issues|pull)/(\d+)")
_JIRA_BROWSE_URL = re.compile(r"https?://\S+?/browse/([A-Z][A-Z0-9]+-\d+)(?![\w-])")
_ANY_URL = re.compile(r"https?://\S+")
_LINKED_LABEL = re.compile(r"\[[^\]\n]*\]\((https?://github\.com/[^)\s]+)\)")
_JIRA_KEY = re.compile(r"(?<![\w-])([A-Z][A-Z0-9]+)-(\d+)(?![\w-])")
_REPO_NUMBER = re.compile(r"(?<![\w./-])([A-Za-z0-9][\w.-]*/[\w.-]+)#([1-9]\d*)\b")
# GitHub numbers start at 1; the lookbehind keeps HTML entities (&#39;) and anchors out.
_NUMBER = re.compile(r"(?<![\w&#/])#([1-9]\d*)\b")

# Prefixes that look like Jira keys but are standards and encodings (UTF-8, ISO-8601, SHA-256).
NOT_PROJECT_KEYS = frozenset(
    {"AES", "CVE", "ECMA", "GH", "GPT", "HTTP", "ISO", "PEP", "RFC", "RSA", "SHA", "SSL", "TLS"}
    | {"UTF"}
)


def find_refs(text: str | None, repo: str | None = None) -> set[str]:
    """Return the issue references in ``text``; a bare ``#N`` becomes ``repo#N`` when given."""
    if not text:
        return set()
    # "[#41](https://github.com/o/r/issues/41)": the label repeats the URL, and read alone
    # it would add a second, repo-less spelling of the same reference.
    text = _LINKED_LABEL.sub(r"\1", text)
    refs = {f"{owner_repo}#{n}" for owner_repo, n in _GITHUB_URL.findall(text)}
    refs.update(_JIRA_BROWSE_URL.findall(text))
    # Inside other URLs, "page#12" or "/ABC-1/" are paths and anchors, not references.
    prose = _ANY_URL.sub(" ", text)
    refs.update(f"{p}-{n}" for p, n in _JIRA_KEY.findall(prose) if p not in NOT_PROJECT_KEYS)
    refs.update(f"{owner_repo}#{n}" for owner_repo, n in _REPO_NUMBER.findall(prose))
    refs.update(f"{repo}#{n}" if repo else f"#{n}" for n in _NUMBER.findall(prose))
    return refs


def collect_links(
    texts: Iterable[str | None],
    *,
    structured: Iterable[str] = (),
    own: Iterable[str] = (),
    repo: str | None = None,
) -> list[str]:
    """Return the sorted, unique references in ``texts`` plus ``structured`` ones, minus ``own``.

    ``own`` holds every spelling of the record's own key (``#45`` and ``acme/web#45``).
    """
    found = {ref for ref in structured if ref}
    for text in texts:
        found |= find_refs(text, repo)
    return sorted(found - set(own))


_GH_PREFIXED = re.compile(r"(?<![\w-])GH-([1-9]\d*)\b", re.IGNORECASE)
_MERGE_REQUEST = re.compile(r"(?<![\w&!/])!([1-9]\d*)\b")
_GITLAB_URL = re.compile(r"https?://\S+?/([\w.-]+(?:/[\w.-]+)+)/-/(issues|merge_requests)/(\d+)")
_CVE = re.compile(r"\bCVE-\d{4}-\d{4,}\b", re.IGNORECASE)
# A commit SHA: 7 to 40 hex digits with at least one letter and one digit, so neither a
# number nor an ordinary word ("deadbeef", "facade") counts.
_SHA = re.compile(r"(?<![\w/#-])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{7,40}(?![\w-])")
# "[see below](#2)": a link to an anchor in the same page, not issue 2.
_ANCHOR_TARGET = re.compile(r"\]\(#[^)\s]*\)")
_SPHINX_ROLE = re.compile(r":(?:issue|pr|gh|ghissue|ticket|bug):`~?(?:[^`<]*<)?#?(\d+)>?`")


def find_entry_refs(text: str | None, repo: str | None = None) -> list[str]:
    """Return the sorted references in a release-notes entry.

    Everything ``find_refs`` finds, plus ``GH-123`` (-> ``repo#123``), GitLab ``!123`` and
    GitLab issue/merge-request URLs, Sphinx roles (``:issue:`123```), CVE ids (``CVE-2024-1``,
    upper-case) and commit SHAs (``commit:abc1234``, 7 to 40 hex digits).
    """
    if not text:
        return []
    text = _ANCHOR_TARGET.sub("]", text)
    refs = find_refs(_SPHINX_ROLE.sub(r"#\1", text), repo)
    for path, kind, n in _GITLAB_URL.findall(text):
        refs.add(f"{path}#{n}" if kind == "issues" else f"{path}!{n}")
    prose = _ANY_URL.sub(" ", text)
    refs.update(f"{repo}#{n}" if repo else f"#{n}" for n in _GH_PREFIXED.findall(prose))
    refs.update(f"!{n}" for n in _MERGE_REQUEST.findall(prose))
    refs.update(cve.upper() for cve in _CVE.findall(prose))
    refs.update(f"commit:{sha}" for sha in _SHA.findall(prose))
    return sorted(refs)
