"""Quality rules: each fires on the shape it is for, names its measure, and spares real issues."""

from __future__ import annotations

import polars as pl
import pytest

from dataprep.config import QualityConfig
from dataprep.text.normalize import prose_expr
from dataprep.text.quality import measures, top_ngram_fractions, verdicts

REAL_BUG = (
    "When a report has more than ten thousand rows the export job stops after the first page "
    "and the file only holds the header. It worked in 2.3 and broke after the upgrade.\n\n"
    "### Steps to reproduce\n\n1. Open a report with 12,000 rows\n2. Click Export\n\n"
    "```\njava.lang.IllegalStateException: page cursor closed\n"
    "    at com.acme.export.Pager.next(Pager.java:88)\n```\n\n"
    "Expected a file with every row; got 1 line."
)
LONG_PROSE = (
    "The nightly scheduler run took longer than the one before because the queue kept growing. "
    "By Thursday it overlapped with the morning imports, which then waited on the same locks. "
    "We tried raising the worker count, but the database CPU was already at its limit and the "
    "extra workers only made the lock waits longer. Splitting the import into smaller batches "
    "helped a little. What finally fixed it was moving the archive step out of the transaction."
)


def judge(*bodies: str | None, cfg: QualityConfig | None = None) -> list[tuple[str | None, str]]:
    cfg = cfg or QualityConfig()
    frame = pl.DataFrame({"body": list(bodies)}, schema={"body": pl.String})
    frame = frame.with_columns(prose_expr(pl.col("body")).alias("_prose"))
    sizes = sorted(int(n) for n in cfg.max_top_ngram_fraction)
    scored = pl.concat(
        [
            frame,
            measures(frame, pl.col("_prose"), pl.col("body")),
            top_ngram_fractions(frame["_prose"], sizes, cfg.ratio_rules_min_words),
        ],
        how="horizontal",
    )
    reason, detail = verdicts(scored, cfg)
    return [tuple(r) for r in scored.select(reason.alias("r"), detail.alias("d")).iter_rows()]


def test_real_bug_reports_pass_every_rule():
    assert judge(REAL_BUG, LONG_PROSE) == [(None, None), (None, None)]


@pytest.mark.parametrize("body", ["N/A", "n/a.", "TBD", "See title", "-", "WIP"])
def test_placeholder_only_bodies_are_named_as_such(body):
    [(reason, detail)] = judge(body)
    assert reason == "quality:placeholder"
    assert body.lower().strip(".") in detail


def test_too_few_words_counts_prose_only_not_code():
    [(reason, detail)] = judge("Crashes.\n\n```\nTraceback (most recent call last):\n  boom\n```")
    assert reason == "quality:too-few-words"
    assert detail == "1 words < min_words 5"


def test_an_empty_body_has_too_few_words():
    assert judge(None)[0][0] == "quality:too-few-words"


def test_a_pasted_dump_is_too_long():
    dump = " ".join(["word"] * 60)
    [(reason, detail)] = judge(dump, cfg=QualityConfig(max_words=50))
    assert reason == "quality:too-long"
    assert detail == "60 words > max_words 50"


def test_a_body_that_is_mostly_code_with_one_sentence_of_prose():
    code = "\n".join(f"    at com.acme.Worker.step{i}(Worker.java:{i})" for i in range(60))
    body = f"The worker dies on start, see the trace below.\n\n```\n{code}\n```"
    [(reason, detail)] = judge(body)
    assert reason == "quality:mostly-code"
    assert detail.startswith("prose is 46 of ")


def test_low_alphabetic_ratio_is_gophers_rule():
    numbers = " ".join(f"{i}.{i * 7 % 13} {i * 31}% {i * 3}" for i in range(15))
    body = f"Measured values after the change, per run: {numbers} and then it stopped."
    [(reason, detail)] = judge(body)
    assert reason == "quality:low-alpha"
    assert detail == "11 of 56 words have a letter (< 0.8)"


def test_ratio_rules_do_not_judge_short_bodies():
    # Gopher calibrated its ratios on 50+ word documents; a short note full of versions is fine
    body = 'Django 3.2.23 fixes a security issue with severity "moderate" in 3.2.22. ...'
    assert judge(body) == [(None, None)]


def test_han_and_kana_characters_count_as_words():
    [(reason, _)] = judge("エクスポートが失敗します")
    assert reason is None


def test_repeated_lines_in_a_long_body():
    line = "Please fix this as soon as possible, our whole team is blocked by it"
    body = "\n".join([line] * 6 + [LONG_PROSE])
    [(reason, detail)] = judge(body)
    assert reason == "quality:repeated-lines"
    assert detail.startswith("5 of 7 lines repeat")


def test_repeated_lines_are_not_judged_in_a_short_body():
    assert judge("Still broken.\nStill broken.\nStill broken on 2.4 as well.")[0][0] is None


def test_a_repeated_phrase_dominating_a_long_body():
    body = " ".join(["the export fails"] * 30) + " " + LONG_PROSE[:200]
    [(reason, detail)] = judge(body)
    assert reason in ("quality:repeated-lines", "quality:repeated-ngrams")
    assert reason == "quality:repeated-ngrams"
    assert detail.startswith("top word 2-gram covers")


def test_the_top_ngram_fraction_is_the_share_of_word_characters():
    prose = pl.Series(["a b a b a b c d e f"])
    frame = top_ngram_fractions(prose, [2], min_words=1)
    # "a b" occurs 3 times, 2 characters each time, of 10 word characters
    assert frame["q_top_2gram"].to_list() == [pytest.approx(0.6)]
