"""Tracker markup to Markdown: Jira wiki markup, Atlassian Document Format (ADF) and HTML.

Jira wiki markup goes through ``jira2markdown`` (a maintained pyparsing grammar); HTML (Jira RSS
exports, Azure DevOps fields) through ``markdownify`` (see ``html_to_markdown``). ADF uses the
small converter below: the PyPI candidates did not fit (``adflux`` needs panflute, typer,
structlog and jsonschema; ``pyadf`` is an alpha Rust build that raises on unknown nodes and
mis-indents nested ordered lists; ``adftotxt`` gives plain text and was last released in 2021).

Both give tidy Markdown: no trailing spaces, at most one blank line between blocks (code kept
as written), stripped. Neither raises for odd input: text is never dropped.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from pyparsing import FollowedBy, Forward, LineStart, ParserElement, Regex

log = logging.getLogger(__name__)

# Characters (and URL schemes) that can begin a jira2markdown element away from a line start.
# The library tries its whole grammar at every character (about 1 ms a character); skipping the
# other positions gives the same output 5 to 50 times faster (20x on sample_data). Checked on
# 3,000 generated and real texts: equal everywhere except 20 inputs that crash the library.
_WIKI_START = r"[-*+^~?{\[!|\\]|(?:https?|ftp)://"

_local = threading.local()  # the grammar keeps list-indent state, so one per thread


def jira_wiki_to_markdown(text: str) -> str:
    """Return Jira wiki markup (descriptions, comments) as tidy Markdown."""
    text = _unify_newlines(text)
    try:
        converted = _wiki_grammar().transform_string(text)
    except Exception as error:  # a third-party parser on untrusted text: keep the text instead
        log.warning("jira wiki markup not converted, kept as written: %s", error)
        _local.grammar = None  # its list state may be half-updated
        converted = text
    return tidy_markdown(converted)


def _wiki_grammar() -> ParserElement:
    grammar = getattr(_local, "grammar", None)
    if grammar is None:
        grammar = _local.grammar = _build_wiki_grammar()
    return grammar


def _build_wiki_grammar() -> ParserElement:
    """Return jira2markdown's grammar (as ``jira2markdown.convert`` builds it) with a fast start."""
    from jira2markdown.elements import MarkupElements  # sets pyparsing's whitespace to ""

    elements = MarkupElements()
    start = FollowedBy(Regex(_WIKI_START, flags=re.IGNORECASE)) | LineStart()
    inline, markup = Forward(), Forward()
    inline_elements = [e for e in elements if e.is_inline_element]
    inline <<= start + elements.expr(inline, markup, {}, inline_elements)
    markup <<= start + elements.expr(inline, markup, {}, elements)
    return markup


def tidy_markdown(text: str) -> str:
    """Return Markdown with unified newlines, no trailing spaces, single blank lines, stripped.

    Lines inside fenced code blocks keep their blank lines: they are content, not layout.
    """
    lines: list[str] = []
    fence = ""
    for line in _unify_newlines(text).split("\n"):
        line = line.rstrip()
        marker = _fence_marker(line)
        if fence:
            if marker.startswith(fence) and line.strip() == marker:  # a closing fence
                fence = ""
        elif marker:
            fence = marker
        elif not line and lines and not lines[-1]:
            continue
        lines.append(line)
    return "\n".join(lines).strip()


def _fence_marker(line: str) -> str:
    match = re.match(r"\s{0,3}(`{3,}|~{3,})", line)
    return match.group(1) if match else ""


def _unify_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- HTML --------------------------------------------------------------------------------------

# "language-python" (Markdown renderers, Azure DevOps), "code-java" (Jira's code panels), "lang-x".
_CODE_CLASS = re.compile(r"^(?:language|code|lang)-([\w+#.-]+)$")


def html_to_markdown(html: str) -> str:
    """Return HTML (Jira RSS descriptions and comments, Azure DevOps fields) as tidy Markdown.

    Uses ``markdownify`` (BeautifulSoup underneath, released regularly). Compared with
    ``html2text`` on Jira and Azure DevOps HTML it keeps code blocks fenced (html2text indents
    them and loses the language), writes real pipe tables and nested lists with ``-``, and
    drops ``<script>``/``<style>``. Underscores and asterisks are not escaped: the text is read
    by models and people, and ``snake\\_case`` in every identifier would be noise. Never raises:
    HTML nested too deeply for the converter keeps its plain text.
    """
    if not html or not html.strip():
        return ""
    from markdownify import markdownify  # imported here: only HTML sources need bs4

    try:
        converted = markdownify(
            html,
            heading_style="ATX",
            bullets="-",
            escape_underscores=False,
            escape_asterisks=False,
            code_language_callback=_code_language,
        )
    except RecursionError:
        log.warning("HTML nested too deeply; kept its plain text")
        converted = _html_text(html)
    return tidy_markdown(converted.replace("\xa0", " "))


def _code_language(element: Any) -> str | None:
    """Return the language named by a ``<pre>`` or its ``<code>`` child's class, if any."""
    code = element.find("code")
    for node in (element, code):
        for name in (node.get("class") or []) if node is not None else []:
            match = _CODE_CLASS.match(name)
            if match:
                return match.group(1)
    return None


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    try:
        return BeautifulSoup(html, "html.parser").get_text("\n")
    except RecursionError:
        return re.sub(r"<[^>]*>", " ", html)


# --- ADF ---------------------------------------------------------------------------------------

Node = dict[str, Any]


def adf_to_markdown(doc: dict) -> str:
    """Return an ADF document (Jira Cloud REST v3 ``description`` or comment ``body``) as Markdown.

    Covers the nodes Jira emits (paragraph, heading, lists, codeBlock, blockquote, panel, table,
    rule, mention, emoji, inlineCard, date, status, task and decision lists, expand); any other
    node is rendered through its children or its ``attrs.text``, so no text is lost.
    """
    try:
        return tidy_markdown("\n\n".join(_blocks(_children(doc))))
    except RecursionError:  # only hostile nesting gets here; its plain text is still worth keeping
        log.warning("ADF document nested too deeply; kept its plain text")
        return tidy_markdown(" ".join(_plain_texts(doc)))


def _blocks(nodes: Iterable[Node]) -> list[str]:
    """Render sibling nodes as Markdown blocks; stray inline nodes form a paragraph of their own."""
    out: list[str] = []
    run: list[Node] = []
    for node in nodes:
        if _is_inline(node):
            run.append(node)
            continue
        if run:
            out.append(_inline(run))
            run = []
        out.append(_BLOCKS.get(node.get("type"), _unknown_block)(node))
    if run:
        out.append(_inline(run))
    return [block for block in out if block.strip()]


def _is_inline(node: Node) -> bool:
    kind = node.get("type")
    if kind in _INLINES:
        return True
    if kind in _BLOCKS:
        return False
    return all(_is_inline(child) for child in _children(node))


def _inline(nodes: Iterable[Node]) -> str:
    out = ""
    previous_kind = None
    for node in nodes:
        kind = node.get("type")
        piece = _INLINES.get(kind, _unknown_inline)(node)
        glued = out and piece and not out[-1].isspace() and not piece[0].isspace()
        if glued and "inlineCard" in (kind, previous_kind):
            out += " "  # a bare URL glued to a neighbouring word would change the URL
        out += piece
        previous_kind = kind
    return out


def _children(node: Any) -> list[Node]:
    content = node.get("content") if isinstance(node, dict) else None
    return (
        [child for child in content if isinstance(child, dict)] if isinstance(content, list) else []
    )


def _attrs(node: Node) -> dict[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, dict) else {}


def _text_of(node: Node) -> str:
    """Return the raw text under a node, without marks (for code blocks)."""
    return "".join(_plain_texts(node))


def _plain_texts(root: Any) -> list[str]:
    """Return every text string under ``root`` in document order, walking without recursion."""
    texts: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict):
            continue
        if isinstance(node.get("text"), str):
            texts.append(node["text"])
        elif node.get("type") == "hardBreak":
            texts.append("\n")
        elif isinstance(_attrs(node).get("text"), str):
            texts.append(_attrs(node)["text"])
        stack.extend(reversed(_children(node)))
    return texts


# Block nodes


def _paragraph(node: Node) -> str:
    return _inline(_children(node))


def _heading(node: Node) -> str:
    level = _attrs(node).get("level")
    level = level if isinstance(level, int) and 1 <= level <= 6 else 1
    return "#" * level + " " + _inline(_children(node)).replace("\n", " ").strip()


def _bullet_list(node: Node) -> str:
    return "\n".join(_list_item(item, "- ") for item in _children(node))


def _ordered_list(node: Node) -> str:
    start = _attrs(node).get("order")
    start = start if isinstance(start, int) and start >= 0 else 1
    items = _children(node)
    return "\n".join(_list_item(item, f"{start + i}. ") for i, item in enumerate(items))


def _task_list(node: Node) -> str:
    lines = []
    for item in _children(node):
        if item.get("type") == "taskItem":
            box = "[x]" if _attrs(item).get("state") == "DONE" else "[ ]"
            lines.append(_list_item(item, f"- {box} "))
        else:  # a nested list sits directly in its parent taskList
            lines.append(_indent("\n".join(_blocks([item])), "  "))
    return "\n".join(lines)


def _list_item(item: Node, marker: str) -> str:
    """Render one item: the marker on its first line, following lines indented under it."""
    body = "\n".join(_blocks(_children(item)))  # tight: no blank line between item parts
    first, _, rest = body.partition("\n")
    return (marker + first).rstrip() + ("\n" + _indent(rest, " " * len(marker)) if rest else "")


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _code_block(node: Node) -> str:
    code = _text_of(node).rstrip("\n")
    language = _attrs(node).get("language")
    language = language if isinstance(language, str) and language != "none" else ""
    longest = max((len(run) for run in re.findall(r"`{3,}", code)), default=2)
    fence = "`" * (longest + 1)  # a longer fence than any run inside keeps the block closed
    return f"{fence}{language}\n{code}\n{fence}"


def _quote(node: Node) -> str:
    body = "\n\n".join(_blocks(_children(node)))
    return "\n".join(f"> {line}" if line else ">" for line in body.split("\n"))


def _expand(node: Node) -> str:
    title = _attrs(node).get("title")
    body = "\n\n".join(_blocks(_children(node)))
    return f"**{title}**\n\n{body}" if isinstance(title, str) and title.strip() else body


def _rule(node: Node) -> str:
    return "---"


def _table(node: Node) -> str:
    rows = [[_cell(cell) for cell in _children(row)] for row in _children(node)]
    rows = [row for row in rows if row]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = [_table_row(rows[0]), _table_row(["---"] * width)]
    lines.extend(_table_row(row) for row in rows[1:])
    return "\n".join(lines)


def _cell(cell: Node) -> str:
    text = " ".join(block.replace("\n", " ") for block in _blocks(_children(cell)))
    return re.sub(r" {2,}", " ", text.replace("|", "\\|")).strip()


def _table_row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _media(node: Node) -> str:
    alt = _attrs(node).get("alt")
    return alt if isinstance(alt, str) else ""


def _unknown_block(node: Node) -> str:
    return "\n\n".join(_blocks(_children(node)))


# Inline nodes


def _text(node: Node) -> str:
    text = node.get("text")
    if not isinstance(text, str) or not text:
        return ""
    marks = [m for m in node.get("marks") or () if isinstance(m, dict)]
    kinds = {m.get("type") for m in marks}
    if "code" in kinds:
        text = _code_span(text)
    for kind, delimiter in (("strike", "~~"), ("em", "*"), ("strong", "**")):
        if kind in kinds:
            text = _wrap(text, delimiter)
    link = next((m for m in marks if m.get("type") == "link"), None)
    href = _attrs(link).get("href") if link else None
    if isinstance(href, str) and href:
        text = f"[{text}]({href})"
    return text


def _code_span(text: str) -> str:
    ticks = "`" * (max((len(r) for r in re.findall(r"`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{padding}{text}{padding}{ticks}"


def _wrap(text: str, delimiter: str) -> str:
    """Wrap in emphasis delimiters, keeping edge spaces outside (``** x**`` is not emphasis)."""
    core = text.strip()
    if not core:
        return text
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()) :]
    return f"{lead}{delimiter}{core}{delimiter}{trail}"


def _hard_break(node: Node) -> str:
    return "\n"


def _mention(node: Node) -> str:
    attrs = _attrs(node)
    name = attrs.get("text") or attrs.get("id") or ""
    name = str(name)
    return name if not name or name.startswith("@") else "@" + name


def _emoji(node: Node) -> str:
    attrs = _attrs(node)
    return str(attrs.get("text") or attrs.get("shortName") or "")


def _card(node: Node) -> str:
    attrs = _attrs(node)
    url = attrs.get("url")
    if not isinstance(url, str):
        data = attrs.get("data")
        url = data.get("url") or data.get("name") if isinstance(data, dict) else None
    return url if isinstance(url, str) else ""


def _date(node: Node) -> str:
    stamp = _attrs(node).get("timestamp")
    try:
        moment = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(stamp or "")
    return moment.date().isoformat()


def _attr_text(node: Node) -> str:
    text = _attrs(node).get("text")
    return text if isinstance(text, str) else ""


def _unknown_inline(node: Node) -> str:
    children = _children(node)
    if children:
        return _inline(children)
    text = node.get("text")
    return text if isinstance(text, str) else _attr_text(node)


_INLINES: dict[str, Callable[[Node], str]] = {
    "text": _text,
    "hardBreak": _hard_break,
    "mention": _mention,
    "emoji": _emoji,
    "inlineCard": _card,
    "date": _date,
    "status": _attr_text,
    "placeholder": _attr_text,
}

_BLOCKS: dict[str, Callable[[Node], str]] = {
    "paragraph": _paragraph,
    "heading": _heading,
    "bulletList": _bullet_list,
    "orderedList": _ordered_list,
    "taskList": _task_list,
    "decisionList": _bullet_list,
    "codeBlock": _code_block,
    "blockquote": _quote,
    "panel": _quote,
    "expand": _expand,
    "nestedExpand": _expand,
    "rule": _rule,
    "blockCard": _card,
    "embedCard": _card,
    "table": _table,
    "mediaSingle": _unknown_block,
    "mediaGroup": _unknown_block,
    "media": _media,
    "listItem": _unknown_block,
    "taskItem": _paragraph,
    "decisionItem": _paragraph,
    "bodiedExtension": _unknown_block,
    "layoutSection": _unknown_block,
    "layoutColumn": _unknown_block,
}
