"""Prefect tasks for MLflow tracking runs and registry promotion."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from tuneops.config import Params
from tuneops.gate import Decision
from tuneops.registry import apply_decision, register_candidate, setup_tracking

REGISTERED_TAG = "tuneops.registered_version"  # set once the run's adapter is in the registry


def unfinished_run(experiment_id: str, root_flow_run_id: str, snapshot_id: str) -> str | None:
    """The MLflow run an earlier attempt of this (root) Prefect flow run left unfinished, if any."""
    import mlflow

    if root_flow_run_id in ("", "None"):
        return None
    runs = mlflow.MlflowClient().search_runs(
        [experiment_id], f"tags.prefect_root_flow_run_id = '{root_flow_run_id}' and tags.snapshot_id = '{snapshot_id}'")
    return next((r.info.run_id for r in runs if REGISTERED_TAG not in r.data.tags), None)


@task(name="start-tracking-run", cache_policy=NO_CACHE, retries=2)
def start_tracking_run(params: Params, snapshot: dict) -> str:
    """Create the MLflow run for this pipeline run: params, dataset input (the snapshot), tags.

    Returns:
        The MLflow run id.
    """
    import mlflow
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    experiment_id = setup_tracking(params.mlflow_uri, params.project.name, params.resolve(params.tracking.artifact_root))
    # The root flow run id survives a retry of the whole pipeline (subflows get new ids each attempt).
    root_run = str(flow_run.root_flow_run_id or flow_run.get_id())
    resumable = unfinished_run(experiment_id, root_run, snapshot["id"])
    if resumable:
        # The same Prefect flow run again (a retry after a crash): keep its MLflow run, so training
        # resumes from that run's checkpoints and the registry gets one version, not two.
        mlflow.MlflowClient().update_run(resumable, status="RUNNING")
        get_run_logger().info("resuming MLflow run %s of this flow run", resumable)
        return resumable
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"train-{snapshot['id'][:8]}") as run:
        train = params.train.model_dump(mode="json")
        flat = {f"train.{k}": v for k, v in train.items() if k != "lora"}
        flat |= {f"train.lora.{k}": v for k, v in train["lora"].items()}
        mlflow.log_params({k: str(v)[:500] for k, v in flat.items()})
        mlflow.set_tags({"snapshot_id": snapshot["id"], "dvc_remote": snapshot["remote_url"],
                         "prefect_flow_run_id": str(flow_run.get_id()), "prefect_root_flow_run_id": root_run,
                         "model_name": params.project.model_name})
        # What DVC needs to restore the snapshot, and its lineage, travel with the run.
        entry = Path(snapshot["path"])
        mlflow.log_artifact(str(entry / "manifest.json"), "snapshot")
        mlflow.log_artifact(str(entry / "dataset.dvc"), "snapshot")
        try:
            source = resolve_dataset_source(snapshot["remote_url"])
        except Exception:  # noqa: BLE001 - unknown URL schemes still get the tag above
            source = None
        if source is not None:
            dataset = MetaDataset(source=source, name=f"snapshot-{snapshot['id'][:12]}", digest=snapshot["id"][:36])
            mlflow.log_input(dataset, context="training")
        return run.info.run_id


@task(name="register", cache_policy=NO_CACHE, retries=2)
def register_and_promote(params: Params, run_id: str, snapshot: dict, decision: Decision) -> dict:
    """Register the adapter as a new version (alias ``challenger``); on GO move ``champion`` to it.

    Returns:
        ``{"version", "previous_champion", "decision"}``.
    """
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    name = params.project.model_name
    tags = {"snapshot_id": snapshot["id"], "decision": decision.label, "base_model": params.train.base_model}
    version = register_candidate(name, run_id, "adapter", tags)
    mlflow.MlflowClient().set_tag(run_id, REGISTERED_TAG, str(version.version))
    previous = apply_decision(name, version.version, decision.go, decision.reasons)
    mlflow.MlflowClient().set_terminated(run_id, "FINISHED")
    get_run_logger().info("registered %s version %s: %s", name, version.version, decision.label)
    return {"version": str(version.version), "previous_champion": previous, "decision": decision.label}


def mark_run_failed(params: Params, run_id: str) -> None:
    """Mark the MLflow run FAILED (called by the flow when a step after tracking started raises)."""
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    mlflow.MlflowClient().set_terminated(run_id, "FAILED")
