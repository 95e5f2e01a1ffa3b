"""Drift between a reference (the training snapshot) and a window of production inputs.

Each signal is a two-sample test with a p-value and an effect size (``score`` in [0, 1]):

* ``embedding``: a domain classifier (logistic regression on sentence embeddings) is fitted on
  one half of each side and scored on the other half; its AUC is tested with a one-sided
  Mann-Whitney U test. Score ``2 * AUC - 1`` (0 = indistinguishable, 1 = fully separable).
* ``length``: words per input, two-sample Kolmogorov-Smirnov. Score: the KS statistic.
* ``vocabulary``: per-input out-of-vocabulary rate against a vocabulary built from one half of
  the reference, comparing the other half with the current window (so the reference is not
  judged against its own words), Kolmogorov-Smirnov. Score: the KS statistic.
* ``pii``: share of inputs that contain PII, two-proportion z-test. Score: the difference.
* ``category``: category mix (labels or predicted labels, where both sides have them),
  chi-square test. Score: total variation distance.

The false-alarm rate is controlled per check: a signal alarms only when its p-value is below
``alpha / k`` (Bonferroni over the ``k`` signals that ran) *and* its score reaches the signal's
``min_score``, so large windows do not alarm on differences too small to matter. Both sides
are compared after the same PII masking (the reference is masked training data, production
inputs are raw), so masking itself is never mistaken for drift.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from tuneops.config import DriftConfig
from tuneops.curate.pii import PiiMasker

Embed = Callable[[list[str]], np.ndarray]

# A masked value: <EMAIL> (placeholder) or <EMAIL_1a2b3c4d> (keyed pseudonym).
MASK_TAG = re.compile(r"<([A-Z][A-Z0-9_]*?)(?:_[0-9a-f]{8})?>")
TOKEN = re.compile(r"<[A-Z][A-Z0-9_]*>|[^\W\d_]+|\d+")


@dataclass
class TextSample:
    """One side of a comparison: input texts and, where known, a category per text."""

    texts: list[str]
    labels: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.labels:
            self.labels = [None] * len(self.texts)
        if len(self.labels) != len(self.texts):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels")

    def take(self, index: np.ndarray) -> TextSample:
        """The sub-sample at ``index``."""
        return TextSample([self.texts[i] for i in index], [self.labels[i] for i in index])

    @classmethod
    def join(cls, parts: Sequence[TextSample]) -> TextSample:
        """The samples one after another."""
        return cls([t for p in parts for t in p.texts], [x for p in parts for x in p.labels])


@dataclass
class Signal:
    """The outcome of one signal's test."""

    name: str
    score: float
    p_value: float
    min_score: float
    p_threshold: float
    details: dict = field(default_factory=dict)

    @property
    def drift(self) -> bool:
        return self.p_value < self.p_threshold and self.score >= self.min_score

    def to_json(self) -> dict:
        return {"drift": self.drift, "score": round(self.score, 6), "p_value": float(f"{self.p_value:.6g}"),
                "min_score": self.min_score, "p_threshold": float(f"{self.p_threshold:.6g}"), **self.details}


@dataclass
class DriftResult:
    """A whole check; ``to_json()`` is the documented output of ``tuneops drift check``."""

    n_reference: int
    n_current: int
    alpha: float
    signals: dict[str, Signal]
    skipped: dict[str, str]
    insufficient_data: str | None = None
    # Per-record values for the report's plots (not part of the JSON).
    plot_data: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)

    @property
    def drift(self) -> bool:
        return self.insufficient_data is None and any(s.drift for s in self.signals.values())

    @property
    def score(self) -> float:
        return max((s.score for s in self.signals.values()), default=0.0)

    def to_json(self) -> dict:
        out = {
            "drift": self.drift,
            "score": round(self.score, 6),
            "signals": {name: s.to_json() for name, s in self.signals.items()},
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "alpha": self.alpha,
        }
        if self.skipped:
            out["skipped"] = self.skipped
        if self.insufficient_data:
            out["insufficient_data"] = self.insufficient_data
        return out


def mask_texts(texts: Sequence[str], masker: PiiMasker) -> tuple[list[str], list[Counter]]:
    """Mask PII as placeholders and fold pseudonyms to their type, so both sides read alike.

    Returns:
        The masked texts and, per text, the count of masked values per entity type (values that
        were already masked in the input count too).
    """
    masked, counts = [], []
    for text in texts:
        # Splice placeholders over the detected spans (no per-record regex as in curation: one turn only).
        parts, last = [], 0
        for start, end, entity in masker.find(text):
            parts += [text[last:start], masker.replacement(text[start:end], entity)]
            last = end
        clean = MASK_TAG.sub(lambda m: f"<{m.group(1)}>", "".join(parts) + text[last:])
        masked.append(clean)
        counts.append(Counter(m.group(1).lower() for m in MASK_TAG.finditer(clean)))
    return masked, counts


def tokens(text: str) -> list[str]:
    """Lower-cased words and mask tags; any run of digits is one token ``0`` (ids are not vocabulary)."""
    return ["0" if t.isdigit() else t.lower() for t in TOKEN.findall(text)]


def _sample(n: int, limit: int, rng: np.random.Generator) -> np.ndarray:
    return np.arange(n) if n <= limit else np.sort(rng.choice(n, size=limit, replace=False))


def _halves(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(n)
    return order[: n // 2], order[n // 2:]


def length_signal(ref: list[list[str]], cur: list[list[str]]) -> tuple[float, float, dict, tuple]:
    """KS test on words per input."""
    from scipy.stats import ks_2samp

    a = np.array([len(t) for t in ref], dtype=float)
    b = np.array([len(t) for t in cur], dtype=float)
    test = ks_2samp(a, b, method="asymp")
    details = {"mean_reference": round(float(a.mean()), 2), "mean_current": round(float(b.mean()), 2)}
    return float(test.statistic), float(test.pvalue), details, (a, b)


def vocabulary_signal(ref: list[list[str]], cur: list[list[str]], rng: np.random.Generator) -> tuple[float, float, dict, tuple]:
    """KS test on the out-of-vocabulary rate, vocabulary from a held-apart half of the reference."""
    from scipy.stats import ks_2samp

    build, held = _halves(len(ref), rng)
    vocabulary = {token for i in build for token in ref[i]}

    def oov_rates(docs) -> np.ndarray:
        return np.array([sum(t not in vocabulary for t in d) / len(d) if d else 0.0 for d in docs])

    a, b = oov_rates(ref[i] for i in held), oov_rates(cur)
    test = ks_2samp(a, b, method="asymp")
    new_words = Counter(t for d in cur for t in set(d) if t not in vocabulary)
    details = {
        "oov_rate_reference": round(float(a.mean()), 4),
        "oov_rate_current": round(float(b.mean()), 4),
        "top_new_words": [w for w, _ in new_words.most_common(10)],
    }
    return float(test.statistic), float(test.pvalue), details, (a, b)


def pii_signal(ref: list[Counter], cur: list[Counter]) -> tuple[float, float, dict]:
    """Two-proportion z-test on the share of inputs with any PII."""
    from scipy.stats import norm

    hits_a, hits_b = sum(1 for c in ref if c), sum(1 for c in cur if c)
    p_a, p_b = hits_a / len(ref), hits_b / len(cur)
    pooled = (hits_a + hits_b) / (len(ref) + len(cur))
    se = math.sqrt(pooled * (1 - pooled) * (1 / len(ref) + 1 / len(cur)))
    p_value = 1.0 if se == 0 else float(2 * norm.sf(abs(p_a - p_b) / se))
    per_entity = {
        entity: [round(sum(c[entity] > 0 for c in ref) / len(ref), 4), round(sum(c[entity] > 0 for c in cur) / len(cur), 4)]
        for entity in sorted({e for c in (*ref, *cur) for e in c})
    }
    details = {"rate_reference": round(p_a, 4), "rate_current": round(p_b, 4),
               "per_entity_rate_reference_current": per_entity}
    return abs(p_a - p_b), p_value, details


def category_signal(ref: list[str], cur: list[str]) -> tuple[float, float, dict]:
    """Chi-square test on the category mix; score is the total variation distance."""
    from scipy.stats import chi2_contingency

    categories = sorted(set(ref) | set(cur))
    ca, cb = Counter(ref), Counter(cur)
    table = np.array([[ca[c] for c in categories], [cb[c] for c in categories]], dtype=float)
    p_value = 1.0 if len(categories) < 2 else float(chi2_contingency(table).pvalue)
    share_a, share_b = table[0] / table[0].sum(), table[1] / table[1].sum()
    details = {"share_reference": dict(zip(categories, np.round(share_a, 4).tolist())),
               "share_current": dict(zip(categories, np.round(share_b, 4).tolist()))}
    return float(0.5 * np.abs(share_a - share_b).sum()), p_value, details


def embedding_signal(ref: np.ndarray, cur: np.ndarray, rng: np.random.Generator, seed: int) -> tuple[float, float, dict, tuple]:
    """Domain classifier on embeddings: fit on one half of each side, test its AUC on the other."""
    from scipy.stats import mannwhitneyu
    from sklearn.linear_model import LogisticRegression

    fit_a, test_a = _halves(len(ref), rng)
    fit_b, test_b = _halves(len(cur), rng)
    features = np.vstack([ref[fit_a], cur[fit_b]])
    target = np.r_[np.zeros(len(fit_a)), np.ones(len(fit_b))]
    classifier = LogisticRegression(C=1.0, max_iter=500, random_state=seed).fit(features, target)
    score_a = classifier.decision_function(ref[test_a])
    score_b = classifier.decision_function(cur[test_b])
    # Held-out scores are exchangeable when nothing drifted, so the U test's p-value is valid.
    test = mannwhitneyu(score_b, score_a, alternative="greater")
    auc = float(test.statistic) / (len(score_a) * len(score_b))
    return max(0.0, 2 * auc - 1), float(test.pvalue), {"auc": round(auc, 4)}, (score_a, score_b)


def check_drift(reference: TextSample, current: TextSample, cfg: DriftConfig, masker: PiiMasker,
                embed: Embed | None = None) -> DriftResult:
    """Compare a production window with the reference on every configured signal.

    Args:
        reference: Inputs the model was trained on (user turns of the snapshot's records).
        current: Production inputs of the window.
        cfg: Signals, false-alarm rate, sample sizes and effect-size floors.
        masker: The curation PII masker; applied to both sides before comparing.
        embed: Texts -> L2-normalised embeddings (n, d). Required when ``embedding`` is a signal.

    Returns:
        The verdict with a score and a p-value per signal. Fewer than ``cfg.min_records`` on
        either side gives no verdict (``drift`` false, ``insufficient_data`` says why).
    """
    n_ref, n_cur = len(reference.texts), len(current.texts)
    result = DriftResult(n_ref, n_cur, cfg.alpha, {}, {})
    if min(n_ref, n_cur) < cfg.min_records:
        result.insufficient_data = f"need at least {cfg.min_records} records per side, got {n_ref} and {n_cur}"
        return result

    rng = np.random.default_rng(cfg.seed)
    ref = reference.take(_sample(n_ref, cfg.max_records, rng))
    cur = current.take(_sample(n_cur, cfg.max_records, rng))
    ref_masked, ref_pii = mask_texts(ref.texts, masker)
    cur_masked, cur_pii = mask_texts(cur.texts, masker)
    ref_tokens, cur_tokens = [tokens(t) for t in ref_masked], [tokens(t) for t in cur_masked]

    ref_labels = [x for x in ref.labels if x]
    cur_labels = [x for x in cur.labels if x]
    wanted = list(cfg.signals)
    if "category" in wanted and min(len(ref_labels), len(cur_labels)) < cfg.min_records:
        wanted.remove("category")
        result.skipped["category"] = "fewer than min_records labelled inputs on a side"
    if "embedding" in wanted and embed is None:
        raise ValueError("the embedding signal needs an embedding function")

    threshold = cfg.alpha / max(len(wanted), 1)
    raw: dict[str, tuple] = {}
    if "length" in wanted:
        *raw["length"], result.plot_data["words per input"] = length_signal(ref_tokens, cur_tokens)
    if "vocabulary" in wanted:
        *raw["vocabulary"], result.plot_data["out-of-vocabulary rate"] = vocabulary_signal(ref_tokens, cur_tokens, rng)
    if "pii" in wanted:
        raw["pii"] = pii_signal(ref_pii, cur_pii)
    if "category" in wanted:
        raw["category"] = category_signal(ref_labels, cur_labels)
    if "embedding" in wanted:
        limit = cfg.embedding_records
        emb_ref = np.asarray(embed([ref_masked[i] for i in _sample(len(ref_masked), limit, rng)]))
        emb_cur = np.asarray(embed([cur_masked[i] for i in _sample(len(cur_masked), limit, rng)]))
        *raw["embedding"], result.plot_data["domain classifier score"] = embedding_signal(emb_ref, emb_cur, rng, cfg.seed)
        raw["embedding"][2]["n_embedded"] = [len(emb_ref), len(emb_cur)]

    for name, (score, p_value, details) in raw.items():
        result.signals[name] = Signal(name, score, p_value, cfg.min_score.get(name, 0.1), threshold, details)
    return result
