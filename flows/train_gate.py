"""Training, evaluation, gate and registration on one snapshot (the ``train-evaluate-gate`` deployment).

Deployed on the ``gpu`` work pool, so the expensive part runs where the GPU is.
"""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.approval import wait_for_approval
from tasks.evaluate_tasks import evaluate, fetch_champion_adapter, log_evaluation
from tasks.registry_tasks import mark_run_failed, register_and_promote, start_tracking_run
from tasks.train_tasks import train_adapter
from tasks.version_tasks import snapshot_store
from tuneops.config import load_params
from tuneops.gate import decide


@flow(name="tuneops-train-evaluate-gate", log_prints=True)
def train_evaluate_gate(snapshot_id: str | None = None, params_file: str = "params.yaml",
                        overrides: dict | None = None) -> dict:
    """Train an adapter on a snapshot, evaluate it against base and champion, gate and register it.

    Steps:
        1. track: MLflow run with params and the snapshot as dataset input.
        2. train: LoRA adapter (QLoRA on CUDA), resumable from checkpoints.
        3. evaluate: base, current champion (if any) and candidate on the held-out split.
        4. gate: go/no-go from the thresholds in params; optionally a human approves the GO in the Prefect UI.
        5. register: new registry version (alias challenger); champion moves on GO.

    Args:
        snapshot_id: Snapshot to train on (a unique prefix works); default: the newest in the catalogue.
        params_file: Path of the params YAML.
        overrides: Nested params merged over the file.

    Returns:
        Snapshot id, MLflow run id, model version, decision, reasons and metrics.
    """
    params = load_params(params_file, overrides)
    store = snapshot_store(params)
    found = store.get(snapshot_id) if snapshot_id else next(iter(store.list()), None)
    if found is None:
        raise ValueError("no snapshot in the catalogue: run the curate flow first")
    snapshot = {"id": found.id, "path": str(found.path), "remote_url": found.remote_url}
    work_dir = params.resolve(params.paths.state_dir) / "flow-runs" / str(flow_run.get_id() or "local")
    work_dir.mkdir(parents=True, exist_ok=True)

    run_id = start_tracking_run(params, snapshot)
    try:
        training = train_adapter(params, snapshot, run_id)

        champion = fetch_champion_adapter(params, work_dir)
        model_dir = training["model_dir"]
        evaluations = [evaluate(params, snapshot, "base", model_dir, None)]
        if champion:
            evaluations.append(evaluate(params, snapshot, "champion", model_dir, champion["adapter_dir"]))
        evaluations.append(evaluate(params, snapshot, "candidate", model_dir, training["adapter_dir"]))
        metrics = {e["name"]: e["metrics"] for e in evaluations}

        decision = decide(metrics["candidate"], metrics["base"], metrics.get("champion"), params.gate)
        if decision.go and params.gate.approval == "required":
            decision = wait_for_approval(decision, metrics, params.gate.approval_timeout_s)
        log_evaluation(params, snapshot, run_id, evaluations, decision, work_dir)
        registration = register_and_promote(params, run_id, snapshot, decision)
    except BaseException:
        mark_run_failed(params, run_id)  # never leave a RUNNING run behind in MLflow
        raise
    get_run_logger().info("%s v%s: %s", params.project.model_name, registration["version"], decision.label)
    return {
        "snapshot_id": snapshot["id"],
        "mlflow_run_id": run_id,
        "mlflow_tracking_uri": params.mlflow_uri,
        "model_name": params.project.model_name,
        "model_version": registration["version"],
        "previous_champion": registration["previous_champion"],
        "decision": decision.label,
        "reasons": decision.reasons,
        "metrics": metrics,
    }
