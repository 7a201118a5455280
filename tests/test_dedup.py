from datetime import timedelta

import polars as pl
import pytest

from dataprep.config import DedupConfig
from dataprep.dedup import dedup

from .conftest import T0, issue

BASE = (
    "When a user uploads a CSV file larger than fifty megabytes the import worker runs out of "
    "memory and the upload page keeps spinning forever without showing any error message to the "
    "user. We reproduced it on staging with the attached file and saw the worker restart three "
    "times before the job was marked as failed in the admin dashboard."
)
NEAR = BASE.replace("three times", "four times") + " It also happens with TSV files."
OTHER = (
    "The dark mode toggle in the settings menu does not persist after logging out, so every "
    "morning the application comes back in the light theme even though the preference was saved."
)


def test_exact_duplicates_keep_the_most_complete_and_name_the_survivor(make_records):
    frame = make_records(
        issue("jira:A-2", "Upload hangs", BASE),
        issue(
            "jira:A-1",
            "Upload hangs!",
            BASE,
            comments=[{"author": "x", "created_at": None, "body": "seen"}],
        ),
        issue("jira:A-3", "Dark mode", OTHER),
    )
    result = dedup(frame, DedupConfig())
    assert result.kept["record_id"].to_list() == ["jira:A-1", "jira:A-3"]
    assert result.rejected.select("record_id", "reason", "detail").rows() == [
        ("jira:A-2", "dedup:exact-of:jira:A-1", "identical normalised text")
    ]
    assert result.kept["dup_cluster"].to_list() == ["jira:A-1", None]


def test_near_duplicates_above_the_threshold_are_removed_with_their_similarity(make_records):
    frame = make_records(
        issue("jira:A-1", "Upload hangs", BASE), issue("github:acme/w#9", "Upload hangs", NEAR)
    )
    sim = jaccard(
        shingles(_text("Upload hangs", BASE), 3), shingles(_text("Upload hangs", NEAR), 3)
    )
    assert 0.8 <= sim < 1
    result = dedup(frame, DedupConfig(threshold=0.8))
    assert result.kept["record_id"].to_list() == ["github:acme/w#9"]  # longer body survives
    assert result.rejected.select("record_id", "reason", "detail").rows() == [
        (
            "jira:A-1",
            "dedup:near-duplicate-of:github:acme/w#9",
            f"jaccard {sim:.3f} with the survivor",
        )
    ]


def test_pairs_below_the_threshold_are_kept(make_records):
    frame = make_records(issue("jira:A-1", "Upload hangs", BASE), issue("jira:A-2", "x", NEAR))
    result = dedup(frame, DedupConfig(threshold=0.95))
    assert result.kept.height == 2 and result.rejected.height == 0


def test_survivor_choice_does_not_depend_on_row_order(make_records):
    rows = [issue(f"jira:A-{i}", "Upload hangs", BASE) for i in (3, 1, 2)]
    a = dedup(make_records(*rows), DedupConfig())
    b = dedup(make_records(*reversed(rows)), DedupConfig())
    assert a.kept["record_id"].to_list() == b.kept["record_id"].to_list() == ["jira:A-1"]
    assert sorted(a.rejected.rows()) == sorted(b.rejected.rows())


def _text(title: str, body: str) -> str:
    import re

    return re.sub(r"[^\w]+", " ", f"{title} {body}".lower()).strip()


def shingles(text: str, n: int) -> set[str]:
    words = text.split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b)


def three_copies(make_records):
    return make_records(
        issue("jira:A-1", "Upload hangs", BASE, created_at=T0, updated_at=T0),
        issue(
            "github:acme/w#9",
            "Upload hangs",
            NEAR,
            created_at=T0 + timedelta(days=2),
            updated_at=T0 + timedelta(days=3),
        ),
        issue(
            "gitlab:acme/w#4",
            "Upload hangs",
            BASE,
            created_at=T0 + timedelta(days=1),
            updated_at=T0 + timedelta(days=9),
            comments=[{"author": "x", "created_at": None, "body": "seen on 2.4"}],
        ),
    )


@pytest.mark.parametrize(
    ("policy", "sources", "survivor", "why"),
    [
        ("most_complete", [], "github:acme/w#9", "most_complete: body 366 chars, 0 comments"),
        ("latest", [], "gitlab:acme/w#4", "latest: updated 2024-03-10"),
        ("earliest", [], "jira:A-1", "earliest: created 2024-03-01"),
        ("preferred_source", ["gitlab", "jira"], "gitlab:acme/w#4", "preferred_source: source"),
    ],
)
def test_survivor_policies_choose_and_explain(make_records, policy, sources, survivor, why):
    cfg = DedupConfig(threshold=0.8, survivor=policy, preferred_sources=sources)
    result = dedup(three_copies(make_records), cfg)
    assert result.kept["record_id"].to_list() == [survivor]
    assert result.kept["dup_cluster"].to_list() == [survivor]
    report = result.stats["clusters_frame"]
    assert report.height == 1
    row = report.row(0, named=True)
    assert row["survivor"] == survivor and row["size"] == 3 and row["policy"] == policy
    assert row["members"] == sorted(["jira:A-1", "github:acme/w#9", "gitlab:acme/w#4"])
    assert row["why"].startswith(why)
    assert 0.8 <= row["min_similarity"] <= row["max_similarity"] == 1.0
    assert set(result.rejected["reason"].str.extract(r"-of:(.+)$").to_list()) == {survivor}


def test_a_chain_member_names_the_survivor_with_its_own_similarity(make_records):
    result = dedup(three_copies(make_records), DedupConfig(threshold=0.8, survivor="earliest"))
    rows = dict(result.rejected.select("record_id", "detail").iter_rows())
    assert rows["gitlab:acme/w#4"] == "identical normalised text"
    assert rows["github:acme/w#9"].startswith("jaccard 0.8")


def test_mirrors_join_the_cluster_even_with_different_text(make_records):
    frame = make_records(
        issue("jira:ACME-7", "Upload hangs", BASE),
        issue("github:acme/w#3", "Upload hangs", OTHER),
    ).with_columns(pl.Series("same_as", [["github:acme/w#3"], ["jira:ACME-7"]]))
    result = dedup(frame, DedupConfig())
    assert result.rejected.select("record_id", "reason").rows() == [
        ("github:acme/w#3", "dedup:mirror-of:jira:ACME-7")
    ]
    assert result.rejected["detail"][0].startswith("the same item in another tracker; jaccard")


def release(version: str, *entries: str, project: str = "acme-cli") -> dict:
    lines = "\n".join(f"- {e}" for e in entries)
    return {
        "record_id": f"changelog:{project}@{version}",
        "source": "changelog",
        "kind": "release",
        "project": project,
        "title": f"{project} {version}",
        "body": f"### Changed\n\n{lines}",
        "version": version,
        "entries": [{"section": "changed", "text": e, "refs": []} for e in entries],
    }


def test_an_entry_repeated_across_versions_is_boilerplate_and_removed(make_records):
    frame = make_records(
        release("2.1.0", "Updated dependencies.", "Faster `acme items list` on big workspaces."),
        release("2.2.0", "Update dependencies (#88)", "New `--json` flag for every command."),
        release("2.3.0", "Updated dependencies", "Login with SSO works behind proxies."),
        release("2.4.0", "Dropped Node 16 support.", "Login with SSO works behind proxies."),
        release("1.0.0", "Updated dependencies.", project="acme-web"),
    )
    result = dedup(frame, DedupConfig())
    removed = result.stats["boilerplate_frame"]
    assert removed.select("record_id", "text", "detail").rows() == [
        ("changelog:acme-cli@2.1.0", "Updated dependencies.", "in 3 versions of acme-cli"),
        ("changelog:acme-cli@2.2.0", "Update dependencies (#88)", "in 3 versions of acme-cli"),
        ("changelog:acme-cli@2.3.0", "Updated dependencies", "in 3 versions of acme-cli"),
    ]
    assert set(removed["reason"]) == {"dedup:boilerplate-entry"}
    kept = {r["record_id"]: r for r in result.kept.iter_rows(named=True)}
    assert [e["text"] for e in kept["changelog:acme-cli@2.2.0"]["entries"]] == [
        "New `--json` flag for every command."
    ]
    assert "dependencies" not in kept["changelog:acme-cli@2.2.0"]["body"]
    # in two versions only, and in another project: not boilerplate
    assert len(kept["changelog:acme-cli@2.4.0"]["entries"]) == 2
    assert len(kept["changelog:acme-web@1.0.0"]["entries"]) == 1


def test_the_shipped_index_removes_what_an_earlier_build_shipped(make_records, tmp_path):
    from dataprep.config import ConfigError
    from dataprep.dedup.index import ShippedIndex
    from dataprep.dedup.stage import comparable_text

    cfg = DedupConfig(index=str(tmp_path / "index"))
    first = make_records(
        issue("jira:A-1", "Upload hangs", BASE), issue("jira:A-3", "Dark mode", OTHER)
    )
    index = ShippedIndex(tmp_path / "index", cfg)
    shipped = dedup(first, cfg, index)
    assert shipped.rejected.height == 0
    index.append(shipped.kept, comparable_text(shipped.kept))

    later = make_records(
        issue("jira:A-3", "Dark mode", OTHER + " Still happens."),  # the same record again
        issue("github:acme/w#9", "Upload hangs", NEAR),  # re-filed elsewhere
        issue("jira:A-9", "Export", "The nightly export stops after the first page of results."),
    )
    result = dedup(later, cfg, ShippedIndex(tmp_path / "index", cfg))
    assert result.kept["record_id"].to_list() == ["jira:A-9"]
    rows = result.rejected.select("record_id", "reason", "detail").rows()
    assert rows[0][:2] == ("github:acme/w#9", "dedup:shipped-before:jira:A-1")
    assert rows[0][2].startswith("near-duplicate shipped by an earlier build; jaccard 0.8")
    assert rows[1] == (
        "jira:A-3",
        "dedup:shipped-before:jira:A-3",
        "the same record shipped by an earlier build; jaccard 1.0",
    )
    assert len(list((tmp_path / "index").glob("part-*.parquet"))) == 1

    with pytest.raises(ConfigError, match="num_perm 128 \\(config: 64\\)"):
        ShippedIndex(tmp_path / "index", DedupConfig(num_perm=64))
