"""Prefect task that trains the LoRA/QLoRA adapter on a snapshot and tracks it in MLflow."""

from __future__ import annotations

import json
import time

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from tasks.version_tasks import snapshot_store
from tuneops.base_models import resolve_base_model
from tuneops.config import Params
from tuneops.records import read_jsonl
from tuneops.replay import replay_records
from tuneops.reports import plot_loss
from tuneops.training import total_steps, train_lora

LOG_EVERY = 5  # optimizer steps between progress log lines


def now_ms() -> int:
    """Wall-clock time in milliseconds, as MLflow metric timestamps expect."""
    return int(time.time() * 1000)


@task(name="train", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=10, timeout_seconds=6 * 3600)
def train_adapter(params: Params, snapshot: dict, run_id: str) -> dict:
    """Train an adapter on the snapshot's train split; a retry resumes from the last checkpoint.

    Returns:
        The ``TrainResult`` as a dict (adapter_dir, losses, tokens/s, peak memory...).
    """
    import mlflow

    mlflow.set_tracking_uri(params.mlflow_uri)
    logger = get_run_logger()
    store = snapshot_store(params)
    data_dir = store.data_dir(store.get(snapshot["id"]))  # verified against the snapshot's checksums
    records = list(read_jsonl(data_dir / "train.jsonl"))
    model_dir = resolve_base_model(params.train.base_model, params.resolve(params.paths.model_cache))
    output_dir = params.resolve(params.paths.state_dir) / "runs" / run_id
    replay = params.train.replay
    if replay.prompts and replay.fraction:
        extra = replay_records(model_dir, list(read_jsonl(params.resolve(replay.prompts))), round(replay.fraction * len(records)),
                               params.evaluate.batch_size, replay.max_new_tokens)
        logger.info("mixing %d base-model replay records into %d train records", len(extra), len(records))
        records = records + extra
    client = mlflow.MlflowClient()
    steps = total_steps(params.train, len(records))

    def on_step(step: int, metrics: dict) -> None:
        client.log_batch(run_id, metrics=[mlflow.entities.Metric(f"train_{k}", v, now_ms(), step) for k, v in metrics.items()])
        if step % LOG_EVERY == 0 or step == steps:
            logger.info("step %d/%d loss %.4f lr %.2e %.0f tokens/s", step, steps,
                        metrics["loss"], metrics["learning_rate"], metrics["tokens_per_second"])

    logger.info("training %s on %d records from snapshot %s", model_dir.name, len(records), snapshot["id"][:12])
    result = train_lora(records, model_dir, params.train, output_dir, on_step=on_step)
    # Client calls, not `with start_run`: ending the context would mark the run FINISHED before it is
    # registered, and a retry after a crash here could then not find (and resume) it.
    final = {"train_final_loss": result.final_loss, "train_tokens_per_second": result.tokens_per_second,
             "train_peak_memory_mb": result.peak_memory_mb, "train_seconds": result.seconds,
             "train_tokens": result.train_tokens, "trainable_parameters": result.trainable_parameters}
    client.log_batch(run_id, metrics=[mlflow.entities.Metric(k, float(v), now_ms(), steps) for k, v in final.items()])
    client.set_tag(run_id, "train_method", result.method)
    client.set_tag(run_id, "resumed_from_step", str(result.resumed_from_step))
    client.log_artifacts(run_id, result.adapter_dir, "adapter")
    if params.train.merge_adapter:
        client.log_artifacts(run_id, str(output_dir / "merged"), "merged")
    client.log_artifact(run_id, str(plot_loss(result.losses, output_dir / "loss_curve.png")), "plots")
    (output_dir / "model_card.md").write_text(model_card(params, snapshot, result.to_dict()))
    client.log_artifact(run_id, str(output_dir / "model_card.md"))
    logger.info("trained %d steps (%s), final loss %.4f", result.steps, result.method, result.final_loss)
    return result.to_dict() | {"model_dir": str(model_dir)}


def model_card(params: Params, snapshot: dict, result: dict) -> str:
    """A short markdown model card: base model, data snapshot, params, training metrics."""
    train = params.train.model_dump(mode="json")
    return "\n".join([
        f"# {params.project.model_name} adapter",
        f"- base model: `{params.train.base_model}`",
        f"- method: {result['method']}, {result['steps']} steps, final loss {result['final_loss']:.4f}",
        f"- data snapshot: `{snapshot['id']}` (DVC remote {snapshot['remote_url']})",
        f"- throughput: {result['tokens_per_second']:.0f} tokens/s, peak memory {result['peak_memory_mb']:.0f} MiB",
        "", "## Training parameters", "```json", json.dumps(train, indent=2), "```",
    ])
