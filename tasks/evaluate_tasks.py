"""Prefect tasks that evaluate base, champion and candidate models and log the comparison."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from tasks.version_tasks import snapshot_store
from tuneops.config import Params
from tuneops.contamination import overlapping_prompts
from tuneops.curate.pipeline import leak_masker
from tuneops.evaluation import evaluate_model
from tuneops.gate import Decision
from tuneops.records import read_jsonl
from tuneops.registry import champion_version
from tuneops.reports import evaluation_markdown, plot_comparison

PLOTTED = ["json_valid", "category_accuracy", "priority_accuracy", "category_macro_f1", "summary_rouge_l"]


def _snapshot_data_dir(params: Params, snapshot: dict) -> Path:
    store = snapshot_store(params)
    return store.data_dir(store.get(snapshot["id"]))


def eval_records(params: Params, snapshot: dict) -> list[dict]:
    """The first ``evaluate.max_examples`` records of the snapshot's eval split."""
    return list(read_jsonl(_snapshot_data_dir(params, snapshot) / "eval.jsonl"))[: params.evaluate.max_examples]


@task(name="champion-adapter", cache_policy=NO_CACHE, retries=2)
def fetch_champion_adapter(params: Params, work_dir: Path) -> dict | None:
    """Download the current champion's adapter, or ``None`` when there is no champion."""
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    version = champion_version(params.project.model_name)
    if version is None:
        return None
    target = Path(work_dir) / f"champion-v{version.version}"
    path = mlflow.artifacts.download_artifacts(artifact_uri=version.source, dst_path=str(target))
    return {"version": version.version, "adapter_dir": path, "run_id": version.run_id}


@task(name="evaluate", cache_policy=NO_CACHE, retries=1)
def evaluate(params: Params, snapshot: dict, name: str, model_dir: str, adapter_dir: str | None) -> dict:
    """Evaluate one model on the snapshot's eval split with the shared generation settings.

    Returns:
        ``{"name", "metrics", "outputs"}``.
    """
    logger = get_run_logger()
    records = eval_records(params, snapshot)
    regression = regression_items(params, snapshot)
    overlap = regression_overlap(params, snapshot)
    if overlap:
        logger.warning("%d general prompts left out: the training data asks them too (%s)", len(overlap),
                       ", ".join(f"{k} ~ {v}" for k, v in list(overlap.items())[:5]))
    logger.info("evaluating %s on %d eval records and %d general prompts", name, len(records), len(regression))
    result = evaluate_model(
        name, Path(model_dir), Path(adapter_dir) if adapter_dir else None, records,
        leak_masker(params.curate), params.evaluate.batch_size, params.evaluate.max_new_tokens,
        params.train.max_seq_len, canaries=params.evaluate.canaries, regression_items=regression,
        progress=lambda n: logger.info("%s: %d/%d answers", name, n, len(records)),
    )
    summary = ", ".join(f"{k}={result.metrics[k]:.3f}" for k in PLOTTED if k in result.metrics)
    logger.info("%s: %s", name, summary)
    return {"name": name, "metrics": result.metrics, "outputs": result.outputs,
            "regression_outputs": result.regression_outputs}


def regression_items(params: Params, snapshot: dict | None = None) -> list[dict]:
    """The general-capability prompts, or none when ``evaluate.regression_set`` is null.

    With a snapshot, the prompts its training data already asks are left out (``regression_overlap``):
    a model that saw them in training would pass them from memory.
    """
    path = params.evaluate.regression_set
    if not path:
        return []
    items = list(read_jsonl(params.resolve(path)))
    if snapshot is None:
        return items
    overlap = regression_overlap(params, snapshot)
    return [i for i in items if i["id"] not in overlap]


_OVERLAPS: dict[tuple, dict[str, str]] = {}  # per process: the evaluate tasks of one run share the check


def regression_overlap(params: Params, snapshot: dict) -> dict[str, str]:
    """Regression prompt id -> id of the training record (train split or replay prompt) that asks it too."""
    path, replay = params.evaluate.regression_set, params.train.replay.prompts
    if not path:
        return {}
    key = (snapshot["id"], str(params.resolve(path)), str(replay and params.resolve(replay)),
           params.curate.dedup.model_dump_json())
    if key not in _OVERLAPS:
        training = itertools.chain(read_jsonl(_snapshot_data_dir(params, snapshot) / "train.jsonl"),
                                   read_jsonl(params.resolve(replay)) if replay else ())
        _OVERLAPS[key] = overlapping_prompts(read_jsonl(params.resolve(path)), training, params.curate)
    return _OVERLAPS[key]


@task(name="log-evaluation", cache_policy=NO_CACHE, retries=2)
def log_evaluation(params: Params, snapshot: dict, run_id: str, evaluations: list[dict], decision: Decision, work_dir: Path) -> None:
    """Log metrics, the per-example table, the comparison plot and the decision to MLflow and Prefect."""
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    records = eval_records(params, snapshot)
    metrics = {e["name"]: e["metrics"] for e in evaluations}
    table = {
        "id": [r["id"] for r in records],
        "input": [r["messages"][-2]["content"] for r in records],
        "reference": [r["messages"][-1]["content"] for r in records],
        **{f"output_{e['name']}": e["outputs"] for e in evaluations},
    }
    plot = plot_comparison(metrics, PLOTTED + ["regression_accuracy"], Path(work_dir) / "comparison.png")
    general = regression_items(params, snapshot)
    overlap = regression_overlap(params, snapshot)
    with mlflow.start_run(run_id=run_id):
        mlflow.log_metric("regression_prompts_left_out", len(overlap))
        if overlap:
            mlflow.log_dict(overlap, "evaluation/regression_overlap.json")
        for name, values in metrics.items():
            mlflow.log_metrics({f"{name}.{k}": v for k, v in values.items()})
        mlflow.log_table(table, "evaluation/examples.json")
        if general:
            mlflow.log_table({"prompt": [i["messages"][-1]["content"] for i in general],
                              "expected_any": [", ".join(i["expected_any"]) for i in general],
                              **{f"output_{e['name']}": e["regression_outputs"] for e in evaluations}},
                             "evaluation/regression.json")
        mlflow.log_artifact(str(plot), "evaluation")
        mlflow.log_dict({"decision": decision.label, "reasons": decision.reasons, "metrics": metrics}, "evaluation/decision.json")
        mlflow.set_tags({"decision": decision.label, "decision_reasons": "; ".join(decision.reasons)[:4900]})
    create_markdown_artifact(evaluation_markdown(metrics, decision.label, decision.reasons), key="evaluation",
                             description=f"Evaluation and go/no-go for MLflow run {run_id}")
    get_run_logger().info("decision %s: %s", decision.label, json.dumps(decision.reasons))
