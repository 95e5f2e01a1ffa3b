"""Against a real Prefect server on loopback: deploy prefect.yaml, run the curate deployment on a process worker."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
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

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}), get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    assert [r.state.type.value for r in runs] == ["COMPLETED"]
    snapshots = list((tmp_path / "project" / "state" / "snapshots").glob("*/manifest.json"))
    assert len(snapshots) == 1
