"""Which source type a file holds, told from its content: one detector per type, one registry.

``identify(path)`` reads a bounded head of the file (``SNIFF_BYTES``, never the whole of a
large export), then asks each detector in ``DETECTORS`` in turn; the first that recognises the
content names the file's source type. File names and extensions never decide it (an
``issues.json`` renamed ``export1.json`` is still GitHub issues); only the changelog styles look
at the name, exactly as ``dataprep.connectors.changelog`` does when it reads the file.

A detector checks cheap markers first (JSON keys, CSV header columns, XML elements) and returns
a ``Detection``: the shape it saw, the format the connector must read it as, the number of items
when the whole file was read, and a name or project found in the content. A file no detector
takes gets a ``NotRecognised`` with a one-line reason, never an exception.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import stat
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from dataprep.connectors.base import dig
from dataprep.connectors.changelog import detect_style, style_module
from dataprep.connectors.generic import raise_field_limit

logger = logging.getLogger(__name__)

# A head this long tells every supported shape apart; a 2 GB export costs no more than that.
SNIFF_BYTES = 4 * 1024 * 1024
# Release notes are parsed to find their versions; the first MiB holds hundreds of them.
CHANGELOG_BYTES = 1024 * 1024
# Items looked at for a list's markers (a list of issues is uniform; the first few tell).
SAMPLE_ITEMS = 20
_BINARY_PROBE = 8192
_COMPRESSED = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"7z\xbc\xaf\x27\x1c": "7z",
    b"\x28\xb5\x2f\xfd": "zstd",
}


@dataclass(frozen=True)
class Detection:
    """What a detector recognised in one file."""

    type: str  # the source type in the config: jira, github, changelog, ...
    shape: str  # for people: "Jira REST search JSON", "release notes (keepachangelog)"
    format: str  # how the connector must read it: json, csv, xml or text
    unit: str  # what ``items`` counts: issues, releases, work items, versions
    items: int | None = None  # None: not counted (the file is larger than the head read)
    label: str | None = None  # a name from the content: project key, owner/repo
    project: str | None = None  # changelogs: the project the notes name
    note: str | None = None  # what the user should know ("cut short: quarantined by the build")


@dataclass(frozen=True)
class NotRecognised:
    """A file no detector takes, and why, in one line."""

    reason: str


@dataclass(frozen=True)
class JsonHead:
    """The JSON document at the start of a file, or as much of it as the head holds whole."""

    value: Any  # lists and objects keep their complete members when the text is cut short
    valid: bool | None  # True: the whole file parsed; False: it does not; None: not all read
    error: str | None = None  # why it does not parse


class Sniff:
    """The head of one file, decoded, with its JSON, CSV and XML readings computed on demand."""

    def __init__(self, path: Path, head: bytes, size: int, text: str) -> None:
        self.path = path
        self.head = head
        self.size = size
        self.text = text

    @property
    def complete(self) -> bool:
        """Whether the head is the whole file."""
        return self.size <= len(self.head)

    @cached_property
    def json(self) -> JsonHead | None:
        """Return the file's JSON document, or None when the text does not start like JSON."""
        return _json_head(self.text, self.complete)

    @cached_property
    def csv_header(self) -> list[str]:
        """Return the cells of the first CSV row (stripped), or [] if there is none."""
        first = self.text.split("\n", 1)[0] if "\n" in self.text else self.text
        try:
            return [cell.strip() for cell in next(csv.reader([first]), [])]
        except csv.Error:
            return []

    @cached_property
    def csv_rows(self) -> tuple[list[list[str]], str | None]:
        """Return the non-empty data rows of the head (the last one dropped when the head is
        cut short), and the CSV error that stopped the reading, if any."""
        raise_field_limit()
        reader = csv.reader(io.StringIO(self.text, newline=""))
        rows: list[list[str]] = []
        try:
            next(reader, None)
            rows = [cells for cells in reader if any(cell.strip() for cell in cells)]
        except csv.Error as error:
            return rows, f"invalid CSV at line {reader.line_num}: {error}"
        return (rows if self.complete else rows[:-1]), None

    @cached_property
    def xml_root(self) -> str | None:
        """Return the root element's name when the text starts like XML, else None."""
        if not self.text.lstrip().startswith("<"):
            return None
        body = re.sub(r"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", "", self.text[:65536], flags=re.S)
        match = re.match(r"\s*<([A-Za-z_][\w.:-]*)", body)
        return match.group(1) if match else None


# --- the detectors, one per source type -------------------------------------------------------


def jira(s: Sniff) -> Detection | None:
    """Jira exports: a REST search page, one REST issue, a CSV or an XML (RSS) export::

    {"startAt": 0, "total": 44, "issues": [{"key": "ACME-12", "fields": {"summary": ...}}]}
    {"key": "ACME-12", "self": ".../rest/api/2/issue/10012", "fields": {...}}
    Summary,Issue key,Issue id,Issue Type,Status,Project key,...      (CSV header)
    <rss version="0.92"><channel><item><key id="10012">ACME-12</key>...  (XML)
    """
    head = s.json
    if head is not None and isinstance(head.value, dict):
        data = head.value
        issues = data.get("issues")
        if isinstance(issues, list):
            sample = issues[:SAMPLE_ITEMS]
            paging = any(k in data for k in ("startAt", "total", "isLast", "nextPageToken"))
            if (sample and all(_jira_issue(i) for i in sample)) or (not issues and paging):
                return _from_json(s, "jira", "Jira REST search JSON", "issues", issues, _jira_key)
        elif _jira_issue(data):
            return _from_json(s, "jira", "Jira REST issue JSON", "issues", [data], _jira_key)
        return None
    if {"Issue key", "Summary"} <= set(s.csv_header):
        return _from_csv(s, "jira", "Jira CSV export", "issues", _jira_csv_key)
    if s.xml_root == "rss" and re.search(r"<item[\s>]", s.text) and re.search(r"<key\s", s.text):
        return _jira_xml(s)
    return None


def github(s: Sniff) -> Detection | None:
    """GitHub issues: the REST list (or one issue), and ``gh issue list --json ...`` output::

    [{"number": 45, "title": ..., "html_url": "https://github.com/acme/widgets/issues/45",
      "repository_url": "https://api.github.com/repos/acme/widgets", "user": {...}}]
    [{"number": 45, "title": ..., "url": "https://github.com/acme/widgets/issues/45",
      "author": {"login": ...}, "createdAt": ..., "state": "OPEN"}]
    """
    items = _json_items(s, lambda d: "number" in d and "title" in d)
    markers = ("html_url", "user", "repository_url", "author", "createdAt", "url")
    if not items or not all(
        isinstance(i.get("number"), int) and "title" in i and any(k in i for k in markers)
        for i in items[:SAMPLE_ITEMS]
    ):
        return None
    if any(k in i for i in items[:SAMPLE_ITEMS] for k in ("head", "headRefName", "mergedAt")):
        return None  # a pull request list (GET /pulls, gh pr list): not issues
    gh = any("createdAt" in i or "author" in i for i in items[:SAMPLE_ITEMS])
    shape = "gh issue list JSON" if gh else "GitHub REST issues JSON"
    found = _from_json(s, "github", shape, "issues", items, _github_repo)
    pulls = sum(1 for i in items if i.get("pull_request") is not None)
    notes = [found.note] if found.note else []
    if found.label is None:
        notes.append("no repository URL in the items: set the source's project (OWNER/REPO)")
    if pulls and s.json is not None and s.json.valid:
        notes.append(f"{pulls} of them pull requests (skipped by the build)")
    return _with_note(found, notes)


def github_release(s: Sniff) -> Detection | None:
    """GitHub releases: the REST list (or one release), ``gh release list/view --json`` output::

    [{"tag_name": "v2.3.0", "name": ..., "body": ..., "draft": false,
      "html_url": "https://github.com/acme/widgets/releases/tag/v2.3.0", ...}]
    [{"tagName": "v2.4.0", "isDraft": true, "publishedAt": ..., "createdAt": ...}]
    """
    items = _json_items(s, lambda d: "tag_name" in d or "tagName" in d)
    if not items or not all(
        isinstance(i.get("tag_name", i.get("tagName")), str) for i in items[:SAMPLE_ITEMS]
    ):
        return None
    gh = any("tagName" in i for i in items[:SAMPLE_ITEMS])
    shape = "gh release JSON" if gh else "GitHub REST releases JSON"
    found = _from_json(s, "github_release", shape, "releases", items, _release_repo)
    if found.label is None:
        note = "no repository URL in the items: set the source's project (OWNER/REPO)"
        return _with_note(found, [*filter(None, [found.note]), note])
    return found


def gitlab(s: Sniff) -> Detection | None:
    """GitLab REST v4 issues (``GET /projects/:id/issues``), a list or one issue::

    [{"iid": 12, "project_id": 3, "title": ..., "state": "opened",
      "web_url": "https://gitlab.com/acme/web/-/issues/12",
      "references": {"full": "acme/web#12"}, "author": {"username": ...}}]
    """
    items = _json_items(s, lambda d: "iid" in d and "title" in d)
    markers = ("web_url", "project_id", "references")
    if not items or not all(
        isinstance(i.get("iid"), int) and "title" in i and any(k in i for k in markers)
        for i in items[:SAMPLE_ITEMS]
    ):
        return None
    return _from_json(s, "gitlab", "GitLab REST issues JSON", "issues", items, _gitlab_path)


def linear(s: Sniff) -> Detection | None:
    """Linear: its CSV export, or the GraphQL pages ``dataprep pull`` saves::

    ID,Team,Title,Description,Status,Estimate,Priority,...,Created,Updated   (CSV header)
    {"data": {"issues": {"nodes": [{"identifier": "ENG-123", "title": ...}]}}}
    """
    if {"ID", "Team", "Title", "Status"} <= set(s.csv_header):
        return _from_csv(s, "linear", "Linear CSV export", "issues", _linear_csv_team)
    head = s.json
    if head is None:
        return None
    data = head.value
    for keys in (("data", "issues", "nodes"), ("issues", "nodes"), ("nodes",)):
        nodes = dig(data, *keys)
        if isinstance(nodes, list):
            break
    else:
        nodes = data if isinstance(data, list) else None
    sample = nodes[:SAMPLE_ITEMS] if isinstance(nodes, list) else []
    if not sample or not all(isinstance(n, dict) and "identifier" in n for n in sample):
        return None
    return _from_json(s, "linear", "Linear GraphQL JSON", "issues", nodes, _linear_team)


def azure_devops(s: Sniff) -> Detection | None:
    """Azure DevOps Boards: a query's CSV export, or ``workitemsbatch`` pages::

    ID,Work Item Type,Title,State,Assigned To,Tags,...,Area Path     (CSV header)
    {"count": 1, "value": [{"id": 412, "fields": {"System.Title": ..., ...}}]}
    """
    header = set(s.csv_header)
    titled = "Title" in header or any(re.fullmatch(r"Title \d+", h) for h in header)
    if {"ID", "Work Item Type", "State"} <= header and titled:
        return _from_csv(s, "azure_devops", "Azure DevOps CSV export", "work items", _ado_csv)
    head = s.json
    if head is None:
        return None
    data = head.value
    items = data.get("value") if isinstance(data, dict) and "value" in data else data
    items = [items] if isinstance(items, dict) else items
    sample = items[:SAMPLE_ITEMS] if isinstance(items, list) else []
    if not sample or not all(_ado_item(i) for i in sample):
        return None
    return _from_json(s, "azure_devops", "Azure DevOps work items JSON", "work items", items, _ado)


def changelog(s: Sniff) -> Detection | None:
    """Release notes in a style ``dataprep.connectors.changelog`` reads, with a version::

        ## [1.2.0] - 2024-01-31      Keep a Changelog, conventional-changelog, GitHub notes, ...
        Version 2.0.0               reStructuredText: Sphinx, Pallets, towncrier, NEWS.d, ...
        -------------
        Git v2.97.2 Release Notes   plain text: PHP NEWS, git RelNotes, curl RELEASE-NOTES

    The changelog reader's own style detection and parser decide, and at least one version must
    be found, so a README or a LICENSE is not taken for release notes.
    """
    if s.json is not None:
        return None
    text = s.text
    if len(text) > CHANGELOG_BYTES:
        text = text[: text.rfind("\n", 0, CHANGELOG_BYTES) + 1] or text[:CHANGELOG_BYTES]
    style = detect_style(text, s.path.name)
    if style is None:
        return None
    releases = style_module(style).parse(text, s.path.name, None)
    if not releases:
        return None
    named = Counter(r.project for r in releases if r.project).most_common(1)
    project = named[0][0] if named else _title_project(text) or _repo_project(text, len(releases))
    whole = s.complete and len(text) == len(s.text)
    return Detection(
        type="changelog",
        shape=f"release notes ({style})",
        format="text",
        unit="versions",
        items=len(releases) if whole else None,
        label=project,
        project=project,
    )


# Source type -> detector, tried in this order (the specific JSON and CSV shapes before the
# release-notes styles, which look at any text).
DETECTORS: dict[str, Callable[[Sniff], Detection | None]] = {
    "jira": jira,
    "github": github,
    "github_release": github_release,
    "gitlab": gitlab,
    "linear": linear,
    "azure_devops": azure_devops,
    "changelog": changelog,
}


def identify(path: Path, limit: int = SNIFF_BYTES) -> Detection | NotRecognised:
    """Return what the file at ``path`` holds, or why no source type takes it."""
    sniffed = sniff(path, limit)
    if isinstance(sniffed, NotRecognised):
        return sniffed
    for kind, detector in DETECTORS.items():
        try:
            found = detector(sniffed)
        except Exception as error:  # a reader's bug on odd input must not stop the others
            logger.debug("%s detector failed on %s", kind, path, exc_info=True)
            return NotRecognised(f"the {kind} reader failed on it ({type(error).__name__})")
        if found is not None:
            return found
    return NotRecognised(_why_not(sniffed))


def sniff(path: Path, limit: int = SNIFF_BYTES) -> Sniff | NotRecognised:
    """Return the decoded head (at most ``limit`` bytes) of a regular file, or why it is not
    text a connector could read."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return NotRecognised("not a regular file (a pipe, socket or device)")
        if info.st_size == 0:
            # never opened: kernel files (/proc) say size 0, and some block on read
            return NotRecognised("empty file")
        # O_NONBLOCK: a kernel file that would wait for data fails at once instead
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(descriptor, "rb") as handle:
            probe = handle.read(_BINARY_PROBE)
            binary = _binary_reason(probe)
            if binary:
                return NotRecognised(binary)
            head = probe + handle.read(max(0, limit - len(probe)))
    except OSError as error:
        return NotRecognised(f"cannot read it: {error.strerror or error}")
    if not head:
        return NotRecognised("empty file")
    size = max(info.st_size, len(head))
    text = _decode(head, complete=size <= len(head))
    if isinstance(text, NotRecognised):
        return text
    return Sniff(path, head, size, text)


# --- reading the head -------------------------------------------------------------------------


def _binary_reason(probe: bytes) -> str | None:
    for magic, name in _COMPRESSED.items():
        if probe.startswith(magic):
            return f"a {name} archive: unpack it, then run init again"
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16 text: re-save it as UTF-8"
    if probe.startswith(b"%PDF"):
        return "a PDF document, not an export"
    if b"\x00" in probe:
        return "binary file, not text"
    return None


def _decode(head: bytes, complete: bool) -> str | NotRecognised:
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if not complete and error.start >= len(head) - 3:
            return head[: error.start].decode("utf-8-sig")  # a character cut by the head
        line = head.count(b"\n", 0, error.start) + 1
        return NotRecognised(
            f"not UTF-8 text (byte {head[error.start]:#04x} at line {line}): re-save it as UTF-8"
        )


_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"\s*")
_NOTHING = object()
_SALVAGE_DEPTH = 8  # each level costs one pass over the head


def _json_head(text: str, complete: bool) -> JsonHead | None:
    start = _SPACE.match(text).end()
    if not text.startswith(("{", "["), start):
        return None
    try:
        value, end = _DECODER.raw_decode(text, start)
    except (json.JSONDecodeError, RecursionError) as error:
        salvaged = _salvage(text, start, 0)
        if not complete:
            return JsonHead(None if salvaged is _NOTHING else salvaged, None)
        where = (
            f" at line {error.lineno}, column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ": nested too deeply"
        )
        message = f"invalid JSON{where}" + (" (cut short)" if _cut_short(text) else "")
        if salvaged is _NOTHING:
            return JsonHead(None, False, message)
        return JsonHead(salvaged, False, message)
    rest = text[_SPACE.match(text, end).end() :]
    if rest:
        line = text.count("\n", 0, end) + 1
        return JsonHead(
            None,
            False,
            f"several JSON documents (JSON Lines?): another starts after line {line}; "
            "a generic source with format: jsonl reads them",
        )
    return JsonHead(value, True if complete else None)


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|"')


def _cut_short(text: str) -> bool:
    """Return whether JSON text ends inside a string, list or object (an export cut short)."""
    depth = 0
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == '"':
            return True  # a quote that opens no complete string
        if token in "[{":
            depth += 1
        elif token in "]}":
            depth -= 1
    return depth > 0


def _salvage(text: str, pos: int, depth: int) -> Any:
    """Return the JSON value at ``pos``, or the complete members of a list or object the text
    cuts short, or ``_NOTHING``. A list keeps a cut member only when it has no whole one, so
    the markers of a list are checked on whole items."""
    pos = _SPACE.match(text, pos).end()
    try:
        return _DECODER.raw_decode(text, pos)[0]
    except (json.JSONDecodeError, RecursionError):
        pass
    if depth >= _SALVAGE_DEPTH or pos >= len(text) or text[pos] not in "[{":
        return _NOTHING
    is_list = text[pos] == "["
    members: Any = [] if is_list else {}
    pos += 1
    while True:
        pos = _SPACE.match(text, pos).end()
        key = None
        if not is_list:
            try:
                key, pos = _DECODER.raw_decode(text, pos)
            except (json.JSONDecodeError, RecursionError):
                return members
            pos = _SPACE.match(text, pos).end()
            if not isinstance(key, str) or not text.startswith(":", pos):
                return members
            pos = _SPACE.match(text, pos + 1).end()
        try:
            value, pos = _DECODER.raw_decode(text, pos)
        except (json.JSONDecodeError, RecursionError):
            value = _salvage(text, pos, depth + 1)
            if value is _NOTHING or (is_list and members):
                return members
            pos = len(text)
        if is_list:
            members.append(value)
        else:
            members[key] = value
        pos = _SPACE.match(text, pos).end()
        if not text.startswith(",", pos):
            return members
        pos += 1


def _json_items(s: Sniff, single: Callable[[dict], bool]) -> list[dict] | None:
    """Return the objects of a JSON list, or a one-object list for a single item ``single``
    accepts; None when the file is neither."""
    head = s.json
    if head is None:
        return None
    if isinstance(head.value, list):
        return head.value if all(isinstance(i, dict) for i in head.value) else None
    if isinstance(head.value, dict) and single(head.value):
        return [head.value]
    return None


def _from_json(
    s: Sniff,
    kind: str,
    shape: str,
    unit: str,
    items: list[Any],
    label: Callable[[Any], str | None],
) -> Detection:
    head = s.json
    assert head is not None  # only called on a JSON head
    note = None
    if head.valid is False:
        note = f"{head.error}: the build quarantines it"
    labels = Counter(name for item in items if (name := label(item)))
    return Detection(
        type=kind,
        shape=shape,
        format="json",
        unit=unit,
        items=_count(head.valid, len(items)),
        label=labels.most_common(1)[0][0] if labels else None,
        note=note,
    )


def _from_csv(
    s: Sniff, kind: str, shape: str, unit: str, label: Callable[[dict[str, str]], str | None]
) -> Detection:
    rows, error = s.csv_rows
    header = s.csv_header
    labels = Counter(
        name for cells in rows[:1000] if (name := label(dict(zip(header, cells, strict=False))))
    )
    return Detection(
        type=kind,
        shape=shape,
        format="csv",
        unit=unit,
        items=_count(error is None if s.complete else None, len(rows)),
        label=labels.most_common(1)[0][0] if labels else None,
        note=f"{error}: the build quarantines it" if error else None,
    )


def _count(valid: bool | None, items: int) -> int | None:
    """Return the items a build reads from a file: all when it parses, none when it does not
    (the whole file is quarantined), unknown (None) when only its head was read."""
    return None if valid is None else items if valid else 0


def _jira_xml(s: Sniff) -> Detection:
    keys = Counter(re.findall(r"<project\s[^>]*\bkey=\"([^\"]+)\"", s.text))
    if not keys:
        keys = Counter(_key_prefix(k) for k in re.findall(r"<key\s[^>]*>([^<]+)</key>", s.text))
    items, note = None, None
    if s.complete:
        if re.search(r"<!ENTITY", s.text, re.I):
            note = "declares XML entities, which Jira never writes: the build refuses it"
        else:
            try:
                root = ET.fromstring(s.text)
                channel = root.find("channel")
                items = len(channel.findall("item")) if channel is not None else 0
            except ET.ParseError as error:
                items = 0
                note = f"not well-formed XML (line {error.position[0]}), cut short? the build "
                note += "quarantines it"
    label = keys.most_common(1)[0][0] if keys else None
    return Detection("jira", "Jira XML (RSS) export", "xml", "issues", items, label, note=note)


def _with_note(found: Detection, notes: list[str]) -> Detection:
    return replace(found, note="; ".join(notes) or None)


# --- names found in the content ---------------------------------------------------------------

_JIRA_KEY = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)-\d+$")
_API_REPO = re.compile(r"/repos/([^/\s]+/[^/\s]+?)(?:/|$)")
_WEB_REPO = re.compile(r"^https?://[^/]+/([^/\s]+/[^/\s]+)/(?:issues|pull|releases)(?:/|$)")
_GITLAB_PATH = re.compile(r"^https?://[^/]+/(.+?)/-/(?:issues|work_items)/\d+")


def _jira_issue(item: Any) -> bool:
    fields = item.get("fields") if isinstance(item, dict) else None
    return (
        isinstance(item.get("key") if isinstance(item, dict) else None, str)
        and isinstance(fields, dict)
        and not any(str(name).startswith("System.") for name in fields)
    )


def _key_prefix(key: Any) -> str | None:
    match = _JIRA_KEY.match(key.strip()) if isinstance(key, str) else None
    return match.group(1) if match else None


def _jira_key(issue: Any) -> str | None:
    project = dig(issue, "fields", "project", "key")
    return project if isinstance(project, str) and project else _key_prefix(dig(issue, "key"))


def _jira_csv_key(row: dict[str, str]) -> str | None:
    return (row.get("Project key") or "").strip() or _key_prefix(row.get("Issue key"))


def _github_repo(item: dict) -> str | None:
    for name, pattern in (("repository_url", _API_REPO), ("html_url", _WEB_REPO)):
        value = item.get(name)
        match = pattern.search(value) if isinstance(value, str) else None
        if match:
            return match.group(1)
    url = item.get("url")
    match = (_WEB_REPO.search(url) or _API_REPO.search(url)) if isinstance(url, str) else None
    return match.group(1) if match else None


def _release_repo(item: dict) -> str | None:
    for name in ("html_url", "url", "apiUrl"):
        value = item.get(name)
        if isinstance(value, str):
            match = _WEB_REPO.search(value) or _API_REPO.search(value)
            if match:
                return match.group(1)
    return None


def _gitlab_path(item: dict) -> str | None:
    url = item.get("web_url")
    match = _GITLAB_PATH.match(url) if isinstance(url, str) else None
    if match:
        return match.group(1)
    full = dig(item, "references", "full")
    return full.split("#")[0] if isinstance(full, str) and "#" in full else None


def _linear_team(node: Any) -> str | None:
    team = dig(node, "team", "key")
    return team if isinstance(team, str) and team else _key_prefix(dig(node, "identifier"))


def _linear_csv_team(row: dict[str, str]) -> str | None:
    return _key_prefix(row.get("ID"))


def _ado_item(item: Any) -> bool:
    fields = item.get("fields") if isinstance(item, dict) else None
    return isinstance(fields, dict) and any(str(name).startswith("System.") for name in fields)


def _ado(item: Any) -> str | None:
    project = dig(item, "fields", "System.TeamProject") or dig(item, "fields", "System.AreaPath")
    return project.split("\\")[0] or None if isinstance(project, str) else None


def _ado_csv(row: dict[str, str]) -> str | None:
    project = (row.get("Team Project") or row.get("Area Path") or "").strip()
    return project.split("\\")[0] or None


# Headings that name a project: "Embroider Changelog", "Changes for acme-web", "Acme - Release
# notes". Words that only qualify the notes ("Full Changelog", "Latest Changes") do not count.
_NOTES_WORDS = r"(?:change\s*log|changes|release\s+notes|release\s+history|history|news|releases)"
_TITLE_BEFORE = re.compile(
    rf"^(?P<project>[\w][\w .@/+-]{{0,40}}?)\s*[-–—:]?\s+{_NOTES_WORDS}$", re.I
)
_TITLE_AFTER = re.compile(
    rf"^{_NOTES_WORDS}\s*(?:for|of|[-–—:])\s+(?P<project>[\w][\w .@/+-]{{0,40}})$", re.I
)
_NOT_PROJECTS = {
    "the", "full", "all", "latest", "recent", "project", "version", "release", "our", "my",
    "breaking", "notable", "upcoming", "detailed", "complete",
}  # fmt: skip
_ATX_TITLE = re.compile(r"^#{1,2}\s+(.+?)\s*#*\s*$")
_RULE = re.compile(r"^([=\-~^*#])\1{2,}\s*$")
# A compare link ("[1.2.0]: https://github.com/acme/web/compare/v1.1.0...v1.2.0") names the
# notes' own repository; issue, commit and release links may point anywhere (fastapi links to
# Starlette's releases, misskey to a fork's commits).
_COMPARE_LINK = re.compile(
    r"https?://(?:github\.com|gitlab\.com)/([\w.-]+)/([\w.-]+?)/(?:-/)?compare/"
)


def _title_project(text: str) -> str | None:
    """Return the project the notes' title names ("# Embroider Changelog"), or None."""
    lines = text.splitlines()[:60]
    for i, line in enumerate(lines):
        title = None
        atx = _ATX_TITLE.match(line)
        if atx:
            title = atx.group(1)
        elif line.strip() and i + 1 < len(lines) and _RULE.match(lines[i + 1]):
            title = line.strip()
        if title is None:
            continue
        title = re.sub(r"[`*_\[\]]", "", title).strip()
        match = _TITLE_BEFORE.match(title) or _TITLE_AFTER.match(title)
        project = match.group("project").strip(" -–—:") if match else None
        if project and project.lower() not in _NOT_PROJECTS:
            return project
        return None  # only the first title counts
    return None


def _repo_project(text: str, versions: int) -> str | None:
    """Return ``owner-repo`` (``repo`` when both are one name) of the repository the notes'
    compare links point at, when there is one for every four versions or more; else None."""
    counts = Counter((owner.lower(), repo.lower()) for owner, repo in _COMPARE_LINK.findall(text))
    if not counts:
        return None
    (owner, repo), links = counts.most_common(1)[0]
    if links * 4 < versions:
        return None  # a few links to another project's changes, not this file's own
    return repo if owner == repo else f"{owner}-{repo}"


# --- why a file is not placed -----------------------------------------------------------------


def _why_not(s: Sniff) -> str:
    head = s.json
    if head is not None:
        if head.error and not head.value:
            return head.error
        if head.value is None:
            return "JSON with nothing whole in the part read"
        return _json_why_not(head)
    root = s.xml_root
    if root is not None and (root == "rss" or s.text.lstrip().startswith("<?xml")):
        return f"XML with root <{root}>: not a Jira XML (RSS) export"
    header = s.csv_header
    if len(header) >= 3 and all(0 < len(h) <= 40 for h in header) and s.text.count(",") > 2:
        shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
        return (
            f"CSV with columns {shown}: not a Jira, Linear or Azure DevOps export "
            "(a generic source with a field mapping reads it)"
        )
    return "text, but not an export, and no release-notes style finds a version in it"


_GENERIC = "no connector reads this shape (a generic source with a field mapping may)"


def _json_why_not(head: JsonHead) -> str:
    value = head.value
    prefix = f"{head.error}; " if head.error else ""
    if isinstance(value, dict):
        if isinstance(value.get("items"), list) and "total_count" in value:
            return (
                prefix + "a GitHub search API response: the github source reads issue lists; "
                "save its 'items' list as a file"
            )
        if {"action", "issue"} <= set(value) or "object_kind" in value or "webhookEvent" in value:
            return prefix + "a webhook payload (one event), not an export"
        if value.get("type") == "doc" and "content" in value:
            return prefix + "an Atlassian document (ADF), not an export"
        keys = ", ".join(list(map(str, value))[:6])
        return prefix + f"JSON object with keys {keys}: {_GENERIC}"
    if isinstance(value, list):
        if not value:
            return prefix + "an empty JSON list"
        if all(isinstance(i, dict) for i in value[:SAMPLE_ITEMS]):
            keys = ", ".join(list(map(str, value[0]))[:6])
            return prefix + f"JSON list of objects with keys {keys}: {_GENERIC}"
    return prefix + "JSON, but no connector reads this shape"
