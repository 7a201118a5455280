"""Batched MinHash: value-for-value equal to datasketch, stable hashes, unicode-aware words."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from datasketch import MinHash

from dataprep.dedup import minhash
from dataprep.dedup.minhash import (
    normalize,
    shingle_hash32,
    shingle_hash64,
    shingle_sets,
    signatures,
    sketch,
    xxh64,
)

# Written the way tracker issues arrive after cleaning: titles joined to Markdown bodies,
# punctuation, code spans, non-English text, emoji, a stack-trace line, and short and empty ones.
TEXTS = [
    "Export to CSV fails for reports with more than 10k rows "
    "### Describe the bug\nClicking **Export** on the `Monthly revenue` report returns a 500 "
    "after ~30s. The log shows `java.lang.OutOfMemoryError: Java heap space`.",
    "Der Export bricht ab, wenn die Datei mehr als 5000 Zeilen hat. Größe: 12 MB; "
    "Straße und Übergröße werden falsch kodiert (UTF-8 → Latin-1).",
    "Le bouton « Enregistrer » ne répond plus depuis la mise à jour vers 4.2 — "
    "l'erreur n'apparaît qu'après un rafraîchissement.",
    "ログイン画面が 表示されない 問題 東京 オフィス で 発生 🚀 deploy blocked",
    'Crash on startup\n```\nTraceback (most recent call last):\n  File "app/main.py", '
    "line 12, in <module>\nKeyError: 'DATABASE_URL'\n```",
    "don’t retry İstanbul naïve café coöperate x²",
    "Login broken",
    "",
    "???",
    None,
]


def datasketch_signature(text: str, num_perm: int, seed: int, scheme: str, n: int = 3):
    words = text.split()
    shingles = [" ".join(words[i : i + n]).encode() for i in range(len(words) - n + 1)]
    mh = MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash32, scheme=scheme)
    mh.update_batch(shingles)
    return mh.hashvalues


@pytest.mark.parametrize("num_perm", [64, 128, 256])
@pytest.mark.parametrize("seed", [1, 7, 42])
def test_signatures_equal_datasketch_affine32_value_for_value(num_perm, seed):
    series = pl.Series(TEXTS, dtype=pl.String)
    sig = signatures(series, num_perm=num_perm, seed=seed, n=3)
    assert sig.dtype == np.uint32 and sig.shape == (len(TEXTS), num_perm)
    for i, text in enumerate(normalize(series).to_list()):
        expected = datasketch_signature(text, num_perm, seed, "affine32")
        assert expected.dtype == sig.dtype
        assert np.array_equal(sig[i], expected), f"text {i}"


@pytest.mark.parametrize("num_perm, seed", [(64, 3), (128, 1)])
def test_signatures_equal_datasketch_legacy_scheme(num_perm, seed):
    series = pl.Series(TEXTS, dtype=pl.String)
    sig = signatures(series, num_perm=num_perm, seed=seed, scheme="legacy")
    assert sig.dtype == np.uint64
    for i, text in enumerate(normalize(series).to_list()):
        assert np.array_equal(sig[i], datasketch_signature(text, num_perm, seed, "legacy"))


def test_shingle_size_follows_n():
    series = pl.Series([TEXTS[0], TEXTS[1]])
    sig = signatures(series, num_perm=64, seed=1, n=5)
    for i, text in enumerate(normalize(series).to_list()):
        assert np.array_equal(sig[i], datasketch_signature(text, 64, 1, "affine32", n=5))


def test_texts_under_n_words_have_the_empty_signature_and_no_shingles():
    series = pl.Series(["Login broken", "", None, "???", "one two three"])
    sig = signatures(series, num_perm=16, seed=1)
    assert (sig[:4] == np.uint32(2**32 - 1)).all()
    assert not (sig[4] == np.uint32(2**32 - 1)).all()
    assert shingle_sets(series).sizes().tolist() == [0, 0, 0, 0, 1]


def test_word_hash_is_xxh64_reference_values():
    # Published XXH64 values (seed 0); the 44-byte input exercises the 32-byte stripe loop.
    assert xxh64(b"") == 0xEF46DB3751D8E999
    assert xxh64(b"a") == 0xD24EC4F1A98C6E5B
    assert xxh64(b"abc") == 0x44BC2CF5AD770999
    assert xxh64("straße".encode()) == 0x5A34B57B727837BE
    assert xxh64(b"ghp0123456789abcdefxyz0123456789abcdef012345") == 0x141684CC4B56E8BA


def test_shingle_hash_is_pinned_so_stored_signatures_stay_valid():
    # Changing any of these values invalidates signatures users have stored.
    assert shingle_hash64(b"export fails nightly") == shingle_hash64(b"export fails nightly")
    assert shingle_hash32(b"export fails nightly") == shingle_hash64(b"export fails nightly") >> 32
    pinned = signatures(pl.Series(["Export fails nightly, see log"]), num_perm=4, seed=1)
    assert pinned[0].tolist() == PINNED_SIGNATURE


def test_kernel_words_are_the_words_of_normalize():
    series = pl.Series(TEXTS, dtype=pl.String)
    sets = shingle_sets(series, n=2)
    for i, text in enumerate(normalize(series).to_list()):
        words = text.split()
        expected = {
            shingle_hash64(" ".join(words[k : k + 2]).encode()) for k in range(len(words) - 1)
        }
        assert sets.of(i).tolist() == sorted(expected), f"text {i}: {text!r}"


def test_shingle_sets_are_sorted_and_distinct():
    text = "the export fails the export fails the export fails again"
    sets = shingle_sets(pl.Series([text]))
    values = sets.of(0)
    # 8 trigrams: "the export fails" x3, "export fails the" x2, "fails the export" x2 and
    # "export fails again"
    assert len(values) == 4
    assert np.all(values[1:] > values[:-1])


def test_results_do_not_depend_on_batch_size(monkeypatch):
    series = pl.Series(TEXTS * 3, dtype=pl.String)
    whole = sketch(series, num_perm=32, seed=5)
    whole_sets = shingle_sets(series)
    monkeypatch.setattr(minhash, "BATCH", 4)
    batched = sketch(series, num_perm=32, seed=5)
    batched_sets = shingle_sets(series)
    assert np.array_equal(whole.signatures, batched.signatures)
    assert np.array_equal(whole.words, batched.words)
    assert np.array_equal(whole.text_keys, batched.text_keys)
    assert np.array_equal(whole_sets.hashes, batched_sets.hashes)
    assert np.array_equal(whole_sets.offsets, batched_sets.offsets)


def test_sketch_counts_words_and_keys_identical_normalised_texts():
    series = pl.Series(["Login broken!", "login -- BROKEN", "Logout broken", "", "a b c d"])
    sk = sketch(series, num_perm=8)
    assert sk.words.tolist() == [2, 2, 2, 0, 4]
    assert sk.text_keys[0] == sk.text_keys[1]
    assert sk.text_keys[0] != sk.text_keys[2]
    assert sk.text_keys[3] == 0


def test_unknown_scheme_is_rejected_with_the_choices():
    with pytest.raises(ValueError, match="affine32, legacy"):
        signatures(pl.Series(["a b c"]), scheme="affine64")


PINNED_SIGNATURE = [1106524590, 288670164, 2333193020, 196058030]
