"""Evaluation sets that overlap the training data: scores on them measure memory, not skill.

The curation already keeps the snapshot's own eval split clean (``curate.dedup.eval_contamination``).
This module checks an *external* set (the general-capability regression prompts) against what
a model is trained on: the snapshot's train split and the self-replay prompts. The test is the
curation's: user turns near-duplicate at ``curate.dedup.near_threshold``, numbers must agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from tuneops.config import CurateConfig
from tuneops.curate.dedup import prompt_text
from tuneops.curate.shards import dedup_for
from tuneops.records import batched

BATCH_RECORDS = 1000  # training records featurised at once (numpy work per batch)


def overlapping_prompts(items: Iterable[dict], training: Iterable[dict], cfg: CurateConfig) -> dict[str, str]:
    """Which ``items`` ask what a training record asks.

    Args:
        items: Evaluation records (``id``, ``messages``).
        training: Training records (``id``, ``messages``), streamed.
        cfg: Curation settings; ``cfg.dedup`` decides what counts as the same prompt.

    Returns:
        Item id -> id of the first training record whose user turns it duplicates.
    """
    index = dedup_for(cfg)
    for batch in batched(training, BATCH_RECORDS):  # all of them: near duplication is not transitive
        index.add_many([r["id"] for r in batch], index.features_batch([prompt_text(r) for r in batch]))
    items = list(items)
    overlaps = {}
    for item, features in zip(items, index.features_batch([prompt_text(i) for i in items])):
        found = index.find(features)
        if found:
            overlaps[item["id"]] = found[1]
    return overlaps
