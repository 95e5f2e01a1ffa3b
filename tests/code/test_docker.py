"""docker/: no Docker engine runs here, so check that what the files reference exists in the repo."""

import re
import shlex

import pytest
import yaml

from tests.helpers import REPO

DOCKER = REPO / "docker"
COMPOSE = yaml.safe_load((DOCKER / "compose.yaml").read_text())
DOCKERFILES = ["Dockerfile", "Dockerfile.gpu"]
OUR_COMMANDS = {"prefect", "tuneops", "bash", "python"}


def instructions(name: str) -> list[tuple[str, str]]:
    text = (DOCKER / name).read_text().replace("\\\n", " ")
    return [tuple(line.split(None, 1)) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@pytest.mark.parametrize("name", DOCKERFILES)
def test_dockerfile_copies_existing_paths_and_installs_the_lock(name):
    steps = instructions(name)
    for op, arg in steps:
        if op == "COPY":
            *sources, _ = arg.split()
            for source in sources:
                assert (REPO / source).exists(), f"{name}: COPY {source} does not exist"
    run = " ".join(arg for op, arg in steps if op == "RUN")
    assert "requirements.lock" in run and "--no-deps" in run
    assert "pip install --no-cache-dir --no-deps -e ." in run
    assert any(op == "FROM" and "python:3.11" in arg for op, arg in steps), "the lock is for Python 3.11"


def test_gpu_image_installs_the_locked_torch_version_as_a_cuda_build():
    run = " ".join(arg for op, arg in instructions("Dockerfile.gpu") if op == "RUN")
    assert "grep -v -E '^torch=='" in run and "torch==$(grep -E '^torch==' requirements.lock" in run
    assert re.search(r"^torch==\d", (REPO / "requirements.lock").read_text(), re.M)


def test_compose_services_reference_real_files_commands_and_env():
    services = COMPOSE["services"]
    assert set(services) == {"postgres", "prefect-server", "mlflow", "cpu-worker", "gpu-worker"}
    for name, service in services.items():
        if "build" in service:
            assert (DOCKER / service["build"]["context"] / service["build"]["dockerfile"]).is_file(), name
            command = service["command"]
            assert command[0] in OUR_COMMANDS, name
            for token in command[1:]:
                if token.endswith((".sh", ".py", ".yaml")):
                    assert (REPO / token).is_file(), f"{name}: {token} missing"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name}: {source} missing"
    gpu = services["gpu-worker"]
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert gpu["command"][-2:] == ["--limit", "1"], "one training at a time per GPU worker"
    pools = {s["command"][s["command"].index("--pool") + 1] for s in services.values() if "--pool" in s.get("command", [])}
    prefect_pools = {d["work_pool"]["name"] for d in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]}
    assert pools == prefect_pools == {"cpu", "gpu"}


def test_every_compose_variable_is_documented_and_no_password_is_set():
    text = (DOCKER / "compose.yaml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = dict(line.split("=", 1) for line in (DOCKER / ".env.example").read_text().splitlines()
                   if line and not line.startswith("#"))
    assert used <= set(example), used - set(example)
    assert example["POSTGRES_PASSWORD"] == "" and example["MLFLOW_AUTH_ADMIN_PASSWORD"] == ""
    ini = [line for line in (REPO / "mlflow" / "basic_auth.ini").read_text().splitlines() if not line.startswith("#")]
    assert not any(line.split("=")[0].strip() == "admin_password" for line in ini)


def test_worker_environment_variables_are_read_by_the_code():
    env = COMPOSE["services"]["cpu-worker"]["environment"]
    assert "TUNEOPS_MLFLOW_URI" in env and "TUNEOPS_HOME" in env
    assert "TUNEOPS_MLFLOW_URI" in (REPO / "tuneops" / "config.py").read_text()
    assert "$TUNEOPS_HOME" in (REPO / "prefect.yaml").read_text()
    assert shlex.split("bash mlflow/start-server.sh")[1] in {c for s in COMPOSE["services"].values() for c in s.get("command", [])}
