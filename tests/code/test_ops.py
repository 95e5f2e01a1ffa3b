"""tuneops up/down bookkeeping and the MLflow start script's safety checks (no servers started here)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import REPO
from tuneops.ops import OpsError, Service, Stack, is_running


def test_mlflow_basic_auth_refuses_to_start_without_a_password(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_AUTH_ADMIN_PASSWORD"} | {
        "MLFLOW_AUTH": "basic", "MLFLOW_BIN": "/bin/false"}
    result = subprocess.run(["bash", str(REPO / "mlflow" / "start-server.sh")], env=env, capture_output=True, text=True)
    assert result.returncode == 2 and "no default password" in result.stderr


def test_down_stops_what_it_started_and_never_a_recycled_pid(tmp_path):
    stack = Stack(REPO, tmp_path)
    service, process = stack._spawn("sleeper", [sys.executable, "-c", "import time; time.sleep(120)"])
    impostor = Service("impostor", os.getpid(), "0", ["pytest"], "-")  # our own pid with a wrong start time
    assert is_running(service) and not is_running(impostor)
    stack._record([impostor, service])
    with pytest.raises(OpsError, match="already up"):
        stack.up()
    assert stack.down() == ["sleeper"]
    process.wait(timeout=10)
    assert not is_running(service) and not stack.services_file.exists()
    assert Path(f"/proc/{os.getpid()}").exists()  # the impostor pid (this test) was left alone
