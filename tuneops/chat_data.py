"""Render chat records into token ids and loss labels with the model's own chat template.

Loss is computed only on assistant turns, including their end-of-turn token,
so the model learns to answer and to stop. Text is split at turn boundaries
and each piece tokenised separately, which makes the label mask exact rather
than an approximation from character offsets.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

IGNORE_INDEX = -100  # label value ignored by torch's cross-entropy


class ChatTemplateError(ValueError):
    """The tokenizer's chat template cannot be used for assistant-only loss."""


def segments(tokenizer, messages: list[dict]) -> list[tuple[str, bool]]:
    """Split a rendered conversation into ``(text, is_assistant)`` pieces.

    The assistant piece of each turn runs from after the generation prompt
    through the end-of-turn token; whatever the template puts after that
    token (a newline, say) is not trained on.
    """
    pieces: list[tuple[str, bool]] = []
    done = ""
    eos = tokenizer.eos_token
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        prompt = tokenizer.apply_chat_template(messages[:index], add_generation_prompt=True, tokenize=False)
        through = tokenizer.apply_chat_template(messages[: index + 1], tokenize=False)
        if not prompt.startswith(done) or not through.startswith(prompt):
            raise ChatTemplateError("chat template output is not prefix-stable; cannot mask assistant turns")
        answer = through[len(prompt):]
        cut = answer.find(eos) + len(eos) if eos and eos in answer else len(answer)
        pieces.append((prompt[len(done):], False))
        pieces.append((answer[:cut], True))
        done = prompt + answer[:cut]
        if answer[cut:]:
            pieces.append((answer[cut:], False))
            done += answer[cut:]
    return [(text, trained) for text, trained in pieces if text]


def tokenize_chat(tokenizer, messages: list[dict], max_len: int) -> tuple[list[int], list[int]]:
    """Token ids and labels (``IGNORE_INDEX`` outside assistant turns), truncated to ``max_len``."""
    input_ids: list[int] = []
    labels: list[int] = []
    for text, trained in segments(tokenizer, messages):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        input_ids.extend(ids)
        labels.extend(ids if trained else [IGNORE_INDEX] * len(ids))
    return input_ids[:max_len], labels[:max_len]


def length_grouped_batches(lengths: list[int], batch_size: int, seed: int, epoch: int) -> list[list[int]]:
    """Batches of indices with similar lengths, in a seeded random order.

    Sorting within windows of ``50 * batch_size`` examples keeps padding small
    while the shuffle of windows and of batches keeps training stochastic.
    The result depends only on ``(lengths, batch_size, seed, epoch)``, which
    is what makes resuming from a checkpoint reproducible.
    """
    rng = random.Random(f"{seed}:{epoch}")
    order = list(range(len(lengths)))
    rng.shuffle(order)
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = sorted(order[start:start + window], key=lambda i: lengths[i])
        batches.extend(chunk[i:i + batch_size] for i in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def batch_stream(lengths: list[int], batch_size: int, seed: int) -> Iterator[list[int]]:
    """Endless batches, epoch after epoch."""
    epoch = 0
    while True:
        yield from length_grouped_batches(lengths, batch_size, seed, epoch)
        epoch += 1
