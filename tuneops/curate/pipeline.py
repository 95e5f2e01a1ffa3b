"""Curation as one streaming pass: ingest -> mask PII -> deduplicate -> split.

Every input line is accounted for in exactly one output file:
``train.jsonl``, ``eval.jsonl``, ``duplicates.jsonl`` (with ``duplicate_of``)
or ``quarantine.jsonl`` (with source, line and reason). ``report.json``
holds the counts and asserts the conservation law
``inputs == train + eval + duplicates + quarantined``.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from tuneops.config import CurateConfig
from tuneops.curate.ingest import Quarantined
from tuneops.curate.pii import PiiMasker
from tuneops.curate.split import split_of
from tuneops.records import read_jsonl, record_label

if TYPE_CHECKING:
    from tuneops.curate.dedup import DedupFeatures, Deduplicator

OUTPUT_FILES = ("train.jsonl", "eval.jsonl", "duplicates.jsonl", "quarantine.jsonl")


class ConservationError(RuntimeError):
    """Records were lost or double counted: a bug, never expected."""


@dataclass
class CurationCounts:
    """Per-stage counts of one curation run."""

    inputs: int = 0
    quarantined: int = 0
    exact_duplicates: int = 0
    near_duplicates: int = 0
    contaminated: int = 0  # eval records whose question a training record already asks
    train: int = 0
    eval: int = 0
    pii: Counter = field(default_factory=Counter)
    quarantine_reasons: Counter = field(default_factory=Counter)

    @property
    def duplicates(self) -> int:
        return self.exact_duplicates + self.near_duplicates + self.contaminated

    def check_conservation(self) -> None:
        """Raise ``ConservationError`` unless every input is in exactly one output."""
        accounted = self.train + self.eval + self.duplicates + self.quarantined
        if accounted != self.inputs:
            raise ConservationError(f"{self.inputs} inputs but {accounted} accounted for")

    def to_dict(self) -> dict:
        return {
            "inputs": self.inputs,
            "train": self.train,
            "eval": self.eval,
            "duplicates": self.duplicates,
            "exact_duplicates": self.exact_duplicates,
            "near_duplicates": self.near_duplicates,
            "eval_contaminated": self.contaminated,
            "quarantined": self.quarantined,
            "quarantine_reasons": dict(self.quarantine_reasons.most_common()),
            "pii": dict(sorted(self.pii.items())),
        }


def build_masker(cfg: CurateConfig, key: bytes | None = None) -> PiiMasker:
    """The configured PII masker; ``key`` is required in pseudonym mode."""
    return PiiMasker(cfg.pii.entities, cfg.pii.mode, key, dict(cfg.pii.custom_patterns), cfg.pii.rare_word_names,
                     cfg.pii.birth_years)


def detection_masker(cfg: CurateConfig, rare_word_names: bool | None = None) -> PiiMasker:
    """A masker for *finding* PII (leak scans, drift signals): the configured entity types and
    patterns, placeholder mode, so it needs no pseudonymisation key whatever ``pii.mode`` is.
    ``rare_word_names`` overrides ``pii.rare_word_names``."""
    rare = cfg.pii.rare_word_names if rare_word_names is None else rare_word_names
    return PiiMasker(cfg.pii.entities, "placeholder", None, dict(cfg.pii.custom_patterns), rare, cfg.pii.birth_years)


def leak_masker(cfg: CurateConfig) -> PiiMasker:
    """``detection_masker`` for *generated* text (the evaluation's PII-leak check), without the rare-word
    name rule: an undertrained model invents capitalised words, and two of them are no person's name.
    Real names are still caught by the cue and gazetteer rules, and planted canaries by string match."""
    return detection_masker(cfg, rare_word_names=False)


def pseudonym_key_from_env(cfg: CurateConfig) -> bytes | None:
    """The pseudonymisation key from the configured environment variable, if set."""
    value = os.environ.get(cfg.pii.key_env)
    return value.encode() if value else None


def _reason_kind(reason: str) -> str:
    """Reason without its specifics ("messages[1] has unknown role 'agent'" -> "messages has unknown role")."""
    return re.sub(r"\s*(\(.*?\)|'.*?'|\[.*?\]|(?<![\w-])\d+)", "", reason.split(":")[0]).strip()


def curate_to_dir(
    inputs: list[Path],
    cfg: CurateConfig,
    out_dir: Path,
    masker: PiiMasker,
    root: Path | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> CurationCounts:
    """Stream the inputs through every curation stage into ``out_dir``.

    Parsing, PII masking and dedup features run on shards of ``cfg.shard_size`` lines, in
    ``workers`` processes when more than one; the ordered merge then decides duplicate ids,
    duplicates and the split, so the outputs are the same for any number of workers.

    Args:
        inputs: Raw JSONL files or directories.
        cfg: Curation config.
        out_dir: Receives the four JSONL outputs (overwritten).
        masker: PII masker (built by ``build_masker``).
        root: Source file paths are recorded relative to this directory.
        progress: Called with the number of input lines handled so far, after each shard.
        workers: Processes for the per-record work (default ``cfg.workers``; 0 = all cores).

    Returns:
        The per-stage counts; conservation is checked before returning.
    """
    from tuneops.curate.shards import (
        ordered_process_map,
        prepare_shard,
        prepare_shard_in_worker,
        read_shards,
        resolve_workers,
    )

    workers = cfg.workers if workers is None else workers
    workers = resolve_workers(workers)
    shards = read_shards(inputs, cfg.shard_size, root, cfg.csv)
    if workers > 1:
        prepare = partial(prepare_shard_in_worker, cfg_json=cfg.model_dump_json(), key=masker.key)
        prepared_shards = ordered_process_map(workers)(prepare, shards)
    else:
        prepared_shards = map(partial(prepare_shard, cfg=cfg, masker=masker), shards)
    return merge_prepared(prepared_shards, cfg, out_dir, progress)


def merge_prepared(prepared_shards: Iterable[list], cfg: CurateConfig, out_dir: Path,
                   progress: Callable[[int], None] | None = None) -> CurationCounts:
    """The ordered, single-process half of curation: duplicate ids, dedup, split, outputs, counts."""
    from tuneops.curate.shards import dedup_for

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = CurationCounts()
    dedup = dedup_for(cfg)
    seen_ids: set[str] = set()
    handles = {name: open(out_dir / name, "w", encoding="utf-8") for name in OUTPUT_FILES}
    contamination = (EvalContamination(partial(dedup_for, cfg), handles["duplicates.jsonl"])
                     if cfg.dedup.eval_contamination else None)
    try:
        for shard in prepared_shards:
            counts.inputs += len(shard)
            records = _quarantine_or_record(shard, seen_ids, counts, handles["quarantine.jsonl"])
            found = dedup.check_batch([p.masked["id"] for p in records], [p.features for p in records])
            for prepared, duplicate in zip(records, found):
                record = prepared.masked
                counts.pii.update(prepared.pii)
                if duplicate:
                    kind, kept_id = duplicate
                    counts.exact_duplicates += kind == "exact"
                    counts.near_duplicates += kind == "near"
                    _write(handles["duplicates.jsonl"], {"id": record["id"], "duplicate_of": kept_id, "kind": kind,
                                                         "source": record["metadata"]["source_file"],
                                                         "line": record["metadata"]["source_line"]})
                    continue
                side = split_of(record["id"], record_label(record), cfg.split.eval_fraction, cfg.split.seed)
                if side == "eval" and contamination and contamination.eval_record(record, prepared.prompt_features):
                    counts.contaminated += 1
                    continue
                if side == "train" and contamination:
                    contamination.train_record(record["id"], prepared.prompt_features)
                setattr(counts, side, getattr(counts, side) + 1)
                _write(handles[f"{side}.jsonl"], record)
            if progress:
                progress(counts.inputs)
    finally:
        for handle in handles.values():
            handle.close()
    if contamination:
        counts.contaminated += contamination.finish(out_dir / "eval.jsonl")
        counts.eval -= len(contamination.later)
    counts.check_conservation()
    return counts


def _quarantine_or_record(shard: list, seen_ids: set[str], counts: CurationCounts, quarantine) -> list:
    """Write a shard's quarantined items (and records whose id came before); return the other records, in order."""
    records = []
    for prepared in shard:
        item = prepared.item
        if isinstance(item, dict) and item["id"] in seen_ids:
            meta = item["metadata"]
            item = Quarantined(meta["source_file"], meta["source_line"], f"duplicate id {item['id']!r}",
                               json.dumps({k: item[k] for k in ("id", "messages")}, ensure_ascii=False), item["id"])
        if isinstance(item, Quarantined):
            counts.quarantined += 1
            counts.quarantine_reasons[_reason_kind(item.reason)] += 1
            _write(quarantine, item.to_dict())
            continue
        seen_ids.add(item["id"])
        records.append(prepared)
    return records


class EvalContamination:
    """Keeps eval records whose user turns a training record already asks out of the eval split.

    Both directions are checked while streaming: a new eval record against the training records
    so far (it is then never written), and a new training record against the eval records so
    far (those are removed from ``eval.jsonl`` at the end). Removed records go to
    ``duplicates.jsonl`` with ``kind: "contamination"`` and the training record's id.
    """

    def __init__(self, dedup_factory: Callable[[], Deduplicator], duplicates_handle) -> None:
        self.train_prompts = dedup_factory()
        self.eval_prompts = dedup_factory()
        self.duplicates = duplicates_handle
        self.later: dict[str, dict] = {}  # eval id -> its duplicates.jsonl row, for eval records already written
        self._eval_sources: dict[str, dict] = {}

    def _row(self, eval_id: str, train_id: str, source: dict) -> dict:
        return {"id": eval_id, "duplicate_of": train_id, "kind": "contamination", **source}

    def eval_record(self, record: dict, features: DedupFeatures) -> bool:
        """Whether this eval record is contaminated (then it is written to duplicates, not eval)."""
        source = {"source": record["metadata"]["source_file"], "line": record["metadata"]["source_line"]}
        found = self.train_prompts.find(features)
        if found:
            _write(self.duplicates, self._row(record["id"], found[1], source))
            return True
        self.eval_prompts.add(record["id"], features)
        self._eval_sources[record["id"]] = source
        return False

    def train_record(self, record_id: str, features: DedupFeatures) -> None:
        """Index a training record; an earlier eval record it duplicates is removed at the end."""
        self.train_prompts.add(record_id, features)
        found = self.eval_prompts.find(features)
        if found and found[1] not in self.later:
            eval_id = found[1]
            self.later[eval_id] = self._row(eval_id, record_id, self._eval_sources[eval_id])

    def finish(self, eval_path: Path) -> int:
        """Drop the eval records found contaminated after they were written; return how many."""
        if not self.later:
            return 0
        filtered = eval_path.with_suffix(".filtering")
        with open(eval_path, encoding="utf-8") as source, open(filtered, "w", encoding="utf-8") as target:
            target.writelines(line for line in source if json.loads(line)["id"] not in self.later)
        filtered.replace(eval_path)
        with open(eval_path.parent / "duplicates.jsonl", "a", encoding="utf-8") as handle:
            for row in self.later.values():
                _write(handle, row)
        return len(self.later)


def _write(handle, row: dict) -> None:
    handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def load_curated(out_dir: Path) -> list[dict]:
    """Train and eval records of a curated directory."""
    out_dir = Path(out_dir)
    return list(read_jsonl(out_dir / "train.jsonl")) + list(read_jsonl(out_dir / "eval.jsonl"))


def write_report(out_dir: Path, counts: CurationCounts, validation: dict | None, extra: dict | None = None) -> dict:
    """Write ``report.json`` (counts per stage, PII per entity, validation result) and return it."""
    report = {"counts": counts.to_dict(), "conservation": "ok", "validation": validation, **(extra or {})}
    (Path(out_dir) / "report.json").write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report
