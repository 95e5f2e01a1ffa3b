"""Exact and near-duplicate detection, streaming, first occurrence kept.

* Exact: records whose normalised text (case, whitespace and punctuation
  folded) is identical.
* Near: MinHash signatures over character shingles, banded LSH for
  candidates, then a check of the true Jaccard similarity of the shingle
  sets, so LSH false positives never remove a record. Records whose numbers
  differ (order ids, versions, amounts) are never near duplicates: they are
  different tickets that share a template. The exceptions are edits, not new
  values: a swap of two adjacent digits inside a long number (the commonest
  typing error in ids) and a number left out.

Everything per record that does not need the index (normalising, shingling,
signatures, band keys) is computed for a whole batch at once with numpy:
``features_batch`` is pure, so shards can run it in parallel, and
``check_features`` then makes the order-dependent decisions.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import NamedTuple

import numpy as np

_MIX1 = np.uint64(0xBF58476D1CE4E5B9)  # splitmix64 finaliser constants
_MIX2 = np.uint64(0x94D049BB133111EB)
_LOW32 = np.uint64(0xFFFFFFFF)
_WORD = re.compile(r"[\w<>]+")  # what survives normalising: punctuation and whitespace only separate words
_NUMBER = re.compile(r"\d+")
_MIN_SWAP_DIGITS = 4  # shorter numbers (quantities, versions) with swapped digits are different values


def dedup_text(record: dict) -> str:
    """Text compared for duplicates: user and assistant turns (system prompts are shared boilerplate)."""
    return "\n".join(m["content"] for m in record["messages"] if m["role"] != "system")


def prompt_text(record: dict) -> str:
    """Text compared for eval contamination: the user turns, what a model is asked."""
    return "\n".join(m["content"] for m in record["messages"] if m["role"] == "user")


def normalise(text: str) -> str:
    """Fold case, punctuation and whitespace: the lower-cased words (and ``<>``), single-spaced."""
    return " ".join(_WORD.findall(text.lower()))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser, elementwise (uint64 multiplication wraps modulo 2^64, as intended)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


# Odd 64-bit multipliers of the polynomial window hash (fixed, so hashes are stable across runs).
_WINDOW_MULTIPLIERS = np.random.default_rng(20261122).integers(1, 2**63, 64, dtype=np.uint64) * np.uint64(2) + np.uint64(1)


def shingle_hashes(normal_texts: Sequence[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """32-bit hashes of the character ``size``-grams of already normalised texts, for a batch at once.

    A text shorter than ``size`` is one shingle (itself).

    Returns:
        ``(hashes, offsets)``: the sorted, unique hashes of text ``i`` are
        ``hashes[offsets[i]:offsets[i + 1]]`` (uint32).
    """
    if size > len(_WINDOW_MULTIPLIERS):
        raise ValueError(f"shingle size {size} is larger than {len(_WINDOW_MULTIPLIERS)}")
    n = len(normal_texts)
    # NUL never survives normalise, so a run of `size` NULs between texts keeps windows apart.
    codes = np.frombuffer(("\0" * size).join(normal_texts).encode("utf-32-le") + b"\0" * 4 * size,
                          dtype=np.uint32).astype(np.uint64)
    lengths = np.fromiter(map(len, normal_texts), dtype=np.int64, count=n)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1] + size, out=starts[1:])
    windows = np.maximum(lengths - size + 1, 1)
    owner = np.repeat(np.arange(n, dtype=np.int64), windows)
    first_window = np.zeros(n, dtype=np.int64)
    np.cumsum(windows[:-1], out=first_window[1:])
    position = np.repeat(starts - first_window, windows) + np.arange(owner.size, dtype=np.int64)
    value = np.zeros(owner.size, dtype=np.uint64)
    for k in range(size):
        value += codes[position + k] * _WINDOW_MULTIPLIERS[k]
    hashed = _mix(value) >> np.uint64(32)
    # Sort and deduplicate per text in one pass: owner in the high half, hash in the low half.
    keyed = np.sort((owner.astype(np.uint64) << np.uint64(32)) | hashed)
    keyed = keyed[np.concatenate(([True], keyed[1:] != keyed[:-1]))]
    offsets = np.searchsorted(keyed >> np.uint64(32), np.arange(n + 1, dtype=np.uint64))
    return (keyed & _LOW32).astype(np.uint32), offsets


def shingles(text: str, size: int) -> set[int]:
    """Hashes of the character ``size``-grams of a text (normalised first)."""
    hashes, _ = shingle_hashes([normalise(text)], size)
    return set(hashes.tolist())


def jaccard(a: Iterable[int], b: Iterable[int]) -> float:
    """Jaccard similarity of two sets (1.0 for two empty sets)."""
    a, b = set(a), set(b)
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _sorted_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Jaccard similarity of two sorted arrays of unique values."""
    if not a.size or not b.size:
        return float(a.size == b.size)
    at = np.searchsorted(b, a)
    common = int(np.count_nonzero(b[np.minimum(at, b.size - 1)] == a))
    return common / (a.size + b.size - common)


def min_shared_bands(threshold: float, bands: int, rows: int, miss_rate: float = 1e-4) -> int:
    """Fewest LSH bands a pair at ``threshold`` similarity shares, except with probability ``miss_rate``.

    At Jaccard J a band matches with probability J^rows, so shared bands are Binomial(bands, J^rows).
    Candidates that share fewer bands are far below the threshold (a Jaccard-0.5 pair shares 2 of 32
    on average, a 0.8 pair 13), and skipping them saves most exact Jaccard checks on templated text.
    """
    p = threshold ** rows
    cdf, k = 0.0, 0
    while k < bands:
        cdf += math.comb(bands, k) * p**k * (1 - p) ** (bands - k)
        if cdf > miss_rate:
            break
        k += 1
    return max(k, 1)


def _is_digit_swap(x: str, y: str) -> bool:
    """Whether ``y`` is ``x`` with two adjacent digits swapped (only for numbers of 4+ digits)."""
    if len(x) != len(y) or len(x) < _MIN_SWAP_DIGITS:
        return False
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]


def _numbers_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two records' numbers (in text order) allow them to be near duplicates.

    They do when they are equal up to swapped adjacent digits in long numbers, or when the
    shorter list is the longer with some numbers left out (a deleted or reworded number).
    They do not when a number was replaced by another: that is another order, amount or id.
    """
    if len(a) == len(b):
        return all(x == y or _is_digit_swap(x, y) for x, y in zip(a, b))
    shorter, longer = (a, b) if len(a) < len(b) else (b, a)
    remaining = iter(longer)
    return all(number in remaining for number in shorter)  # ordered subsequence


class DedupFeatures(NamedTuple):
    """Per-record dedup inputs: normalised-text hash, shingle hashes (sorted, unique), numbers, LSH band keys.

    A named tuple rather than a dataclass: one is built per record, and tuples build fastest.
    """

    exact_key: str
    shingles: np.ndarray
    numbers: tuple[str, ...]
    band_keys: tuple[int, ...]


@dataclass
class Deduplicator:
    """Streaming deduplicator: call ``check`` (or ``check_many``) for the records in order.

    Signatures use one-permutation hashing: each shingle is hashed once and
    lands in one of ``num_perm`` bins, whose minimum is that bin's value;
    empty bins borrow from the next non-empty bin (rotation densification).
    Two signatures agree in a bin with probability about the Jaccard
    similarity, as with ``num_perm`` independent permutations, at 1/num_perm
    of the hashing cost.

    Args:
        threshold: Jaccard similarity at or above which a record is a near duplicate.
        num_perm: MinHash bins (signature length).
        bands: LSH bands (``num_perm / bands`` rows each).
        shingle_chars: Character shingle length.
        seed: Seed of the hash functions.
    """

    threshold: float = 0.8
    num_perm: int = 128
    bands: int = 32
    shingle_chars: int = 5
    seed: int = 1
    _exact: dict[str, str] = field(default_factory=dict, init=False)
    # Kept records by position in input order; the LSH index maps band keys to those positions.
    _kept: list[tuple[np.ndarray, tuple[str, ...]]] = field(default_factory=list, init=False)
    _kept_ids: list[str] = field(default_factory=list, init=False)
    _buckets: dict[int, int | list[int]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be divisible by bands ({self.bands})")
        rng = np.random.default_rng(self.seed)
        self._seed = rng.integers(0, 2**64, dtype=np.uint64, endpoint=False)
        self._rows = self.num_perm // self.bands
        self._band_multipliers = rng.integers(0, 2**63, self._rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._band_salts = rng.integers(0, 2**64, self.bands, dtype=np.uint64, endpoint=False)
        self._min_shared = min_shared_bands(self.threshold, self.bands, self._rows)

    def signatures(self, hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """MinHash signatures, shape ``(texts, num_perm)`` uint64, of the shingle sets from ``shingle_hashes``."""
        n, m = len(offsets) - 1, self.num_perm
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
        mixed = _mix(hashes.astype(np.uint64) ^ self._seed)
        bins = ((mixed >> np.uint64(32)) * np.uint64(m)) >> np.uint64(32)  # uniform bin in [0, m)
        empty = np.uint64(2**64 - 1)
        signature = np.full(n * m, empty, dtype=np.uint64)
        np.minimum.at(signature, owner * m + bins.astype(np.int64), mixed & _LOW32)
        signature = signature.reshape(n, m)
        # Rotation densification: an empty bin takes the next non-empty bin's value (circularly)
        # plus distance * 2^32, so borrowed values never equal a bin's own 32-bit values.
        filled = signature != empty
        doubled = np.where(np.concatenate([filled, filled], axis=1), np.arange(2 * m), 2 * m)
        donor = np.minimum.accumulate(doubled[:, ::-1], axis=1)[:, ::-1][:, :m]
        distance = (donor - np.arange(m)).astype(np.uint64)
        borrowed = np.take_along_axis(signature, donor % m, axis=1) + (distance << np.uint64(32))
        return np.where(filled, signature, borrowed)

    def signature(self, shingle_set: Iterable[int]) -> np.ndarray:
        """MinHash signature (``num_perm`` uint64 values) of one set of shingle hashes."""
        values = np.unique(np.fromiter(shingle_set, dtype=np.uint32))
        return self.signatures(values, np.array([0, values.size]))[0]

    def _band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """One 64-bit key per (text, band); keys of different bands never meet in the index (salted).

        Band ``b`` takes the bins ``b, b + bands, b + 2 * bands, ...``: strided, because a densified
        empty bin copies its neighbour, and a band of neighbours would collide as often as one bin.
        """
        rows = signatures.reshape(len(signatures), self._rows, self.bands)
        combined = (rows * self._band_multipliers[:, None]).sum(axis=1, dtype=np.uint64) ^ self._band_salts
        return _mix(combined)

    def features_batch(self, texts: Sequence[str]) -> list[DedupFeatures]:
        """What ``check_features`` needs of each text; pure, so shards can compute it in parallel."""
        if not texts:
            return []
        normals = [normalise(t) for t in texts]
        hashes, offsets = shingle_hashes(normals, self.shingle_chars)
        band_keys = self._band_keys(self.signatures(hashes, offsets)).tolist()
        bounds = offsets.tolist()
        return [DedupFeatures(hashlib.blake2b(normal.encode(), digest_size=16).hexdigest(),
                              hashes[bounds[i]:bounds[i + 1]], tuple(_NUMBER.findall(normal)), tuple(band_keys[i]))
                for i, normal in enumerate(normals)]

    def features(self, text: str) -> DedupFeatures:
        """``features_batch`` of one text."""
        return self.features_batch([text])[0]

    def check(self, record_id: str, text: str) -> tuple[str, str] | None:
        """Register a record; return ``(kind, kept_id)`` if it duplicates an earlier kept record.

        ``kind`` is ``"exact"`` or ``"near"``. Non-duplicates are remembered so
        later records are compared against them.
        """
        return self.check_features(record_id, self.features(text))

    def check_many(self, record_ids: Sequence[str], texts: Sequence[str]) -> list[tuple[str, str] | None]:
        """``check`` for a batch of records in order (features computed for the batch at once)."""
        return [self.check_features(rid, f) for rid, f in zip(record_ids, self.features_batch(texts))]

    def check_features(self, record_id: str, features: DedupFeatures) -> tuple[str, str] | None:
        """``check`` with precomputed features (must come from a Deduplicator with the same settings)."""
        if features.exact_key in self._exact:
            return "exact", self._exact[features.exact_key]
        buckets = self._buckets.get
        lists = list(map(buckets, features.band_keys))
        found = self._verify(features, lists)
        if found is None:
            self._add(record_id, features, lists)
        return found

    def find(self, features: DedupFeatures) -> tuple[str, str] | None:
        """``(kind, kept_id)`` of the earliest kept record these features duplicate, without adding them."""
        if features.exact_key in self._exact:
            return "exact", self._exact[features.exact_key]
        buckets = self._buckets.get
        return self._verify(features, list(map(buckets, features.band_keys)))

    def add(self, record_id: str, features: DedupFeatures) -> None:
        """Keep a record: later ``find`` and ``check`` calls compare against it."""
        buckets = self._buckets.get
        self._add(record_id, features, list(map(buckets, features.band_keys)))

    def _verify(self, features: DedupFeatures, lists: list) -> tuple[str, str] | None:
        """The earliest kept record among the band matches (one entry per band) that is truly a near duplicate."""
        if lists.count(None) == len(lists):  # the usual case: no band matches anything kept
            return None
        flat: list[int] = []
        for entry in lists:
            if entry is None:
                continue
            if type(entry) is int:
                flat.append(entry)
            else:
                flat.extend(entry)
        if len(flat) < self._min_shared:  # no kept record can share enough bands
            return None
        numbers = features.numbers
        for index in sorted(i for i, n in Counter(flat).items() if n >= self._min_shared):  # earliest kept first
            kept_shingles, kept_numbers = self._kept[index]
            if ((kept_numbers == numbers or _numbers_match(kept_numbers, numbers))
                    and _sorted_jaccard(features.shingles, kept_shingles) >= self.threshold):
                return "near", self._kept_ids[index]
        return None

    def _add(self, record_id: str, features: DedupFeatures, lists: list) -> None:
        # A bucket holds one kept index as an int and becomes a list at its second record:
        # most band keys are unique, and a list per key would cost 32 lists per kept record.
        index = len(self._kept)
        self._exact.setdefault(features.exact_key, record_id)
        self._kept.append((features.shingles, features.numbers))
        self._kept_ids.append(record_id)
        buckets = self._buckets
        if lists.count(None) == len(lists):
            buckets.update(zip(features.band_keys, repeat(index)))
            return
        for key, entry in zip(features.band_keys, lists):
            if entry is None:
                buckets[key] = index
            elif type(entry) is int:
                buckets[key] = [entry, index]
            else:
                entry.append(index)
