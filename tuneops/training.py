"""LoRA / QLoRA fine-tuning with resumable checkpoints.

A compact training loop rather than ``transformers.Trainer``: it batches by
length (little padding), trains only assistant tokens, and checkpoints the
complete state (adapter, optimizer, scheduler, RNG, step) atomically so a
killed run resumes where its last good checkpoint left off.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import resource
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tuneops.chat_data import IGNORE_INDEX, batch_stream, tokenize_chat
from tuneops.config import TrainConfig

log = logging.getLogger(__name__)
CHECKPOINT_DONE = "checkpoint.json"  # written last: a checkpoint without it is incomplete


@dataclass
class TrainResult:
    """What a training run produced."""

    adapter_dir: str
    method: str
    steps: int
    resumed_from_step: int
    final_loss: float
    losses: list[float] = field(default_factory=list)
    learning_rates: list[float] = field(default_factory=list)
    train_tokens: int = 0
    tokens_per_second: float = 0.0
    peak_memory_mb: float = 0.0
    seconds: float = 0.0
    trainable_parameters: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def choose_method(method: str) -> str:
    """``auto`` becomes ``qlora`` where CUDA is available, ``lora`` otherwise."""
    if method != "auto":
        return method
    import torch

    return "qlora" if torch.cuda.is_available() else "lora"


def load_model_for_training(model_dir: Path, cfg: TrainConfig, method: str):
    """Base model with fresh LoRA adapters; 4-bit NF4 base weights for ``qlora``."""
    import torch
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoModelForCausalLM, BitsAndBytesConfig

    if method == "qlora":
        compute = torch.bfloat16 if not torch.cuda.is_available() or torch.cuda.is_bf16_supported() else torch.float16
        quant = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=compute,
        )
        device_map = {"": 0} if torch.cuda.is_available() else {"": "cpu"}
        model = AutoModelForCausalLM.from_pretrained(model_dir, quantization_config=quant, device_map=device_map)
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.gradient_checkpointing)
    else:
        model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
        if torch.cuda.is_available():
            model = model.to("cuda")
        if cfg.gradient_checkpointing:
            model.gradient_checkpointing_enable()
            model.enable_input_require_grads()
    lora = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=list(cfg.lora.target_modules),
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora)


def collate(examples: list[tuple[list[int], list[int]]], pad_id: int):
    """Right-pad a batch into ``input_ids``, ``attention_mask`` and ``labels`` tensors."""
    import torch

    width = max(len(ids) for ids, _ in examples)
    input_ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE_INDEX, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    for row, (ids, labs) in enumerate(examples):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(labs)] = torch.tensor(labs)
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": mask, "labels": labels}


def assistant_token_loss(model, batch: dict):
    """Mean cross-entropy over labelled (assistant) tokens, projecting only those positions to the vocabulary.

    A causal LM's output layer is a large matmul (hidden x vocabulary) over
    every position; only about a third of the positions in a chat carry
    labels. Running the decoder, then the output layer on the labelled
    positions alone, gives the same loss as ``model(**batch).loss`` for less
    compute and memory. Falls back to the model's own loss where the
    architecture does not expose decoder and output layer.
    """
    import torch

    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    decoder, head = getattr(base, "get_decoder", lambda: None)(), base.get_output_embeddings()
    if decoder is None or head is None:
        return model(**batch).loss
    hidden = decoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    targets = batch["labels"][:, 1:]
    keep = targets != IGNORE_INDEX
    logits = head(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), targets[keep])


def list_checkpoints(checkpoint_dir: Path) -> list[Path]:
    """Complete checkpoints, newest first.

    Only ``step-NNNNNN`` directories count: ``save_checkpoint`` writes the done marker into
    ``step-NNNNNN.partial`` just before renaming it, and a crash (or a reader) in between must not
    see that directory as a checkpoint.
    """
    done = [p.parent for p in Path(checkpoint_dir).glob(f"step-*/{CHECKPOINT_DONE}")
            if re.fullmatch(r"step-\d+", p.parent.name)]
    return sorted(done, key=lambda p: int(p.name.split("-")[1]), reverse=True)


def save_checkpoint(checkpoint_dir: Path, step: int, model, optimizer, scheduler, losses, lrs, tokens, keep: int = 2) -> Path:
    """Write a complete checkpoint atomically (temp dir, then rename) and prune old ones."""
    import torch

    final = Path(checkpoint_dir) / f"step-{step:06d}"
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    model.save_pretrained(partial / "adapter")
    torch.save(optimizer.state_dict(), partial / "optimizer.pt")
    torch.save(scheduler.state_dict(), partial / "scheduler.pt")
    rng = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    torch.save(rng, partial / "rng.pt")
    state = {"step": step, "losses": losses, "learning_rates": lrs, "train_tokens": tokens}
    (partial / CHECKPOINT_DONE).write_text(json.dumps(state))
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    for old in list_checkpoints(checkpoint_dir)[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def restore_checkpoint(checkpoint_dir: Path, model, optimizer, scheduler) -> dict | None:
    """Load the newest checkpoint that loads cleanly; fall back to older ones if it is corrupt.

    Returns:
        The checkpoint's state dict (``step``, ``losses``, ...) or ``None`` when there is none.
    """
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    for checkpoint in list_checkpoints(checkpoint_dir):
        try:
            state = json.loads((checkpoint / CHECKPOINT_DONE).read_text())
            weights = load_file(checkpoint / "adapter" / "adapter_model.safetensors")
            optimizer_state = torch.load(checkpoint / "optimizer.pt", weights_only=False)
            scheduler_state = torch.load(checkpoint / "scheduler.pt", weights_only=False)
            rng = torch.load(checkpoint / "rng.pt", weights_only=False)
        except Exception as error:  # noqa: BLE001 - any unreadable file means "try the previous one"
            log.warning("checkpoint %s is unreadable (%s); trying an older one", checkpoint.name, error)
            continue
        set_peft_model_state_dict(model, weights)
        optimizer.load_state_dict(optimizer_state)
        scheduler.load_state_dict(scheduler_state)
        random.setstate(rng["python"])
        torch.set_rng_state(rng["torch"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        log.info("resuming from %s", checkpoint.name)
        return state
    return None


def total_steps(cfg: TrainConfig, n_examples: int) -> int:
    """Optimizer steps to run: ``max_steps``, or ``epochs`` worth of batches when set."""
    if cfg.epochs is None:
        return cfg.max_steps
    batches_per_epoch = math.ceil(n_examples / cfg.batch_size)
    return max(1, math.ceil(cfg.epochs * batches_per_epoch / cfg.grad_accum))


def merge_adapter(model_dir: Path, adapter_dir: Path, target: Path) -> Path:
    """Save base model + adapter merged into plain weights (loadable without peft)."""
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    merged = PeftModel.from_pretrained(base, adapter_dir).merge_and_unload()
    merged.save_pretrained(target)
    AutoTokenizer.from_pretrained(model_dir).save_pretrained(target)
    return target


def peak_memory_mb() -> float:
    """Peak memory of this process: CUDA allocator peak on GPU, max RSS on CPU (MiB)."""
    import torch

    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # ru_maxrss is KiB on Linux


def train_lora(
    records: list[dict],
    model_dir: Path,
    cfg: TrainConfig,
    output_dir: Path,
    on_step: Callable[[int, dict], None] | None = None,
    stop_after: int | None = None,
) -> TrainResult:
    """Fine-tune LoRA adapters on chat records; resume from ``output_dir/checkpoints`` if present.

    Args:
        records: Chat records (the snapshot's train split).
        model_dir: Local directory of the base model.
        cfg: Training config.
        output_dir: Receives ``checkpoints/`` and the final ``adapter/``.
        on_step: Called after each optimizer step with ``(step, {"loss", "learning_rate", "tokens_per_second"})``.
            The step count to expect is ``total_steps(cfg, len(records))``.
        stop_after: Stop (without finishing) after this many steps; used to simulate interruption.

    Returns:
        A ``TrainResult``; the adapter is saved as safetensors in ``output_dir/adapter``.
    """
    import torch
    from transformers import AutoTokenizer, get_scheduler

    started = time.perf_counter()
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    method = choose_method(cfg.method)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    examples = [tokenize_chat(tokenizer, r["messages"], cfg.max_seq_len) for r in records]
    examples = [e for e in examples if any(label != IGNORE_INDEX for label in e[1])]
    if not examples:
        raise ValueError("no trainable examples: every record lost its assistant turn to truncation")
    model = load_model_for_training(model_dir, cfg, method)
    device = next(model.parameters()).device
    if device.type == "cpu":  # CUDA's Philox bernoulli is already cheap
        from tuneops.lora_dropout import use_int16_dropout

        use_int16_dropout(model)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.learning_rate, weight_decay=0.0)
    max_steps = total_steps(cfg, len(examples))
    scheduler = get_scheduler(cfg.lr_scheduler, optimizer, num_warmup_steps=cfg.warmup_steps, num_training_steps=max_steps)
    checkpoint_dir = Path(output_dir) / "checkpoints"
    state = restore_checkpoint(checkpoint_dir, model, optimizer, scheduler) or {}
    step = start_step = state.get("step", 0)
    losses, lrs = state.get("losses", []), state.get("learning_rates", [])
    tokens = state.get("train_tokens", 0)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    batches = batch_stream([len(ids) for ids, _ in examples], cfg.batch_size, cfg.seed)
    for _ in range(start_step * cfg.grad_accum):  # skip the data already trained on
        next(batches)
    model.train()
    window_start, window_tokens = time.perf_counter(), 0
    while step < max_steps and (stop_after is None or step < stop_after):
        step_loss = 0.0
        for _ in range(cfg.grad_accum):
            batch = {k: v.to(device) for k, v in collate([examples[i] for i in next(batches)], pad_id).items()}
            loss = assistant_token_loss(model, batch) / cfg.grad_accum
            loss.backward()
            step_loss += loss.item()
            real_tokens = int(batch["attention_mask"].sum())
            tokens += real_tokens
            window_tokens += real_tokens
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(step_loss)
        lrs.append(scheduler.get_last_lr()[0])
        elapsed = time.perf_counter() - window_start
        if on_step:
            on_step(step, {"loss": step_loss, "learning_rate": lrs[-1], "tokens_per_second": window_tokens / max(elapsed, 1e-9)})
        if step % cfg.checkpoint_every == 0 or step == max_steps:
            save_checkpoint(checkpoint_dir, step, model, optimizer, scheduler, losses, lrs, tokens)
    seconds = time.perf_counter() - started
    adapter_dir = Path(output_dir) / "adapter"
    if step >= max_steps:
        model.save_pretrained(adapter_dir)
        tokenizer.save_pretrained(adapter_dir)
        if cfg.merge_adapter:
            merge_adapter(model_dir, adapter_dir, Path(output_dir) / "merged")
    trained_tokens = tokens - state.get("train_tokens", 0)
    return TrainResult(
        adapter_dir=str(adapter_dir),
        method=method,
        steps=step,
        resumed_from_step=start_step,
        final_loss=float(sum(losses[-5:]) / len(losses[-5:])) if losses else math.nan,
        losses=losses,
        learning_rates=lrs,
        train_tokens=tokens,
        tokens_per_second=trained_tokens / max(time.perf_counter() - window_start, 1e-9),
        peak_memory_mb=peak_memory_mb(),
        seconds=seconds,
        trainable_parameters=sum(p.numel() for p in trainable),
    )
