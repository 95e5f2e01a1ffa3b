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
``features_batch`` is pure, so shards can run it in parallel. ``check_batch``
then finds the LSH candidates of a whole batch at once (sorted band-key runs,
``BandIndex``) and makes the order-dependent decisions record by record, with
the same results as ``check_features`` one record at a time.
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
    # Hash every window of the joined text with contiguous slices, then pick the texts' own windows:
    # cheaper than gathering `size` times, although windows across separators are hashed in vain.
    total = codes.size - size + 1
    value = codes[:total] * _WINDOW_MULTIPLIERS[0]
    for k in range(1, size):
        value += codes[k:k + total] * _WINDOW_MULTIPLIERS[k]
    hashed = _mix(value[position]) >> np.uint64(32)
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
    band_keys: np.ndarray  # one uint64 per band


# Candidates from the current batch are encoded after every possible kept position, so a sorted
# candidate list puts kept records of earlier batches (which came first in the stream) first.
_IN_BATCH = 1 << 40
_MAX_BATCH = 1 << 22  # pair codes are owner << 41 | candidate: owner must fit in the remaining 22 bits


def _expand_ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The concatenation of ``range(s, s + c)`` for each start and count, vectorised."""
    ends = np.cumsum(counts)
    return np.repeat(starts - ends + counts, counts) + np.arange(int(ends[-1]) if ends.size else 0)


class BandIndex:
    """LSH buckets: band key -> positions of kept records.

    Records kept in batches go into sorted numpy runs, merged log-structured (a run is merged
    into the one before it while that one is at most twice its size), so there are O(log n)
    runs and each key is re-sorted O(log n) times; at 12 bytes per key (uint64 key, int32
    position) they take about a tenth of a dict. Records kept one at a time go into a dict
    (cheapest to update and query one record at a time) until the next batch.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray]] = []
        # A bucket holds one position as an int and becomes a list at its second record:
        # most band keys are unique, and a list per key would cost one list per band per record.
        self._pending: dict[int, int | list[int]] = {}

    def add_many(self, keys: np.ndarray, positions: np.ndarray) -> None:
        """Index kept records: ``keys`` is ``(records, bands)`` uint64, ``positions`` their kept positions."""
        if len(keys):
            self._add_run(keys.reshape(-1), np.repeat(positions.astype(np.int32), keys.shape[1]))

    def _add_run(self, keys: np.ndarray, positions: np.ndarray) -> None:
        order = np.argsort(keys)
        self._runs.append((keys[order], positions[order]))  # positions of equal keys in any order
        while len(self._runs) > 1 and self._runs[-2][0].size <= 2 * self._runs[-1][0].size:
            (older_keys, older_pos), (newer_keys, newer_pos) = self._runs[-2:]
            merged = np.concatenate([older_keys, newer_keys])
            order = np.argsort(merged, kind="stable")  # timsort: merging two sorted runs is linear
            self._runs[-2:] = [(merged[order], np.concatenate([older_pos, newer_pos])[order])]

    def add(self, keys: np.ndarray, position: int) -> None:
        """Index one kept record."""
        pending = self._pending
        key_list = keys.tolist()
        entries = list(map(pending.get, key_list))
        if entries.count(None) == len(entries):  # the usual case: no key seen before
            pending.update(zip(key_list, repeat(position)))
            return
        for key, entry in zip(key_list, entries):
            if entry is None:
                pending[key] = position
            elif type(entry) is int:
                pending[key] = [entry, position]
            else:
                entry.append(position)

    def flush(self) -> None:
        """Move the records indexed one at a time into a sorted run."""
        if not self._pending:
            return
        keys: list[int] = []
        positions: list[int] = []
        for key, entry in self._pending.items():
            if type(entry) is int:
                keys.append(key)
                positions.append(entry)
            else:
                keys.extend([key] * len(entry))
                positions.extend(entry)
        self._add_run(np.array(keys, dtype=np.uint64), np.array(positions, dtype=np.int32))
        self._pending.clear()

    def positions(self, keys: np.ndarray) -> list[int]:
        """Kept positions that share one record's ``keys``, once per shared key."""
        found: list[int] = []
        for entry in map(self._pending.get, keys.tolist()):
            if entry is None:
                continue
            if type(entry) is int:
                found.append(entry)
            else:
                found.extend(entry)
        if self._runs:
            found.extend(self.pairs(keys, np.zeros(keys.size, dtype=np.int64))[1].tolist())
        return found

    def pairs(self, keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every (owner, kept position) in the runs that shares a key, once per shared key (1-D inputs).

        Sorted ``keys`` are much faster to look up (each binary search starts where the last ended).
        """
        found_owners, found_positions = [], []
        for run_keys, run_positions in self._runs:
            lo = np.searchsorted(run_keys, keys, "left")
            counts = np.searchsorted(run_keys, keys, "right") - lo
            hit = counts > 0
            if hit.any():
                found_owners.append(np.repeat(owners[hit], counts[hit]))
                found_positions.append(run_positions[_expand_ranges(lo[hit], counts[hit])].astype(np.int64))
        if not found_owners:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_owners), np.concatenate(found_positions)


def _pairs_within(sorted_keys: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every (later owner, earlier owner) that share a key, once per shared key (``sorted_keys`` sorted).

    An owner's keys must be distinct (they are: one salted key per band).
    """
    size = sorted_keys.size
    new_group = np.concatenate(([True], sorted_keys[1:] != sorted_keys[:-1]))
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(size), 0))
    earlier_count = np.arange(size) - group_start  # each element pairs with the ones before it in its group
    if not earlier_count.any():
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    one = np.repeat(owners, earlier_count)
    other = owners[_expand_ranges(group_start, earlier_count)]
    return np.maximum(one, other), np.minimum(one, other)


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

    def __post_init__(self) -> None:
        if self.num_perm % self.bands:
            raise ValueError(f"num_perm ({self.num_perm}) must be divisible by bands ({self.bands})")
        rng = np.random.default_rng(self.seed)
        self._seed = rng.integers(0, 2**64, dtype=np.uint64, endpoint=False)
        self._rows = self.num_perm // self.bands
        self._band_multipliers = rng.integers(0, 2**63, self._rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
        self._band_salts = rng.integers(0, 2**64, self.bands, dtype=np.uint64, endpoint=False)
        self._min_shared = min_shared_bands(self.threshold, self.bands, self._rows)
        self._index = BandIndex()

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
        # Every text has a shingle, so every row has a non-empty bin.
        filled = signature != empty
        columns = np.arange(m, dtype=np.int32)
        donor = np.minimum.accumulate(np.where(filled, columns, np.int32(2 * m))[:, ::-1], axis=1)[:, ::-1]
        donor = np.minimum(donor, donor[:, :1] + np.int32(m))  # none after: the first one, a turn later
        distance = (donor - columns).astype(np.uint64)
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
        band_keys = self._band_keys(self.signatures(hashes, offsets))
        bounds = offsets.tolist()
        return [DedupFeatures(hashlib.blake2b(normal.encode(), digest_size=16).hexdigest(),
                              hashes[bounds[i]:bounds[i + 1]], tuple(_NUMBER.findall(normal)), band_keys[i])
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
        return self.check_batch(record_ids, self.features_batch(texts))

    def check_features(self, record_id: str, features: DedupFeatures) -> tuple[str, str] | None:
        """``check`` with precomputed features (must come from a Deduplicator with the same settings)."""
        found = self.find(features)
        if found is None:
            self.add(record_id, features)
        return found

    def find(self, features: DedupFeatures) -> tuple[str, str] | None:
        """``(kind, kept_id)`` of the earliest kept record these features duplicate, without adding them."""
        if features.exact_key in self._exact:
            return "exact", self._exact[features.exact_key]
        positions = self._index.positions(features.band_keys)
        if len(positions) < self._min_shared:  # no kept record can share enough bands
            return None
        for position in sorted(p for p, n in Counter(positions).items() if n >= self._min_shared):  # earliest first
            if self._is_near(features, position):
                return "near", self._kept_ids[position]
        return None

    def add(self, record_id: str, features: DedupFeatures) -> None:
        """Keep a record: later ``find`` and ``check`` calls compare against it."""
        self._index.add(features.band_keys, self._keep(record_id, features))

    def add_many(self, record_ids: Sequence[str], features: Sequence[DedupFeatures]) -> None:
        """Keep every record without checking it: an index of reference texts for ``find``."""
        positions = [self._keep(record_id, f) for record_id, f in zip(record_ids, features)]
        if positions:
            self._index.add_many(np.stack([f.band_keys for f in features]), np.array(positions))

    def check_batch(self, record_ids: Sequence[str],
                    features: Sequence[DedupFeatures]) -> list[tuple[str, str] | None]:
        """``check_features`` for a batch in order, with the same results, the LSH work vectorised.

        Candidate pairs (sharing at least the bound of bands) are found for the whole batch at
        once, against the index and within the batch; only the verification of candidates and
        the keep decisions run record by record, in order.
        """
        if len(features) > _MAX_BATCH:
            return (self.check_batch(record_ids[:_MAX_BATCH], features[:_MAX_BATCH])
                    + self.check_batch(record_ids[_MAX_BATCH:], features[_MAX_BATCH:]))
        n = len(features)
        results: list[tuple[str, str] | None] = [None] * n
        # A record whose text already occurred needs no LSH: it is an exact duplicate, or
        # (when its first occurrence was a near duplicate) it has that occurrence's outcome.
        first_row: dict[str, int] = {}
        first_of = [first_row.setdefault(f.exact_key, i) for i, f in enumerate(features)]
        exact = self._exact
        fresh = [i for i in range(n) if first_of[i] == i and features[i].exact_key not in exact]
        candidates, bounds = self._batch_candidates(features, fresh)
        position_of_row = {}
        kept_rows: list[int] = []
        for i in range(n):
            feature = features[i]
            kept_id = exact.get(feature.exact_key)
            if kept_id is not None:
                results[i] = ("exact", kept_id)
                continue
            if first_of[i] != i:
                results[i] = results[first_of[i]]
                continue
            found = None
            for candidate in candidates[bounds[i]:bounds[i + 1]]:
                position = candidate if candidate < _IN_BATCH else position_of_row.get(candidate - _IN_BATCH)
                if position is not None and self._is_near(feature, position):
                    found = ("near", self._kept_ids[position])
                    break
            if found:
                results[i] = found
                continue
            position_of_row[i] = self._keep(record_ids[i], feature)
            kept_rows.append(i)
        if kept_rows:
            self._index.add_many(np.stack([features[i].band_keys for i in kept_rows]),
                                 np.array([position_of_row[i] for i in kept_rows]))
        return results

    def _batch_candidates(self, features: Sequence[DedupFeatures], rows: list[int]) -> tuple[list[int], list[int]]:
        """Candidates of each row sharing at least ``_min_shared`` bands, ascending (kept positions, then
        ``_IN_BATCH + earlier row``); those of row ``i`` are ``candidates[bounds[i]:bounds[i + 1]]``."""
        n = len(features)
        if not rows:
            return [], [0] * (n + 1)
        self._index.flush()
        row_array = np.array(rows, dtype=np.int64)
        keys = np.stack([features[i].band_keys for i in rows]).reshape(-1)
        order = np.argsort(keys)
        keys, owners = keys[order], np.repeat(row_array, self.bands)[order]
        kept_owner, kept_position = self._index.pairs(keys, owners)
        later, earlier = _pairs_within(keys, owners)
        codes = np.concatenate([(kept_owner << 41) | kept_position, (later << 41) | (earlier + _IN_BATCH)])
        if not codes.size:
            return [], [0] * (n + 1)
        codes, shared = np.unique(codes, return_counts=True)
        codes = codes[shared >= self._min_shared]
        bounds = np.searchsorted(codes >> 41, np.arange(n + 1)).tolist()
        return (codes & ((1 << 41) - 1)).tolist(), bounds

    def _is_near(self, features: DedupFeatures, position: int) -> bool:
        kept_shingles, kept_numbers = self._kept[position]
        return ((kept_numbers == features.numbers or _numbers_match(kept_numbers, features.numbers))
                and _sorted_jaccard(features.shingles, kept_shingles) >= self.threshold)

    def _keep(self, record_id: str, features: DedupFeatures) -> int:
        """Remember a kept record (not yet in the LSH index); return its position."""
        self._exact.setdefault(features.exact_key, record_id)
        self._kept.append((features.shingles, features.numbers))
        self._kept_ids.append(record_id)
        return len(self._kept) - 1
