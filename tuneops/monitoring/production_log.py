"""The production input log: what the served model was asked, and any feedback.

One record per request (the documented schema is :class:`ProductionRecord`)::

    {"timestamp": "2026-11-23T10:04:05.123456+00:00",   # UTC, when the request arrived
     "request_id": "3f0c...",                           # unique per request
     "model": "demo-model", "model_version": "3",       # registry name and version that answered
     "messages": [{"role": "system", ...}, {"role": "user", "content": "..."}],   # the request
     "response": "{\\"category\\": ...}",                 # the served answer (optional)
     "latency_ms": 412.5,                               # optional
     "feedback": {"label": "billing", "corrected_answer": "..."},   # optional, from a reviewer
     "metadata": {"predicted_category": "billing"}}     # optional, free-form

Two stores, chosen by ``monitor.production_log``: a directory of daily JSONL files
(``YYYY-MM-DD.jsonl``, UTC days, append-only), or any SQLAlchemy URL
(``sqlite:///...``, ``postgresql://...``) holding the table ``tuneops_production_log``.
The log holds raw inputs, so it is as sensitive as the raw training data; PII is
masked when records enter training (through the curate path), not here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tuneops.records import read_jsonl

TABLE = "tuneops_production_log"


class Feedback(BaseModel):
    """A reviewer's verdict on one answer."""

    model_config = ConfigDict(extra="forbid")
    label: str | None = Field(None, description="Correct category label.")
    corrected_answer: str | None = Field(None, description="The answer the model should have given.")


class ProductionRecord(BaseModel):
    """One logged production request (see the module docstring for an example)."""

    model_config = ConfigDict(extra="forbid")
    timestamp: datetime
    request_id: str
    model: str
    model_version: str | None = None
    messages: list[dict]
    response: str | None = None
    latency_ms: float | None = None
    feedback: Feedback | None = None
    metadata: dict = Field(default_factory=dict)

    @field_validator("timestamp")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def to_json(self) -> dict:
        """JSON-ready dict without unset optional fields."""
        return self.model_dump(mode="json", exclude_none=True)


def user_text(messages: list[dict]) -> str:
    """The user-authored part of a conversation: its user turns joined by newlines."""
    return "\n".join(m["content"] for m in messages if m.get("role") == "user" and isinstance(m.get("content"), str))


class JsonlProductionLog:
    """Daily JSONL files under a directory; appends are serialised within the process."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()

    def append(self, record: ProductionRecord) -> None:
        """Append one record to the file of its UTC day."""
        path = self.directory / f"{record.timestamp:%Y-%m-%d}.jsonl"
        line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
        with self._lock:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)

    def read_window(self, start: datetime, end: datetime, model: str | None = None) -> Iterator[ProductionRecord]:
        """Records with ``start <= timestamp < end`` (and of ``model`` when given), in file order."""
        day = start.astimezone(timezone.utc).date()
        while day <= end.astimezone(timezone.utc).date():
            path = self.directory / f"{day:%Y-%m-%d}.jsonl"
            if path.exists():
                for row in read_jsonl(path):
                    record = ProductionRecord.model_validate(row)
                    if start <= record.timestamp < end and (model is None or record.model == model):
                        yield record
            day += timedelta(days=1)


class SqlProductionLog:
    """A SQL table (SQLAlchemy URL); the record is stored as JSON beside indexed columns."""

    def __init__(self, url: str):
        import sqlalchemy as sa

        self.engine = sa.create_engine(url)
        metadata = sa.MetaData()
        self.table = sa.Table(
            TABLE, metadata,
            sa.Column("request_id", sa.String(64), primary_key=True),
            sa.Column("timestamp", sa.DateTime(timezone=True), index=True, nullable=False),
            sa.Column("model", sa.String(200), index=True, nullable=False),
            sa.Column("record", sa.Text, nullable=False),
        )
        metadata.create_all(self.engine)

    def append(self, record: ProductionRecord) -> None:
        """Insert one record."""
        with self.engine.begin() as connection:
            connection.execute(self.table.insert().values(
                request_id=record.request_id, timestamp=record.timestamp.replace(tzinfo=None),
                model=record.model, record=json.dumps(record.to_json(), ensure_ascii=False),
            ))

    def read_window(self, start: datetime, end: datetime, model: str | None = None) -> Iterator[ProductionRecord]:
        """Records with ``start <= timestamp < end`` (and of ``model`` when given), oldest first."""
        import sqlalchemy as sa

        # Stored as naive UTC: SQLite has no time zones.
        lo, hi = (t.astimezone(timezone.utc).replace(tzinfo=None) for t in (start, end))
        query = sa.select(self.table.c.record).where(self.table.c.timestamp >= lo, self.table.c.timestamp < hi)
        if model is not None:
            query = query.where(self.table.c.model == model)
        with self.engine.connect() as connection:
            for (text,) in connection.execute(query.order_by(self.table.c.timestamp)):
                yield ProductionRecord.model_validate_json(text)


def open_production_log(location: str, root: Path = Path(".")) -> JsonlProductionLog | SqlProductionLog:
    """The store for ``monitor.production_log``: a SQLAlchemy URL, else a directory (relative to ``root``)."""
    if "://" in location:
        if location.startswith("sqlite:///") and not location.startswith("sqlite:////"):
            location = "sqlite:///" + str((root / location[len("sqlite:///"):]).resolve())
        return SqlProductionLog(location)
    path = Path(location)
    return JsonlProductionLog(path if path.is_absolute() else root / path)
