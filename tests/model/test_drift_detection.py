"""Drift detection with the real embedding model: false-alarm rate and power over 100 seeded trials."""

import numpy as np
import pytest

from tests.helpers import REPO
from tests.traffic import traffic
from tuneops.config import load_params
from tuneops.curate.pipeline import build_masker
from tuneops.monitoring.drift import TextSample, check_drift, mask_texts
from tuneops.monitoring.embeddings import Embedder
from tuneops.monitoring.production_log import ProductionRecord
from tuneops.monitoring.samples import production_sample

TRIALS = 100
SIDE = 300  # inputs per side per trial
NEW_TOPIC_SHARE = 0.3


def sample_of(rows) -> TextSample:
    return production_sample(ProductionRecord.model_validate(r) for r in rows)


@pytest.fixture(scope="module")
def pools():
    """In-distribution and new-topic pools, embedded once; trials draw from them without replacement."""
    params = load_params(REPO / "params.yaml")
    masker = build_masker(params.curate)
    base = sample_of(traffic(1400, 0.0, seed=101))
    new = sample_of(traffic(200, 1.0, seed=202))
    masked, _ = mask_texts(base.texts + new.texts, masker)
    vectors = Embedder()(masked)
    lookup = dict(zip(masked, vectors))

    def embed(texts: list[str]) -> np.ndarray:
        return np.stack([lookup[t] for t in texts])

    return params.monitor.drift, masker, base, new, embed


def test_false_alarm_rate_and_power_over_seeded_trials(pools):
    cfg, masker, base, new, embed = pools
    false_alarms = detections = 0
    n_new = round(SIDE * NEW_TOPIC_SHARE)
    for trial in range(TRIALS):
        rng = np.random.default_rng(trial)
        order = rng.permutation(len(base.texts))
        reference = base.take(order[:SIDE])
        unshifted = base.take(order[SIDE:2 * SIDE])
        kept = base.take(order[2 * SIDE:3 * SIDE - n_new])
        fresh = new.take(rng.choice(len(new.texts), n_new, replace=False))
        shifted = TextSample(kept.texts + fresh.texts, kept.labels + fresh.labels)
        false_alarms += check_drift(reference, unshifted, cfg, masker, embed).drift
        detections += check_drift(reference, shifted, cfg, masker, embed).drift
    assert false_alarms <= 5, f"{false_alarms}/{TRIALS} false alarms"
    assert detections >= 95, f"{detections}/{TRIALS} detections"


def test_embedding_alone_detects_a_topic_shift(pools):
    """With only the embedding signal, the domain classifier must carry the detection itself."""
    cfg, masker, base, new, embed = pools
    only = cfg.model_copy(update={"signals": ["embedding"]})
    reference = base.take(np.arange(SIDE))
    shifted = TextSample(base.texts[SIDE:2 * SIDE - 90] + new.texts[:90])
    result = check_drift(reference, shifted, only, masker, embed)
    assert result.drift and result.signals["embedding"].details["auc"] > 0.6
    assert not check_drift(reference, base.take(np.arange(SIDE, 2 * SIDE)), only, masker, embed).drift
