"""Shared driver of the side-by-side benchmarks: the same data file, each engine in a fresh
process of its own Python (baselines often need a venv of their own), one JSON line back."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def run_child(python: str, script: str, args: list[str], timeout: int = 3600, env: dict | None = None) -> dict:
    """Run ``python script --child ... args``; return its last stdout line as JSON, or ``{"error"}``."""
    try:
        out = subprocess.run([python, script, *args], capture_output=True, text=True, timeout=timeout,
                             env=os.environ | (env or {}))
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s"}
    if out.returncode != 0:
        return {"error": (out.stderr.strip().splitlines() or ["no output"])[-1][:300]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(script: str, rows: list[dict], engines: dict[str, str], env: dict | None = None) -> dict[str, dict]:
    """Write ``rows`` to one JSONL file and run ``script --child ENGINE --data FILE`` with each engine's Python."""
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in rows))
        for engine, python in engines.items():
            results[engine] = run_child(python, script, ["--child", engine, "--data", str(data)], env=env)
            print(engine, json.dumps(results[engine]), flush=True)
    return results


def main(doc: str, script: str, child: Callable[[str, Path], None], generate: Callable[[int, int], list[dict]],
         baseline: str, records: int, seed: int, env: dict | None = None) -> None:
    """Command line of a tuneops-vs-``baseline`` benchmark: generate the data, run both engines, print the speed ratio.

    ``--BASELINE-python`` (or ``$BASELINE_PYTHON``) is the interpreter of the baseline's venv.
    """
    option = f"{baseline}_python"
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--child", choices=["tuneops", baseline])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--records", type=int, default=records)
    parser.add_argument("--seed", type=int, default=seed)
    parser.add_argument(f"--{baseline}-python", dest=option,
                        default=os.environ.get(option.upper(), ".cache/bench-presidio/bin/python"))
    args = parser.parse_args()
    if args.child:
        child(args.child, args.data)
        return
    results = compare(script, generate(args.records, args.seed),
                      {"tuneops": sys.executable, baseline: getattr(args, option)}, env=env)
    ratio = results["tuneops"].get("records_per_s", 0) / max(results[baseline].get("records_per_s", 1e-9), 1e-9)
    print(f"tuneops / {baseline} records/s: {ratio:.1f}x")
