"""Language detection: langdetect's profiles and n-grams, scored in one deterministic pass.

langdetect (a port of Shuyo's language-detection) estimates the language by naive Bayes over
character 1-3-grams, but it samples n-grams at random, one Python call per character and per
sample, seven trials per text: 2-10 ms a record, the slowest step of a build. This module keeps
everything that decides the answer -- the same 55 profiles, the same character normalisation
(``NGram.normalize``, the Vietnamese and non-Latin clean-ups, URL and e-mail removal), the same
n-gram rules (words padded with spaces, all-capital words skipped) and the same smoothing
(``alpha / BASE_FREQ``) -- and replaces the random sampling with the exact sum over every n-gram
of the text. Because the n-grams of a word depend only on the word, each distinct word is scored
once per batch and a text's score is a sparse product of word counts and word scores.

The labels agree with ``langdetect.detect_langs`` on the full text on >= 99% of prose records
(``benchmarks/clean.py`` measures it on every run); they differ where langdetect's sampling is
itself unstable: mixed-language texts and texts a few words long.

``lang_prob`` is the naive-Bayes posterior scaled to an evidence budget of ``EVIDENCE`` n-grams,
so a long text does not claim a certainty no detector has and a mixed one shows its doubt.
"""

from __future__ import annotations

import math
import os
import pickle
import re
import subprocess
import sys
import threading
from collections.abc import Sequence

import numpy as np
import polars as pl
from langdetect import detector_factory
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram
from scipy import sparse

UNDETERMINED = "und"
LANG_STRUCT = pl.Struct({"lang": pl.String, "lang_prob": pl.Float64})

# langdetect reads at most this many characters of a text (Detector.max_text_length).
MAX_CHARS = 10_000
# The posterior is computed as if the text had this many n-grams of its average weight. 20 is
# about where langdetect's own trials converge on clear prose (its CONV_THRESHOLD 0.99999).
EVIDENCE = 20
# Distinct words remembered (55 floats each, ~0.5 KB): past this the cache starts afresh.
WORD_CACHE = 400_000
# Below this many texts a batch is scored in this process: starting a worker costs ~0.5 s.
PARALLEL_MIN = 20_000

_SMOOTHING = Detector.ALPHA_DEFAULT / Detector.BASE_FREQ
_VI_MARKS = re.compile("[\u0300\u0301\u0303\u0309\u0323]")


class _Normaliser(dict):
    """``str.translate`` table: each character mapped by ``NGram.normalize``, computed once."""

    def __missing__(self, code: int) -> str:
        value = self[code] = NGram.normalize(chr(code))
        return value


class LanguageScorer:
    """Scores texts against langdetect's profiles; one instance per process (profiles are big)."""

    def __init__(self) -> None:
        detector_factory.init_factory()
        factory = detector_factory._factory
        self.langs: list[str] = list(factory.langlist)
        self._profile: dict[str, list[float]] = factory.word_lang_prob_map
        self._table = _Normaliser()
        self._word_ids: dict[str, int] = {}
        self._word_scores: list[np.ndarray] = []
        self._word_counts: list[int] = []
        self._weights = np.zeros((0, len(self.langs)))
        self._counts = np.zeros(0)
        self._zero = np.zeros(len(self.langs))

    def detect(self, texts: Sequence[str | None], min_letters: int) -> list[tuple[str, float]]:
        """Return ``(lang, prob)`` per text; ``und`` with 0.0 when there is too little to tell."""
        prepared = prepare(pl.Series("text", list(texts), dtype=pl.String), min_letters)
        return self.detect_prepared(prepared.to_list())

    def detect_prepared(self, texts: list[str | None]) -> list[tuple[str, float]]:
        """Label texts that ``prepare`` made ready (null: too little prose)."""
        if len(self._word_ids) > WORD_CACHE:  # bound memory on long runs: start afresh
            self.__init__()
        flat: list[int] = []
        lengths: list[int] = []
        for text in texts:
            before = len(flat)
            if text:
                self._add_words(text, flat)
            lengths.append(len(flat) - before)
        scores, counts = self._score(flat, lengths)
        results = []
        for score, count in zip(scores, counts, strict=True):
            if count == 0:
                results.append((UNDETERMINED, 0.0))
                continue
            best = int(np.argmax(score))
            scaled = (score - score[best]) * (EVIDENCE / count)
            prob = 1.0 / float(np.exp(scaled).sum())
            results.append((self.langs[best], round(prob, 4)))
        return results

    def _add_words(self, text: str, flat: list[int]) -> None:
        """Append the word ids of ``text``; the last word's key marks that no space follows it."""
        if _VI_MARKS.search(text):
            text = NGram.normalize_vi(text)
        words = text.translate(self._table).split(" ")
        if words[-1]:
            words[-1] += "\0"
        words = [w for w in words if w]
        ids = list(map(self._word_ids.get, words))
        if None in ids:
            ids = [self._word_id(w) if i is None else i for w, i in zip(words, ids, strict=True)]
        flat.extend(ids)

    def _word_id(self, word: str) -> int:
        found = self._word_ids.get(word)
        if found is not None:
            return found
        score, count = self._word_score(word)
        found = self._word_ids[word] = len(self._counts) + len(self._word_scores)
        self._word_scores.append(score)
        self._word_counts.append(count)
        return found

    def _word_score(self, word: str) -> tuple[np.ndarray, int]:
        """Sum of log(p + alpha/BASE_FREQ) over the n-grams _extract_ngrams finds in the word."""
        last = word.endswith("\0")
        chars = word.rstrip("\0") + ("" if last else " ")
        gram = NGram()
        found = []
        for ch in chars:
            gram.add_char(ch)
            if gram.capitalword:
                continue
            for n in (1, 2, 3):
                if len(gram.grams) < n:
                    break
                w = gram.grams[-n:]
                if w != " " and w in self._profile:
                    found.append(self._profile[w])
        if not found:
            return self._zero, 0
        probs = np.asarray(found)
        return np.log(probs + _SMOOTHING).sum(axis=0), len(found)

    def _score(self, flat: list[int], lengths: list[int]) -> tuple[np.ndarray, np.ndarray]:
        if self._word_scores:  # words first seen in this batch
            self._weights = np.vstack([self._weights, *self._word_scores])
            self._counts = np.concatenate([self._counts, self._word_counts])
            self._word_scores, self._word_counts = [], []
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.asarray(flat, dtype=np.int64)
        matrix = sparse.csr_matrix(
            (np.ones(len(indices)), indices, indptr), shape=(len(lengths), len(self._counts))
        )
        return matrix @ self._weights, matrix @ self._counts


def prepare(texts: pl.Series, min_letters: int) -> pl.Series:
    """Return the texts as langdetect reads them, null where fewer than ``min_letters`` letters.

    langdetect's ``append`` and ``cleaning_text`` as column operations: URLs and e-mail addresses
    removed, the first ``MAX_CHARS`` characters kept, Latin letters dropped from text that is
    mostly non-Latin. Letters are counted because langdetect confidently names a language for a
    line of digits or symbols, which is noise, not evidence.
    """
    text = (
        pl.col("t")
        .str.replace_all(Detector.URL_RE.pattern, " ")
        .str.replace_all(Detector.MAIL_RE.pattern, " ")
        .str.slice(0, MAX_CHARS)
    )
    latin = pl.col("t").str.count_matches("[A-z]")
    non_latin = pl.col("t").str.count_matches("[\u0300-\U0010ffff]") - pl.col(
        "t"
    ).str.count_matches("[\u1e00-\u1eff]")
    return (
        texts.to_frame("t")
        .select(text.alias("t"))
        .select(
            pl.when(pl.col("t").str.count_matches(r"\p{L}") < min_letters)
            .then(None)
            .when(latin * 2 < non_latin)
            .then(pl.col("t").str.replace_all("[A-z]", ""))
            .otherwise(pl.col("t"))
            .alias(texts.name)
        )
        .to_series()
    )


_SCORER: LanguageScorer | None = None


def scorer() -> LanguageScorer:
    """Return this process's scorer (the profiles load once, about 0.5 s)."""
    global _SCORER
    if _SCORER is None:
        _SCORER = LanguageScorer()
    return _SCORER


def detect(text: str | None, min_chars: int) -> dict[str, object]:
    """Return ``{"lang", "lang_prob"}`` for one prose text."""
    lang, prob = scorer().detect([text], min_chars)[0]
    return {"lang": lang, "lang_prob": prob}


def detect_series(
    prose: pl.Series,
    min_chars: int,
    workers: int | None = None,
    parallel_min: int = PARALLEL_MIN,
) -> pl.Series:
    """Return a struct series (lang, lang_prob) for a batch of prose texts.

    Batches of ``parallel_min`` texts or more are split over ``workers`` processes (default:
    every core); each worker keeps its own word cache, so the split is by contiguous chunks.
    """
    texts = prepare(prose, min_chars).to_list()
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(texts) >= parallel_min:
        results = _detect_in_workers(texts, workers)
    else:
        results = scorer().detect_prepared(texts)
    return pl.Series(
        prose.name,
        [{"lang": lang, "lang_prob": prob} for lang, prob in results],
        dtype=LANG_STRUCT,
    )


def _detect_in_workers(texts: list[str | None], workers: int) -> list[tuple[str, float]]:
    """Score the first chunk here and the others in ``python -m dataprep.text.language`` workers.

    Plain subprocesses rather than multiprocessing: a spawned multiprocessing worker re-imports
    the caller's ``__main__`` (a user's script without a ``__main__`` guard would run again),
    and a forked one inherits Polars' thread pool, which its docs warn may deadlock.
    """
    size = math.ceil(len(texts) / workers)
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dataprep.text.language"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for _ in chunks[1:]
    ]
    outputs: list[bytes] = [b""] * len(procs)

    def talk(i: int) -> None:
        outputs[i], _ = procs[i].communicate(pickle.dumps(chunks[i + 1]))

    threads = [threading.Thread(target=talk, args=(i,)) for i in range(len(procs))]
    for thread in threads:
        thread.start()
    results = scorer().detect_prepared(chunks[0])
    for thread in threads:
        thread.join()
    for proc, output in zip(procs, outputs, strict=True):
        if proc.returncode != 0:
            raise RuntimeError(f"language worker exited with {proc.returncode}")
        results.extend(pickle.loads(output))
    return results


def _worker() -> None:
    """Read pickled prepared texts on stdin, write the pickled labels to stdout."""
    texts = pickle.load(sys.stdin.buffer)
    sys.stdout.buffer.write(pickle.dumps(scorer().detect_prepared(texts)))


if __name__ == "__main__":
    _worker()
