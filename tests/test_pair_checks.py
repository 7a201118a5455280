"""Every pair is checked before it is kept, and token budgets use a real tokenizer.json."""

from __future__ import annotations

import dataclasses
import json

import polars as pl
import pytest

from dataprep.config import PairsConfig, UserTask
from dataprep.pairs import build_pairs
from dataprep.pairs.tokens import TOKENS_PER_MESSAGE, TRUNCATION_MARK, TokenCounter

from .conftest import issue

BODY = (
    "The nightly export job stops with a timeout when a report has more than ten thousand "
    "rows. Smaller reports finish in under a minute. It started after the 4.2 upgrade."
)


def _records(make_records, *rows):
    return make_records(*rows).with_columns(lang=pl.lit("en"))


def _user_task(response: str, prompt: str = "Summarise: {{ body }}") -> PairsConfig:
    task = UserTask(name="mine", prompt=[prompt], response=response)
    return PairsConfig(tasks=[], user_tasks=[task])


def _reasons(result) -> list[str]:
    return result.rejected["reason"].to_list()


def test_a_placeholder_response_is_rejected(make_records):
    records = _records(make_records, issue("jira:A-1", "N/A", BODY))
    result = build_pairs(records, _user_task("{{ title }}"))
    assert result.kept.is_empty()
    assert _reasons(result) == ["pairs:placeholder"]


def test_a_response_of_only_redaction_marks_is_rejected(make_records):
    records = _records(make_records, issue("jira:A-1", "Export", BODY, assignee="<PERSON:ab12cd>"))
    result = build_pairs(records, _user_task("{{ assignee }}"))
    assert _reasons(result) == ["pairs:placeholder"]


def test_a_response_copied_from_the_prompt_is_rejected(make_records):
    records = _records(make_records, issue("jira:A-1", "Export times out", BODY))
    result = build_pairs(records, _user_task("{{ body.split('. ')[0] }}"))
    assert _reasons(result) == ["pairs:response-in-prompt"]
    assert "the prompt contains the response" in result.rejected["detail"][0]


def test_short_categorical_answers_may_appear_in_the_prompt(make_records):
    records = _records(make_records, issue("jira:A-1", "Export times out", BODY, issue_type="bug"))
    cfg = _user_task("{{ issue_type }}", prompt="Is this a bug or a feature? {{ body }}")
    assert build_pairs(records, cfg).kept.height == 1


def test_an_empty_rendering_is_rejected(make_records):
    records = _records(make_records, issue("jira:A-1", "Export times out", BODY, labels=[]))
    result = build_pairs(records, _user_task("{{ labels | join(', ') }}"))
    assert _reasons(result) == ["pairs:empty-turn"]


def test_pairs_over_the_budget_are_dropped_with_the_count(make_records):
    records = _records(make_records, issue("jira:A-1", "Export times out", BODY * 20))
    cfg = dataclasses.replace(PairsConfig(tasks=["issue_to_title"]), max_tokens=200)
    result = build_pairs(records, cfg)
    assert _reasons(result) == ["pairs:over-token-budget"]
    assert "> pairs.max_tokens 200" in result.rejected["detail"][0]


def test_truncate_cuts_the_prompt_to_fit_and_keeps_the_response(make_records):
    records = _records(
        make_records, issue("jira:A-1", "Export times out on big reports", BODY * 20)
    )
    cfg = dataclasses.replace(
        PairsConfig(tasks=["issue_to_title"]), max_tokens=200, over_budget="truncate"
    )
    (pair,) = build_pairs(records, cfg).kept.iter_rows(named=True)
    user, assistant = pair["messages"]
    assert user["content"].endswith(TRUNCATION_MARK)
    assert assistant["content"] == "Export times out on big reports"
    assert pair["tokens"] <= 200
    assert pair["tokens"] == sum(TokenCounter().count([m["content"] for m in pair["messages"]]))


@pytest.fixture(scope="module")
def tokenizer_json(tmp_path_factory):
    """A real Hugging Face tokenizer.json: a word-piece vocabulary trained here, so no download."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordPieceTrainer(vocab_size=200, special_tokens=["[UNK]"])
    tokenizer.train_from_iterator([BODY] * 50, trainer)
    path = tmp_path_factory.mktemp("tok") / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def test_a_tokenizer_json_counts_tokens_as_the_library_does(tokenizer_json):
    from tokenizers import Tokenizer

    counter = TokenCounter(tokenizer_json)
    expected = len(Tokenizer.from_file(str(tokenizer_json)).encode(BODY).ids)
    assert counter.count([BODY, None]) == [expected + TOKENS_PER_MESSAGE, 0]
    assert "tokenizer.json" in counter.method


def test_the_budget_uses_the_tokenizer_when_configured(make_records, tokenizer_json):
    records = _records(make_records, issue("jira:A-1", "Export times out on big reports", BODY))
    counter = TokenCounter(tokenizer_json)
    exact = sum(counter.count([f"Write a short, specific title for this issue report.\n\n{BODY}"]))
    exact += counter.count(["Export times out on big reports"])[0]
    fits = dataclasses.replace(PairsConfig(tasks=["issue_to_title"]), max_tokens=exact)
    (pair,) = build_pairs(records, fits, counter).kept.iter_rows(named=True)
    assert pair["tokens"] == exact
    tight = dataclasses.replace(fits, max_tokens=exact - 1)
    assert _reasons(build_pairs(records, tight, counter)) == ["pairs:over-token-budget"]


def test_truncation_with_a_tokenizer_never_leaves_a_pair_over_budget(make_records, tokenizer_json):
    long = " ".join(f"{BODY} Row {i} of the report failed." for i in range(30))
    records = _records(make_records, issue("jira:A-1", "Export times out on big reports", long))
    counter = TokenCounter(tokenizer_json)
    for budget in range(40, 400, 9):
        cfg = dataclasses.replace(
            PairsConfig(tasks=["issue_to_title"]), max_tokens=budget, over_budget="truncate"
        )
        result = build_pairs(records, cfg, counter)
        for pair in result.kept.iter_rows(named=True):
            recount = sum(counter.count([m["content"] for m in pair["messages"]]))
            assert pair["tokens"] == recount <= budget, budget
        assert result.kept.height + result.rejected.height == 1


def test_the_config_refuses_a_missing_tokenizer_file(tmp_path):
    from dataprep.config import ConfigError, parse_config

    data = {"sources": [{"name": "j", "type": "jira", "path": "x.json"}]}
    (tmp_path / "x.json").write_text(json.dumps({"issues": []}))
    data["pairs"] = {"tokenizer": "models/tokenizer.json"}
    with pytest.raises(ConfigError, match="pairs.tokenizer: no file at 'models/tokenizer.json'"):
        parse_config(data, base_dir=tmp_path)
