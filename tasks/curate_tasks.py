"""Prefect tasks for curation: streaming curate pass, GX validation, report artifacts."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tuneops.config import Params
from tuneops.curate.pipeline import (
    build_masker,
    curate_to_dir,
    detection_masker,
    load_curated,
    pseudonym_key_from_env,
    write_report,
)
from tuneops.curate.shards import prepare_shard_in_worker, read_shards
from tuneops.curate.validate import validate_curated
from tuneops.reports import curation_markdown

SECRET_BLOCK = "tuneops-pseudonym-key"


def shard_task_runner(params: Params):
    """The Prefect task runner for ``curate.task_runner`` (thread/process pools of ``curate.workers``, or Dask)."""
    from tuneops.curate.shards import resolve_workers

    workers = resolve_workers(params.curate.workers)
    kind = params.curate.task_runner
    if kind == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    address = params.curate.cluster_address
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as error:
            raise RuntimeError("curate.task_runner: dask needs `pip install prefect-dask`") from error
        return DaskTaskRunner(address=address) if address else DaskTaskRunner()
    if kind == "ray":
        try:
            from prefect_ray import RayTaskRunner
        except ImportError as error:
            raise RuntimeError("curate.task_runner: ray needs `pip install prefect-ray`") from error
        return RayTaskRunner(address=address) if address else RayTaskRunner()
    from prefect.task_runners import ThreadPoolTaskRunner

    return ThreadPoolTaskRunner(max_workers=workers)


def pseudonym_key(params: Params) -> bytes | None:
    """Pseudonymisation key: the configured env variable, else the Prefect Secret block ``tuneops-pseudonym-key``."""
    key = pseudonym_key_from_env(params.curate)
    if key or params.curate.pii.mode != "pseudonym":
        return key
    from prefect.blocks.system import Secret

    try:
        return Secret.load(SECRET_BLOCK).get().encode()
    except ValueError:
        return None


@task(name="curate", cache_policy=NO_CACHE, retries=1)
def curate_dataset(params: Params, out_dir: Path) -> dict:
    """Ingest, mask PII, deduplicate, split and validate the raw inputs into ``out_dir``.

    Returns:
        The report written to ``out_dir/report.json`` (counts, PII per entity, validation).
    """
    logger = get_run_logger()
    masker = build_masker(params.curate, pseudonym_key(params))
    inputs = [params.resolve(p) for p in params.paths.raw]
    logger.info("curating %s (PII mode %s, %s workers)", ", ".join(str(p) for p in inputs), params.curate.pii.mode,
                params.curate.workers or "all")
    counts = curate_to_dir(
        inputs, params.curate, out_dir, masker, root=params.root,
        progress=lambda n: logger.info("curated %d input lines", n),
    )
    return finish_curation(params, out_dir, counts)


@task(name="prepare-shard", cache_policy=NO_CACHE, retries=2, persist_result=False)
def prepare_shard_task(lines: list, cfg_json: str, key: bytes | None) -> list:
    """Parse, mask and compute dedup features of one shard (runs wherever the task runner puts it)."""
    return prepare_shard_in_worker(lines, cfg_json, key)


def prepare_shards_on_runner(params: Params, key: bytes | None, window: int) -> Iterator[list]:
    """Submit one ``prepare-shard`` task per shard to the flow's task runner, ``window`` in flight, in order."""
    shards = read_shards([params.resolve(p) for p in params.paths.raw], params.curate.shard_size, params.root,
                         params.curate.csv)
    cfg_json = params.curate.model_dump_json()
    pending = []
    for shard in shards:
        pending.append(prepare_shard_task.submit(shard, cfg_json, key))
        if len(pending) >= window:
            yield pending.pop(0).result()
    for future in pending:
        yield future.result()


@task(name="validate-and-report", cache_policy=NO_CACHE)
def validate_and_report(params: Params, out_dir: Path, counts) -> dict:
    """Validation, ``report.json`` and the curation artifact for merged shards (see ``finish_curation``)."""
    return finish_curation(params, out_dir, counts)


def finish_curation(params: Params, out_dir: Path, counts) -> dict:
    """Validate the curated outputs, write ``report.json`` and publish the curation artifact.

    The residual-PII check only finds PII, so it uses the keyless detector: no second key lookup.
    """
    logger = get_run_logger()
    logger.info("kept %d train + %d eval, removed %d duplicates, quarantined %d",
                counts.train, counts.eval, counts.duplicates, counts.quarantined)
    validation = validate_curated(load_curated(out_dir), counts.duplicates, counts.inputs - counts.quarantined,
                                  params.curate, detection_masker(params.curate))
    report = write_report(out_dir, counts, validation)
    create_markdown_artifact(curation_markdown(report), key="curation-report", description="Curation counts, PII, validation")
    if os.environ.get(params.curate.pii.key_env):
        logger.info("pseudonymisation key taken from the environment (value not logged)")
    return report
