"""The stewards' commands, by their exact names: `pii mask`, `dedup`, `curate`."""

import json

from typer.testing import CliRunner

from tests.helpers import REPO, chat, jsonl_bytes
from tuneops.cli import app

PARAMS = str(REPO / "params.yaml")
ORDER = "My order ORD-551203 has not arrived and tracking has not moved since Monday, could you check?"


def lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def invoke(*args):
    result = CliRunner().invoke(app, [*map(str, args), "--params", PARAMS])
    assert result.exit_code == 0, result.output
    return result


def test_pii_mask_keeps_ids_structure_and_metadata(tmp_path):
    source = tmp_path / "in.jsonl"
    record = chat("Mail me at jane.doe@example.org, I am Maria Lopez", "Thanks Maria Lopez, done.", record_id="r1")
    record["metadata"] = {"channel": "email"}
    source.write_bytes(jsonl_bytes([record]))
    invoke("pii", "mask", source, "-o", tmp_path / "out.jsonl")
    [masked] = lines(tmp_path / "out.jsonl")
    assert masked["id"] == "r1" and masked["metadata"] == {"channel": "email"}
    assert [m["role"] for m in masked["messages"]] == ["user", "assistant"]
    text = json.dumps(masked)
    assert "jane.doe" not in text and "Maria" not in text and "<EMAIL>" in text and "<PERSON>" in text


def test_dedup_writes_kept_records_and_id_duplicate_of_lines(tmp_path):
    source = tmp_path / "in.jsonl"
    rows = [chat(ORDER, "Checking.", record_id="a"), chat(ORDER.upper(), "Checking.", record_id="b"),
            chat(ORDER.replace("arrived", "arirved"), "Checking.", record_id="c"),
            chat(ORDER.replace("551203", "990417"), "Checking.", record_id="d")]
    source.write_bytes(jsonl_bytes(rows))
    invoke("dedup", source, "-o", tmp_path / "kept.jsonl", "--duplicates", tmp_path / "dups.jsonl")
    assert [r["id"] for r in lines(tmp_path / "kept.jsonl")] == ["a", "d"]
    assert [(d["id"], d["duplicate_of"]) for d in lines(tmp_path / "dups.jsonl")] == [("b", "a"), ("c", "a")]


def test_curate_writes_the_five_outputs_and_conserves_records(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "a.jsonl").write_bytes((REPO / "data" / "raw" / "support_tickets.jsonl").read_bytes())
    (raw / "b.csv").write_text('prompt,completion\n"How do I rotate my API key?","Settings, then Keys."\nbroken\n')
    invoke("curate", raw, "--out", tmp_path / "one")
    invoke("curate", raw, "--out", tmp_path / "two", "--workers", 2)
    report = json.loads((tmp_path / "one" / "report.json").read_text())
    counts = report["counts"]
    assert counts["inputs"] == counts["train"] + counts["eval"] + counts["duplicates"] + counts["quarantined"]
    assert report["validation"]["success"] and counts["pii"]["email"] > 0
    for name in ("train.jsonl", "eval.jsonl", "duplicates.jsonl", "quarantine.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes(), name
    assert any(q["source"].endswith("b.csv") and q["line"] == 3 for q in lines(tmp_path / "one" / "quarantine.jsonl"))


MIXED_LINES = [
    json.dumps(chat("I am Maria Lopez, mail jane.doe@example.org", "Noted, Maria Lopez.", record_id="chat")).encode(),
    b'{"id": "broken", "messages": [',
    json.dumps({"id": "pc", "prompt": "Call me on +44 20 7946 0958", "completion": "Calling +44 20 7946 0958."}).encode(),
    b'{"id": "latin1", "prompt": "caf\xe9", "completion": "ok"}',
    json.dumps({"instruction": "Reply to jane.doe@example.org", "input": "", "output": "Sent to jane.doe@example.org."}).encode(),
    json.dumps({"id": "neither", "text": "free text"}).encode(),
]


def test_pii_mask_quarantines_bad_lines_and_keeps_each_format(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\n".join(MIXED_LINES) + b"\n")
    result = invoke("pii", "mask", source, "-o", tmp_path / "out.jsonl")
    masked = lines(tmp_path / "out.jsonl")
    rejected = lines(tmp_path / "out.quarantine.jsonl")
    assert len(masked) + len(rejected) == len(MIXED_LINES)
    assert [q["line"] for q in rejected] == [2, 4, 6]
    reasons = [q["reason"] for q in rejected]
    assert reasons[0].startswith("bad JSON") and reasons[1].startswith("invalid UTF-8") and reasons[2].startswith("unknown format")
    chat_record, prompt_completion, alpaca = masked
    assert set(prompt_completion) == {"id", "prompt", "completion"} and "7946" not in json.dumps(prompt_completion)
    assert set(alpaca) == {"instruction", "input", "output"} and alpaca["output"] == "Sent to <EMAIL>."
    assert "Maria" not in json.dumps(chat_record)
    assert json.loads(result.stdout.splitlines()[-1])["quarantined"] == 3


def test_dedup_quarantines_bad_lines_and_names_records_without_ids(tmp_path):
    source = tmp_path / "in.jsonl"
    first = {"prompt": ORDER, "completion": "Checking."}
    rows = [json.dumps(first).encode(), b"not json", json.dumps({**first, "prompt": ORDER.lower()}).encode()]
    source.write_bytes(b"\n".join(rows) + b"\n")
    quarantine = tmp_path / "rejected.jsonl"
    invoke("dedup", source, "-o", tmp_path / "kept.jsonl", "--duplicates", tmp_path / "dups.jsonl", "--quarantine", quarantine)
    [kept] = lines(tmp_path / "kept.jsonl")
    [duplicate] = lines(tmp_path / "dups.jsonl")
    [bad] = lines(quarantine)
    assert kept["prompt"] == ORDER and duplicate["duplicate_of"] == kept["id"] != duplicate["id"]
    assert bad["line"] == 2 and bad["raw"] == "not json"
