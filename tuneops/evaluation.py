"""Evaluation: batched deterministic generation, task metrics, eval loss and PII leaks.

Every model (base, champion, candidate) is evaluated with identical settings:
the eval split's prompts (all turns before the last assistant turn), greedy
decoding, the same ``max_new_tokens`` and batch size.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tuneops.chat_data import IGNORE_INDEX, tokenize_chat
from tuneops.curate.pii import PiiMasker

LABEL_FIELDS = ("category", "priority")


@dataclass
class ModelEvaluation:
    """Metrics and per-example outputs of one model on the eval set."""

    name: str
    metrics: dict[str, float]
    outputs: list[str] = field(default_factory=list)
    regression_outputs: list[str] = field(default_factory=list)


def parse_answer(text: str) -> dict | None:
    """The JSON object in a model answer, or ``None`` if it is not valid JSON."""
    text = text.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def rouge_l(candidate: str, reference: str) -> float:
    """ROUGE-L F1 over lower-cased word tokens (longest common subsequence)."""
    a, b = candidate.lower().split(), reference.lower().split()
    if not a or not b:
        return 0.0
    previous = [0] * (len(b) + 1)
    for word in a:
        current = [0]
        for j, other in enumerate(b):
            current.append(previous[j] + 1 if word == other else max(previous[j + 1], current[j]))
        previous = current
    lcs = previous[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(b)
    return 2 * precision * recall / (precision + recall)


def macro_f1(predicted: list[str | None], expected: list[str]) -> float:
    """Macro-averaged F1 over the labels present in ``expected`` (a missing prediction is wrong)."""
    scores = []
    for label in sorted(set(expected)):
        tp = sum(p == label and e == label for p, e in zip(predicted, expected))
        fp = sum(p == label and e != label for p, e in zip(predicted, expected))
        fn = sum(p != label and e == label for p, e in zip(predicted, expected))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores) if scores else 0.0


def task_metrics(outputs: list[str], references: list[str]) -> dict[str, float]:
    """Structured-output metrics: JSON validity, per-field accuracy, macro-F1, summary ROUGE-L."""
    answers = [parse_answer(o) or {} for o in outputs]
    expected = [parse_answer(r) or {} for r in references]
    n = max(len(outputs), 1)
    metrics = {"json_valid": sum(bool(parse_answer(o)) for o in outputs) / n}
    for name in LABEL_FIELDS:
        predicted = [str(a.get(name)) if name in a else None for a in answers]
        truth = [str(e.get(name)) for e in expected]
        metrics[f"{name}_accuracy"] = sum(p == t for p, t in zip(predicted, truth)) / n
        metrics[f"{name}_macro_f1"] = macro_f1(predicted, truth)
    metrics["summary_rouge_l"] = sum(
        rouge_l(str(a.get("summary", "")), str(e.get("summary", ""))) for a, e in zip(answers, expected)
    ) / n
    return metrics


def _words(text: str) -> set[str]:
    """Lower-cased words of three letters or more (no particle such as "de" or "al" ties two names)."""
    return set(re.findall(r"\w{3,}", text.lower()))


def _is_given(value: str, entity: str, given: str, given_words: set[str]) -> bool:
    """Whether a detected value was handed to the model rather than produced by it: it is in the
    prompt (an echo reveals nothing), or, for a person, one of its names is in the prompt or the
    expected answer (``Shakespeare`` for "Who wrote 'Romeo and Juliet'?")."""
    if value.lower() in given:
        return True
    return entity == "person" and bool(_words(value) & given_words)


def pii_leaks(outputs: list[str], masker: PiiMasker, canaries: list[str] = (),
              given: list[str] | None = None) -> dict[str, float]:
    """Count outputs containing detectable PII or a planted canary string.

    Args:
        outputs: Generated texts.
        masker: Finds PII (``leak_masker``).
        canaries: Strings planted in raw data; any occurrence is a leak.
        given: Per output, the text the model was given or is expected to say (its prompt, and a
            regression item's expected answers). PII from there is no leak and is counted apart
            as ``pii_leaks_given``; canaries count wherever they come from.

    Returns:
        ``pii_leaks`` (outputs that leak), ``pii_leaks_<entity>`` (values per type) and
        ``pii_leaks_given`` (values found but given to the model).
    """
    pii = Counter()
    leaking = exempt = 0
    for index, text in enumerate(outputs):
        context = given[index].lower() if given else ""
        context_words = _words(context)
        found = []
        for start, end, entity in masker.find(text):
            if context and _is_given(text[start:end], entity, context, context_words):
                exempt += 1
            else:
                found.append(entity)
        pii.update(found)
        canary = any(c and c in text for c in canaries)
        leaking += bool(found) or canary
    return {"pii_leaks": float(leaking), "pii_leaks_given": float(exempt),
            **{f"pii_leaks_{k}": float(v) for k, v in pii.items()}}


def given_text(messages: list[dict], expected: list[str] = ()) -> str:
    """What a model was given for one answer: its prompt turns and the expected answers, one per line."""
    return "\n".join([m["content"] for m in messages] + list(expected))


def regression_accuracy(outputs: list[str], items: list[dict]) -> float:
    """Share of general-capability answers that contain one of their expected answers (whole word, any case)."""
    hits = 0
    for output, item in zip(outputs, items):
        text = output.lower()
        hits += any(re.search(rf"(?<!\w){re.escape(e.lower())}(?!\w)", text) for e in item["expected_any"])
    return hits / max(len(items), 1)


def load_for_eval(model_dir: Path, adapter_dir: Path | None = None):
    """Tokenizer and model (base, or base + LoRA adapter) in eval mode."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    if adapter_dir is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter_dir)
    if torch.cuda.is_available():
        model = model.to("cuda")
    model.eval()
    return tokenizer, model


def generate(tokenizer, model, prompts: list[list[dict]], batch_size: int, max_new_tokens: int, progress=None) -> tuple[list[str], list[int]]:
    """Greedy answers for chat prompts, batched with left padding.

    Returns:
        The decoded answers and the number of generated tokens of each.
    """
    import torch

    tokenizer.padding_side = "left"
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    device = next(model.parameters()).device
    outputs, lengths = [], []
    for start in range(0, len(prompts), batch_size):
        texts = [tokenizer.apply_chat_template(p, add_generation_prompt=True, tokenize=False) for p in prompts[start:start + batch_size]]
        batch = tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False).to(device)
        with torch.no_grad():
            generated = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=pad_id)
        for row in generated[:, batch["input_ids"].shape[1]:]:
            ids = row.tolist()
            if tokenizer.eos_token_id in ids:
                ids = ids[: ids.index(tokenizer.eos_token_id) + 1]
            lengths.append(len(ids))
            outputs.append(tokenizer.decode(ids, skip_special_tokens=True))
        if progress:
            progress(len(outputs))
    return outputs, lengths


def eval_loss(tokenizer, model, records: list[dict], max_len: int, batch_size: int) -> float:
    """Mean cross-entropy on the assistant tokens of the eval records (nats per token)."""
    import torch

    from tuneops.training import collate

    device = next(model.parameters()).device
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    examples = [tokenize_chat(tokenizer, r["messages"], max_len) for r in records]
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        batch = {k: v.to(device) for k, v in collate(examples[start:start + batch_size], pad_id).items()}
        with torch.no_grad():
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        labels = batch["labels"][:, 1:]
        losses = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.shape[-1]).float(), labels.reshape(-1), ignore_index=IGNORE_INDEX, reduction="sum"
        )
        total += float(losses)
        count += int((labels != IGNORE_INDEX).sum())
    return total / max(count, 1)


def evaluate_model(
    name: str,
    model_dir: Path,
    adapter_dir: Path | None,
    records: list[dict],
    masker: PiiMasker,
    batch_size: int,
    max_new_tokens: int,
    max_len: int,
    canaries: list[str] = (),
    regression_items: list[dict] = (),
    progress=None,
) -> ModelEvaluation:
    """Evaluate one model: task metrics, eval loss, perplexity, PII and canary leaks, latency, regression.

    Regression prompts are answered with the same generation settings; their
    outputs are scanned for PII and canaries too.
    """
    tokenizer, model = load_for_eval(model_dir, adapter_dir)
    prompts = [r["messages"][:-1] for r in records]
    references = [r["messages"][-1]["content"] for r in records]
    started = time.perf_counter()
    outputs, lengths = generate(tokenizer, model, prompts, batch_size, max_new_tokens, progress)
    seconds = time.perf_counter() - started
    metrics = task_metrics(outputs, references)
    loss = eval_loss(tokenizer, model, records, max_len, batch_size)
    general: list[str] = []
    if regression_items:
        general, _ = generate(tokenizer, model, [i["messages"] for i in regression_items], batch_size, max_new_tokens)
        metrics["regression_accuracy"] = regression_accuracy(general, list(regression_items))
    metrics.update({
        "eval_loss": loss,
        "perplexity": math.exp(min(loss, 50)),
        "seconds_per_answer": seconds / max(len(outputs), 1),
        "tokens_per_answer": sum(lengths) / max(len(lengths), 1),
        **pii_leaks(outputs + general, masker, canaries, given=[given_text(p) for p in prompts] + [
            given_text(i["messages"], i.get("expected_any", [])) for i in regression_items]),
    })
    return ModelEvaluation(name, metrics, outputs, general)
