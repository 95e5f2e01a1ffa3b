"""The drift monitor (the hourly ``drift-monitor`` deployment)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from tasks.monitor_tasks import drift_check, emit_drift_event, read_production_window, training_reference
from tuneops.config import load_params


def parse_time(value: str | datetime | None) -> datetime:
    """An aware UTC datetime from ISO text (``Z`` allowed); ``None`` is now."""
    if value is None:
        return datetime.now(timezone.utc)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


@flow(name="tuneops-drift-monitor", log_prints=True)
def drift_monitor(params_file: str = "params.yaml", window_end: str | None = None,
                  window_hours: float | None = None, overrides: dict | None = None) -> dict:
    """Check the latest window of production inputs for drift against the training snapshot.

    Steps:
        1. reference: the snapshot the champion was trained on (else the newest snapshot).
        2. window: production log records of the model from ``window_end - window_hours`` to ``window_end``.
        3. check: drift signals and tests; report as Prefect artifact and MLflow run (experiment ``<project>-monitoring``).
        4. on drift: emit ``tuneops.drift.detected``; the ``retrain`` deployment's trigger reacts to it.

    Args:
        params_file: Path of the params YAML.
        window_end: ISO time the window ends (default: now, UTC).
        window_hours: Window length (default: ``monitor.window_hours``).
        overrides: Nested params merged over the file.

    Returns:
        The check's JSON with ``window_start``, ``window_end`` and ``event_id`` (``None`` without drift).
    """
    params = load_params(params_file, overrides)
    end = parse_time(window_end)
    start = end - timedelta(hours=window_hours or params.monitor.window_hours)
    work_dir = params.resolve(params.paths.state_dir) / "flow-runs" / str(flow_run.get_id() or "local") / "drift"

    reference = training_reference(params)
    if reference is None:  # nothing trained yet: an hourly schedule should not fail for that
        get_run_logger().warning("no snapshot yet: nothing to compare production inputs with")
        return {"drift": False, "skipped": "no snapshot yet", "window_start": start.isoformat(),
                "window_end": end.isoformat(), "event_id": None}
    records = read_production_window(params, start, end)
    check = drift_check(params, reference, records, start, end, work_dir)
    event_id = emit_drift_event(params, reference, check, start, end) if check["drift"] else None
    get_run_logger().info("drift check %s .. %s: %s", start, end, "DRIFT" if check["drift"] else "no drift")
    return {**check, "window_start": start.isoformat(), "window_end": end.isoformat(), "event_id": event_id}
