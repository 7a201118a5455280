"""Plain-text release notes as release records, in the layouts projects use.

One module, one style name (``plaintext``); ``variant(text, name)`` tells which layout:

- ``php-news``: PHP's ``NEWS``, versions as ``01 Aug 2024, PHP 8.4.0alpha4`` (``?? ??? ????``
  while unreleased), ``- Extension:`` groups of ``  . `` bullets ending in ``(author)``::

      ?? ??? ????, PHP 9.7.0beta2

      - Core:
        . Fixed bug GH-40817 (Crash when a hook reads itself). (rkovacs)

- ``relnotes``: git's ``Documentation/RelNotes/X.txt``, one file per release: a title
  ``Git v2.97.2 Release Notes``, ``Fixes since v2.97`` sections of `` * `` bullets, and a
  shortlog (``Name (N):`` then indented subjects) that becomes the contributors.
- ``curl``: curl's ``RELEASE-NOTES`` (``curl and libcurl 9.41.0``, `` o `` bullets with ``[N]``
  references resolved through the reference list at the bottom).

Entries get a section from their heading, else from their wording ("Fixed bug" -> fixed,
"is now deprecated" -> deprecated; a CVE id -> security), see ``guess_section``.
"""

from __future__ import annotations

import re

from dataprep.connectors.changelog.model import Entry, Release, clean_version, parse_release_date
from dataprep.connectors.changelog.sections import normalize_section
from dataprep.connectors.refs import find_entry_refs
from dataprep.text.markup import tidy_markdown

_PHP_HEADER = re.compile(
    r"^(?P<date>(?:\d{1,2}|\?\?)\s+(?:[A-Z][a-z]{2}|\?\?\?)\s+(?:\d{4}|\?\?\?\?)),\s+"
    r"(?P<project>[A-Za-z][\w ]*?)\s+v?(?P<version>\d+\.\d+\S*)\s*$"
)
_RELNOTES_TITLE = re.compile(
    r"^(?P<project>[A-Za-z][\w.+-]*(?: [A-Za-z][\w.+-]*)?)\s+v?(?P<version>\d+(?:\.\d+)+\S*)"
    r"\s+Release Notes\s*$",
    re.IGNORECASE,
)
_CURL_TITLE = re.compile(r"^curl and libcurl\s+(?P<version>\d+(?:\.\d+)+\S*)\s*$")


def detect(text: str, name: str) -> bool:
    """Return True for plain-text release notes of a layout this module reads."""
    return variant(text, name) is not None


def variant(text: str, name: str) -> str | None:
    """Return which plain-text layout the file has, or None."""
    lines = text.splitlines()
    first = [x for x in lines[:3] if x.strip()]
    if first and _CURL_TITLE.match(first[0]) and "This release includes the following" in text:
        return "curl"
    if len(first) >= 2 and _RELNOTES_TITLE.match(first[0]) and _rule(first[1], "="):
        return "relnotes"
    if any(_PHP_HEADER.match(x) for x in lines):
        return "php-news"
    return None


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version in the file, in file order."""
    kind = variant(text, name)
    lines = text.splitlines()
    if kind == "php-news":
        return _parse_php_news(lines)
    if kind == "relnotes":
        return _parse_relnotes(lines)
    if kind == "curl":
        return _parse_curl(lines)
    return []


# --- PHP NEWS -----------------------------------------------------------------------------------

_PHP_GROUP = re.compile(r"^-\s+(.+?):\s*$")
_PHP_BULLET = re.compile(r"^\s{1,4}\.\s+(.*)$")
_AUTHOR = re.compile(r"(?<=[.)!?])\s*\(([^()]+)\)\s*$")


def _parse_php_news(lines: list[str]) -> list[Release]:
    starts = [i for i, line in enumerate(lines) if _PHP_HEADER.match(line)]
    releases = []
    for index, start in enumerate(starts):
        header = _PHP_HEADER.match(lines[start])
        assert header is not None
        stop = starts[index + 1] if index + 1 < len(starts) else len(lines)
        body, entries, contributors = _php_body(lines[start + 1 : stop])
        released_at, placeholder = parse_release_date(header.group("date"))
        releases.append(
            Release(
                version=clean_version(header.group("version")),
                line=start + 1,
                released_at=None if placeholder else released_at,
                unreleased=placeholder or released_at is None,
                body=body,
                entries=entries,
                contributors=contributors,
                project=header.group("project").strip(),
            )
        )
    return releases


def _php_body(lines: list[str]) -> tuple[str, list[Entry], list[str]]:
    """Return (Markdown body, entries, authors) of one PHP NEWS version."""
    out: list[str] = []
    items: list[list[str]] = []
    for line in lines:
        group = _PHP_GROUP.match(line)
        bullet = _PHP_BULLET.match(line)
        if group:
            out += ["", f"### {group.group(1)}", ""]
        elif bullet:
            items.append([bullet.group(1).strip()])
            out.append("- " + bullet.group(1).strip())
        elif line.strip() and items and line.startswith(" "):
            items[-1].append(line.strip())
            out.append("  " + line.strip())
        elif line.strip():
            out += ["", line.strip()]
    entries: list[Entry] = []
    contributors: list[str] = []
    for item in items:
        text = " ".join(item)
        author = _AUTHOR.search(text)
        if author:
            contributors += split_names(author.group(1))
            text = text[: author.start()].rstrip()
        entries.append(Entry(guess_section(text), text, find_entry_refs(text)))
    return tidy_markdown("\n".join(out)), entries, _unique(contributors)


# --- git RelNotes -------------------------------------------------------------------------------

_SHORTLOG = re.compile(r"^(?P<name>\S.*?)\s+\((?P<count>\d+)\):\s*$")
_STAR = re.compile(r"^(\s{0,3})\*\s+(.*)$")


def _parse_relnotes(lines: list[str]) -> list[Release]:
    title = _RELNOTES_TITLE.match(lines[0].strip()) or _RELNOTES_TITLE.match(
        next(x for x in lines if x.strip()).strip()
    )
    assert title is not None
    start = next(i for i, x in enumerate(lines) if x.strip()) + 2
    body_lines, contributors = _split_shortlog(lines[start:])
    out: list[str] = []
    entries: list[Entry] = []
    section = "other"
    current: list[str] | None = None
    items: list[tuple[str, list[str]]] = []
    underline = -1
    for i, line in enumerate(body_lines):
        following = body_lines[i + 1] if i + 1 < len(body_lines) else ""
        star = _STAR.match(line)
        if i == underline:
            continue
        if line.strip() and _rule(following, "-=") and not line.startswith(" "):
            section = _relnotes_section(line.strip())
            current = None
            underline = i + 1
            out += ["", f"### {line.strip()}", ""]
        elif star:
            current = [star.group(2).strip()]
            items.append((section, current))
            out.append("- " + star.group(2).strip())
        elif current is not None and line.startswith(" ") and line.strip():
            current.append(line.strip())
            out.append("  " + line.strip())
        elif not line.strip() or _rule(line, "-="):  # a bare rule only separates the shortlog
            if current is not None:
                current.append("")
            out.append("")
        else:
            current = None
            out.append(line.rstrip())
    for heading, item in items:
        text = " ".join(x for x in item if x)
        entries.append(Entry(guess_section(text, heading), text, find_entry_refs(text)))
    project = title.group("project")
    return [
        Release(
            version=clean_version(title.group("version")),
            line=1 + next(i for i, x in enumerate(lines) if x.strip()),
            released_at=None,
            unreleased=False,
            body=tidy_markdown("\n".join(out)),
            entries=entries,
            contributors=contributors,
            project=project,
        )
    ]


def _relnotes_section(title: str) -> str:
    lowered = title.lower()
    if lowered.startswith("fixes since"):
        return "fixed"
    if lowered.startswith(("updates since", "backward compatibility")):
        return "changed"
    return normalize_section(title)


def _split_shortlog(lines: list[str]) -> tuple[list[str], list[str]]:
    """Remove a git shortlog (``Name (N):`` + indented subjects); return (kept, names)."""
    kept: list[str] = []
    names: list[str] = []
    in_log = False
    for line in lines:
        match = _SHORTLOG.match(line)
        if match and not line.startswith(" "):
            names.append(match.group("name"))
            in_log = True
        elif in_log and (line.startswith(" ") or not line.strip()):
            continue
        else:
            in_log = False
            kept.append(line)
    return kept, _unique(names)


# --- curl RELEASE-NOTES -------------------------------------------------------------------------

_CURL_SECTIONS = {
    "changes": "added",
    "bugfixes": "fixed",
    "known bugs": "",  # not changes of this release: body only
}
_CURL_REF = re.compile(r"^\s*\[(\d+)\]\s*=\s*(\S+)")
# curl's bug redirector sends ?i=N to https://github.com/curl/curl/issues/N (issue or PR).
_CURL_BUG = re.compile(r"^https?://curl\.se/bug/\?i=(\d+)$")


def _parse_curl(lines: list[str]) -> list[Release]:
    title = _CURL_TITLE.match(next(x for x in lines if x.strip()))
    assert title is not None
    targets = {m.group(1): m.group(2) for m in map(_CURL_REF.match, lines) if m}
    out: list[str] = []
    items: list[tuple[str, list[str]]] = []
    contributors: list[str] = []
    section: str | None = None
    current: list[str] | None = None
    mode = "body"
    for line in lines[1:]:
        stripped = line.strip()
        intro = re.match(r"^This release includes the following (.+?):\s*$", stripped)
        if intro:
            name = intro.group(1).lower()
            section = _CURL_SECTIONS.get(name, normalize_section(name))
            mode, current = "list", None
            out += ["", f"### {intro.group(1).capitalize()}", ""]
        elif stripped.startswith("Planned upcoming removals"):
            section, mode, current = "deprecated", "list", None
            out += ["", "### Planned upcoming removals", ""]
        elif stripped.startswith("This release would not have looked like this"):
            mode = "contributors"
        elif stripped.startswith("References to bug reports"):
            mode = "references"
        elif mode == "contributors":
            names = [n.strip() for n in stripped.split(",")] if not stripped.endswith(":") else []
            contributors += [n for n in names if n and not n.startswith("(")]
        elif mode == "references":
            continue
        elif mode == "list" and stripped.startswith("o "):
            current = [stripped[2:].strip()]
            if section:
                items.append((section, current))
            out.append("- " + _curl_links(current[0], targets))
        elif mode == "list" and current is not None and line.startswith("   ") and stripped:
            current.append(stripped)
            out.append("  " + _curl_links(stripped, targets))
        elif stripped:
            current = None
            out.append(stripped)
        else:
            out.append("")
    entries = []
    for section_name, item in items:
        text = " ".join(item)
        numbers = re.findall(r"\[(\d+)\]", text)
        clean = re.sub(r"\s*\[\d+\]", "", text).strip()
        refs = set(find_entry_refs(clean))
        for number in numbers:
            bug = _CURL_BUG.match(targets.get(number, ""))
            if bug:
                refs.add(f"curl/curl#{bug.group(1)}")
        entries.append(Entry(guess_section(clean, section_name), clean, sorted(refs)))
    return [
        Release(
            version=clean_version(title.group("version")),
            line=1 + next(i for i, x in enumerate(lines) if x.strip()),
            released_at=None,
            unreleased=False,
            body=tidy_markdown("\n".join(out)),
            entries=entries,
            contributors=_unique(contributors),
            project="curl",
        )
    ]


def _curl_links(text: str, targets: dict[str, str]) -> str:
    """Return ``[23]`` markers as Markdown links to the reference list's URLs."""
    return re.sub(
        r"\[(\d+)\]",
        lambda m: f"[[{m.group(1)}]]({targets[m.group(1)]})" if m.group(1) in targets else m[0],
        text,
    )


# --- shared helpers -----------------------------------------------------------------------------

_SECURITY = re.compile(r"\bCVE-\d{4}-\d+|\bGHSA-[\w]{4}-", re.IGNORECASE)
_LEADING_TAG = re.compile(r"^(?:\[[^\]]*\]\([^)]*\)|#\d+|gh-\d+)?\s*:?\s*([A-Z]{2,6})\s*:\s")
_VERBS = [
    (
        re.compile(r"^(?:fix(?:e[ds])?|fixing|bug\b|bugfix|resolved?|corrected|repaired)", re.I),
        "fixed",
    ),
    (
        re.compile(r"\b(?:is|are|has been|have been|was|were) (?:now |been )?deprecated\b", re.I),
        "deprecated",
    ),
    (re.compile(r"^deprecat(?:e[ds]?|ing)\b", re.I), "deprecated"),
    (re.compile(r"^(?:remov(?:e[ds]?|ing)|drop(?:s|ped)?)\b", re.I), "removed"),
    (
        re.compile(r"^(?:add(?:s|ed)?|implement(?:s|ed)?|introduc(?:e[ds]?)|new\b|support)", re.I),
        "added",
    ),
    (
        re.compile(
            r"^(?:chang(?:e[ds]?)|updat(?:e[ds]?)|improv(?:e[ds]?)|renam(?:e[ds]?)|bump(?:s|ed)?"
            r"|optimi[sz](?:e[ds]?)|refactor(?:s|ed)?|mak(?:e|es)|made|switch(?:ed)?)\b",
            re.I,
        ),
        "changed",
    ),
]


def guess_section(text: str, section: str = "other") -> str:
    """Return the entry's section: a CVE id means security; else the heading's, else wording."""
    if _SECURITY.search(text):
        return "security"
    if section != "other":
        return section
    tag = _LEADING_TAG.match(text)
    if tag and normalize_section(tag.group(1)) != "other":
        return normalize_section(tag.group(1))
    for pattern, name in _VERBS:
        if pattern.search(text):
            return name
    return section


def split_names(text: str) -> list[str]:
    """Return the names in "A, B and C" (an author list), trimmed."""
    parts = re.split(r",\s*|\s+and\s+|\s*&\s*", text.strip().rstrip("."))
    return [p.strip() for p in parts if p.strip() and len(p.strip()) <= 60]


def _rule(line: str, chars: str) -> bool:
    s = line.strip()
    return len(s) >= 3 and s[0] in chars and s == s[0] * len(s)


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
