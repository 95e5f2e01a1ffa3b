"""The bundled demo data: reproducible, and every curation stage does visible, correct work."""

import importlib.util
import json
import re

import pytest

from tests.helpers import DEMO_DATA, REPO
from tuneops.config import load_params
from tuneops.curate.pipeline import build_masker, curate_to_dir, load_curated
from tuneops.curate.validate import validate_curated
from tuneops.records import read_jsonl


def test_generator_reproduces_committed_file():
    spec = importlib.util.spec_from_file_location("gen", REPO / "data" / "generate_demo_data.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert b"\n".join(module.generate(1234)) + b"\n" == DEMO_DATA.read_bytes()


@pytest.fixture(scope="module")
def curated(tmp_path_factory):
    params = load_params(REPO / "params.yaml")
    out = tmp_path_factory.mktemp("curated")
    masker = build_masker(params.curate)
    counts = curate_to_dir([DEMO_DATA], params.curate, out, masker, root=REPO)
    return params, out, counts, masker


def test_conservation_and_every_stage_does_work(curated):
    _, out, counts, _ = curated
    lines = len([line for line in DEMO_DATA.read_bytes().splitlines() if line.strip()])
    assert counts.inputs == lines
    files = {name: sum(1 for _ in open(out / f"{name}.jsonl")) for name in ("train", "eval", "duplicates", "quarantine")}
    assert sum(files.values()) == lines
    assert files["quarantine"] >= 10 and counts.exact_duplicates >= 30 and counts.near_duplicates >= 20
    assert sum(counts.pii.values()) > 500 and len(counts.pii) >= 7
    assert counts.quarantine_reasons["invalid UTF-8 at byte"] == 3


def test_no_planted_pii_reaches_curated_data(curated):
    _, out, _, _ = curated
    text = (out / "train.jsonl").read_text() + (out / "eval.jsonl").read_text()
    assert not re.search(r"[\w.]+@[\w-]+\.(com|io|net)", text)
    raw_names = {m.group(1) for m in re.finditer(r"My name is ([A-Z][a-z]+ [A-Z][a-z]+)", DEMO_DATA.read_text(errors="replace"))}
    assert raw_names and not any(name in text for name in raw_names)
    assert "<PERSON>" in text and "ORD-" in text  # look-alikes such as order numbers survive
    canaries = load_params(REPO / "params.yaml").evaluate.canaries
    raw = DEMO_DATA.read_text(errors="replace")
    assert canaries and all(c in raw for c in canaries)
    assert not any(c in text for c in canaries)


def test_duplicates_name_a_kept_record(curated):
    _, out, _, _ = curated
    kept = {r["id"] for r in load_curated(out)}
    for row in read_jsonl(out / "duplicates.jsonl"):
        assert row["duplicate_of"] in kept


def test_validation_suite_passes_on_demo_and_fails_on_residual_pii(curated):
    params, out, counts, masker = curated
    records = load_curated(out)
    valid = validate_curated(records, counts.duplicates, counts.inputs - counts.quarantined, params.curate, masker)
    assert valid["success"], json.dumps(valid, indent=1)
    leaked = [dict(records[0], messages=[*records[0]["messages"][:-1], {"role": "assistant", "content": "mail x@y.com"}])]
    broken = validate_curated(leaked + records[1:], counts.duplicates, counts.inputs, params.curate, masker)
    assert not broken["success"]
    failed = broken["suites"]["curated_records"]["failed"]
    assert any(f["column"] == "residual_pii" for f in failed)
