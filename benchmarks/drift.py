"""Drift check: tuneops against Evidently's text drift, same data, same run.

Measures, for each engine:
  * time and peak memory (RSS of a fresh process) of one check at 10k and 100k inputs per side,
    on generated production traffic with 30% of the current window on a new topic;
  * false-alarm rate on unshifted windows and detection rate on windows with 30% new-topic inputs,
    over seeded trials drawn from shared pools.

Evidently (0.7, ``ValueDrift`` on a text column: a domain classifier on the text, drift when its
ROC AUC beats the 95th percentile of random classifiers) runs in its own virtual environment,
because its dependencies conflict with the pinned tuneops environment (pandas < 3)::

    python -m venv .cache/bench-evidently && .cache/bench-evidently/bin/pip install evidently "pandas<3"
    python benchmarks/drift.py --evidently-python .cache/bench-evidently/bin/python

In the trials, tuneops embeds each pool once and looks embeddings up (the timing runs embed for real).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from side_by_side import run_child

REPO = Path(__file__).resolve().parents[1]
SHIFT = 0.3


def load_generator():
    spec = importlib.util.spec_from_file_location("traffic", REPO / "data" / "generate_production_traffic.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def user_texts(path: Path) -> list[str]:
    texts = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            texts.append("\n".join(m["content"] for m in row["messages"] if m["role"] == "user"))
    return texts


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def trial_indices(trial: int, n_base: int, n_new: int, side: int) -> dict[str, list[int]]:
    """Seeded disjoint draws: reference, unshifted current, shifted current (base part + new part)."""
    import random

    rng = random.Random(trial)
    order = rng.sample(range(n_base), 3 * side)
    k = round(side * SHIFT)
    return {"reference": order[:side], "unshifted": order[side:2 * side],
            "shifted_base": order[2 * side:3 * side - k], "shifted_new": rng.sample(range(n_new), k)}


# ---------------------------------------------------------------- engines (run in child processes)

def tuneops_engine():
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker
    from tuneops.monitoring.drift import TextSample, check_drift, mask_texts
    from tuneops.monitoring.embeddings import Embedder

    import sentence_transformers  # noqa: F401 - library import outside the timing, as for Evidently

    params = load_params(REPO / "params.yaml")
    cfg, masker = params.monitor.drift, build_masker(params.curate)
    embedder = Embedder(cfg.embedding_model)

    def check(ref: list[str], cur: list[str], embed=embedder) -> tuple[bool, float]:
        result = check_drift(TextSample(ref), TextSample(cur), cfg, masker, embed)
        return result.drift, result.score

    def pooled_embed(texts: list[str]):
        import numpy as np

        masked, _ = mask_texts(texts, masker)
        table = dict(zip(masked, embedder(masked)))
        return lambda batch: np.stack([table[t] for t in batch])

    return check, pooled_embed


def evidently_engine():
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    definition = DataDefinition(text_columns=["text"])

    def check(ref: list[str], cur: list[str], embed=None) -> tuple[bool, float]:
        report = Report([ValueDrift(column="text")], include_tests=True)
        snapshot = report.run(Dataset.from_pandas(pd.DataFrame({"text": cur}), data_definition=definition),
                              Dataset.from_pandas(pd.DataFrame({"text": ref}), data_definition=definition)).dict()
        # Evidently's own verdict: its drift test fails when the column drifted.
        return snapshot["tests"][0]["status"] == "FAIL", float(snapshot["metrics"][0]["value"])

    return check, None


def child(args) -> None:
    """One engine, one job; prints a JSON line."""
    check, pooled_embed = (tuneops_engine if args.engine == "tuneops" else evidently_engine)()
    if args.job == "time":
        ref, cur = user_texts(Path(args.reference)), user_texts(Path(args.current))
        start = time.perf_counter()
        drift, score = check(ref, cur)
        seconds = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb), "drift": drift, "score": round(score, 4)}))
        return
    base, new = user_texts(Path(args.reference)), user_texts(Path(args.current))
    embed = pooled_embed(base + new) if pooled_embed else None
    false_alarms = detections = 0
    start = time.perf_counter()
    for trial in range(args.trials):
        idx = trial_indices(trial, len(base), len(new), args.side)
        ref = [base[i] for i in idx["reference"]]
        unshifted = [base[i] for i in idx["unshifted"]]
        shifted = [base[i] for i in idx["shifted_base"]] + [new[i] for i in idx["shifted_new"]]
        kwargs = {"embed": embed} if embed else {}
        false_alarms += check(ref, unshifted, **kwargs)[0]
        detections += check(ref, shifted, **kwargs)[0]
    print(json.dumps({"trials": args.trials, "side": args.side, "false_alarms": false_alarms, "detections": detections,
                      "seconds_per_check": round((time.perf_counter() - start) / (2 * args.trials), 3)}))


# ---------------------------------------------------------------- driver

def run_engine(python: str, *args: str, timeout: int) -> dict:
    return run_child(python, __file__, ["--child", *args], timeout=timeout,
                     env={"HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--engine", choices=["tuneops", "evidently"])
    parser.add_argument("--job", choices=["time", "trials"])
    parser.add_argument("--reference")
    parser.add_argument("--current")
    parser.add_argument("--trials", type=int, default=50)
    parser.add_argument("--side", type=int, default=500)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per engine run")
    parser.add_argument("--evidently-python", default=os.environ.get("EVIDENTLY_PYTHON", ".cache/bench-evidently/bin/python"))
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "drift.json")
    args = parser.parse_args()
    if args.child:
        child(args)
        return

    generator = load_generator()
    engines = {"tuneops": sys.executable, "evidently": args.evidently_python}
    results: dict = {"timing": [], "trials": {}}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in (int(x) for x in args.sizes.split(",")):
            ref = write_rows(tmp / f"ref-{n}.jsonl", generator.traffic(n, 0.0, seed=11))
            cur = write_rows(tmp / f"cur-{n}.jsonl", generator.traffic(n, SHIFT, seed=12))
            for engine, python in engines.items():
                row = {"engine": engine, "n_per_side": n,
                       **run_engine(python, "--engine", engine, "--job", "time", "--reference", str(ref), "--current", str(cur),
                                   timeout=args.timeout)}
                print(row, flush=True)
                results["timing"].append(row)
        base = write_rows(tmp / "pool-base.jsonl", generator.traffic(3 * args.side + 500, 0.0, seed=21))
        new = write_rows(tmp / "pool-new.jsonl", generator.traffic(args.side, 1.0, seed=22))
        for engine, python in engines.items():
            results["trials"][engine] = run_engine(python, "--engine", engine, "--job", "trials", "--reference", str(base),
                                                  "--current", str(new), "--trials", str(args.trials),
                                                  "--side", str(args.side), timeout=args.timeout * 2)
            print(engine, results["trials"][engine], flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
