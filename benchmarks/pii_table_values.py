"""The values of presidio-evaluator's table of 3,000 fake people, in sentences written here (tuneops only).

``benchmarks/pii_external.py`` samples this table into 210 templates written by others; its half B
is held out and only ever scored. This development check asks how the table's values fare
whatever sentence holds them: each person's given name, surname, whole name, phone and street
address goes into a few neutral sentences written for this check (below), and a value counts as
masked only if every letter and digit of it was. The sentences are ours, so the rules may have
been written while reading this check's misses: it says how broad the rules are over the table's
40-odd countries, not how they do on unseen text.

    PRESIDIO_EVALUATOR_PYTHON=.cache/bench-presidio-evaluator/bin/python python benchmarks/pii_table_values.py
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GENERATOR_PYTHON = os.environ.get("PRESIDIO_EVALUATOR_PYTHON", ".cache/bench-presidio-evaluator/bin/python")
TABLE = "FakeNameGenerator.com_3000.csv"

# Sentences per kind of value; "{}" is the value.
SENTENCES = {
    "given name": ("I talked to {} yesterday.", "{} wrote to us", "Ask {} about it.", "{} and I went home.",
                   "Thanks, {}!"),
    "surname": ("Ms. {} called.", "I talked to {} yesterday.", "{} wrote the report.", "Is {} coming?"),
    "whole name": ("It was {}.", "Yesterday {} wrote to us", "I met {} at the office", "The report by {} is late."),
    "phone": ("It is {}.", "Please use {} for that", "{} is my number", "reach me on {} tomorrow"),
    "street": ("I live at {}.", "Meet me at {} tomorrow", "The office moved to {}", "{} is where we are"),
    "street and town": ("I live at {}.", "Meet me at {} tomorrow", "The office moved to {}", "{} is where we are"),
    # Sentences with no word that says a person or a place is meant (added in session 11).
    "surname, no cue": ("I met {} yesterday.", "{} was here yesterday.", "Thanks to {} for the help!",
                        "The report from {} arrived.", "{} is my manager.", "Send it to {} please."),
    "street, no cue": ("We met on {} yesterday", "Her house on {} burned down.", "Ship it to {}, thanks"),
}


def _values(row: dict) -> dict[str, str]:
    return {"given name": row["GivenName"], "surname": row["Surname"], "surname, no cue": row["Surname"],
            "street, no cue": row["StreetAddress"],
            "whole name": f"{row['GivenName']} {row['Surname']}", "phone": row["TelephoneNumber"],
            "street": row["StreetAddress"], "street and town": f"{row['StreetAddress']}, {row['City']}"}


def table_path() -> Path:
    """Where presidio-evaluator (in the generator's venv) keeps the table."""
    code = ("import presidio_evaluator.data_generator as g, pathlib; "
            "print(pathlib.Path(g.__file__).parent / 'raw_data')")
    out = subprocess.run([GENERATOR_PYTHON, "-c", code], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip()) / TABLE


def masked_whole(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> bool:
    """Whether every letter and digit of ``text[start:end]`` lies in a span (as ``pii_external`` scores)."""
    from pii_external import _alnum_positions, _covered

    masked = _covered(text, [(span_start, span_end) for span_start, span_end, _ in spans])
    return all(masked[i] for i in _alnum_positions(text, start, end))


def scores(rows: list[dict]) -> dict:
    """Recall per kind of value and per sentence, and the countries with the most misses."""
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker

    masker = build_masker(load_params(REPO / "params.yaml").curate)
    result = {}
    for kind, sentences in SENTENCES.items():
        total, hit, missed_by_country = Counter(), Counter(), Counter()
        for row in rows:
            value = _values(row)[kind]
            for sentence in sentences:
                text = sentence.format(value)
                start = text.index(value)
                whole = masked_whole(text, start, start + len(value), masker.find(text))
                total[sentence] += 1
                hit[sentence] += whole
                missed_by_country[row["Country"]] += not whole
        result[kind] = {"recall": round(sum(hit.values()) / sum(total.values()), 4),
                        "by_sentence": {s: round(hit[s] / total[s], 4) for s in sentences},
                        "most_missed_countries": dict(missed_by_country.most_common(5))}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, help="the table's CSV (default: found through the generator's venv)")
    args = parser.parse_args()
    with (args.table or table_path()).open(encoding="utf-8-sig") as table:
        rows = list(csv.DictReader(table))
    print(json.dumps(scores(rows), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
