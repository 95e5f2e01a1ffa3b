"""PII masking on a labeled set that someone else wrote: tuneops against Presidio, same data, same run.

``benchmarks/pii.py`` scores sets that tuneops's own authors wrote, so every rule was written by
people who also wrote the test data. This benchmark takes the sentences, names and labels from
Microsoft's ``presidio-evaluator`` (PyPI): its 210 sentence templates, its FakeNameGenerator.com
table of 3,000 fake people and its Faker providers, sampled by its own ``PresidioSentenceFaker``
(locale ``en_US``, ``lower_case_ratio=0.05``, as in its README). Nothing of it was written here.

The templates are split in two by position in ``templates.txt``: set ``A`` (even positions) may be
read when a miss is looked into; set ``B`` (odd positions) is only ever scored, so after any change
made because of ``A`` it is still a set the detector was not fixed against.

Two changes to the generator's output, both to give what its authors meant: a template's literal
``\\n`` (backslash, n) becomes a line break, and a sample the generator chose to lower-case is
lower-cased (0.3.2 lower-cases the labels but not the text it returns). The seed fixes every
sample except the values of ``{{date_time}}`` (out of scope), which Faker draws up to "now".

Scores, from each engine's detected character spans:

* recall per entity type: the share of labeled values whose every letter and digit was masked
  ("partly" counts the values with some but not all masked). The types in scope of tuneops are
  grouped as in ``benchmarks/pii.py``; the generator's labels map onto them as in its own
  ``ENTITY_TYPE_MAPPING`` (a postcode and a "Suite 026" are part of a street address);
* out-of-scope labels masked: cities, countries, organisations, job titles, ages... that lost a
  character (Presidio masks places and dates on purpose; tuneops does not);
* unlabeled words masked: the share of words outside every label that lost a character;
* records/s of analyse + anonymise (the spans are taken again afterwards, untimed).

The generator needs its own venv (it wants numpy >= 2 and spaCy 3.8; the Presidio baseline's
spaCy 3.6 model needs numpy < 2)::

    python -m venv .cache/bench-presidio-evaluator
    .cache/bench-presidio-evaluator/bin/pip install presidio-evaluator==0.3.2
    PRESIDIO_EVALUATOR_PYTHON=.cache/bench-presidio-evaluator/bin/python \\
        python benchmarks/pii_external.py --presidio-python .cache/bench-presidio/bin/python --records 2000
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import side_by_side

REPO = Path(__file__).resolve().parents[1]
GENERATOR_PYTHON = os.environ.get("PRESIDIO_EVALUATOR_PYTHON", ".cache/bench-presidio-evaluator/bin/python")

# The generator's template keys -> tuneops entity type (None: outside tuneops's scope). Follows
# presidio-evaluator's ENTITY_TYPE_MAPPING: PERSON, STREET_ADDRESS, CREDIT_CARD... and
# date_of_birth, which it files under DATE_TIME with every other date.
IN_SCOPE = {
    "person": "person", "name": "person", "first_name": "person", "last_name": "person",
    "first_name_male": "person", "first_name_female": "person", "first_name_nonbinary": "person",
    "last_name_male": "person", "last_name_female": "person", "name_male": "person", "name_female": "person",
    "address": "street", "street_name": "street", "building_number": "street", "secondary_address": "street",
    "postcode": "street",
    "credit_card_number": "card", "iban": "iban", "phone_number": "phone", "email": "email",
    "ip_address": "ip", "ssn": "ssn", "date_of_birth": "date_of_birth",
}


# ---------------------------------------------------------------- data (presidio-evaluator's venv)

def make_data(records: int, seed: int) -> None:
    """Print ``records`` labeled samples of each template half as JSON lines (runs in the generator's venv)."""
    import random

    from presidio_evaluator.data_generator import PresidioSentenceFaker
    from presidio_evaluator.data_generator.presidio_sentence_faker import presidio_templates_file_path

    templates = [line.strip().replace("\\n", "\n") for line in presidio_templates_file_path.read_text().splitlines()]
    identity = {key: key for key in re.findall(r"{{(\w+)}}", "\n".join(templates))}
    for name, half in (("A", templates[0::2]), ("B", templates[1::2])):
        random.seed(seed)
        faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, sentence_templates=half,
                                      entity_type_mapping=identity, random_seed=seed)
        for i, sample in enumerate(faker.generate_new_fake_sentences(records)):
            text = sample.full_text
            lowered = getattr(sample, "fake", None)
            if isinstance(lowered, str) and len(lowered) == len(text):
                text = lowered
            labels = [[s.entity_type, s.start_position, s.end_position] for s in sample.spans]
            print(json.dumps({"id": f"{name}-{i}", "set": name, "text": text, "labels": labels}))


def generate(records: int, seed: int) -> list[dict]:
    """Run ``make_data`` with the generator's Python; check that every label's offsets fall in its text."""
    out = subprocess.run([GENERATOR_PYTHON, __file__, "--make-data", str(records), str(seed)],
                         capture_output=True, text=True, check=True, env=os.environ | {"PYTHONHASHSEED": "0"})
    rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    for row in rows:
        for _, start, end in row["labels"]:
            if not 0 <= start < end <= len(row["text"]):
                raise ValueError(f"{row['id']}: label {start}:{end} outside its text of {len(row['text'])} characters")
    return rows


# ---------------------------------------------------------------- engines (child processes)

def tuneops_engine():
    """(mask, spans) of the configured masker: the spans ``mask_record`` replaces."""
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker

    masker = build_masker(load_params(REPO / "params.yaml").curate)

    def mask(text: str) -> str:
        return masker.mask_record({"messages": [{"role": "user", "content": text}]})[0]["messages"][0]["content"]

    return mask, lambda text: [(start, end) for start, end, _ in masker.spans_in_record([text])[0]]


def presidio_engine():
    """(mask, spans) of AnalyzerEngine + AnonymizerEngine, built as in ``benchmarks/pii.py``."""
    from pii import presidio_analyzer_and_anonymizer

    analyzer, anonymizer = presidio_analyzer_and_anonymizer()

    def mask(text: str) -> str:
        return anonymizer.anonymize(text=text, analyzer_results=analyzer.analyze(text=text, language="en")).text

    return mask, lambda text: [(r.start, r.end) for r in analyzer.analyze(text=text, language="en")]


def timed_run(engine: str, data: Path) -> tuple[list[dict], list[list[tuple[int, int]]], float]:
    """``(rows, spans found in each, records/s)`` of one engine over the labeled rows in ``data``.

    Only analyse + anonymise is timed, after one warm-up call (lazy model loads); the spans are
    taken again afterwards, untimed.
    """
    mask, spans = (tuneops_engine if engine == "tuneops" else presidio_engine)()
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    mask(rows[0]["text"])
    start = time.perf_counter()
    for row in rows:
        mask(row["text"])
    seconds = time.perf_counter() - start
    return rows, [spans(row["text"]) for row in rows], round(len(rows) / seconds, 1)


def child(engine: str, data: Path) -> None:
    rows, found, records_per_s = timed_run(engine, data)
    result = {"records_per_s": records_per_s}
    for name in ("A", "B"):
        result[name] = scores([(r, f) for r, f in zip(rows, found) if r["set"] == name])
    print(json.dumps(result))


# ---------------------------------------------------------------- scoring

def _covered(text: str, detected: list[tuple[int, int]]) -> list[bool]:
    masked = [False] * len(text)
    for start, end in detected:
        masked[start:end] = [True] * (end - start)
    return masked


def _alnum_positions(text: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if text[i].isalnum()]


def scores(pairs: list[tuple[dict, list[tuple[int, int]]]]) -> dict:
    """Recall per tuneops type (whole value masked), out-of-scope labels and unlabeled words masked."""
    total, whole, partly = Counter(), Counter(), Counter()
    by_key_total, by_key_whole = Counter(), Counter()
    outside_total, outside_masked = Counter(), Counter()
    words_total = words_masked = 0
    for row, detected in pairs:
        text, masked = row["text"], _covered(row["text"], detected)
        labeled = [False] * len(text)
        for key, start, end in row["labels"]:
            labeled[start:end] = [True] * (end - start)
            positions = _alnum_positions(text, start, end)
            if not positions:
                continue
            hit = sum(masked[i] for i in positions)
            kind = IN_SCOPE.get(key)
            if kind is None:
                outside_total[key] += 1
                outside_masked[key] += hit > 0
                continue
            total[kind] += 1
            whole[kind] += hit == len(positions)
            partly[kind] += 0 < hit < len(positions)
            by_key_total[key] += 1
            by_key_whole[key] += hit == len(positions)
        for word in re.finditer(r"\w+", text):
            if any(labeled[word.start():word.end()]):
                continue
            words_total += 1
            words_masked += any(masked[word.start():word.end()])
    return {
        "recall": {k: round(whole[k] / total[k], 4) for k in sorted(total)},
        "recall_overall": round(sum(whole.values()) / max(sum(total.values()), 1), 4),
        "partly_masked": {k: round(partly[k] / total[k], 4) for k in sorted(total) if partly[k]},
        "values": dict(sorted(total.items())),
        "recall_by_template_key": {k: round(by_key_whole[k] / by_key_total[k], 4) for k in sorted(by_key_total)},
        "out_of_scope_masked": round(sum(outside_masked.values()) / max(sum(outside_total.values()), 1), 4),
        "out_of_scope_masked_by_key": {k: round(outside_masked[k] / outside_total[k], 4) for k in sorted(outside_total)},
        "unlabeled_words_masked": round(words_masked / max(words_total, 1), 4),
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["--make-data"]:
        make_data(int(sys.argv[2]), int(sys.argv[3]))
    else:
        side_by_side.main(__doc__, __file__, child, generate, baseline="presidio", records=2000, seed=2026,
                          env={"HF_HUB_OFFLINE": "1"})
