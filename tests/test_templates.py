"""Issue-template scaffolding: HTML comments, checklists, empty sections, placeholders."""

from __future__ import annotations

import polars as pl

from dataprep.text.templates import is_placeholder_expr, strip_templates_expr


def strip(*texts: str | None) -> list[str | None]:
    frame = pl.DataFrame({"body": list(texts)}, schema={"body": pl.String})
    return frame.select(strip_templates_expr(pl.col("body")))["body"].to_list()


# How a GitHub issue form (bug_report.yml) renders: every field a "### Label" section, empty
# fields "_No response_", checkbox fields a checklist; the Markdown template adds <!-- help -->.
ISSUE_FORM = """\
<!--
  Thanks for taking the time to report a bug! Please search existing issues first.
  Fill in every section below.
-->

### What happened?

{what}

### Steps to reproduce

{steps}

### Relevant log output

```shell
{log}
```

### Anything else?

_No response_

### Code of Conduct

- [ ] I have searched the existing issues
- [ ] I agree to follow this project's Code of Conduct"""


def test_issue_form_keeps_answers_and_drops_scaffolding():
    body = ISSUE_FORM.format(
        what="Exporting a report with 10k rows hangs the browser tab.",
        steps="1. Open Reports\n2. Click Export",
        log="Uncaught RangeError: Maximum call stack size exceeded",
    )
    assert strip(body) == [
        "### What happened?\n\n"
        "Exporting a report with 10k rows hangs the browser tab.\n\n"
        "### Steps to reproduce\n\n"
        "1. Open Reports\n2. Click Export\n\n"
        "### Relevant log output\n\n"
        "```shell\nUncaught RangeError: Maximum call stack size exceeded\n```"
    ]


def test_sections_with_only_placeholders_are_dropped():
    body = (
        "### Describe the bug\n\nLogin fails with SSO.\n\n"
        "### Screenshots\n\nN/A\n\n"
        "### Workaround\n\nnone\n\n"
        "### Version\n\n-\n\n"
        "### Notes\n\nTBD\n\n"
        "### Browser\n\nNo response"
    )
    assert strip(body) == ["### Describe the bug\n\nLogin fails with SSO."]


def test_parent_heading_stays_only_when_a_sub_heading_has_content():
    body = (
        "## Environment\n\n### OS\n\n_No response_\n\n### Version\n\n2.4.1\n\n"
        "## Context\n\n### Logs\n\n### Screenshots\n\n"
        "## Expected\n\nThe export finishes."
    )
    assert strip(body) == [
        "## Environment\n\n### Version\n\n2.4.1\n\n## Expected\n\nThe export finishes."
    ]


def test_code_blocks_are_untouched():
    # A shell comment is not a heading, and a comment or checklist inside a block is code.
    body = (
        "### Steps\n\n```bash\n# install\n<!-- not a comment here -->\n- [ ] literal\n"
        "pip install acme\n```\n\n### Extra\n\n_No response_"
    )
    assert strip(body) == [
        "### Steps\n\n```bash\n# install\n<!-- not a comment here -->\n- [ ] literal\n"
        "pip install acme\n```"
    ]


def test_a_section_holding_only_a_code_block_has_content():
    body = "### Logs\n\n~~~\nERROR timeout\n~~~\n\n### Notes\n\nN/A"
    assert strip(body) == ["### Logs\n\n~~~\nERROR timeout\n~~~"]


def test_html_comment_wrapping_an_example_block_goes_whole():
    body = (
        "Crash on start.\n\n<!-- Paste your log like this:\n```\nlog here\n```\n-->\n\n"
        "```\nreal log\n```"
    )
    assert strip(body) == ["Crash on start.\n\n```\nreal log\n```"]


def test_checked_items_and_other_lists_stay():
    body = (
        "Tasks:\n\n- [x] parser done\n- [ ] I have read the FAQ\n* [ ] Searched issues\n"
        "- plain item"
    )
    assert strip(body) == ["Tasks:\n\n- [x] parser done\n- plain item"]


def test_jira_bold_labels_are_sections_too():
    # Jira description templates convert to bold labels, not headings.
    body = (
        "The board freezes when a card is dragged.\n\n"
        "**Environment:**\nN/A\n\n"
        "**Steps to reproduce:**\n1. Open the board\n2. Drag a card\n\n"
        "**Workaround:**\n"
    )
    assert strip(body) == [
        "The board freezes when a card is dragged.\n\n"
        "**Steps to reproduce:**\n1. Open the board\n2. Drag a card"
    ]


def test_text_without_scaffolding_is_unchanged_and_null_stays_null():
    body = "# Scheduler\n\nThe scheduler skips jobs after a DST change.\n\n> quoted from the docs"
    assert strip(body, None, "") == [body, None, ""]


def test_two_issues_from_one_template_share_little_after_stripping():
    a = ISSUE_FORM.format(
        what="The CSV importer drops rows whose last column is empty. It happens with files"
        " exported from Excel, and the summary still says every row was imported.",
        steps="1. Save a sheet whose last column has blanks as CSV\n2. Import it",
        log="INFO imported 2 of 3 rows",
    )
    b = ISSUE_FORM.format(
        what="Dark mode makes the settings page unreadable on Safari: grey text on a grey"
        " background. Chrome and Firefox look fine.",
        steps="1. Switch macOS to dark mode\n2. Open Settings in Safari 17",
        log="no errors in the console",
    )

    def shingles(text: str) -> set[tuple[str, ...]]:
        # word 3-grams, as the near-duplicate stage compares them
        words = text.lower().split()
        return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}

    def jaccard(x: str, y: str) -> float:
        return len(shingles(x) & shingles(y)) / len(shingles(x) | shingles(y))

    after_a, after_b = strip(a, b)
    assert jaccard(a, b) > 0.3
    assert jaccard(after_a, after_b) < 0.1


def test_is_placeholder_is_true_only_for_a_whole_placeholder():
    texts = ["N/A", " _No response_ ", "tbd", "-", "None.", "N/A, see logs", "", None]
    frame = pl.DataFrame({"t": texts}, schema={"t": pl.String})
    assert frame.select(is_placeholder_expr(pl.col("t")))["t"].to_list() == [
        True,
        True,
        True,
        True,
        False,
        False,
        False,
        None,
    ]
