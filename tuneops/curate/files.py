"""One file through one curation stage, for the stewards' ``pii mask`` and ``dedup`` commands.

Both read the formats curation reads and write each record back in its own format (a
prompt/completion line stays one), so a steward can mask or deduplicate a file and hand it on.
A line curation would quarantine (bad JSON, invalid UTF-8, unknown format, empty content, ...)
goes to a quarantine file with its line number and reason, exactly as ``curate`` writes it; the
run goes on and every input line is either written or quarantined.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tuneops.config import CurateConfig
from tuneops.curate.dedup import dedup_text
from tuneops.curate.ingest import Quarantined, iter_raw_lines, parse_raw_line
from tuneops.curate.pii import PiiMasker
from tuneops.records import batched

# The text fields of the non-chat formats, in turn order; a chat record's texts are its contents.
PROMPT_COMPLETION_FIELDS = ("prompt", "completion")
ALPACA_FIELDS = ("instruction", "input", "output")


@dataclass
class FileCounts:
    """What one file's run did with its lines: ``lines == written + removed + quarantined``."""

    lines: int = 0
    written: int = 0
    removed: int = 0
    quarantined: int = 0
    pii: Counter = field(default_factory=Counter)
    quarantine_reasons: list[str] = field(default_factory=list)  # "line N: reason", the first few

    def quarantine(self, item: Quarantined, handle) -> None:
        """Write one quarantine entry and count it."""
        handle.write(json.dumps(item.to_dict(), ensure_ascii=False) + "\n")
        self.quarantined += 1
        if len(self.quarantine_reasons) < 5:
            self.quarantine_reasons.append(f"line {item.line}: {item.reason}")


def default_quarantine_path(output: Path) -> Path:
    """``out.jsonl`` -> ``out.quarantine.jsonl``, next to the output."""
    output = Path(output)
    return output.with_name(f"{output.stem}.quarantine.jsonl")


def _text_fields(original: dict) -> list[str]:
    """The keys holding an original non-chat record's texts, in turn order."""
    keys = PROMPT_COMPLETION_FIELDS if ("prompt" in original or "completion" in original) else ALPACA_FIELDS
    return [key for key in keys if isinstance(original.get(key), str) and original[key]]


def mask_original(masker: PiiMasker, original: dict) -> tuple[dict, Counter]:
    """Mask an accepted record in its own format: chat contents, or the prompt/Alpaca text fields.

    All texts of the record are masked together, so a value found in one field is masked in every
    other (as ``PiiMasker.mask_record`` does for chat turns). Keys, ids and metadata are kept.
    """
    if "messages" in original:
        return masker.mask_record(original)
    keys = _text_fields(original)
    masked, counts = masker.mask_record({"messages": [{"role": "user", "content": original[key]} for key in keys]})
    return {**original, **{key: m["content"] for key, m in zip(keys, masked["messages"])}}, counts


def _with_id(original: dict, record_id: str) -> dict:
    """The original record, given its derived id first where it has none (an empty id is none)."""
    if original.get("id") not in (None, ""):
        return original
    return {"id": record_id, **{key: value for key, value in original.items() if key != "id"}}


def _parsed_lines(input_file: Path, cfg: CurateConfig) -> Iterator[tuple[dict, dict] | Quarantined]:
    """Each input line as ``(original object, parsed record)``, or its quarantine entry."""
    for line in iter_raw_lines([input_file], csv_columns=cfg.csv):
        parsed = parse_raw_line(line, cfg.max_chars)
        if isinstance(parsed, Quarantined):
            yield parsed
        else:
            yield json.loads(line[2]), parsed


def mask_file(input_file: Path, output: Path, quarantine: Path, masker: PiiMasker, cfg: CurateConfig,
              progress: Callable[[int], None] | None = None) -> FileCounts:
    """Mask every accepted record of ``input_file`` into ``output``; quarantine the rest.

    Args:
        input_file: JSONL (or CSV mapped by ``cfg.csv``) in any format curation accepts.
        output: Masked records, one per accepted line, in input order and in their own format.
        quarantine: One entry per rejected line (source, line, reason, raw text).
        masker: The curation masker (``build_masker``).
        cfg: Curation config (``max_chars``, CSV columns).
        progress: Called with the number of lines handled so far.

    Returns:
        The counts, with masked values per entity type.
    """
    counts = FileCounts()
    for handle_path in (output, quarantine):
        Path(handle_path).parent.mkdir(parents=True, exist_ok=True)
    with open(output, "w", encoding="utf-8") as out, open(quarantine, "w", encoding="utf-8") as rejected:
        for item in _parsed_lines(input_file, cfg):
            counts.lines += 1
            if isinstance(item, Quarantined):
                counts.quarantine(item, rejected)
            else:
                masked, found = mask_original(masker, item[0])
                counts.pii.update(found)
                out.write(json.dumps(masked, ensure_ascii=False) + "\n")
                counts.written += 1
            if progress:
                progress(counts.lines)
    return counts


def dedup_file(input_file: Path, kept: Path, duplicates: Path, quarantine: Path, cfg: CurateConfig,
               progress: Callable[[int], None] | None = None) -> FileCounts:
    """Keep the first of every set of exact or near duplicates in ``input_file``; quarantine bad lines.

    A record without an id is written with the content-derived id curation gives it, so every
    ``duplicate_of`` names a record of ``kept``.

    Args:
        input_file: JSONL (or CSV mapped by ``cfg.csv``) in any format curation accepts.
        kept: First occurrences, in input order and in their own format.
        duplicates: One ``{"id", "duplicate_of", "kind"}`` line per removed record.
        quarantine: One entry per rejected line (source, line, reason, raw text).
        cfg: Curation config (dedup settings, ``max_chars``, CSV columns, batch size).
        progress: Called with the number of lines handled so far.

    Returns:
        The counts (``removed`` is the number of duplicates).
    """
    from tuneops.curate.shards import dedup_for

    deduplicator = dedup_for(cfg)
    counts = FileCounts()
    for path in (kept, duplicates, quarantine):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(kept, "w", encoding="utf-8") as keep, open(duplicates, "w", encoding="utf-8") as dups, \
            open(quarantine, "w", encoding="utf-8") as rejected:
        for batch in batched(_parsed_lines(input_file, cfg), cfg.shard_size):
            records = [item for item in batch if not isinstance(item, Quarantined)]
            found_all = iter(deduplicator.check_many([r["id"] for _, r in records], [dedup_text(r) for _, r in records]))
            for item in batch:
                counts.lines += 1
                if isinstance(item, Quarantined):
                    counts.quarantine(item, rejected)
                    continue
                (original, record), found = item, next(found_all)
                if found:
                    dups.write(json.dumps({"id": record["id"], "duplicate_of": found[1], "kind": found[0]}) + "\n")
                    counts.removed += 1
                else:
                    keep.write(json.dumps(_with_id(original, record["id"]), ensure_ascii=False) + "\n")
                    counts.written += 1
            if progress:
                progress(counts.lines)
    return counts
