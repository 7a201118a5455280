"""reStructuredText release notes as release records, in the four layouts projects use.

One module, one style name (``rst``); ``variant(text, name)`` tells which layout a file has:

- ``release-notes``: one file per release, Sphinx ``docs/releases/X.txt`` style::

      ==========================
      Acme 7.2.1 release notes
      ==========================
      *March 3, 2031*

  and numpy / pandas "whatsnew" pages (``What's new in 2.9.4 (March XX, 2031)``, contributor
  lists with ``+`` markers, ``{{ header }}`` lines, ``.. contributors::`` directives).
- ``versions``: many versions in one file, each an underlined heading: Pallets
  (``Version 2.0.0`` then ``Released 2031-04-09`` or ``Unreleased``) and towncrier
  (``acme 1.2.0 (2024-01-31)`` with ``Features`` / ``Bugfixes`` sections).
- ``news-d``: CPython ``Misc/NEWS.d`` blurbs with ``.. gh-issue:`` / ``.. section:`` /
  ``.. release date:`` metadata, separated by bare ``..`` lines.
- ``change-fragments``: SQLAlchemy ``.. change::`` blocks with ``:tags:`` and ``:tickets:``,
  one unreleased record per fragment file (``id_suffix`` = the file stem), or a whole
  ``.. changelog::`` file with ``:version:`` / ``:released:``.

Bodies are converted to Markdown (headings -> ``###``, bullets -> ``- ``, literal blocks
fenced, Sphinx roles -> text: ``:issue:`12``` -> ``#12``, ``:class:`~a.B``` -> ```B```).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePath

from dataprep.connectors.changelog.model import Entry, Release, clean_version, parse_release_date
from dataprep.connectors.changelog.plaintext import guess_section, split_names
from dataprep.connectors.changelog.sections import normalize_section
from dataprep.connectors.refs import find_entry_refs
from dataprep.text.markup import tidy_markdown

# --- detection ----------------------------------------------------------------------------------

_PUNCT = "=-~^\"'`*+#.:_<>"
_MD_HEADING = re.compile(r"^#{1,6}\s+\S")
_NEWS_META = re.compile(r"^\.\. (?:gh-issue|bpo|section|nonce|release date|date):\s*(.*?)\s*$")
_NEWS_BLURB_NAME = re.compile(r"\.(?:gh-issue|bpo)-(\d+)\.[\w-]+\.rst$")
_CHANGE = re.compile(r"^(\s*)\.\. change::\s*$")
_CHANGELOG = re.compile(r"^\.\. changelog::\s*$")
_TITLE = re.compile(
    r"^(?:(?P<project>.*?)\s+)?v?(?P<version>\d+(?:\.\d+)+[\w.+-]*)\s+release\s+notes$",
    re.IGNORECASE,
)
_WHATSNEW = re.compile(
    r"^what'?s\s+new\s+in\s+(?:(?P<project>[A-Za-z][\w.-]*)\s+)?v?(?P<version>\d+(?:\.\d+)+[\w.+-]*)"
    r"\s*(?:\((?P<date>[^)]*)\))?\s*$",
    re.IGNORECASE,
)
# "Version 2.0.0", "Release 1.2", "acme 1.2.0 (2024-01-31)", "1.2.0 (2024-01-31)",
# "`23.1.0 <https://...>`_ - 2023-04-16", "v1.2.0 - 2024-01-31".
_VERSION_TITLE = re.compile(
    r"^(?:(?:version|release)\s+|(?P<project>[A-Za-z][\w.-]*(?:\s[A-Za-z][\w.-]*)?)\s+)?"
    r"`?v?(?P<version>\d+(?:\.\d+)+(?:[-.+]?(?:a|b|rc|dev|post|alpha|beta)\d*)*)"
    r"(?:\s*<[^>]+>`_{1,2})?"
    r"\s*(?:\((?P<paren>[^)]*)\)|[-–—:,]\s*(?P<dash>.+))?\s*$",
    re.IGNORECASE,
)


def detect(text: str, name: str) -> bool:
    """Return True for reStructuredText release notes of a layout this module reads."""
    return variant(text, name) is not None


def variant(text: str, name: str) -> str | None:
    """Return which reStructuredText layout the file has, or None."""
    lines = text.splitlines()
    if _NEWS_BLURB_NAME.search(name) or sum(bool(_NEWS_META.match(x)) for x in lines) >= 2:
        return "news-d"
    if any(_CHANGE.match(x) for x in lines) and re.search(r"^\s+:(?:tags|tickets):", text, re.M):
        return "change-fragments"
    if any(_MD_HEADING.match(x) for x in lines):
        return None  # Markdown: its headings are not ours
    headings = _headings(lines)
    if headings and _release_title(headings[0].title):
        return "release-notes"
    if any(_VERSION_TITLE.match(h.title) for h in headings) and _looks_rst(text, name):
        return "versions"
    return None


def _looks_rst(text: str, name: str) -> bool:
    """Markdown setext headings look the same; ask for an RST file name or RST markup."""
    suffix = PurePath(name).suffix.lower()
    return suffix in (".rst", ".txt", "") or bool(re.search(r"``|:\w+:`|^\.\. ", text, re.M))


def parse(text: str, name: str, project: str | None = None) -> list[Release]:
    """Return one release per version in the file, in file order."""
    kind = variant(text, name)
    parsers: dict[str, Callable[[list[str], str], list[Release]]] = {
        "news-d": _parse_news_d,
        "change-fragments": _parse_change_fragments,
        "release-notes": _parse_release_notes,
        "versions": _parse_versions,
    }
    return parsers[kind](text.splitlines(), name) if kind else []


# --- headings -----------------------------------------------------------------------------------


@dataclass
class _Heading:
    line: int  # 0-based index of the title line
    title: str
    style: str  # underline character, doubled when overlined ("==")
    end: int  # index of the first line after the heading


def _is_rule(line: str, length: int) -> bool:
    s = line.rstrip()
    return len(s) >= max(3, length) and s[0] in _PUNCT and s == s[0] * len(s)


def _headings(lines: list[str]) -> list[_Heading]:
    """Return the section titles: a line underlined (and maybe overlined) by punctuation."""
    found: list[_Heading] = []
    i = 0
    in_literal = False
    while i < len(lines) - 1:
        line = lines[i]
        title = line.strip()
        if line.rstrip().endswith("::"):
            in_literal = True
        elif in_literal and line.strip() and not line[0].isspace():
            in_literal = False
        if in_literal or not title or line[0].isspace():
            i += 1
            continue
        over = _is_rule(line, 1) and i + 2 < len(lines) and _is_rule(lines[i + 2], 1)
        if over and lines[i + 1].strip() and lines[i + 2].strip()[0] == title[0]:
            found.append(_Heading(i + 1, lines[i + 1].strip(), title[0] * 2, i + 3))
            i += 3
        elif not _is_rule(line, 1) and _is_rule(lines[i + 1], len(title)):
            found.append(_Heading(i, title, lines[i + 1].strip()[0], i + 2))
            i += 2
        else:
            i += 1
    return found


def _release_title(title: str) -> re.Match[str] | None:
    return _TITLE.match(title) or _WHATSNEW.match(title)


# --- layouts ------------------------------------------------------------------------------------


def _parse_release_notes(lines: list[str], name: str) -> list[Release]:
    """One file, one release: the title names the version, a date line may follow."""
    title = _headings(lines)[0]
    match = _release_title(title.title)
    assert match is not None  # variant() checked it
    rest = lines[title.end :]
    date_text = match.groupdict().get("date")
    for index, line in enumerate(rest):
        if line.strip():
            if date_text is None and re.match(r"^\*[^*].*\*$", line.strip()):
                date_text = line.strip().strip("*")
                rest = rest[index + 1 :]
            break
    released_at, placeholder = parse_release_date(date_text)
    expected = bool(date_text and re.match(r"\s*(?:expected|planned|upcoming)\b", date_text, re.I))
    release = _release_from_body(rest, match.group("version"), title.line + 1)
    release.released_at = None if (placeholder or expected) else released_at
    release.unreleased = placeholder or expected
    release.project = (match.group("project") or "").strip() or None
    return [release]


def _parse_versions(lines: list[str], name: str) -> list[Release]:
    """Many versions in one file: each version heading starts a release, same-level ends it."""
    headings = _headings(lines)
    version_style = next(h.style for h in headings if _VERSION_TITLE.match(h.title))
    starts = [h for h in headings if h.style == version_style]
    releases: list[Release] = []
    for index, heading in enumerate(starts):
        match = _VERSION_TITLE.match(heading.title)
        if not match:
            continue
        stop = len(lines)
        if index + 1 < len(starts):
            stop = starts[index + 1].line - (1 if len(starts[index + 1].style) == 2 else 0)
        body = lines[heading.end : stop]
        date_text = match.group("paren") or match.group("dash")
        first = next((x.strip() for x in body if x.strip()), "")
        status = re.match(
            r"^(?:released?(?:\s+on)?\s+(.+)|(unreleased|in development)\.?)$", first, re.I
        )
        if status:
            date_text = status.group(1) or status.group(2)
            body = body[body.index(next(x for x in body if x.strip())) + 1 :]
        released_at, placeholder = parse_release_date(date_text)
        release = _release_from_body(body, match.group("version"), heading.line + 1)
        release.released_at = None if placeholder else released_at
        release.unreleased = placeholder
        project = match.group("project")
        if project and project.lower() not in ("version", "release"):
            release.project = project
        releases.append(release)
    return releases


_STATUS_LINE = re.compile(r"^(?:released?(?:\s+on)?\s+(.+)|(unreleased|in development)\.?)$", re.I)


def _parse_news_d(lines: list[str], name: str) -> list[Release]:
    """CPython NEWS.d: metadata lines, then the blurb; blurbs separated by a bare ``..``."""
    blurbs: list[tuple[dict[str, str], list[str]]] = []
    meta: dict[str, str] = {}
    text: list[str] = []
    for line in [*lines, ".."]:
        match = _NEWS_META.match(line)
        if line.strip() == "..":
            if meta or any(x.strip() for x in text):
                blurbs.append((meta, text))
            meta, text = {}, []
        elif match and not any(x.strip() for x in text):
            meta[line[3 : line.index(":")].strip()] = match.group(1)
        else:
            text.append(line)
    stem = _stem(name)
    found = re.search(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?)$", stem)
    release_date = next((m["release date"] for m, _ in blurbs if "release date" in m), None)
    released_at, _ = parse_release_date(release_date)
    by_section: dict[str, list[str]] = {}
    entries: list[Entry] = []
    contributors: list[str] = []
    blurb_issue = _NEWS_BLURB_NAME.search(name)
    for meta, blurb in blurbs:
        markdown = rst_to_markdown(blurb)
        issue = meta.get("gh-issue") or (blurb_issue.group(1) if blurb_issue else None)
        label = f"gh-{issue}: " if issue else ""
        by_section.setdefault(meta.get("section", "Other"), []).append(
            "- " + label + markdown.replace("\n", "\n  ")
        )
        joined = _join(markdown)
        refs = set(find_entry_refs(joined))
        if issue:
            refs.add(f"#{issue}")
        section = normalize_section(meta.get("section"))
        entries.append(Entry(guess_section(joined, section), joined, sorted(refs)))
        contributors += _attributed(joined)
    body = "\n\n".join(f"### {s}\n\n" + "\n".join(items) for s, items in by_section.items())
    unreleased = not found
    return [
        Release(
            version=found.group(1) if found else "Unreleased",
            line=1,
            released_at=None if unreleased else released_at,
            unreleased=unreleased,
            body=tidy_markdown(body),
            entries=entries,
            contributors=_unique(contributors),
            id_suffix=stem if unreleased else None,
        )
    ]


def _parse_change_fragments(lines: list[str], name: str) -> list[Release]:
    """SQLAlchemy ``.. change::`` blocks: a fragment file, or ``.. changelog::`` versions."""
    starts = [i for i, line in enumerate(lines) if _CHANGELOG.match(line)]
    if not starts:
        release = _changes_release(lines, "Unreleased", 1)
        release.unreleased = True
        release.id_suffix = _stem(name)
        return [release] if release.entries else []
    releases = []
    for index, start in enumerate(starts):
        block = lines[start : starts[index + 1] if index + 1 < len(starts) else len(lines)]
        options = _options(block[1:])
        version = options.get("version", "")
        if not version:
            continue
        release = _changes_release(block, version, start + 1)
        released_at, placeholder = parse_release_date(options.get("released"))
        release.released_at = None if placeholder else released_at
        release.unreleased = placeholder or not options.get("released")
        releases.append(release)
    return releases


def _changes_release(lines: list[str], version: str, line: int) -> Release:
    entries: list[Entry] = []
    items: list[str] = []
    contributors: list[str] = []
    for i, start in enumerate(lines):
        match = _CHANGE.match(start)
        if not match:
            continue
        block = _indented_block(lines, i + 1, len(match.group(1)))
        options = _options(block)
        content = _after_options(block)
        markdown = rst_to_markdown(_dedent(content))
        description = _join(rst_to_markdown(_dedent(_without_directives(content))))
        tags = [t.strip() for t in options.get("tags", "").split(",") if t.strip()]
        section = next(
            (normalize_section(t) for t in tags if normalize_section(t) != "other"), "other"
        )
        refs = set(find_entry_refs(description))
        for ticket in re.findall(r"\d+", options.get("tickets", "")):
            refs.add(f"#{ticket}")
        for pull in re.findall(r"github:(\d+)", options.get("pullreq", "")):
            refs.add(f"#{pull}")
        entries.append(Entry(guess_section(description, section), description, sorted(refs)))
        items.append(markdown)
        contributors += _attributed(description)
    body = items[0] if len(items) == 1 else "\n".join("- " + x.replace("\n", "\n  ") for x in items)
    return Release(
        version=clean_version(version),
        line=line,
        released_at=None,
        unreleased=False,
        body=tidy_markdown(body),
        entries=entries,
        contributors=_unique(contributors),
    )


# --- one release's body -------------------------------------------------------------------------

_CONTRIBUTOR_TITLES = ("contributors", "authors", "thanks", "credits", "contributors list")
_BOILERPLATE = re.compile(r"^(?:A total of \d+|People with a \"\+\")", re.I)


def _release_from_body(body: list[str], version: str, line: int) -> Release:
    """Return a release from its RST body: Markdown, entries by section, contributors apart."""
    kept, contributors = _split_contributors(body)
    markdown = rst_to_markdown(kept)
    return Release(
        version=clean_version(version),
        line=line,
        released_at=None,
        unreleased=False,
        body=markdown,
        entries=markdown_section_entries(markdown),
        contributors=contributors,
    )


def _split_contributors(body: list[str]) -> tuple[list[str], list[str]]:
    """Remove a contributors section from the body; return (kept lines, names)."""
    headings = _headings(body)
    for index, heading in enumerate(headings):
        if heading.title.lower().rstrip(":") not in _CONTRIBUTOR_TITLES:
            continue
        same = [h for h in headings[index + 1 :] if len(h.style) <= len(heading.style)]
        start = heading.line - (1 if len(heading.style) == 2 else 0)
        stop = same[0].line - (1 if len(same[0].style) == 2 else 0) if same else len(body)
        names = []
        for line in body[heading.end : stop]:
            bullet = re.match(r"^\s*[-*+]\s+(.*?)\s*(?:\+)?\s*$", line)
            if bullet and bullet.group(1):
                names.append(bullet.group(1).strip("* "))
        return body[:start] + body[stop:], names
    return body, []


_MD_LINE_HEADING = re.compile(r"^(#{2,6})\s+(.*)$")
_MD_BULLET = re.compile(r"^(?:[-*+]|\d+[.)])\s+(.*)$")


@dataclass
class _Block:
    level: int
    title: str
    lines: list[str] = field(default_factory=list)


def markdown_section_entries(markdown: str, repo: str | None = None) -> list[Entry]:
    """Return entries from converted notes: top-level bullets, or a heading with prose.

    A heading's section is its own name when it has one, else its parent's. A heading whose
    content opens with prose (numpy "Improved BLAS detection", Django's CVE sections) is one
    entry named by its title; its bullets are details, not entries.
    """
    blocks = [_Block(0, "")]
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        heading = None if in_code else _MD_LINE_HEADING.match(line)
        if heading:
            blocks.append(_Block(len(heading.group(1)), heading.group(2).strip()))
        else:
            blocks[-1].lines.append(line)
    entries: list[Entry] = []
    parents: list[tuple[int, str]] = []
    for block in blocks:
        while parents and parents[-1][0] >= block.level:
            parents.pop()
        own = normalize_section(block.title)
        section = own if own != "other" or not parents else parents[-1][1]
        parents.append((block.level, section))
        items = _bullets(block.lines)
        opening = next((x for x in block.lines if x.strip() and not _BOILERPLATE.match(x)), "")
        if block.level and opening and not _MD_BULLET.match(opening) and own == "other":
            text = block.title
            refs = find_entry_refs(text + "\n" + "\n".join(block.lines), repo)
            entries.append(Entry(guess_section(text, section), text, refs))
            continue
        for text in items:
            entries.append(Entry(guess_section(text, section), text, find_entry_refs(text, repo)))
    return entries


def _bullets(lines: list[str]) -> list[str]:
    """Return the top-level bullets of a block, continuation lines joined."""
    items: list[list[str]] = []
    current: list[str] | None = None
    in_code = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
        bullet = None if in_code else _MD_BULLET.match(line)
        if bullet:
            current = [bullet.group(1)]
            items.append(current)
        elif current is not None and (line.startswith(" ") or in_code):
            current.append(line)
        elif line.strip():
            current = None
    texts = [_join("\n".join(item)) for item in items]
    return [t for t in texts if t]


# --- RST -> Markdown ----------------------------------------------------------------------------

_DIRECTIVE = re.compile(r"^(\s*)\.\.\s+([\w:-]+)::\s*(.*)$")
_COMMENT = re.compile(r"^(\s*)\.\.(?:\s|$)")
_ADMONITIONS = {
    "note": "Note",
    "warning": "Warning",
    "important": "Important",
    "tip": "Tip",
    "hint": "Hint",
    "caution": "Caution",
    "attention": "Attention",
    "danger": "Danger",
    "seealso": "See also",
    "versionadded": "New in version",
    "versionchanged": "Changed in version",
    "deprecated": "Deprecated since version",
    "admonition": "",
}
_CODE_DIRECTIVES = ("code-block", "code", "sourcecode", "highlight", "doctest")
_RST_BULLET = re.compile(r"^(\s*)([-*+•]|#\.|\d+[.)])(\s+|$)(.*)$")


def rst_to_markdown(lines: list[str]) -> str:
    """Return reStructuredText lines as clean Markdown."""
    lines = _join_split_inline("\n".join(lines)).split("\n")
    levels: dict[str, int] = {}
    heads = {h.line: h for h in _headings(lines)}
    skip = {i for h in heads.values() for i in range(h.line - (len(h.style) == 2), h.end)}
    out: list[str] = []
    # (RST text column, Markdown text column, enumerated?) of the open list items
    stack: list[tuple[int, int, bool]] = []
    last_enumerated = -1  # indent of the last enumerated item, which a next item may follow
    i = 0
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if i in heads:
            level = levels.setdefault(heads[i].style, len(levels))
            out += ["", "#" * min(3 + level, 6) + " " + _inline(heads[i].title), ""]
            stack = []
        if i in skip:
            i += 1
            continue
        if not line.strip():
            out.append("")
            i += 1
            continue
        while stack and indent < stack[-1][0]:
            stack.pop()
        column = stack[-1][1] + indent - stack[-1][0] if stack else 0
        directive = _DIRECTIVE.match(line)
        if directive or _COMMENT.match(line) or line.strip().startswith(("{{", "{%")):
            block = _indented_block(lines, i + 1, indent)
            out += _directive(directive, block, column)
            i += 1 + len(block)
            continue
        bullet = _RST_BULLET.match(line)
        enumerated = bool(bullet) and bullet.group(2)[0] in "#0123456789"
        if enumerated and i and lines[i - 1].strip():
            # "2011. Thanks" wrapped onto a new line is prose; a list needs a blank line first
            enumerated = indent == last_enumerated
            bullet = bullet if enumerated else None
        if bullet and not bullet.group(4).strip():
            i += 1
            continue
        if bullet:
            marker = "1." if enumerated else "-"
            last_enumerated = indent if enumerated else last_enumerated
            text_column = indent + len(bullet.group(2)) + len(bullet.group(3))
            stack.append((text_column, column + len(marker) + 1, enumerated))
            prefix, text = " " * column + marker + " ", bullet.group(4).strip()
        else:
            prefix, text = " " * column, line.strip()
        i += 1
        if not text.endswith("::"):
            out.append(prefix + _inline(text))
            continue
        # "text::" introduces an indented literal block: "text:" then the block fenced
        text = text[:-2].rstrip()
        text = text + ":" if text and not line.rstrip().endswith(" ::") else text
        if text or prefix.strip():
            out.append(prefix + _inline(text))
        block = _indented_block(lines, i, indent)
        out += _fence(_dedent(block), stack[-1][1] if stack else column)
        i += len(block)
    return tidy_markdown("\n".join(out))


def _directive(match: re.Match[str] | None, block: list[str], column: int) -> list[str]:
    """Return a directive as Markdown: code fenced, admonitions as a label, the rest dropped."""
    if match is None:
        return []
    name = match.group(2).split(":")[-1].lower()
    argument = match.group(3).strip()
    content = _after_options(_dedent(block))
    pad = " " * column
    if name in _CODE_DIRECTIVES:
        return _fence(content, column, argument if name != "doctest" else "pycon")
    if name in _ADMONITIONS:
        label = " ".join(x for x in (_ADMONITIONS[name], argument) if x)
        inner = rst_to_markdown(content)
        lines = [pad + f"**{label}:**" if label else ""]
        return ["", *lines, *(pad + x if x else "" for x in inner.split("\n")), ""]
    return []


def _fence(block: list[str], column: int, language: str = "") -> list[str]:
    while block and not block[-1].strip():
        block = block[:-1]
    while block and not block[0].strip():
        block = block[1:]
    if not block:
        return []
    pad = " " * column
    return ["", pad + "```" + language, *(pad + x if x else "" for x in block), pad + "```", ""]


def _indented_block(lines: list[str], start: int, indent: int) -> list[str]:
    """Return the lines after ``start`` indented deeper than ``indent`` (blank lines included)."""
    end = start
    last = start
    while end < len(lines):
        line = lines[end]
        if line.strip():
            if len(line) - len(line.lstrip()) <= indent:
                break
            last = end + 1
        end += 1
    return lines[start:last]


def _dedent(block: list[str]) -> list[str]:
    widths = [len(x) - len(x.lstrip()) for x in block if x.strip()]
    cut = min(widths, default=0)
    return [x[cut:] if x.strip() else "" for x in block]


def _without_directives(lines: list[str]) -> list[str]:
    """Return the block without its directives (``.. seealso::`` and its content)."""
    kept: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if _COMMENT.match(line):
            i += 1 + len(_indented_block(lines, i + 1, len(line) - len(line.lstrip())))
            continue
        kept.append(line)
        i += 1
    return kept


def _after_options(block: list[str]) -> list[str]:
    """Return a directive's content: the block without its leading ``:name: value`` lines."""
    for index, line in enumerate(block):
        if line.strip() and not re.match(r"^\s*:[\w-]+:(?:\s|$)", line):
            return block[index:]
    return []


def _options(block: list[str]) -> dict[str, str]:
    """Return a directive's ``:name: value`` options (the lines before its content)."""
    options: dict[str, str] = {}
    for line in block:
        match = re.match(r"^\s*:([\w-]+):\s*(.*?)\s*$", line)
        if match:
            options[match.group(1)] = match.group(2)
        elif line.strip():
            break
    return options


# --- inline markup ------------------------------------------------------------------------------

_SPLIT_LINK = re.compile(r"`([^`<>]*?)\s*<([^`<>]+)>`__?", re.DOTALL)
_SPLIT_ROLE = re.compile(r"(:[\w:+-]+:`)([^`]*\n[^`]*)`")
_INLINE = re.compile(
    r"``(?P<literal>.+?)``(?!`)"
    r"|`(?P<label>[^`<]*?)\s*<(?P<url>[^`>]+)>`__?"
    r"|:(?:py:|c:|std:)?(?P<role>[\w+-]+):`(?P<target>[^`]+)`"
    r"|`(?P<ref>[^`]+)`__?"
    r"|`(?P<plain>[^`]+)`"
)
_NUMBER_ROLES = {"issue", "pr", "pull", "gh", "ghissue", "gh-issue", "gh-pr", "ticket", "bug"}
_TEXT_ROLES = {"ref", "doc", "term", "abbr", "download", "numref", "rfc", "pep"}


def _join_split_inline(text: str) -> str:
    """Join links and roles that wrap across lines, so line-by-line conversion sees them whole."""

    def link(match: re.Match[str]) -> str:
        label = " ".join(match.group(1).split())
        return f"[{label}]({''.join(match.group(2).split())})" if label else match.group(2)

    text = _SPLIT_LINK.sub(link, text)
    return _SPLIT_ROLE.sub(lambda m: m.group(1) + " ".join(m.group(2).split()) + "`", text)


def _inline(text: str) -> str:
    """Return one line's inline RST markup as Markdown."""
    return _INLINE.sub(_inline_one, text)


def _inline_one(match: re.Match[str]) -> str:
    if match.group("literal") is not None:
        return f"`{match.group('literal')}`"
    if match.group("url") is not None:
        label = match.group("label").strip()
        return f"[{label}]({match.group('url').strip()})" if label else match.group("url")
    if match.group("ref") is not None:
        return match.group("ref")
    if match.group("plain") is not None:
        return f"`{match.group('plain')}`"
    role, target = match.group("role").lower(), match.group("target").strip()
    labelled = re.match(r"^(.*?)\s*<([^>]*)>$", target, re.DOTALL)
    if role in _NUMBER_ROLES:
        number = re.search(r"\d+", labelled.group(2) if labelled else target)
        return f"#{number.group(0)}" if number else target
    if role == "cve":
        return target if target.upper().startswith("CVE-") else f"CVE-{target}"
    if role == "pep":
        return f"PEP {target}"
    if role == "rfc":
        return f"RFC {target}"
    if labelled and labelled.group(1):
        return labelled.group(1) if role in _TEXT_ROLES else f"`{labelled.group(1)}`"
    if role in _TEXT_ROLES:
        return target
    if target.startswith("~"):
        target = target[1:].split(".")[-1]
    return f"`{target.lstrip('.!')}`"


# --- helpers ------------------------------------------------------------------------------------

_WORD = r"(?:[A-Z]\.|[A-Z][\w'-]+)"  # "Gregory", "P." (an initial)
_NAME = rf"{_WORD}(?:\s+(?:(?:van|von|de|der|da|del|du|le|la)\s+)?{_WORD})*"
_ATTRIBUTION = re.compile(
    r"\b(?:[Ii]nitial\s+)?(?:[Pp]atch(?:es)?|[Cc]ontributed|[Rr]eported)\s+by\s+"
    rf"({_NAME}(?:(?:,\s*(?:and\s+)?|\s+and\s+){_NAME})*)"
    rf"|\b[Tt]hanks\s+to\s+({_NAME})"
)


def _attributed(text: str) -> list[str]:
    """Return names from "Patch by A and B." / "Thanks to A B for ..." in an entry."""
    names: list[str] = []
    for match in _ATTRIBUTION.finditer(text):
        names += split_names(match.group(1) or match.group(2))
    return names


def _join(markdown: str) -> str:
    """Return Markdown as one line of prose (entry text), code fences kept out."""
    kept: list[str] = []
    in_code = False
    for line in markdown.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if not in_code and line.strip():
            kept.append(line.strip())
    return " ".join(kept)


def _stem(name: str) -> str:
    return PurePath(name).stem.strip()


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(n for n in names if n))
