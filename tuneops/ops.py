"""``tuneops up`` / ``tuneops down``: a local Prefect server, MLflow server and workers, started by pid.

``up`` starts, in order, each in its own process group with its log under ``<state>/up/logs``:

1. a Prefect server (SQLite under ``<state>/up/prefect-home``; PostgreSQL when
   ``PREFECT_API_DATABASE_CONNECTION_URL`` is set), then waits for ``/api/health``;
2. the MLflow server via ``mlflow/start-server.sh``, then waits for ``/health``;
3. the ``cpu`` and ``gpu`` process work pools and ``prefect deploy --all`` (deployments and the
   drift automation);
4. one worker per pool, pointed at both servers.

What it started is written to ``<state>/up/services.json`` (pid, process start time, command).
``down`` stops exactly those processes (their process groups), and only if the pid still belongs
to the process that was started, so a recycled pid is never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

POOLS = ("cpu", "gpu")


class OpsError(RuntimeError):
    """A service did not start, or the stack is in a state ``up``/``down`` cannot handle."""


@dataclass
class Service:
    """A started process, as recorded in ``services.json``."""

    name: str
    pid: int
    started: str  # /proc start time, to recognise a recycled pid
    argv: list[str]
    log: str
    url: str | None = None


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    if fields[0] == "Z":  # exited, not yet reaped
        return None
    return fields[19]  # field 22 of /proc/PID/stat: start time in clock ticks since boot


def is_running(service: Service) -> bool:
    """True while the recorded process is alive and is the same process (not a reused pid)."""
    return _start_time(service.pid) == service.started


def wait_http(url: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers 2xx; fail early if ``process`` exits."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                if 200 <= response.status < 300:
                    return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise OpsError(f"{url}: the process exited with code {process.returncode} before answering")
        if time.monotonic() > deadline:
            raise OpsError(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(1)


class Stack:
    """The local stack for one checkout.

    Args:
        repo: Checkout the workers run flows from (``TUNEOPS_HOME``).
        state_dir: Where ``up/`` (pids, logs, Prefect home) lives.
        prefect_port: Port of the Prefect API and UI.
        mlflow_port: Port of the MLflow server.
    """

    def __init__(self, repo: Path, state_dir: Path, prefect_port: int = 4200, mlflow_port: int = 5000):
        self.repo = Path(repo).resolve()
        self.dir = Path(state_dir).resolve() / "up"
        self.prefect_url = f"http://127.0.0.1:{prefect_port}"
        self.mlflow_url = f"http://127.0.0.1:{mlflow_port}"
        self.prefect_port, self.mlflow_port = prefect_port, mlflow_port
        self.bin = Path(sys.executable).parent

    @property
    def services_file(self) -> Path:
        return self.dir / "services.json"

    def env(self) -> dict[str, str]:
        """Environment for everything started: both servers' URLs and the checkout."""
        env = dict(os.environ)
        env.setdefault("PREFECT_HOME", str(self.dir / "prefect-home"))
        env |= {
            "PREFECT_API_URL": f"{self.prefect_url}/api",
            "PREFECT_UI_API_URL": f"{self.prefect_url}/api",
            "TUNEOPS_HOME": str(self.repo),
            "TUNEOPS_MLFLOW_URI": self.mlflow_url,
            "MLFLOW_PORT": str(self.mlflow_port),
            "PATH": f"{self.bin}{os.pathsep}{env.get('PATH', '')}",
        }
        return env

    def recorded(self) -> list[Service]:
        if not self.services_file.exists():
            return []
        return [Service(**s) for s in json.loads(self.services_file.read_text())]

    def _record(self, services: list[Service]) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.services_file.with_suffix(".tmp")
        tmp.write_text(json.dumps([asdict(s) for s in services], indent=2))
        tmp.replace(self.services_file)

    def _spawn(self, name: str, argv: list[str], url: str | None = None) -> tuple[Service, subprocess.Popen]:
        logs = self.dir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        log_path = logs / f"{name}.log"
        with open(log_path, "ab") as log:
            # Own session: `down` signals the whole group (a worker's flow-run children too), nothing else.
            process = subprocess.Popen(argv, cwd=self.repo, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True)
        started = _start_time(process.pid) or ""
        return Service(name, process.pid, started, argv, str(log_path), url), process

    def _cli(self, *args: str, timeout: int = 300) -> str:
        result = subprocess.run([str(self.bin / "prefect"), "--no-prompt", *args], cwd=self.repo, env=self.env(),
                                capture_output=True, text=True, timeout=timeout)
        if result.returncode != 0:
            raise OpsError(f"prefect {' '.join(args)} failed:\n{result.stdout[-1500:]}{result.stderr[-1500:]}")
        return result.stdout

    def up(self, deploy: bool = True, workers: tuple[str, ...] = POOLS, log=print) -> list[Service]:
        """Start servers, deploy and start workers; return what was started (see the module doc)."""
        if any(is_running(s) for s in self.recorded()):
            raise OpsError(f"already up ({self.services_file}); run `tuneops down` first")
        started: list[Service] = []
        try:
            service, process = self._spawn("prefect-server", [str(self.bin / "prefect"), "server", "start",
                                                              "--host", "127.0.0.1", "--port", str(self.prefect_port)],
                                           self.prefect_url)
            started.append(service)
            self._record(started)
            log(f"waiting for the Prefect server ({self.prefect_url}) ...")
            wait_http(f"{self.prefect_url}/api/health", 180, process)

            service, process = self._spawn("mlflow-server", ["bash", str(self.repo / "mlflow" / "start-server.sh")],
                                           self.mlflow_url)
            started.append(service)
            self._record(started)
            log(f"waiting for the MLflow server ({self.mlflow_url}) ...")
            wait_http(f"{self.mlflow_url}/health", 180, process)

            if deploy:
                for pool in POOLS:
                    self._cli("work-pool", "create", pool, "--type", "process", "--overwrite")
                log("deploying prefect.yaml ...")
                self._cli("deploy", "--all", timeout=600)
            for pool in workers:
                service, _ = self._spawn(f"worker-{pool}", [str(self.bin / "prefect"), "worker", "start", "--pool", pool])
                started.append(service)
                self._record(started)
        except BaseException:
            self.stop(started)
            self.services_file.unlink(missing_ok=True)
            raise
        return started

    def stop(self, services: list[Service], timeout_s: float = 20) -> list[str]:
        """SIGTERM each recorded process group (workers first), SIGKILL what is left; return names stopped."""
        stopped = []
        for service in reversed(services):
            if not is_running(service):
                continue
            try:
                os.killpg(service.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            deadline = time.monotonic() + timeout_s
            while is_running(service) and time.monotonic() < deadline:
                time.sleep(0.3)
            if is_running(service):
                os.killpg(service.pid, signal.SIGKILL)
            stopped.append(service.name)
        return stopped

    def down(self) -> list[str]:
        """Stop what ``up`` started; return the names stopped."""
        stopped = self.stop(self.recorded())
        self.services_file.unlink(missing_ok=True)
        return stopped
