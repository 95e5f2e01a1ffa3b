"""Against a real Prefect server on loopback: deploy prefect.yaml, run the curate deployment on a process worker."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.helpers import REPO, write_params

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    env = os.environ | {"PREFECT_HOME": str(tmp_path / "prefect-home"), "TUNEOPS_HOME": str(REPO),
                        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, "Prefect server did not start"
                time.sleep(1)
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


def prefect(env, *args, timeout=300) -> str:
    result = subprocess.run([str(BIN / "prefect"), "--no-prompt", *args], env=env, cwd=REPO,
                            capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result.stdout


@contextmanager
def prefect_client(env):
    """A sync Prefect client for the server in ``env``."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        yield client


def flow_runs(env, deployment: str | None = None) -> list:
    """Flow runs on the server (of one deployment, ``flow/deployment``, when given)."""
    from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName

    with prefect_client(env) as client:
        if deployment is None:
            return client.read_flow_runs()
        name = deployment.split("/")[1]
        return client.read_flow_runs(deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[name])))


def python(env, code: str, timeout=600) -> str:
    """Run Python in a fresh process against the server (events are flushed when it exits)."""
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


def wait_for(predicate, timeout: float, what: str):
    deadline = time.time() + timeout
    while not (value := predicate()):
        assert time.time() < deadline, f"timed out waiting for {what}"
        time.sleep(2)
    return value


@pytest.mark.integration
def test_drift_event_starts_one_retrain_and_repeats_within_cooldown_start_none(prefect_server, tmp_path):
    """drift monitor flow -> tuneops.drift.detected -> deployment trigger -> exactly one retrain run."""
    env = prefect_server
    prefect(env, "work-pool", "create", "gpu", "--type", "process")
    prefect(env, "deploy", "--name", "retrain")
    assert "retrain-on-drift" in prefect(env, "automation", "ls")

    (tmp_path / "project").mkdir()
    params_file = write_params(tmp_path / "project", {"monitor": {"drift": {"embedding_records": 100}}}, raw_lines=300)
    monitor = f"""
import json
from datetime import timedelta
from flows.curate import curate_flow
from flows.monitor import drift_monitor, parse_time
from tests.traffic import traffic
from tuneops.config import load_params
from tuneops.monitoring.production_log import ProductionRecord, open_production_log
end = parse_time("2026-11-23T11:00:00Z")
params = load_params({str(params_file)!r})
if not list((params.resolve(params.paths.state_dir) / "snapshots").glob("*")):
    curate_flow({str(params_file)!r})
    log = open_production_log(params.monitor.production_log, params.root)
    for row in traffic(200, 0.3, seed=5, start=end - timedelta(minutes=59)):
        log.append(ProductionRecord.model_validate(row))
print(json.dumps(drift_monitor({str(params_file)!r}, window_end=end.isoformat())))
"""
    first = json.loads(python(env, monitor).strip().splitlines()[-1])
    assert first["drift"] and first["event_id"]
    retrains = wait_for(lambda: flow_runs(env, "tuneops-retrain/retrain"), 90, "the retrain flow run")
    assert len(retrains) == 1
    assert retrains[0].parameters["window_start"] == first["window_start"]
    assert retrains[0].parameters["idempotency_key"] == first["event_id"]
    assert retrains[0].parameters["model_name"] == "demo-model"

    # The same drift window again (same event id), then a new window within the cooldown: no retrain.
    assert json.loads(python(env, monitor).strip().splitlines()[-1])["event_id"] == first["event_id"]
    emit = """
import sys
from prefect.events import emit_event
model, start = sys.argv[1], sys.argv[2]
emit_event(event="tuneops.drift.detected", resource={{"prefect.resource.id": f"tuneops.model.{{model}}"}},
           payload={{"model": model, "window_start": start, "window_end": start, "idempotency_key": model + start}})
"""
    for model, start in (("demo-model", "2026-11-23T11:00:00+00:00"), ("other-model", "2026-11-23T11:00:00+00:00")):
        result = subprocess.run([sys.executable, "-c", emit.format(), model, start], env=env, cwd=REPO,
                                capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
    # The other model has its own cooldown, so its event starts a run; once it shows, the earlier ones were seen too.
    wait_for(lambda: len(flow_runs(env, "tuneops-retrain/retrain")) >= 2, 90, "other-model's run")
    time.sleep(5)
    runs = flow_runs(env, "tuneops-retrain/retrain")
    assert sorted(r.parameters["model_name"] for r in runs) == ["demo-model", "other-model"]


@pytest.mark.integration
def test_deploy_all_and_run_curate_deployment_on_a_worker(prefect_server, tmp_path):
    env = prefect_server
    for pool in ("cpu", "gpu"):
        prefect(env, "work-pool", "create", pool, "--type", "process")
    prefect(env, "deploy", "--all")
    listed = prefect(env, "deployment", "ls")
    for name in ("curate-nightly", "pipeline"):
        assert name in listed

    (tmp_path / "project").mkdir()
    params_file = write_params(tmp_path / "project", raw_lines=150)
    prefect(env, "deployment", "run", "tuneops-curate/curate-nightly", "--param", f"params_file={params_file}")
    prefect(env, "worker", "start", "--pool", "cpu", "--run-once")

    runs = [r for r in flow_runs(env) if r.name and r.parameters.get("params_file") == str(params_file)]
    assert [r.state.type.value for r in runs] == ["COMPLETED"]
    snapshots = list((tmp_path / "project" / "state" / "snapshots").glob("*/manifest.json"))
    assert len(snapshots) == 1
