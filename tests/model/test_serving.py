"""The reference serving app on a tiny model: answers, logs every request, takes feedback, rejects bad input."""

import pytest
from fastapi.testclient import TestClient

from tuneops.evaluation import load_for_eval
from tuneops.monitoring.production_log import JsonlProductionLog
from tuneops.monitoring.retrain_data import production_to_chat
from tuneops.serving import LoadedModel, create_app


@pytest.fixture
def served(tiny_model_dir, tmp_path):
    tokenizer, model = load_for_eval(tiny_model_dir)
    log = JsonlProductionLog(tmp_path / "production")
    return TestClient(create_app(LoadedModel(tokenizer, model, "demo-model", "3"), log)), log


def everything(log):
    from datetime import datetime, timezone

    return list(log.read_window(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)))


def test_answers_and_logs_each_request_with_model_version(served):
    client, log = served
    assert client.get("/healthz").json() == {"status": "ok", "model": "demo-model", "model_version": "3"}
    messages = [{"role": "system", "content": "Reply with JSON."}, {"role": "user", "content": "My invoice INV-1 is wrong"}]
    reply = client.post("/v1/chat/completions", json={"messages": messages, "max_tokens": 6})
    assert reply.status_code == 200
    body = reply.json()
    answer = body["choices"][0]["message"]["content"]
    [record] = everything(log)
    assert record.request_id == body["request_id"] and record.model_version == "3"
    assert record.messages == messages and record.response == answer and record.latency_ms > 0

    feedback = client.post("/v1/feedback", json={"request_id": body["request_id"], "label": "billing",
                                                  "corrected_answer": '{"category": "billing"}'})
    assert feedback.status_code == 200
    rows, counts = production_to_chat(everything(log), use_served_answers=False)
    assert counts["corrected"] == 1 and rows[0]["messages"][-1]["content"] == '{"category": "billing"}'


def test_malformed_request_is_rejected_and_not_logged(served):
    client, log = served
    bad = client.post("/v1/chat/completions", json={"messages": [{"role": "robot", "content": "hi"}]})
    assert bad.status_code == 422 and "unknown role" in bad.text
    assert client.post("/v1/feedback", json={"request_id": "x"}).status_code == 422
    assert everything(log) == []
