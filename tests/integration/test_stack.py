"""`tuneops up` on loopback: real Prefect and MLflow servers, workers, deployments; a pipeline run, a crash, a retry."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import REPO, write_params
from tests.integration.test_prefect_server import free_port, prefect_client, wait_for

BIN = Path(sys.executable).parent
FAST = {
    "train": {"max_steps": 4, "checkpoint_every": 2, "batch_size": 4, "max_seq_len": 128, "replay": {"fraction": 0.0}},
    "evaluate": {"max_examples": 4, "batch_size": 4, "max_new_tokens": 4, "regression_set": None},
    "gate": {"min_metrics": {"json_valid": 0.0, "category_accuracy": 0.0},
             "min_gain_over_base": {"json_valid": 0.0, "category_accuracy": 0.0},
             "min_gain_over_champion": -1.0, "max_regression": {}},
}


def tuneops(env, *args, timeout=600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "tuneops"), *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def stack(tmp_path, tiny_model_dir):
    project = tmp_path / "project"
    project.mkdir()
    overrides = json.loads(json.dumps(FAST))
    overrides["train"]["base_model"] = str(tiny_model_dir)
    params_file = write_params(project, overrides, raw_lines=200)
    ports = {"prefect": free_port(), "mlflow": free_port()}
    env = os.environ | {
        "MLFLOW_BACKEND_STORE_URI": f"sqlite:///{tmp_path / 'mlflow-server.db'}",
        "MLFLOW_ARTIFACTS_DESTINATION": str(tmp_path / "mlflow-artifacts"),
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
    }
    env.pop("PREFECT_API_URL", None)
    started = tuneops(env, "up", "--params", str(params_file), "--prefect-port", str(ports["prefect"]),
                      "--mlflow-port", str(ports["mlflow"]), "--workers", "gpu")
    services_file = project / "state" / "up" / "services.json"
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        env |= {"PREFECT_API_URL": f"http://127.0.0.1:{ports['prefect']}/api",
                "TUNEOPS_MLFLOW_URI": f"http://127.0.0.1:{ports['mlflow']}"}
        yield env, params_file, ports, json.loads(services_file.read_text())
    finally:
        recorded = json.loads(services_file.read_text()) if services_file.exists() else []
        stopped = tuneops(env, "down", "--params", str(params_file))
        assert stopped.returncode == 0, stopped.stderr[-2000:]
        for service in recorded:
            assert not Path(f"/proc/{service['pid']}").exists() or \
                Path(f"/proc/{service['pid']}/stat").read_text().split(")")[1].split()[0] == "Z", service["name"]


def run_deployment(env, name: str, parameters: dict) -> str:
    with prefect_client(env) as client:
        deployment = client.read_deployment_by_name(name)
        return str(client.create_flow_run_from_deployment(deployment.id, parameters=parameters).id)


def state_of(env, flow_run_id: str) -> str:
    with prefect_client(env) as client:
        return client.read_flow_run(flow_run_id).state.type.value


def flow_run_process(flow_run_id: str) -> int | None:
    """Pid of the process executing the flow run (the worker's child has PREFECT__FLOW_RUN_ID set)."""
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode() in (proc / "environ").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
    return None


@pytest.mark.integration
def test_up_runs_the_pipeline_deployment_then_a_crashed_run_retries_without_duplicate_versions(stack):
    env, params_file, ports, services = stack
    assert {s["name"] for s in services} == {"prefect-server", "mlflow-server", "worker-gpu"}
    for url in (f"http://127.0.0.1:{ports['prefect']}/", f"http://127.0.0.1:{ports['mlflow']}/"):
        assert urllib.request.urlopen(url, timeout=10).status == 200  # both UIs answer
    listed = subprocess.run([str(BIN / "prefect"), "deployment", "ls"], env=env | {"COLUMNS": "250"},
                            capture_output=True, text=True).stdout
    for name in ("pipeline", "curate-nightly", "train-evaluate-gate", "drift-monitor", "retrain"):
        assert name in listed
    automations = subprocess.run([str(BIN / "prefect"), "automation", "ls"], env=env | {"COLUMNS": "250"},
                                 capture_output=True, text=True).stdout
    assert "retrain-on-drift" in automations

    import mlflow

    mlflow_client = mlflow.MlflowClient(tracking_uri=env["TUNEOPS_MLFLOW_URI"])

    # 1. The whole pipeline as a deployment on the gpu pool's worker, tracked on the MLflow server.
    first = run_deployment(env, "tuneops-pipeline/pipeline", {"params_file": str(params_file)})
    wait_for(lambda: state_of(env, first) in ("COMPLETED", "FAILED", "CRASHED"), 600, "the first pipeline run")
    assert state_of(env, first) == "COMPLETED"
    [version] = mlflow_client.search_model_versions("name = 'demo-model'")
    run = mlflow_client.get_run(version.run_id)
    assert run.data.tags["prefect_root_flow_run_id"] == first and run.info.status == "FINISHED"

    # 2. A longer run, killed (-9) mid-training: the worker reports it CRASHED.
    longer = {"train": {"max_steps": 400, "checkpoint_every": 10}}
    second = run_deployment(env, "tuneops-pipeline/pipeline", {"params_file": str(params_file), "overrides": longer})

    def training_step() -> int:
        runs = mlflow_client.search_runs([run.info.experiment_id], f"tags.prefect_root_flow_run_id = '{second}'")
        if not runs:
            return 0
        history = mlflow_client.get_metric_history(runs[0].info.run_id, "train_loss")
        return max((m.step for m in history), default=0)

    wait_for(lambda: training_step() >= 25, 600, "training to pass a checkpoint")
    pid = wait_for(lambda: flow_run_process(second), 30, "the flow-run process")
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: state_of(env, second) == "CRASHED", 120, "the run to be marked CRASHED")
    assert len(mlflow_client.search_model_versions("name = 'demo-model'")) == 1

    # 3. Retry the same flow run: it resumes the same MLflow run from its checkpoint and registers once.
    from prefect.states import Scheduled

    # The worker may report the crash a second time a few seconds later; that report would
    # overwrite our Scheduled state, so retry until the run is really picked up again.
    for _ in range(5):
        time.sleep(5)
        with prefect_client(env) as client:
            client.set_flow_run_state(second, Scheduled(), force=True)
        state = wait_for(lambda: (s := state_of(env, second)) not in ("SCHEDULED", "PENDING") and s, 120, "pickup")
        if state != "CRASHED":
            break
    wait_for(lambda: state_of(env, second) in ("COMPLETED", "FAILED", "CRASHED"), 900, "the retried run")
    assert state_of(env, second) == "COMPLETED"
    [tracked] = mlflow_client.search_runs([run.info.experiment_id], f"tags.prefect_root_flow_run_id = '{second}'")
    assert int(tracked.data.tags["resumed_from_step"]) >= 10, "resumed from a checkpoint, not from scratch"
    versions = mlflow_client.search_model_versions("name = 'demo-model'")
    assert sorted(int(v.version) for v in versions) == [1, 2]
    assert {v.run_id for v in versions} == {version.run_id, tracked.info.run_id}
