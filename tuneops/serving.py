"""A minimal reference serving app: answers with the champion adapter and writes the production log.

It exists so that the monitoring loop (serve -> log -> drift check -> retrain) runs end to end on
one machine. It is not a production inference server: one model, greedy decoding, one request
at a time. Endpoints:

* ``POST /v1/chat/completions`` ``{"messages": [...], "max_tokens": 64}`` -> OpenAI-style reply,
  plus ``request_id`` to quote when sending feedback.
* ``POST /v1/feedback`` ``{"request_id", "label"?, "corrected_answer"?}`` -> logs a reviewer's verdict.
* ``GET /healthz`` -> model name and version.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from tuneops.evaluation import parse_answer
from tuneops.monitoring.production_log import Feedback, ProductionRecord
from tuneops.records import RecordError, check_messages


class ChatRequest(BaseModel):
    messages: list[dict[str, Any]]
    max_tokens: int = Field(64, gt=0, le=1024)


class FeedbackRequest(Feedback):
    request_id: str


@dataclass
class LoadedModel:
    """What the app serves: a tokenizer and model, and the registry name and version they come from."""

    tokenizer: Any
    model: Any
    name: str
    version: str | None


class ModelNotFound(LookupError):
    """The model reference does not resolve in the registry."""


def load_served_model(params, model: str | None = None) -> LoadedModel:
    """The base model plus the adapter of ``model`` (``MODEL[:V|@ALIAS]``, default the champion;
    ``"base"`` for the base model alone), ready to serve.

    Raises:
        ModelNotFound: The reference does not resolve (e.g. no champion yet).
    """
    import mlflow

    from tuneops.base_models import resolve_base_model
    from tuneops.evaluation import load_for_eval
    from tuneops.lineage import parse_model_ref, resolve_version

    base_dir = resolve_base_model(params.train.base_model, params.resolve(params.paths.model_cache))
    name, version, adapter = params.project.model_name, None, None
    if model != "base":
        reference = model or f"{name}@champion"
        mlflow.set_tracking_uri(params.mlflow_uri)
        try:
            found = resolve_version(mlflow.MlflowClient(), parse_model_ref(reference))
        except Exception as error:  # noqa: BLE001 - MLflow raises its own types for "not found"
            raise ModelNotFound(f"cannot resolve {reference}: {error}") from error
        name, version = found.name, str(found.version)
        adapter = Path(mlflow.artifacts.download_artifacts(artifact_uri=found.source))
    tokenizer, loaded = load_for_eval(base_dir, adapter)
    return LoadedModel(tokenizer, loaded, name, version)


def create_app(loaded: LoadedModel, log, max_chars: int = 8000):
    """The FastAPI app serving ``loaded`` and appending every request to ``log``.

    Args:
        loaded: Model to serve.
        log: A production log (``append(ProductionRecord)``).
        max_chars: Longest accepted conversation, as in curation.
    """
    from fastapi import FastAPI, HTTPException

    from tuneops.evaluation import generate

    app = FastAPI(title="tuneops reference server", version="1")
    lock = threading.Lock()  # one generation at a time: the model is not re-entrant

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok", "model": loaded.name, "model_version": loaded.version}

    @app.post("/v1/chat/completions")
    def chat(request: ChatRequest) -> dict:
        try:
            # A request ends with the user's turn; check it as a chat the assistant is about to answer.
            check_messages([*request.messages, {"role": "assistant", "content": "-"}], max_chars)
        except RecordError as error:
            raise HTTPException(status_code=422, detail=str(error)) from None
        arrived = datetime.now(timezone.utc)
        started = time.perf_counter()
        with lock:
            answers, _ = generate(loaded.tokenizer, loaded.model, [request.messages], 1, request.max_tokens)
        latency_ms = (time.perf_counter() - started) * 1000
        answer = answers[0]
        parsed = parse_answer(answer) or {}
        record = ProductionRecord(
            timestamp=arrived, request_id=uuid.uuid4().hex, model=loaded.name, model_version=loaded.version,
            messages=request.messages, response=answer, latency_ms=round(latency_ms, 1),
            metadata={"predicted_category": str(parsed["category"])} if "category" in parsed else {},
        )
        log.append(record)
        return {
            "id": record.request_id, "request_id": record.request_id, "object": "chat.completion",
            "model": f"{loaded.name}:{loaded.version}",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
        }

    @app.post("/v1/feedback")
    def feedback(request: FeedbackRequest) -> dict:
        if not (request.label or request.corrected_answer):
            raise HTTPException(status_code=422, detail="give a label or a corrected_answer")
        # Logged as its own record (messages empty) so the log stays append-only.
        log.append(ProductionRecord(
            timestamp=datetime.now(timezone.utc), request_id=f"feedback-{uuid.uuid4().hex}", model=loaded.name,
            model_version=loaded.version, messages=[],
            feedback=Feedback(label=request.label, corrected_answer=request.corrected_answer),
            metadata={"feedback_for": request.request_id},
        ))
        return {"status": "recorded", "request_id": request.request_id}

    return app
