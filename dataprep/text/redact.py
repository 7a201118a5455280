"""Redaction before anything is written: secrets, credentials, internal URLs, e-mails, IPs,
phone numbers and people become typed placeholders, counted per type.

Order (a placeholder is never matched again):
1. secrets (``dataprep.text.secrets``): private-key blocks, tokens, keyword-assigned values;
2. credentials in URLs: ``https://<SECRET:url-credentials>@host/...``;
3. URLs on internal hosts (``RedactConfig.internal_domains``): ``<URL:internal>``;
4. e-mails ``<EMAIL>``, IP addresses ``<IP>``, phone numbers ``<PHONE>``;
5. people (``dataprep.text.people``): ``<PERSON:xxxxxx>``.

Not personal data, so left alone: addresses at reserved domains (RFC 2606/6761: example.com,
*.example, *.test, *.invalid, *.localhost), loopback, unspecified, reserved and documentation IPs
(RFC 5737, RFC 3849), dotted numbers in a version context (``v1.2.3.4``, ``foo==1.2.3.4``).

Speed: one Polars regex per text decides whether a text may hold anything at all; Python runs
only on those texts.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterable

import polars as pl

from dataprep.config import RedactConfig
from dataprep.text import people as people_mod
from dataprep.text import secrets
from dataprep.text.people import PeopleRedactor, Pseudonymizer, is_bot, key_from_env

# Local part and domain per RFC 5322's common subset; the TLD needs two letters so that
# "user@host" in a shell prompt or "v1.2@3" is left alone. Valid in Rust and Python regex.
EMAIL_PATTERN = r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
# The look-behind makes a match start only at the start of a word: without it, a long word with
# no "@" (a pasted base64 blob) is rescanned from each of its characters, quadratic in its length.
_EMAIL = re.compile(rf"(?<![A-Za-z0-9._%+\-]){EMAIL_PATTERN}")
RESERVED_DOMAINS = ("example.com", "example.org", "example.net")
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
# SSH users of the forges, in ``git@github.com:org/repo.git``: not a person.
_NOT_MAILBOXES = {"git"}

# After detect-secrets' BasicAuthDetector pattern (``://user:password@``), widened (ours) to an
# empty user (``redis://:password@host``) and to the sub-delimiters RFC 3986 allows in a
# password (``!$&'()*+,;=``), which detect-secrets leaves out. ``<>`` keep placeholders out.
_USER = r"[^:/?#\[\]@\s<>!$&'()*+,;=]*"
_PASSWORD = r"[^:/?#\[\]@\s<>]+"
_URL_CREDENTIALS = re.compile(rf"(?<=://)({_USER}:{_PASSWORD})@([A-Za-z0-9.\-]*)")
_TEMPLATE_HOLE = re.compile(r":(?:\$|\{|<|%|\*+$|x+$)")
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s<>\"'`\])]+")
_URL_TRAILING = ".,;:!?"

_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?!\w|\.\d)")
_IPV6 = re.compile(
    r"(?<![\w:.\-])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|\d{1,3}(?:\.\d{1,3}){3})?"
    r"(?:%[\w.]+)?(?![\w:]|\.\d)"
)
_DOC_NETWORKS = [
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
]
# A dotted quad right after one of these is a version, OID or section number, not an address.
_VERSION_BEFORE = re.compile(
    r"(?:\b(?:v|ver|version|versions|release|rel|build|tag|rev|revision|jdk|jre|java|python"
    r"|node|npm|firmware|fw|kernel|oid|section|sec|chapter|update|upgrade|upgraded|downgrade"
    r"|downgraded|bump|bumped)\b[ \t:#=]*(?:to[ \t]+|from[ \t]+)?"
    r"|(?:[=<>~!]=|[<>^~])[ \t]*|§[ \t]*"
    r"|/[\w.\-]+:)$",  # an image tag: registry.io/team/app:1.2.3.4
    re.IGNORECASE,
)
_VERSION_AFTER = re.compile(r"^(?:-[A-Za-z]|\+\w|\.[A-Za-z])")

# International: +country, then groups of digits. The left boundary is checked in Python: a
# leading look-behind would cost Python's regex its fast first-character scan.
_PHONE_INTL = re.compile(
    r"\+\d{1,3}[ .\-]?(?:\(\d{1,4}\)[ .\-]?)?\d{1,4}(?:[ .\-]?\d{2,4}){1,4}(?!\w)"
)
# North American: (555) 123-4567, 555-123-4567, 555.123.4567
_PHONE_NA = re.compile(r"(?:1[ .\-])?(?:\(\d{3}\)[ ]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}(?![\w\-]|\.\d)")
_PHONE_KEYWORD = re.compile(
    r"(?i)\b(?:phone|telephone|tel|mobile|cell|fax|whatsapp)\b[ \t]*(?:no\.?|number|#)?[ \t]*"
    r"[:\-]?[ \t]*(\+?\d[\d \t.\-()]{5,18}\d)(?![\w\-]|\.\d)"
)
# E.164 allows 15 digits; under 8 a bare number is too often an id, but after "phone:" a 7-digit
# local number (555-1234) is one.
_MIN_PHONE_DIGITS, _MAX_PHONE_DIGITS, _MIN_KEYWORD_PHONE_DIGITS = 8, 15, 7

# Each step with its Rust-regex prefilter: Polars runs the prefilters over every text, and
# Python runs a step only on the texts its prefilter matched.
Step = Callable[[str, Counter[str]], str]
_URL_CREDENTIALS_PREFILTER = r"://[^/\s@]*:[^/\s@]*@"
_EMAIL_PREFILTER = r"@[A-Za-z0-9\-]+\.[A-Za-z]"
_IPV4_PREFILTER = r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}"
_IPV6_PREFILTER = r"[0-9A-Fa-f]{1,4}::|::[0-9A-Fa-f]{1,4}|[0-9A-Fa-f]{1,4}(?::[0-9A-Fa-f]{1,4}){3}"


def _is_reserved_domain(domain: str) -> bool:
    domain = domain.lower().rstrip(".")
    if domain.rsplit(".", 1)[-1] in RESERVED_TLDS or domain == "localhost":
        return True
    return any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)


def _emails(text: str, counts: Counter[str]) -> str:
    if "@" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        local, _, domain = m.group(0).rpartition("@")
        if _is_reserved_domain(domain) or local.lower() in _NOT_MAILBOXES:
            return m.group(0)
        counts["email"] += 1
        return "<EMAIL>"

    return _EMAIL.sub(replace, text)


def _url_credentials(text: str, counts: Counter[str]) -> str:
    if "://" not in text or "@" not in text:
        return text

    def replace(m: re.Match[str]) -> str:
        # Template holes and the documentation hosts' user:pass are examples, not credentials.
        if _TEMPLATE_HOLE.search(m.group(1)) or _is_reserved_domain(m.group(2)):
            return m.group(0)
        counts["url-credentials"] += 1
        return f"<SECRET:url-credentials>@{m.group(2)}"

    return _URL_CREDENTIALS.sub(replace, text)


def _is_public_host_ip(candidate: str) -> bool:
    """Return True for an address that can point at a person's or company's machine."""
    try:
        ip = ipaddress.ip_address(candidate.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback or ip.is_unspecified or ip.is_reserved or ip.is_multicast:
        return False
    return not any(ip in net for net in _DOC_NETWORKS if net.version == ip.version)


def _ipv6(text: str, counts: Counter[str]) -> str:
    def replace(m: re.Match[str]) -> str:
        candidate = m.group(0)
        # C++/Rust scopes (abc::def) and MAC addresses: no digit, or rejected by ipaddress.
        if not any(c.isdigit() for c in candidate) or not _is_public_host_ip(candidate):
            return candidate
        counts["ip"] += 1
        return "<IP>"

    return _IPV6.sub(replace, text)


def _ipv4(text: str, counts: Counter[str]) -> str:
    def replace(m: re.Match[str]) -> str:
        start = m.start()
        if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "._"):
            return m.group(0)  # part of a longer dotted number or a word (v1.2.3.4)
        before = text[max(0, start - 24) : start]
        after = text[m.end() : m.end() + 2]
        line = text[text.rfind("\n", 0, start) + 1 : start].lstrip()
        # A Markdown heading names a release ("## Rails 6.1.3.1 (March 26, 2021)"), unless the
        # number carries a port or prefix length.
        heading = line.startswith("#") and after[:1] not in (":", "/")
        if (
            heading
            or _VERSION_BEFORE.search(before)
            or _VERSION_AFTER.match(after)
            or not _is_public_host_ip(m.group(0))
        ):
            return m.group(0)
        counts["ip"] += 1
        return "<IP>"

    return _IPV4.sub(replace, text)


def _phone_digits_ok(value: str, least: int = _MIN_PHONE_DIGITS) -> bool:
    n = sum(c.isdigit() for c in value)
    return least <= n <= _MAX_PHONE_DIGITS


def _phone_step(pattern: re.Pattern[str], not_before: str) -> Step:
    """Return a step replacing ``pattern`` matches with 8-15 digits, not glued to a word."""

    def step(text: str, counts: Counter[str]) -> str:
        def replace(m: re.Match[str]) -> str:
            glued = m.start() > 0 and (
                text[m.start() - 1].isalnum() or text[m.start() - 1] in not_before
            )
            if glued or not _phone_digits_ok(m.group(0)):
                return m.group(0)
            counts["phone"] += 1
            return "<PHONE>"

        return pattern.sub(replace, text)

    return step


def _phone_keywords(text: str, counts: Counter[str]) -> str:
    def replace(m: re.Match[str]) -> str:
        if not _phone_digits_ok(m.group(1), _MIN_KEYWORD_PHONE_DIGITS):
            return m.group(0)
        counts["phone"] += 1
        return m.group(0)[: m.start(1) - m.start()] + "<PHONE>"

    return _PHONE_KEYWORD.sub(replace, text)


def _internal_urls(domains: Iterable[str]) -> Callable[[str, Counter[str]], str]:
    """Return a step replacing URLs (with or without a scheme) on ``domains`` or subdomains."""
    names = [d.lower().strip(".") for d in domains if d.strip(".")]
    hosts = "|".join(re.escape(d) for d in names)
    bare = re.compile(
        rf"(?<![\w.\-@/<])(?:[A-Za-z0-9\-]+\.)*(?:{hosts})(?::\d+)?(?:/[^\s<>\"'`\])]*)?"
        r"(?![\w\-]|\.\w)",
        re.IGNORECASE,
    )

    def is_internal(url: str) -> bool:
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
        host = host.rpartition("@")[2].split(":", 1)[0].lower().strip("[]")
        return any(host == d or host.endswith("." + d) for d in names)

    def step(text: str, counts: Counter[str]) -> str:
        lowered = text.lower()
        if not any(d in lowered for d in names):
            return text

        def replace(m: re.Match[str]) -> str:
            url = m.group(0)
            core = url.rstrip(_URL_TRAILING)
            if m.re is _URL and not is_internal(core):
                return url
            counts["url-internal"] += 1
            return "<URL:internal>" + url[len(core) :]

        return bare.sub(replace, _URL.sub(replace, text))

    return step


_PHONE_STEPS: list[tuple[str, Step]] = [
    (r"(?i:\b(?:phone|telephone|tel|mobile|cell|fax|whatsapp)\b)", _phone_keywords),
    (r"\+\d", _phone_step(_PHONE_INTL, "+")),
    (r"\d{3}\)?[ .\-]\d{3}[ .\-]\d{4}", _phone_step(_PHONE_NA, "+-.")),
]


class Redactor:
    """Redacts one text at a time, in the fixed order; ``people`` is optional."""

    def __init__(self, cfg: RedactConfig | None = None, people: PeopleRedactor | None = None):
        cfg = cfg or RedactConfig()
        self.people = people
        self.steps: list[tuple[str, Step]] = [
            *secrets.STEPS,
            (_URL_CREDENTIALS_PREFILTER, _url_credentials),
        ]
        if cfg.internal_domains:
            names = [re.escape(d.lower().strip(".")) for d in cfg.internal_domains]
            self.steps.append((f"(?i:{'|'.join(names)})", _internal_urls(cfg.internal_domains)))
        self.steps += [
            (_EMAIL_PREFILTER, _emails),
            (_IPV6_PREFILTER, _ipv6),  # first, so that ::ffff:10.0.5.23 goes whole
            (_IPV4_PREFILTER, _ipv4),
            *_PHONE_STEPS,
        ]
        prefilters = [p for p, _ in self.steps]
        if people is not None:
            prefilters.append(people_mod.PREFILTER)
        self.prefilters = prefilters
        self.prefilter = "|".join(f"(?:{p})" for p in prefilters)

    def text(
        self,
        text: str,
        counts: Counter[str],
        candidates: Iterable[str] | None = None,
        flags: Iterable[bool] | None = None,
    ) -> str:
        """Return ``text`` redacted; ``counts`` gains one per replacement, by type. ``flags``
        (one per prefilter, from ``series``) skips the steps whose prefilter did not match."""
        flags = list(flags) if flags is not None else [True] * len(self.prefilters)
        for (_, step), flag in zip(self.steps, flags, strict=False):
            if flag:
                text = step(text, counts)
        if self.people is not None and (flags[-1] or candidates is None or candidates):
            text = self.people.text(text, counts, candidates)
        return text

    def hits(self, values: pl.Expr) -> pl.Expr:
        """Return a boolean expression: True where a text may hold something to redact."""
        hit = values.str.contains(self.prefilter)
        if self.people is not None and self.people.names:
            hit = hit | values.str.contains_any(self.people.names)
        return hit.fill_null(False)

    def series(self, values: pl.Series, counts: Counter[str]) -> pl.Series:
        """Return the string series redacted; Python runs only on prefiltered rows."""
        hit = values.to_frame("v").select(self.hits(pl.col("v")))["v"]
        idx = hit.arg_true()
        if idx.len() == 0:
            return values
        texts = values.gather(idx)
        flags = texts.to_frame("v").select(
            pl.col("v").str.contains(p).alias(str(i)) for i, p in enumerate(self.prefilters)
        )
        if self.people is not None and self.people.names:
            found = texts.str.extract_many(self.people.names, overlapping=True).to_list()
        else:
            found = [[]] * texts.len()
        new = [
            self.text(t, counts, c, f)
            for t, c, f in zip(texts.to_list(), found, flags.iter_rows(), strict=True)
        ]
        return values.clone().scatter(idx, pl.Series(new, dtype=pl.String))


_DEFAULT = Redactor()


def redact_text(text: str) -> str:
    """Return ``text`` with e-mails, phones, IPs, secrets and URL credentials replaced
    (no people: for quarantine lines, errors and log messages)."""
    return _DEFAULT.text(text, Counter())


def redact_string(text: str, cfg: RedactConfig, counts: Counter[str] | None = None) -> str:
    """Return ``text`` redacted as ``redact_records`` would, internal URLs included, people not."""
    return Redactor(cfg).text(text, counts if counts is not None else Counter())


def redact_records(frame: pl.DataFrame, cfg: RedactConfig) -> tuple[pl.DataFrame, dict[str, int]]:
    """Return the frame with secrets, personal data and people replaced by typed placeholders
    in title, body, author, assignee, comments, entries and contributors, and counts per type.

    Schema and row order are kept; with ``cfg.enabled`` False the frame comes back untouched.
    """
    if not cfg.enabled:
        return frame, {}
    counts: Counter[str] = Counter()
    people = None
    person_columns: dict[str, pl.Series] = {}
    if cfg.people:
        pseudonyms = Pseudonymizer(key_from_env(cfg.pseudonym_key_env), cfg.pseudonym_chars)
        names = _people_in(frame)
        people = PeopleRedactor(pseudonyms, names)
        mapping = {n: pseudonyms.of(n) for n in names if not is_bot(n)}
        person_columns = _pseudonymise_columns(frame, mapping, counts)
    redactor = Redactor(cfg, people)
    columns: dict[str, pl.Series] = {}
    for name in ("title", "body"):
        columns[name] = redactor.series(frame[name], counts)
    plain = Redactor(cfg)  # names in name columns are handled whole, not as text
    for name in ("author", "assignee", "contributors"):
        if name not in person_columns:
            person_columns[name] = _in_lists(frame[name], None, plain, counts)
    columns["comments"] = _in_lists(frame["comments"], "body", redactor, counts)
    if cfg.people:
        columns["comments"] = _replace_in_struct(columns["comments"], "author", mapping)
    else:
        columns["comments"] = _in_lists(columns["comments"], "author", plain, counts)
    columns["entries"] = _in_lists(frame["entries"], "text", redactor, counts)
    for name in ("author", "assignee", "contributors"):
        columns[name] = person_columns[name]
    redacted = frame.with_columns(columns[c].alias(c) for c in columns)
    return redacted, {k: counts[k] for k in sorted(counts) if counts[k]}


def _people_in(frame: pl.DataFrame) -> list[str]:
    """Return every name in author, assignee, comment authors and contributors (unique)."""
    values = pl.concat(
        [
            frame["author"],
            frame["assignee"],
            frame["comments"].explode().struct.field("author"),
            frame["contributors"].explode(),
        ]
    )
    return values.drop_nulls().unique().sort().to_list()


def _pseudonymise_columns(
    frame: pl.DataFrame, mapping: dict[str, str], counts: Counter[str]
) -> dict[str, pl.Series]:
    """Return author, assignee and contributors with each name replaced by its placeholder
    (bots kept); ``counts["person"]`` gains one per value replaced, comment authors included."""
    old, new = list(mapping), list(mapping.values())
    comment_authors = frame["comments"].explode().struct.field("author")
    for series in (frame["author"], frame["assignee"], frame["contributors"].explode()):
        counts["person"] += int(series.is_in(old).sum())
    counts["person"] += int(comment_authors.is_in(old).sum())
    return {
        "author": frame["author"].replace(old, new),
        "assignee": frame["assignee"].replace(old, new),
        "contributors": frame["contributors"].list.eval(pl.element().replace(old, new)),
    }


def _replace_in_struct(column: pl.Series, field: str, mapping: dict[str, str]) -> pl.Series:
    inner = pl.element().struct.field(field).replace(list(mapping), list(mapping.values()))
    return column.to_frame("c").select(
        pl.col("c").list.eval(pl.element().struct.with_fields(inner.alias(field)))
    )["c"]


def _in_lists(
    column: pl.Series, field: str | None, redactor: Redactor, counts: Counter[str]
) -> pl.Series:
    """Return a string, list-of-string or list-of-struct column with its texts redacted
    (``field`` names the struct field); only rows with a prefilter hit are rebuilt."""
    if column.dtype == pl.String:
        return redactor.series(column, counts)
    value = pl.element() if field is None else pl.element().struct.field(field)
    hit = column.to_frame("c").select(
        pl.col("c").list.eval(redactor.hits(value)).list.any().fill_null(False)
    )["c"]
    idx = hit.arg_true()
    if idx.len() == 0:
        return column
    rows = pl.DataFrame({"row": pl.int_range(idx.len(), eager=True), "c": column.gather(idx)})
    flat = rows.explode("c")
    texts = flat["c"] if field is None else flat["c"].struct.field(field)
    texts = redactor.series(texts, counts)
    if field is None:
        flat = flat.with_columns(texts.alias("c"))
    else:
        flat = flat.with_columns(pl.col("c").struct.with_fields(texts.alias(field)))
    rebuilt = flat.group_by("row", maintain_order=True).agg("c")["c"].cast(column.dtype)
    n = column.len()
    order = pl.int_range(n, eager=True).scatter(idx, pl.int_range(n, n + idx.len(), eager=True))
    return pl.concat([column, rebuilt]).gather(order)
