import polars as pl

from dataprep.config import CleanConfig
from dataprep.text.clean import clean
from dataprep.text.normalize import prose_expr
from dataprep.text.redact import redact_text

from .conftest import issue

EN = (
    "The export job fails every night when the report contains more than ten thousand rows, "
    "and the scheduler then retries it until the queue is full."
)
DE = (
    "Der Export schlägt jede Nacht fehl, wenn der Bericht mehr als zehntausend Zeilen enthält, "
    "und der Planer versucht es dann so lange erneut, bis die Warteschlange voll ist."
)


def test_emails_are_replaced_in_title_body_and_comments_and_counted(make_records):
    frame = make_records(
        issue(
            "jira:A-1",
            "Mail to ops@acme.example.com bounces",
            EN + " Contact jane.doe@acme-corp.com for access.",
            comments=[{"author": "bob", "created_at": None, "body": "cc bob.smith@example.org"}],
            author="carol@acme.io",
        )
    )
    result = clean(frame, CleanConfig())
    row = result.kept.row(0, named=True)
    assert row["title"] == "Mail to <EMAIL> bounces"
    assert row["body"].endswith("Contact <EMAIL> for access.")
    assert row["comments"][0]["body"] == "cc <EMAIL>"
    assert row["author"] == "<EMAIL>"
    assert result.stats["redactions"] == {"email": 4}


def test_redact_text_leaves_versions_and_handles_alone():
    assert (
        redact_text("upgrade to 1.2.3 by @octo, see git@1.2")
        == "upgrade to 1.2.3 by @octo, see git@1.2"
    )
    assert redact_text("from a.b@c.de") == "from <EMAIL>"


def test_language_is_detected_deterministically_and_filtered(make_records):
    frame = make_records(issue("jira:A-1", "Export fails", EN), issue("jira:A-2", "Export", DE))
    result = clean(frame, CleanConfig(languages=["en"]))
    assert result.kept["record_id"].to_list() == ["jira:A-1"]
    assert result.kept["lang"].to_list() == ["en"]
    assert result.rejected.select("record_id", "reason").rows() == [
        ("jira:A-2", "lang:not-allowed")
    ]
    assert result.rejected["detail"][0].startswith("de (")
    again = clean(frame, CleanConfig(languages=["en", "de"]))
    assert again.kept["lang"].to_list() == ["en", "de"]


def test_short_bodies_are_dropped_with_their_length(make_records):
    frame = make_records(
        issue("github:a/b#1", "Crash", "see title"),
        issue("github:a/b#2", "Crash", "```\nTraceback (most recent call last):\n  boom\n```"),
    )
    result = clean(frame, CleanConfig(min_chars=30))
    assert result.kept.height == 0
    assert result.rejected.select("record_id", "reason", "detail").rows() == [
        ("github:a/b#1", "quality:too-short", "9 prose characters < min_chars 30"),
        ("github:a/b#2", "quality:too-short", "0 prose characters < min_chars 30"),
    ]


def test_undetermined_language_is_rejected_unless_allowed(make_records):
    frame = make_records(issue("jira:A-1", "x", "1234 5678 9012 3456 7890 1234 5678 90"))
    cfg = CleanConfig(min_chars=5)
    assert clean(frame, cfg).rejected["detail"].to_list() == ["und: too little prose to tell"]
    assert clean(frame, CleanConfig(min_chars=5, languages=["und"])).kept.height == 1


def test_prose_drops_code_urls_markup_and_placeholders():
    text = (
        "## Steps\nRun `make` then see https://x.example/a and [the docs](https://d.example)."
        "\n```py\nprint(1)\n```\nMail <EMAIL>."
    )
    prose = pl.select(prose_expr(pl.lit(text))).item()
    assert prose == "Steps Run then see and the docs. Mail ."


def test_normalisation_unifies_line_endings_and_width(make_records):
    frame = make_records(
        issue("jira:A-1", "Ｅｘｐｏｒｔ  fails", EN.replace(", ", ",\r\n\r\n\r\n"))
    )
    row = clean(frame, CleanConfig()).kept.row(0, named=True)
    assert row["title"] == "Export  fails"
    assert "\r" not in row["body"] and "\n\n\n" not in row["body"]


def test_release_entries_and_contributors_are_redacted_too(make_records):
    release = {
        "record_id": "changelog:acme-web@1.2.0",
        "source": "changelog",
        "kind": "release",
        "title": "acme-web 1.2.0",
        "body": EN,
        "entries": [{"section": "fixed", "text": "Ask ops@acme.example for keys", "refs": []}],
        "contributors": ["Jane Doe <jane@acme.example>", "octo"],
    }
    result = clean(make_records(release), CleanConfig())
    row = result.kept.row(0, named=True)
    assert row["entries"][0]["text"] == "Ask <EMAIL> for keys"
    assert row["contributors"] == ["Jane Doe <<EMAIL>>", "octo"]
    assert result.stats["redactions"] == {"email": 2}
