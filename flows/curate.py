"""Curation and versioning as a flow of its own (the nightly ``curate`` deployment)."""

from __future__ import annotations

from prefect import flow
from prefect.runtime import flow_run

from tasks.curate_tasks import curate_dataset
from tasks.version_tasks import snapshot_dataset
from tuneops.config import load_params


class ValidationFailed(RuntimeError):
    """The curated dataset failed its Great Expectations suites; nothing was versioned or trained."""


@flow(name="tuneops-curate", log_prints=True)
def curate_flow(params_file: str = "params.yaml", overrides: dict | None = None) -> dict:
    """Turn the raw inputs into a validated, versioned dataset snapshot.

    Steps:
        1. curate: ingest, mask PII, deduplicate, split, validate (Great Expectations); stop on failure.
        2. version: DVC snapshot of the curated data, pushed to the remote, with a lineage manifest.

    Args:
        params_file: Path of the params YAML.
        overrides: Nested params merged over the file.

    Returns:
        ``{"snapshot": {"id", "path", "remote_url"}, "counts": {...}}``.
    """
    params = load_params(params_file, overrides)
    work_dir = params.resolve(params.paths.state_dir) / "flow-runs" / str(flow_run.get_id() or "local")
    curated_dir = work_dir / "curated"

    report = curate_dataset(params, curated_dir)
    if not report["validation"]["success"]:
        raise ValidationFailed(f"curated data failed validation; see {curated_dir / 'report.json'}")
    snapshot = snapshot_dataset(params, curated_dir, report)
    return {"snapshot": snapshot, "counts": report["counts"]}
