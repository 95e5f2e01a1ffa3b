"""Ingest raw files into chat records; quarantine what cannot be used.

Accepted line formats (JSONL):

* chat: ``{"id"?, "messages": [{"role", "content"}], "metadata"?}``
* prompt/completion: ``{"prompt", "completion"}``
* Alpaca: ``{"instruction", "input"?, "output"}``

Every line ends up either as a record or as a quarantine entry carrying the
source file, the 1-based line number, the reason and the raw text, so nothing
is lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tuneops.records import RecordError, check_messages, content_id


@dataclass(frozen=True)
class Quarantined:
    """A raw line that could not become a record."""

    source: str
    line: int
    reason: str
    raw: str
    id: str | None = None

    def to_dict(self) -> dict:
        """JSON-serialisable form written to ``quarantine.jsonl``."""
        return {"id": self.id, "source": self.source, "line": self.line, "reason": self.reason, "raw": self.raw}


def to_messages(obj: dict) -> list[dict]:
    """Convert any accepted format to a chat message list (unchecked)."""
    if "messages" in obj:
        return obj["messages"]
    if "prompt" in obj or "completion" in obj:
        return [
            {"role": "user", "content": obj.get("prompt")},
            {"role": "assistant", "content": obj.get("completion")},
        ]
    if "instruction" in obj:
        instruction = obj.get("instruction") or ""
        extra = obj.get("input") or ""
        prompt = f"{instruction}\n\n{extra}" if extra else instruction
        return [{"role": "user", "content": prompt}, {"role": "assistant", "content": obj.get("output")}]
    raise RecordError("unknown format: expected 'messages', 'prompt'/'completion' or 'instruction'/'output'")


def parse_line(raw: bytes, source: str, line_no: int, max_chars: int) -> dict | Quarantined:
    """Parse one raw JSONL line into a record, or a ``Quarantined`` entry saying why not."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return Quarantined(source, line_no, f"invalid UTF-8 at byte {error.start}", raw.decode("utf-8", "backslashreplace"))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as error:
        return Quarantined(source, line_no, f"bad JSON: {error.msg} at column {error.colno}", text)
    if not isinstance(obj, dict):
        return Quarantined(source, line_no, f"bad JSON: expected an object, got {type(obj).__name__}", text)
    record_id = obj.get("id")
    record_id = str(record_id) if record_id not in (None, "") else None
    try:
        messages = to_messages(obj)
        check_messages(messages, max_chars)
    except RecordError as error:
        return Quarantined(source, line_no, str(error), text, record_id)
    messages = [{"role": m["role"], "content": m["content"]} for m in messages]
    metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    metadata = {**metadata, "source_file": source, "source_line": line_no}
    return {"id": record_id or content_id(messages), "messages": messages, "metadata": metadata}


def iter_input_files(inputs: list[Path]) -> list[Path]:
    """Expand directories into their ``*.jsonl`` files, sorted for determinism."""
    files: list[Path] = []
    for path in inputs:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(path.glob("*.jsonl")))
        elif path.is_file():
            files.append(path)
        else:
            raise FileNotFoundError(f"input not found: {path}")
    return files


def display_path(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` when inside it, so outputs do not depend on the checkout location."""
    path = Path(path).resolve()
    if root is not None and path.is_relative_to(Path(root).resolve()):
        return path.relative_to(Path(root).resolve()).as_posix()
    return path.as_posix()


def ingest(inputs: list[Path], max_chars: int, root: Path | None = None) -> Iterator[dict | Quarantined]:
    """Stream records and quarantine entries from the given files or directories.

    Args:
        inputs: JSONL files, or directories whose ``*.jsonl`` files are read.
        max_chars: Longest accepted record in characters.
        root: Source paths are recorded relative to this directory.

    Yields:
        A record dict or a ``Quarantined`` for every non-blank line, in input order.
    """
    for path in iter_input_files(inputs):
        with open(path, "rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                raw = raw.rstrip(b"\r\n")
                if raw.strip():
                    yield parse_line(raw, display_path(path, root), line_no, max_chars)
