"""prefect.yaml: every deployment points at a real flow with parameters it accepts."""

import importlib

import pytest
import yaml
from prefect import Flow

from tests.helpers import REPO

DEPLOYMENTS = yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]


@pytest.mark.parametrize("deployment", DEPLOYMENTS, ids=[d["name"] for d in DEPLOYMENTS])
def test_entrypoint_is_a_flow_accepting_the_parameters(deployment):
    path, name = deployment["entrypoint"].split(":")
    assert (REPO / path).is_file()
    flow = getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)
    assert isinstance(flow, Flow)
    accepted = set(flow.parameters.properties)
    assert set(deployment.get("parameters", {})) <= accepted
    assert deployment["work_pool"]["name"] in {"cpu", "gpu"}
    params_file = deployment.get("parameters", {}).get("params_file")
    assert params_file is None or (REPO / params_file).is_file()


def test_training_runs_one_at_a_time_on_the_gpu_pool():
    by_name = {d["name"]: d for d in DEPLOYMENTS}
    for name in ("train-evaluate-gate", "pipeline"):
        assert by_name[name]["work_pool"]["name"] == "gpu"
        assert by_name[name]["concurrency_limit"] == 1
    assert by_name["curate-nightly"]["work_pool"]["name"] == "cpu"
    assert by_name["curate-nightly"]["schedules"][0]["cron"]
