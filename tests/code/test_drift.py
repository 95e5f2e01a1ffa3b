"""Drift check logic (no embedding model: cheap signals), production log, retrain data, CLI contract."""

import json
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.helpers import REPO, write_params
from tests.traffic import traffic
from tuneops.cli import app
from tuneops.config import load_params
from tuneops.curate.pii import PiiMasker
from tuneops.curate.pipeline import build_masker
from tuneops.monitoring.drift import TextSample, check_drift, mask_texts, tokens
from tuneops.monitoring.production_log import ProductionRecord, open_production_log
from tuneops.monitoring.retrain_data import production_to_chat
from tuneops.monitoring.samples import production_sample

PARAMS = load_params(REPO / "params.yaml")
CHEAP = PARAMS.monitor.drift.model_copy(update={"signals": ["length", "vocabulary", "pii", "category"]})
MASKER = build_masker(PARAMS.curate)


def sample(n, shift=0.0, seed=0) -> TextSample:
    return production_sample(ProductionRecord.model_validate(r) for r in traffic(n, shift, seed=seed))


def test_too_few_records_gives_no_verdict():
    result = check_drift(sample(50, seed=1), sample(500, shift=1.0, seed=2), CHEAP, MASKER)
    assert not result.drift and "at least 100" in result.to_json()["insufficient_data"]


def test_new_topic_drifts_and_names_the_new_words():
    result = check_drift(sample(400, seed=1), sample(400, shift=0.3, seed=2), CHEAP, MASKER)
    out = result.to_json()
    assert out["drift"] and out["signals"]["vocabulary"]["drift"]
    assert "firmware" in out["signals"]["vocabulary"]["top_new_words"]
    assert out["signals"]["category"]["share_current"]["technical"] > out["signals"]["category"]["share_reference"]["technical"]
    assert out["score"] == max(s["score"] for s in out["signals"].values())


def test_masked_reference_against_raw_production_is_not_drift():
    """Training data is masked, production inputs are raw: masking both sides alike removes that difference."""
    reference = sample(400, seed=1)
    masked_reference = TextSample(mask_texts(reference.texts, MASKER)[0], reference.labels)
    pseudonymised = PiiMasker(PARAMS.curate.pii.entities, "pseudonym", key=b"k" * 32)
    pseudo_reference = TextSample(mask_texts(reference.texts, pseudonymised)[0], reference.labels)
    raw_current = sample(400, seed=2)
    for ref in (masked_reference, pseudo_reference):
        result = check_drift(ref, raw_current, CHEAP, MASKER)
        assert not result.drift, result.to_json()
        assert abs(result.signals["pii"].details["rate_reference"] - result.signals["pii"].details["rate_current"]) < 0.05


def test_small_but_significant_difference_below_min_score_does_not_alarm():
    """On large windows, a p-value alone would alarm on a 4-point shift nobody cares about."""
    cfg = CHEAP.model_copy(update={"signals": ["category"], "min_records": 100})
    labels_a = ["billing"] * 5000 + ["technical"] * 5000
    labels_b = ["billing"] * 4600 + ["technical"] * 5400
    result = check_drift(TextSample(["x y"] * 10000, labels_a), TextSample(["x y"] * 10000, labels_b), cfg, MASKER)
    signal = result.signals["category"]
    assert signal.p_value < signal.p_threshold and signal.score < signal.min_score and not result.drift


def test_category_is_skipped_without_labels():
    result = check_drift(TextSample(sample(200, seed=1).texts), sample(200, seed=2), CHEAP, MASKER)
    assert "category" in result.skipped and "category" not in result.signals
    assert result.signals["length"].p_threshold == pytest.approx(CHEAP.alpha / 3)


def test_tokens_fold_digits_and_keep_mask_tags():
    assert tokens("Order ORD-123456 for <EMAIL> failed with E4021") == ["order", "ord", "0", "for", "<email>", "failed", "with", "e", "0"]


@pytest.mark.parametrize("location", ["log", "sqlite:///log.db"])
def test_production_log_window_bounds_and_model_filter(tmp_path, location):
    log = open_production_log(location, tmp_path)
    t0 = datetime(2026, 11, 23, 23, 30, tzinfo=timezone.utc)
    for minutes, model in ((0, "a"), (20, "a"), (40, "b"), (60, "a"), (90, "a")):  # crosses midnight
        log.append(ProductionRecord(timestamp=t0 + timedelta(minutes=minutes), request_id=f"r{minutes}", model=model,
                                    messages=[{"role": "user", "content": f"hi {minutes}"}]))
    window = list(log.read_window(t0 + timedelta(minutes=20), t0 + timedelta(minutes=90), model="a"))
    assert [r.request_id for r in window] == ["r20", "r60"]
    assert all(r.timestamp.tzinfo is not None for r in window)


def test_production_to_chat_uses_corrections_then_served_answers():
    t = datetime(2026, 11, 23, tzinfo=timezone.utc)
    user = [{"role": "user", "content": "my invoice is wrong"}]
    records = [
        ProductionRecord(timestamp=t, request_id="a", model="m", messages=user, response="served-a"),
        ProductionRecord(timestamp=t, request_id="b", model="m", messages=user, response="served-b"),
        ProductionRecord(timestamp=t, request_id="c", model="m", messages=user),
        ProductionRecord(timestamp=t, request_id="feedback-1", model="m", messages=[],
                         feedback={"label": "billing", "corrected_answer": "fixed-b"}, metadata={"feedback_for": "b"}),
    ]
    rows, counts = production_to_chat(records, use_served_answers=True)
    assert [r["messages"][-1]["content"] for r in rows] == ["served-a", "fixed-b"]
    assert rows[1]["metadata"]["category"] == "billing" and rows[1]["metadata"]["answer_origin"] == "corrected"
    assert counts == {"corrected": 1, "served": 1, "left_out_unanswered": 1}
    rows, counts = production_to_chat(records, use_served_answers=False)
    assert [r["id"] for r in rows] == ["prod-b"] and counts["left_out_unanswered"] == 2


def test_drift_check_cli_prints_the_documented_json_and_exits_zero(tmp_path):
    params_file = write_params(tmp_path, {"monitor": {"drift": {"signals": ["length", "vocabulary", "pii", "category"]}}})
    files = {}
    for name, shift in (("ref", 0.0), ("same", 0.0), ("new", 0.3)):
        files[name] = tmp_path / f"{name}.jsonl"
        files[name].write_text("\n".join(json.dumps(r) for r in traffic(300, shift, seed=hash(name) % 1000)) + "\n")
    files["ref"].open("ab").write(b"{not json\n\xff\xfe\n")  # unreadable lines are left out, not fatal
    verdicts = {}
    for name in ("same", "new"):
        result = CliRunner().invoke(app, ["drift", "check", "--reference", str(files["ref"]), "--current", str(files[name]),
                                          "--json", "--params", str(params_file), "--report-dir", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        out = json.loads(result.stdout)
        assert set(out) >= {"drift", "score", "signals", "n_reference", "n_current"}
        assert out["n_reference"] == 300 and out["n_current"] == 300
        assert isinstance(out["score"], float) and isinstance(out["drift"], bool)
        verdicts[name] = out["drift"]
        assert (tmp_path / name / "drift.png").stat().st_size > 1000
    assert verdicts == {"same": False, "new": True}
    missing = CliRunner().invoke(app, ["drift", "check", "--reference", "no-such-snapshot", "--current",
                                       str(files["new"]), "--params", str(params_file)])
    assert missing.exit_code == 2


def test_monitor_config_rejects_unknown_signal():
    from tuneops.config import ConfigError, parse_params

    with pytest.raises(ConfigError, match="monitor.drift.min_score"):
        parse_params({"monitor": {"drift": {"min_score": {"embeddings": 0.1}}}})
    assert np.isclose(PARAMS.monitor.drift.alpha, 0.01)


def test_pseudonym_mode_needs_no_key_to_check_drift(tmp_path, monkeypatch):
    """Finding PII (drift, leak scans) uses a placeholder detector, so pseudonym mode without a key still works."""
    from tuneops.curate.pipeline import detection_masker

    monkeypatch.delenv("TUNEOPS_PSEUDONYM_KEY", raising=False)
    cfg = PARAMS.curate.model_copy(update={"pii": PARAMS.curate.pii.model_copy(update={"mode": "pseudonym"})})
    assert detection_masker(cfg).find("mail jane.doe@example.com") == [(5, 25, "email")]
    params_file = write_params(tmp_path, {"curate": {"pii": {"mode": "pseudonym"}},
                                          "monitor": {"drift": {"signals": ["length", "pii"]}}})
    data = tmp_path / "w.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in traffic(150, 0.0, seed=3)) + "\n")
    result = CliRunner().invoke(app, ["drift", "check", "--reference", str(data), "--current", str(data), "--json",
                                      "--params", str(params_file)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["drift"] is False
