"""The full tuneops pipeline as one Prefect flow."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.approval import wait_for_approval
from tasks.curate_tasks import curate_dataset
from tasks.evaluate_tasks import evaluate, fetch_champion_adapter, log_evaluation
from tasks.registry_tasks import mark_run_failed, register_and_promote, start_tracking_run
from tasks.train_tasks import train_adapter
from tasks.version_tasks import snapshot_dataset
from tuneops.config import load_params
from tuneops.gate import decide


class ValidationFailed(RuntimeError):
    """The curated dataset failed its Great Expectations suites; nothing was trained."""


@flow(name="tuneops-pipeline", log_prints=True)
def pipeline(params_file: str = "params.yaml", overrides: dict | None = None) -> dict:
    """Turn raw records into a gated, registered LoRA adapter.

    Steps:
        1. curate: ingest, mask PII, deduplicate, split, validate (Great Expectations); stop on failure.
        2. version: DVC snapshot of the curated data, pushed to the remote, with a lineage manifest.
        3. track: MLflow run with params and the snapshot as dataset input.
        4. train: LoRA adapter (QLoRA on CUDA), resumable from checkpoints.
        5. evaluate: base, current champion (if any) and candidate on the held-out split.
        6. gate: go/no-go from the thresholds in params; optionally a human approves the GO in the Prefect UI.
        7. register: new registry version (alias challenger); champion moves on GO.

    Args:
        params_file: Path of the params YAML.
        overrides: Nested params merged over the file (for reduced runs).

    Returns:
        Summary: snapshot id, MLflow run id, model version, decision and reasons.
    """
    logger = get_run_logger()
    params = load_params(params_file, overrides)
    work_dir = params.resolve(params.paths.state_dir) / "flow-runs" / str(flow_run.get_id() or "local")
    curated_dir = work_dir / "curated"

    report = curate_dataset(params, curated_dir)
    if not report["validation"]["success"]:
        raise ValidationFailed(f"curated data failed validation; see {curated_dir / 'report.json'}")
    snapshot = snapshot_dataset(params, curated_dir, report)
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
    summary = {
        "snapshot_id": snapshot["id"],
        "mlflow_run_id": run_id,
        "mlflow_tracking_uri": params.mlflow_uri,
        "model_name": params.project.model_name,
        "model_version": registration["version"],
        "previous_champion": registration["previous_champion"],
        "decision": decision.label,
        "reasons": decision.reasons,
        "metrics": metrics,
        "curation": report["counts"],
    }
    logger.info("pipeline finished: %s v%s %s", summary["model_name"], summary["model_version"], summary["decision"])
    return summary


if __name__ == "__main__":
    pipeline(str(Path("params.yaml")))
