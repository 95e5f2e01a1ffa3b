"""Training throughput: tuneops's LoRA loop vs a plain Hugging Face Trainer + peft baseline.

Both runs use the same base model, the same curated demo records, the same
tokenisation (chat template, assistant-only labels), sequence length, batch
size, learning rate and schedule, and each runs in its own process so peak
memory is measured separately. Throughput counts real (non-padding) tokens.

    .venv/bin/python benchmarks/train_throughput.py --steps 20

Two baselines: ``trainer`` pads each random batch to its longest sequence
(``DataCollatorForSeq2Seq``, dynamic padding); ``trainer-maxlen`` pads every
sequence to ``max_seq_len``, as many SFT recipes do. Both compute logits for
every position. tuneops batches by length and projects only labelled
positions to the vocabulary.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# trainer: dynamic padding to the longest in each random batch; trainer-maxlen: padding to max_seq_len.
MODES = ("trainer", "trainer-maxlen", "tuneops")


def curated_train_records(limit: int) -> list[dict]:
    """The demo data's curated train split (first ``limit`` records)."""
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker, curate_to_dir
    from tuneops.records import read_jsonl

    params = load_params(REPO / "params.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        curate_to_dir([REPO / "data" / "raw"], params.curate, Path(tmp), build_masker(params.curate), root=REPO)
        return list(read_jsonl(Path(tmp) / "train.jsonl"))[:limit]


def run_tuneops(records, model_dir, cfg) -> dict:
    from tuneops.training import train_lora

    with tempfile.TemporaryDirectory() as tmp:
        result = train_lora(records, model_dir, cfg, Path(tmp))
    return {"tokens": result.train_tokens, "tokens_per_s": result.tokens_per_second, "final_loss": result.final_loss}


def run_trainer(records, model_dir, cfg, pad_to_max_length: bool = False) -> dict:
    from transformers import AutoTokenizer, DataCollatorForSeq2Seq, Trainer, TrainingArguments

    from tuneops.chat_data import IGNORE_INDEX, tokenize_chat
    from tuneops.training import load_model_for_training

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    data = []
    for record in records:
        ids, labels = tokenize_chat(tokenizer, record["messages"], cfg.max_seq_len)
        data.append({"input_ids": ids, "attention_mask": [1] * len(ids), "labels": labels})
    padder = DataCollatorForSeq2Seq(tokenizer, padding="max_length" if pad_to_max_length else True,
                                    max_length=cfg.max_seq_len, label_pad_token_id=IGNORE_INDEX)
    seen = {"tokens": 0}

    def collate(features):
        batch = padder(features)
        seen["tokens"] += int(batch["attention_mask"].sum())
        return batch

    model = load_model_for_training(model_dir, cfg, "lora")
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=cfg.batch_size, gradient_accumulation_steps=cfg.grad_accum,
            max_steps=cfg.max_steps, learning_rate=cfg.learning_rate, lr_scheduler_type=cfg.lr_scheduler,
            warmup_steps=cfg.warmup_steps, weight_decay=0.0, max_grad_norm=1.0, logging_steps=cfg.max_steps,
            save_strategy="no", report_to=[], seed=cfg.seed, use_cpu=True, remove_unused_columns=False,
            dataloader_num_workers=0,
        )
        trainer = Trainer(model=model, args=args, train_dataset=data, data_collator=collate)
        started = time.perf_counter()
        output = trainer.train()
        seconds = time.perf_counter() - started
    return {"tokens": seen["tokens"], "tokens_per_s": seen["tokens"] / seconds, "final_loss": output.training_loss}


def child(mode: str, steps: int, records: int) -> None:
    """Run one side and print its JSON result (called in a fresh process)."""
    from tuneops.base_models import resolve_base_model
    from tuneops.config import load_params

    params = load_params(REPO / "params.yaml", {"train": {"max_steps": steps, "checkpoint_every": 10**6, "method": "lora"}})
    model_dir = resolve_base_model(params.train.base_model, params.resolve(params.paths.model_cache))
    data = curated_train_records(records)
    if mode == "tuneops":
        result = run_tuneops(data, model_dir, params.train)
    else:
        result = run_trainer(data, model_dir, params.train, pad_to_max_length=mode == "trainer-maxlen")
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("RESULT " + json.dumps(result))


def main() -> None:
    """Run both sides and print a markdown table and JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--child", choices=MODES)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.steps, args.records)
        return
    results = {}
    for mode in MODES:
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--steps", str(args.steps),
                              "--records", str(args.records)], capture_output=True, text=True, check=True).stdout
        results[mode] = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
    ours = results["tuneops"]["tokens_per_s"]
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} CPUs, torch CPU, SmolLM2-135M-Instruct LoRA fp32")
    print("| run | real tokens | tokens/s | peak RSS (MiB) | final loss |")
    print("|---|---|---|---|---|")
    for mode, r in results.items():
        print(f"| {mode} | {r['tokens']} | {r['tokens_per_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['final_loss']:.3f} |")
    for baseline in ("trainer", "trainer-maxlen"):
        print(f"speed-up vs {baseline}: {ours / results[baseline]['tokens_per_s']:.2f}x")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
