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


CSV_TEXT = (
    'ticket,question,answer,team\n'
    't1,"How do I reset my password?","Use the reset link.",support\n'
    't2,"Two lines:\nfirst, then second","Noted.",billing\n'      # quoted newline: row starts on line 3
    '\n'                                                           # blank: skipped
    't3,,"An answer to nothing",support\n'                         # empty user turn
    't4,"Too many","fields",support,extra\n'
)


def csv_columns(**overrides):
    from tuneops.config import CsvConfig

    return CsvConfig(**({"user": "question", "assistant": "answer", "id": "ticket", "metadata": ["team"]} | overrides))


def test_csv_rows_map_to_chat_records_with_row_line_numbers(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_TEXT.encode() + b't5,"caf\xe9 latin-1","ok",support\n')
    items = list(ingest([tmp_path], 1000, root=tmp_path, csv_columns=csv_columns()))
    records = [i for i in items if isinstance(i, dict)]
    quarantined = {q.line: q for q in items if isinstance(q, Quarantined)}
    assert [r["id"] for r in records] == ["t1", "t2"]
    assert records[0]["messages"] == [{"role": "user", "content": "How do I reset my password?"},
                                      {"role": "assistant", "content": "Use the reset link."}]
    assert records[1]["metadata"] | {} == {"team": "billing", "source_file": "export.csv", "source_line": 3}
    assert set(quarantined) == {6, 7, 8}
    assert "empty" in quarantined[6].reason and quarantined[6].id == "t3"
    assert quarantined[7].reason == "CSV row has 5 fields, the header 4"
    assert quarantined[8].reason == "invalid UTF-8" and "\\xe9" in quarantined[8].raw


def test_csv_without_a_mapped_column_quarantines_every_row_saying_which(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(CSV_TEXT)
    items = list(ingest([path], 1000, csv_columns=csv_columns(assistant="reply")))
    assert len(items) == 4 and all(isinstance(i, Quarantined) for i in items)
    assert items[0].reason == "CSV header has no column 'reply' (columns: ticket, question, answer, team)"
