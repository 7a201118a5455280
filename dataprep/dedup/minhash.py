"""MinHash signatures and shingle sets for a whole batch of texts at once.

A text is compared as its word ``n``-gram shingles after :func:`normalize` (lowercase, every run
of characters that is not a letter or digit folded to one space). A shingle's hash is built from
the XXH64 (seed 0) of each of its words' UTF-8 bytes, so it is stable across library versions
and platforms, and stored signatures stay valid:

    h = 0; for each word w: h = rotl64((h ^ XXH64(w)) * P1, 31)
    shingle hash (64 bit) = XXH64's avalanche of (h ^ n)
    MinHash input (32 bit) = its upper 32 bits

:func:`shingle_hash32` is the same function on the bytes of one shingle (``b"w1 w2 w3"``), so
``datasketch.MinHash(num_perm, seed=seed, hashfunc=shingle_hash32)`` fed the shingle strings
gives value for value the signature :func:`signatures` computes. The permutation step is
datasketch's: the default ``affine32`` scheme (MurmurHash3 fmix32 pre-mix, then
``a * h + b mod 2**32``) or ``legacy`` (``(a * h + b) % (2**61 - 1)`` with uint64 wrap-around,
truncated to 32 bits), with the permutations datasketch draws from ``RandomState(seed)``.

Python never touches a token: Polars lowercases, then numba kernels split at every code point
that is not a letter or digit, hash, permute and take minima over the UTF-8 buffer of the Arrow
string column, in parallel over documents. The letter/digit table comes from Python's
``unicodedata`` (Unicode 14 on 3.11); :func:`normalize` uses Polars' regex classes, which can
differ on characters added in later Unicode versions.
"""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import polars as pl

# numba's OpenMP workers spin after each parallel loop by default; on a small machine that
# starves the Polars threads of the next step (measured: one 100k run took 28 s instead of 5 s).
# Must be set before the OpenMP runtime starts; a value the user set wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from numba import njit, prange  # noqa: E402

SCHEMES = ("affine32", "legacy")
# Texts are processed in slices of this many documents, so the normalised copy of the text
# and the per-token arrays stay small whatever the corpus size.
BATCH = 50_000

_U64 = np.uint64
_P1 = _U64(0x9E3779B185EBCA87)
_P2 = _U64(0xC2B2AE3D27D4EB4F)
_P3 = _U64(0x165667B19E3779F9)
_P4 = _U64(0x85EBCA77C2B2AE63)
_P5 = _U64(0x27D4EB2F165667C5)
_MERSENNE = _U64((1 << 61) - 1)
_MAX32 = _U64((1 << 32) - 1)
_SPACE = np.uint8(32)


class ShingleSets(NamedTuple):
    """Sorted distinct 64-bit shingle hashes of each text: ``hashes[offsets[i]:offsets[i+1]]``."""

    hashes: np.ndarray  # uint64
    offsets: np.ndarray  # int64, len(texts) + 1

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def sizes(self) -> np.ndarray:
        """Return the number of distinct shingles of each text."""
        return np.diff(self.offsets)

    def of(self, i: int) -> np.ndarray:
        """Return the shingle hashes of text ``i``."""
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]


class Sketch(NamedTuple):
    """What one pass over the texts gives: signatures, word counts and whole-text keys."""

    signatures: np.ndarray  # (docs, num_perm), uint32 (affine32) or uint64 (legacy)
    words: np.ndarray  # uint32, words of each normalised text
    text_keys: np.ndarray  # uint64 hash of the whole normalised text (0 for an empty text)


def normalize(texts: pl.Series) -> pl.Series:
    """Return the texts lowercased, punctuation folded to single spaces, nulls as "".

    The reference definition of the compared text; the kernels do the same without a copy
    (lowercase in Polars, then words are the runs of letters and digits).
    """
    return (
        texts.cast(pl.String)
        .fill_null("")
        .str.to_lowercase()
        .str.replace_all(r"[^\p{L}\p{N}]+", " ")
        .str.strip_chars(" ")
    )


def sketch(
    texts: pl.Series, num_perm: int = 128, seed: int = 1, n: int = 3, scheme: str = "affine32"
) -> Sketch:
    """Return signatures, word counts and whole-text keys of ``texts`` in one pass.

    A text with fewer than ``n`` words has no shingles and keeps datasketch's empty signature
    (every value 2**32 - 1); its ``text_keys`` value identifies its normalised text instead.
    """
    a, b = permutations(num_perm, seed, scheme)
    sigs = np.empty((len(texts), num_perm), dtype=np.uint32 if scheme == "affine32" else np.uint64)
    words = np.empty(len(texts), dtype=np.uint32)
    keys = np.empty(len(texts), dtype=np.uint64)
    table = _alnum_table()
    kernel = _sketch_affine32 if scheme == "affine32" else _sketch_legacy
    for start in range(0, len(texts), BATCH):
        data, offsets = _utf8_buffers(_lowercase(texts.slice(start, BATCH)))
        end = start + len(offsets) - 1
        kernel(data, offsets, table, n, a, b, sigs[start:end], words[start:end], keys[start:end])
    return Sketch(sigs, words, keys)


def signatures(
    texts: pl.Series, num_perm: int = 128, seed: int = 1, n: int = 3, scheme: str = "affine32"
) -> np.ndarray:
    """Return the MinHash signatures of ``texts``, shape (len(texts), num_perm).

    uint32 for ``affine32``, uint64 for ``legacy`` (datasketch's dtypes for each scheme).
    """
    return sketch(texts, num_perm, seed, n, scheme).signatures


def shingle_sets(texts: pl.Series, n: int = 3, docs: np.ndarray | None = None) -> ShingleSets:
    """Return the sorted distinct 64-bit shingle hashes of each text (empty under n words).

    With ``docs`` (indices into ``texts``), only those texts, in that order: the sets of the
    texts in candidate pairs, without copying the rest.
    """
    parts, sizes = [], []
    table = _alnum_table()
    total = len(texts) if docs is None else len(docs)
    for start in range(0, total, BATCH):
        if docs is None:
            batch = texts.slice(start, BATCH)
        else:
            batch = texts.gather(docs[start : start + BATCH])
        data, offsets = _utf8_buffers(_lowercase(batch))
        hashes, counts = _shingle_sets(data, offsets, table, n)
        parts.append(hashes)
        sizes.append(counts)
    sizes_all = np.concatenate(sizes) if sizes else np.zeros(0, np.int64)
    offsets_all = np.zeros(len(sizes_all) + 1, dtype=np.int64)
    np.cumsum(sizes_all, out=offsets_all[1:])
    # Copy batch by batch, freeing each as it goes: np.empty touches no page until written, so
    # the peak is one copy of the sets plus one batch, not two copies.
    hashes_all = np.empty(offsets_all[-1], dtype=np.uint64)
    pos = 0
    parts.reverse()
    while parts:
        part = parts.pop()
        hashes_all[pos : pos + len(part)] = part
        pos += len(part)
        del part
    return ShingleSets(hashes_all, offsets_all)


@lru_cache(maxsize=32)
def permutations(num_perm: int, seed: int, scheme: str = "affine32") -> tuple[np.ndarray, ...]:
    """Return datasketch's permutation parameters ``(a, b)`` for ``num_perm`` and ``seed``."""
    if scheme not in SCHEMES:
        raise ValueError(f"scheme: expected one of {', '.join(SCHEMES)}, got {scheme!r}")
    gen = np.random.RandomState(seed)
    if scheme == "legacy":
        pairs = [
            (gen.randint(1, _MERSENNE, dtype=np.uint64), gen.randint(0, _MERSENNE, dtype=np.uint64))
            for _ in range(num_perm)
        ]
        ab = np.array(pairs, dtype=np.uint64).T
        return ab[0].copy(), ab[1].copy()
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    return a, b


def shingle_hash64(shingle: bytes) -> int:
    """Return the 64-bit hash of one shingle given as its words joined by single spaces."""
    data = np.frombuffer(shingle, dtype=np.uint8)
    return int(_shingle_hash_bytes(data))


def shingle_hash32(shingle: bytes) -> int:
    """Return the 32-bit MinHash input of one shingle: a ``hashfunc`` for datasketch."""
    return shingle_hash64(shingle) >> 32


def xxh64(data: bytes, seed: int = 0) -> int:
    """Return XXH64 of ``data`` (the word hash; equals ``xxhash.xxh64_intdigest``)."""
    return int(_xxh64(np.frombuffer(data, dtype=np.uint8), 0, len(data), _U64(seed)))


@lru_cache(maxsize=1)
def _alnum_table() -> np.ndarray:
    """Return a bool per code point: True for letters and digits (\\p{L}, \\p{N})."""
    return np.fromiter(
        (unicodedata.category(chr(c))[0] in "LN" for c in range(0x110000)),
        dtype=np.bool_,
        count=0x110000,
    )


def _lowercase(texts: pl.Series) -> pl.Series:
    return texts.cast(pl.String).fill_null("").str.to_lowercase()


def _utf8_buffers(texts: pl.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return the UTF-8 bytes and int64 offsets of a string Series, without copying per text."""
    arr = texts.to_arrow()
    if hasattr(arr, "combine_chunks"):
        arr = arr.combine_chunks()
    _, offs, data = arr.buffers()
    offsets = np.frombuffer(offs, dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    if data is None:
        return np.zeros(0, dtype=np.uint8), offsets
    return np.frombuffer(data, dtype=np.uint8), offsets


# ---- kernels ---------------------------------------------------------------------------------


@njit(inline="always")
def _rotl(x, r):
    return (x << _U64(r)) | (x >> _U64(64 - r))


@njit(inline="always")
def _read64(data, i):
    v = _U64(0)
    for k in range(8):
        v |= _U64(data[i + k]) << _U64(8 * k)
    return v


@njit(inline="always")
def _read32(data, i):
    v = _U64(0)
    for k in range(4):
        v |= _U64(data[i + k]) << _U64(8 * k)
    return v


@njit(inline="always")
def _round(acc, value):
    acc = acc + value * _P2
    return _rotl(acc, 31) * _P1


@njit(inline="always")
def _merge_round(acc, value):
    acc = acc ^ _round(_U64(0), value)
    return acc * _P1 + _P4


@njit(inline="always")
def _avalanche(h):
    h ^= h >> _U64(33)
    h *= _P2
    h ^= h >> _U64(29)
    h *= _P3
    return h ^ (h >> _U64(32))


@njit(cache=True)
def _xxh64(data, start, end, seed):
    """XXH64 of data[start:end] (the reference algorithm, little-endian reads)."""
    length = end - start
    i = start
    if length >= 32:
        v1 = seed + _P1 + _P2
        v2 = seed + _P2
        v3 = seed
        v4 = seed - _P1
        while i + 32 <= end:
            v1 = _round(v1, _read64(data, i))
            v2 = _round(v2, _read64(data, i + 8))
            v3 = _round(v3, _read64(data, i + 16))
            v4 = _round(v4, _read64(data, i + 24))
            i += 32
        h = _rotl(v1, 1) + _rotl(v2, 7) + _rotl(v3, 12) + _rotl(v4, 18)
        h = _merge_round(h, v1)
        h = _merge_round(h, v2)
        h = _merge_round(h, v3)
        h = _merge_round(h, v4)
    else:
        h = seed + _P5
    h += _U64(length)
    while i + 8 <= end:
        h ^= _round(_U64(0), _read64(data, i))
        h = _rotl(h, 27) * _P1 + _P4
        i += 8
    if i + 4 <= end:
        h ^= _read32(data, i) * _P1
        h = _rotl(h, 23) * _P2 + _P3
        i += 4
    while i < end:
        h ^= _U64(data[i]) * _P5
        h = _rotl(h, 11) * _P1
        i += 1
    return _avalanche(h)


@njit(cache=True)
def _shingle_hash_bytes(data):
    """Shingle hash of one shingle's bytes (words separated by single spaces)."""
    count = 0
    for i in range(len(data)):
        if data[i] == _SPACE:
            count += 1
    words = np.empty(count + 1, dtype=np.uint64)
    w = 0
    start = 0
    for i in range(len(data) + 1):
        if i == len(data) or data[i] == _SPACE:
            words[w] = _xxh64(data, start, i, _U64(0))
            w += 1
            start = i + 1
    return _combine(words, 0, count + 1)


@njit(inline="always")
def _word_hashes(data, start, end, table, out):
    """Write the XXH64 of each word of data[start:end] to ``out``; return the word count.

    A word is a maximal run of code points the table marks as letters or digits.
    """
    count = 0
    word_start = -1
    i = start
    while i < end:
        b0 = data[i]
        if b0 < 0x80:
            cp = np.int64(b0)
            width = 1
        elif b0 < 0xE0:
            cp = (np.int64(b0 & 0x1F) << 6) | np.int64(data[i + 1] & 0x3F)
            width = 2
        elif b0 < 0xF0:
            cp = (
                (np.int64(b0 & 0x0F) << 12)
                | (np.int64(data[i + 1] & 0x3F) << 6)
                | np.int64(data[i + 2] & 0x3F)
            )
            width = 3
        else:
            cp = (
                (np.int64(b0 & 0x07) << 18)
                | (np.int64(data[i + 1] & 0x3F) << 12)
                | (np.int64(data[i + 2] & 0x3F) << 6)
                | np.int64(data[i + 3] & 0x3F)
            )
            width = 4
        if table[cp]:
            if word_start < 0:
                word_start = i
        elif word_start >= 0:
            out[count] = _xxh64(data, word_start, i, _U64(0))
            count += 1
            word_start = -1
        i += width
    if word_start >= 0:
        out[count] = _xxh64(data, word_start, end, _U64(0))
        count += 1
    return count


@njit(inline="always")
def _combine(words, first, n):
    """Shingle hash of the n word hashes words[first:first + n]."""
    h = _U64(0)
    for k in range(first, first + n):
        h = _rotl((h ^ words[k]) * _P1, 31)
    return _avalanche(h ^ _U64(n))


# Documents are processed in chunks (one per parallel task) so each task allocates its scratch
# buffers once: a numba allocation per document costs a shared atomic counter, which stopped
# the kernels scaling past one core.
_CHUNK = 256


@njit(inline="always")
def _chunk_scratch(offsets, lo, hi):
    """Return a word-hash buffer large enough for any document in offsets[lo:hi + 1]."""
    longest = 0
    for d in range(lo, hi):
        longest = max(longest, offsets[d + 1] - offsets[d])
    return np.empty(longest // 2 + 1, dtype=np.uint64)


@njit(cache=True, parallel=True)
def _sketch_affine32(data, offsets, table, n, a, b, out, words_out, keys_out):
    docs = len(offsets) - 1
    perms = len(a)
    for c in prange((docs + _CHUNK - 1) // _CHUNK):
        lo, hi = c * _CHUNK, min((c + 1) * _CHUNK, docs)
        buf = _chunk_scratch(offsets, lo, hi)
        row = np.empty(perms, dtype=np.uint32)
        for d in range(lo, hi):
            count = _word_hashes(data, offsets[d], offsets[d + 1], table, buf)
            words_out[d] = count
            keys_out[d] = _combine(buf, 0, count) if count > 0 else _U64(0)
            row[:] = np.uint32(0xFFFFFFFF)
            for s in range(count - n + 1):
                # fmix32 in 64-bit registers, masked back to 32 bits after each multiply
                hv = _combine(buf, s, n) >> _U64(32)
                hv ^= hv >> _U64(16)
                hv = (hv * _U64(0x85EBCA6B)) & _MAX32
                hv ^= hv >> _U64(13)
                hv = (hv * _U64(0xC2B2AE35)) & _MAX32
                hv ^= hv >> _U64(16)
                h32 = np.uint32(hv)
                for k in range(perms):
                    v = np.uint32(a[k] * h32 + b[k])
                    if v < row[k]:
                        row[k] = v
            out[d, :] = row


@njit(cache=True, parallel=True)
def _sketch_legacy(data, offsets, table, n, a, b, out, words_out, keys_out):
    docs = len(offsets) - 1
    perms = len(a)
    for c in prange((docs + _CHUNK - 1) // _CHUNK):
        lo, hi = c * _CHUNK, min((c + 1) * _CHUNK, docs)
        buf = _chunk_scratch(offsets, lo, hi)
        row = np.empty(perms, dtype=np.uint64)
        for d in range(lo, hi):
            count = _word_hashes(data, offsets[d], offsets[d + 1], table, buf)
            words_out[d] = count
            keys_out[d] = _combine(buf, 0, count) if count > 0 else _U64(0)
            row[:] = _MAX32
            for s in range(count - n + 1):
                hv = _combine(buf, s, n) >> _U64(32)
                for k in range(perms):
                    x = a[k] * hv + b[k]  # wraps mod 2**64, as datasketch's uint64 arrays do
                    r = (x & _MERSENNE) + (x >> _U64(61))  # x mod (2**61 - 1), no division
                    if r >= _MERSENNE:
                        r -= _MERSENNE
                    v = r & _MAX32
                    if v < row[k]:
                        row[k] = v
            out[d, :] = row


@njit(inline="always")
def _sort_uniform(x, starts, tmp):
    """Sort uniformly distributed uint64 hashes in place: bucket by top bits, then insertion.

    Several times faster than np.sort on a few hundred values, since buckets hold ~1 value.
    ``starts`` and ``tmp`` are scratch of at least 2 * len(x) + 1 and len(x) elements.
    """
    size = len(x)
    if size < 2:
        return
    bits = 1
    while (1 << bits) < size:
        bits += 1
    shift = _U64(64 - bits)
    buckets = 1 << bits
    starts[: buckets + 1] = 0
    for i in range(size):
        starts[np.int64(x[i] >> shift) + 1] += 1
    for k in range(1, buckets + 1):
        starts[k] += starts[k - 1]
    for i in range(size):
        bucket = np.int64(x[i] >> shift)
        tmp[starts[bucket]] = x[i]
        starts[bucket] += 1
    for i in range(1, size):
        v = tmp[i]
        j = i - 1
        while j >= 0 and tmp[j] > v:
            tmp[j + 1] = tmp[j]
            j -= 1
        tmp[j + 1] = v
    x[:] = tmp[:size]


@njit(inline="always")
def _count_words(data, start, end, table):
    count = 0
    inword = False
    i = start
    while i < end:
        b0 = data[i]
        if b0 < 0x80:
            alnum = table[b0]
            i += 1
        else:
            width = 2 if b0 < 0xE0 else (3 if b0 < 0xF0 else 4)
            cp = np.int64(b0 & (0xFF >> (width + 1)))
            for k in range(1, width):
                cp = (cp << 6) | np.int64(data[i + k] & 0x3F)
            alnum = table[cp]
            i += width
        if alnum and not inword:
            count += 1
        inword = alnum
    return count


@njit(cache=True, parallel=True)
def _shingle_sets(data, offsets, table, n):
    """Return (sorted distinct shingle hashes of every document, flat; count per document)."""
    docs = len(offsets) - 1
    chunks = (docs + _CHUNK - 1) // _CHUNK
    slots = np.zeros(docs + 1, dtype=np.int64)
    for d in prange(docs):
        slots[d + 1] = max(_count_words(data, offsets[d], offsets[d + 1], table) - n + 1, 0)
    slots = np.cumsum(slots)
    scratch = np.empty(slots[docs], dtype=np.uint64)
    counts = np.zeros(docs, dtype=np.int64)
    for c in prange(chunks):
        lo, hi = c * _CHUNK, min((c + 1) * _CHUNK, docs)
        buf = _chunk_scratch(offsets, lo, hi)
        starts = np.empty(2 * len(buf) + 2, dtype=np.int64)
        tmp = np.empty(len(buf), dtype=np.uint64)
        for d in range(lo, hi):
            if slots[d + 1] == slots[d]:
                continue
            count = _word_hashes(data, offsets[d], offsets[d + 1], table, buf)
            sh = scratch[slots[d] : slots[d + 1]]
            for s in range(count - n + 1):
                sh[s] = _combine(buf, s, n)
            _sort_uniform(sh, starts, tmp)
            k = 0
            for i in range(1, len(sh)):
                if sh[i] != sh[k]:
                    k += 1
                    sh[k] = sh[i]
            counts[d] = k + 1
    at = np.zeros(docs + 1, dtype=np.int64)
    at[1:] = np.cumsum(counts)
    out = np.empty(at[docs], dtype=np.uint64)
    for c in prange(chunks):
        for d in range(c * _CHUNK, min((c + 1) * _CHUNK, docs)):
            out[at[d] : at[d + 1]] = scratch[slots[d] : slots[d] + counts[d]]
    return out, counts
