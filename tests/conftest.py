"""Shared fixtures: repo paths, a tiny random model, isolated params files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import REPO


def pytest_collection_modifyitems(config, items):
    """Skip ``gpu`` tests where CUDA is absent (CI never has a GPU)."""
    import torch

    if torch.cuda.is_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def default_model_dir() -> Path:
    """The bundled SmolLM2-135M-Instruct, materialised as safetensors (shared cache)."""
    from tuneops.base_models import resolve_base_model
    from tuneops.config import BUNDLED_MODEL

    return resolve_base_model(BUNDLED_MODEL, REPO / ".cache" / "models")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, default_model_dir) -> Path:
    """A tiny random Llama (2 layers, hidden 64) with SmolLM2's tokenizer and chat template."""
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM
    import torch

    target = tmp_path_factory.mktemp("tiny-model")
    tokenizer = AutoTokenizer.from_pretrained(default_model_dir)
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=True,
        # Large init: with the default 0.02 the tied head yields near-uniform logits that adapters barely move.
        initializer_range=0.2,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    LlamaForCausalLM(config).save_pretrained(target)
    tokenizer.save_pretrained(target)
    return target


@pytest.fixture
def clean_copy(tmp_path):
    """Copy a file into tmp_path and return the copy."""
    def copy(path: Path) -> Path:
        return Path(shutil.copy(path, tmp_path / Path(path).name))
    return copy
