"""Evaluation metrics (pure functions)."""

import json

import pytest

from tuneops.curate.pii import PiiMasker
from tuneops.evaluation import macro_f1, parse_answer, pii_leaks, regression_accuracy, rouge_l, task_metrics


def answer(category, priority="low", summary="Order late"):
    return json.dumps({"category": category, "priority": priority, "summary": summary})


def test_task_metrics():
    refs = [answer("billing"), answer("shipping"), answer("account", "high")]
    outs = [answer("billing"), "not json", answer("account", "low", "Order late")]
    m = task_metrics(outs, refs)
    assert m["json_valid"] == pytest.approx(2 / 3)
    assert m["category_accuracy"] == pytest.approx(2 / 3)
    assert m["priority_accuracy"] == pytest.approx(1 / 3)
    assert m["summary_rouge_l"] == pytest.approx(2 / 3)


def test_parse_answer_accepts_fenced_json():
    assert parse_answer('```json\n{"a": 1}\n```') == {"a": 1}
    assert parse_answer("[1]") is None


def test_rouge_l_and_macro_f1():
    assert rouge_l("the cat sat", "the cat sat") == 1.0
    assert rouge_l("a b", "c d") == 0.0
    assert macro_f1(["a", "a", "b"], ["a", "b", "b"]) == pytest.approx((2 / 3 + 2 / 3) / 2)


def test_pii_and_canary_leaks_are_counted():
    masker = PiiMasker(["email", "phone"])
    outputs = ['{"summary": "mail bob@corp.com"}', "contains CANARY-7f3a", "clean <EMAIL> placeholder"]
    leaks = pii_leaks(outputs, masker, canaries=["CANARY-7f3a"])
    assert leaks["pii_leaks"] == 2
    assert leaks["pii_leaks_email"] == 1


def test_regression_accuracy_matches_whole_words():
    items = [{"expected_any": ["paris"]}, {"expected_any": ["8", "eight"]}, {"expected_any": ["au"]}]
    outputs = ["The capital is Paris.", "A spider has 18 legs.", "Because gold"]
    assert regression_accuracy(outputs, items) == pytest.approx(1 / 3)


def test_leak_check_ignores_invented_words_but_not_names():
    """Generated text: two invented capitalised words are no leak (the rare-word rule is off), a real name is."""
    from tuneops.config import parse_params
    from tuneops.curate.pipeline import detection_masker, leak_masker

    cfg = parse_params({}).curate
    assert detection_masker(cfg).find("Qorvex Blantu said hi")  # what the curation would mask in input text
    assert pii_leaks(["Qorvex Blantu said hi"], leak_masker(cfg))["pii_leaks"] == 0
    assert pii_leaks(["cc Maria Lindqvist"], leak_masker(cfg))["pii_leaks"] == 1


def test_leak_check_skips_pii_the_model_was_given_but_counts_the_rest():
    """A name from the prompt or the expected answer is no leak; another name, an email or a canary is."""
    from tuneops.config import parse_params
    from tuneops.curate.pipeline import leak_masker
    from tuneops.evaluation import given_text

    masker = leak_masker(parse_params({}).curate)
    question = given_text([{"role": "user", "content": "Who wrote 'Romeo and Juliet'?"}], ["shakespeare"])
    answer = "Romeo and Juliet was written by William Shakespeare."
    assert pii_leaks([answer], masker)["pii_leaks"] == 1  # without what was given, every name counts
    assert pii_leaks([answer], masker, given=[question]) == {"pii_leaks": 0, "pii_leaks_given": 3}
    leaking = [answer + " Ask Maria Lindqvist.", answer + " Mail bob@corp.com", "CANARY-7f3a"]
    leaks = pii_leaks(leaking, masker, canaries=["CANARY-7f3a"], given=[question, question, "say CANARY-7f3a"])
    assert leaks["pii_leaks"] == 3 and leaks["pii_leaks_person"] == 1 and leaks["pii_leaks_email"] == 1
    # a particle the prompt shares with a name gives the name away no more than any other short word
    assert pii_leaks(["Ask Maria de Souza."], masker, given=["Translate 'of' into Portuguese: de"])["pii_leaks"] == 1
