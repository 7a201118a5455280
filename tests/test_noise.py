"""Bot and noise comments dropped with a reason; e-mail quotes and signatures cut."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from dataprep.config import DEFAULT_BOTS
from dataprep.text.noise import drop_noise_comments, is_bot_expr, strip_email_quotes_expr
from tests.conftest import T0, issue


def comments(*pairs: tuple[str, str]) -> list[dict]:
    return [
        {"author": author, "created_at": T0 + timedelta(hours=i), "body": body}
        for i, (author, body) in enumerate(pairs)
    ]


def kept_bodies(make_records, *pairs: tuple[str, str]) -> tuple[list[str], dict[str, int]]:
    frame = make_records(issue("github:acme/app#1", "t", "b", comments=comments(*pairs)))
    out, counts = drop_noise_comments(frame, DEFAULT_BOTS)
    return [c["body"] for c in out["comments"][0]], counts


def strip_mail(*texts: str | None) -> list[str | None]:
    frame = pl.DataFrame({"t": list(texts)}, schema={"t": pl.String})
    return frame.select(strip_email_quotes_expr(pl.col("t")))["t"].to_list()


def test_bot_patterns_are_globs_ignoring_case_with_literal_brackets():
    authors = [
        "dependabot[bot]",
        "renovate[bot]",
        "github-actions[bot]",
        "codecov-commenter",
        "stale[bot]",
        "Jira Automation",
        "automation for jira",
        "Jenkins",
        "bot",  # "*[bot]" is literal brackets, not the character class [bot]
        "robert",
        "alice",
        None,
    ]
    frame = pl.DataFrame({"a": authors}, schema={"a": pl.String})
    got = frame.select(is_bot_expr(pl.col("a"), DEFAULT_BOTS))["a"].to_list()
    assert got == [True] * 8 + [False, False, False, None]


def test_custom_bot_list_replaces_the_default():
    frame = pl.DataFrame({"a": ["ci-runner-7", "dependabot[bot]", "CI-Runner-77"]})
    assert frame.select(is_bot_expr(pl.col("a"), ["ci-runner-?"]))["a"].to_list() == [
        True,
        False,
        False,
    ]
    assert frame.select(is_bot_expr(pl.col("a"), []))["a"].to_list() == [False, False, False]


def test_bot_comments_are_dropped_and_counted(make_records):
    bodies, counts = kept_bodies(
        make_records,
        ("alice", "I can reproduce this on 2.4 with the steps above."),
        (
            "dependabot[bot]",
            "Bumps [lodash](https://github.com/lodash/lodash) from 4.17.20 to 4.17.21.",
        ),
        ("renovate[bot]", "### Configuration\n\n📅 **Schedule**: Branch creation - At any time"),
        (
            "github-actions[bot]",
            "This PR is stale because it has been open 60 days with no activity.",
        ),
        ("codecov[bot]", "## [Codecov](https://app.codecov.io/gh/acme/app/pull/12) Report"),
        ("stale[bot]", "This issue has been automatically marked as stale."),
        ("Automation for Jira", "Transitioned to Done after the linked PR was merged."),
    )
    assert bodies == ["I can reproduce this on 2.4 with the steps above."]
    assert counts == {"noise:bot": 6, "noise:plus-one": 0, "noise:ci": 0, "noise:empty": 0}


@pytest.mark.parametrize(
    "body",
    ["+1", "+1!", "👍", "👍🏽👍", ":+1:", "Same here!", "same here +1", "Me too.", "any update?",
     "Any updates on this??", "Any news on this?", "bump", "Bump!!", "+1 same issue here"],
)  # fmt: skip
def test_plus_one_variants_are_noise(make_records, body):
    bodies, counts = kept_bodies(make_records, ("hiro", body))
    assert bodies == []
    assert counts["noise:plus-one"] == 1


@pytest.mark.parametrize(
    "body",
    [
        "+1, and here is a workaround: set EXPORT_BATCH=500 in the env.",
        "Same here on 2.4.1 with Postgres 15, the log is attached.",
        "Any update? We are blocked on the 3.0 release by this.",
    ],
)
def test_plus_one_with_content_is_kept(make_records, body):
    bodies, counts = kept_bodies(make_records, ("hiro", body))
    assert bodies == [body]
    assert counts["noise:plus-one"] == 0


def test_ci_notifications_from_person_accounts_are_noise(make_records):
    bodies, counts = kept_bodies(
        make_records,
        ("build-svc", "Build #123 failed\nhttps://ci.acme.example/job/app/123/"),
        (
            "Hudson",
            "SUCCESS: Integrated in Jenkins build Search-trunk #5012 (See "
            "[https://builds.example.org/job/Search-trunk/5012/])\nSEARCH-88 fix the tokenizer",
        ),
        ("qa", "Jenkins build app-nightly #88 finished: SUCCESS"),
        (
            "carol.k",
            "## [Codecov](https://codecov.io/gh/acme/app/pull/7) Report\n"
            "| Files | Coverage Δ |\n|---|---|\n| app/export.py | `91.2% <100%>` |",
        ),
        ("carol.k", "The build failed on my machine too because of the missing JDK."),
    )
    assert bodies == ["The build failed on my machine too because of the missing JDK."]
    assert counts["noise:ci"] == 4


def test_comment_that_is_only_a_quote_or_comment_is_empty(make_records):
    bodies, counts = kept_bodies(
        make_records,
        ("erin", "<!-- generated: do not edit -->"),
        ("erin", "On Tue, 4 Jun 2024 at 09:12, Bob <bob@acme.example> wrote:\n> is it fixed?"),
        ("erin", ""),
    )
    assert bodies == []
    assert counts["noise:empty"] == 3


def test_markdown_quote_replies_are_kept(make_records):
    reply = "> Could you attach the full log?\n\nHere it is, the timeout is at 10:42."
    bodies, counts = kept_bodies(make_records, ("bob-dev", reply))
    assert bodies == [reply]
    assert counts == {"noise:bot": 0, "noise:plus-one": 0, "noise:ci": 0, "noise:empty": 0}


def test_order_schema_and_empty_lists_are_preserved(make_records):
    frame = make_records(
        issue(
            "github:acme/app#1",
            "t",
            "b",
            comments=comments(("a", "first"), ("stale[bot]", "x"), ("b", "second")),
        ),
        issue("github:acme/app#2", "t", "b", comments=[]),
        issue("github:acme/app#3", "t", "b", comments=comments(("c", "+1"), ("d", "third"))),
    )
    out, _ = drop_noise_comments(frame, DEFAULT_BOTS)
    assert out.schema == frame.schema
    assert out["record_id"].to_list() == frame["record_id"].to_list()
    assert [[(c["author"], c["body"]) for c in cs] for cs in out["comments"]] == [
        [("a", "first"), ("b", "second")],
        [],
        [("d", "third")],
    ]
    assert out["comments"][0][1]["created_at"] == T0 + timedelta(hours=2)


def test_email_reply_thread_keeps_only_the_new_message():
    body = (
        "Hi team,\n\nThe nightly export to the SFTP server failed again at 02:00.\n\n"
        "Best regards,\nJane Doe\nOperations | Acme Corp\n+1 555 0100\n\n"
        "On Mon, 3 Jun 2024 at 10:00, Support Desk <support@acme.example> wrote:\n"
        "> Hello Jane,\n>\n> we restarted the job, please confirm.\n"
    )
    assert strip_mail(body) == [
        "Hi team,\n\nThe nightly export to the SFTP server failed again at 02:00."
    ]


def test_outlook_headers_and_original_message_cut_everything_below():
    outlook = (
        "Still failing after the patch.\n\n"
        "________________________________\nFrom: Support Desk <support@acme.example>\n"
        "Sent: Monday, June 3, 2024 10:00 AM\nTo: Jane Doe\nSubject: RE: [ACME-12] export\n\n"
        "Please try the patch."
    )
    original = "Confirmed fixed.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nold"
    assert strip_mail(outlook, original) == ["Still failing after the patch.", "Confirmed fixed."]


def test_signatures_are_cut_and_the_message_kept():
    texts = [
        "The VPN drops every hour.\n--\nJane Doe\nAcme Corp",
        "Yes, works now.\n\nSent from my iPhone",
        "Thanks, see the attached HAR file.\n\nKind regards,\nJane",
        # not at the end, or too long to be a signature block: kept
        "Best regards to the team that fixed it.\nIt works now.",
        "Regards,\n" + "\n".join(f"step {i}: run the export and wait for it" for i in range(6)),
        # inside a code block a "--" line is SQL, not a signature
        "Query:\n```sql\nSELECT 1\n--\nFROM t\n```",
    ]
    assert strip_mail(*texts) == [
        "The VPN drops every hour.",
        "Yes, works now.",
        "Thanks, see the attached HAR file.",
        texts[3],
        texts[4],
        texts[5],
    ]


def test_plain_text_and_null_pass_through():
    text = "The export fails.\n\n> From the docs: exports run nightly.\n\nIs that still true?"
    assert strip_mail(text, None) == [text, None]
