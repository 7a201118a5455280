"""Jira's XML export (the RSS feed of a search: "Export > XML") as records.

::

    <rss version="0.92"><channel>
      <item>
        <link>https://jira.example.org/browse/ACME-12</link>
        <project id="10000" key="ACME">Acme</project>
        <description>&lt;p&gt;HTML, escaped once more as XML text&lt;/p&gt;</description>
        <key id="10012">ACME-12</key> <summary>...</summary> <type id="1">Bug</type>
        <priority id="3">Major</priority> <status id="1">Open</status>
        <statusCategory id="2" key="new" colorName="blue-gray"/>
        <resolution id="-1">Unresolved</resolution>
        <assignee username="omar">Omar Haddad</assignee>
        <reporter username="jane">Jane Doe</reporter> <labels><label>export</label></labels>
        <created>Fri, 28 Jul 2023 00:11:05 +0000</created> <updated>...</updated>
        <resolved>...</resolved> <fixVersion>2.4.0</fixVersion> <component>Reports</component>
        <comments><comment id="1" author="jane" created="Fri, ...">HTML</comment></comments>
        <issuelinks><issuelinktype id="10002"><name>Duplicate</name>
          <outwardlinks description="duplicates"><issuelink><issuekey id="1">ACME-7</issuekey>
          </issuelink></outwardlinks></issuelinktype></issuelinks>
        <parent id="10001">ACME-3</parent>
        <subtasks><subtask id="10013">ACME-14</subtask></subtasks>
      </item>
    </channel></rss>

A ``Duplicate`` resolution or a Duplicate link's ``outwardlinks`` ("duplicates") make the item a
duplicate; ``inwardlinks`` ("is duplicated by") do not. Dates are RFC 822 with an offset.
Descriptions and comments are HTML (converted to Markdown).
A file that is not well-formed XML (an export cut short) is quarantined with the failing line.
Parsed with the standard library: ElementTree never fetches external entities, and expat 2.4.1+
(Python 3.11 ships 2.5) refuses entity-expansion bombs; documents declaring entities are
refused here anyway, as Jira never writes them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from dataprep.connectors import jira
from dataprep.connectors.base import (
    InputError,
    ReadContext,
    ReadResult,
    decode_text,
    duplicate_columns,
    read_items,
)
from dataprep.connectors.generic import field_datetime_any
from dataprep.connectors.refs import collect_links
from dataprep.text.markup import html_to_markdown

_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)


def read_file(path: Path, ctx: ReadContext) -> ReadResult:
    """Return the records of one Jira XML export; a malformed file is quarantined whole."""

    def items() -> list[tuple[str, Any]]:
        listed = _items(decode_text(path.read_bytes()))
        return [(f":$.rss.channel.item[{i}]", item) for i, item in enumerate(listed)]

    return read_items(ctx, items, _record)


def _items(text: str) -> list[ET.Element]:
    if _ENTITY_DECLARATION.search(text):
        raise InputError(
            "XML declares entities, which Jira exports never do; refused",
            reason="parse:invalid-xml",
        )
    try:
        root = ET.fromstring(text)
    except ET.ParseError as error:
        line, _ = error.position
        raise InputError(
            f"invalid XML: {error}; the export may be cut short",
            reason="parse:invalid-xml",
            where=f":{line}",
        ) from None
    channel = root.find("channel") if root.tag == "rss" else None
    if channel is None:
        raise InputError(
            "expected a Jira XML export: <rss><channel><item>...", reason="parse:unexpected-shape"
        )
    return channel.findall("item")


def _record(item: ET.Element, ctx: ReadContext, result: ReadResult) -> dict[str, Any]:
    key = _text(item, "key")
    if not key:
        raise InputError("key: missing")
    summary = _text(item, "summary")
    if not summary:
        raise InputError("summary: missing")
    body = html_to_markdown(_text(item, "description") or "") or None
    comments = _comments(item)
    status_element = item.find("statusCategory")
    category = status_element.get("key") if status_element is not None else None
    status = {"name": _text(item, "status"), "statusCategory": {"key": category}}
    resolution = item.find("resolution")
    unresolved = resolution is None or resolution.get("id") == "-1"
    linked = [_clean(e.text) for e in item.iter("issuekey")]
    linked += [_text(item, "parent")] + [_clean(e.text) for e in item.iter("subtask")]
    project = item.find("project")
    return {
        "record_id": f"jira:{key}",
        "source": "jira",
        "kind": "issue",
        "project": ctx.project
        or (project.get("key") if project is not None else None)
        or key.rsplit("-", 1)[0],
        "key": key,
        "title": summary,
        "body": body,
        "status": jira.canonical_status(
            status, None if unresolved else {"name": _text(item, "resolution")}, ctx, result
        ),
        "issue_type": jira.canonical_issue_type(_text(item, "type"), ctx, result),
        "priority": jira.canonical_priority(_text(item, "priority"), ctx, result),
        "labels": _all(item, "labels/label"),
        "security_level": _text(item, "security"),
        "components": _all(item, "component"),
        "fix_versions": _all(item, "fixVersion"),
        "author": _text(item, "reporter"),
        "assignee": _person(item.find("assignee")),
        "created_at": _date(_text(item, "created"), "created"),
        "updated_at": _date(_text(item, "updated"), "updated"),
        "resolved_at": _date(_text(item, "resolved"), "resolved"),
        "comments": comments,
        "links": collect_links(
            [summary, body, *(c["body"] for c in comments)],
            structured=[k for k in linked if k],
            own=[key],
        ),
        **duplicate_columns(
            not unresolved and jira.is_duplicate_resolution(_text(item, "resolution")),
            _duplicate_of(item),
        ),
        "url": _text(item, "link"),
    }


def _duplicate_of(item: ET.Element) -> str | None:
    """Return the key under a Duplicate link type's ``outwardlinks`` ("duplicates")."""
    for link_type in item.findall("issuelinks/issuelinktype"):
        outward = link_type.find("outwardlinks")
        if outward is not None and jira.is_duplicate_link_type(
            _text(link_type, "name"), outward.get("description")
        ):
            keys = [key for e in outward.iter("issuekey") if (key := _clean(e.text))]
            if keys:
                return keys[0]
    return None


def _comments(item: ET.Element) -> list[dict[str, Any]]:
    comments = []
    for i, comment in enumerate(item.findall("comments/comment")):
        comments.append(
            {
                "author": comment.get("author") or None,
                "created_at": _date(comment.get("created"), f"comments.comment[{i}].created"),
                "body": html_to_markdown(comment.text or ""),
            }
        )
    return sorted(comments, key=lambda c: (c["created_at"] is None, c["created_at"] or 0))


def _person(element: ET.Element | None) -> str | None:
    # Jira writes <assignee username="-1">Unassigned</assignee> for nobody.
    if element is None or element.get("username") == "-1":
        return None
    return _clean(element.text)


def _date(value: str | None, field_name: str) -> Any:
    return field_datetime_any(value, field_name, ())


def _text(item: ET.Element, path: str) -> str | None:
    element = item.find(path)
    return _clean(element.text) if element is not None else None


def _all(item: ET.Element, path: str) -> list[str]:
    return [text for element in item.findall(path) if (text := _clean(element.text))]


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text else None
