"""Ingest raw files into chat records; quarantine what cannot be used.

Accepted line formats (JSONL):

* chat: ``{"id"?, "messages": [{"role", "content"}], "metadata"?}``
* prompt/completion: ``{"prompt", "completion"}``
* Alpaca: ``{"instruction", "input"?, "output"}``

and CSV files (``*.csv``, header row first) whose columns map to the turns, id and metadata
as ``curate.csv`` says. A CSV row becomes the same JSON a chat line would be, so both go
through the same checks.

Every line ends up either as a record or as a quarantine entry carrying the
source file, the 1-based line number, the reason and the raw text, so nothing
is lost.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tuneops.config import CsvConfig
from tuneops.records import RecordError, check_messages, content_id

INPUT_SUFFIXES = (".jsonl", ".csv")

# (source file as recorded, 1-based line number, the line as JSON bytes or why it was quarantined)
RawLine = tuple[str, int, "bytes | Quarantined"]


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
    """Expand directories into their ``*.jsonl`` and ``*.csv`` files, sorted for determinism."""
    files: list[Path] = []
    for path in inputs:
        path = Path(path)
        if path.is_dir():
            files.extend(sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES))
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


def _csv_lines(path: Path, source: str, columns: CsvConfig) -> Iterator[RawLine]:
    """The rows of a CSV file as chat-record JSON, or quarantine entries (line = the row's first line)."""
    wanted = [c for c in (columns.user, columns.assistant, columns.system, columns.id, *columns.metadata) if c]
    # surrogateescape keeps undecodable bytes visible, so a bad row is quarantined, not the file.
    with open(path, encoding="utf-8", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=columns.delimiter)
        header = next(reader, None)
        if header is None:
            return
        missing = [c for c in wanted if c not in header]
        row_start = reader.line_num + 1
        for row in reader:
            line, row_start = row_start, reader.line_num + 1
            if not any(field.strip() for field in row):
                continue
            raw = columns.delimiter.join(row)
            if missing:
                reason = f"CSV header has no column {', '.join(map(repr, missing))} (columns: {', '.join(header)})"
            elif len(row) != len(header):
                reason = f"CSV row has {len(row)} fields, the header {len(header)}"
            elif any("\udc80" <= ch <= "\udcff" for ch in raw):
                reason = "invalid UTF-8"
            else:
                yield source, line, json.dumps(_csv_record(dict(zip(header, row)), columns)).encode()
                continue
            yield source, line, Quarantined(source, line, reason, raw.encode("utf-8", "surrogateescape")
                                            .decode("utf-8", "backslashreplace"))


def _csv_record(values: dict[str, str], columns: CsvConfig) -> dict:
    messages = [{"role": "system", "content": values[columns.system]}] if columns.system else []
    messages += [{"role": "user", "content": values[columns.user]},
                 {"role": "assistant", "content": values[columns.assistant]}]
    record: dict = {"messages": messages, "metadata": {c: values[c] for c in columns.metadata}}
    if columns.id:
        record["id"] = values[columns.id]
    return record


def iter_raw_lines(inputs: list[Path], root: Path | None = None, csv_columns: CsvConfig | None = None) -> Iterator[RawLine]:
    """Every non-blank input line (JSONL) or row (CSV), in input order, ready for ``parse_line``."""
    for path in iter_input_files(inputs):
        source = display_path(path, root)
        if path.suffix.lower() == ".csv":
            yield from _csv_lines(path, source, csv_columns or CsvConfig())
            continue
        with open(path, "rb") as handle:
            for line_no, raw in enumerate(handle, start=1):
                raw = raw.rstrip(b"\r\n")
                if raw.strip():
                    yield source, line_no, raw


def parse_raw_line(line: RawLine, max_chars: int) -> dict | Quarantined:
    """``parse_line`` for an item of ``iter_raw_lines`` (CSV rows may already be quarantined)."""
    source, line_no, raw = line
    return raw if isinstance(raw, Quarantined) else parse_line(raw, source, line_no, max_chars)


def ingest(inputs: list[Path], max_chars: int, root: Path | None = None,
           csv_columns: CsvConfig | None = None) -> Iterator[dict | Quarantined]:
    """Stream records and quarantine entries from the given files or directories.

    Args:
        inputs: JSONL or CSV files, or directories whose ``*.jsonl`` and ``*.csv`` files are read.
        max_chars: Longest accepted record in characters.
        root: Source paths are recorded relative to this directory.
        csv_columns: How CSV columns map to records (default: prompt, completion).

    Yields:
        A record dict or a ``Quarantined`` for every non-blank line or CSV row, in input order.
    """
    for line in iter_raw_lines(inputs, root, csv_columns):
        yield parse_raw_line(line, max_chars)
