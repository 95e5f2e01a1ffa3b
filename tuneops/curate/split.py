"""Deterministic, stable train/eval split.

Each record's side depends only on its id, its label and the seed, never on
the other records: adding records later (retraining on new production data)
never moves an existing eval record into training, which would contaminate
the evaluation. Because the hash is salted with the label, every label gets
``eval_fraction`` of its records in expectation (stratified).
"""

from __future__ import annotations

import hashlib


def split_of(record_id: str, label: str | None, eval_fraction: float, seed: int) -> str:
    """Return ``"eval"`` or ``"train"`` for one record.

    Args:
        record_id: The record's stable id.
        label: Its category label, if any.
        eval_fraction: Share of records that go to eval, in (0, 1).
        seed: Split seed; change it to draw a different split.
    """
    digest = hashlib.sha256(f"{seed}:{label or ''}:{record_id}".encode()).digest()
    position = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    return "eval" if position < eval_fraction else "train"
