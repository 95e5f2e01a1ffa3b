"""Curation throughput: records/s of each stage and of the whole streaming pass.

Generates N synthetic tickets with the demo generator (fresh seeds, so nothing
is tuned to the committed file), then times ingest, PII masking, dedup and the
full ``curate_to_dir`` pass, and reports peak memory.

    .venv/bin/python benchmarks/curate_throughput.py --records 20000
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import tempfile
import time
from pathlib import Path

from tuneops.config import parse_params
from tuneops.curate.dedup import Deduplicator, dedup_text
from tuneops.records import batched
from tuneops.curate.ingest import ingest
from tuneops.curate.pipeline import build_masker, curate_to_dir

REPO = Path(__file__).resolve().parents[1]


def generate(records: int, path: Path) -> None:
    """Write about ``records`` demo-style tickets (several generator seeds) to ``path``."""
    spec = importlib.util.spec_from_file_location("gen", REPO / "data" / "generate_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    lines: list[bytes] = []
    seed = 10_000
    while len(lines) < records:
        # Distinct ids per seed, or every batch after the first would be quarantined as duplicate ids.
        lines.extend(line.replace(b'"id": "tkt-', f'"id": "s{seed}-tkt-'.encode()) for line in module.generate(seed))
        seed += 1
    path.write_bytes(b"\n".join(lines[:records]) + b"\n")


def timed(label: str, count: int, work) -> dict:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    return {"stage": label, "records": count, "seconds": round(seconds, 2), "records_per_s": round(count / seconds)}


def main() -> None:
    """Run the benchmark and print a JSON result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    args = parser.parse_args()
    cfg = parse_params({}).curate
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.jsonl"
        generate(args.records, raw)
        records = [r for r in ingest([raw], cfg.max_chars) if isinstance(r, dict)]
        masker = build_masker(cfg)
        masked = []
        results = [
            timed("ingest", args.records, lambda: sum(1 for _ in ingest([raw], cfg.max_chars))),
            timed("pii_mask", len(records), lambda: masked.extend(masker.mask_record(r)[0] for r in records)),
        ]
        dedup = Deduplicator(cfg.dedup.near_threshold, cfg.dedup.num_perm, cfg.dedup.bands, cfg.dedup.shingle_chars)
        results.append(timed("dedup", len(masked), lambda: [dedup.check_many([r["id"] for r in batch], [dedup_text(r) for r in batch])
                                                             for batch in batched(masked, cfg.shard_size)]))
        results.append(timed("curate_to_dir (all stages)", args.records,
                             lambda: curate_to_dir([raw], cfg, Path(tmp) / "out", build_masker(cfg), workers=1)))
        results.append(timed("curate_to_dir, 2 worker processes", args.records,
                             lambda: curate_to_dir([raw], cfg, Path(tmp) / "out2", build_masker(cfg), workers=2)))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"results": results, "peak_rss_mb": round(peak_mb)}, indent=2))


if __name__ == "__main__":
    main()
