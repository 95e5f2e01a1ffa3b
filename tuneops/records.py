"""Record schema and JSONL I/O shared by every stage.

A record is a plain dict ``{"id": str, "messages": [{"role", "content"}], "metadata": dict}``.
Plain dicts keep curation fast (no per-record model instantiation) while the
checks below give precise errors.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

ROLES = ("system", "user", "assistant")


class RecordError(ValueError):
    """A record that breaks the schema; the message says what is wrong."""


def content_id(messages: list[dict]) -> str:
    """Stable id derived from the conversation content (first 16 hex of SHA-256)."""
    canonical = json.dumps([[m["role"], m["content"]] for m in messages], ensure_ascii=False)
    return "sha-" + hashlib.sha256(canonical.encode()).hexdigest()[:16]


def check_messages(messages: object, max_chars: int) -> None:
    """Raise ``RecordError`` unless ``messages`` is a well-formed chat.

    Well-formed: a list of ``{"role", "content"}`` with known roles, non-empty
    string content, an optional leading system turn, then user and assistant
    turns alternating from user, ending with assistant, at most ``max_chars``
    characters in all.
    """
    if not isinstance(messages, list) or not messages:
        raise RecordError("missing or empty 'messages'")
    total = 0
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise RecordError(f"messages[{index}] is not an object")
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            raise RecordError(f"messages[{index}] has unknown role {role!r}")
        if not isinstance(content, str) or not content.strip():
            raise RecordError(f"messages[{index}] ({role}) has missing or empty content")
        total += len(content)
    roles = [m["role"] for m in messages]
    turns = roles[1:] if roles[0] == "system" else roles
    expected = ["user", "assistant"] * (len(turns) // 2 + 1)
    if not turns or turns != expected[: len(turns)] or turns[-1] != "assistant":
        raise RecordError(f"wrong role order {roles}: expected [system], user, assistant, ... ending with assistant")
    if total > max_chars:
        raise RecordError(f"too long: {total} characters > max_chars {max_chars}")


def read_jsonl(path: Path | str) -> Iterator[dict]:
    """Yield the JSON objects of a well-formed JSONL file (tuneops's own outputs)."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def write_jsonl(path: Path | str, rows: Iterable[dict]) -> int:
    """Write rows as JSONL (UTF-8, stable key order as given); return the count."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def record_label(record: dict) -> str | None:
    """The record's category label: ``metadata.category`` or the assistant JSON's ``category``."""
    label = (record.get("metadata") or {}).get("category")
    if label:
        return str(label)
    try:
        answer = json.loads(record["messages"][-1]["content"])
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return str(answer["category"]) if isinstance(answer, dict) and "category" in answer else None


def batched(rows: Iterable, size: int) -> Iterator[list]:
    """Consecutive lists of ``size`` items (the last may be shorter); ``itertools.batched`` needs Python 3.12."""
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
