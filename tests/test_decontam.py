import json
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dataprep.dedup.decontam import (
    DecontamError,
    _words,
    contaminated,
    decontaminate,
    load_eval_ngrams,
)
from dataprep.dedup.minhash import normalize
from dataprep.schema import PAIR_SCHEMA, REJECTED_SCHEMA

# An evaluation item (reading comprehension over an ops runbook) and a chat-format one.
QA_ITEM = (
    "Passage: The job runner keeps a lease on every claimed job. Q: What happens after a "
    "restart? A: When the scheduler restarts, queued jobs that were already claimed by a worker "
    "are retried twice before they are dropped from the queue."
)
CHAT_ITEM = [
    {"role": "system", "content": "You are a support engineer for a reporting product."},
    {
        "role": "user",
        "content": "The nightly export job fails when the report has more than ten thousand "
        "rows. What is the likely cause?",
    },
    {
        "role": "assistant",
        "content": "The exporter streams every row into a single in-memory buffer, so very "
        "large reports exhaust the worker's heap.",
    },
]
TITLE_PROMPT = "Write a short, specific title for this issue report.\n\n"


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


@pytest.fixture
def evals(tmp_path: Path) -> Path:
    """A project folder with evals/qa.jsonl (text lines) and evals/chat.jsonl (messages)."""
    _write(
        tmp_path / "evals/qa.jsonl",
        [
            json.dumps({"id": "qa-1", "text": QA_ITEM}),
            json.dumps({"id": "qa-2", "text": "Unrelated: the cache key includes the locale."}),
        ],
    )
    _write(tmp_path / "evals/chat.jsonl", [json.dumps({"messages": CHAT_ITEM})])
    return tmp_path


def _pairs(*rows: tuple) -> pl.DataFrame:
    """Pairs from (pair_id, user, assistant[, system]) tuples."""
    records = []
    for pair_id, user, assistant, *system in rows:
        head = [{"role": "system", "content": system[0]}] if system else []
        records.append(
            {
                "pair_id": pair_id,
                "task": "triage",
                "messages": head
                + [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}],
                "record_ids": [f"github:acme/web#{pair_id}"],
                "sources": ["github"],
                "split": "train",
                "lang": "en",
            }
        )
    return pl.DataFrame(records, schema=PAIR_SCHEMA)


# 13 words shared with QA_ITEM ("when ... worker"), in other case and punctuation; the words
# around them differ ("race" / "a" before, "get" / "are" after).
ANSWER_13 = (
    "Looks like a known race. WHEN the Scheduler restarts... queued-jobs that were "
    "already 'claimed' by a worker get lost, see the lease code."
)
# The same run without its first word: 12 shared words.
ANSWER_12 = (
    "Looks like a known race. After the Scheduler restarts... queued-jobs that were "
    "already 'claimed' by a worker get lost, see the lease code."
)
CLEAN_ANSWER = "Reports over 10k rows time out because the export query has no index on date."


def test_a_pair_sharing_a_13_word_passage_in_other_case_and_punctuation_is_rejected(evals):
    pairs = _pairs(
        ("p1", TITLE_PROMPT + "Jobs vanish after deploy", ANSWER_13),
        ("p2", TITLE_PROMPT + "Export is slow", CLEAN_ANSWER),
    )
    kept, rejected, stats = decontaminate(pairs, ["evals/qa.jsonl", "evals/chat.jsonl"], 13, evals)
    assert kept["pair_id"].to_list() == ["p2"]
    assert rejected.schema == REJECTED_SCHEMA
    assert rejected.rows() == [
        (
            "p1",
            "decontam",
            "decontam:evals/qa.jsonl",
            'shares "when the scheduler restarts queued jobs that were already claimed by a '
            'worker" (13 words)',
        )
    ]
    assert stats == {"evals/qa.jsonl": 1, "evals/chat.jsonl": 0}


def test_a_pair_sharing_only_12_words_is_kept_at_13_and_rejected_at_12(evals):
    pairs = _pairs(("p1", TITLE_PROMPT + "Jobs vanish after deploy", ANSWER_12))
    kept, rejected, _ = decontaminate(pairs, ["evals/qa.jsonl"], 13, evals)
    assert kept["pair_id"].to_list() == ["p1"]
    assert rejected.height == 0
    kept, rejected, _ = decontaminate(pairs, ["evals/qa.jsonl"], 12, evals)
    assert kept.height == 0
    assert rejected["detail"].to_list() == [
        'shares "the scheduler restarts queued jobs that were already claimed by a worker" '
        "(12 words)"
    ]


def test_n_is_configurable_and_messages_eval_sets_are_read(evals):
    # 5 words of the chat item's assistant turn: "exhaust the worker s heap"
    pairs = _pairs(
        ("p1", TITLE_PROMPT + "Out of memory", "Big exports exhaust the worker's heap quickly."),
        ("p2", TITLE_PROMPT + "Export is slow", CLEAN_ANSWER),
    )
    kept, rejected, stats = decontaminate(pairs, ["evals/chat.jsonl"], 5, evals)
    assert kept["pair_id"].to_list() == ["p2"]
    assert rejected.select("record_id", "reason", "detail").rows() == [
        ("p1", "decontam:evals/chat.jsonl", 'shares "exhaust the worker s heap" (5 words)')
    ]
    assert stats == {"evals/chat.jsonl": 1}
    kept, _, _ = decontaminate(pairs, ["evals/chat.jsonl"], 13, evals)
    assert kept["pair_id"].to_list() == ["p1", "p2"]


def test_the_user_turn_is_checked_and_the_first_file_in_config_order_is_named(evals, tmp_path):
    # the chat item's user question, quoted in an issue body
    body = (
        "Customer says: the nightly export job fails when the report has more than ten thousand "
        "rows. Please triage."
    )
    _write(tmp_path / "evals/copy.jsonl", [json.dumps({"text": CHAT_ITEM[1]["content"]})])
    pairs = _pairs(("p1", TITLE_PROMPT + body, "Nightly export fails over 10k rows"))
    _, rejected, stats = decontaminate(pairs, ["evals/copy.jsonl", "evals/chat.jsonl"], 13, evals)
    assert rejected["reason"].to_list() == ["decontam:evals/copy.jsonl"]
    assert stats == {"evals/copy.jsonl": 1, "evals/chat.jsonl": 0}
    _, rejected, _ = decontaminate(pairs, ["evals/chat.jsonl", "evals/copy.jsonl"], 13, evals)
    assert rejected["reason"].to_list() == ["decontam:evals/chat.jsonl"]


def test_ngrams_do_not_span_turns_items_or_the_system_prompt(evals):
    words = "when the scheduler restarts queued jobs that were already claimed by a worker"
    first, rest = " ".join(words.split()[:6]), " ".join(words.split()[6:])
    pairs = _pairs(
        # the 13 words split across the user and assistant turns
        ("p1", TITLE_PROMPT + first, rest + " and nothing else"),
        # the 13 words only in the system prompt, which is the build's own text
        ("p2", "Title this issue.", "Jobs vanish", words),
    )
    _write(evals / "evals/split.jsonl", [json.dumps({"text": first}), json.dumps({"text": rest})])
    kept, rejected, _ = decontaminate(pairs, ["evals/qa.jsonl"], 13, evals)
    assert kept["pair_id"].to_list() == ["p1", "p2"]
    # two eval items, one ending with the first 6 words and one starting with the other 7
    one_turn = _pairs(("p3", TITLE_PROMPT + words, "Jobs vanish"))
    kept, _, _ = decontaminate(one_turn, ["evals/split.jsonl"], 13, evals)
    assert kept["pair_id"].to_list() == ["p3"]
    kept, _, _ = decontaminate(one_turn, ["evals/qa.jsonl"], 13, evals)
    assert kept.height == 0


@pytest.mark.parametrize(
    "item",
    [
        {"prompt": "Question: what happens after a restart?\nAnswer:", "completion": QA_ITEM},
        {"instruction": "Answer from the passage.", "input": "", "output": QA_ITEM},
        {"messages": [{"role": "user", "content": [{"type": "text", "text": QA_ITEM}]}]},
    ],
    ids=["prompt-completion", "alpaca", "content-parts"],
)
def test_other_eval_formats_are_read(tmp_path, item):
    _write(tmp_path / "eval.jsonl", [json.dumps(item)])
    pairs = _pairs(("p1", TITLE_PROMPT + "Jobs vanish after deploy", ANSWER_13))
    _, rejected, _ = decontaminate(pairs, ["eval.jsonl"], 13, tmp_path)
    assert rejected["reason"].to_list() == ["decontam:eval.jsonl"]


def test_a_line_that_is_not_json_names_the_file_and_line(tmp_path):
    _write(tmp_path / "bad.jsonl", [json.dumps({"text": QA_ITEM}), '{"text": "cut off'])
    with pytest.raises(DecontamError, match=r"^bad\.jsonl:2: not valid JSON"):
        decontaminate(_pairs(("p1", "a", "b")), ["bad.jsonl"], 13, tmp_path)


def test_a_line_without_a_known_text_field_names_the_file_and_line(tmp_path):
    _write(
        tmp_path / "mmlu.jsonl",
        ["", json.dumps({"text": QA_ITEM}), json.dumps({"question": "2+2?", "answer": "4"})],
    )
    with pytest.raises(DecontamError, match=r"^mmlu\.jsonl:3: no evaluation text; give"):
        load_eval_ngrams([tmp_path / "mmlu.jsonl"], 13, names=["mmlu.jsonl"])


def test_a_missing_eval_file_names_the_config_entry(tmp_path):
    with pytest.raises(DecontamError, match=r"^dedup\.decontaminate\[0\]: no such file 'gone"):
        decontaminate(_pairs(("p1", "a", "b")), ["gone.jsonl"], 13, tmp_path)


def test_an_empty_eval_file_rejects_nothing(tmp_path):
    (tmp_path / "empty.jsonl").write_text("", encoding="utf-8")
    pairs = _pairs(("p1", TITLE_PROMPT + "Jobs vanish after deploy", ANSWER_13))
    kept, rejected, stats = decontaminate(pairs, ["empty.jsonl"], 13, tmp_path)
    assert kept.equals(pairs)
    assert rejected.height == 0
    assert stats == {"empty.jsonl": 0}


def test_no_eval_sets_and_no_pairs_are_no_ops(evals):
    pairs = _pairs(("p1", TITLE_PROMPT + "Jobs vanish after deploy", ANSWER_13))
    kept, rejected, stats = decontaminate(pairs, [], 13, evals)
    assert (kept.equals(pairs), rejected.height, stats) == (True, 0, {})
    empty = pl.DataFrame(schema=PAIR_SCHEMA)
    kept, rejected, stats = decontaminate(empty, ["evals/qa.jsonl"], 13, evals)
    assert (kept.height, rejected.height, stats) == (0, 0, {"evals/qa.jsonl": 0})


def test_ngram_hashes_are_stable_across_runs(tmp_path):
    # pinned: sum(blake2b64(word_k) * B**k) mod 2**64, B = 0x9E3779B185EBCA87; a change here
    # means a different hash function, not a different run
    _write(tmp_path / "e.jsonl", [json.dumps({"text": "The Export job FAILS, nightly."})])
    evals = load_eval_ngrams([tmp_path / "e.jsonl"], 5)
    assert evals.hashes[0].to_list() == [14934227872427810209]
    assert evals.names == (str(tmp_path / "e.jsonl"),)


def test_words_are_those_of_dedups_normalised_text():
    text = "Crash in `Über-Parser`:\tline 42 -- naïve   UTF8 ‘quotes’, 日本語 #123\n\n...end"
    words = _words(pl.Series([text, "", None, "!!!"]))
    assert words["word"].to_list() == normalize(pl.Series([text]))[0].split(" ")
    assert words["doc"].unique().to_list() == [0]


def test_performance_smoke_50k_pairs_against_20k_eval_lines(tmp_path):
    rng = np.random.default_rng(7)
    vocab = np.array([f"w{i}" for i in range(5000)])

    def texts(count: int, words: int) -> list[str]:
        return [" ".join(row) for row in vocab[rng.integers(0, len(vocab), (count, words))]]

    eval_texts = texts(20_000, 100)
    _write(tmp_path / "eval.jsonl", [json.dumps({"text": t}) for t in eval_texts])
    users, answers = texts(50_000, 120), texts(50_000, 40)
    planted = {17: 3, 25_000: 999, 49_999: 19_999}  # pair -> eval line copied into its answer
    for pair, line in planted.items():
        answers[pair] = "Fixed. " + " ".join(eval_texts[line].split()[40:60]).upper()
    pairs = pl.DataFrame(
        {
            "pair_id": [f"p{i:05d}" for i in range(50_000)],
            "messages": [
                [{"role": "user", "content": u}, {"role": "assistant", "content": a}]
                for u, a in zip(users, answers, strict=True)
            ],
        },
        schema={"pair_id": pl.String, "messages": PAIR_SCHEMA["messages"]},
    )
    start = time.perf_counter()
    evals = load_eval_ngrams([tmp_path / "eval.jsonl"], 13)
    loaded = time.perf_counter()
    hits = contaminated(pairs, evals)
    done = time.perf_counter()
    print(
        f"\ndecontam: load 20k eval lines {loaded - start:.2f}s,"
        f" check 50k pairs {done - loaded:.2f}s"
    )
    assert hits["pair_id"].to_list() == ["p00017", "p25000", "p49999"]
    assert hits["ngram"][0] == " ".join(eval_texts[3].split()[40:53])
