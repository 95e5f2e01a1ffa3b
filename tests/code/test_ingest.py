"""Ingestion: formats, quarantine reasons with line numbers, stable ids."""

import json

from tests.helpers import chat, jsonl_bytes
from tuneops.curate.ingest import Quarantined, ingest


def run(tmp_path, rows, max_chars=1000):
    path = tmp_path / "in.jsonl"
    path.write_bytes(jsonl_bytes(rows))
    return list(ingest([path], max_chars, root=tmp_path))


def test_accepts_chat_prompt_completion_and_alpaca(tmp_path):
    items = run(tmp_path, [
        chat("hello", "hi", record_id="a"),
        {"prompt": "2+2?", "completion": "4"},
        {"instruction": "Translate", "input": "Hallo", "output": "Hello"},
    ])
    assert all(isinstance(i, dict) for i in items)
    assert items[0]["id"] == "a"
    assert items[1]["messages"] == [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}]
    assert items[2]["messages"][0]["content"] == "Translate\n\nHallo"
    assert items[2]["metadata"]["source_file"] == "in.jsonl" and items[2]["metadata"]["source_line"] == 3


def test_ids_derived_from_content_are_stable(tmp_path):
    first = run(tmp_path, [{"prompt": "p", "completion": "c"}])[0]["id"]
    again = run(tmp_path, [{"prompt": "x", "completion": "y"}, {"prompt": "p", "completion": "c"}])[1]["id"]
    assert first == again and first.startswith("sha-")


def test_every_malformed_kind_is_quarantined_with_line_and_reason(tmp_path):
    good = chat("hello", "hi", record_id="ok")
    rows = [
        good,
        b'{"id": "trunc", "messages": [',
        b'{"id": "utf8", "messages": "caf\xe9"}',
        {"id": "empty", "messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "x"}]},
        {"id": "role", "messages": [{"role": "agent", "content": "a"}, {"role": "assistant", "content": "x"}]},
        {"id": "order", "messages": [{"role": "assistant", "content": "a"}, {"role": "user", "content": "x"}]},
        {"id": "long", "messages": [{"role": "user", "content": "x" * 2000}, {"role": "assistant", "content": "y"}]},
        {"id": "nomsg"},
        b'[1, 2]',
    ]
    items = run(tmp_path, rows)
    assert len(items) == len(rows)
    quarantined = [i for i in items if isinstance(i, Quarantined)]
    reasons = {q.line: q.reason for q in quarantined}
    assert set(reasons) == set(range(2, 10))
    assert reasons[2].startswith("bad JSON")
    assert reasons[3].startswith("invalid UTF-8")
    assert "empty content" in reasons[4]
    assert "unknown role 'agent'" in reasons[5]
    assert "wrong role order" in reasons[6]
    assert "too long" in reasons[7]
    assert "unknown format" in reasons[8]
    assert "expected an object" in reasons[9]
    # Nothing lost: the raw text is kept for every quarantined line.
    assert all(q.raw for q in quarantined)
    assert json.loads(json.dumps(quarantined[0].to_dict()))["source"] == "in.jsonl"


def test_blank_lines_are_skipped_not_counted(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(jsonl_bytes([chat("a", "b")]) + b"\n\n" + jsonl_bytes([chat("c", "d")]))
    items = list(ingest([path], 100))
    assert len(items) == 2 and items[1]["metadata"]["source_line"] == 4
