"""Redaction of secrets and personal data: the labelled set's recall and precision, and the
rules one by one."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from dataprep.config import RedactConfig
from dataprep.text.redact import EMAIL_PATTERN, redact_records, redact_string, redact_text

from .conftest import issue

LABELLED = Path(__file__).parent / "data" / "redaction_labelled.jsonl"
INTERNAL = RedactConfig(internal_domains=["corp.acme.com", "acme.internal"])
# Which placeholders count as a replacement of each labelled type.
PLACEHOLDERS = {
    "email": r"<EMAIL>",
    "ip": r"<IP>",
    "phone": r"<PHONE>",
    "secret": r"<SECRET:(?!url-credentials)[a-z\-]+>",
    "url-credentials": r"<SECRET:url-credentials>",
    "url-internal": r"<URL:internal>",
}


def _scores() -> dict[str, tuple[int, int, int, int]]:
    """Return per type: (expected, found, made, correct) over the labelled set."""
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    totals = {kind: [0, 0, 0, 0] for kind in PLACEHOLDERS}
    for row in rows:
        out = redact_string(row["text"], INTERNAL)
        for kind, placeholder in PLACEHOLDERS.items():
            values = [s["value"] for s in row["spans"] if s["type"] == kind]
            found = sum(value not in out for value in values)
            made = len(re.findall(placeholder, out)) - len(re.findall(placeholder, row["text"]))
            total = totals[kind]
            total[0] += len(values)
            total[1] += found
            total[2] += made
            total[3] += min(made, found)
    return {kind: tuple(t) for kind, t in totals.items()}


def test_labelled_set_is_big_enough_with_hard_negatives():
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines()]
    assert len(rows) >= 220
    assert sum(not row["spans"] for row in rows) >= 60
    assert all(s["value"] in row["text"] for row in rows for s in row["spans"])


def test_labelled_set_recall_and_precision():
    scores = _scores()
    for kind, (expected, found, made, correct) in scores.items():
        recall = found / expected if expected else 1.0
        precision = correct / made if made else 1.0
        print(f"{kind:16} n={expected:3} recall={recall:.3f} precision={precision:.3f}")
    for kind in ("email", "secret", "ip"):
        expected, found, made, correct = scores[kind]
        assert found / expected >= 0.99, kind
        assert correct / made >= 0.95, kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Contact jane.doe@acme-corp.com today", "Contact <EMAIL> today"),
        ("docs say user@example.com and a@mail.example.org", None),
        ("bob@localhost, alice@mail.test, x@y.invalid, me@host.example", None),
        ("git clone git@github.com:acme/app.git", None),
        ("ping noreply@vandelay.com", "ping <EMAIL>"),
    ],
)
def test_emails_at_reserved_domains_and_forge_ssh_users_stay(text, expected):
    assert redact_text(text) == (expected or text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("connect to 10.0.12.7:5432 failed", "connect to <IP>:5432 failed"),
        ("dial tcp [2a00:1450:4001:82b::200e]:443", "dial tcp [<IP>]:443"),
        ("mapped ::ffff:10.0.5.23 here", "mapped <IP> here"),
        ("link-local fe80::1%eth0 down", "link-local <IP> down"),
        ("on 127.0.0.1 and 0.0.0.0 and ::1", None),
        ("examples 192.0.2.1, 198.51.100.7, 203.0.113.9, 2001:db8::5", None),
        ("version 10.0.0.1, v1.2.3.4, foo==1.2.3.4, 1.2.3.4-beta, >= 2.0.0.1", None),
        ("upgrade to 4.2.0.1 and OID 1.3.6.1.4.1.311", None),
        ("std::vector and Foo::Bar::Baz, mac 00:1a:2b:3c:4d:5e at 10:15:30", None),
        ("netmask 255.255.255.0", None),
        ("## Acme Server 4.2.1.3 (May 2, 2024)\n* fixed export", None),
        ("## Outage on 10.0.0.7:8080\nhost 10.0.0.8 too", "## Outage on <IP>:8080\nhost <IP> too"),
        ("image: registry.acme.io/team/app:1.2.3.4", None),
    ],
)
def test_ips_are_validated_and_versions_docs_and_scopes_stay(text, expected):
    assert redact_text(text) == (expected or text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Call (212) 555-0198 now", "Call <PHONE> now"),
        ("On-call: +44 20 7946 0958", "On-call: <PHONE>"),
        ("Mobile: 0176 12345678.", "Mobile: <PHONE>."),
        ("Call 1-800-555-0199 or phone: 555-1234", "Call <PHONE> or phone: <PHONE>"),
        ("+1, same here; fixed in #12345 on 2024-03-15", None),
        ("ISBN 978-3-16-148410-0, id 4815162342, ports 8000-8080", None),
    ],
)
def test_phone_numbers_but_not_dates_votes_or_ids(text, expected):
    assert redact_text(text) == (expected or text)


def test_secret_tokens_become_typed_placeholders():
    text = (
        "AKIAZ7VRSQ5TJN2XASHB ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 "
        "glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn xoxb-1234567890-1234567890-abcdefghij "
        "sk_live_4eC39HqLyjWDarjtT1zdp7dcXYZ12345 AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"
    )
    counts: Counter[str] = Counter()
    out = redact_string(text, RedactConfig(), counts)
    assert out == (
        "<SECRET:aws> <SECRET:github> <SECRET:gitlab> <SECRET:slack> <SECRET:stripe>"
        " <SECRET:google>"
    )
    assert set(counts) == {
        "secret:aws", "secret:github", "secret:gitlab", "secret:slack", "secret:stripe",
        "secret:google",
    }  # fmt: skip


def test_jwt_needs_a_formally_valid_token_and_goes_whole():
    token = (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwiaWF0IjoxNTE2MjM5MDIyfQ"
        ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    )
    assert redact_text(f"Bearer {token} expired") == "Bearer <SECRET:jwt> expired"
    assert redact_text("eyJhbGciOi.eyJzdWIi.not-json") == "eyJhbGciOi.eyJzdWIi.not-json"


def test_whole_private_key_block_is_replaced_even_when_cut_off():
    block = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA7\nZ9x\n-----END RSA PRIVATE KEY-----"
    assert redact_text(f"key:\n{block}\nthanks") == "key:\n<SECRET:private-key>\nthanks"
    cut = "```\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n```\nhelp"
    assert redact_text(cut) == "```\n<SECRET:private-key>\n```\nhelp"
    public = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYI\n-----END PUBLIC KEY-----"
    assert redact_text(public) == public


def test_assigned_secrets_keep_their_name_and_placeholders_stay():
    assert redact_text("DB_PASSWORD=hunter22 ok") == "DB_PASSWORD=<SECRET:password> ok"
    assert redact_text('"client_secret": "Zx8vQ2mN7pL4kR9tW3yB6cD1",') == (
        '"client_secret": "<SECRET:password>",'
    )
    for text in (
        "password: ${DB_PASSWORD}",
        "token: ${{ secrets.GITHUB_TOKEN }}",
        "password: required",
        "max_tokens=4096",
        'tokenizer = "bert-base-uncased"',
        "api_key: <your-api-key>",
    ):
        assert redact_text(text) == text


def test_url_credentials_keep_scheme_and_host():
    assert redact_text("postgres://app:Sup3rS3cret@db:5432/app") == (
        "postgres://<SECRET:url-credentials>@db:5432/app"
    )
    assert redact_text("redis://:pa55word@cache:6379") == (
        "redis://<SECRET:url-credentials>@cache:6379"
    )
    assert redact_text("https://user:password@example.com/docs") == (
        "https://user:password@example.com/docs"
    )


def test_internal_urls_are_replaced_whole_with_and_without_scheme():
    text = (
        "See https://jira.corp.acme.com/browse/OPS-1. Log: ci.corp.acme.com/job/7 and"
        " https://github.com/acme/app, mail ops@corp.acme.com"
    )
    assert redact_string(text, INTERNAL) == (
        "See <URL:internal>. Log: <URL:internal> and https://github.com/acme/app, mail <EMAIL>"
    )
    assert redact_text(text).startswith("See https://jira.corp.acme.com/browse/OPS-1.")


def test_placeholders_are_never_matched_again():
    text = "a <EMAIL> b <IP> c <SECRET:aws> d password=<SECRET:password> <URL:internal>"
    assert redact_string(text, INTERNAL) == text


def test_email_pattern_stays_exported_for_the_build_tests():
    assert re.fullmatch(EMAIL_PATTERN, "jane.doe@acme-corp.com")
    assert pl.select(pl.lit("x a.b@c.de y").str.contains(EMAIL_PATTERN)).item()


def test_records_keep_schema_and_order_and_count_by_type(make_records, monkeypatch):
    monkeypatch.setenv("DATAPREP_PSEUDONYM_KEY", "test-key")
    frame = make_records(
        issue(
            "jira:A-1", "Crash for ops@acme-corp.com", "host 10.0.0.7 fails", author="Jordan Lee"
        ),
        issue("jira:A-2", "Clean title", "nothing to see", comments=[]),
        issue(
            "jira:A-3",
            "Token leak",
            "GH_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
            comments=[{"author": "Sam Roe", "created_at": None, "body": "mail sam@globex.io"}],
            entries=[{"section": "fixed", "text": "by ana@globex.io", "refs": []}],
        ),
    )
    out, counts = redact_records(frame, RedactConfig(people=False))
    assert out.schema == frame.schema
    assert out["record_id"].to_list() == ["jira:A-1", "jira:A-2", "jira:A-3"]
    assert out["title"].to_list() == ["Crash for <EMAIL>", "Clean title", "Token leak"]
    assert out["body"].to_list() == [
        "host <IP> fails",
        "nothing to see",
        "GH_TOKEN=<SECRET:github>",
    ]
    assert out["comments"][2].to_list() == [
        {"author": "Sam Roe", "created_at": None, "body": "mail <EMAIL>"}
    ]
    assert out["entries"][2][0]["text"] == "by <EMAIL>"
    assert out["author"][0] == "Jordan Lee"
    assert counts == {"email": 3, "ip": 1, "secret:github": 1}
    assert list(counts) == sorted(counts)


def test_disabled_redaction_returns_the_frame_untouched(make_records):
    frame = make_records(issue("jira:A-1", "ops@acme-corp.com", "10.0.0.7", author="Jo Lee"))
    out, counts = redact_records(frame, RedactConfig(enabled=False))
    assert out.equals(frame) and counts == {}
