"""Cross-source linking: resolve the references each record makes to the records they name.

Every record is indexed under its id, its native key in the spellings references use
(``ACME-12``; ``acme/widgets#45``; ``#45`` when only one repository has a #45) and its URL.
A reference resolves when exactly one record answers to it; an ambiguous one stays unresolved,
so nothing downstream is built on a guess. The stage adds two columns and drops nothing:

- ``linked_records``: ids of the records this one references (release entries -> issues).
- ``entry_links``: per release entry, the ids its references resolve to, and ``?REF`` for a
  reference that resolves to no record or to several (so a task can tell a sure link).
- ``same_as``: ids of mirrors of this item in other trackers (the same title, and one of the
  two names the other by key or URL, as sync bots and "Mirrored from ..." lines do), so
  dedup can keep one copy by its policy.
"""

from __future__ import annotations

import re
from collections import defaultdict

import polars as pl

from dataprep.schema import StageResult

STAGE = "link"
_REPO_REF = re.compile(r"^(?P<repo>[\w.-]+/[\w.-]+)(?P<sep>[#!])(?P<n>\d+)$")


def build_index(frame: pl.DataFrame) -> dict[str, str | None]:
    """Return reference spelling -> record id (None where two records claim the spelling)."""
    claims: dict[str, set[str]] = defaultdict(set)
    for row in frame.select("record_id", "project", "key", "url", "source").iter_rows(named=True):
        for spelling in _spellings(row):
            claims[spelling].add(row["record_id"])
    return {s: (next(iter(ids)) if len(ids) == 1 else None) for s, ids in claims.items()}


def resolve(ref: str, index: dict[str, str | None], repos: set[str]) -> str | None:
    """Return the record id ``ref`` names, or None when unknown or ambiguous.

    ``owner/repo#N`` naming a repository no record comes from falls back to ``#N``: changelogs
    often point their compare links at another repository than the one holding the issues.
    """
    if ref in index:
        return index[ref]
    match = _REPO_REF.match(ref)
    if match and match.group("repo") not in repos:
        return index.get(f"{match.group('sep')}{match.group('n')}")
    return None


def link(frame: pl.DataFrame) -> StageResult:
    """Return the records with ``linked_records`` and ``same_as`` added (nothing rejected)."""
    index = build_index(frame)
    repos = {p for p in frame["project"].drop_nulls().to_list() if "/" in p}
    rows = frame.select("record_id", "links", "entries", "title", "source", "kind").to_dicts()
    by_id = {row["record_id"]: row for row in rows}
    linked: list[list[str]] = []
    entry_links: list[list[list[str]]] = []
    for row in rows:
        refs = set(row["links"]) | {r for e in row["entries"] or [] for r in e["refs"]}
        ids = {resolve(ref, index, repos) for ref in refs}
        linked.append(sorted(i for i in ids if i and i != row["record_id"]))
        entry_links.append(
            [
                sorted({resolve(r, index, repos) or f"?{r}" for r in _issue_refs(e["refs"])})
                for e in row["entries"] or []
            ]
        )
    mirrors: dict[str, set[str]] = defaultdict(set)
    for row, targets in zip(rows, linked, strict=True):
        for target in targets:
            other = by_id[target]
            if _is_mirror(row, other):
                mirrors[row["record_id"]].add(target)
                mirrors[target].add(row["record_id"])
    same_as = [sorted(mirrors.get(row["record_id"], ())) for row in rows]
    kept = frame.with_columns(
        pl.Series("linked_records", linked, dtype=pl.List(pl.String)),
        pl.Series("entry_links", entry_links, dtype=pl.List(pl.List(pl.String))),
        pl.Series("same_as", same_as, dtype=pl.List(pl.String)),
    )
    n_links = sum(len(x) for x in linked)
    return StageResult(kept, stats={"links": n_links, "mirrors": sum(map(len, same_as)) // 2})


def remap(frame: pl.DataFrame, survivors: dict[str, str]) -> pl.DataFrame:
    """Return ``linked_records`` pointing at dedup survivors instead of the copies removed."""
    if not survivors:
        return frame
    linked = [
        sorted({survivors.get(i, i) for i in ids} - {rid})
        for rid, ids in zip(frame["record_id"], frame["linked_records"].to_list(), strict=True)
    ]
    entries = [
        [sorted({survivors.get(i, i) for i in ids}) for ids in per_entry]
        for per_entry in frame["entry_links"].to_list()
    ]
    return frame.with_columns(
        pl.Series("linked_records", linked, dtype=pl.List(pl.String)),
        pl.Series("entry_links", entries, dtype=pl.List(pl.List(pl.String))),
    )


def _issue_refs(refs: list[str]) -> list[str]:
    """Return the references that can name a tracker item (not commit SHAs or CVE ids)."""
    return [r for r in refs if not r.startswith(("commit:", "CVE-"))]


def _spellings(row: dict) -> list[str]:
    spellings = [row["record_id"]]
    key, project = row["key"], row["project"]
    if row["url"]:
        spellings.append(row["url"].rstrip("/"))
    if key and row.get("source") not in ("changelog", "github_release"):
        if key.startswith(("#", "!")) and project:
            spellings += [f"{project}{key}", key]
        else:
            spellings.append(key)
    return spellings


def _is_mirror(a: dict, b: dict) -> bool:
    return (
        a["kind"] == b["kind"] == "issue"
        and a["source"] != b["source"]
        and _norm(a["title"]) == _norm(b["title"])
        and bool(_norm(a["title"]))
    )


def _norm(text: str | None) -> str:
    return re.sub(r"\W+", " ", (text or "").lower()).strip()
