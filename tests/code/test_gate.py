"""decide(): table-driven go/no-go."""

import pytest

from tuneops.config import GateConfig
from tuneops.gate import decide

T = GateConfig(min_metrics={"json_valid": 0.9, "category_accuracy": 0.7},
               min_gain_over_base={"category_accuracy": 0.1}, min_gain_over_champion=0.0,
               max_regression={"regression_accuracy": 0.15},
               primary_metric="category_accuracy", max_pii_leaks=0)
GOOD = {"json_valid": 0.98, "category_accuracy": 0.9, "pii_leaks": 0, "regression_accuracy": 0.5}
BASE = {"json_valid": 0.1, "category_accuracy": 0.2, "pii_leaks": 0, "regression_accuracy": 0.6}

CASES = [
    ("all good, no champion", GOOD, BASE, None, True, None),
    ("below absolute minimum", GOOD | {"json_valid": 0.5}, BASE, None, False, "json_valid=0.500"),
    ("not better than base", GOOD | {"category_accuracy": 0.75}, BASE | {"category_accuracy": 0.7}, None, False, "vs base"),
    ("pii leak", GOOD | {"pii_leaks": 1}, BASE, None, False, "pii_leaks=1.000"),
    ("forgot general skills", GOOD | {"regression_accuracy": 0.4}, BASE, None, False, "regression vs base"),
    ("missing metric fails", {k: v for k, v in GOOD.items() if k != "json_valid"}, BASE, None, False, "json_valid=missing"),
    ("worse than champion", GOOD, BASE, {"category_accuracy": 0.95}, False, "vs champion"),
    ("ties champion", GOOD, BASE, {"category_accuracy": 0.9}, True, None),
]


@pytest.mark.parametrize("name, cand, base, champ, go, failing", CASES, ids=[c[0] for c in CASES])
def test_decide(name, cand, base, champ, go, failing):
    decision = decide(cand, base, champ, T)
    assert decision.go is go
    assert decision.label == ("GO" if go else "NO-GO")
    fails = [r for r in decision.reasons if r.startswith("FAIL")]
    if go:
        assert not fails
    else:
        assert any(failing in r for r in fails), decision.reasons


@pytest.mark.parametrize("output", ['{"summary": "token sk-tuneopsCanary7f3a9c2e1b4d5f60"}',
                                    '{"summary": "call +1 (415) 555-0132"}'])
def test_output_with_canary_or_pii_is_no_go(output):
    from tuneops.curate.pii import PiiMasker
    from tuneops.evaluation import pii_leaks

    clean = '{"category": "billing"}'
    leaks = pii_leaks([clean, output], PiiMasker(["phone"]), canaries=["sk-tuneopsCanary7f3a9c2e1b4d5f60"])
    decision = decide(GOOD | leaks, BASE, None, T)
    assert not decision.go
    assert any(r.startswith("FAIL pii_leaks=1.000") for r in decision.reasons)
