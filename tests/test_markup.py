import json
import logging
from pathlib import Path

import jira2markdown
import pytest

from dataprep.text import markup
from dataprep.text.markup import adf_to_markdown, jira_wiki_to_markdown, tidy_markdown

REAL_ADF = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "realdata"
    / "jira"
    / "ankitpokhrel__jira-cli__pkg_adf_testdata_md.json"
)


# --- Jira wiki markup ---------------------------------------------------------------------------


def test_wiki_with_windows_line_endings_becomes_markdown():
    text = "h2. Steps\r\n* one\r\n* two\r\n\r\n{code:python}\r\nx = 1\r\n{code}\r\n"

    assert jira_wiki_to_markdown(text) == "## Steps\n- one\n- two\n\n```python\nx = 1\n```"


@pytest.mark.parametrize(
    ("wiki", "expected"),
    [
        ("[~jane] see [the docs|https://example.com]", "@jane see [the docs](https://example.com)"),
        ("call {{run()}} *now*", "call `run()` **now**"),
        ("{quote}\nquoted\n{quote}", "> quoted"),
        ("{noformat}\nraw *text*\n{noformat}", "```\nraw *text*\n```"),
        ("||a||b||\n|1|2|", "|a|b|\n|---|---|\n|1|2|"),
        ("# first\n# second", "1. first\n1. second"),
        ("plain words, nothing else.", "plain words, nothing else."),
    ],
)
def test_wiki_constructs_become_their_markdown_equivalents(wiki, expected):
    assert jira_wiki_to_markdown(wiki) == expected


@pytest.mark.parametrize(
    "wiki",
    [
        "h1. Title\n\nSome *bold* and -struck- and +under+ text, a ^sup^ and ~sub~.",
        "* a\n** b\n*** c\n# one\n## two",
        "{code:java}\nint x = 1;\n  y();\n{code}\nafter [link|http://x.y] and [~accountid:abc-1]",
        "{panel:title=Note}\nbody\n{panel}\n!image.png|thumbnail!\n[^attachment.txt]",
        "{color:red}red{color} -- and --- then\n----\nbq. quoted line\nhttp://a.b/c_d*e",
        "2 * 3 * 4 and snake_case_name and ?? cite ?? and \\\\ break",
        "|| h1 || h2 ||\n| c1 | [x|https://e.com] |\n\ntext | pipe",
    ],
)
def test_fast_wiki_grammar_gives_exactly_what_jira2markdown_gives(wiki):
    assert jira_wiki_to_markdown(wiki) == tidy_markdown(jira2markdown.convert(wiki))


def test_wiki_the_parser_cannot_handle_is_kept_as_written_with_a_warning(monkeypatch, caplog):
    class Broken:
        def transform_string(self, text):
            raise IndexError("list index out of range")

    monkeypatch.setattr(markup, "_wiki_grammar", Broken)

    with caplog.at_level(logging.WARNING, logger="dataprep.text.markup"):
        assert jira_wiki_to_markdown("*odd*  \r\n\r\n\r\nmarkup") == "*odd*\n\nmarkup"
    assert "kept as written" in caplog.text


# --- tidy ---------------------------------------------------------------------------------------


def test_tidy_drops_trailing_spaces_and_blank_runs_outside_code_only():
    text = "\n\ntitle   \n\n\n\nbody\t\n```\na\n\n\nb  \n```\n\n\n"

    assert tidy_markdown(text) == "title\n\nbody\n```\na\n\n\nb\n```"


# --- ADF ----------------------------------------------------------------------------------------


def doc(*content):
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*content):
    return {"type": "paragraph", "content": list(content)}


def text(value, *marks):
    node = {"type": "text", "text": value}
    if marks:
        node["marks"] = [m if isinstance(m, dict) else {"type": m} for m in marks]
    return node


def bullets(*items):
    return {"type": "bulletList", "content": [{"type": "listItem", "content": i} for i in items]}


def numbered(*items, order=None):
    node = {"type": "orderedList", "content": [{"type": "listItem", "content": i} for i in items]}
    if order is not None:
        node["attrs"] = {"order": order}
    return node


def test_adf_headings_paragraphs_and_marks_become_markdown():
    document = doc(
        {"type": "heading", "attrs": {"level": 3}, "content": [text("Steps")]},
        para(
            text("Run "),
            text("make", "code"),
            text(" with ", "strong"),
            text("care", "em"),
            text(", not ", "strike"),
            text("this", {"type": "link", "attrs": {"href": "https://x.example"}}),
            text(" now", "underline"),
        ),
    )

    assert adf_to_markdown(document) == (
        "### Steps\n\nRun `make` **with** *care*~~, not~~ [this](https://x.example) now"
    )


def test_adf_nested_lists_are_indented_under_their_markers():
    document = doc(
        bullets(
            [para(text("one")), bullets([para(text("one.a"))])],
            [para(text("two"))],
        ),
        numbered(
            [para(text("first")), numbered([para(text("inner"))])],
            [para(text("second"))],
            order=3,
        ),
    )

    assert adf_to_markdown(document) == (
        "- one\n  - one.a\n- two\n\n3. first\n   1. inner\n4. second"
    )


def test_adf_code_blocks_stay_fenced_with_their_language():
    document = doc(
        {
            "type": "codeBlock",
            "attrs": {"language": "python"},
            "content": [text("def f():\n\n    return 1\n")],
        },
        {"type": "codeBlock", "content": [text("echo ```")]},
    )

    assert adf_to_markdown(document) == (
        "```python\ndef f():\n\n    return 1\n```\n\n````\necho ```\n````"
    )


def test_adf_blockquotes_and_panels_become_quotes():
    document = doc(
        {"type": "blockquote", "content": [para(text("said"))]},
        {
            "type": "panel",
            "attrs": {"panelType": "warning"},
            "content": [para(text("careful")), para(text("really"))],
        },
    )

    assert adf_to_markdown(document) == "> said\n\n> careful\n>\n> really"


def test_adf_table_has_a_header_row_escaped_pipes_and_padded_rows():
    def row(kind, *cells):
        return {
            "type": "tableRow",
            "content": [{"type": kind, "content": [para(text(c))]} for c in cells],
        }

    document = doc(
        {
            "type": "table",
            "content": [
                row("tableHeader", "Key", "Value"),
                row("tableCell", "a|b"),
                row("tableCell", "x", "y"),
            ],
        }
    )

    assert adf_to_markdown(document) == ("| Key | Value |\n| --- | --- |\n| a\\|b |  |\n| x | y |")


def test_adf_inline_nodes_keep_their_text():
    document = doc(
        para(
            {"type": "mention", "attrs": {"id": "5b10", "text": "Jane"}},
            text(" see"),
            {"type": "inlineCard", "attrs": {"url": "https://x.example/1"}},
            text("and "),
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            {"type": "emoji", "attrs": {"shortName": ":party:"}},
            {"type": "hardBreak"},
            text("due "),
            {"type": "date", "attrs": {"timestamp": "1709251200000"}},
            text(" "),
            {"type": "status", "attrs": {"text": "IN REVIEW", "color": "blue"}},
        ),
        {"type": "rule"},
        {"type": "blockCard", "attrs": {"url": "https://x.example/2"}},
    )

    assert adf_to_markdown(document) == (
        "@Jane see https://x.example/1 and 😄:party:\ndue 2024-03-01 IN REVIEW"
        "\n\n---\n\nhttps://x.example/2"
    )


def test_adf_task_lists_become_checkboxes():
    def task(value, state):
        return {"type": "taskItem", "attrs": {"state": state}, "content": [text(value)]}

    document = doc({"type": "taskList", "content": [task("write", "DONE"), task("ship", "TODO")]})

    assert adf_to_markdown(document) == "- [x] write\n- [ ] ship"


def test_adf_unknown_nodes_render_their_text_instead_of_dropping_it():
    document = doc(
        {"type": "fancyContainer", "content": [para(text("inside")), para(text("kept"))]},
        para(text("a "), {"type": "sparkle", "attrs": {"text": "shiny"}}, text(" b")),
        {"type": "wrapper", "content": [{"type": "wrapper", "content": [text("deep")]}]},
    )

    assert adf_to_markdown(document) == "inside\n\nkept\n\na shiny b\n\ndeep"


@pytest.mark.parametrize(
    "document",
    [
        {},
        {"type": "doc", "content": "not a list"},
        doc("stray string", None, para(None, text(None)), {"type": "heading", "attrs": "x"}),
        doc({"type": "orderedList", "attrs": {"order": "two"}, "content": [{"type": "listItem"}]}),
    ],
)
def test_adf_malformed_documents_do_not_raise(document):
    assert isinstance(adf_to_markdown(document), str)


def test_adf_nested_past_the_recursion_limit_keeps_its_plain_text():
    node = para(text("bottom"))
    for _ in range(3000):
        node = {"type": "blockquote", "content": [node]}

    assert adf_to_markdown(doc(para(text("top")), node)) == "top bottom"


@pytest.mark.skipif(not REAL_ADF.is_file(), reason="shared/realdata is not beside the repo")
def test_real_adf_document_converts_tidily_and_keeps_every_text():
    document = json.loads(REAL_ADF.read_text(encoding="utf-8"))

    result = adf_to_markdown(document)

    assert "```go\n" in result
    assert "\n\n\n" not in result
    assert all(line == line.rstrip() for line in result.split("\n"))
    for value in markup._plain_texts(document):
        for line in value.split("\n"):
            assert line.rstrip() in result
