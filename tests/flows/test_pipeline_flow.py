"""The pipeline flow under prefect_test_harness, on a tiny model and a small slice of the demo data."""

import json
import subprocess

import mlflow
import pytest
from prefect.testing.utilities import prefect_test_harness

from flows.pipeline import ValidationFailed, pipeline
from tests.helpers import REPO, write_params

FAST = {
    "train": {"max_steps": 4, "checkpoint_every": 2, "batch_size": 4, "max_seq_len": 128,
              "replay": {"max_new_tokens": 8}},
    "evaluate": {"max_examples": 6, "batch_size": 6, "max_new_tokens": 8},
    # A random tiny model cannot meet real thresholds; these make the first run GO. Its outputs are
    # random tokens, some shaped like names (" Inca Himal WildHungarian"), so the PII-leak gate is
    # opened too; tests/code/test_gate.py and test_evaluation.py test that gate.
    "gate": {"min_metrics": {"json_valid": 0.0, "category_accuracy": 0.0},
             "min_gain_over_base": {"json_valid": 0.0, "category_accuracy": 0.0},
             "min_gain_over_champion": -1.0, "max_pii_leaks": 1000},
}


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def run(tmp_path, tiny_model_dir, extra=None):
    overrides = json.loads(json.dumps(FAST))
    overrides["train"]["base_model"] = str(tiny_model_dir)
    params_file = write_params(tmp_path, overrides)
    return pipeline(str(params_file), extra)


def client_for(tmp_path):
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    return mlflow.MlflowClient()


def git_status() -> str:
    return subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout


def test_go_registers_champion_then_forced_failure_does_not_move_it(harness, tmp_path, tiny_model_dir):
    checkout_before = git_status()
    first = run(tmp_path, tiny_model_dir)
    assert git_status() == checkout_before, "a pipeline run must not modify the code checkout"
    assert first["decision"] == "GO" and first["model_version"] == "1"
    client = client_for(tmp_path)
    champion = client.get_model_version_by_alias("demo-model", "champion")
    assert str(champion.version) == "1"
    assert champion.tags["snapshot_id"] == first["snapshot_id"]
    assert champion.tags["decision"] == "GO" and "decision_reasons" in champion.tags
    artifacts = {a.path for a in client.list_artifacts(first["mlflow_run_id"], "evaluation")}
    assert {"evaluation/examples.json", "evaluation/comparison.png"} <= artifacts
    run_info = client.get_run(first["mlflow_run_id"])
    assert run_info.data.tags["snapshot_id"] == first["snapshot_id"]
    assert run_info.inputs.dataset_inputs, "snapshot logged as dataset input"

    # Lineage: registry -> run -> snapshot -> raw file with its md5.
    from typer.testing import CliRunner

    from tuneops.cli import app
    from tuneops.snapshots import file_md5

    result = CliRunner().invoke(app, ["lineage", "demo-model@champion", "--format", "json",
                                      "--params", str(tmp_path / "params.yaml")])
    assert result.exit_code == 0, result.output
    chain = json.loads(result.stdout)
    assert chain["model"]["version"] == "1" and chain["snapshot"]["id"] == first["snapshot_id"]
    assert chain["snapshot"]["sources"] == [
        {"path": "raw/tickets.jsonl", "md5": file_md5(tmp_path / "raw" / "tickets.jsonl"), "lines": 200}]

    evaluated = CliRunner().invoke(app, ["evaluate", "--model", "demo-model@champion",
                                         "--params", str(tmp_path / "params.yaml")])
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert report["snapshot"] == first["snapshot_id"]
    assert report["metrics"]["eval_loss"] == pytest.approx(first["metrics"]["candidate"]["eval_loss"], rel=1e-4)

    # Same data again: identical snapshot id. An impossible threshold forces NO-GO.
    second = run(tmp_path, tiny_model_dir, {"gate": {"min_metrics": {"json_valid": 1.01}}})
    assert second["snapshot_id"] == first["snapshot_id"]
    assert second["decision"] == "NO-GO" and "champion" in second["metrics"]
    assert str(client.get_model_version_by_alias("demo-model", "champion").version) == "1"
    rejected = client.get_model_version("demo-model", second["model_version"])
    assert rejected.tags["rejected"] == "true" and "FAIL json_valid" in rejected.tags["decision_reasons"]

    # A third, passing run becomes champion; rollback restores the previous champion and records who/why.
    third = run(tmp_path, tiny_model_dir)
    assert third["decision"] == "GO" and third["previous_champion"] == "1"
    from tuneops.registry import rollback

    assert rollback("demo-model", "tester", "bad answers in production") == (third["model_version"], "1")
    assert str(client.get_model_version_by_alias("demo-model", "champion").version) == "1"
    rolled = client.get_model_version("demo-model", third["model_version"])
    assert rolled.tags["rolled_back"] == "true" and rolled.tags["rollback_by"] == "tester"

    # Manual promotion through the CLI records who and why.
    promoted = CliRunner().invoke(app, ["promote", "demo-model", third["model_version"], "--reason", "fixed upstream",
                                        "--params", str(tmp_path / "params.yaml")], env={"TUNEOPS_ACTOR": "bob"})
    assert promoted.exit_code == 0, promoted.output
    version = client.get_model_version_by_alias("demo-model", "champion")
    assert str(version.version) == third["model_version"] and version.tags["promoted_by"] == "bob"
    listed = CliRunner().invoke(app, ["models", "list", "--params", str(tmp_path / "params.yaml")], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "champion" in listed.stdout and "NO-GO" in listed.stdout


def test_validation_failure_stops_before_training(harness, tmp_path, tiny_model_dir):
    with pytest.raises(ValidationFailed):
        run(tmp_path, tiny_model_dir, {"curate": {"validation": {"min_records": 100000}}})
    assert not (tmp_path / "mlflow" / "mlflow.db").exists()


def test_required_approval_pauses_and_rejection_keeps_champion_unset(harness, tmp_path, tiny_model_dir):
    import threading
    import time

    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    result: dict = {}
    worker = threading.Thread(target=lambda: result.update(run(tmp_path, tiny_model_dir, {"gate": {"approval": "required"}})))
    worker.start()
    paused = []
    deadline = time.time() + 300
    with get_client(sync_client=True) as client:
        while not paused and time.time() < deadline and worker.is_alive():
            time.sleep(1)
            paused = client.read_flow_runs(flow_run_filter=FlowRunFilter(state={"type": FlowRunFilterStateType(any_=[StateType.PAUSED])}))
    assert paused, "the flow run never paused for approval"
    resume_flow_run(paused[0].id, run_input={"approve": False, "approver": "alice", "comment": "too risky"})
    worker.join(timeout=300)
    assert result["decision"] == "NO-GO"
    assert "FAIL rejected by alice: too risky" in result["reasons"]
    client = client_for(tmp_path)
    assert client.get_model_version("demo-model", "1").tags["rejected"] == "true"


def test_failure_after_tracking_started_marks_mlflow_run_failed(harness, tmp_path, tiny_model_dir):
    from tuneops.base_models import ModelNotAvailableError

    with pytest.raises(ModelNotAvailableError):
        run(tmp_path, tiny_model_dir, {"train": {"base_model": str(tmp_path / "no-such-model")}})
    client = client_for(tmp_path)
    runs = client.search_runs([client.get_experiment_by_name("tuneops-demo").experiment_id])
    assert [r.info.status for r in runs] == ["FAILED"]
