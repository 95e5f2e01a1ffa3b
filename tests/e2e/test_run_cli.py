"""Slow end-to-end: `tuneops run` in a subprocess on the real default model, reduced configuration."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
import yaml

from tests.helpers import REPO, write_params

REDUCED = {
    "train": {"max_steps": 6, "checkpoint_every": 3},
    "evaluate": {"max_examples": 8, "max_new_tokens": 48},
}


@pytest.mark.slow
def test_tuneops_run_end_to_end(tmp_path, default_model_dir):
    params_file = write_params(tmp_path, REDUCED, raw_lines=400, raw_dir="data/raw")
    env = os.environ | {"PREFECT_HOME": str(tmp_path / "prefect-home"), "COLUMNS": "200",
                        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("PREFECT_API_URL", None)
    tuneops = Path(sys.executable).with_name("tuneops")
    result = subprocess.run([str(tuneops), "run", "--params", str(params_file)], capture_output=True, text=True,
                            env=env, cwd=tmp_path, timeout=1500)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    out = result.stdout
    snapshot_id = re.search(r"snapshot_id\s+│\s+([0-9a-f]{32})", out).group(1)
    decision = re.search(r"decision\s+│\s+(GO|NO-GO)", out).group(1)
    assert "model_version" in out and "prefect server start" in out

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    version = client.get_model_version("demo-model", "1")
    assert version.tags["snapshot_id"] == snapshot_id
    assert version.tags["decision"] == decision
    run = client.get_run(version.run_id)
    assert run.data.metrics["candidate.eval_loss"] < run.data.metrics["base.eval_loss"], "6 steps already lower eval loss"
    history = client.get_metric_history(version.run_id, "train_loss")
    assert len(history) == REDUCED["train"]["max_steps"]
    # The snapshot is catalogued, and the repo's DVC pipeline reproduces the same id.
    assert (tmp_path / "state" / "snapshots" / snapshot_id / "manifest.json").is_file()
    shutil.copy(REPO / "dvc.yaml", tmp_path / "dvc.yaml")
    shutil.copytree(REPO / "tuneops", tmp_path / "tuneops", ignore=shutil.ignore_patterns("__pycache__"))
    dvc = [sys.executable, "-m", "dvc"]
    subprocess.run(dvc + ["init", "--no-scm", "-q"], cwd=tmp_path, check=True)
    repro = subprocess.run(dvc + ["repro", "-q"], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert repro.returncode == 0, repro.stdout + repro.stderr
    lock = yaml.safe_load((tmp_path / "dvc.lock").read_text())
    assert lock["stages"]["curate"]["outs"][0]["md5"] == f"{snapshot_id}.dir"
