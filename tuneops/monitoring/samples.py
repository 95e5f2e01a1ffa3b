"""Turning chat records and production log records into the texts the drift check compares."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from tuneops.monitoring.drift import TextSample
from tuneops.monitoring.production_log import ProductionRecord, user_text
from tuneops.records import read_jsonl, record_label


def chat_sample(records: Iterable[dict]) -> TextSample:
    """User turns and category labels of chat records (a snapshot's train split, or a chat JSONL file)."""
    texts, labels = [], []
    for record in records:
        text = user_text(record.get("messages") or [])
        if text:
            texts.append(text)
            labels.append(record_label(record))
    return TextSample(texts, labels)


def production_sample(records: Iterable[ProductionRecord]) -> TextSample:
    """User turns of logged requests; the label is the reviewer's, else the model's predicted category."""
    texts, labels = [], []
    for record in records:
        text = user_text(record.messages)
        if text:
            texts.append(text)
            label = (record.feedback.label if record.feedback else None) or record.metadata.get("predicted_category")
            labels.append(str(label) if label else None)
    return TextSample(texts, labels)


def file_sample(path: Path, skipped: list[str] | None = None) -> TextSample:
    """A JSONL file of chat records or of production log records (told apart per line).

    Lines that are not valid UTF-8 JSON objects of either kind are left out; each is noted in
    ``skipped`` (``"file:line: reason"``) so the caller can say so.
    """
    chats, logged = [], []
    with open(path, "rb") as handle:
        for line_no, raw in enumerate(handle, 1):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw.decode("utf-8"))
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
                if "request_id" in row and "timestamp" in row:
                    logged.append(ProductionRecord.model_validate(row))
                else:
                    chats.append(row)
            except ValueError as error:  # UnicodeDecodeError, JSONDecodeError, ValidationError
                if skipped is not None:
                    skipped.append(f"{path}:{line_no}: {str(error).splitlines()[0][:120]}")
    return TextSample.join([chat_sample(chats), production_sample(logged)])


def load_side(spec: str, snapshot_dir: Callable[[str], Path], skipped: list[str] | None = None) -> TextSample:
    """One side of ``tuneops drift check``: a JSONL file, a directory of them, or a snapshot id.

    Args:
        spec: Path of a chat or production-log JSONL file or directory, else a snapshot id (prefix).
        snapshot_dir: Snapshot id -> verified local data directory; the snapshot's train split is used,
            because that is what the model learned from.
    """
    path = Path(spec)
    if path.is_dir():
        files = sorted(path.glob("*.jsonl"))
        if not files:
            raise FileNotFoundError(f"{spec}: directory without *.jsonl files")
        return TextSample.join([file_sample(f, skipped) for f in files])
    if path.is_file():
        return file_sample(path, skipped)
    return snapshot_sample(snapshot_dir(spec))


def snapshot_sample(data_dir: Path) -> TextSample:
    """The reference a model is compared with: its snapshot's train split (what it learned from)."""
    return chat_sample(read_jsonl(Path(data_dir) / "train.jsonl"))
