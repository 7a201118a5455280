"""Decontamination: reject pairs that share a long word n-gram with an evaluation set.

The test is the GPT-3 paper's (Brown et al. 2020, appendix C): a training example that shares
a 13-word n-gram with an evaluation item is contaminated. Texts are compared after dedup's
normalisation (:func:`dataprep.dedup.minhash.normalize`: lowercase, every run of characters
that is not a letter or digit folded to one space), so case and punctuation do not hide a copy.
A pair is checked on its user and assistant turns (each turn on its own, so an n-gram never
spans two turns); the system prompt is ours, not the data's.

Hashing is stable across runs, platforms and library versions: a word's hash is the first 8
bytes of its BLAKE2b digest, and an n-gram's hash is the polynomial
``sum(word_k * B**k) mod 2**64`` of its words' hashes. Everything runs on one flat word column:
Polars explodes the texts into words, numpy hashes every window from one prefix sum of that
column, and a window counts only where its n words belong to one text. A pair word that no
evaluation set contains cannot be part of a shared n-gram, so windows holding one are dropped
before the lookup. Pairs are then matched file by file, in config order, with a semi-join
(``is_in``) of their n-gram hashes on the file's set.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from dataprep.schema import reject, rejected_frame

logger = logging.getLogger(__name__)

STAGE = "decontam"
# The shared n-gram is quoted in the rejection detail, cut to this many characters.
DETAIL_CHARS = 80
# Pair turns checked; the system prompt is the build's own text.
CHECKED_ROLES = ("user", "assistant")
# Pairs are checked this many at a time: the flat word column of 20k pairs of ~150 words
# takes a few hundred MB, and memory stays flat whatever the number of pairs.
BATCH = 20_000

# Base of the n-gram hash (XXH64's first prime; any odd number is invertible mod 2**64).
_BASE = np.uint64(0x9E3779B185EBCA87)
_BASE_INVERSE = np.uint64(pow(int(_BASE), -1, 2**64))
_MATCH_SCHEMA = {"pair_id": pl.String, "file": pl.String, "ngram": pl.String}


class DecontamError(ValueError):
    """An evaluation set cannot be read: missing file, a line that is not JSON, no text."""


@dataclass(frozen=True)
class EvalNgrams:
    """The word n-gram hashes of the evaluation sets, one set per file."""

    n: int
    # Evaluation files in config order, labelled as written there.
    names: tuple[str, ...]
    # Every (normalised) word of the evaluation sets, sorted, and its 64-bit hash.
    words: pl.Series
    word_hashes: np.ndarray  # uint64, aligned with ``words``
    # Per file, aligned with ``names``: its distinct n-gram hashes (UInt64).
    hashes: tuple[pl.Series, ...]


def load_eval_ngrams(
    paths: Sequence[Path], n: int, names: Sequence[str] | None = None
) -> EvalNgrams:
    """Return the word ``n``-gram hashes of each evaluation set (JSONL, one object a line).

    An item's text is the first of: ``text``; the ``content`` of its ``messages`` joined by
    newlines (any role; a content given as a list of parts contributes its ``text`` parts);
    ``prompt`` + ``completion``; alpaca's ``instruction`` + ``input`` (optional) + ``output``.
    Blank lines are skipped and an empty file is fine; a line that is not a JSON object, or
    has none of these fields as strings, raises :class:`DecontamError` naming file and line.
    ``names`` label the files in errors and results (default: the paths as given).
    """
    if n < 1:
        raise ValueError(f"n: must be at least 1, got {n}")
    names = tuple(str(p) for p in paths) if names is None else tuple(names)
    texts: list[str] = []
    file_of_text: list[int] = []
    for index, (path, name) in enumerate(zip(paths, names, strict=True)):
        items = _read_texts(Path(path), name)
        texts.extend(items)
        file_of_text.extend([index] * len(items))
        logger.info("decontam: %s has %d items", name, len(items))

    flat = _words(pl.Series("text", texts, pl.String))
    words = flat["word"].unique().sort()
    word_hashes = np.fromiter((_word_hash(w) for w in words), np.uint64, len(words))
    docs = flat["doc"].to_numpy()
    codes = _codes(flat["word"], words).to_numpy()
    starts, hashes = _ngram_hashes(docs, word_hashes[codes], None, n)
    file_of_ngram = np.asarray(file_of_text, dtype=np.uint32)[docs[starts]]
    per_file = tuple(
        pl.Series("hash", hashes[file_of_ngram == i], pl.UInt64).unique() for i in range(len(names))
    )
    return EvalNgrams(n=n, names=names, words=words, word_hashes=word_hashes, hashes=per_file)


def contaminated(pairs: pl.DataFrame, evals: EvalNgrams) -> pl.DataFrame:
    """Return ``pair_id``, ``file``, ``ngram`` for every pair whose user or assistant turn
    shares a word n-gram with an evaluation set.

    ``file`` is the first evaluation file, in config order, sharing one; ``ngram`` is the first
    such n-gram in the pair (normalised words, cut to ``DETAIL_CHARS`` characters). Rows follow
    the order of ``pairs``.
    """
    if pairs.height == 0 or not any(len(h) for h in evals.hashes):
        return pl.DataFrame(schema=_MATCH_SCHEMA)
    return pl.concat(
        [_contaminated_slice(part, evals) for part in pairs.iter_slices(BATCH)],
        how="vertical",
    )


def _contaminated_slice(pairs: pl.DataFrame, evals: EvalNgrams) -> pl.DataFrame:
    turns = (
        pairs.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("pair"), "messages")
        .explode("messages")
        .unnest("messages")
        .filter(pl.col("role").is_in(CHECKED_ROLES))
    )
    flat = _words(turns["content"])
    docs = flat["doc"].to_numpy()
    codes = _codes(flat["word"], evals.words)
    starts, hashes = _ngram_hashes(
        docs,
        evals.word_hashes[codes.fill_null(0).to_numpy()],
        codes.is_not_null().to_numpy(),
        evals.n,
    )
    # starts ascend, so a pair's first hit in a file is its first shared n-gram there
    candidates = pl.DataFrame(
        {
            "pair": pl.Series(turns["pair"].to_numpy()[docs[starts]], dtype=pl.UInt32),
            "start": pl.Series(starts, dtype=pl.UInt64),
            "hash": pl.Series(hashes, dtype=pl.UInt64),
        }
    )
    found = []
    for index, file_hashes in enumerate(evals.hashes):
        hits = candidates.filter(pl.col("hash").is_in(file_hashes.implode()))
        first = hits.unique("pair", keep="first", maintain_order=True)
        found.append(first.select("pair", "start", file=pl.lit(index, pl.UInt32)))
        candidates = candidates.filter(~pl.col("pair").is_in(first["pair"].implode()))
    hits = pl.concat(found).sort("pair")
    return pl.DataFrame(
        {
            "pair_id": pairs["pair_id"].gather(hits["pair"]),
            "file": pl.Series(evals.names, dtype=pl.String).gather(hits["file"]),
            "ngram": _ngram_text(flat["word"], hits["start"], evals.n),
        },
        schema=_MATCH_SCHEMA,
    )


def decontaminate(
    pairs: pl.DataFrame, paths: Sequence[str], n: int, base_dir: Path
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, int]]:
    """Return the pairs that share no ``n``-word n-gram with the evaluation sets ``paths``
    (as written in the config, relative to ``base_dir``), the rejected rows
    (``decontam:<path>``, detail ``shares "<n-gram>" (<n> words)``) and ``{path: rejected}``.
    """
    if not paths:
        return pairs, rejected_frame(), {}
    resolved = []
    for i, name in enumerate(paths):
        path = base_dir / name
        if not path.is_file():
            raise DecontamError(f"dedup.decontaminate[{i}]: no such file {name!r} ({path})")
        resolved.append(path)
    evals = load_eval_ngrams(resolved, n, names=paths)
    hits = contaminated(pairs, evals)
    kept = pairs.filter(~pl.col("pair_id").is_in(hits["pair_id"].implode()))
    rejected = reject(
        hits.rename({"pair_id": "record_id"}),
        STAGE,
        pl.format("decontam:{}", "file"),
        pl.format('shares "{}" ({} words)', "ngram", pl.lit(n)),
    )
    counts = dict(hits["file"].value_counts().iter_rows())
    stats = {name: counts.get(name, 0) for name in paths}
    logger.info("decontam: %d of %d pairs rejected", hits.height, pairs.height)
    return kept, rejected, stats


def _read_texts(path: Path, name: str) -> list[str]:
    """Return the text of each item of one JSONL evaluation file."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DecontamError(f"{name}: cannot read ({err.strerror})") from err
    texts = []
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as err:  # JSONDecodeError and UnicodeDecodeError
            raise DecontamError(f"{name}:{lineno}: not valid JSON ({err})") from err
        text = _text_of(item) if isinstance(item, dict) else None
        if text is None:
            raise DecontamError(
                f"{name}:{lineno}: no evaluation text; give each line a string 'text', "
                "'messages' with 'content', 'prompt' + 'completion', or "
                "'instruction' + 'output'"
            )
        texts.append(text)
    return texts


def _text_of(item: dict[str, Any]) -> str | None:
    """Return the evaluation text of one JSONL item, or None if it has no known field."""
    if isinstance(item.get("text"), str):
        return item["text"]
    messages = item.get("messages")
    if isinstance(messages, list):
        parts = [_content_text(m.get("content")) for m in messages if isinstance(m, dict)]
        parts = [p for p in parts if p is not None]
        if parts:
            return "\n".join(parts)
    if isinstance(item.get("prompt"), str) and isinstance(item.get("completion"), str):
        return item["prompt"] + "\n" + item["completion"]
    if isinstance(item.get("instruction"), str) and isinstance(item.get("output"), str):
        extra = item.get("input")
        middle = [extra] if isinstance(extra, str) and extra else []
        return "\n".join([item["instruction"], *middle, item["output"]])
    return None


def _content_text(content: Any) -> str | None:
    """Return a message content as text: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [
            p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        return "\n".join(texts) if texts else None
    return None


def _words(texts: pl.Series) -> pl.DataFrame:
    """Return every word of ``texts`` in order, one row each: ``doc`` (the index of its text,
    UInt32) and ``word``; the words of :func:`~dataprep.dedup.minhash.normalize`'s text."""
    # Spaces are left alone and the empty strings between two spaces dropped after the split:
    # rewriting every single space to itself made the replace 7 times slower.
    return (
        pl.DataFrame({"word": texts.cast(pl.String).fill_null("")})
        .with_row_index("doc")
        .with_columns(
            pl.col("word")
            .str.to_lowercase()
            .str.replace_all(r"[^\p{L}\p{N} ]+", " ")
            .str.split(" ")
        )
        .explode("word")
        .filter(pl.col("word") != "")
    )


def _codes(words: pl.Series, vocabulary: pl.Series) -> pl.Series:
    """Return each word's index in ``vocabulary`` (sorted, distinct), null if it is not there."""
    return words.cast(pl.Enum(vocabulary), strict=False).to_physical()


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def _ngram_hashes(
    docs: np.ndarray, word_hashes: np.ndarray, known: np.ndarray | None, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Return the start (row in the flat word column) and hash of every n-gram whose words all
    belong to one text and, if ``known`` is given, are all known.

    The hash of the words ``w0..w(n-1)`` is ``sum(w_k * B**k) mod 2**64``, computed for every
    window at once from one prefix sum: ``(C[i+n] - C[i]) * B**-i`` with
    ``C[j] = sum(w_t * B**t for t < j)`` (``B`` is odd, so it has an inverse mod 2**64).
    """
    size = len(docs) - n + 1
    if size <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    # rows are grouped by text in order, so a window lies in one text iff its ends do
    ok = docs[n - 1 :] == docs[:size]
    if known is not None:
        unknown_before = np.concatenate(([0], np.cumsum(~known)))
        ok &= unknown_before[n:] == unknown_before[:size]
    starts = np.flatnonzero(ok)
    prefix = np.zeros(len(docs) + 1, np.uint64)
    np.cumsum(word_hashes * _powers(_BASE, len(docs)), out=prefix[1:])
    if len(starts) * 4 > size:  # mostly valid: contiguous slices beat gathers
        windows = (prefix[n:] - prefix[:size]) * _powers(_BASE_INVERSE, size)
        return starts, windows[ok]
    windows = prefix[starts + n] - prefix[starts]
    return starts, windows * _powers(_BASE_INVERSE, size)[starts]


def _powers(base: np.uint64, count: int) -> np.ndarray:
    """Return ``base**0 .. base**(count - 1)`` mod 2**64."""
    powers = np.full(count, base, np.uint64)
    powers[0] = 1
    return np.cumprod(powers, out=powers)


def _ngram_text(words: pl.Series, starts: pl.Series, n: int) -> pl.Series:
    """Return the n words from each start joined by spaces, cut to ``DETAIL_CHARS``."""
    frame = pl.DataFrame({"start": starts}).with_row_index("hit")
    spans = frame.select(
        "hit", pl.int_ranges("start", pl.col("start") + n, dtype=pl.UInt64).alias("row")
    ).explode("row")
    spans = spans.with_columns(word=words.gather(spans["row"]))
    joined = spans.group_by("hit", maintain_order=True).agg(pl.col("word").str.join(" "))
    return joined["word"].str.slice(0, DETAIL_CHARS)
