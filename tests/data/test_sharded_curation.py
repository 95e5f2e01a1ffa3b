"""Sharded curation: any number of worker processes and any shard size give byte-identical outputs."""

import os

from tests.helpers import DEMO_DATA, REPO, jsonl_bytes
from tuneops.config import load_params
from tuneops.curate.pipeline import OUTPUT_FILES, build_masker, curate_to_dir
from tuneops.curate.shards import ordered_process_map

PARAMS = load_params(REPO / "params.yaml")


def adversarial(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes(DEMO_DATA.read_bytes())
    rows = [
        {"id": "tkt-00001", "messages": [{"role": "user", "content": "reused id"}, {"role": "assistant", "content": "x"}]},
        b"\xff\xfe not utf-8",
        b"{broken json",
        {"messages": [{"role": "user", "content": "Mail jane.doe@example.com please"}, {"role": "assistant", "content": "ok"}]},
        {"messages": [{"role": "user", "content": "Mail jane.doe@example.com please"}, {"role": "assistant", "content": "ok"}]},
    ]
    (raw / "b.jsonl").write_bytes(jsonl_bytes(rows))
    (raw / "c.csv").write_bytes(b'prompt,completion\n"Mail jane.doe@example.com please",ok\n'
                                b'"Where is order ORD-778812?","On its way."\nonly one field\n,"no prompt"\n')
    return raw


def curate(raw, out, workers, shard_size):
    cfg = PARAMS.curate.model_copy(update={"shard_size": shard_size})
    counts = curate_to_dir([raw], cfg, out, build_masker(cfg), root=raw, workers=workers)
    return counts.to_dict(), {name: (out / name).read_bytes() for name in OUTPUT_FILES}


def test_two_processes_and_small_shards_match_one_process(tmp_path):
    raw = adversarial(tmp_path)
    base_counts, base_files = curate(raw, tmp_path / "one", workers=1, shard_size=1000)
    assert base_counts["quarantined"] >= 3 and base_counts["duplicates"] > 0
    assert base_counts["inputs"] == sum(base_counts[k] for k in ("train", "eval", "duplicates", "quarantined"))
    # The CSV rows went through the same stages: a duplicate of a JSONL record, and two quarantined rows.
    assert b'"source": "c.csv", "line": 4, "reason": "CSV row has 1 fields, the header 2"' in base_files["quarantine.jsonl"]
    assert b'"source": "c.csv", "line": 5' in base_files["quarantine.jsonl"]
    assert base_files["duplicates.jsonl"].count(b'"kind": "exact"') >= 2
    for workers, shard_size in ((2, 64), (2, 7), (1, 1)):
        counts, files = curate(raw, tmp_path / f"w{workers}-s{shard_size}", workers, shard_size)
        assert counts == base_counts
        assert files == base_files, f"workers={workers} shard_size={shard_size} changed the outputs"


def _pid(_shard):
    import time

    time.sleep(0.2)  # long enough that one worker cannot take every shard
    return os.getpid()


def test_process_map_uses_several_processes_and_keeps_order():
    results = list(ordered_process_map(2)(_pid, range(8)))
    assert len(results) == 8 and len(set(results)) == 2 and os.getpid() not in results
    assert list(ordered_process_map(2, window=3)(abs, [-3, -1, -2, 5])) == [3, 1, 2, 5]
