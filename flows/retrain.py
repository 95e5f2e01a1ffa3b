"""Drift-triggered retraining (the ``retrain`` deployment, started by the drift automation)."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from flows.curate import curate_flow
from flows.monitor import parse_time
from flows.train_gate import train_evaluate_gate
from tasks.monitor_tasks import (
    copy_snapshot_data,
    drift_window_key,
    earlier_retrain,
    export_production_window,
    read_production_window,
    training_reference,
)
from tuneops.config import deep_merge, load_params


@flow(name="tuneops-retrain", log_prints=True)
def retrain(window_start: str, window_end: str, model_name: str | None = None, idempotency_key: str | None = None,
            params_file: str = "params.yaml", overrides: dict | None = None) -> dict:
    """Retrain on the previous snapshot's data plus a drifted production window.

    Steps:
        1. guard: skip when another retrain of the same drift window ran or is running
           (the automation's cooldown and event id already stop most repeats; this catches manual reruns).
        2. gather: the production window as chat records (corrected answers, else served answers)
           and the previous training snapshot's curated splits.
        3. curate flow: PII masking, dedup, validation and a new DVC snapshot of the union.
        4. train-evaluate-gate flow: train, evaluate against base and champion, gate, register.

    Args:
        window_start: ISO start of the drifted window (from the event payload).
        window_end: ISO end of the window.
        model_name: Registered model the drift was found for (default: ``project.model_name``).
        idempotency_key: The drift event's key (default: derived from model and window).
        params_file: Path of the params YAML.
        overrides: Nested params merged over the file.

    Returns:
        Train-evaluate-gate summary plus ``curation`` counts and ``production`` counts, or
        ``{"skipped": reason}``.
    """
    overrides = dict(overrides or {})
    if model_name:
        overrides = deep_merge(overrides, {"project": {"model_name": model_name}})
    params = load_params(params_file, overrides)
    start, end = parse_time(window_start), parse_time(window_end)
    key = idempotency_key or drift_window_key(params.project.model_name, start, end)
    logger = get_run_logger()

    earlier = earlier_retrain(key, flow_run.get_id())
    if earlier:
        logger.warning("drift window %s was already retrained by flow run %s; skipping", key, earlier)
        return {"skipped": f"already retrained by flow run {earlier}", "idempotency_key": key}

    work_dir = params.resolve(params.paths.state_dir) / "retrain" / key
    work_dir.mkdir(parents=True, exist_ok=True)
    reference = training_reference(params)
    if reference is None:
        raise ValueError("no snapshot to retrain from: run the curate flow first")
    production = export_production_window(params, read_production_window(params, start, end), work_dir)
    copy_snapshot_data(params, reference["snapshot_id"], work_dir)

    curate_overrides = deep_merge(overrides, {"paths": {"raw": [str(work_dir)]}})
    curated = curate_flow(params_file, curate_overrides)
    summary = train_evaluate_gate(curated["snapshot"]["id"], params_file, overrides)
    logger.info("retrain on window %s .. %s: %s v%s %s", start, end, summary["model_name"], summary["model_version"],
                summary["decision"])
    return {**summary, "curation": curated["counts"], "production": production, "idempotency_key": key,
            "previous_snapshot_id": reference["snapshot_id"]}
