"""Secrets in tracker text (tokens, keys, passwords) replaced by ``<SECRET:kind>`` placeholders.

The token shapes are detect-secrets' own detectors (its plugins' compiled ``denylist`` regexes,
``JwtTokenDetector.is_formally_valid`` and the Base64 Shannon-entropy helper); a pattern of our
own is added only where detect-secrets has none, and says so. Its file scanner is not used: it is
file-based and far too slow for 10^6 records.

Order: whole private-key blocks first (a key body must not be half-matched as base64 tokens),
then the token shapes, then values assigned to password/token/secret names.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.private_key import PrivateKeyDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.stripe import StripeDetector

# A token shape ends where its alphabet ends: several detect-secrets regexes match a fixed-length
# prefix (Stripe's 24 characters) or end lazily (JWT), so a match is extended over the rest of
# the token and nothing of it stays readable.
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-]*")
_JWT_TAIL = re.compile(r"[A-Za-z0-9_\-.+/=]*")

# Our own: detect-secrets has no GitHub fine-grained PAT, no Google API key and no Stripe test
# key pattern (a test key still opens the account's test data).
_OWN_TOKENS: list[tuple[str, re.Pattern[str]]] = [
    ("github", re.compile(r"github_pat_[A-Za-z0-9_]{50,}")),
    ("google", re.compile(r"AIza[0-9A-Za-z_\-]{35}")),
    ("stripe", re.compile(r"(?:r|s)k_test_[0-9a-zA-Z]{24,}")),
]

# Literal hints per kind: a pattern runs only on a text holding one of them.
_HINTS = {
    "aws": ("A3T", "ABIA", "ACCA", "AKIA", "ASIA"),
    "github": ("gh", "github_pat_"),
    "gitlab": ("gl", "GR1348941"),
    "slack": ("xox", "hooks.slack.com"),
    "stripe": ("k_live_", "k_test_"),
    "google": ("AIza",),
}
TOKEN_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("aws", AWSKeyDetector.denylist[0]),
    *(("github", p) for p in GitHubTokenDetector.denylist),
    *(("gitlab", p) for p in GitLabTokenDetector.denylist),
    *(("slack", p) for p in SlackDetector.denylist),
    *(("stripe", p) for p in StripeDetector.denylist),
    *_OWN_TOKENS,
]

# AWS secret access keys: detect-secrets' rule (the 40 characters quoted, near "aws ... key"),
# plus our own unquoted form for ~/.aws/credentials and env dumps
# (``aws_secret_access_key = wJalr...``).
_AWS_SECRET = [
    AWSKeyDetector.denylist[1],
    re.compile(
        r"aws.{0,20}?(?:key|pwd|pw|password|pass|token)\w*\s*[:=]\s*([0-9a-zA-Z/+]{40})(?![\w/+])",
        re.IGNORECASE,
    ),
]

# Whole private-key blocks, BEGIN to END (ours: detect-secrets only spots the header line).
# The headers are detect-secrets'; a block cut off by a paste ends at a blank line, a code
# fence or the end of the text.
_KEY_HEADERS = "|".join(p.pattern for p in PrivateKeyDetector.denylist if "BEGIN" in p.pattern)
_PRIVATE_KEY_BLOCK = re.compile(
    rf"-----(?:{_KEY_HEADERS})-----"
    r"(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|.*?(?=\n\s*\n|\n\s*```|\Z))",
    re.DOTALL,
)
_PUTTY_BLOCK = re.compile(
    r"PuTTY-User-Key-File-\d:.*?(?:Private-MAC:[^\n]*|(?=\n\s*\n|\n\s*```|\Z))", re.DOTALL
)

# Values assigned to secret-ish names: ``password=...``, ``"token": "..."``, ``API_KEY: ...``,
# ``Authorization: Bearer ...``. Ours, after detect-secrets' keyword plugin (which flags any
# value, with no entropy test, and so floods tracker text with false positives). The pattern
# starts at the keyword (a leading ``[\w-]*`` would make every word a start and the search
# quadratic); a prefix such as ``DB_`` simply stays in front of the match.
_NAME = (
    r"(?:pass(?:wd|word)?|pwd|secret|token|api[_\-]?key|access[_\-]?key|private[_\-]?key"
    r"|auth[_\-]?key|credentials?)[A-Za-z0-9_\-]*"
)
# Searched in the lowercased text (seven times faster than IGNORECASE), positions mapped back.
_ASSIGNED = re.compile(
    rf"(?P<name>{_NAME})(?P<sep>[\"'\]]{{0,2}}\s*(?::=|=>|==|!=|=|:)\s*)"
    r"(?P<quote>[\"'`]?)(?P<value>[^\s\"'`,;]+)"
)
_ASSIGNED_ANY_CASE = re.compile(_ASSIGNED.pattern, re.IGNORECASE)
_AUTH_HEADER = re.compile(
    r"(?P<name>\bAuthorization)(?P<sep>[\"']?\s*:\s*(?:Basic|Bearer|Token|token|bearer)\s+)"
    r"(?P<quote>)(?P<value>[A-Za-z0-9_\-.+/=~]{8,})"
)
# References and template holes are not secrets: ${VAR}, {{ secrets.X }}, <your-token>, %s,
# os.environ[...], ***.
_NOT_A_VALUE = re.compile(r"^(?:\$|%|\{|<|\*|\(|\[|os\.|env\.|process\.|ENV\b|https?://|none$)")
_PLACEHOLDER_WORDS = {
    "changeme", "password", "secret", "token", "xxxxxxxx", "redacted", "required",
    "optional", "null", "none", "true", "false", "undefined", "example", "your_token",
    "your_password", "yourpassword", "mypassword", "dummy", "placeholder", "masked",
}  # fmt: skip
_ENTROPY = Base64HighEntropyString()
# Token-like names need a long, high-entropy value; password-like names accept a short one
# if it is not a plain lowercase word (hunter2 is a password, "required" a schema word).
_MIN_TOKEN_LEN = 16
_MIN_TOKEN_ENTROPY = 3.0
_MIN_PASSWORD_LEN = 6
_MIN_PASSWORD_ENTROPY = 2.3


def _extend(text: str, end: int, tail: re.Pattern[str]) -> int:
    match = tail.match(text, end)
    return match.end() if match else end


def _sub_spans(text: str, spans: list[tuple[int, int, str]], counts: Counter[str]) -> str:
    """Return ``text`` with non-overlapping ``(start, end, placeholder)`` spans replaced."""
    if not spans:
        return text
    spans.sort()
    out, pos = [], 0
    for start, end, kind in spans:
        if start < pos:
            continue
        out.append(text[pos:start])
        out.append(f"<SECRET:{kind}>")
        counts[f"secret:{kind}"] += 1
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _private_keys(text: str, counts: Counter[str]) -> str:
    if "PRIVATE KEY" not in text and "PuTTY-User-Key" not in text:
        return text
    for pattern in (_PRIVATE_KEY_BLOCK, _PUTTY_BLOCK):
        text = pattern.sub(
            lambda m: _count(counts, "secret:private-key", "<SECRET:private-key>"), text
        )
    return text


def _count(counts: Counter[str], key: str, placeholder: str) -> str:
    counts[key] += 1
    return placeholder


def _tokens(text: str, counts: Counter[str]) -> str:
    spans: list[tuple[int, int, str]] = []
    kinds = {kind for kind, hints in _HINTS.items() if any(h in text for h in hints)}
    for kind, pattern in TOKEN_PATTERNS:
        if kind not in kinds:
            continue
        for m in pattern.finditer(text):
            if "EXAMPLE" in m.group(0):  # AWS's own documentation keys
                continue
            spans.append((m.start(), _extend(text, m.end(), _TOKEN_TAIL), kind))
    if "eyJ" in text:
        for m in JwtTokenDetector.denylist[0].finditer(text):
            end = _extend(text, m.end(), _JWT_TAIL)
            token = text[m.start() : end].rstrip(".")
            if token.count(".") >= 1 and JwtTokenDetector.is_formally_valid(token):
                spans.append((m.start(), m.start() + len(token), "jwt"))
    if "aws" in text.lower():
        for pattern in _AWS_SECRET:
            for m in pattern.finditer(text):
                if "EXAMPLE" not in m.group(1):
                    spans.append((m.start(1), m.end(1), "aws"))
    return _sub_spans(text, spans, counts)


def is_secret_value(name: str, value: str) -> bool:
    """Return True when ``value``, assigned to ``name``, looks like a real secret."""
    if _NOT_A_VALUE.match(value) or value.lower() in _PLACEHOLDER_WORDS or value.isdigit():
        return False
    if len(set(value)) <= 2:  # xxxxxxxx, ********, 00000000
        return False
    entropy = _ENTROPY.calculate_shannon_entropy(value)
    lowered = name.lower()
    if "pass" in lowered or "pwd" in lowered or lowered == "authorization":
        if value.isalpha() and value.islower():
            return False
        return len(value) >= _MIN_PASSWORD_LEN and entropy >= _MIN_PASSWORD_ENTROPY
    mixed = (
        any(c.isdigit() for c in value)
        + any(c.isupper() for c in value)
        + any(c.islower() for c in value)
    )
    return len(value) >= _MIN_TOKEN_LEN and entropy >= _MIN_TOKEN_ENTROPY and mixed >= 2


def _assigned(text: str, counts: Counter[str]) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        matches = list(_ASSIGNED.finditer(lowered))
    else:  # a few characters (İ) change length when lowercased
        matches = list(_ASSIGNED_ANY_CASE.finditer(text))
    if "uthorization" in text:
        matches += _AUTH_HEADER.finditer(text)
        matches.sort(key=lambda m: m.start())
    out, pos = [], 0
    for m in matches:
        value_start, value_end = m.span("value")
        if value_start < pos:
            continue
        value = text[value_start:value_end]
        core = value.rstrip(".)]}>")
        if "<SECRET:" in value or not is_secret_value(m.group("name"), core):
            continue
        counts["secret:password"] += 1
        out += [text[pos:value_start], "<SECRET:password>"]
        pos = value_start + len(core)
    out.append(text[pos:])
    return "".join(out)


# Each step with its Rust-regex prefilter (no look-around): a text without a match has nothing
# for that step. Kept loose on purpose; the Python patterns decide.
STEPS: list[tuple[str, Callable[[str, Counter[str]], str]]] = [
    (r"PRIVATE KEY|PuTTY-User-Key", _private_keys),
    (
        r"A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA|gh[pousr]_|github_pat_|gl[a-z]{2,6}-|GR1348941"
        r"|xox[a-z]-|hooks\.slack\.com|[rs]k_(?:live|test)_|AIza|eyJ|(?i:aws)",
        _tokens,
    ),
    (
        r"(?i:(?:pass|pwd|token|secret|key|credential)[\w\-]*[\"'\]]{0,2}\s*(?:[:=]|!=))"
        r"|Authorization",
        _assigned,
    ),
]


def redact_secrets(text: str, counts: Counter[str]) -> str:
    """Return ``text`` with secrets replaced by ``<SECRET:kind>``; ``counts`` gains one per hit."""
    for _, step in STEPS:
        text = step(text, counts)
    return text
