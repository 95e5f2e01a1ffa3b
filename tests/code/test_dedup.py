"""Deduplication: exact, near, and what must survive."""

from tuneops.curate.dedup import Deduplicator, jaccard, normalise, shingles

BASE = ("Hi team, my order ORD-123456 has not arrived and tracking has not moved since Monday. "
        "Could you look into it? Thanks, <PERSON>")


def test_exact_after_normalisation():
    dedup = Deduplicator()
    assert dedup.check("a", BASE) is None
    assert dedup.check("b", BASE.upper().replace(",", "")) == ("exact", "a")


def test_near_duplicates_with_light_edits():
    dedup = Deduplicator()
    dedup.check("a", BASE)
    typo = BASE.replace("arrived", "arirved")
    greeting = "Hey there, " + BASE
    word = BASE.replace("Could you", "Can you")
    assert dedup.check("typo", typo) == ("near", "a")
    assert dedup.check("greeting", greeting) == ("near", "a")
    assert dedup.check("word", word) == ("near", "a")


def test_different_numbers_are_different_records():
    dedup = Deduplicator()
    dedup.check("a", BASE)
    assert dedup.check("b", BASE.replace("123456", "654321")) is None


def test_dissimilar_records_are_kept():
    dedup = Deduplicator()
    dedup.check("a", BASE)
    assert dedup.check("b", "The export from Analytics Pro is empty since version 2.1. Please advise.") is None
    # Kept records are compared against later ones too.
    assert dedup.check("c", "The export from Analytcis Pro is empty since version 2.1. Please advise.") == ("near", "b")


def test_helpers():
    assert normalise("  Hello,   WORLD! ") == "hello world"
    assert jaccard({1, 2}, {2, 3}) == 1 / 3
    assert len(shingles("abcdef", 5)) == 2


def test_minhash_estimate_tracks_true_jaccard():
    """The signature agreement must estimate Jaccard; a linear hash over CRC32 got a typo case badly wrong."""
    dedup = Deduplicator()
    base = shingles(BASE, 5)
    for variant in (BASE.replace("arrived", "arirved"), "Hey there, " + BASE, BASE.replace("Could you", "Can you"),
                    BASE.replace("Monday", "Tuesday"), "The export from Analytics Pro is empty. Please advise."):
        other = shingles(variant, 5)
        estimate = float((dedup.signature(base) == dedup.signature(other)).mean())
        assert abs(estimate - jaccard(base, other)) < 0.12, variant


def test_a_left_out_or_mistyped_number_is_still_a_near_duplicate():
    dedup = Deduplicator()
    dedup.check("a", BASE)
    assert dedup.check("dropped", BASE.replace("ORD-123456 ", "")) == ("near", "a")
    assert dedup.check("swapped", BASE.replace("123456", "124356")) == ("near", "a")


def test_short_numbers_with_swapped_digits_are_different_values():
    dedup = Deduplicator()
    base = "Exports from the mobile app are empty since version 4.12.3 on my phone, can you check please?"
    dedup.check("a", base)
    assert dedup.check("b", base.replace("4.12.3", "4.21.3")) is None


def test_features_do_not_depend_on_the_batch():
    """Sharded curation is byte-identical for any shard size only if each text's features are its own."""
    texts = [BASE, "", "abc", "Ünïcode tëxt with émojis 🙂 and more", BASE.upper(), "x" * 4, "y" * 5]
    dedup = Deduplicator()
    together = dedup.features_batch(texts)
    for text, batch_features in zip(texts, together):
        alone = dedup.features(text)
        assert alone.band_keys.tolist() == batch_features.band_keys.tolist()
        assert alone.shingles.tolist() == batch_features.shingles.tolist()
    assert dedup.features("abc").band_keys.tolist() != dedup.features("abd").band_keys.tolist()


def test_earliest_kept_record_wins():
    dedup = Deduplicator(threshold=0.5)
    first = BASE.replace("Hi team, my order", "Hello folks, the parcel")  # Jaccard to BASE 0.72
    second = BASE.replace("Could you look into it? Thanks", "Please check on it soon. Cheers")  # 0.55; 0.39 to first
    assert dedup.check_many(["a", "b", "c"], [first, second, BASE]) == [None, None, ("near", "a")]


def _edited_stream(n: int, seed: int) -> list[str]:
    """Templated tickets with numbers, exact repeats and light edits: many LSH candidates, some duplicates."""
    import random

    rng = random.Random(seed)
    subjects = ["order", "parcel", "invoice", "refund", "export", "login"]
    texts = []
    for i in range(n):
        roll = rng.random()
        if texts and roll < 0.15:
            texts.append(rng.choice(texts))  # exact repeat
        elif texts and roll < 0.45:
            words = rng.choice(texts).split()
            j = rng.randrange(len(words))
            words[j] = rng.choice(["really", "still", words[j].upper(), words[j][::-1]])
            texts.append(" ".join(words))
        else:
            texts.append(f"Hi, my {rng.choice(subjects)} {rng.randrange(100, 130)} has not arrived since "
                         f"{rng.choice(['Monday', 'Tuesday', 'last week'])}. Could you look into it? Thanks")
    return texts


def test_batches_decide_exactly_as_one_record_at_a_time():
    """check_batch finds candidates for a whole batch at once; its decisions must equal the sequential ones."""
    texts = _edited_stream(600, seed=3)
    ids = [f"r{i}" for i in range(len(texts))]
    sequential = Deduplicator(threshold=0.7)
    expected = [sequential.check(i, t) for i, t in zip(ids, texts)]
    assert sum(r is not None and r[0] == "near" for r in expected) > 50
    assert sum(r is not None and r[0] == "exact" for r in expected) > 50
    for batch_size in (1, 7, 128, 1000):
        batched_dedup = Deduplicator(threshold=0.7)
        got = []
        for start in range(0, len(texts), batch_size):
            got += batched_dedup.check_many(ids[start:start + batch_size], texts[start:start + batch_size])
        assert got == expected, batch_size


def test_single_adds_and_batches_share_one_index():
    """Records added one at a time (waiting in the index's dict) are found by batches, and the reverse."""
    dedup = Deduplicator()
    dedup.add("a", dedup.features(BASE))
    typo = BASE.replace("arrived", "arirved")
    other = "The nightly export from Analytics Pro fails with a timeout since the upgrade, please check it."
    assert dedup.check_many(["b", "c"], [typo, other]) == [("near", "a"), None]
    assert dedup.find(dedup.features(other.replace("please", "pls"))) == ("near", "c")
