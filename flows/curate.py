"""Curation and versioning as a flow of its own (the nightly ``curate`` deployment)."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.curate_tasks import (
    curate_dataset,
    prepare_shards_on_runner,
    pseudonym_key,
    shard_task_runner,
    validate_and_report,
)
from tasks.version_tasks import snapshot_dataset
from tuneops.config import load_params
from tuneops.curate.pipeline import merge_prepared
from tuneops.curate.shards import resolve_workers


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

    if params.curate.task_runner == "inline":
        report = curate_dataset(params, curated_dir)
    else:
        sharded = curate_shards.with_options(task_runner=shard_task_runner(params))
        report = sharded(params_file, str(curated_dir), overrides)
    if not report["validation"]["success"]:
        raise ValidationFailed(f"curated data failed validation; see {curated_dir / 'report.json'}")
    snapshot = snapshot_dataset(params, curated_dir, report)
    return {"snapshot": snapshot, "counts": report["counts"]}


@flow(name="tuneops-curate-shards", log_prints=True)
def curate_shards(params_file: str, out_dir: str, overrides: dict | None = None) -> dict:
    """Curation with one Prefect task per shard on this flow's task runner (``curate.task_runner``).

    Steps:
        1. prepare-shard tasks: parse, mask PII and compute dedup features, ``2 * workers`` shards in flight.
        2. merge (here, in input order): duplicate ids, dedup, split, outputs; identical to a one-process run.
        3. validate-and-report: Great Expectations suites, ``report.json``, the curation artifact.
    """
    params = load_params(params_file, overrides)
    window = 2 * resolve_workers(params.curate.workers)
    prepared = prepare_shards_on_runner(params, pseudonym_key(params), window=window)
    counts = merge_prepared(prepared, params.curate, Path(out_dir),
                            progress=lambda n: get_run_logger().info("merged %d input lines", n))
    return validate_and_report(params, Path(out_dir), counts)
