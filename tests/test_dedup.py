from dataprep.config import DedupConfig
from dataprep.dedup import dedup
from dataprep.dedup.stage import jaccard, shingles

from .conftest import issue

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
        ("jira:A-1", "dedup:near-duplicate-of:github:acme/w#9", f"jaccard {sim:.3f}")
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
