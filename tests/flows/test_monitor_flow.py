"""Drift monitor and retrain flows under prefect_test_harness: champion -> production log -> drift -> retrain."""

import json
import re
from datetime import datetime, timedelta, timezone

import mlflow
import pytest
from prefect.testing.utilities import prefect_test_harness
from typer.testing import CliRunner

from flows.monitor import drift_monitor
from flows.pipeline import pipeline
from flows.retrain import retrain
from tests.flows.test_pipeline_flow import FAST
from tests.helpers import write_params
from tests.traffic import traffic
from tuneops.cli import app
from tuneops.config import load_params
from tuneops.monitoring.production_log import ProductionRecord, open_production_log

WINDOW_END = datetime(2026, 11, 23, 11, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def harness():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def log_traffic(params_file, start, n, shift, seed):
    params = load_params(params_file)
    log = open_production_log(params.monitor.production_log, params.root)
    for row in traffic(n, shift, seed=seed, start=start, span=timedelta(minutes=59)):
        log.append(ProductionRecord.model_validate(row))


def test_drift_report_event_and_idempotent_retrain(harness, tmp_path, tiny_model_dir):
    overrides = json.loads(json.dumps(FAST))
    overrides["train"]["base_model"] = str(tiny_model_dir)
    overrides["monitor"] = {"drift": {"embedding_records": 150}}
    params_file = str(write_params(tmp_path, overrides, raw_lines=300))
    # Scheduled hourly from day one: before any snapshot exists the monitor completes and says why.
    assert drift_monitor(params_file, window_end=WINDOW_END.isoformat())["skipped"] == "no snapshot yet"
    first = pipeline(params_file)
    assert first["decision"] == "GO"

    # `tuneops serve` resolves the champion from the registry: base model + that version's adapter.
    from fastapi.testclient import TestClient

    from tuneops.serving import ModelNotFound, create_app, load_served_model

    params = load_params(params_file)
    served = load_served_model(params)
    assert (served.name, served.version) == ("demo-model", "1") and hasattr(served.model, "peft_config")
    health = TestClient(create_app(served, open_production_log(params.monitor.production_log, params.root))).get("/healthz")
    assert health.json()["model_version"] == "1"
    assert load_served_model(params, "base").version is None
    with pytest.raises(ModelNotFound, match="demo-model:7"):
        load_served_model(params, "demo-model:7")

    # Hour 1 in distribution, hour 2 with 30% of requests on a new topic.
    log_traffic(params_file, WINDOW_END - timedelta(hours=2), 200, 0.0, seed=1)
    log_traffic(params_file, WINDOW_END - timedelta(hours=1), 200, 0.3, seed=2)
    quiet = drift_monitor(params_file, window_end=(WINDOW_END - timedelta(hours=1)).isoformat())
    assert not quiet["drift"] and quiet["event_id"] is None and quiet["n_current"] == 200
    drifted = drift_monitor(params_file, window_end=WINDOW_END.isoformat())
    assert drifted["drift"] and drifted["event_id"]

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow' / 'mlflow.db'}")
    client = mlflow.MlflowClient()
    run = client.get_run(drifted["mlflow_run_id"])
    assert run.data.tags["drift"] == "True" and run.data.tags["snapshot_id"] == first["snapshot_id"]
    assert {"drift/drift.html", "drift/drift.png", "drift/drift.json"} <= {a.path for a in client.list_artifacts(run.info.run_id, "drift")}

    # The CLI reads the snapshot id as reference, like the flow.
    out = CliRunner().invoke(app, ["drift", "check", "--reference", first["snapshot_id"][:10], "--json", "--params", params_file,
                                   "--current", str(tmp_path / ".tuneops" / "production" / "2026-11-23.jsonl")])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["n_reference"] == drifted["n_reference"]

    # What the automation would start: retrain with the event's parameters.
    start = drifted["window_start"]
    result = retrain(window_start=start, window_end=drifted["window_end"], model_name="demo-model",
                     idempotency_key=drifted["event_id"], params_file=params_file)
    assert result["previous_snapshot_id"] == first["snapshot_id"] and result["snapshot_id"] != first["snapshot_id"]
    assert result["production"]["records"] == 200 and result["production"]["corrected"] > 0
    assert result["model_version"] == "2"
    manifest = json.loads(next((tmp_path / "state" / "snapshots" / result["snapshot_id"]).glob("manifest.json")).read_text())
    sources = {s["path"].rsplit("/", 1)[-1] for s in manifest["sources"]}
    assert "production-window.jsonl" in sources and any(s.startswith("snapshot-") for s in sources)
    # Production inputs went through PII masking like any raw data.
    from tasks.version_tasks import snapshot_store
    from tuneops.records import read_jsonl

    store = snapshot_store(load_params(params_file))
    data_dir = store.data_dir(store.get(result["snapshot_id"]))
    production_rows = [r for split in ("train", "eval") for r in read_jsonl(data_dir / f"{split}.jsonl")
                       if r["id"].startswith("prod-")]
    assert len(production_rows) > 150
    texts = " ".join(m["content"] for r in production_rows for m in r["messages"])
    assert "<PERSON>" in texts and not re.search(r"[\w.]+@[\w.]+\.\w+", texts)

    again = retrain(window_start=start, window_end=drifted["window_end"], model_name="demo-model",
                    idempotency_key=drifted["event_id"], params_file=params_file)
    assert "already retrained" in again["skipped"]
