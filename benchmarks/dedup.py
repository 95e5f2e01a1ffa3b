"""Near-duplicate removal: tuneops's Deduplicator against datasketch MinHashLSH, same data, same run.

Generates support messages from the demo generator (fresh seeds), then adds labeled near
duplicates with light edits (typo, casing, punctuation, a word changed, a greeting added, a
word dropped), plus "merely similar" records: other messages from the same templates, which
must be kept. When the templates happen to produce the very same message twice, the repeat is
labeled a duplicate too. Both engines stream the records in order and keep the first
occurrence; tuneops takes them in shards of ``curate.shard_size`` as its pipeline does
(features for a shard at once), datasketch one at a time (its API has no batch query).

datasketch: ``MinHashLSH(threshold=0.8, num_perm=128)`` over the same character 5-gram shingles,
a record is a duplicate when the LSH query returns anything. It runs in a venv of its own (any
venv with ``pip install datasketch``)::

    python benchmarks/dedup.py --datasketch-python .cache/bench-presidio/bin/python --records 5000
"""

from __future__ import annotations

import importlib.util
import json
import random
import sys
import time
from pathlib import Path

import side_by_side

REPO = Path(__file__).resolve().parents[1]


def edit(text: str, rng: random.Random) -> str:
    words = text.split()
    kind = rng.choice(["typo", "casing", "punctuation", "word", "greeting", "drop"])
    i = rng.randrange(len(words))
    if kind == "typo" and len(words[i]) > 3:
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif kind == "casing":
        return text.lower() if rng.random() < 0.5 else text.upper()
    elif kind == "punctuation":
        return text.replace(".", "!", 1).replace(",", "", 1) + rng.choice(["", "!!", " ?"])
    elif kind == "word":
        words[i] = rng.choice(["really", "still", "again", "now", "today"])
    elif kind == "greeting":
        return rng.choice(["Hi there, ", "Hello! ", "Good afternoon, "]) + text
    elif len(words) > 6:
        del words[i]
    return " ".join(words)


def generate(n: int, seed: int) -> list[dict]:
    spec = importlib.util.spec_from_file_location("gen", REPO / "data" / "generate_demo_data.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    rng = random.Random(seed)
    rows, first_with_text = [], {}
    for i in range(n):
        text = gen.make_ticket(rng, i)["messages"][1]["content"]
        # The templates sometimes produce the very same message twice: that is a duplicate, not a
        # "merely similar" record (it is the first occurrence until the shuffle below reorders it).
        key = " ".join(text.lower().split())
        rows.append({"id": f"r{i}", "text": text, "duplicate_of": first_with_text.setdefault(key, f"r{i}")})
        if rows[-1]["duplicate_of"] == f"r{i}":
            rows[-1]["duplicate_of"] = None
        if rng.random() < 0.15:  # a planted near duplicate, somewhere later in the stream
            rows.append({"id": f"r{i}-dup", "text": edit(text, rng), "duplicate_of": f"r{i}"})
    rng.shuffle(rows)
    # The original must come first for "keep the first occurrence" to be well defined.
    position = {r["id"]: k for k, r in enumerate(rows)}
    for r in rows:
        if r["duplicate_of"] and position[r["id"]] < position[r["duplicate_of"]]:
            a, b = position[r["id"]], position[r["duplicate_of"]]
            rows[a], rows[b] = rows[b], rows[a]
            position[rows[a]["id"]], position[rows[b]["id"]] = a, b
    return rows


def tuneops_engine():
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.shards import dedup_for
    from tuneops.records import batched

    cfg = load_params(REPO / "params.yaml").curate
    dedup = dedup_for(cfg)

    def check_stream(rows: list[dict]) -> set[str]:
        # Records stream through in shards of `curate.shard_size`, as in the curation pipeline.
        flagged = set()
        for batch in batched(rows, cfg.shard_size):
            results = dedup.check_many([r["id"] for r in batch], [r["text"] for r in batch])
            flagged.update(r["id"] for r, found in zip(batch, results) if found)
        return flagged

    return check_stream


def datasketch_engine():
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=128)

    def check_stream(rows: list[dict]) -> set[str]:
        flagged = set()
        for r in rows:
            normal = " ".join(r["text"].lower().split())
            m = MinHash(num_perm=128)
            m.update_batch([normal[i:i + 5].encode() for i in range(max(len(normal) - 4, 1))])
            if lsh.query(m):
                flagged.add(r["id"])
            else:
                lsh.insert(r["id"], m)
        return flagged

    return check_stream


def child(engine: str, data: Path) -> None:
    check_stream = (tuneops_engine if engine == "tuneops" else datasketch_engine)()
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    start = time.perf_counter()
    flagged = check_stream(rows)
    seconds = time.perf_counter() - start
    truth = {r["id"] for r in rows if r["duplicate_of"]}
    tp = len(flagged & truth)
    precision, recall = tp / max(len(flagged), 1), tp / max(len(truth), 1)
    print(json.dumps({"records_per_s": round(len(rows) / seconds, 1), "precision": round(precision, 4),
                      "recall": round(recall, 4), "f1": round(2 * precision * recall / max(precision + recall, 1e-9), 4),
                      "similar_removed": len(flagged - truth), "records": len(rows)}))


if __name__ == "__main__":
    side_by_side.main(__doc__, __file__, child, generate, baseline="datasketch", records=5000, seed=77,
                      env=None)
