"""People become stable keyed pseudonyms in name columns and in text."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter

import pytest

from dataprep.config import RedactConfig
from dataprep.text import people
from dataprep.text.people import PeopleRedactor, Pseudonymizer, key_from_env
from dataprep.text.redact import redact_records

from .conftest import issue

KEY = b"k3y"


def p(name: str) -> str:
    """Return the expected placeholder, computed independently of the code under test."""
    digest = hmac.new(KEY, name.encode(), hashlib.sha256).hexdigest()
    return f"<PERSON:{digest[:6]}>"


def redactor(*names: str) -> PeopleRedactor:
    return PeopleRedactor(Pseudonymizer(KEY, 6), names)


def test_pseudonym_is_keyed_hmac_of_the_normalised_name():
    pseudonyms = Pseudonymizer(KEY, 6)
    assert pseudonyms.of("jsmith") == p("jsmith")
    assert pseudonyms.of("@JSmith ") == p("jsmith")
    assert pseudonyms.of("Jane Doe <jane@corp.io>") == p("jane doe")
    assert Pseudonymizer(b"other", 6).of("jsmith") != p("jsmith")
    assert len(Pseudonymizer(KEY, 10).of("jsmith")) == len("<PERSON:>") + 10


def test_key_comes_from_the_environment_or_a_warned_public_default(monkeypatch, caplog):
    monkeypatch.setenv("DP_TEST_KEY", "s3cret")
    assert key_from_env("DP_TEST_KEY") == b"s3cret"
    monkeypatch.delenv("DP_TEST_KEY")
    monkeypatch.setattr(people, "_warned", set())
    with caplog.at_level(logging.WARNING, logger="dataprep.text.people"):
        assert key_from_env("DP_TEST_KEY") == people.DEFAULT_KEY
        assert key_from_env("DP_TEST_KEY") == people.DEFAULT_KEY
    assert [r.levelname for r in caplog.records] == ["WARNING"]
    assert "DP_TEST_KEY" in caplog.text


def test_mentions_outside_code_become_pseudonyms():
    text = (
        "Thanks @jsmith and @mary-k! Try `@jsmith` or\n```java\n@Override\nvoid run() {}\n```\n"
        "npm i @types/node, mail jane@example.com, @pytest.fixture, @Override in prose"
    )
    counts: Counter[str] = Counter()
    out = redactor().text(text, counts)
    assert out == (
        f"Thanks {p('jsmith')} and {p('mary-k')}! Try `@jsmith` or\n```java\n@Override\n"
        "void run() {}\n```\nnpm i @types/node, mail jane@example.com, @pytest.fixture,"
        " @Override in prose"
    )
    assert counts == {"person": 2}


def test_jira_mentions_and_bot_handles():
    out = redactor("dependabot[bot]").text("[~jsmith] asked @dependabot to rebase", Counter())
    assert out == f"{p('jsmith')} asked @dependabot to rebase"


def test_trailers_replace_name_and_email():
    text = (
        "Fix export\n\nSigned-off-by: Jane Doe <jane@corp.io>\n"
        "Co-authored-by: Bo Li <<EMAIL>>\nReviewed-by: ops-team"
    )
    counts: Counter[str] = Counter()
    out = redactor().text(text, counts)
    assert out == (
        f"Fix export\n\nSigned-off-by: {p('jane doe')} <<EMAIL>>\n"
        f"Co-authored-by: {p('bo li')} <<EMAIL>>\nReviewed-by: {p('ops-team')}"
    )
    assert counts == {"person": 3, "email": 1}


def test_known_names_are_replaced_as_whole_words_only():
    names = ("Jordan Smith", "jsmith", "Li", "root", "Mark")
    text = "Jordan Smith said jsmith-bot and jsmiths differ; Li ion, <li>, root cause, Markdown"
    out = redactor(*names).text(text, Counter())
    assert out == (
        f"{p('jordan smith')} said jsmith-bot and jsmiths differ; Li ion, <li>, root cause,"
        " Markdown"
    )
    assert redactor(*names).text("ask Mark, or jsmith.", Counter()) == (
        f"ask {p('mark')}, or {p('jsmith')}."
    )


@pytest.fixture
def thread(make_records):
    return make_records(
        issue(
            "github:acme/app#7",
            "Export crashes for Jordan Smith",
            "Reported by @jsmith.\n\nSigned-off-by: Jordan Smith <jordan@acme-corp.com>",
            author="jsmith",
            assignee="Jordan Smith",
            comments=[
                {"author": "renovate[bot]", "created_at": None, "body": "Updated deps"},
                {"author": "kim", "created_at": None, "body": "@jsmith can you retry?"},
                {"author": "kim", "created_at": None, "body": "Jordan Smith: fixed"},
                {"author": None, "created_at": None, "body": "ghost comment"},
            ],
        ),
        issue("github:acme/app#8", "Other", "by kim", contributors=["kim", "Jordan Smith"]),
    )


def test_records_get_the_same_pseudonym_for_the_same_person(thread, monkeypatch):
    monkeypatch.setenv("DATAPREP_PSEUDONYM_KEY", KEY.decode())
    out, counts = redact_records(thread, RedactConfig())
    first, second = out.rows(named=True)
    assert first["author"] == p("jsmith")
    assert first["assignee"] == p("jordan smith")
    assert first["title"] == f"Export crashes for {p('jordan smith')}"
    assert first["body"] == (
        f"Reported by {p('jsmith')}.\n\nSigned-off-by: {p('jordan smith')} <<EMAIL>>"
    )
    authors = [c["author"] for c in first["comments"]]
    assert authors == ["renovate[bot]", p("kim"), p("kim"), None]
    assert first["comments"][1]["body"] == f"{p('jsmith')} can you retry?"
    assert first["comments"][2]["body"] == f"{p('jordan smith')}: fixed"
    assert second["body"] == f"by {p('kim')}"
    assert second["contributors"] == [p("kim"), p("jordan smith")]
    assert out.schema == thread.schema
    # columns: jsmith, Jordan Smith, kim twice (comments), kim + Jordan Smith (contributors) = 6;
    # text: title, @jsmith, trailer, @jsmith and Jordan Smith in comments, "kim" in a body = 6
    assert counts == {"email": 1, "person": 12}


def test_people_can_be_left_alone(thread):
    out, counts = redact_records(thread, RedactConfig(people=False))
    assert out["author"].to_list() == ["jsmith", None]
    assert out["body"][0] == ("Reported by @jsmith.\n\nSigned-off-by: Jordan Smith <<EMAIL>>")
    assert counts == {"email": 1}
