"""Sharded curation: the per-record work (parse, PII masking, dedup features) runs on shards in parallel;
a single ordered merge makes the decisions that need global state (duplicate ids, dedup, split).

The merge consumes shards in input order, so the outputs are byte-identical to a one-process run
whatever the number of workers. Memory stays bounded: at most ``window`` shards are in flight,
plus the deduplicator's index of kept records.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tuneops.config import CsvConfig, CurateConfig
from tuneops.curate.dedup import DedupFeatures, Deduplicator, dedup_text, prompt_text
from tuneops.curate.ingest import Quarantined, RawLine, iter_raw_lines, parse_raw_line
from tuneops.curate.pii import PiiMasker
from tuneops.records import batched


@dataclass
class Prepared:
    """One input line after the parallel stage.

    ``item`` is the parsed (unmasked) record or its quarantine entry; for records, ``masked``,
    ``pii`` and ``features`` are filled, and ``prompt_features`` (of the user turns) when the
    eval contamination check is on.
    """

    item: dict | Quarantined
    masked: dict | None = None
    pii: Counter | None = None
    features: DedupFeatures | None = None
    prompt_features: DedupFeatures | None = None


def read_shards(inputs: list[Path], shard_size: int, root: Path | None = None,
                csv_columns: CsvConfig | None = None) -> Iterator[list[RawLine]]:
    """Stream the non-blank input lines (and CSV rows) in order, ``shard_size`` at a time."""
    return batched(iter_raw_lines(inputs, root, csv_columns), shard_size)


def dedup_for(cfg: CurateConfig) -> Deduplicator:
    """The deduplicator of a curation config (features from any of these are compatible)."""
    d = cfg.dedup
    return Deduplicator(d.near_threshold, d.num_perm, d.bands, d.shingle_chars)


def prepare_shard(lines: list[RawLine], cfg: CurateConfig, masker: PiiMasker) -> list[Prepared]:
    """Parse, mask and compute dedup features for one shard (no global state: safe to run anywhere)."""
    prepared = []
    for line in lines:
        item = parse_raw_line(line, cfg.max_chars)
        if isinstance(item, Quarantined):
            prepared.append(Prepared(item))
            continue
        masked, pii = masker.mask_record(item)
        prepared.append(Prepared(item, masked, pii))
    records = [p for p in prepared if p.masked is not None]
    # Dedup features for the whole shard at once: vectorised, far cheaper than record by record.
    dedup = dedup_for(cfg)
    for p, features in zip(records, dedup.features_batch([dedup_text(p.masked) for p in records])):
        p.features = features
    if cfg.dedup.eval_contamination:
        for p, features in zip(records, dedup.features_batch([prompt_text(p.masked) for p in records])):
            p.prompt_features = features
    return prepared


@lru_cache(maxsize=4)
def _worker_masker(cfg_json: str, key: bytes | None) -> PiiMasker:
    from tuneops.curate.pipeline import build_masker

    return build_masker(CurateConfig.model_validate_json(cfg_json), key)


def prepare_shard_in_worker(lines: list[RawLine], cfg_json: str, key: bytes | None) -> list[Prepared]:
    """``prepare_shard`` for another process: the config travels as JSON, the masker is rebuilt once per process."""
    return prepare_shard(lines, CurateConfig.model_validate_json(cfg_json), _worker_masker(cfg_json, key))


def ordered_process_map(workers: int, window: int | None = None) -> Callable:
    """A ``map`` over shards on a pool of ``workers`` processes, results in input order.

    At most ``window`` (default ``2 * workers``) shards are submitted ahead of the one being
    consumed, which bounds memory however long the input is.
    """
    window = window or 2 * workers

    def run(fn: Callable, shards: Iterable) -> Iterator:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            pending: list[Future] = []
            for shard in shards:
                pending.append(pool.submit(fn, shard))
                if len(pending) >= window:
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()

    return run


def resolve_workers(setting: int) -> int:
    """``curate.workers`` as a process count: 0 means the CPU cores available to this process."""
    if setting:
        return setting
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
