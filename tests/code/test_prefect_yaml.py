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


def test_drift_monitor_is_hourly_and_retrain_trigger_matches_params():
    from tuneops.config import load_params

    by_name = {d["name"]: d for d in DEPLOYMENTS}
    assert by_name["drift-monitor"]["schedules"][0]["interval"] == 3600
    retrain = by_name["retrain"]
    assert retrain["concurrency_limit"] == 1 and retrain["work_pool"]["name"] == "gpu"
    [trigger] = retrain["triggers"]
    assert trigger["expect"] == ["tuneops.drift.detected"] and trigger["posture"] == "Reactive"
    assert trigger["threshold"] == 1 and trigger["for_each"] == ["prefect.resource.id"]
    params = load_params(REPO / "params.yaml")
    assert trigger["within"] == params.monitor.retrain.cooldown_hours * 3600
    # Every templated parameter is one the retrain flow accepts.
    from flows.retrain import retrain as retrain_flow

    assert set(trigger["parameters"]) <= set(retrain_flow.parameters.properties)
