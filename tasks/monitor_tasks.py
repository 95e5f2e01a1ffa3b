"""Prefect tasks of the drift monitor and of drift-triggered retraining."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import datetime
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.version_tasks import snapshot_store
from tuneops.config import Params
from tuneops.monitoring.embeddings import check_with_params
from tuneops.monitoring.production_log import ProductionRecord, open_production_log
from tuneops.monitoring.report import drift_markdown, write_drift_report
from tuneops.monitoring.retrain_data import production_to_chat
from tuneops.monitoring.samples import production_sample, snapshot_sample
from tuneops.records import write_jsonl
from tuneops.registry import champion_version, setup_tracking

DRIFT_EVENT = "tuneops.drift.detected"
# Namespace of drift-window ids: the same model and window always give the same event id,
# and Prefect's trigger service ignores an event id it has already seen.
DRIFT_NAMESPACE = uuid.UUID("7b0e8d4c-3f5e-4c1a-9a53-2d1f6f0c9e11")


def drift_window_key(model: str, start: datetime, end: datetime) -> str:
    """Idempotency key of one model's drift window (also the drift event's id)."""
    return str(uuid.uuid5(DRIFT_NAMESPACE, f"{model}|{start.isoformat()}|{end.isoformat()}"))


@task(name="training-reference", cache_policy=NO_CACHE, retries=2)
def training_reference(params: Params) -> dict | None:
    """The snapshot the serving model was trained on: the champion's, else the newest snapshot.

    Returns:
        ``{"snapshot_id", "model_version"}`` (``model_version`` is ``None`` without a champion),
        or ``None`` when there is no snapshot yet.
    """
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    version = champion_version(params.project.model_name)
    store = snapshot_store(params)
    if version is not None and version.tags.get("snapshot_id"):
        return {"snapshot_id": store.get(version.tags["snapshot_id"]).id, "model_version": str(version.version)}
    newest = next(iter(store.list()), None)
    if newest is None:
        return None
    return {"snapshot_id": newest.id, "model_version": None}


@task(name="read-production-window", cache_policy=NO_CACHE, retries=2)
def read_production_window(params: Params, start: datetime, end: datetime) -> list[ProductionRecord]:
    """Logged requests (and feedback) of the configured model with ``start <= timestamp < end``."""
    log = open_production_log(params.monitor.production_log, params.root)
    records = list(log.read_window(start, end, params.project.model_name))
    get_run_logger().info("read %d production records from %s to %s", len(records), start, end)
    return records


@task(name="drift-check", cache_policy=NO_CACHE)
def drift_check(params: Params, reference: dict, records: list[ProductionRecord], start: datetime, end: datetime,
                out_dir: Path) -> dict:
    """Compare the window with the training snapshot; publish the report to Prefect and MLflow.

    Returns:
        The check's JSON plus ``report_dir`` and ``mlflow_run_id``.
    """
    import mlflow

    logger = get_run_logger()
    store = snapshot_store(params)
    ref = snapshot_sample(store.data_dir(store.get(reference["snapshot_id"])))
    cur = production_sample(r for r in records if r.messages)
    result = check_with_params(ref, cur, params)
    context = {
        "model": f"{params.project.model_name} v{reference['model_version'] or '(no champion)'}",
        "window": f"{start.isoformat()} .. {end.isoformat()}",
        "reference snapshot": reference["snapshot_id"],
    }
    write_drift_report(result, out_dir, f"Drift report: {params.project.model_name}", context)
    logger.info("drift=%s score=%.3f (%d reference vs %d current inputs)", result.drift, result.score,
                result.n_reference, result.n_current)

    # An explicit experiment id, not set_experiment: that would leak into later runs of this process.
    experiment_id = setup_tracking(params.mlflow_uri, f"{params.project.name}-monitoring",
                                   params.resolve(params.tracking.artifact_root))
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"drift {start:%Y-%m-%d %H:%M}") as run:
        mlflow.set_tags({"tuneops.kind": "drift-check", "model": params.project.model_name,
                         "model_version": str(reference["model_version"]), "snapshot_id": reference["snapshot_id"],
                         "window_start": start.isoformat(), "window_end": end.isoformat(), "drift": str(result.drift)})
        mlflow.log_metrics({"drift_score": result.score, "n_current": result.n_current,
                            **{f"{name}_score": s.score for name, s in result.signals.items()}})
        mlflow.log_artifacts(str(out_dir), artifact_path="drift")
    create_markdown_artifact(key="drift-report", markdown=drift_markdown(result, "Drift report", context),
                             description=f"drift check of {params.project.model_name}")
    return {**result.to_json(), "report_dir": str(out_dir), "mlflow_run_id": run.info.run_id}


def report_link(tracking_uri: str, run_id: str, report_dir: str) -> str:
    """Where a person opens the drift report: the MLflow run page on a server, else the local HTML file."""
    if tracking_uri.startswith(("http://", "https://")):
        return f"{tracking_uri.rstrip('/')}/#/runs/{run_id}/artifacts/drift/drift.html"
    return str(Path(report_dir) / "drift.html")


@task(name="emit-drift-event", cache_policy=NO_CACHE, retries=2)
def emit_drift_event(params: Params, reference: dict, check: dict, start: datetime, end: datetime) -> str:
    """Emit ``tuneops.drift.detected`` for the model; its id is the window's idempotency key.

    Returns:
        The event id.
    """
    from prefect.events import emit_event

    model = params.project.model_name
    key = drift_window_key(model, start, end)
    report = report_link(params.mlflow_uri, check["mlflow_run_id"], check["report_dir"])
    emit_event(
        event=DRIFT_EVENT,
        resource={"prefect.resource.id": f"tuneops.model.{model}", "prefect.resource.name": model, "tuneops.model": model},
        payload={
            "model": model, "model_version": reference["model_version"], "snapshot_id": reference["snapshot_id"],
            "window_start": start.isoformat(), "window_end": end.isoformat(), "score": check["score"],
            "signals": {name: s["score"] for name, s in check["signals"].items() if s["drift"]},
            "report": report, "idempotency_key": key,
        },
        id=uuid.UUID(key),
    )
    get_run_logger().warning("drift detected for %s (score %.3f); emitted %s id %s", model, check["score"], DRIFT_EVENT, key)
    return key


@task(name="export-production-window", cache_policy=NO_CACHE, retries=2)
def export_production_window(params: Params, records: list[ProductionRecord], out_dir: Path) -> dict:
    """Write the window as chat records for curation; say how many were left out and why."""
    rows, counts = production_to_chat(records, params.monitor.retrain.use_served_answers)
    path = Path(out_dir) / "production-window.jsonl"
    write_jsonl(path, rows)
    get_run_logger().info("production window -> %d chat records (%s)", len(rows), json.dumps(counts))
    return {"path": str(path), "records": len(rows), **counts}


@task(name="previous-snapshot-data", cache_policy=NO_CACHE, retries=2)
def copy_snapshot_data(params: Params, snapshot_id: str, out_dir: Path) -> list[str]:
    """Copy the previous snapshot's curated splits (verified) next to the production window."""
    store = snapshot_store(params)
    snapshot = store.get(snapshot_id)
    data_dir = store.data_dir(snapshot)
    copied = []
    for split in ("train", "eval"):
        target = Path(out_dir) / f"snapshot-{snapshot.id[:12]}-{split}.jsonl"
        shutil.copyfile(data_dir / f"{split}.jsonl", target)
        copied.append(str(target))
    return copied


@task(name="earlier-retrain", cache_policy=NO_CACHE, retries=2)
def earlier_retrain(idempotency_key: str, this_run_id: str | None) -> str | None:
    """Id of another retrain run of the same drift window that is running or completed, if any."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["tuneops-retrain"])),
            flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(
                any_=[StateType.RUNNING, StateType.COMPLETED, StateType.PAUSED]))),
        )
    for run in runs:
        if str(run.id) != str(this_run_id) and run.parameters.get("idempotency_key") == idempotency_key:
            return str(run.id)
    return None
