"""Prefect task that versions a curated dataset as a DVC snapshot with a lineage manifest."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from tuneops.config import Params
from tuneops.curate.ingest import display_path, iter_input_files
from tuneops.reports import snapshot_markdown
from tuneops.snapshots import SnapshotStore, code_version, count_lines, file_md5, params_hash


def snapshot_store(params: Params) -> SnapshotStore:
    """The configured snapshot store (state dir and DVC remote from params)."""
    remote = params.versioning.remote_url
    if "://" not in remote:
        remote = str(params.resolve(remote))
    return SnapshotStore(params.resolve(params.paths.state_dir), remote)


def lineage_manifest(params: Params, report: dict) -> dict:
    """Lineage facts of a curated dataset: sources with md5, code version, params, counts, validation."""
    files = iter_input_files([params.resolve(p) for p in params.paths.raw])
    curate_params = params.curate.model_dump(mode="json")
    return {
        "sources": [{"path": display_path(f, params.root), "md5": file_md5(f), "lines": count_lines(f)} for f in files],
        "code": code_version(params.root),
        "params": {"curate": curate_params},
        "params_hash": params_hash(curate_params),
        "pii_mode": params.curate.pii.mode,
        "counts": report["counts"],
        "validation": report["validation"],
        "flow_run_id": flow_run.get_id(),
    }


@task(name="snapshot", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=5)
def snapshot_dataset(params: Params, curated_dir: Path, report: dict) -> dict:
    """Version ``curated_dir`` with DVC, push it to the remote and catalogue its manifest.

    Returns:
        ``{"id", "path", "remote_url"}`` of the snapshot.
    """
    store = snapshot_store(params)
    snapshot = store.create(curated_dir, lineage_manifest(params, report))
    get_run_logger().info("snapshot %s pushed to %s", snapshot.id, snapshot.remote_url)
    create_markdown_artifact(snapshot_markdown(snapshot.manifest), key="dataset-snapshot",
                             description=f"DVC snapshot {snapshot.id}")
    return {"id": snapshot.id, "path": str(snapshot.path), "remote_url": snapshot.remote_url}
