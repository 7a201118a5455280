import polars as pl

from dataprep.config import CleanConfig, QualityConfig, RedactConfig
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
            "Mail to ops@acme-corp.com bounces",
            EN + " Contact jane.doe@acme-corp.com for access, or see user@example.com in the docs.",
            comments=[{"author": "bob", "created_at": None, "body": "cc bob.smith@fjordbank.no"}],
            author="carol@acme.io",
        )
    )
    result = clean(frame, CleanConfig(redact=RedactConfig(people=False)))
    row = result.kept.row(0, named=True)
    assert row["title"] == "Mail to <EMAIL> bounces"
    # an address at a reserved example domain is documentation, not a person
    assert row["body"].endswith("Contact <EMAIL> for access, or see user@example.com in the docs.")
    assert row["comments"][0]["body"] == "cc <EMAIL>"
    assert row["author"] == "<EMAIL>"
    assert result.stats["redactions"] == {"email": 4}


def test_people_become_the_same_pseudonym_in_columns_and_text(make_records, monkeypatch):
    monkeypatch.setenv("DATAPREP_PSEUDONYM_KEY", "test-key")
    frame = make_records(
        issue(
            "github:a/b#1",
            "Export fails",
            EN + "\n\ncc @jordan-smith, who saw it first.",
            author="jordan-smith",
            assignee="lchen-dev",
            comments=[
                {"author": "lchen-dev", "created_at": None, "body": "Thanks @jordan-smith, on it."}
            ],
        )
    )
    row = clean(frame, CleanConfig()).kept.row(0, named=True)
    jordan, li = row["author"], row["assignee"]
    assert jordan.startswith("<PERSON:") and li.startswith("<PERSON:") and jordan != li
    assert row["body"].endswith(f"cc {jordan}, who saw it first.")
    assert row["comments"][0] == {
        "author": li,
        "created_at": None,
        "body": f"Thanks {jordan}, on it.",
    }


def test_redact_text_leaves_versions_and_handles_alone():
    assert redact_text("upgrade to 1.2.3.4 by @octo, see git@1.2") == (
        "upgrade to 1.2.3.4 by @octo, see git@1.2"
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
    assert result.stats["languages"] == {"de": 1, "en": 1}


def test_bodies_with_too_few_words_or_only_a_placeholder_are_dropped(make_records):
    frame = make_records(
        issue("github:a/b#1", "Crash", "see title"),
        issue("github:a/b#2", "Crash", "```\nTraceback (most recent call last):\n  boom\n```"),
        issue("github:a/b#3", "Crash", "It crashes on start."),
    )
    result = clean(frame, CleanConfig())
    assert result.kept.height == 0
    assert result.rejected.select("record_id", "reason", "detail").rows() == [
        ("github:a/b#1", "quality:placeholder", "body is only 'see title'"),
        ("github:a/b#2", "quality:too-few-words", "0 words < min_words 5"),
        ("github:a/b#3", "quality:too-few-words", "4 words < min_words 5"),
    ]


def test_undetermined_language_is_rejected_unless_allowed(make_records):
    frame = make_records(issue("jira:A-1", "x", "1234 5678 9012 3456 7890 1234 5678 90 ok go"))
    cfg = CleanConfig(quality=QualityConfig(min_alpha_words=0.0))
    assert clean(frame, cfg).rejected["detail"].to_list() == ["und: too little prose to tell"]
    allowed = CleanConfig(quality=QualityConfig(min_alpha_words=0.0), languages=["und"])
    assert clean(frame, allowed).kept.height == 1


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
    assert row["title"] == "Export fails"
    assert "\r" not in row["body"] and "\n\n\n" not in row["body"]


def test_release_entries_and_contributors_are_redacted_too(make_records):
    release = {
        "record_id": "changelog:acme-web@1.2.0",
        "source": "changelog",
        "kind": "release",
        "title": "acme-web 1.2.0",
        "body": EN,
        "entries": [{"section": "fixed", "text": "Ask ops@acme-corp.com for keys", "refs": []}],
        "contributors": ["Jane Doe <jane@acme-corp.com>", "octo"],
    }
    result = clean(make_records(release), CleanConfig(redact=RedactConfig(people=False)))
    row = result.kept.row(0, named=True)
    assert row["entries"][0]["text"] == "Ask <EMAIL> for keys"
    assert row["contributors"] == ["Jane Doe <<EMAIL>>", "octo"]
    assert result.stats["redactions"] == {"email": 2}


def test_policy_bots_and_noise_are_rejected_first_with_their_reasons(make_records):
    frame = make_records(
        issue("jira:OPS-1", "Keys", EN, security_level="Security team only"),
        issue("github:a/b#2", "Bump lodash from 4.17.20 to 4.17.21", EN, author="dependabot[bot]"),
        issue(
            "github:a/b#3",
            "Export fails",
            EN,
            comments=[
                {"author": "github-actions[bot]", "created_at": None, "body": "Labelled triage."},
                {"author": "erin", "created_at": None, "body": "+1"},
                {"author": "erin", "created_at": None, "body": "Same on 2.4, the log says OOM."},
            ],
        ),
    )
    result = clean(frame, CleanConfig(redact=RedactConfig(people=False)))
    assert result.rejected.select("record_id", "reason").rows() == [
        ("jira:OPS-1", "policy:security-level"),
        ("github:a/b#2", "noise:bot-author"),
    ]
    assert [c["body"] for c in result.kept["comments"][0]] == ["Same on 2.4, the log says OOM."]
    assert result.stats["comments_dropped"] == {"noise:bot": 1, "noise:plus-one": 1}
