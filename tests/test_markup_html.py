import pytest

from dataprep.text.markup import html_to_markdown


@pytest.mark.parametrize(
    ("html", "markdown"),
    [
        (
            '<p>Use <a href="https://x.test/r" class="external-link">10.42</a>, <b>now</b>.</p>',
            "Use [10.42](https://x.test/r), **now**.",
        ),
        (
            '<div class="code panel"><div class="codeContent panelContent">'
            '<pre class="code-java">run(a &lt; b);\n\n  next();</pre></div></div>',
            "```java\nrun(a < b);\n\n  next();\n```",
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "```python\nx = 1\n```",
        ),
        ("<pre>plain\ncode</pre>", "```\nplain\ncode\n```"),
        ("<ul><li>one<ul><li>nested</li></ul></li></ul>", "- one\n  - nested"),
        ("<ol><li>a</li><li><i>b</i></li></ol>", "1. a\n2. *b*"),
        (
            "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>",
            "| a | b |\n| --- | --- |\n| 1 | 2 |",
        ),
        (
            "<div>Line one<br>Line two</div><div>&nbsp;</div><div>snake_case 2*3</div>",
            "Line one\nLine two\n\nsnake_case 2*3",
        ),
        ("<h2>Title</h2><script>alert(1)</script><p>text</p>", "## Title\n\ntext"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_html_becomes_tidy_markdown_with_fenced_code(html, markdown):
    assert html_to_markdown(html) == markdown


def test_html_nested_too_deeply_keeps_its_text():
    html = "<div>" * 5000 + "deep text" + "</div>" * 5000

    assert html_to_markdown(html) == "deep text"


def test_broken_html_is_converted_not_raised():
    assert html_to_markdown("<p>open <b>bold <i>both</p> after") == "open **bold *both***\n\nafter"
