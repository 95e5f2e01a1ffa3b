"""Prefect tasks for curation: streaming curate pass, GX validation, report artifacts."""

from __future__ import annotations

import os
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tuneops.config import Params
from tuneops.curate.pipeline import build_masker, curate_to_dir, load_curated, pseudonym_key_from_env, write_report
from tuneops.curate.validate import validate_curated
from tuneops.reports import curation_markdown

SECRET_BLOCK = "tuneops-pseudonym-key"


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
    logger.info("curating %s (PII mode %s)", ", ".join(str(p) for p in inputs), params.curate.pii.mode)
    counts = curate_to_dir(
        inputs, params.curate, out_dir, masker, root=params.root,
        progress=lambda n: logger.info("curated %d input lines", n),
    )
    logger.info("kept %d train + %d eval, removed %d duplicates, quarantined %d",
                counts.train, counts.eval, counts.duplicates, counts.quarantined)
    validation = validate_curated(load_curated(out_dir), counts.duplicates, counts.inputs - counts.quarantined,
                                  params.curate, masker)
    report = write_report(out_dir, counts, validation)
    create_markdown_artifact(curation_markdown(report), key="curation-report", description="Curation counts, PII, validation")
    if os.environ.get(params.curate.pii.key_env):
        logger.info("pseudonymisation key taken from the environment (value not logged)")
    return report
