"""People become stable pseudonyms: ``<PERSON:7f3a12>``, a keyed HMAC-SHA256 of the name.

The same name gives the same placeholder everywhere (author, comment authors, @mentions,
Signed-off-by trailers, the name written in prose), so a thread stays coherent without names.
The key comes from an environment variable; without it a fixed public key is used and the build
warns once, since anyone can then recompute the pseudonym of a known name.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections import Counter
from collections.abc import Iterable

log = logging.getLogger("dataprep.text.people")

# Public on purpose: pseudonyms made with it are stable but linkable by anyone who has a name.
DEFAULT_KEY = b"dataprep-public-pseudonym-key-v1"
_warned: set[str] = set()

# Rust-regex prefilter (no look-around) for @mentions, Jira [~user] and trailers.
PREFILTER = (
    r"@[A-Za-z0-9]|\[~"
    r"|(?i:(?:signed-off|co-authored|reported|reviewed|acked|tested|suggested|helped)-by\s*:)"
)

# A login or display name that is a role or a common word, not a person: the column value is
# still pseudonymised, but the word is not hunted for in prose ("root cause", "the admin").
_NOT_IN_PROSE = {
    "admin", "administrator", "root", "system", "user", "guest", "unknown", "anonymous", "none",
    "null", "support", "build", "test", "deploy", "service", "unassigned", "automation", "team",
}  # fmt: skip
# Single-word names shorter than this are not hunted in prose: "Li", "Al" or "Ed" would hit
# HTML tags, element symbols and words; their @mentions and column values are still replaced.
MIN_PROSE_NAME = 3

# Annotations and at-rules that look like @mentions in prose and code-less tickets.
_NOT_HANDLES = {
    "override", "deprecated", "suppresswarnings", "functionalinterface", "safevarargs", "test",
    "before", "after", "beforeeach", "aftereach", "beforeall", "afterall", "autowired",
    "component", "service", "bean", "configuration", "inject", "entity", "nullable", "nonnull",
    "notnull", "value", "property", "staticmethod", "classmethod", "dataclass", "abstractmethod",
    "cached_property", "param", "return", "returns", "throws", "see", "since", "link",
    "injectable", "input", "output", "media", "import", "keyframes", "font-face", "apply",
    "mixin", "include", "extend", "here", "channel", "everyone", "all", "latest", "next",
    "types", "jsonproperty", "getter", "setter", "data", "slf4j", "transactional",
}  # fmt: skip

_MENTION = re.compile(
    r"(?<![\w@.+/\-`])@([A-Za-z0-9](?:[A-Za-z0-9_\-]*[A-Za-z0-9])?)(?![\w\-/(\[]|\.\w)"
)
_JIRA_MENTION = re.compile(r"\[~(?:accountid:)?([^\]\s]+)\]")
_CODE = re.compile(r"(```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)|`[^`\n]+`)", re.DOTALL)
_TRAILER = re.compile(
    r"^([ \t>]*(?:Signed-off|Co-authored|Reported|Reviewed|Acked|Tested|Suggested|Helped)-by"
    r"[ \t]*:[ \t]*)([^<\n]*?)([ \t]*<[^\n]*>)?[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)
_EMAIL_IN_ANGLES = re.compile(r"[^<>\s]+@[^<>\s]+")
_TRAILING_EMAIL = re.compile(r"\s*<[^<>]*>\s*$")


def normalise_name(name: str) -> str:
    """Return the form a name is keyed on: a trailing ``<e-mail>``, blanks and "@" dropped,
    casefolded, so "@JSmith", "jsmith" and "jsmith <j@x.org>" are one person."""
    name = _TRAILING_EMAIL.sub("", name).strip()
    return name.removeprefix("@").casefold()


def is_bot(name: str) -> bool:
    """Return True for app accounts ("dependabot[bot]"): automation, not people."""
    return name.strip().casefold().endswith("[bot]")


def key_from_env(env_name: str) -> bytes:
    """Return the pseudonym key from ``env_name``; without it the public default, warned once."""
    value = os.environ.get(env_name)
    if value:
        return value.encode()
    if env_name not in _warned:
        _warned.add(env_name)
        log.warning(
            "%s is not set: people are pseudonymised with the public default key, so anyone who"
            " knows a name can recompute its pseudonym; set %s to a secret value",
            env_name,
            env_name,
        )
    return DEFAULT_KEY


class Pseudonymizer:
    """Maps a name to ``<PERSON:xxxxxx>``: ``chars`` hex digits of HMAC-SHA256(key, name)."""

    def __init__(self, key: bytes, chars: int = 6) -> None:
        self._key = key
        self._chars = chars
        self._cache: dict[str, str] = {}

    def of(self, name: str) -> str:
        """Return the placeholder for ``name`` (normalised first, see ``normalise_name``)."""
        key = normalise_name(name)
        found = self._cache.get(key)
        if found is None:
            digest = hmac.new(self._key, key.encode(), hashlib.sha256).hexdigest()
            found = self._cache[key] = f"<PERSON:{digest[: self._chars]}>"
        return found


def prose_names(names: Iterable[str]) -> list[str]:
    """Return the known names worth finding in text: no bots, e-mails, roles or short words."""
    found = set()
    for raw in names:
        name = _TRAILING_EMAIL.sub("", raw).strip().removeprefix("@")
        if not name or is_bot(name) or "@" in name or name.casefold() in _NOT_IN_PROSE:
            continue
        if (" " not in name and len(name) < MIN_PROSE_NAME) or name.isdigit():
            continue
        found.add(name)
    return sorted(found)


def _is_word(c: str) -> bool:
    return c.isalnum() or c in "_-"


def name_spans(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    """Return the sorted, non-overlapping spans where a name stands as a whole word (longest
    name first, so "Jordan Smith" wins over "Jordan"); ``str.find`` beats compiling a regex of
    each text's candidate names."""
    spans: list[tuple[int, int]] = []
    for name in sorted(set(names), key=len, reverse=True):
        start = text.find(name)
        while start != -1:
            end = start + len(name)
            before = text[start - 1] if start else " "
            after = text[end : end + 2]
            glued = _is_word(before) or (after[:1] and _is_word(after[0]))
            dotted = after[:1] == "." and len(after) > 1 and _is_word(after[1])
            if not glued and not dotted and all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
            start = text.find(name, end)
    return sorted(spans)


class PeopleRedactor:
    """Replaces people in text: trailers, @mentions outside code, then every known name."""

    def __init__(self, pseudonymizer: Pseudonymizer, names: Iterable[str] = ()) -> None:
        self.pseudonymizer = pseudonymizer
        self.names = prose_names(names)
        self._bots = {normalise_name(n).removesuffix("[bot]") for n in names if is_bot(n)}

    def text(self, text: str, counts: Counter[str], candidates: Iterable[str] | None = None) -> str:
        """Return ``text`` with people replaced; ``candidates`` are the known names it contains
        (found by the caller in bulk), or None to search all known names here."""
        if ":" in text and "-by" in text.lower():
            text = _TRAILER.sub(lambda m: self._trailer(m, counts), text)
        if "@" in text or "[~" in text:
            text = "".join(
                part if i % 2 else self._mentions(part, counts)
                for i, part in enumerate(_CODE.split(text))
            )
        if candidates is None:
            candidates = [n for n in self.names if n in text]
        spans = name_spans(text, candidates)
        if spans:
            out, pos = [], 0
            for start, end in spans:
                out += [text[pos:start], self._person(text[start:end], counts)]
                pos = end
            out.append(text[pos:])
            text = "".join(out)
        return text

    def _person(self, name: str, counts: Counter[str]) -> str:
        counts["person"] += 1
        return self.pseudonymizer.of(name)

    def _trailer(self, m: re.Match[str], counts: Counter[str]) -> str:
        name, email = m.group(2).strip(), m.group(3) or ""
        if name and not name.startswith("<PERSON:"):
            name = self._person(name, counts)
        if email and "<EMAIL>" not in email and "@" in email:
            counts["email"] += 1
            email = _EMAIL_IN_ANGLES.sub("<EMAIL>", email)
        return f"{m.group(1)}{name}{email}"

    def _mentions(self, text: str, counts: Counter[str]) -> str:
        def mention(m: re.Match[str]) -> str:
            handle = m.group(1).casefold()
            if handle in _NOT_HANDLES or handle in self._bots:
                return m.group(0)
            return self._person(m.group(1), counts)

        if "[~" in text:
            text = _JIRA_MENTION.sub(lambda m: self._person(m.group(1), counts), text)
        return _MENTION.sub(mention, text)
