"""Self-replay: keep general skills by training on the base model's own answers.

Fine-tuning on a narrow task (JSON ticket triage) teaches the adapter to answer
everything in that style, and general answers get worse. Mixing in general
prompts answered by the base model itself, with no external data, pulls the
adapter towards the base behaviour off-task. The gate's regression check
measures the effect on a separate prompt set.
"""

from __future__ import annotations

from pathlib import Path


def replay_records(model_dir: Path, prompts: list[dict], count: int, batch_size: int, max_new_tokens: int) -> list[dict]:
    """``count`` chat records whose answers are the base model's greedy answers to ``prompts`` (cycled).

    Args:
        model_dir: The base model.
        prompts: Records whose ``messages`` end with a user turn.
        count: Replay records wanted (prompts repeat when there are fewer).
        batch_size: Generation batch size.
        max_new_tokens: Longest answer, in tokens.
    """
    if count <= 0 or not prompts:
        return []
    from tuneops.evaluation import generate, load_for_eval

    tokenizer, model = load_for_eval(model_dir)
    answers, _ = generate(tokenizer, model, [p["messages"] for p in prompts], batch_size, max_new_tokens)
    answered = [
        {"id": f"replay:{p.get('id', i)}", "messages": [*p["messages"], {"role": "assistant", "content": a.strip()}],
         "metadata": {"source": "base-model-replay"}}
        for i, (p, a) in enumerate(zip(prompts, answers)) if a.strip()
    ]
    return [answered[i % len(answered)] for i in range(count)] if answered else []
