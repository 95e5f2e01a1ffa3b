"""The full tuneops pipeline: the curate flow, then the train-evaluate-gate flow."""

from __future__ import annotations

from prefect import flow, get_run_logger

from flows.curate import ValidationFailed, curate_flow
from flows.train_gate import train_evaluate_gate

__all__ = ["ValidationFailed", "pipeline"]


@flow(name="tuneops-pipeline", log_prints=True)
def pipeline(params_file: str = "params.yaml", overrides: dict | None = None) -> dict:
    """Turn raw records into a gated, registered LoRA adapter.

    Steps (each a subflow, visible as such in the Prefect UI):
        1. curate flow: ingest, mask PII, deduplicate, split, validate (stop on failure), DVC snapshot.
        2. train-evaluate-gate flow: MLflow run, LoRA/QLoRA training, evaluation of base, champion
           and candidate, go/no-go (optionally human-approved), registry version and aliases.

    Args:
        params_file: Path of the params YAML.
        overrides: Nested params merged over the file (for reduced runs).

    Returns:
        Summary: snapshot id, MLflow run id, model version, decision, reasons, metrics, curation counts.
    """
    curated = curate_flow(params_file, overrides)
    summary = train_evaluate_gate(curated["snapshot"]["id"], params_file, overrides)
    summary["curation"] = curated["counts"]
    get_run_logger().info("pipeline finished: %s v%s %s", summary["model_name"], summary["model_version"], summary["decision"])
    return summary
