"""PII value formats of the world, as Faker's locale providers write them: tuneops against Presidio.

``benchmarks/pii_external.py`` draws its values from one source (a table of 3,000 people) and its
sentences from 210 templates. This benchmark asks a narrower question over a wider range: is a
value found whatever country wrote it? Faker (the PyPI package; its locale providers were written
by its contributors, one locale at a time) gives person names, postal addresses and phone numbers
in each of its locales whose names and addresses are in Latin script (81 of them). Each value is
put into three short sentences with no other PII:

* names, with no cue: "It was {}.", "Yesterday {} wrote to us", "I met {} at the office". The name
  is given name and surname (``first_name() last_name()``), without Faker's titles ("Dr.", "Frau"),
  which are no personal data;
* addresses, after a cue: "Ship to {}.", "My address is {}", "I live at {} since May";
* phones, with no cue: "It is {}.", "Please use {} for that".

A value counts as masked only if every letter and digit of it was masked (as in
``pii_external.py``). Recall is reported per type over all locales, and for the locales where it
is lowest.

**This is a development set, not a held-out one.** Session 9 changed the detector while
looking at its misses (phones, addresses, names); its numbers say how broad the rules are, not
how well they do on unseen text. ``pii_external.py`` set B stays the held-out measure.

    python benchmarks/pii_formats.py --presidio-python .cache/bench-presidio/bin/python --records 30
"""

from __future__ import annotations

import json
import random
import re
import sys
from collections import Counter
from pathlib import Path

import side_by_side

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = {
    "person": ("It was {}.", "Yesterday {} wrote to us", "I met {} at the office"),
    "street": ("Ship to {}.", "My address is {}", "I live at {} since May"),
    "phone": ("It is {}.", "Please use {} for that"),
}
_LATIN = re.compile(r"[\x00-\u024f\s]*$")
WORST_LOCALES_SHOWN = 8


def _latin_locales() -> list[str]:
    """Faker's locales whose names and addresses are written in Latin script."""
    from faker import Faker
    from faker.config import AVAILABLE_LOCALES

    locales = []
    for locale in sorted(AVAILABLE_LOCALES):
        fake = Faker(locale)
        fake.seed_instance(0)
        if _LATIN.match(fake.name() + fake.address()):
            locales.append(locale)
    return locales


def _value(fake, kind: str) -> str:
    if kind == "person":
        return f"{fake.first_name()} {fake.last_name()}"
    return fake.address() if kind == "street" else fake.phone_number()


def generate(records: int, seed: int) -> list[dict]:
    """``records`` values of each type per locale, each in every sentence of its type."""
    import warnings

    from faker import Faker

    warnings.filterwarnings("ignore", category=UserWarning)  # deprecated locale aliases (fr_QC)
    rows = []
    for locale in _latin_locales():
        fake = Faker(locale)
        fake.seed_instance(seed)
        for kind, templates in TEMPLATES.items():
            try:
                _value(fake, kind)
            except AttributeError:  # a locale without phone numbers (la)
                continue
            for number in range(records):
                value = _value(fake, kind)
                for position, template in enumerate(templates):
                    text = template.format(value)
                    start = text.index(value)
                    rows.append({"id": f"{locale}-{kind}-{number}-{position}", "locale": locale, "kind": kind,
                                 "text": text, "labels": [[kind, start, start + len(value)]]})
    random.Random(seed).shuffle(rows)  # no engine meets one locale in a block
    return rows


def child(engine: str, data: Path) -> None:
    from pii_external import timed_run

    rows, found, records_per_s = timed_run(engine, data)
    result = {"records_per_s": records_per_s}
    result.update(scores(list(zip(rows, found))))
    print(json.dumps(result))


def scores(pairs: list[tuple[dict, list[tuple[int, int]]]]) -> dict:
    """Recall per type (every letter and digit masked), overall and in the locales where it is lowest."""
    from pii_external import _alnum_positions, _covered

    total, whole = Counter(), Counter()
    by_locale_total, by_locale_whole = Counter(), Counter()
    for row, detected in pairs:
        masked = _covered(row["text"], detected)
        for kind, start, end in row["labels"]:
            positions = _alnum_positions(row["text"], start, end)
            hit = all(masked[i] for i in positions)
            total[kind] += 1
            whole[kind] += hit
            by_locale_total[kind, row["locale"]] += 1
            by_locale_whole[kind, row["locale"]] += hit
    worst = {}
    for kind in sorted(total):
        recalls = sorted((by_locale_whole[k] / by_locale_total[k], k[1]) for k in by_locale_total if k[0] == kind)
        worst[kind] = {locale: round(recall, 2) for recall, locale in recalls[:WORST_LOCALES_SHOWN]}
    return {
        "recall": {kind: round(whole[kind] / total[kind], 4) for kind in sorted(total)},
        "recall_overall": round(sum(whole.values()) / max(sum(total.values()), 1), 4),
        "values": dict(sorted(total.items())),
        "locales": len({locale for _, locale in by_locale_total}),
        "lowest_locales": worst,
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    side_by_side.main(__doc__, __file__, child, generate, baseline="presidio", records=30, seed=2026,
                      env={"HF_HUB_OFFLINE": "1"})
