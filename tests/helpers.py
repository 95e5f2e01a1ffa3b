"""Helpers shared by tests: demo data, isolated params files, record builders."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
DEMO_DATA = REPO / "data" / "raw" / "support_tickets.jsonl"


def demo_records(limit: int | None = None) -> list[bytes]:
    """Raw lines of the bundled demo data (first ``limit``)."""
    lines = DEMO_DATA.read_bytes().splitlines()
    return lines[:limit] if limit else lines


def write_params(tmp_path: Path, overrides: dict | None = None, raw_lines: int | None = 200, raw_dir: str = "raw") -> Path:
    """An isolated params file under ``tmp_path``: own raw data, state dir, DVC remote and MLflow store."""
    from tuneops.config import deep_merge

    raw = tmp_path / raw_dir
    raw.mkdir(parents=True, exist_ok=True)
    (raw / "tickets.jsonl").write_bytes(b"\n".join(demo_records(raw_lines)) + b"\n")
    base = yaml.safe_load((REPO / "params.yaml").read_text())
    isolated = {
        "paths": {"raw": [raw_dir], "state_dir": "state", "model_cache": str(REPO / ".cache" / "models")},
        "versioning": {"remote_url": "dvc-remote"},
        "tracking": {"mlflow_uri": "sqlite:///mlflow/mlflow.db", "artifact_root": "mlflow/artifacts"},
        "curate": {"validation": {"min_records": 10}},
        "evaluate": {"regression_set": str(REPO / "data" / "regression" / "general.jsonl")},
        "train": {"replay": {"prompts": str(REPO / "data" / "regression" / "replay_prompts.jsonl")}},
    }
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(deep_merge(deep_merge(base, isolated), overrides or {})))
    return path


def chat(user: str, answer: str, system: str | None = None, record_id: str | None = None) -> dict:
    """A chat record for tests."""
    messages = ([{"role": "system", "content": system}] if system else []) + [
        {"role": "user", "content": user}, {"role": "assistant", "content": answer}]
    record = {"messages": messages, "metadata": {}}
    if record_id:
        record["id"] = record_id
    return record


def jsonl_bytes(rows: list) -> bytes:
    """Rows (dicts or raw bytes) as JSONL bytes."""
    return b"\n".join(r if isinstance(r, bytes) else json.dumps(r).encode() for r in rows) + b"\n"
