"""Shared driver of the side-by-side benchmarks: the same data file, each engine in a fresh
process of its own Python (baselines often need a venv of their own), one JSON line back."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
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
