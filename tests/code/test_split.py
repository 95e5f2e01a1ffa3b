"""Split: deterministic, stable under additions, stratified in expectation."""

from collections import Counter

from tuneops.curate.split import split_of


def test_deterministic_and_seeded():
    ids = [f"r{i}" for i in range(500)]
    first = [split_of(i, "x", 0.2, 1) for i in ids]
    assert first == [split_of(i, "x", 0.2, 1) for i in ids]
    assert first != [split_of(i, "x", 0.2, 2) for i in ids]


def test_each_label_gets_about_the_eval_fraction():
    for label in ("billing", "shipping", None):
        sides = Counter(split_of(f"r{i}", label, 0.1, 42) for i in range(4000))
        assert 0.08 < sides["eval"] / 4000 < 0.12
