"""PII masking: each entity type, look-alikes kept, consistent and keyed pseudonyms."""

import pytest

from tests.helpers import chat
from tuneops.curate.pii import (
    PiiMasker,
    _NameWords,
    address_capitalised_as_written,
    capitalised_as_written,
    iban_valid,
    luhn_valid,
)

ALL = ["email", "phone", "credit_card", "iban", "ssn", "ip_address", "date_of_birth", "street_address", "person", "secret"]

CASES = [
    ("Mail me at jane.doe@example.org please", "jane.doe@example.org", "EMAIL"),
    ("Call +1 (415) 555-0132 today", "+1 (415) 555-0132", "PHONE"),
    ("Call +44 20 7946 0958 today", "+44 20 7946 0958", "PHONE"),
    ("Call 212-555-0199 today", "212-555-0199", "PHONE"),
    ("Card 4111 1111 1111 1111 was used", "4111 1111 1111 1111", "CREDIT_CARD"),
    ("IBAN DE89370400440532013000 please", "DE89370400440532013000", "IBAN"),
    ("SSN 123-45-6789 on file", "123-45-6789", "SSN"),
    ("server at 192.168.10.20 is down", "192.168.10.20", "IP_ADDRESS"),
    ("v6 host 2001:db8::8a2e:370:7334 fails", "2001:db8::8a2e:370:7334", "IP_ADDRESS"),
    ("I was born on 12/03/1985 in Leeds", "12/03/1985", "DATE_OF_BIRTH"),
    ("Ship to 742 Evergreen Terrace Road now", "742 Evergreen Terrace Road", "STREET_ADDRESS"),
    ("Hello, my name is Maria Lopez.", "Maria Lopez", "PERSON"),
    ("Key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE", "SECRET"),
    # Formats that need more than the simplest pattern.
    ("phone: +49 30 8123790 after six", "+49 30 8123790", "PHONE"),
    ("Mobile +33 6 12 34 56 78 only", "+33 6 12 34 56 78", "PHONE"),
    ("my account GB79510289225912621129 SSN is on file", "GB79510289225912621129", "IBAN"),
    ("my account DE44 5214 4712 1772 0630 60 I live here", "DE44 5214 4712 1772 0630 60", "IBAN"),
    ("My date of birth is October 9, 1998.", "October 9, 1998", "DATE_OF_BIRTH"),
    ("date of birth - 2002/09/07 as requested", "2002/09/07", "DATE_OF_BIRTH"),
    ("Ship it to 624 Rue de Rivoli, please.", "624 Rue de Rivoli", "STREET_ADDRESS"),
    ("Deliver to 41 rue de la Paix, thanks.", "41 rue de la Paix", "STREET_ADDRESS"),
    ("Send it to Calle Mayor 12, Madrid.", "Calle Mayor 12", "STREET_ADDRESS"),
    ("address: Hauptstraße 17 in Berlin", "Hauptstraße 17", "STREET_ADDRESS"),
    ("address: 221B Baker Street", "221B Baker Street", "STREET_ADDRESS"),
    ("My name is Pedro O'Connell.", "Pedro O'Connell", "PERSON"),
    ("Regards, Hamid Kowalczyk Call me back tomorrow.", "Hamid Kowalczyk", "PERSON"),
    ("Thanks, Mary Page", "Mary Page", "PERSON"),  # a surname that is also an English word
    ("The API key is AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW", "SECRET"),
    ("password: hunter2hunter2hunter2", "hunter2hunter2hunter2", "SECRET"),
]

NAMES_WITHOUT_CUES = [
    ("Please ask Giulia Brennan in accounting.", "Giulia Brennan"),  # known first name
    ("cc Tremaine Nakamura", "Tremaine Nakamura"),  # known surname
    ("Rosalind Vasquez called yesterday about this.", "Rosalind Vasquez"),
]


@pytest.mark.parametrize("text, value", NAMES_WITHOUT_CUES)
def test_names_without_cues_are_found_from_the_gazetteer(text, value):
    masked, counts = PiiMasker(ALL).mask_record(chat(text, f"I forwarded it to {value}."))
    assert value not in masked["messages"][0]["content"] and value not in masked["messages"][1]["content"]
    assert counts["person"] == 2


@pytest.mark.parametrize("text, value, tag", CASES, ids=[c[2] + ":" + c[1] for c in CASES])
def test_each_entity_is_masked(text, value, tag):
    masker = PiiMasker(ALL)
    masked, counts = masker.mask_record(chat(text, "ok"))
    content = masked["messages"][0]["content"]
    assert value not in content
    assert f"<{tag}>" in content
    assert counts[tag.lower()] == 1


@pytest.mark.parametrize("text", [
    "Order ORD-123456 is late", "Upgrade to version 2.4.1 failed", "It costs $49.99 per month",
    "Error E1234 appears", "Invoice INV-55231 is wrong", "Card 4111 1111 1111 1112 fails Luhn",
    "Thanks for checking.", "This is blocking my team.",
    # Capitalised words that are not names, and numbers that are not phones.
    "Can CloudSync get an API for bulk users?", "The Austin office is closed",
    "Will May releases fix Analytics Pro?", "Build 2026.11.13 broke the export.", "Price is €1.661,00 now.",
])
def test_look_alikes_are_kept(text):
    masked, counts = PiiMasker(ALL).mask_record(chat(text, "ok"))
    assert masked["messages"][0]["content"] == text
    assert not counts


def test_same_value_masked_in_assistant_turn_too():
    record = chat("My name is Maria Lopez, email maria@x.io", "Maria Lopez asked about maria@x.io")
    masked, counts = PiiMasker(ALL).mask_record(record)
    assert masked["messages"][1]["content"] == "<PERSON> asked about <EMAIL>"
    assert counts == {"person": 2, "email": 2}


def test_pseudonyms_are_keyed_and_consistent_across_records():
    masker = PiiMasker(ALL, mode="pseudonym", key=b"k1")
    one, _ = masker.mask_record(chat("My name is Maria Lopez.", "ok"))
    two, _ = masker.mask_record(chat("Thanks, Maria Lopez", "ok"))
    token = one["messages"][0]["content"].split()[-1].rstrip(".")
    assert token.startswith("<PERSON_") and token in two["messages"][0]["content"]
    other_key, _ = PiiMasker(ALL, mode="pseudonym", key=b"k2").mask_record(chat("My name is Maria Lopez.", "ok"))
    assert token not in other_key["messages"][0]["content"]


def test_pseudonym_mode_requires_key():
    with pytest.raises(ValueError, match="key"):
        PiiMasker(ALL, mode="pseudonym")


def test_custom_pattern_and_entity_selection():
    masker = PiiMasker(["email"], custom_patterns={"employee_id": r"\bEMP-\d{6}\b"})
    masked, counts = masker.mask_record(chat("EMP-123456 at a@b.co, SSN 123-45-6789", "ok"))
    assert masked["messages"][0]["content"] == "<EMPLOYEE_ID> at <EMAIL>, SSN 123-45-6789"
    assert counts == {"employee_id": 1, "email": 1}


def test_checksums():
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_valid("GB82 WEST 1234 5698 7654 32") and not iban_valid("GB82 WEST 1234 5698 7654 33")


def test_names_of_rare_words_are_masked_without_a_cue():
    """Neither word is a known name or a common word in seven languages: a person, not a product."""
    masker = PiiMasker(ALL)
    assert masker.find("We met Tavita Faleolo yesterday.") == [(7, 21, "person")]
    assert PiiMasker(ALL, rare_word_names=False).find("We met Tavita Faleolo yesterday.") == []


def test_known_first_name_before_a_core_english_word_is_not_a_person():
    masker = PiiMasker(ALL)
    for text in ("We use Okta Verify for MFA.", "The Grace Period ends Friday.",
                 "Meine Bestellung ist nicht angekommen, Rechnung Nummer fehlt."):  # German nouns are capitalised
        assert masker.find(text) == [], text
    assert masker.find("Ask Maria Long about it.") == [(4, 14, "person")]  # a surname that is also a word


def test_more_date_and_phone_formats():
    masker = PiiMasker(ALL)
    assert masker.find("born 12-Mar-1984") == [(5, 16, "date_of_birth")]
    assert masker.find("ring 07700 900123 today") == [(5, 17, "phone")]


def test_grouped_values_followed_by_a_capitalised_word_or_a_year():
    """A grouped IBAN or card may swallow the next short word; re-validated without it, both values are found."""
    masker = PiiMasker(ALL)
    text = "AT61 1904 3002 3457 3201 IBAN DE89 3704 0044 0532 0130 00"
    assert [e for _, _, e in masker.find(text)] == ["iban", "iban"]
    assert masker.find("card 4111 1111 1111 1111 2028 expiry") == [(5, 24, "credit_card")]


def test_secrets_after_snake_case_names_and_bearer():
    masker = PiiMasker(ALL)
    for text in ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                 "Authorization: Bearer abcDEF1234567890ghijKLMN"):
        assert [e for _, _, e in masker.find(text)] == ["secret"], text
    assert masker.find("the token bucket algorithm is fine; secret_santa_list_2026_final") == []


def test_more_street_suffixes():
    assert PiiMasker(ALL).find("Ship to 1 Infinite Loop, Cupertino") == [(8, 34, "street_address")]  # with the city


def test_street_name_particles_are_whole_words():
    """"des" once matched as "de" and left "s Vignes" behind, unmasked."""
    masker = PiiMasker(ALL)
    text = "Deliver to 85, Chemin des Vignes"
    assert masker.find(text) == [(11, len(text), "street_address")]


def test_quoted_secrets_and_possessive_street_names():
    masker = PiiMasker(ALL)
    assert masker.find("export DB_PASSWORD='GpIRRMPiqyVas088'") == [(20, 36, "secret")]
    assert masker.find("we moved to 150 King's Road") == [(12, 27, "street_address")]


def _found(text: str) -> list[tuple[str, str]]:
    return [(entity, text[start:end]) for start, end, entity in PiiMasker(ALL).find(text)]


@pytest.mark.parametrize("text, value", [
    ("Call me at 75 670 362.", "75 670 362"),  # short local numbers (Tunisia, Greenland) need a cue
    ("My phone is 96 63 21.", "96 63 21"),
    ("You can reach her on 75 670 362 after 5pm.", "75 670 362"),
    ("I called 96 63 21 twice", "96 63 21"),
    ("Dial 96 63 21 now", "96 63 21"),
    ("Please text 96 63 21!", "96 63 21"),
    ("ring him on 81 32 04", "81 32 04"),
    ('{"phone": "96 63 21"}', "96 63 21"),
    ("96 63 21 is my cell", "96 63 21"),
    ("Contact: 75 670 362 (home)", "75 670 362"),
    ("75 670 362 (mobile) or email", "75 670 362"),
    ("my number 75 670 362", "75 670 362"),  # whose number, messages to
    ("I would like to stop receiving messages to 96 63 21", "96 63 21"),
    # Named a phone by the words after it, but masked with the country code that a later detector reads.
    ("Contact: +41 (0)29 346 41 95 (home)", "+41 (0)29 346 41 95"),
    ("+46 (0)8 292 905 81 is my cell", "+46 (0)8 292 905 81"),
    ("reach me at (+44) 20 2748 8361 (mobile)", "(+44) 20 2748 8361"),
    # Labels of a contact card's lines, with a colon, and one-letter labels at a line's start.
    ("Home: 96 63 21", "96 63 21"), ("Hotline: 75 670 362", "75 670 362"), ("Contact no. 75 670 362", "75 670 362"),
    ("Numbers\nH: 96 63 21", "96 63 21"), ("(M) 75 670 362", "75 670 362"), ("Ph#96 63 21", "96 63 21"),
    ("Tel#: 96 63 21", "96 63 21"), ("Contact me on 96 63 21 or by email", "96 63 21"),
    # Caller ID names a phone, though "ID" before a number names an identifier.
    ("Caller ID: 937-434-3032", "937-434-3032"), ("caller-id 085 773 3897", "085 773 3897"),
])
def test_short_phones_after_verbs_of_phoning_and_before_words_naming_them(text, value):
    assert _found(text) == [("phone", value)]


@pytest.mark.parametrize("text, value", [
    ("Is 85 99 60 your number?", "85 99 60"),  # a phoning word anywhere in the sentence, before or after
    ("I can be reached at 72 231 101 after six.", "72 231 101"),
    ("85 99 60 - mobile", "85 99 60"),
    ("Missed call from 78 936 857 at 10:32", "78 936 857"),
    ("The number 85 99 60 is not in service.", "85 99 60"),
    ("please contact my husband, 72 231 101, if I am out", "72 231 101"),
])
def test_short_spaced_phones_in_a_sentence_about_phoning(text, value):
    assert _found(text) == [("phone", value)]


@pytest.mark.parametrize("text", [
    "We have 12 345 678 users; call us.",  # a count or an amount, named after it
    "Please call about 12 345 678 EUR.",
    "Number of rows: 12 345 678",  # "number of" counts
    "The invoice total was 12 345 678 and I called twice.",  # an amount named before it
    "Order 12 34 56 arrived, call me.",
    "Call me. The value is 12 34 56.",  # another sentence
])
def test_short_spaced_numbers_that_are_counts_amounts_or_in_another_sentence_are_no_phone(text):
    assert [entity for entity, _ in _found(text)] == []


@pytest.mark.parametrize("text", [
    "pmem(rss=10915840, text=2310144, lib=0)",  # a size in bytes after a "text" label
    "reach 100 000 users by May", "call it at least 12345678 times", "version 2024 is my number one",
    "Ticket 123456 (home)", "we dialed in at 10 15", "order number 12345678",
    "Work: 40 hours", "Q4 T: 12 34 56 units", "Office: 2024-01-15",
])
def test_numbers_near_phoning_words_that_are_no_phone(text):
    assert [entity for entity, _ in _found(text)] == []


def test_a_phone_number_right_before_another_value_keeps_its_own_groups():
    """The phone pattern would take the first group of what follows; both values must be masked whole."""
    assert _found("call +44 20 7946 0958 192.168.7.4:443") == [("phone", "+44 20 7946 0958"),
                                                              ("ip_address", "192.168.7.4")]
    # The IPv6 address is found first; the phone's match ran into it and is cut back to its own groups.
    assert _found("call +1 415 555 2671 2001:db8::7 is the host") == [("phone", "+1 415 555 2671"),
                                                                     ("ip_address", "2001:db8::7")]
    # A card number does not start after "+" nor end inside a following IP address.
    assert _found("+44 20 7946 0958 192.168.7.4") == [("phone", "+44 20 7946 0958"), ("ip_address", "192.168.7.4")]


@pytest.mark.parametrize("text, value", [
    ("social security number 219 09 9999", "219 09 9999"),
    ("SSN: 219099999", "219099999"),
    ("my ssn is 219-09-9999", "219-09-9999"),
])
def test_ssn_after_a_cue_in_spaced_or_compact_form(text, value):
    assert _found(text) == [("ssn", value)]


@pytest.mark.parametrize("text, value", [
    ("born on 3rd August 1979", "3rd August 1979"),
    ("born the 21st of June 1990", "the 21st of June 1990"),
    ("birthday: Aug. 3rd, 1979", "Aug. 3rd, 1979"),
    ("geb. 03.08.1979", "03.08.1979"),
    ("geboren am 3. August 1979", "3. August 1979"),
    ("née le 03/08/1979", "03/08/1979"),
    ("fecha de nacimiento: 1979-08-03", "1979-08-03"),
])
def test_dates_of_birth_with_ordinals_and_cues_in_other_languages(text, value):
    assert _found(text) == [("date_of_birth", value)]


@pytest.mark.parametrize("text, value", [
    ("Hi Priyanka, the export failed again.", "Priyanka"),
    ("Hi Grace, thanks for waiting.", "Grace"),  # an everyday word, but a first name after a greeting
    ("Escalated to Wu Fang on Friday.", "Wu Fang"),
    ("Attn: Dr. Nkemelu", "Dr. Nkemelu"),  # with its title, masked with the name
    ("Reported by Anh Quoc this morning.", "Anh Quoc"),
])
def test_names_after_a_person_cue(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Hi All, the export failed.", "cc Legal and Finance", "From: Monday to Friday",
                                  "Dear Support Team,", "Hello World example"])
def test_person_cues_before_everyday_words_mask_nothing(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("Contact: Okonjo, Chiamaka", "Okonjo, Chiamaka"),
    ("Owner: Lindqvist, Maria (EMEA)", "Lindqvist, Maria"),
    ("as agreed with Lindqvist, Maria last week", "Lindqvist, Maria"),  # no cue: both are known names
])
def test_surname_comma_first_name(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", ["Offices in Lagos, Nigeria and Nairobi, Kenya.", "Languages: English, Marathi",
                                  "Tested on Windows, Linux and macOS."])
def test_places_and_lists_are_not_surname_comma_first_name(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("Pieter van der Merwe approved it.", "Pieter van der Merwe"),
    ("Please ask Maria de la Cruz.", "Maria de la Cruz"),
    ("Dear Ruud van Nistelrooy,", "Ruud van Nistelrooy"),
])
def test_names_with_particles_are_masked_whole(text, value):
    assert ("person", value) in _found(text)


def test_double_barrelled_surnames_are_known_when_each_part_is():
    assert _found("Quang Fernández-Ruiz joined later.") == [("person", "Quang Fernández-Ruiz")]


@pytest.mark.parametrize("text", ["Flights to Rio de Janeiro are cheap.", "Tested with Adobe Acrobat Reader 2024",
                                  "The Card Reader is broken."])
def test_particles_and_everyday_surnames_in_place_and_product_names(text):
    assert _found(text) == []


def test_an_everyday_surname_after_a_rare_word_that_starts_the_run():
    assert _found("Spoke with Tiponi Montgomery on the phone.") == [("person", "Tiponi Montgomery")]


def _top_level_alternatives_of(pattern: str) -> list[str]:
    from tuneops.curate.pii import _top_level_alternatives

    return _top_level_alternatives(pattern)


def _top_level_first_letters(pattern: str) -> set[str]:
    """First letters of the alternatives of ``(?:a|b|...)``, not of groups nested inside them."""
    body, depth, letters, at_start = pattern[3:-1], 0, set(), True
    for i, char in enumerate(body):
        if at_start and depth == 0 and char.isalpha():
            letters.add(char)
        at_start = at_start and char == "["  # "[Bb]onjour": the class's first letter counts
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            at_start = True
    assert pattern.startswith("(?:") and pattern.endswith(")")
    return letters


def test_the_cue_lookahead_admits_every_cue_and_label():
    """The fast-skip lookahead must list the first letter of every alternative, in both cases."""
    import re

    from tuneops.curate import pii

    alternatives = re.findall(r"(?:^\(\?:|\|)(?:\(\?:)?(\[?[A-Za-z])", pii.PERSON_CUE + "|" + pii.PERSON_LABEL)
    letters = {a[-1] for a in alternatives}
    assert len(letters) > 10
    for letter in letters:
        assert letter.lower() in pii.PERSON_CUE_FIRST_LETTERS and letter.upper() in pii.PERSON_CUE_FIRST_LETTERS, letter
    for letter in re.findall(r"(?:^|(?<=\|))(\w)", pii.BIRTH_CUE):
        assert letter in "bdfgn", letter  # the date-of-birth detector's lookahead
    phone_cues = pii.PHONE_CUE + "|" + pii.PHONE_VERB
    leading_groups = re.findall(r"(?:^|(?<=\|))\(\?:([^()]*)\)", phone_cues)  # "(?:my|your) number"
    top_level_phone_cues = re.sub(r"\([^()]*\)", "", phone_cues)  # "reach (?:me|us) at"
    for letter in re.findall(r"(?:^|(?<=\|))(\w)", top_level_phone_cues + "|" + "|".join(leading_groups)):
        assert letter in pii.PHONE_CUE_FIRST_LETTERS, letter  # the compact phone detector's lookahead
    for letter in re.findall(r"(?:^\(\?:|(?<=\|))(\w)", pii.STREET_PREFIX_BEFORE_NUMBER.replace(pii._NOT_A_YEAR, "")):
        assert letter.lower() in pii.STREET_PREFIX_BEFORE_NUMBER_FIRST_LETTERS, letter
        assert letter.upper() in pii.STREET_PREFIX_BEFORE_NUMBER_FIRST_LETTERS, letter
    for letter in re.findall(r"(?:^\(\?:|(?<=\|))\[?(\w)", pii.PERSON_CONTEXT_BEFORE):
        assert letter.lower() in pii.PERSON_CONTEXT_BEFORE_FIRST_LETTERS, letter
        assert letter.upper() in pii.PERSON_CONTEXT_BEFORE_FIRST_LETTERS, letter
    for letter in _top_level_first_letters(pii.GREETING):
        assert letter.lower() in pii.GREETING_FIRST_LETTERS and letter.upper() in pii.GREETING_FIRST_LETTERS, letter
    for letter in _top_level_first_letters(f"(?:{pii.ADDRESS_CUE})"):
        assert letter.lower() in pii.ADDRESS_CUE_FIRST_LETTERS and letter.upper() in pii.ADDRESS_CUE_FIRST_LETTERS, letter
    for cue in _top_level_alternatives_of(pii.ADDRESS_CUE):
        assert any(part in cue for part in pii.ADDRESS_CUE_NEEDS), cue
    for closing in pii.CLOSING.split("|"):
        word = re.sub(r"\[(\w)\w\]", r"\1", closing).lower()  # "[Tt]hanks" -> "thanks"
        assert any(part in word for part in pii.CLOSING_NEEDS), closing


def test_the_context_pre_check_admits_every_verb():
    """The detector of "X said" is only tried when a part of one of its verbs occurs."""
    from tuneops.curate import pii

    verbs = _top_level_alternatives_of(pii.PERSON_CONTEXT_AFTER)
    assert len(verbs) > 20
    for verb in verbs:
        assert any(part in verb for part in pii.PERSON_CONTEXT_AFTER_NEEDS), verb


@pytest.mark.parametrize("text, value", [
    ("talked to Xanthe Zapatero today", "Xanthe Zapatero"),
    ("as Kaveh Yeo said, the date was wrong", "Kaveh Yeo"),
    ("Naledi Zapatero (Finance) asked for a copy", "Naledi Zapatero"),
    ("Agent Ulyana Yeo closed it.", "Ulyana Yeo"),
    ("Ibrahima Zapatero approved the refund", "Ibrahima Zapatero"),
])
def test_a_rare_first_word_starts_a_name_where_a_person_stands(text, value):
    """After "talked to" or a role, or before what people do, a rare word and a surname-like word are a name."""
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "Windows Update said the reboot is pending",
    "Okta Verify confirmed the sign-in",
    "Customer Service asked for the order number",
    "we talked to Support Team yesterday",
])
def test_products_and_teams_where_a_person_stands_are_kept(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("dob=19831124", "19831124"),
    ("DOB: 24111983", "24111983"),
    ("date_of_birth: 24 11 1983", "24 11 1983"),
    ('{"dateOfBirth": "1990-02-03"}', "1990-02-03"),
    ("user_dob=11241983", "11241983"),
])
def test_compact_dates_and_code_style_birth_keys(text, value):
    assert ("date_of_birth", value) in _found(text)


@pytest.mark.parametrize("text", ["dob=19831324", "dob=123456789", "born 2019 in Lagos"])
def test_eight_digits_that_are_no_date_are_kept(text):
    assert [f for f in _found(text) if f[0] == "date_of_birth"] == []


@pytest.mark.parametrize("text, value", [
    ("Street: Hauptstr. 16", "Hauptstr. 16"),
    ("moved to Bahnhofstr 3a last year", "Bahnhofstr 3a"),
    ("Berliner Str. 5, Berlin", "Berliner Str. 5, Berlin"),
    ("Alte Gasse 12", "Alte Gasse 12"),
    ("Storgt. 5, Oslo", "Storgt. 5, Oslo"),
    ("C/ Mayor 12, Madrid", "C/ Mayor 12, Madrid"),
    ("V.le Monza 40, Milano", "V.le Monza 40, Milano"),
])
def test_abbreviated_street_types(text, value):
    assert ("street_address", value) in _found(text)


def test_a_name_after_a_cue_stops_before_a_label():
    """"Contact" ends with a colon: it labels the next name and is no part of the one before."""
    assert _found("cc Quang Fernández-Ruiz Contact: Okonjo, Chiamaka") == [
        ("person", "Quang Fernández-Ruiz"), ("person", "Okonjo, Chiamaka")]


@pytest.mark.parametrize("text, value", [
    ("Niamh Ó Conchúir is on leave.", "Niamh Ó Conchúir"),
    ("handing over to Siobhán Ní Bhriain", "Siobhán Ní Bhriain"),
    ("Owner - Okonjo, Chiamaka", "Okonjo, Chiamaka"),
])
def test_irish_particles_and_dashed_labels(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, found", [
    ("Part No. 4471-220 is back in stock", []),
    ("call 555-1234 after lunch", [("phone", "555-1234")]),
    ("pages 123-127 and 412-424", []),
    ("call 0171 2345678", [("phone", "0171 2345678")]),
])
def test_two_group_numbers_without_a_country_code(text, found):
    assert _found(text) == found


@pytest.mark.parametrize("text, found", [
    ("Password: Tr0ub4dor&3 thanks", [("secret", "Tr0ub4dor&3")]),
    ("passwort: Sommer2024.", [("secret", "Sommer2024")]),
    ("reset your password: click the link", []),
    ("the password is 8 characters long", []),
])
def test_passwords_of_eight_or_more_characters_after_a_cue(text, found):
    assert _found(text) == found


def test_date_of_birth_with_a_two_digit_year():
    assert _found("birthdate 7-Feb-83, verified") == [("date_of_birth", "7-Feb-83")]


@pytest.mark.parametrize("value", ["ul. Wiejska 4", "Plac Zbawiciela 12", "Passeig de Gràcia 92", "Corso Buenos Aires 33",
                                   "R São Romão 118", "Ctra. Villena 53", "Λεωφ. Ποσειδώνος 30", "Λ. Πειραιώς 188",
                                   "55 Avenue du Golf Arabe", "90 Place du Jeu de Paume", "U Parku 310", "V Zahradách 505",
                                   "92 route de Lyon", "20 rue de l'Epeule", "Avenue d'Ouchy 109", "1819 St. John Street",
                                   "2858 St-Jerome Street"])
def test_street_types_written_before_the_name(value):
    assert _found(f"Ship it to {value} please") == [("street_address", value)]


def test_a_password_cue_in_a_url_template_is_no_password():
    assert _found("voipms://password:email/FromPhoneNo/ToPhoneNo1/ToPhoneNo2") == []


@pytest.mark.parametrize("text, value, entity", [
    ("birthday is on 4 July 1976", "4 July 1976", "date_of_birth"),
    ("born: 1st of May, 1980", "1st of May, 1980", "date_of_birth"),
    ("mob: 0612345678", "0612345678", "phone"),
    ("whatsapp +31612345678", "+31612345678", "phone"),
    ("AccountName=x;AccountKey=Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZg==;EndpointSuffix=core", "Zm9vYmFyMTIzNDU2Nzg5MGFiY2RlZg==", "secret"),
    ('"private_key_id": "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",', "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", "secret"),
    ("Konrad-Adenauer-Straße 12", "Konrad-Adenauer-Straße 12", "street_address"),
    ("send it to PO Box 7781", "PO Box 7781", "street_address"),
    ("Approver - Aroha Te Whiu", "Aroha Te Whiu", "person"),
    ("Daan de Vries approved it", "Daan de Vries", "person"),
    ("Reviewer: Ngaire Bae", "Ngaire Bae", "person"),
])
def test_more_cues_and_forms(text, value, entity):
    assert (entity, value) in _found(text)


@pytest.mark.parametrize("text", ["V Praze 2024 bylo", "Invoice 2024-00917 is overdue", "order 2291-55 shipped", "call it at least 12345678 times",
                                  "Tour de France results", "Customer: Acme, Inc. renewed"])
def test_numbers_and_particles_that_are_no_pii(text):
    assert _found(text) == []


def test_a_list_of_full_names_is_not_read_as_surname_comma_first_name():
    text = "Thanks to Jörg Maier, Andy MacKinlay, Thomas Roten and others"
    spans = [value for entity, value in _found(text)]
    assert "Andy MacKinlay" in spans and "Thomas Roten" in spans and "Maier, Andy" not in spans


@pytest.mark.parametrize("text, value, entity", [
    ("DOB (DD.MM.YYYY): 04.07.1976", "04.07.1976", "date_of_birth"),
    ("Date of Birth: 04 JUL 1976", "04 JUL 1976", "date_of_birth"),
    ("ship to 350 East 42nd Street", "350 East 42nd Street", "street_address"),
    ("Mannerheimintie 14", "Mannerheimintie 14", "street_address"),
    ("Vesterbrogade 12", "Vesterbrogade 12", "street_address"),
    ("card 4111.1111.1111.1111 expired", "4111.1111.1111.1111", "credit_card"),
    ("SECRET_KEY = 'x9#k$2m!q8@z7&w1%v6^b4*n3(p0)r5-t'", "x9#k$2m!q8@z7&w1%v6^b4*n3(p0)r5-t", "secret"),
    ("export DIGITALOCEAN_TOKEN=dop_v1_" + "ab12" * 16, "dop_v1_" + "ab12" * 16, "secret"),
    ("rotate github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz now", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "secret"),
    ("session cookie Xk29fLq8ZmW3pR7tYv5NbC", "Xk29fLq8ZmW3pR7tYv5NbC", "secret"),  # random: masked without a cue
])
def test_format_hints_ordinal_streets_dotted_cards_quoted_and_random_secrets(text, value, entity):
    assert (entity, value) in _found(text)


@pytest.mark.parametrize("text", ["see commit 3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39", "run SmolLM2-135M-Instruct-Q4",
                                  "id 123e4567-e89b-12d3-a456-426614174000", "the test_mask_record_with_pseudonyms_2024 case",
                                  "version 4.12.1.2024 is out"])
def test_hashes_slugs_and_identifiers_are_no_random_secrets(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value, entity", [
    ('{"birthdate": "1988-02-29T00:00:00Z"}', "1988-02-29", "date_of_birth"),
    ("fecha de nacimiento: 3 de abril de 1979", "3 de abril de 1979", "date_of_birth"),
    ("née le 3 décembre 1979", "3 décembre 1979", "date_of_birth"),
    ("geboren am 3. März 1979", "3. März 1979", "date_of_birth"),
    ("IBAN: de89370400440532013000", "de89370400440532013000", "iban"),
    ("Ph: +55 (11) 91234-5678", "+55 (11) 91234-5678", "phone"),
    ("Av. Corrientes 1234, Buenos Aires", "Av. Corrientes 1234, Buenos Aires", "street_address"),
    ("Keizersgracht 123", "Keizersgracht 123", "street_address"),
])
def test_dates_in_json_and_romance_languages_lowercase_ibans_and_more_street_forms(text, value, entity):
    assert (entity, value) in _found(text)


def test_an_iban_must_have_its_countrys_length():
    assert not iban_valid("DE5629141777631706690743")  # checksum valid, but 24 characters: German IBANs have 22
    assert _found("ref ab12cdef34567890ab12cdef") == []  # lower case and no registered country


def test_a_value_found_inside_a_longer_token_is_masked_where_it_was_found():
    """The whole-word rule that spreads a value through the record must not skip the place it was found."""
    masked, counts = PiiMasker(ALL).mask_record(chat('{"birthdate": "1969-08-11T00:00:00Z"}', "Noted."))
    assert "1969-08-11" not in masked["messages"][0]["content"] and counts["date_of_birth"] == 1


MONTHS = {
    "en": "January February March April May June July August September October November December",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
}


@pytest.mark.parametrize("language", sorted(MONTHS))
def test_every_month_name_of_the_seven_languages(language):
    for month in MONTHS[language].split():
        text = f"born 3 {month} 1980"
        assert _found(text) == [("date_of_birth", f"3 {month} 1980")], text


@pytest.mark.parametrize("text", [
    "Release date 2024-01-15, deployed between 2024-01-15 and 2024-02-01",
    "due 15-01-2024",
    "amount 12 345 678 EUR",
    "Order 1234-5678-9012 shipped",
    "lot 2024-117-0042",
    "EAN 4006 3813 3393 1",
    "build 10.0.19045.3803",
    "version 1.2.3.4",
])
def test_dates_amounts_and_labelled_identifiers_are_no_phones_or_ips(text):
    """A date, spaced thousands, or digits right after an identifier label ("Order", "lot",
    "version") are that thing, not a phone number or an IP address."""
    assert _found(text) == []


@pytest.mark.parametrize("text, found", [
    ("Order: 555-1234, phone 555-1234", [("phone", "555-1234")]),
    ("server 10.0.0.1 is down", [("ip_address", "10.0.0.1")]),
    ("call 612 345 678", [("phone", "612 345 678")]),
])
def test_the_identifier_label_only_covers_the_value_right_after_it(text, found):
    assert _found(text) == found



@pytest.mark.parametrize("text, value", [
    ("Invoice 88213 - customer +1-536-818-0093", "+1-536-818-0093"),
    ("my account +41 (0)48 746 37 34", "+41 (0)48 746 37 34"),
    ("Customer: (021)349-4995", "(021)349-4995"),
    ("member (+44) 7700 900123 called", "(+44) 7700 900123"),
    ("device (02) 4985 9082 is offline", "(02) 4985 9082"),
])
def test_a_number_with_a_dialling_code_is_a_phone_even_after_an_identifier_label(text, value):
    """No order, account or device number starts with "+" or an area code in brackets, so the
    label before it does not make it one."""
    assert ("phone", value) in _found(text)


@pytest.mark.parametrize("text", ["my account 536-818-0093", "Order (1234)", "customer 2024-117-0042"])
def test_a_number_without_a_dialling_code_after_an_identifier_label_stays_that_identifier(text):
    assert _found(text) == []

@pytest.mark.parametrize("text, value", [
    ("mail me at maria(at)example(dot)com", "maria(at)example(dot)com"),
    ("maria.lopez AT example DOT com", "maria.lopez AT example DOT com"),
    ("write to maria.lopez at example.com", "maria.lopez at example.com"),
    ("maria [at] example [dot] co [dot] uk", "maria [at] example [dot] co [dot] uk"),
])
def test_spelled_out_email_addresses(text, value):
    assert ("email", value) in _found(text)


@pytest.mark.parametrize("text", ["look at example.com", "Look AT this DOT net", "we met at 10 dot 30"])
def test_at_and_dot_in_prose_are_no_email(text):
    assert [f for f in _found(text) if f[0] == "email"] == []


def test_an_iban_in_dashed_groups():
    assert _found("IBAN DE89-3704-0044-0532-0130-00") == [("iban", "DE89-3704-0044-0532-0130-00")]


@pytest.mark.parametrize("text, value", [
    ("Geb.-Datum: 03.03.1990", "03.03.1990"),
    ("born in 1990-03-03", "1990-03-03"),
    ("birth_dt=1990-03-03", "1990-03-03"),
])
def test_more_birth_cues(text, value):
    assert ("date_of_birth", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Bonjour Anouk, merci", "Anouk"),
    ("Hola Xanthe Zapatero:", "Xanthe Zapatero"),
    ("Ciao Giulia, come stai", "Giulia"),
    ("Goedemorgen Anouk Peeters,", "Anouk Peeters"),
    ("Regards, T. Wiśniewski", "T. Wiśniewski"),
    ("Thanks a lot!\n- Priya", "Priya"),
    ("Cordialement\n\nAnouk Peeters", "Anouk Peeters"),
    ("MARIA LOPEZ called twice", "MARIA LOPEZ"),
    ("Customer: LOPEZ, MARIA", "LOPEZ, MARIA"),
])
def test_greetings_in_other_languages_initials_signatures_and_capitals(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "Hola Equipo, el pedido no llegó",
    "Hallo Team, bitte prüfen",
    "- English\n- French",
    "HTTP ERROR 500 from ACME CORP",
    "PLEASE CALL ASAP",
])
def test_greeted_teams_bullets_and_acronyms_are_no_names(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


def test_common_word_lookups_fold_case_as_the_word_lists_do():
    """wordfreq's lists are case-folded ("grüsse"); a lookup of "Grüße" must fold the same way."""
    from tuneops.curate.pii import _NameWords

    assert not _NameWords.load().rare("Grüße")


@pytest.mark.parametrize("text, value", [
    ("Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==", "dXNlcjpwYXNzd29yZDEyMw=="),
    ("postgres://admin:S3cr3tPass@db.internal:5432/app", "S3cr3tPass"),
    ("client_secret: 8Q~xY7.abcDEF_ghiJKL-mnoPQR1234stuVW", "8Q~xY7.abcDEF_ghiJKL-mnoPQR1234stuVW"),
    ("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
     "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"),
    ("hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("the pin is 4471", "4471"),
    ("CVV: 123", "123"),
    ("my password is hunter2", "hunter2"),
    ("heroku key 01234567-89ab-cdef-0123-456789abcdef", "01234567-89ab-cdef-0123-456789abcdef"),
])
def test_more_secret_shapes(text, value):
    assert ("secret", value) in _found(text)


@pytest.mark.parametrize("text", [
    "connect with postgres://user:password@host/db",
    "use scheme://login:<pass>@host",
    "pin the version to 2.0",
    "pin 3.11 in the lock file",
    "the password is expired",
])
def test_templates_and_pinned_versions_are_no_secrets(text):
    assert [f for f in _found(text) if f[0] == "secret"] == []


@pytest.mark.parametrize("text, value", [
    ("1600 Amphitheatre Pkwy", "1600 Amphitheatre Pkwy"),
    ("Avenue des Champs-Élysées 75", "Avenue des Champs-Élysées 75"),
    ("Strandvejen 12", "Strandvejen 12"),
    ("ul. Nowy Świat 15", "ul. Nowy Świat 15"),
    ("Váci utca 10", "Váci utca 10"),
    ("Karl Johans gate 5", "Karl Johans gate 5"),
    ("500 W 5th St Apt 2", "500 W 5th St Apt 2"),
    ("1234 N. Main Street", "1234 N. Main Street"),
    ("Jalan Sudirman No. 5", "Jalan Sudirman No. 5"),
    ("Rua Augusta, nº 274", "Rua Augusta, nº 274"),
    ("Oxford St 12", "Oxford St 12"),
    ("Baker Street 221b, London", "Baker Street 221b, London"),
    ("Überseering 5", "Überseering 5"),
])
def test_more_street_forms(text, value):
    assert ("street_address", value) in _found(text)


def test_a_street_name_stops_before_a_value_in_capitals():
    """"93 Rue des Écoles IBAN DE89...": the street is masked without swallowing the label "IBAN"."""
    assert _found("Street: 93 Rue des Écoles IBAN DE89 3704 0044 0532 0130 00 ok") == [
        ("street_address", "93 Rue des Écoles"), ("iban", "DE89 3704 0044 0532 0130 00")]


def test_a_year_after_a_street_name_is_no_house_number():
    assert _found("Wall Street 2024 results") == []


@pytest.mark.parametrize("text, value", [
    ("Guarantor: Oyelowo, Tuğba", "Oyelowo, Tuğba"),
    ("Guarantor: Vargas Llosa, Odette", "Vargas Llosa, Odette"),
    ("Bartosz Nieuwenhuis left a voicemail", "Bartosz Nieuwenhuis"),
    ("Rukmini Nieuwenhuis from Accounts called", "Rukmini Nieuwenhuis"),
    ("Account owner Tuğba Rosenthal asked", "Tuğba Rosenthal"),
    ("- Qing Yamasaki, Product Manager", "Qing Yamasaki"),
    ("talked to Qing Yamasaki", "Qing Yamasaki"),
])
def test_roles_job_titles_and_what_people_do(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "Windows Update from Microsoft failed",
    "Tested with Adobe Acrobat Reader",
    "Sent from Outlook Mobile",
])
def test_products_after_with_and_from_are_kept(text):
    """"with" and "from" come before products as often as before people: a stricter test applies."""
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("Please ask Keiko Dvorak in accounting", "Keiko Dvorak"),
    ("Forwarding to Jarrah Delacroix for approval", "Jarrah Delacroix"),
    ("Assigning this one to Cuauhtémoc Fonoti.", "Cuauhtémoc Fonoti"),
    ("Yusra Eastwood is our new account manager", "Yusra Eastwood"),
    ("Per Dinara Wainwright, the refund was approved", "Dinara Wainwright"),
    ("Best wishes, Duc Quarshie", "Duc Quarshie"),
    ("ask Venkatesh Dela Cruz for access", "Venkatesh Dela Cruz"),
    ("Passenger: de Vries, Hugo", "de Vries, Hugo"),
    ("can Qing Uysal confirm?", "Qing Uysal"),
])
def test_requests_handovers_and_states_of_people(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Can Windows Update run twice?", "Per Month Billing", "call Customer Service", "is on Windows Server"])
def test_everyday_words_after_request_cues_are_kept(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("Dagmara Gorostiaga's laptop won't boot", "Dagmara Gorostiaga"),
    ("talked to Xanthe Zapatero's manager", "Xanthe Zapatero"),
    ("Contact: O'Neil, Siobhan", "O'Neil, Siobhan"),
])
def test_a_possessive_s_is_no_part_of_the_name(text, value):
    assert ("person", value) in _found(text)


def test_the_possessive_survives_masking():
    from tuneops.curate.pii import PiiMasker

    masked = PiiMasker(["person"]).mask_record({"messages": [{"role": "user", "content": "Dagmara Gorostiaga's laptop"}]})[0]
    assert masked["messages"][0]["content"] == "<PERSON>'s laptop"


@pytest.mark.parametrize("text", ["Dear Helpdesk,", "Hi DevOps team", "Hello Infosec"])
def test_greeted_teams_are_no_names(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


CUE_SAMPLES = [
    "Dear Maria", "Hi Maria", "Hello Maria", "hey Maria", "cc: Maria", "CC Maria", "bcc: Maria", "Attn: Maria",
    "From: Maria", "To: Maria", "reported by Maria", "Assigned to: Maria", "assigned by Maria", "Mr. Lopez",
    "Mrs Lopez", "Ms Lopez", "Dr. Lopez", "Prof Lopez", "Herr Lopez", "Frau Lopez", "Mme Lopez", "Sr Lopez",
    "Sra. Lopez", "Contact: Maria", "Guarantor: Maria", "Policyholder: Maria", "policy holder: Maria",
    "Traveller: Maria", "Traveler: Maria", "talked to Maria", "spoke with Maria", "according to Maria",
    "forwarding this to Maria", "assigned it to Maria", "handing over to Maria", "ask Maria", "Per Maria",
    "Bonjour Maria", "Buenos días Maria", "Boa tarde Maria", "Good morning Maria", "Thanks", "Thank you",
    "Ta", "Best", "Groeten", "Grüße", "Obrigada", "Mx Lopez", "Lieber Maria", "Sehr geehrter Maria",
    "address: 5 Main St", "addr. 5 Main St", "deliver to 5 Main St", "delivery to 5 Main St", "moved to Gran Vía 4",
    "resides at Gran Vía 4", "send it to Gran Vía 4", "adresse Gran Vía 4",
]


@pytest.mark.parametrize("name", ["PERSON_CUE", "PERSON_LABEL", "GREETING", "CLOSING", "PERSON_CONTEXT_BEFORE", "ADDRESS_CUE"])
def test_grouping_branches_by_first_letter_keeps_what_they_match(name):
    """``by_first_letter`` is a speed-up only: on every sample the grouped alternation matches the
    same prefix as the one written in the module."""
    import re

    from tuneops.curate import pii

    written = re.compile(rf"(?:{getattr(pii, name)})")
    grouped = re.compile(pii.by_first_letter(getattr(pii, name)))
    matched = 0
    for sample in CUE_SAMPLES:
        a, b = written.match(sample), grouped.match(sample)
        assert (a and a.group()) == (b and b.group()), sample
        matched += a is not None
    assert matched >= 3


def test_grouping_refuses_a_branch_it_cannot_key():
    from tuneops.curate.pii import by_first_letter

    with pytest.raises(ValueError, match="does not start with a letter"):
        by_first_letter(r"[Hh]i|\d+")


@pytest.mark.parametrize("text, value", [
    ("I moved to Gran Vía 49.", "Gran Vía 49"),
    ("Address - Unter den Linden 57", "Unter den Linden 57"),
    ("Adresse: Unter den Linden 77", "Unter den Linden 77"),
    ("address: 5 Gran Vía, Madrid", "5 Gran Vía, Madrid"),
])
def test_a_street_without_a_street_type_after_an_address_cue(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["moved to Windows Server 2022", "ship to Customer Service 2", "moved to Monday March 5"])
def test_everyday_words_and_dates_after_an_address_cue_are_no_street(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


def test_without_rare_word_names_a_context_needs_a_known_name():
    """The leak check of generated text turns rare-word names off: invented words after "talked
    to" are no leak, a known name still is."""
    from tuneops.curate.pii import PiiMasker

    masker = PiiMasker(["person"], rare_word_names=False)
    assert masker.find("talked to Qorvex Blantu today") == []
    assert masker.find("talked to Maria Zapatero today") == [(10, 24, "person")]


@pytest.mark.parametrize("text, value", [
    ("our office is at 23 Kingsway now", "23 Kingsway"),  # a one-word street in "-way"
    ("meet me at 1619 Broadway, New York", "1619 Broadway, New York"),
    ("send the replacement to 5 Kingsway please", "5 Kingsway"),
    ("return label from 13 Marylebone, London", "13 Marylebone, London"),  # one name word after a house number and a cue
    ("we are based at 4 Ridgeway", "4 Ridgeway"),
])
def test_one_word_streets_after_a_house_number(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["I ordered 2 Subway sandwiches", "all 3 Gateway servers", "the 5 Railway tickets",
                                  "send the invoice to 2 Customers", "based at 3 Offices"])
def test_words_in_way_and_everyday_words_after_a_number_are_no_street(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


@pytest.mark.parametrize("text, value", [
    ("Customer: Folasade Wainwright about the refund", "Folasade Wainwright"),  # a role as a field label
    ("as Folasade Wainwright pointed out, it fails", "Folasade Wainwright"),
    ("Hello, Folasade Wainwright (cc) - please check", "Folasade Wainwright"),
    ("Folasade Wainwright (she/her) owns this", "Folasade Wainwright"),
])
def test_more_places_where_a_person_stands(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("handing this over to Adaora Eberhardt Mark II? about", "Adaora Eberhardt"),
    ("cc Adaora Eberhardt Mark II", "Adaora Eberhardt"),
    ("thanks Maria Lopez III", "Maria Lopez III"),  # a generational suffix is part of the name
])
def test_a_model_name_after_a_name_is_not_part_of_it(text, value):
    persons = [f for f in _found(text) if f[0] == "person"]
    assert persons == [("person", value)]


@pytest.mark.parametrize("text", ["see Ivy Bridge", "re Jade Green", "Subject: Iris Scanner", "an Amber Alert",
                                  "(Rose Gold)", "Pearl Harbor"])
def test_a_given_name_that_is_an_everyday_word_starts_a_thing_without_context(text):
    """"Ivy Bridge" is a CPU, "Jade Green" a colour: kept where nothing says a person."""
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("see Rose Byrne", "Rose Byrne"),  # a surname in English-speaking countries
    ("Hope Davis", "Hope Davis"),
    ("Iris Murdoch", "Iris Murdoch"),  # a known surname that is no core English word
    ("Holly White", "Holly White"),  # a colour, but Holly is no colour
    ("ask Ivy Bridge about it", "Ivy Bridge"),  # a context says a person
    ("Jade Green said it broke", "Jade Green"),
])
def test_a_given_name_that_is_an_everyday_word_before_a_surname_or_in_context_is_a_person(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Phone no: 0031 6 69691787 ok", "0031 6 69691787"),  # "00" before the country code, as "+"
    ("call 0044 20 7946 0958 now", "0044 20 7946 0958"),
])
def test_an_international_00_prefix(text, value):
    assert ("phone", value) in _found(text)


@pytest.mark.parametrize("value", [
    "dapi5427e195a1f7bcac96e86aac7b625bbc",  # Databricks
    "PMAK-5f1e2d3c4b5a69788796a5b4-0123456789abcdef0123456789abcdef01",  # Postman
    "hvs.CAESIJlU9JMYEhOPYv4igdhm9PnZDrabYTobQ4Ymnlq1qY-2",  # HashiCorp Vault
    "key-3a96f2d1c0b8e7a65f4d3c2b1a098f7e",  # Mailgun
    "NRAK-7JZ3QKXW5VJ8R2N4M6P1T9Y0ABC",  # New Relic
])
def test_more_published_key_prefixes_without_a_cue(value):
    assert ("secret", value) in _found(f"I accidentally committed {value} yesterday")


@pytest.mark.parametrize("text, value", [
    ("User Caspian Whitlock cannot log in", "Caspian Whitlock"),
    ("Benedetta Zielinska has been trying to log in", "Benedetta Zielinska"),
    ("Hi, Caspian Gudmundsson - Operations", "Caspian Gudmundsson"),
    ("Kind regards,\nPaavo Zielinska Windows Server 2019 again", "Paavo Zielinska"),  # not "... Windows"
])
def test_users_states_departments_and_a_product_after_a_signature(text, value):
    assert [f for f in _found(text) if f[0] == "person"] == [("person", value)]


@pytest.mark.parametrize("text", ["Windows Server has been down", "Windows Server - Operations", "User Guide cannot load",
                                  "the Data Lake - Security"])
def test_products_before_states_and_departments_are_kept(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value, entity", [
    ('{"password": "iNhM3HMaad!44"}', "iNhM3HMaad!44", "secret"),  # the cue is a quoted JSON key
    ("DOB 07MAR1996 on the form", "07MAR1996", "date_of_birth"),  # day, month abbreviation, year run together
    ("dob: 7Mar96", "7Mar96", "date_of_birth"),
])
def test_quoted_password_keys_and_compact_dates_with_a_month_abbreviation(text, value, entity):
    assert (entity, value) in _found(text)


@pytest.mark.parametrize("text", ["closed for Martin Luther King Day", "she studies at Simon Fraser University",
                                  "flights from John Wayne Airport"])
def test_a_name_before_an_eponym_noun_is_kept(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


def test_a_name_before_an_eponym_noun_is_still_masked_after_a_cue():
    assert ("person", "Simon Fraser") in _found("cc Simon Fraser Day one")


@pytest.mark.parametrize("text, value", [
    ("ship it to Calle 72 #8-17 please", "Calle 72 #8-17"),  # Colombian grid address
    ("Carrera 7 No. 71-21, Bogotá", "Carrera 7 No. 71-21, Bogotá"),
])
def test_grid_addresses(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["see: ID 0042-1133", "account 5512-0098 is locked", "Room 4471-220",
                                  "Customer ID: 937-434-3032", "Device ID 0612345678"])
def test_digits_after_an_id_or_account_label_are_no_phone(text):
    assert [f for f in _found(text) if f[0] == "phone"] == []


@pytest.mark.parametrize("text, value", [
    ("ask reuben fenwick about it", "reuben fenwick"),  # known first name
    ("thanks john smith", "john smith"),
    ("talk to maria de la cruz", "maria de la cruz"),
    ("ask kalinda ostrowski about it", "kalinda ostrowski"),  # two rare words after a strong cue
    ("call john smith back", "john smith"),
])
def test_names_typed_in_lower_case_after_a_chat_cue(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["ask support team about it", "thank you so much",
                                  "ping me tomorrow", "Call enum constructors in both modes", "hi there friend"])
def test_lower_case_words_after_a_chat_cue_that_are_no_name(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("cues, letters", [("LOWER_CASE_NAME_CUE", "LOWER_CASE_NAME_CUE_FIRST_LETTERS"),
                                           ("LOWER_CASE_NAME_WEAK_CUE", "LOWER_CASE_NAME_WEAK_CUE_FIRST_LETTERS")])
def test_the_lower_case_cue_lookaheads_admit_every_cue(cues, letters):
    from tuneops.curate import pii

    for letter in _top_level_first_letters(f"(?:{getattr(pii, cues)})"):
        assert letter.lower() in getattr(pii, letters) and letter.upper() in getattr(pii, letters), letter


@pytest.mark.parametrize("text, value", [
    ("It was sung by Pauline K Nielsen in 1981", "Pauline K Nielsen"),  # uncued, initial without a full stop
    ("please change it to Maciej G. Borkowski", "Maciej G. Borkowski"),
    ("My name is Ludwig A. Salinas.", "Ludwig A. Salinas"),  # after a cue
    ("Name: Keijo P. Salmela", "Keijo P. Salmela"),
    ("i'm lucrezia r lettiere, originally from casal", "lucrezia r lettiere"),  # lower case
    ("my name is djevad šušulić but", "djevad šušulić"),
    ("Philip Shaw MD listed his top 20 songs", "Philip Shaw MD"),  # a degree after the name
])
def test_middle_initials_suffixes_and_lower_case_self_introductions(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Plan B Strategy and Windows XP Home", "I'm not sure what happened", "ask maria a question"])
def test_a_capital_letter_between_words_alone_makes_no_name(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, name", [("call john tomorrow", "john"), ("rebecca said no", "rebecca")])
def test_a_lower_case_name_takes_no_word_after_it(text, name):
    assert [f for f in _found(text) if f[0] == "person"] == [("person", name)]


def _masked(text: str) -> str:
    masker = PiiMasker(["person", "email", "phone"])
    return masker.mask_record({"messages": [{"role": "user", "content": text}]})[0]["messages"][0]["content"]


@pytest.mark.parametrize("text, masked", [
    ("a film directed by Igor Barros and starring Barros", "a film directed by <PERSON> and starring <PERSON>"),
    ("You can tell Indriði was a huge Indriði Heiðarsson fan.", "You can tell <PERSON> was a huge <PERSON> fan."),
    ("Luke Tretiakov's Cautionary Tales. Better than early Tretiakov?", "<PERSON>'s Cautionary Tales. Better than early <PERSON>?"),
    # A part that starts a longer capitalised phrase names something else.
    ("Dear Grace Moloi, the [Grace Period] ends; ok Grace?", "Dear <PERSON>, the [Grace Period] ends; ok <PERSON>?"),
    ("Attendee: Heikki Martin. On Martin Luther King Day: Martin said",
     "Attendee: <PERSON>. On Martin Luther King Day: <PERSON> said"),
])
def test_each_part_of_a_found_name_is_masked_where_it_stands_alone(text, masked):
    assert _masked(text) == masked


def test_name_parts_are_masked_in_the_other_turns_and_are_counted_as_persons():
    record = {"messages": [{"role": "user", "content": "Hi, I'm Ana Ruiz."},
                           {"role": "assistant", "content": "Thanks Ana, and hello Ruiz family."}]}
    masked, counts = PiiMasker(["person"]).mask_record(record)
    assert masked["messages"][1]["content"] == "Thanks <PERSON>, and hello <PERSON> family."
    assert counts["person"] == 3


@pytest.mark.parametrize("turns, masked", [
    # A name found in one turn is masked where another turn types it in lower case or in capitals.
    (["hey its hilarion again", "Thanks Hilarion, we fixed it"], ["hey its <PERSON> again", "Thanks <PERSON>, we fixed it"]),
    (["I'm Martin Kowalczyk", "the kowalczyk family; KOWALCZYK"], ["I'm <PERSON>", "the <PERSON> family; <PERSON>"]),
    (["Ana Ruiz here", "ANA RUIZ confirmed, and ana ruiz too"], ["<PERSON> here", "<PERSON> confirmed, and <PERSON> too"]),
    # A name whose lower case is a word stays a word in lower case.
    (["Hi I'm Rose Tamburello", "thanks, the prices rose"], ["Hi I'm <PERSON>", "thanks, the prices rose"]),
    (["Will Smith here", "will smith be there?"], ["<PERSON> here", "will smith be there?"]),
    # In a web address or a path a lower-case name is a product's or a site's.
    (["Thanks Hilarion", "see hilarion.dev/docs or /srv/hilarion/"], ["Thanks <PERSON>", "see hilarion.dev/docs or /srv/hilarion/"]),
])
def test_a_found_name_is_masked_in_the_other_turns_in_any_case(turns, masked):
    record = {"messages": [{"role": ("user", "assistant")[i % 2], "content": turn} for i, turn in enumerate(turns)]}
    assert [m["content"] for m in PiiMasker(["person"]).mask_record(record)[0]["messages"]] == masked


def test_a_name_in_another_case_gets_the_same_pseudonym():
    masker = PiiMasker(["person"], mode="pseudonym", key=b"k" * 32)
    record = {"messages": [{"role": "user", "content": "hey its hilarion again"},
                           {"role": "assistant", "content": "Thanks Hilarion!"}]}
    user, assistant = (m["content"] for m in masker.mask_record(record)[0]["messages"])
    pseudonym = user.split()[2]
    assert pseudonym.startswith("<PERSON_") and assistant == f"Thanks {pseudonym}!"


@pytest.mark.parametrize("text, value", [
    ("Groupe SA songwriter Mrs. Sara Bruce employs corporate lingo", "Mrs. Sara Bruce"),
    ("Hello, this is Dr. Ewan Richards Jr.. Who are you?", "Dr. Ewan Richards Jr."),  # "Jr." ends the sentence
    ("tennis player Ms. Thea Kristiansen DDS over visa disputes", "Ms. Thea Kristiansen DDS"),
    ("please correct it to Mr. Mr. Racław Piotrowski?", "Mr. Mr. Racław Piotrowski"),
    ("Prof. Dr. Anna Weber said so", "Prof. Dr. Anna Weber"),
    ("Dear Mr Smith,", "Mr Smith"),
    ("Hello, this is Mr. Edward Cole. Who are you?", "Mr. Edward Cole"),  # one span, not "Mr" and the name
])
def test_a_title_and_a_suffix_are_masked_with_the_name(text, value):
    assert [found for found in _found(text) if found[0] == "person"] == [("person", value)]


@pytest.mark.parametrize("text, found", [
    ("I live at 5 Oak Dr. Anna said hi", [("street_address", "5 Oak Dr."), ("person", "Anna")]),
    ("Kind regards,\nZeynep Mahlangu Dr. Juhani Ekwueme recommended it",
     [("person", "Zeynep Mahlangu"), ("person", "Dr. Juhani Ekwueme")]),  # two people, not one
    ("I miss Anna so much", [("person", "Anna")]),  # "miss" in lower case is a verb
])
def test_a_title_is_not_taken_from_a_street_nor_joins_two_people(text, found):
    assert _found(text) == found


def test_one_person_gets_one_pseudonym_with_or_without_a_title_or_suffix():
    masker = PiiMasker(["person"], mode="pseudonym", key=b"k" * 32)
    pseudonyms = {masker.replacement(value, "person") for value in (
        "Lisa Holinka", "Mrs. Lisa Holinka", "Dr. Lisa Holinka PhD", "lisa holinka")}
    assert len(pseudonyms) == 1
    assert masker.replacement("Mrs. Lisa Holinka", "person") != masker.replacement("Mrs. Lisa Holm", "person")


def test_spans_in_record_are_what_mask_record_replaces():
    masker = PiiMasker(["person", "email"])
    texts = ["directed by Igor Barros, mail igor@example.com", "starring Barros"]
    spans = masker.spans_in_record(texts)
    assert [[value for _, _, value in per_text] for per_text in spans] == [["Igor Barros", "igor@example.com"], ["Barros"]]
    masked = masker.mask_record({"messages": [{"role": "user", "content": t} for t in texts]})[0]
    assert [m["content"] for m in masked["messages"]] == ["directed by <PERSON>, mail <EMAIL>", "starring <PERSON>"]


@pytest.mark.parametrize("text, values", [
    ("my name is laura souza but everyone calls me laura", ["laura souza", "laura"]),  # a given name in lower case
    ("ask fletcher hill about the hill", ["fletcher hill"]),  # not a surname that is a word
    ("ask grace moloi about the grace period", ["grace moloi"]),  # nor a given name that is a word
])
def test_the_given_name_of_a_lower_case_name_is_masked_where_it_stands_alone(text, values):
    assert [value for _, _, value in PiiMasker(["person"]).spans_in_record([text])[0]] == values


@pytest.mark.parametrize("text, value", [("Charlotte lives on Mainstreet.", "Charlotte"), ("Victoria said she would call.", "Victoria")])
def test_a_first_name_that_names_a_place_before_what_only_people_do(text, value):
    assert _found(text)[0] == ("person", value)
    assert _found("Paris is lovely in spring.") == []


@pytest.mark.parametrize("text, value", [
    # A postal address in lines: house number, street, flat, city, country and postcode.
    ("Andreas Østrem\n\n6815 Siikarannantie 59\n Apt. 884\n LIMINKA\n\n Finland 38197",
     "6815 Siikarannantie 59\n Apt. 884\n LIMINKA\n\n Finland 38197"),
    ("send it to 5060 67 Alexandras Avenue Suite 541\nToronto\n, ON\n 39421, and", "5060 67 Alexandras Avenue Suite 541\nToronto\n, ON\n 39421"),
    ("Meet at 1235 Honeysuckle Lane Apt. 792, Öntésmajor, Hungary", "1235 Honeysuckle Lane Apt. 792, Öntésmajor, Hungary"),
    # Before a flat or suite any street line counts, whatever its street type.
    ("59871 Erhvervsvangen 91\n Apt. 421\n Havndal\n Denmark 55337", "59871 Erhvervsvangen 91\n Apt. 421\n Havndal\n Denmark 55337"),
    ("his address: 52185 Metsa 49", "52185 Metsa 49"),  # the house number after the street
    ("it is PSC 2731, Box 7784\nAPO AP 53202", "PSC 2731, Box 7784\nAPO AP 53202"),  # US military mail
    ("I'll meet you at USCGC Árias\nFPO AE 28164 after", "USCGC Árias\nFPO AE 28164"),
    # After a flat or suite, a place that ends the sentence, without a comma.
    ("send a new one to 1707 Dunajska 113 Suite 364 Trbonje Slovenia? I am", "1707 Dunajska 113 Suite 364 Trbonje Slovenia"),
])
def test_a_street_address_is_masked_with_the_rest_of_its_postal_address(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    # Two units in a row; "Apt" before its number is no town.
    ("It's in 56663 Noordstraat 86 Suite 322 Apt. 886, Mäeküla, Estonia 33920",
     "56663 Noordstraat 86 Suite 322 Apt. 886, Mäeküla, Estonia 33920"),
    # Parts a table export left empty ("nan") belong to the address.
    ("here's the address:\n\n788 Industriestraat 133 Apt. 932\nLjubljana\n, nan\n Slovenia 06908",
     "788 Industriestraat 133 Apt. 932\nLjubljana\n, nan\n Slovenia 06908"),
    ("It's in 2438 Nylundsveien 159 Suite 469 LAKSEVÅG nan", "2438 Nylundsveien 159 Suite 469 LAKSEVÅG nan"),
    ("2030 ul. Narewska 94\nLüchingen, nan 17733", "2030 ul. Narewska 94\nLüchingen, nan 17733"),
    # After a unit, a town and country before the sentence goes on in lower case.
    ("I'll meet you at 458 Sludevej 65 Suite 003 København K SJ after the concert.", "458 Sludevej 65 Suite 003 København K SJ"),
    ("update it with 7060 ul. Cicha 86 Apt. 696 Kędzierzyn-Koźle Poland for this card", "7060 ul. Cicha 86 Apt. 696 Kędzierzyn-Koźle Poland"),
    ("I'll meet you at 9610 Μεγάλη Άμμος 107 Apt. 019 ΠΑΦΟΣ Cyprus (Greek) after the concert.",
     "9610 Μεγάλη Άμμος 107 Apt. 019 ΠΑΦΟΣ Cyprus (Greek)"),
    # A house number's full stop before the unit (Hungarian), a particle in the town, a country of two words.
    ("update it with 6181 Eötvös út 29. Apt. 833 Magyaratád Somogy for this card", "6181 Eötvös út 29. Apt. 833 Magyaratád Somogy"),
    ("return to 7554 Rua Cruzeiro do Sul 574 Suite 066 Feira de Santana Bahia in case",
     "7554 Rua Cruzeiro do Sul 574 Suite 066 Feira de Santana Bahia"),
    ("meet you at 2491 75 Dunmow Road Suite 785 GRIGADALE United Kingdom after it",
     "2491 75 Dunmow Road Suite 785 GRIGADALE United Kingdom"),
    ("User: 182 Bem rakpart 86. Suite 460, København K, Denmark", "182 Bem rakpart 86. Suite 460, København K, Denmark"),
    ("It is in 145 Szilágyi Erzsébet fasor 69., Ortovero, Italy", "145 Szilágyi Erzsébet fasor 69., Ortovero, Italy"),
])
def test_units_towns_and_empty_parts_after_a_street_line(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Ship to 12 Elm Road Apt. 5 Please call first", "12 Elm Road Apt. 5"),  # "Please" names no town
    ("Meet at 12 Elm Road Tallaght tomorrow", "12 Elm Road"),  # no comma, no unit: the sentence may go on
    ("Ship to 12 Elm Road. Apt. 5 Please call first", "12 Elm Road. Apt. 5"),  # "Please" names no town
    ("address: 2 Chemin des Vignes Signed, Dagmara Pietikäinen (Room B-204) ref. 7", "2 Chemin des Vignes Signed"),
])
def test_a_town_after_a_unit_is_no_everyday_word_nor_a_person_with_a_room(text, value):
    assert [f for f in _found(text) if f[0] == "street_address"] == [("street_address", value)]


@pytest.mark.parametrize("text, value", [
    # Two detectors found two parts of one street: the street name, and the number with its type.
    ("The bus drops you off at 404 Paul-Nevermann-Platz 77 St.", "404 Paul-Nevermann-Platz 77 St."),
    ("Pedestrians must enter on Hauptstrasse 7 St. the first months", "Hauptstrasse 7 St."),
    # Two house numbers a phone detector took, the second starting the street.
    ("The bus drops you off at 480 4376 Port Washington Road St.", "480 4376 Port Washington Road St."),
    ("Arnaude L'Heureux\n\n9036 1896 Maple Street\n Apt. 454\n Rancho Santa Margarita\n\n United States 56969",
     "9036 1896 Maple Street\n Apt. 454\n Rancho Santa Margarita\n\n United States 56969"),
])
def test_parts_of_one_street_found_by_two_detectors_are_joined(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("I'll meet you at the corner of Avenida Noruega 42 and Egede Stravenue after the concert.",
     "the corner of Avenida Noruega 42 and Egede Stravenue"),
    ("User: the corner of Trg revolucije 12 and Ahtisaari Stream", "the corner of Trg revolucije 12 and Ahtisaari Stream"),
    ("user: the corner of ysitie 30 and elżbieta inlet", "the corner of ysitie 30 and elżbieta inlet"),
    # A cross street named by a word alone, after "to" or a label.
    ("I'd like to call a taxi to Kasey and Ilichova 26. Please call me.", "Kasey and Ilichova 26"),
    ("here's Serdar's address:\n\nMatias and 25 Woodlands Avenue", "Matias and 25 Woodlands Avenue"),
    ("i'd like to call a taxi to chiyuri and tømmeråsen 87. please call me", "chiyuri and tømmeråsen 87"),
    # US military mail in lower case, and a label line after it that is no town.
    ("update the billing address with unit 6973 box 1648\ndpo ap 13527 for this card", "unit 6973 box 1648\ndpo ap 13527"),
    ("Jan Kristiansen\nGuaranty Bancorp\nUSCGC Čerkez\nFPO AE 03986\nMobile: 083 399 9784", "USCGC Čerkez\nFPO AE 03986"),
])
def test_street_corners_cross_streets_and_military_mail(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["I saw it from the corner of my eye and the door. Then 5 more", "I went to Paris and 3 others.",
                                  "go to work and school 5.", "It is Python and Java 8."])
def test_corners_and_pairs_of_everyday_words_are_no_street(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


@pytest.mark.parametrize("text, value", [
    # A street name in its own language and its house number, then an English street type.
    ("Pedestrians must enter on Brisas 6802 St. the first three months", "Brisas 6802 St."),
    ("ciset lives on rua mina 50 street.", "rua mina 50 street"),
    ("Philip lives on R Palmeira 59 street.", "R Palmeira 59 street"),
    ("The bus drops you off at 876 Király u. 23. St.", "876 Király u. 23. St."),
    # One side of a street.
    ("He lives on the north side of Ctra. de Fuentenueva 98.", "Ctra. de Fuentenueva 98"),
    ("He lives on the north side of Komenského 605.", "Komenského 605"),
    # After "address:", a street written in lower case.
    ("joel had given kimiko his address: 1138 92 vasileos pavlou str", "1138 92 vasileos pavlou str"),
    ("bradley had given pauline his address: 52717 nánási út 72.", "52717 nánási út 72."),
])
def test_streets_found_by_a_house_number_and_the_words_around_it(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["I live on page 5 street", "the north side of March 3.", "the north side of the building 2."])
def test_everyday_words_before_a_number_and_a_street_type_are_no_street(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


def test_after_address_a_capitalised_sentence_is_not_taken_for_a_lower_case_street():
    text = "Address: 436 Maple Drive Affects Wi-Fi 6E. Tested with macOS Sonoma"
    assert [f for f in _found(text) if f[0] == "street_address"] == [("street_address", "436 Maple Drive")]


@pytest.mark.parametrize("text, value", [
    ("you can tell markus was a huge markus kunze fan.", "markus kunze"),
    ("stratasys ltd. songwriter marta lundgren employs corporate lingo", "marta lundgren"),
    ("tennis player kathy rasmussen over visa disputes.", "kathy rasmussen"),
])
def test_lower_case_names_without_a_cue(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["parse('Hace una semana')", "elif isinstance(val, str):",
                                  "pip install django celery and flask babel", "will smith said so"])
def test_lower_case_words_that_are_words_or_code_are_no_uncued_name(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


def test_the_gazetteer_takes_every_list_of_names_a_locale_keeps():
    from tuneops.curate.names import faker_names

    first, last = faker_names()
    assert {"Kaczmarek", "Walczak", "Dvořák"} <= last  # Polish and Czech lists by gender ("last_names_male")
    assert "Vasco" in first  # Basque in Spanish, but a given name
    assert "Czech" not in last and "Refs" not in last  # a language named in English; an Icelandic stem


def test_the_gazetteer_adds_mimesis_names_that_are_rare_in_every_language():
    from tuneops.curate.names import faker_names, known_names

    first, last = known_names()
    faker_first, faker_last = faker_names()
    assert {"Gunnheid", "Ainar"} <= first - faker_first  # Norwegian and Estonian given names only Mimesis lists
    assert "Finnbogadóttir" in last - faker_last
    assert not {"Lua", "Pip"} & first and not {"Python", "Craft"} & last  # in Mimesis's lists, but words


@pytest.mark.parametrize("text, value", [
    ("Gunnheid was very helpful.", "Gunnheid"),
    ("Thanks to Ainar for fixing it.", "Ainar"),
])
def test_given_names_only_mimesis_lists_are_found_alone(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("I met Kaczmarek yesterday.", "Kaczmarek"),  # a known name rare in all seven languages, before any lower-case word
    ("The report from Walczak arrived.", "Walczak"),
])
def test_a_rare_known_name_alone_before_any_lower_case_word(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["speed up calculating Fibonacci numbers with dynamic programming", "We use Kalman filter here",
                                  "Expand Czech date translations"])
def test_a_scientist_naming_a_thing_or_a_language_is_no_person(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("I met Rushisvili yesterday.", "Rushisvili"),  # no list knows them: endings only surnames have
    ("The report from Umkhayev arrived.", "Umkhayev"),
    ("Is Horvatinčić coming to the party?", "Horvatinčić"),
    ("Kaczmarek was here yesterday.", "Kaczmarek"),  # starting a sentence, before what people do
    ("Fine. Papadopoulos is my manager.", "Papadopoulos"),
])
def test_surnames_by_their_ending_and_names_starting_a_sentence(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["We use Codecov for coverage reports.", "Mako is a template library", "Kubernetes is great",
                                  "Molotov cocktails were thrown"])
def test_things_with_a_surname_ending_or_starting_a_sentence_are_no_person(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("Her house on Ηλίου 64 burned down.", "Ηλίου 64"),  # Greek street names in the genitive
    ("We met on Λ. Μιχαλακοπούλου 160 yesterday", "Λ. Μιχαλακοπούλου 160"),
    ("The office moved to Dalmatinova 35 last year.", "Dalmatinova 35"),  # Slavic street names are adjectives
    ("The office moved to Školní 296 last year.", "Školní 296"),
    ("We met on Clematisvænget 70 yesterday", "Clematisvænget 70"),  # Nordic, Finnish and Dutch street words
    ("We met on Hamarstígur 11 yesterday", "Hamarstígur 11"),
    ("We met on Harjukuja 9 yesterday", "Harjukuja 9"),
    ("We met on Hulsterdreef 100 yesterday", "Hulsterdreef 100"),
])
def test_street_names_by_their_ending_without_a_cue(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["Upgrade to Fedora 39 today", "It runs on Windows 11 and Debian 12", "See Κεφάλαιο 3 below"])
def test_product_versions_are_no_street_by_ending(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


@pytest.mark.parametrize("text", ["I drove the Lincoln Navigator to work", "Tried the Jasmine Tea"])
def test_a_name_that_often_names_things_before_an_everyday_noun_is_no_person(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [("cc Lincoln Chafee today", "Lincoln Chafee"), ("* Edward Betts", "Edward Betts"),
                                         ("Peter Dekkers, Behdad Esfahbod", "Peter Dekkers")])
def test_names_that_start_with_such_a_name_or_end_in_s_stay_names(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("The report from Hansen arrived.", "Hansen"),  # a known surname common in another language, before what people did
    ("I met Sigrid yesterday.", "Sigrid"),  # a known first name before a time word
    ("I do not think Jim fixed the bug", "Jim"),
])
def test_a_known_name_alone_before_what_people_did_or_when(text, value):
    assert ("person", value) in _found(text)


def test_a_street_found_first_is_not_lengthened_into_the_sentence():
    text = "we moved to 992 Maple Drive Affects Adobe Acrobat Reader. Affects Wi-Fi 6E."
    assert [f for f in _found(text) if f[0] == "street_address"] == [("street_address", "992 Maple Drive")]


@pytest.mark.parametrize("text, street", [
    ("Address: 12 Elm Road, London Firmware 2.0.7? ok", "12 Elm Road"),  # the sentence goes on: no city
    ("ship to Piazza Navona 20 FYI Google Analytics.", "Piazza Navona 20"),  # no comma, no unit: no city
    ("at 12 Elm Road Suite 4 Windows Server 2022 is down", "12 Elm Road"),
    ("Flat 2, 149 Abbey Road, London (see Jira Service Management) ok", "Flat 2, 149 Abbey Road"),
    ("Address: Piazza Navona 86, Springfield FYI Windows Server 2022.", "Piazza Navona 86"),
    ("I live at 12 Baker Street, London, thanks!", "12 Baker Street, London"),
])
def test_the_rest_of_an_address_stops_where_the_sentence_goes_on(text, street):
    assert [f for f in _found(text) if f[0] == "street_address"] == [("street_address", street)]


@pytest.mark.parametrize("text", ["Office 2019 Suite 3", "Module 4 Unit 2 covers it"])
def test_a_number_before_a_suite_in_a_product_name_is_no_street(text):
    assert [f for f in _found(text) if f[0] == "street_address"] == []


@pytest.mark.parametrize("text, value", [
    ("They're not answering at 25 880993", "25 880993"),  # short local numbers after a cue
    ("You can call 66 65 76", "66 65 76"),
    ("Phone:\n76 910 972\n\nE-mail:", "76 910 972"),
    ("Desk: 757-317-1621x8873", "757-317-1621x8873"),  # an extension written onto the number
    ("Fax: (378)522-2384x164", "(378)522-2384x164"),
    ("Desk: (07700)886815", "(07700)886815"),  # a five-digit trunk code in brackets
    ("Desk: 6582592094", "6582592094"),
    ("Fax: 163-8937316", "163-8937316"),
])
def test_more_phone_forms(text, value):
    assert ("phone", value) in _found(text)


@pytest.mark.parametrize("text", ["Date: 2012-09-12 20:02:39.864751", "call me at 2 pm", "see: ext. 204 ok"])
def test_timestamps_and_short_numbers_are_no_phone(text):
    assert [f for f in _found(text) if f[0] == "phone"] == []


def test_twelve_digit_maestro_cards_after_a_card_cue():
    assert ("credit_card", "676268386403") in _found("I want to cancel my card 676268386403 because I lost it")
    assert [f for f in _found("card 123456789012") if f[0] == "credit_card"] == []  # fails the Luhn check
    assert [f for f in _found("order 676268386403") if f[0] == "credit_card"] == []  # no card cue


@pytest.mark.parametrize("text, value", [
    ("Beau: What a wife.\nAngela: Remember me?", "Angela"),  # a speaker's label
    ("Angela: Remember me, John? When I", "John"),  # a vocative
    ("Arman, can I please speak to your boss?", "Arman"),
    ("As promised, here's Christina's address", "Christina"),  # a possessive
    ("Maria said she would call back", "Maria"),  # what people do
    ("according to Heli, it works", "Heli"),  # a cue before a person
])
def test_a_known_first_name_alone_where_chat_puts_a_person(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Note: this is it", "Julia's syntax is terse", "Summer: dates below",
                                  "Hence, there is no scanning", "emailed Ford Transit about it", "Python said no"])
def test_a_single_word_that_names_a_thing_is_no_person(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


def test_a_place_inside_an_address_taken_for_a_name_is_part_of_the_address():
    text = "send it to 19564 Grønvangen 4\n Apt. 292\n Vejers Strand\n Denmark? I am in town"
    assert _found(text) == [("street_address", "19564 Grønvangen 4\n Apt. 292\n Vejers Strand\n Denmark")]


@pytest.mark.parametrize("text, value", [
    ("Maria lives in Leeds now", "Maria"),
    ('"Fine," said Maria', "Maria"),
    ("She named him Kyle", "Kyle"),
    ("she is known as Maria here", "Maria"),
    ("Kyle is a very sympathetic person.", "Kyle"),
])
def test_a_known_first_name_alone_in_more_sentences_about_people(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Windows Server lives on", "Python is so slow", "Julia is so fast"])
def test_those_sentences_about_things_keep_them(text):
    assert [f for f in _found(text) if f[0] == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("For my take on Mrs. Moore, see below", "Mrs. Moore"),  # a surname that is also a common word
    ("Mrs. White said yes", "Mrs. White"),
    ("I'd like to join accounts with ms. Dana", "ms. Dana"),  # an honorific typed in lower case
    ("for my take on dr. potter, see below", "dr. potter"),
    ("Mr. van Dijk called", "Mr. van Dijk"),
])
def test_the_word_after_an_honorific_is_a_name_even_when_it_is_an_everyday_word(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Dr. Who is on tonight", "ms. excel is open", "Dr. Monday", "at 12 Oak Dr Suite 4"])
def test_after_an_honorific_non_names_and_streets_stay(text):
    assert [entity for entity, _ in _found(text)] in ([], ["street_address"])


@pytest.mark.parametrize("text, value", [
    ("Patient 12.04.1987 - Maria", "12.04.1987"),
    ("Her records: 1978-04-19, blood type A", "1978-04-19"),
    ("Geburtsdatum fehlt, aber 3. August 1979 steht im Formular", "3. August 1979"),
    ("Card holder since March 2, 1954.", "March 2, 1954"),
])
def test_a_whole_date_in_the_birth_years_is_masked_without_a_cue(text, value):
    assert _found(text) == [("date_of_birth", value)]


@pytest.mark.parametrize("text", [
    "Ordered on 12/03/2024, still not here.",  # a recent date
    "2002-10-27 01:30:00 EST happened twice",  # a timestamp
    "Order 2002-10-27 shipped",  # an identifier
    "on 31/31/1990",  # no such day and month
    "Released in 1987, the model",  # a year alone
])
def test_recent_dates_timestamps_and_non_dates_stay(text):
    assert _found(text) == []


def test_birth_years_none_masks_dates_only_after_a_birth_cue():
    cue_only = PiiMasker(ALL, birth_years=None)
    assert cue_only.find("Patient 12.04.1987 - Maria") == []
    assert cue_only.find("born on 12.04.1987") == [(8, 18, "date_of_birth")]
    assert PiiMasker(ALL, birth_years=(1980, 1989)).find("on 12.04.1979") == []


@pytest.mark.parametrize("text, value", [
    ("Don't go to town, Kristína!", "Kristína"),  # a known first name alone inside a sentence
    ("I'm so jealous! said Nestor to Shannon", "Shannon"),
    ("Tell Giulia when done.", "Giulia"),  # after an everyday word starting the sentence
    ("the fix was reviewed by Petrov.", "Petrov"),  # a surname rare in all seven languages
    ("founders: Mathiasen, Wilson and Williamson.", "Williamson"),  # a common surname listed after names
    # Among the 10,000 commonest English words only as names: no dictionary lists them in lower case.
    ("Thanks to Edward for the patch.", "Edward"),
    ("It was fixed by Gary and me.", "Gary"),
    ("Moving beyond Kucera and Francis: a review", "Francis"),
])
def test_a_known_name_alone_inside_a_sentence(text, value):
    assert ("person", value) in _found(text)


def test_core_english_words_keep_dictionary_words_and_drop_words_frequent_only_as_names():
    core = _NameWords.load().core_english
    assert {"brown", "grace", "will", "parts", "english", "france"} <= core  # words, inflections, peoples, places
    assert not {"edward", "lopez", "williams", "gary"} & core


def test_names_joined_by_a_space_are_one_name():
    assert _found("It was Humberto Luis Miguel Colón Toledo.") == [("person", "Humberto Luis Miguel Colón Toledo")]


@pytest.mark.parametrize("text", [
    "Apart from the Gregorian calendar",  # a noun after it: a thing named after a person
    "The Bert tokenizer",
    "Still broken on São Paulo (see 57 vCPU)",  # part of a longer capitalised name
    "stayed at the Hilton.",  # after a determiner
    "Write it in French, please.",  # a core English word
    "we use Ninja to build",  # a word no person is followed by
    "works with Brown and",  # a common surname that is an English word, with no name before it
    "Improved support for French and Spanish dates.",  # frequent as names, but names of languages
    "What is the capital of France?",  # and of countries
    "v10.0.19045? Lake Louise? Nothing changed.",  # after a word that starts place names
    "We flew to Lagos.", "I moved to Texas.",  # surnames too, but time-zone cities and states
])
def test_lone_capitalised_words_that_are_not_people_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("Has anyone seen Pereira?", "Pereira"),  # a surname that a dictionary lists, seldom written in English ("pereira", a pear tree)
    ("I'm waiting for Lopez to reply.", "Lopez"),  # frequent in English counts only as a name: in no dictionary
    ("The ticket was for Davidson.", "Davidson"),
])
def test_known_surnames_seldom_written_as_english_words_alone_in_a_sentence(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("value", [
    "+39 3512830161", "+(371) 26018159", "(+358) 091390996", "+49(0)9139099603", "(020)74960083",
    "(351) 911860913", "(+57) 310 308 24 62", "(02239) 09960 308", "0 346 091 390", "1 (926) 018-1590",
    "8 (246) 281-9482",
])
def test_phones_with_a_country_or_bracketed_area_code_and_the_rest_run_together(value):
    assert _found(f"It is {value}.") == [("phone", value)]


@pytest.mark.parametrize("text, phone", [
    ("John Smith +447700639532 12 Main Street", "+447700639532"),  # a house number and a street follow
    ("Mario Rossi (020)74960083 4 Via Roma", "(020)74960083"),
])
def test_a_phone_run_together_before_a_street_line_on_one_line(text, phone):
    assert ("phone", phone) in _found(text)


@pytest.mark.parametrize("text, phone", [
    ("It is 06/ 193 07 33.", "06/ 193 07 33"),  # Belgium: the trunk and area code, a slash, three groups
    ("Please use (06)73/924-1968 for that", "(06)73/924-1968"),  # Hungary: the trunk in brackets
    ("It is 51/838 0125.", "51/838 0125"),  # Hungary: the area code without its trunk, in this shape only
])
def test_area_codes_before_a_slash(text, phone):
    assert ("phone", phone) in _found(text)


def test_two_phones_joined_by_a_slash_are_two_phones():
    # the slash is no area code's: not "004/770 341", which left "770 341" and "004" unmasked
    assert _found("770 341 004/770 341 005") == [("phone", "770 341 004"), ("phone", "770 341 005")]


@pytest.mark.parametrize("text, phone", [
    ("P.O. Box 131, Danmarkshavn, 3984\n32 32 85", "32 32 85"),  # the line below an address
    ("96 63 21\nP.O. Box 194, Upernavik, 3962", "96 63 21"),  # the line above it
    ("Ship to 110 Rue du Koweit, 2190 Tunis; 76 151 559", "76 151 559"),
    ("P.O. Box 131, Danmarkshavn, 3984 (32 32 85)", "32 32 85"),  # in brackets: the postcode before it stays in the address
])
def test_a_short_spaced_number_beside_an_address_is_its_phone(text, phone):
    assert ("phone", phone) in _found(text)


def test_an_address_part_ends_before_a_bracketed_phone():
    assert ("street_address", "P.O. Box 131, Danmarkshavn, 3984") in _found("P.O. Box 131, Danmarkshavn, 3984 (32 32 85)")


@pytest.mark.parametrize("text, street", [
    ("Ship it to Männi 12, thanks", "Männi 12"), ("Please deliver them to Tala 7342 tomorrow", "Tala 7342"),
    ("Mail it to Karu põik 61.", "Karu põik 61"),
])
def test_one_street_word_and_a_number_after_shipping_it_to(text, street):
    assert ("street_address", street) in [(entity, value.rstrip(".")) for entity, value in _found(text)]


@pytest.mark.parametrize("text, unit", [
    ("I moved into Apt. 584 last week.", "Apt. 584"), ("Please deliver to Suite 300.", "Suite 300"),
    ("My unit is Apt. 12", "Apt. 12"), ("I live in Flat 3b", "Flat 3b"),
])
def test_a_flat_or_suite_alone_where_someone_lives_or_gets_deliveries(text, unit):
    assert _found(text) == [("street_address", unit)]


@pytest.mark.parametrize("text, street", [
    ("4262 Dominic River, Martineztown, TX 96338", "4262 Dominic River, Martineztown, TX 96338"),
    ("Ship to: 775 Hill Mountains, Wintersville 59896", "775 Hill Mountains, Wintersville 59896"),
    ("Apt. 332, 4262 Dominic River", "Apt. 332, 4262 Dominic River"),
    ("My address is 775 Hill Mountains.", "775 Hill Mountains"),
    ("Please update my address to 417 Gibson Ranch.", "417 Gibson Ranch"),
    ("The house at 65318 Duncan Coves is for sale.", "65318 Duncan Coves"),
    ("I'm at 41 Rose Hill until June", "41 Rose Hill"),
])
def test_a_us_street_of_any_usps_type_where_a_town_a_flat_or_a_cue_says_an_address(text, street):
    assert _found(text) == [("street_address", street)]


@pytest.mark.parametrize("text, unit", [
    ("The package was left at Suite 580 instead of mine.", "Suite 580"), ("Address line 2: Apt. 573", "Apt. 573"),
    ("Unit: Suite 580", "Suite 580"), ("The neighbor in Apt. 573 complained.", "Apt. 573"),
])
def test_a_flat_alone_or_a_suite_after_a_preposition(text, unit):
    assert _found(text) == [("street_address", unit)]


@pytest.mark.parametrize("text, zip_code", [
    ("I live in Wallville, MH 51106.", "51106"), ("Koror, PW 96940", "96940"),
    ("I live in Springfield, Illinois 62704.", "62704"), ("Lake Jessica, New Mexico 12345", "12345"),
    ("Springfield, IL, 62704", "62704"), ("Brooklyn NY 11201", "11201"), ("ZIP+4: 62704-1234", "62704-1234"),
])
def test_a_us_zip_code_after_a_town_and_state_written_any_way(text, zip_code):
    assert ("street_address", zip_code) in _found(text)


@pytest.mark.parametrize("text, kept", [
    ("We moved to 5 Data Centers last year", "Data Centers"), ("Version 2 Update, Redmond, WA 98052", "2 Update"),
    ("Office Suite 365 is great", "Suite 365"), ("Send it to Apt 2 IBAN no. 12", "IBAN"),
    ("Build IN 12345 failed", "12345"), ("Order OK 12345", "12345"),
])
def test_things_named_like_a_us_street_or_a_suite_stay(text, kept):
    assert not any(kept in value for _, value in _found(text))


@pytest.mark.parametrize("text, address", [
    ("I live at 37/92, Thaman, Guwahati-229486 since May", "37/92, Thaman, Guwahati-229486"),
    ("I live at H.No. 79\nBarad\nSatna 976158 since May", "H.No. 79\nBarad\nSatna 976158"),
    ("I live at Diagonal 9 N° 5359 Dto. 6\nFormosa 3600, Formosa since May", "Diagonal 9 N° 5359 Dto. 6\nFormosa 3600, Formosa"),
    ("Ship to Ruta 5 Norte, km 740.", "Ruta 5 Norte, km 740"),
    ("My address is Drumul Gențiana Dima\nApahida, 762836", "Drumul Gențiana Dima\nApahida, 762836"),
    ("Ship to 76 avenue Imene Cheikh Larbaa - Tébessa.", "76 avenue Imene Cheikh Larbaa - Tébessa"),
    ("I live at 539 Pennsylvania Avenue NW. Call me", "539 Pennsylvania Avenue NW"),
    ("I live at Campo Arthur Jesus, 16\nBarreiro\n30411895 Vasconcelos dos Dourados / RN since May",
     "Campo Arthur Jesus, 16\nBarreiro\n30411895 Vasconcelos dos Dourados / RN"),
    ("Ship to Rotonda Bevilacqua, 620 Piano 6\n86082, Capracotta (IS).", "Rotonda Bevilacqua, 620 Piano 6\n86082, Capracotta (IS)"),
    ("My address is Av. Santa Rosa # 6Q-89 Sur\n811884\nCravo Norte, Arauca", "Av. Santa Rosa # 6Q-89 Sur\n811884\nCravo Norte, Arauca"),
    ("I live at B25 L17 70th Avenue, Banyan Estates 4, Ambaguio, 1917 Isabela since May",
     "B25 L17 70th Avenue, Banyan Estates 4, Ambaguio, 1917 Isabela"),
    ("I live at Cerrada San Luis Potosí 176 Edif. 252 , Depto. 807\nNueva Botswana, Q. ROO 50283-1663 since May",
     "Cerrada San Luis Potosí 176 Edif. 252 , Depto. 807\nNueva Botswana, Q. ROO 50283-1663"),
    ("I live at Blv. Salta N° 6518 Dto. 9\nRosario 2000, Santa Fe since May", "Blv. Salta N° 6518 Dto. 9\nRosario 2000, Santa Fe"),
    ("My address is Pot v Goričico 7a\n9432 Kočevje", "Pot v Goričico 7a\n9432 Kočevje"),
])
def test_a_whole_address_block_after_a_cue_of_a_place_in_any_layout(text, address):
    assert _found(text) == [("street_address", address)]


@pytest.mark.parametrize("text, kept", [
    ("Return address: 200 Kings Road Synced with ticket #72546.", "Synced"),
    ("please ship to 1885 Sunset Blvd FYI v2.9.3-beta.", "FYI"),
    ("deliver to 157 Rue Saint-Honoré Reviewer - Mbeki, Yasmin re: 2025-01-31", "Mbeki"),
    ("I'm at 41 Rose Hill RFC 2616 again", "RFC"), ("Ship to Germany, France 2024 edition", "Germany"),
    ("Meet me at Terminal 2, Gate 14", "Terminal"),
])
def test_an_address_block_stops_where_the_sentence_goes_on(text, kept):
    assert not any(kept in value for entity, value in _found(text) if entity == "street_address")


@pytest.mark.parametrize("text", ["moved to Suite 2 of the plan", "we run it in Suite 3", "The meeting is in Room 4."])
def test_suites_and_rooms_without_a_cue_of_living_or_delivering_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", ["Ship to 12 Main Street. 12 345 678 users so far", "Ship to 12 Main Street, 10 20 30 items"])
def test_counts_beside_an_address_are_no_phones(text):
    assert [value for entity, value in _found(text) if entity == "phone"] == []


@pytest.mark.parametrize("text", ["see (2024) 123456 ok", "Order (123) 4567890", "population 12 500 000 people"])
def test_bracketed_years_identifiers_and_spaced_thousands_are_no_phone(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("It was Adela Sandra Morales Contreras.", "Adela Sandra Morales Contreras"),  # two given names, two surnames
    ("It was Humberto Luis Miguel Colón Toledo.", "Humberto Luis Miguel Colón Toledo"),
    ("It was Szabó Balázs Olivér.", "Szabó Balázs Olivér"),  # family name first
    ("It was Johan Van Damme.", "Johan Van Damme"),
    ("It was Savak Şafak.", "Savak Şafak"),  # capitals of Latin Extended-A
])
def test_a_name_takes_in_the_known_given_names_and_surnames_around_it(text, value):
    assert _found(text) == [("person", value)]


def test_a_name_takes_in_no_word_of_a_longer_capitalised_run():
    assert ("person", "Lincoln Navigator Dell") not in _found("about Lincoln Navigator Dell XPS 13!")
    assert _found("Dear Maria Lopez Windows is down") == [("person", "Maria Lopez")]


@pytest.mark.parametrize("text, value", [("It was Azzouz Katia.", "Azzouz Katia"), ("I met Lackner Kristof there", "Lackner Kristof")])
def test_a_known_surname_before_a_known_given_name_is_a_name(text, value):
    assert _found(text) == [("person", value)]


def test_no_phone_runs_over_a_line_break():
    assert "phone" not in [entity for entity, _ in _found("Pastierska 20\n890 99 Brhlovce")]


@pytest.mark.parametrize("value", [
    "Pastierska 20\n890 99 Brhlovce",  # a street line above a postcode and a town
    "ulica Nałkowskiej 091\n29-646 Gorlice",
    "Szabadság utca 57.\nH-1824 Mindszentkőrös",
    "Bryanstraat 3\n1996OC\nWinneweer",
])
def test_a_street_line_above_a_postcode_and_town_is_an_address(value):
    assert _found(f"Ship to {value}.") == [("street_address", value)]


@pytest.mark.parametrize("value", [
    "4323 Autumn Pine Suite 574\nNorth Williamburgh, WV 45334",  # house number first, any street type, before a unit
    "010 Amanda Lakes Apt. 139\nHernandezview, MI 79442",  # "Apt" is no word of the street's name
    "Wilhelmplatz 8/4\n7563 Bruck an der Leitha",  # a second number; particles in the town
    "3 Anne Street\nSt. Erin, VIC, 2947",  # "St." starts the town: a street name stays on its line
    "2819 Castro Springs Apt. 199\nWest Connor, SK B9J 7V6",  # a Canadian postcode
    "rue Rey\n7091 Wicht",  # the postcode on the next line is no house number
])
def test_more_postal_addresses_are_masked_whole(value):
    assert _found(f"Ship to {value}.") == [("street_address", value)]


def test_an_address_place_has_at_most_three_capitalised_words():
    text = "Address: 9918 Sunset Blvd, Springfield FYI New Zealand. Thanks!"
    assert _found(text) == [("street_address", "9918 Sunset Blvd")]


@pytest.mark.parametrize("value", [
    "Flat 5\nWilliams Brook\nFryport\nE1U 1DL",  # the flat first, then a street line with no type or number
    "Suite 282\n4 Kawakiwi Esplanade\nMcMillangate 5278",
    "99 McCarville Street P82 A85E Constance Ville",  # a lettered postcode after a space (Eircode)
])
def test_units_before_the_street_and_lettered_postcodes_after_a_space(value):
    assert _found(f"Ship to {value}.") == [("street_address", value)]


def test_a_unit_after_a_street_line_stays_with_that_street():
    value = "6815 Siikarannantie 59\n Apt. 884\n LIMINKA\n\n Finland 38197"
    assert _found(f"Andreas Østrem\n\n{value}") == [("person", "Andreas Østrem"), ("street_address", value)]


@pytest.mark.parametrize("text, value", [
    ("I live at 90996 John Cape\nWest Jane, FL 71369 since May", "90996 John Cape\nWest Jane, FL 71369"),  # a state-and-ZIP line below
    ("My address is 9 Williams Edge\nWest Keithberg, NSW, 5482", "9 Williams Edge\nWest Keithberg, NSW, 5482"),
    ("I live at Ronda de Ernesto Carranza 348\nPalencia, 38434 since May",  # a postcode may end it inside a sentence
     "Ronda de Ernesto Carranza 348\nPalencia, 38434"),
])
def test_addresses_above_a_state_and_postcode_line_and_ending_in_a_postcode(text, value):
    assert _found(text) == [("street_address", value)]


def test_after_an_address_cue_one_name_word_and_a_number_before_a_postcode_and_town():
    assert _found("Ship to Pedersentjernet 7, 3082 Jørgensen.") == [("street_address", "Pedersentjernet 7, 3082 Jørgensen")]
    assert _found("Ship to Version 7, 3082 Users") == []


def test_a_unit_before_the_sentence_goes_on_is_no_postcode():
    assert _found("Delivery address: 58 Willow Close Room 101 again") == [("street_address", "58 Willow Close")]


@pytest.mark.parametrize("text, value", [
    ("Her maiden name is Kapanen", "Kapanen"),
    ("His full name is Marek Nowak.", "Marek Nowak"),
    ("the form was signed by Pauline Nielsen yesterday", "Pauline Nielsen"),
])
def test_more_phrases_that_introduce_a_name(text, value):
    assert ("person", value) in _found(text)


def test_names_in_a_list_and_a_name_called_before_a_question():
    assert [v for e, v in _found("our 3 founders: Rozhkova, Contreras and Bush. The idea")] == ["Rozhkova", "Contreras", "Bush"]
    assert _found("Macaire, can I please speak to your boss?") == [("person", "Macaire")]


@pytest.mark.parametrize("text", ["Colours: Brown, Green and White.", "Offices in Lagos, Nairobi and Accra.",
                                  "Supports Django, Flask and Pyramid.", "Python, can you parse this?"])
def test_lists_of_things_and_questions_to_things_stay(text):
    assert _found(text) == []


def test_without_rare_word_names_a_called_name_must_be_a_known_one():
    assert PiiMasker(ALL, rare_word_names=False).find("Macaire, can I please speak to your boss?") == []
    assert PiiMasker(ALL, rare_word_names=False).find("Giulia, can I please speak to you?") == [(0, 6, "person")]


@pytest.mark.parametrize("text, value", [
    ("(though Tran's song was actually about a boat!)", "Tran"),  # a known surname owning something
    ("though Lopez's song was better", "Lopez"),
    ("Mehrudin had given him his address", "Mehrudin"),  # a rare word where only a person stands
    ("Padilla lives on the corner", "Padilla"),  # a known surname there
    ("I'm so jealous! said Agust to Edward", "Agust"),
    ("She named him Mashuu", "Mashuu"),
    ("follow up with greta p rozhkova in a couple of months.", "greta p rozhkova"),  # lower case, after "with"
    ("please change it to gordon cunningham", "gordon cunningham"),
])
def test_single_names_where_only_a_person_stands(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("I met Kreutzmann yesterday.", "Kreutzmann"),  # a word rare in seven languages, after a verb whose object is a person
    ("We hired Nygaard last spring", "Nygaard"),
    ("you should meet Olsen, she knows", "Olsen"),  # a known surname common in another language
    ("I thanked Waltari for the help", "Waltari"),
    ("Olsen is my manager.", "Olsen"),  # who someone is to the writer
    ("Gyôry was our landlord until May", "Gyôry"),
    ("Please let Kreutzmann know the results.", "Kreutzmann"),
    ("I'd like to speak with Nygaard.", "Nygaard"),
    ("Tell Hansen I said hi.", "Hansen"),  # a name before "I"
    ("Itamar wrote to us", "Itamar"),  # a word English does not use, though other languages' counts hold it
    ("I talked to Manlio yesterday.", "Manlio"),
    ("Tell Galesloot I said hi.", "Galesloot"),  # a word rare in seven languages before "I"
    ("Can you check with Hansen before Friday?", "Hansen"),  # a known surname after "check with"
    ("It was Per Hansen.", "Per Hansen"),  # "Per", a cue in lower case, is a given name here
    ("It was Said Gairbekov.", "Said Gairbekov"),
    ("talk to Kalinda del Bosque in billing", "Kalinda del Bosque"),  # whole, before a department
    ("I told Kreutzmann that it broke", "Kreutzmann"),
    ("Galesloot will be late today.", "Galesloot"), ("Galesloot wants to know the status.", "Galesloot"),
    ("Galesloot from sales will contact you.", "Galesloot"),  # a department in lower case after the name
    ("Please forward the invoice to Galesloot in accounting.", "Galesloot"),
    ("Who is Galesloot?", "Galesloot"), ("I'm waiting for Galesloot to reply.", "Galesloot"),
    ("Galesloot's flight was cancelled.", "Galesloot"), ("We need Galesloot's approval.", "Galesloot"),
    ("Signed, Galesloot", "Galesloot"),
    ("Our new hire, Galesloot, starts Monday.", "Galesloot"), ("Galesloot is our new intern.", "Galesloot"),
])
def test_a_single_surname_after_verbs_whose_object_is_a_person_and_before_relations(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text, value", [
    ("The report came from Olsen yesterday.", "Olsen"),  # a name counted often, but in no dictionary
    ("I forwarded it to Hansen.", "Hansen"),
    ("Olsen from sales will contact you.", "Olsen"),  # starting a sentence: where someone is from
    ("Hansen will be late today.", "Hansen"),
    ("Olsen's flight was cancelled.", "Olsen"),  # owning something
    ("Kowalczyk's flight was cancelled.", "Kowalczyk"),
    ("Signed,\nNygaard", "Nygaard"),  # more closings above a signature
    ("Yours,\nNygaard", "Nygaard"),
])
def test_known_surnames_alone_that_are_no_words(text, value):
    assert _found(text) == [("person", value)]


def test_a_known_surname_before_any_lower_case_word_needs_to_be_rare():
    """A tiny random model's word salad must not leak a person ("Kok" is a Dutch surname, counted often)."""
    assert _found(" defeat counterproductive Kok regenerate journalist Shamtreated ISP") == []


@pytest.mark.parametrize("text", [
    "Offices in Lagos, Nigeria.",  # a city that names a time zone, though Faker lists it as a surname
    "as imagined by Hollywood circa 1986",
    "Japanese in Hepburn romanization",  # a name that makes a thing's name
    ">>> from dulwich.repo import Repo",  # code
    "McDonald's fries were cold.",  # a brand's possessive starting a sentence
])
def test_frequent_words_brands_and_code_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("The report came from Ogasahara yesterday.", "Ogasahara"),  # Japanese names in Hepburn romanization
    ("Fujimura will be late today.", "Fujimura"),
    ("Please ask Satou to call me.", "Satou"),
    ("I forwarded it to Hayashida.", "Hayashida"),
    ("The report came from Kouřil yesterday.", "Kouřil"),
    ("Szabados will be late today.", "Szabados"),
])
def test_names_spelt_as_no_word_of_the_seven_languages(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text, value", [("It was Dmitry Zotov.", "Dmitry Zotov"), ("It was Hideko Fujimura.", "Hideko Fujimura")])
def test_a_word_before_a_surname_shaped_word_starts_a_name(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text, found", [
    ("Synced with Addis Ababa. We use it", []),  # a city of a time zone, in two words
    ("Shipping: 178 Evergreen Terrace Zarina Tembo will follow up.",  # an everyday word before a given name
     [("street_address", "178 Evergreen Terrace"), ("person", "Zarina Tembo")]),
])
def test_surname_shapes_start_no_name_with_an_everyday_word_or_a_city(text, found):
    assert _found(text) == found


@pytest.mark.parametrize("word, shaped", [
    ("Fujimura", True), ("Hattori", True), ("Tsuchii", True), ("Satou", True),  # Japanese morae
    ("Kouřil", True), ("Lončar", True), ("Løvstad", True), ("Þórðarson", True),  # letters none of the seven languages writes
    ("Horký", True), ("Ľubomír", True), ("Bērziņš", True), ("Đorđević", True),  # Czech, Slovak, Latvian, Croatian
    ("Szabados", True), ("Gyarmathy", True), ("Pálffy", True), ("Szakács", True), ("Skaftason", True),
    ("Kubernetes", False), ("Banana", False), ("Tokyo", False), ("Mako", False), ("Gym", False), ("Reason", False),
    ("Café", False), ("Hôtel", False),
])
def test_name_shapes_take_rare_names_only(word, shaped):
    """Rare in all seven languages, no dictionary word ("banana") and no time-zone city ("Tokyo")."""
    assert _NameWords.load().surname_shaped(word) is shaped


@pytest.mark.parametrize("text, value", [("Tell Kowalczyk to call.", "Kowalczyk"), ("Call Kowalczyk today", "Kowalczyk"),
                                         ("Bump Rust minimum version", None), ("Rose Kowalczyk said", "Rose Kowalczyk"),
                                         ("* Run Rust tests", None), ("It was Even Olsen.", "Even Olsen"),  # a name mid-sentence
                                         ("another: Assuming Inigo is", "Inigo")])
def test_an_everyday_word_before_a_surname_is_no_first_name_unless_it_is_one(text, value):
    assert [v for entity, v in _found(text) if entity == "person"] == ([value] if value else [])


@pytest.mark.parametrize("text, speakers", [
    ("Mashuu: What a wife.\nVictor: Remember me?\nMichael: You saved my life!", ["Mashuu", "Victor", "Michael"]),
    ("Bot: Where to?\nUser: the office", []),  # no known first name: labels of a form, a bot
    ("Mashuu: hi\nKubectl: error", []),
    ("Note: rare words\nVictor: hi\nTODO: later", ["Victor"]),  # "Note" is a core English word
    ("gladys: what a wife.\namber: remember me?", ["gladys", "amber"]),  # in lower case, every known first name
    ("note: this\nuser: that", []),
    # Among two speakers with first names, one that names a place or is a word is a speaker too.
    ("Chelsea: What a wife.\nJose: Remember me?\nMelinda: You saved my life!", ["Chelsea", "Jose", "Melinda"]),
    ("Summer: 20%\nWinter: 10%\nMaria: ok", ["Maria"]),
])
def test_the_speakers_of_a_transcript_are_names(text, speakers):
    assert [value for entity, value in _found(text) if entity == "person"] == speakers


@pytest.mark.parametrize("text, value", [("as the assistant to Pista Gyôry, and then", "Pista Gyôry"),
                                         ("She is the daughter of Ana Ruiz.", "Ana Ruiz")])
def test_who_someone_is_to_a_person_is_a_person_cue(text, value):
    assert ("person", value) in _found(text)


def test_a_verb_of_meeting_leaves_a_longer_name_to_the_name_detectors():
    assert _found("I met Anna de Dardel at the office") == [("person", "Anna de Dardel")]


@pytest.mark.parametrize("text", ["Meet Ollama, the local model runner", "Pandas is my favourite library",
                                  "I met Jenkins at the conference booth"])
def test_launches_and_things_near_person_verbs_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text", [
    "we ate at McDonald's yesterday",  # a brand
    "He sold it at Sotheby's auction.",
    "Jenkins said the build failed",  # a thing's name
    "to emit a deprecation warning",  # dictionary words, and "a" is no initial
    "a way to mark mypy as optional",
    "compatible with django rest framework",
])
def test_brands_things_and_lower_case_phrases_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("The restaurant is at 692 Koidu 26", "692 Koidu 26"),  # a house number on each side of a street name
    ("The restaurant is at 632 Ctra. Bailén-Motril 84", "632 Ctra. Bailén-Motril 84"),
    ("Meet at Lekoil Ltd, 4942 Ebbevegen 92, ÅLESUND", "4942 Ebbevegen 92, ÅLESUND"),
    ("address:\n\n788 Industriestraat 133 Apt. 932\nLjubljana", "788 Industriestraat 133 Apt. 932\nLjubljana"),
    ("it is 83601 Pargi 72 Suite 105 Suite 008, Widnau, Switzerland 62894",  # a unit found on its own is taken in
     "83601 Pargi 72 Suite 105 Suite 008, Widnau, Switzerland 62894"),
])
def test_street_lines_between_house_numbers_and_before_units(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text", ["I bought it at 3 Pixel 7.", "due on 1 March 2024", "is at 10 Main 4"])
def test_numbers_around_everyday_words_are_no_street(text):
    assert [value for entity, value in _found(text) if entity == "street_address"] == []


@pytest.mark.parametrize("text, value", [
    ("Brian had given Anna his address", "Anna"),  # who receives what is given
    ("I told Maren the news", "Maren"),
    ("Why is Henry so impulsive?", "Henry"),  # asked about as people are
    ("gabriel: what a wife.", "gabriel"),  # a lower-case speaker's label
    ("remember me, whitney? when i killed", "whitney"),  # called in lower case
    ("Amber is a very sympathetic person.", "Amber"),  # an everyday-word name where only a person stands
])
def test_first_names_alone_where_the_sentence_puts_a_person(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "note: this is it", "amber: the light is on", "I gave Google my data", "Why is Python so slow?",
    "Amber is the colour of the light",
])
def test_labels_receivers_and_subjects_that_are_no_people_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("It is 0492778794.", "0492778794"),  # a trunk 0 and nine more digits, without a cue
    ("Please use 05769908541 for that", "05769908541"),
    ("Please use 2385178057 for that", "2385178057"),  # a North American area code and exchange
    ("It is 03147/89713311.", "03147/89713311"),  # an area code and a slash
    ("It is 06-55/696 3279.", "06-55/696 3279"),
    ("It is (28)/667-5347.", "(28)/667-5347"),
    ("It is 708-538-6713 x006.", "708-538-6713 x006"),  # an extension after a space
    ("Numbers to try: 9382577356, 0171851337.", "9382577356"),  # a comma and a space after it
    ("It is (+447700588868).", "+447700588868"),  # a country code in brackets
])
def test_phones_in_national_shapes_without_a_cue(text, value):
    assert ("phone", value) in _found(text)


def test_numbers_in_code_stay_beside_a_comma():
    assert _found("sdiskusage(total=21378641920, used=4809781248, free=15482871808)") == []
    assert ("phone", "3405692655") not in _found("Object [3405692655, 2343432205]")


@pytest.mark.parametrize("text", [
    "PO 0123456789", "Ticket 5123456789", "ts 2024011512", "see 1700000000 epoch", "id 2222222222",
    "workspace_id='2345678901'", "released 2024/11/24", "see 10/2024 and 1/2",
])
def test_identifiers_dates_and_fractions_are_no_phones(text):
    assert [value for entity, value in _found(text) if entity == "phone"] == []


@pytest.mark.parametrize("text, value", [
    ("Ship to 94866 Abigail Flat\nSmithville, MS 10126.", "94866 Abigail Flat\nSmithville, MS 10126"),  # Flat: a street type
    ("My address is 4 Henderson Knolls\nSouth Roy\nRG0W 6QX", "4 Henderson Knolls\nSouth Roy\nRG0W 6QX"),  # "address is"
    ("My address is Lipahova ulica 8c\n6538 Ptuj", "Lipahova ulica 8c\n6538 Ptuj"),  # a street word in lower case
    ("send a new one to 119 Heuvel St Larissa Stream\n Suite 676\n Edenburg\n South Africa 30598?",
     "119 Heuvel St Larissa Stream\n Suite 676\n Edenburg\n South Africa 30598"),  # a longer street line wins
])
def test_street_lines_found_whole(text, value):
    assert ("street_address", value) in _found(text)


def test_a_longer_street_line_does_not_run_into_the_sentence():
    assert _found("Address: 436 Maple Drive Affects Wi-Fi 6E.") == [("street_address", "436 Maple Drive")]


@pytest.mark.parametrize("value", ["25 470375", "036020 84 12"])
def test_phones_with_a_short_area_code_or_a_long_trunk_code(value):
    assert ("phone", value) in _found(f"Please use {value} for that")


@pytest.mark.parametrize("text, value", [
    ("I talked to Peverell yesterday.", "Peverell"),  # a rare word where only a person stands
    ("Ask Ormazd about it.", "Ormazd"),
    ("Yuuka wrote to us", "Yuuka"),
    ("Nelma and I went home.", "Nelma"),
    ("It was Guy Migneault.", "Guy Migneault"),  # a given name that is also a word, before a rare word
    ("It was Ivan Martin Bugarski.", "Ivan Martin Bugarski"),  # a rare word after a name
])
def test_names_outside_the_gazetteer_where_the_sentence_puts_a_person(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "Ask DeepWiki about it", "you can ask PrettyTable to do its best", "Crash-safe wrote the file",
    "Will Grafana show it?", "What Can Narwhals Do for You?", "Landing Page Caching",
])
def test_products_and_title_case_phrases_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("I live at Männi 12, Mustoja.", "Männi 12, Mustoja"),  # one street word after a cue that only introduces a place
    ("I live at Karu põik 61, Pärnu.", "Karu põik 61, Pärnu"),
    ("Meet me at Männi 12 tomorrow", "Männi 12"),
    ("Meet me at 183 Epimenidou Street, Limassol tomorrow", "183 Epimenidou Street, Limassol"),  # a town before lower case
    ("Meet me at Avenida Noruega 42, Vila Real tomorrow", "Avenida Noruega 42, Vila Real"),  # everyday words after the first
    ("Meet me at 71 Bathurst Road, TWENTY FORESTS tomorrow", "71 Bathurst Road, TWENTY FORESTS"),  # capitals, as on envelopes
    ("The office moved to Männi 12, Mustoja", "Männi 12, Mustoja"),  # one word and a number before ", Town"
    ("Address: Graben 13, OBERSCHACHER", "Graben 13, OBERSCHACHER"),
    ("I live at Dobrovského 1394, Jirice u Miroslavi", "Dobrovského 1394, Jirice u Miroslavi"),  # more particles in towns
    ("I live at Via Melisurgo 36, San Lorenzo Di Moriano", "Via Melisurgo 36, San Lorenzo Di Moriano"),
    ("I live at Πλ Καραισκάκη 128, ΑΓΙΟΣ ΘΕΟ∆ΩΡΟΣ", "Πλ Καραισκάκη 128, ΑΓΙΟΣ ΘΕΟ∆ΩΡΟΣ"),  # an exported table's delta
    ("I live at Sladovnická 96\n720 52 Ostrava since May", "Sladovnická 96\n720 52 Ostrava"),  # postcode and town, then lower case
    ("I live at Peukertstr. 9\n20819 München since May", "Peukertstr. 9\n20819 München"),
    ("I live at Tygostraat 18\n1032 PI\nBergambacht since May", "Tygostraat 18\n1032 PI\nBergambacht"),  # a town's own line
    ("Ship to 15/4 Carter Interchange\nPort Natalieport, TAS, 2921", "15/4 Carter Interchange\nPort Natalieport, TAS, 2921"),
    ("Ship to Callejón José María Barros 7 Piso 6 \nAlmería, 07320", "Callejón José María Barros 7 Piso 6 \nAlmería, 07320"),
    ("User: Reyes Católicos 85 Hammond Junctions\n Suite 313\n Espinosa de los Monteros\n Spain 05512",
     "Reyes Católicos 85 Hammond Junctions\n Suite 313\n Espinosa de los Monteros\n Spain 05512"),  # Spanish particles
    ("6039 Veres Pálné u. 91.\n Suite 060\n Kuncsorba\n Hungary 70749", "6039 Veres Pálné u. 91.\n Suite 060\n Kuncsorba\n Hungary 70749"),
    ("with 5983 99 Eastbourne Rd Suite 409 COLD BLOW United Kingdom for this card",
     "5983 99 Eastbourne Rd Suite 409 COLD BLOW United Kingdom"),  # a town and a country of two words after a unit
])
def test_short_street_lines_after_place_cues(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("please return to 0179 lumbyholmvej 11, gorgoglione, italy in case of an issue.", "0179 lumbyholmvej 11, gorgoglione, italy"),
    ("a taxi to 37628 aðalgata 37 suite 204, recife, brazil. please call me", "37628 aðalgata 37 suite 204, recife, brazil"),
    ("??? 241 via carlo cattaneo 130\n??? suite 743\n??? burgos\n??? italy 68955",
     "241 via carlo cattaneo 130\n??? suite 743\n??? burgos\n??? italy 68955"),
    ("it is 14225 ul. siostrzana 48 apt. 639\njehonville\n, wht\n belgium 92029",
     "14225 ul. siostrzana 48 apt. 639\njehonville\n, wht\n belgium 92029"),
    ("ship it to 12 main street, springfield, canada please", "12 main street, springfield, canada"),  # everyday words and a street type
])
def test_whole_postal_addresses_in_lower_case(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [("songwriter peggy romšak employs", "peggy romšak"),
                                         ("the assistant to faina yefremova, and", "faina yefremova")])
def test_lower_case_given_names_before_surnames_no_list_knows(text, value):
    assert _found(text) == [("person", value)]


def test_a_short_foreign_word_before_a_surname_shaped_word_is_no_name():
    assert _found("[Läs på svenska](https://github.com/x/README.sv.md)") == []


@pytest.mark.parametrize("text", ["we sold 12 units in 3 days, then 40, great", "step 1 of 3, done",
                                  "upgrade from 2 to python 3, finally.", "i have 3 kids, 2 dogs, spain",
                                  "the 2 main roads, then spain"])
def test_lower_case_numbers_and_words_that_are_no_address(text):
    assert [value for entity, value in _found(text) if entity == "street_address"] == []


@pytest.mark.parametrize("text", ["we moved to Python 3.", "I live at Windows 11 now", "Address: Step 5",
                                  "We moved to Python 3, finally.", "We moved to Python 3, Django 4 and Celery 5."])
def test_versions_and_steps_after_place_cues_stay(text):
    assert [value for entity, value in _found(text) if entity == "street_address"] == []


def test_a_town_before_lower_case_is_no_bracketed_note_or_sentence():
    found = _found("address: 2 Chemin des Vignes Signed, Dagmara Pietikäinen (Room B-204) ref. Case")
    assert ("street_address", "2 Chemin des Vignes Signed") in found
    assert _found("Ship to 12 Elm Road, Please call") == [("street_address", "12 Elm Road")]


@pytest.mark.parametrize("text, value", [
    ("As promised, here's Gabrjel's address:", "Gabrjel"), ("Desrosiers's phone number is", "Desrosiers"),
])
def test_owners_of_personal_things_are_names(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["McDonald's number is on the box", "Python's address space", "Apple's phone"])
def test_brands_and_things_owning_things_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("i'm beaufort grandpré, originally from arsuk", "beaufort grandpré"),  # self-introduced, in lower case
    ("we need to add hülya bouwmeester as guardian", "hülya bouwmeester"),  # a known first name and no word
])
def test_lower_case_names_outside_the_gazetteer(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["i'm very happy", "i'm using kubectl now", "i am sure that works", "i'm gonna try"])
def test_lower_case_self_descriptions_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("value", [
    "Rua das Imbuias 855, Guarujá", "Via degli Aldobrandeschi 3, Jelsi", "Király u. 15., Gyopárosfürdô",
    "Olaf Aakranns veg 112, ELVERUM",
])
def test_street_names_with_particles_and_lower_case_street_words(value):
    assert ("street_address", value) in _found(f"I live at {value}.")


@pytest.mark.parametrize("text, value", [
    ("Coach Padilla said no", "Padilla"), ("Senator Wiśniewski voted", "Wiśniewski"), ("Aunt Maren came", "Maren"),
    ("Señora Gutiérrez llamó", "Gutiérrez"),
])
def test_names_after_titles(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["General Electric", "Captain Obvious", "Officer Down", "Father Christmas"])
def test_titles_before_no_name_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


def test_a_middle_initial_is_no_title():
    assert _found("(Seth M. Larson)") == [("person", "Seth M. Larson")]


def test_address_lines_may_start_with_a_bullet_or_a_lost_emoji():
    text = "??? Mikolaj Walczak\n??? 6175 Markt 84\n??? Suite 420\n??? MÜLLNERN\n??? Austria 09406"
    assert ("street_address", "6175 Markt 84\n??? Suite 420\n??? MÜLLNERN\n??? Austria 09406") in _found(text)
    assert ("street_address", "12 Elm Road\n- London") in _found("- 12 Elm Road\n- London")


def test_a_name_line_heading_a_contact_block_is_a_name():
    text = "Mozes Tury\nPhotographic processing machine operator\nHurricane Energy PLC\n03830 Glynitveien 218 Apt. 403"
    assert ("person", "Mozes Tury") in _found(text)
    assert [v for e, v in _found("Release Notes\nCall 0492778794 now") if e == "person"] == []  # everyday words
    assert [v for e, v in _found("Mozes Tury\nno contact details below") if e == "person"] == []


@pytest.mark.parametrize("text, value", [("Is Padilla coming?", "Padilla"), ("Ok. Is Desrosiers around today?", "Desrosiers")])
def test_known_surnames_asked_about(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Is Redis ready?", "Is Kubernetes there?", "Is Jenkins back?", "Is English available?"])
def test_things_asked_about_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("251 Charilaou Trikoupi Str. is where we are", "251 Charilaou Trikoupi Str."),  # "Str." as a street type
    ("I live at Ηλίου 64, ΛΑΡΝΑΚΑ.", "Ηλίου 64, ΛΑΡΝΑΚΑ"),  # Greek script, in the street and the town
    ("I live at Αγ. Ανδρέα 130, ΒΑΣΑ ΚΟΙΛΑΝΙΟΥ.", "Αγ. Ανδρέα 130, ΒΑΣΑ ΚΟΙΛΑΝΙΟΥ"),  # an abbreviated word
    ("I live at Gl. Sygehusvej 153, Narsaq.", "Gl. Sygehusvej 153, Narsaq"),
])
def test_abbreviated_and_greek_street_names(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Did Alvin finish the report?", "Alvin"),  # a known name as a question's subject, before its verb
    ("When will Rebecca be back?", "Rebecca"),
    ("Why did Nygaard leave?", "Nygaard"),
    ("Rebecca and her sister live in Boston.", "Rebecca"),  # a sentence's first word before "and her"
    ("Her maiden name is van Lint", "van Lint"),  # a surname with its particle
    ("It may be too that van Hecke was influenced by it", "van Hecke"),
    ("von Platen, Patrick and others", "von Platen"),
])
def test_names_alone_as_questions_subjects_and_with_particles(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("I went shopping with Berislav on Friday.", "Berislav"),  # given names no list knows, by their endings
    ("Tell Khasbulat I said hi.", "Khasbulat"), ("The laptop belongs to Islambek.", "Islambek"),
    ("Has anyone seen Šefka?", "Šefka"),  # a capital letter none of the seven languages writes
    ("Has anyone seen Haanpää?", "Haanpää"),  # Finnish, Estonian and Nordic shapes rare in all seven languages
    ("I'm waiting for Sommerseth to reply.", "Sommerseth"), ("Please ask Myrvold.", "Myrvold"),
])
def test_given_names_no_list_knows_by_their_endings_and_letters(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", ["The Yugoslav team won.", "I visited Kashmir.", "He speaks Uzbek."])
def test_peoples_and_places_with_given_name_endings_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("I went shopping with Mike on Friday.", "Mike"),  # common given names that word counts hold
    ("Tom said no.", "Tom"), ("Tell Victor I said hi.", "Victor"), ("The laptop belongs to Jane.", "Jane"),
    ("Is this Rebecca?", "Rebecca"),  # on the phone
    ("Hello? Is this Alvin?", "Alvin"),
    ("Rebecca - thanks!", "Rebecca"),  # a name, a dash and the rest
])
def test_common_given_names_among_core_words_and_names_asked_for_on_the_phone(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", [
    "Is this Python?", "Is this the Hilton?", "is this Windows?", "Python - thanks!", "Use the Tom cat.",
    "We will Mark it done.", "Bill me later.",
    " defeat redesignIran Cin acceptable burnedezers Tom",  # a core-word name after no word people write (model output)
])
def test_things_asked_for_and_given_names_that_are_words_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text", [
    "Can Alexa play music?", "Does Jenkins run on Java?", "Did Python install correctly?", "Is Docker running?",
    "we rented a van Monday", "I drove the van Ford gave me", "She moved to a van Berlin sold",
])
def test_products_in_questions_and_vans_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


def test_a_particle_surname_after_its_given_name_stays_in_the_whole_name():
    assert ("person", "Hugo van Kemenade") in _found("Bart Broere, Hugo van Kemenade, Anna")


@pytest.mark.parametrize("text, value", [
    ("deliver to Via Acrone 69 Apt. 518 please", "Via Acrone 69 Apt. 518"),  # a flat before lower case
    ("deliver to 219 Via Acrone 69 please", "219 Via Acrone 69"),  # the street's own number after a house number
    ("Ship to 92 Vasileos Pavlou str, Limassol", "92 Vasileos Pavlou str, Limassol"),  # "str" in lower case
    ("Ship to Apt. 186, 92 Vasileos Pavlou str, Limassol", "Apt. 186, 92 Vasileos Pavlou str, Limassol"),
    ("Valadouro 3, 97471 Ubide", "Valadouro 3, 97471 Ubide"),  # a street before a postcode and a town, no cue
    ("Männi 12, Mustoja, Estonia", "Männi 12, Mustoja, Estonia"),  # ... or before a town and a country
    ("Please send the package to Trg revolucije 96, 75161 Beltinci by Monday.", "Trg revolucije 96, 75161 Beltinci"),
    ("I live on Calea Victoriei 12", "Calea Victoriei 12"),  # Romanian, Slovenian and Polish street types
    ("Ship to 597 U Trati 1724\n Suite 114\n Sušice 1\n Czech Republic 62642.",  # a town's district number
     "597 U Trati 1724\n Suite 114\n Sušice 1\n Czech Republic 62642"),
    ("Ship to 810 Small Mews\nRD 4\nHealyleigh 5852.", "810 Small Mews\nRD 4\nHealyleigh 5852"),  # a rural delivery
    ("Korte Noordsstraat 307 is where we are", "Korte Noordsstraat 307"),  # words before a compound street
    ("I live at Johannes van Vlotenlaan 14.", "Johannes van Vlotenlaan 14"),
    ("Gl. Sygehusvej 153 is where we are", "Gl. Sygehusvej 153"),
    ("Visit Byvej 22 today", "Byvej 22"),  # not an everyday word
    ("Ποσειδώνος 254 is where we are", "Ποσειδώνος 254"),  # Greek script
    ("Μεγάλη Άμμος 184 is where we are", "Μεγάλη Άμμος 184"),
    ("I live at πλατεία Καραισκάκη 262", "πλατεία Καραισκάκη 262"),
    ("I live at 184 G. Seferi Street", "184 G. Seferi Street"),  # an initial in the name
    ("Ship to 970 Kase põik 91, Tallinn", "970 Kase põik 91, Tallinn"),  # a lower-case street word after the name
    ("his address: 65844 Nuussuataap Aqq. 291", "65844 Nuussuataap Aqq. 291"),  # a house number after an abbreviation
    # A cross street after "in", "on" or "with", before the sentence goes on; a name taken for a person is part of it.
    ("Please return to Zita and Oranje-Nassauhof 169 in case of an issue.", "Zita and Oranje-Nassauhof 169"),
    ("It's in Markha and Groenekruislaan 170", "Markha and Groenekruislaan 170"),
    # A street line above a town, a region and a postcode, split over lines by a form.
    ("Apteegi 1\nTallinn\n, HA\n 80944", "Apteegi 1\nTallinn\n, HA\n 80944"),
    ("We moved to Köie 88\nNässuma, SA 40842 last year.", "Köie 88\nNässuma, SA 40842"),
    ("The office is at 3 Rue Hedi Nooman\nZeghabna, 53 43951.", "3 Rue Hedi Nooman\nZeghabna, 53 43951"),
    ("I live at Apt. 819, Avenida Marquês Tomar 103, Lisboa", "Apt. 819, Avenida Marquês Tomar 103, Lisboa"),  # a unit first
    ("I live at Apt. 819, 123 Main Street.", "Apt. 819, 123 Main Street"),  # before a street that ends the sentence
    ("send it to apt 3, Via Roma 12.", "apt 3, Via Roma 12"),  # the unit's word before its number and comma
    # Italian street types before the name and a comma before the number, postcode before the town
    ("Ship to Borgo Adelmo, 77\n85059, Viggiano (PZ).", "Borgo Adelmo, 77\n85059, Viggiano (PZ)"),
    ("I live at Vicolo Chechi, 31 since May", "Vicolo Chechi, 31"),
    # Romanian: street types, and block, staircase and flat after the number
    ("I live at Strada Stancu Nr. 303 Bl. 88  Sc. 10 Ap. 373\nTeius, 322646 since May",
     "Strada Stancu Nr. 303 Bl. 88  Sc. 10 Ap. 373\nTeius, 322646"),
    ("Ship to Drumul Nicolae Ioniță Nr. 72\nMoreni, 285491.", "Drumul Nicolae Ioniță Nr. 72\nMoreni, 285491"),
    # Brazilian: street types, the district's line, the postcode (CEP, no phone) and "Town / state"
    ("Rua das Flores, 123\nCentro\n01310-100 São Paulo / SP", "Rua das Flores, 123\nCentro\n01310-100 São Paulo / SP"),
    ("Ship to Viaduto da Mata, 40\nVila Suzana\n84951-838 Brito / BA.", "Viaduto da Mata, 40\nVila Suzana\n84951-838 Brito / BA"),
    # South Asian house, building and holding numbers, after a flat
    ("I live at Apartment 1, Holding No. 98, New DaudTala Lane, ChouddahKhali, Jessore, 4409 since May",
     "Apartment 1, Holding No. 98, New DaudTala Lane, ChouddahKhali, Jessore, 4409"),
    ("I live at H.No. 416, Cherian Street, Raurkela Industrial Township 185491 since May",
     "H.No. 416, Cherian Street, Raurkela Industrial Township 185491"),
    # Colombian grid addresses with a direction after the number, and the lines below
    ("Ship to Cr. 62 # 79-8 Sur\n130620\nZambrano, Bolívar.", "Cr. 62 # 79-8 Sur\n130620\nZambrano, Bolívar"),
    ("Avenida calle 5ª # 7-3 Sur\n545778\nVilla Caro", "Avenida calle 5ª # 7-3 Sur\n545778\nVilla Caro"),
    # Quebec's street types in lower case after the number; Australia's unit or level before it
    ("I live at 660 rang Allard", "660 rang Allard"),
    ("3702 montée Jonathan\nSaint--Lac--Bilodeau, NS C3R6M3", "3702 montée Jonathan\nSaint--Lac--Bilodeau, NS C3R6M3"),
    ("I live at Level 3 627 Stephanie Quays\nPopeburgh, NSW, 2935", "Level 3 627 Stephanie Quays\nPopeburgh, NSW, 2935"),
    ("Suite 373 5 Ortiz Roads\nLewismouth, NT, 2604", "Suite 373 5 Ortiz Roads\nLewismouth, NT, 2604"),
    # no house number ("sem número", "sin número")
    ("Ship to Travessa de Vaz, S/N\n4659-085 Câmara de Lobos.", "Travessa de Vaz, S/N\n4659-085 Câmara de Lobos"),
    ("new address is Avenida Paulista, 2016 (see UTC)", "Avenida Paulista, 2016"),  # a house number like a year
    # the Philippines' block and lot; Mexico's building and flat after the number
    ("Ship to Block 01 Lot 08 Young Homes, Davis Road, Lumbayanague, 3140 Pampanga.",
     "Block 01 Lot 08 Young Homes, Davis Road, Lumbayanague, 3140 Pampanga"),
    ("Ship to Cerrada San Luis Potosí 176 Edif. 252 , Depto. 807\nNueva Botswana.",
     "Cerrada San Luis Potosí 176 Edif. 252 , Depto. 807\nNueva Botswana"),
    # Malaysia's house number and comma before the street; Chile's street with no type before a Spanish
    # unit, and its seven-digit postcode
    ("No. 12, Jalan Bukit Bintang, 55100 Kuala Lumpur", "No. 12, Jalan Bukit Bintang, 55100 Kuala Lumpur"),
    ("I live at 5-6, Jalan 4/16, USJ 66, 75735 Taman Damai, Malacca since May",
     "5-6, Jalan 4/16, USJ 66, 75735 Taman Damai, Malacca"),
    ("My address is Caupolicán 817 Of. 392\nCuracautín, Región de La Araucanía, 9579310",
     "Caupolicán 817 Of. 392\nCuracautín, Región de La Araucanía, 9579310"),
])
def test_street_lines_with_units_own_numbers_and_towns(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Ship to Viaduto da Mata, 40\nVila Suzana Segunda Seção\n84951-838 Brito / BA.",
     "Viaduto da Mata, 40\nVila Suzana Segunda Seção\n84951-838 Brito / BA"),  # district line, then postcode, town / state
    ("My address is Calle Chihuahua 497 Interior 660\nSan Yuridia los bajos, QRO 78836",
     "Calle Chihuahua 497 Interior 660\nSan Yuridia los bajos, QRO 78836"),  # lower case after a particle
    ("Av. Mendoza N° 9716 Oficina 85\nSan Fernando del Valle de Catamarca 4700, Catamarca",
     "Av. Mendoza N° 9716 Oficina 85\nSan Fernando del Valle de Catamarca 4700, Catamarca"),
    ("Cerrada Altamirano 118\nSan Paola, Q. ROO 59397-6158", "Cerrada Altamirano 118\nSan Paola, Q. ROO 59397-6158"),
    ("Distrito Josué da Mata, 89\nVila Califórnia\n60856-517 Lima / MS",
     "Distrito Josué da Mata, 89\nVila Califórnia\n60856-517 Lima / MS"),  # a Brazilian street type
])
def test_place_lines_below_a_street_line_up_to_the_postcode(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, street", [
    ("Ship to Via Roma 12\nOrder status: shipped", "Via Roma 12"),  # no postcode below
    ("Ship to Via Roma 12\nPlease ring 4521 at the gate", "Via Roma 12"),  # a sentence, not a place line
    ("Ship to 12 Main Street Thanks 2024 Bob", "12 Main Street"),  # a closing, on the same line
    ("Ship to Via Roma 12\nOrder 45123", "Via Roma 12"),  # an identifier's label
    ("Via Roma 12\nMilano\nThanks for your help", "Via Roma 12\nMilano"),
])
def test_lines_below_a_street_line_that_are_no_place_lines_stay(text, street):
    assert ("street_address", street) in _found(text)


def test_two_addresses_in_a_row_that_share_a_unit_between_them_are_masked_whole():
    """The first address takes "Flat 2" as its unit, the second as its own; neither may be lost."""
    text = "Hi, Flat 2, 855 Pennsylvania Ave, London Flat 2, 28 Downing St, London thanks"
    masked = PiiMasker(ALL).mask_record({"messages": [{"role": "user", "content": text}]})[0]["messages"][0]["content"]
    assert "855" not in masked and "28 Downing" not in masked


@pytest.mark.parametrize("text, value", [
    ("My zip code is 94110.", "94110"), ("zip: 94110-1234", "94110-1234"), ("PLZ 10115 Berlin", "10115"),
    ("my postcode is SW1A 1AA", "SW1A 1AA"), ("postcode: 1012 AB", "1012 AB"), ("CEP 01310-100", "01310-100"),
    ("The postal code 75008 is in Paris", "75008"),
    ("I live in Springfield, IL 62704.", "62704"),  # a US town, state and ZIP code without a street
])
def test_postcodes_after_their_label_or_a_us_town_and_state(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", [
    "Watch Canale 5 tonight", "the stretto 12 bars", "Sc. 10 of the report", "see Bl. 5", "see House No. 5, the sitcom",
    "We had 12 rang Sunday", "R. Kelly 2", "by R. Smith, 2019", "B12 L34, check the sheet", "the block 5 lot 3 of the auction, sold",
    "Table 3, Jalan, x", "Windows 11 Local 3", "Chapter 5 Of 12",
])
def test_words_shaped_like_new_street_types_and_units_are_no_address(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", [
    "zip the 12345 files", "cap 10000", "Code 12345", "gzip 12345", "the zip file 12345.zip", "Springfield, Il 62704",
])
def test_numbers_near_zip_or_code_that_are_no_postcode(text):
    assert [entity for entity, _ in _found(text)] == []


@pytest.mark.parametrize("text, value", [
    ("Windows 11, 2024 Edition", None), ("Python 3, Django, Flask", None), ("Version 3, Berlin, Germany", None),
    ("Chapter 5, 2019 Report", None), ("Κεφάλαιο 5 και Έκδοση 2", None),
    ("Shipping address: 59 Maple Ave. 4 x 2.5 GB", "59 Maple Ave."),  # no house number after a street type
    ("Delivery address: 58 Willow Close Room 101 again", "58 Willow Close"),  # a meeting room stays
    ("meet me with John and 2 friends", None), ("I was with Anna and Python 3.", None),
    ("Windows 11\nRelease, EN 2024", None), ("Unit 3, Windows 11, later", None),
])
def test_versions_lists_rooms_and_sizes_are_no_address_parts(text, value):
    assert [found for entity, found in _found(text) if entity == "street_address"] == ([value] if value else [])


@pytest.mark.parametrize("text, value", [
    ("hi rebecca, thanks", "rebecca"), ("my name is alvin", "alvin"), ("ask rebecca about it", "rebecca"),
    ("rebecca said no", "rebecca"), ("why is alvin so impulsive?", "alvin"),
    ("joel had given rebecca his address", "rebecca"),
])
def test_one_first_name_in_lower_case_after_chat_cues(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["hi there", "ask siri", "thanks amber", "cc jenkins", "hello world", "i gave it the slip"])
def test_lower_case_words_after_chat_cues_that_are_no_first_names_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("My neighbour Peverell has a dog.", "Peverell"),  # after who someone is to the writer
    ("Our manager, Schneider, approved it.", "Schneider"),
    ("Sorry Lopez, I missed your call.", "Lopez"),  # called while apologising
    ("I told Lopez about the problem.", "Lopez"),  # told about something
    ("It was Sedej who called.", "Sedej"),  # before "who" inside a sentence
    ("Both Lopez and Rebecca agreed.", "Lopez"),  # a surname listed before a name
    ("Rebecca and John agreed.", "Rebecca"),  # a sentence's first name before "and" and a name
    ("Rebecca (sales) will follow up.", "Rebecca"), ("Lopez - Accounting", "Lopez"),  # before a department
])
def test_one_name_after_relations_apologies_and_telling(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["my friend Python is great", "I told Jenkins about it", "Sorry Windows, bye",
                                  "Maintainers who participate", "we thank the Kubernetes who helped",
                                  "Python and Django are great", "Sales and Marketing", "Python (Engineering) is used",
                                  "Tell Grafana to reload the dashboards", "check with Zendesk first",
                                  "What is Grafana?", "We are waiting for Grafana to load", "Grafana in it is slow"])
def test_things_after_relations_apologies_and_telling_stay(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text", [
    "Our account manager is Bizier.", "The beneficiary was Veindorfer.", "The assignee is Bizier",
    "My landlord is Beneventi", "I was referred by Bizier.", "The account is registered under the name Gatou.",
])
def test_a_rare_word_after_a_persons_role_and_is(text):
    assert [entity for entity, _ in _found(text)] == ["person"]


@pytest.mark.parametrize("text", [
    "Our partner is Accenture.", "The developer is Jetbrains", "The default client is Postgres.", "The host is Ubuntu.",
    "The owner is Grafana Labs",
])
def test_a_role_a_company_or_a_thing_fills_names_no_person(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", [
    "Gatou is on leave until Monday.", "Mieto never received the package.", "The invoice is addressed to Bizier, not to me.",
    "Godina left the company last year.", "I heard Beneventi was promoted.",
])
def test_a_rare_word_where_only_a_person_is_away_leaves_or_receives(text):
    assert [entity for entity, _ in _found(text)] == ["person"]


@pytest.mark.parametrize("text", ["Grafana is on the roadmap", "Traefik never received the request", "Kubernetes has left the building"])
def test_things_on_a_roadmap_or_receiving_requests_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("Officer Roland S. Pena took my statement.", "Roland S. Pena"), ("Do you know where Roland S. Pena lives?", "Roland S. Pena"),
    ("My landlord, Sophia A. Anderson, refuses", "Sophia A. Anderson"),
    ("Is Sietske R. van der Wardt available?", "Sietske R. van der Wardt"),
])
def test_a_name_with_a_middle_initial_and_its_full_stop_stays_whole(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text, name", [
    ("Surname Gatou", "Gatou"), ("Surname: Gatou", "Gatou"), ("Surname Roland S. Pena", "Roland S. Pena"),
    ("Nachname: Müller", "Müller"), ("Apellidos: García López", "García López"), ("First name Bizier", "Bizier"),
])
def test_a_name_after_the_label_of_its_field_with_or_without_a_colon(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text, street", [
    ("Her house on Tala 7342 burned down.", "Tala 7342"), ("The flat on Karu põik 61 is for rent", "Karu põik 61"),
    ("She lives on Mjövattnet 1 with her kids", "Mjövattnet 1"),
])
def test_a_street_of_one_word_and_a_number_after_a_house_or_living_on(text, street):
    assert _found(text) == [("street_address", street)]


def test_a_version_after_on_is_no_street():
    assert _found("It broke on Ubuntu 22 yesterday") == []


@pytest.mark.parametrize("text, name", [
    ("Surname Young", "Young"), ("Last name Walker", "Walker"), ("My doctor is Young.", "Young"),
])
def test_an_everyday_word_that_is_a_surname_where_only_a_name_stands(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["Assignee: Unassigned", "The assignee is Unassigned", "Reporter: Automation",
                                  "The recipient is Support"])
def test_ticket_fields_that_name_no_one_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("So Nestor told me to reinstall the app.", "Nestor"), ("Then Padilla said it was fine.", "Padilla"),
    ("Yesterday Silvia asked for my ID.", "Silvia"),
])
def test_a_name_after_a_word_that_opens_the_sentence(text, name):
    assert _found(text) == [("person", name)]


def test_the_last_word_of_a_longer_capitalised_name_is_still_no_name_alone():
    assert _found("Windows Server has been down since Monday") == []


@pytest.mark.parametrize("text, name", [
    ("@Brenda can you take a look?", "Brenda"), ("cc @Kowalski", "Kowalski"), ("@Maria Lopez please check", "Maria Lopez"),
])
def test_a_person_mentioned_with_an_at_sign(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", [
    "@Override\npublic void run() {}", "@Setter\nprivate int x;", "@Retry(3)", "@Docker is down",
    "by [@Viicos](https://github.com/Viicos) in #12324",
])
def test_code_annotations_products_and_linked_handles_after_an_at_sign_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("I was helped by Frank at the front desk.", "Frank"), ("The parcel was signed for by Botolen.", "Botolen"),
    ("I was greeted by Khazani at the door.", "Khazani"),
])
def test_a_person_who_served_a_customer(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["The site is served by Gunicorn.", "It was assisted by Kubernetes autoscaling."])
def test_software_that_serves_is_no_person(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("This is Schuur's laptop, not mine.", "Schuur"), ("Yerlan Gorostiaga's laptop won't boot", "Yerlan Gorostiaga"),
])
def test_the_owner_of_a_laptop_or_a_note_is_a_person_and_a_longer_name_stays_whole(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text, street", [
    ("Our warehouse at 12 Ceibo Street, Sibasa, South Africa is closed.", "12 Ceibo Street, Sibasa, South Africa"),
    ("Is 1409 Hounslow Rd\n Apt. 692\n SMITH'S GREEN\n United Kingdom in your zone?",
     "1409 Hounslow Rd\n Apt. 692\n SMITH'S GREEN\n United Kingdom"),
    ("The old address, Pilekrogen 51, is no longer valid.", "Pilekrogen 51"),
    ("The courier left it at 7496 Kaevu 94 instead.", "7496 Kaevu 94"),
])
def test_an_address_with_its_country_of_two_words_and_after_more_cues(text, street):
    assert _found(text) == [("street_address", street)]


@pytest.mark.parametrize("text, names", [
    ("Zachary and Lindsey both reported the outage.", ["Zachary", "Lindsey"]), ("Ask Erin or Tyler", ["Erin", "Tyler"]),
    # beside a person's first name, one that is also a word, a town or a thing's name is a person too
    ("Sara and Madison both reported the outage.", ["Sara", "Madison"]),
    ("Louise and Travis both reported the outage.", ["Louise", "Travis"]),
])
def test_two_known_first_names_joined_by_and_or(text, names):
    assert _found(text) == [("person", name) for name in names]


@pytest.mark.parametrize("text", ["Ruby and Julia are languages", "Jenkins and Travis run CI", "Salt and Pepper",
                                  "Crystal and Amber are colours"])
def test_things_and_everyday_words_joined_by_and_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", ["Milan and Rome are lovely in May", "Jordan and Israel signed", "Houston and Austin"])
def test_places_named_like_people_joined_by_and_are_no_pair_of_people(text):
    from tuneops.curate.pii import first_names_joined
    assert first_names_joined(text) == []


@pytest.mark.parametrize("text, name", [
    ("Tell Marta thanks from me.", "Marta"), ("You can reach Petra at the office.", "Petra"),
    ("Hi, it's Lukas again about the screen.", "Lukas"), ("Congrats to Brenda on the promotion!", "Brenda"),
    ("Happy birthday Eluney!", "Eluney"),
])
def test_a_name_told_reached_congratulated_or_introduced_after_a_greeting(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["tell Grafana to reload", "Congrats to Grafana on the release", "we reach Kafka at scale"])
def test_software_told_or_congratulated_is_no_person(text):
    assert _found(text) == []


def test_a_street_after_a_pick_up_point_label():
    assert _found("Pick-up point: Fälloheden 41, Stockholm") == [("street_address", "Fälloheden 41, Stockholm")]


@pytest.mark.parametrize("text, name", [
    ("Please have Sighvatr call me back.", "Sighvatr"), ("When I called, Amelia put me on hold for 40 minutes.", "Amelia"),
    ("We are still waiting on Abbey for the quote.", "Abbey"), ("Sorry to bother you, Marta, but the link is broken.", "Marta"),
    ("Marcus was super helpful, five stars.", "Marcus"), ("I need the contract between me and Johnston.", "Johnston"),
])
def test_a_name_where_an_agent_or_a_party_stands(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["have Jenkins call the webhook", "waiting for Jenkins", "Copilot was super helpful",
                                  "Windows apologized", "I tried Chrome, Safari, Edge"])
def test_software_that_calls_helps_or_is_waited_for_is_no_person(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("I asked Jonathan twice and got two different answers.", "Jonathan"), ("We hired Tyler last spring.", "Tyler"),
    ("Did Alvin finish the report.", "Alvin"),  # no question, but a given name before a verb
])
def test_a_common_given_name_inside_a_sentence_before_a_lower_case_word(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["We returned to Roma by helicopter.", "He arrived at Atlanta this morning.",
                                  "The part of London that they live in", "using Western or Julian algorithms"])
def test_towns_and_calendars_named_like_people_after_a_word_of_place_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("I asked Strauser twice and got two answers.", "Strauser"), ("We hired Querry last spring.", "Querry"),
])
def test_a_us_census_surname_rare_in_seven_languages_is_a_known_surname(text, name):
    assert _found(text) == [("person", name)]


def test_census_surnames_that_name_methods_and_tools_stay():
    assert _found("Card 4111 1111 1111 1112 fails Luhn") == []
    assert _found("We install it via Conda or pip.") == []


@pytest.mark.parametrize("text, name", [
    ("i talked to jessica yesterday about it", "jessica"), ("maria lopez and i share the account.", "maria lopez"),
    # "tom" is a word, but before a surname in a person's prose it starts the name (an older test kept it unmasked)
    ("you can tell tom was a huge tom leonard fan", "tom leonard"),
])
def test_a_known_name_in_prose_typed_wholly_in_lower_case(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["she moved here from france", "sudo apt update", "import logging, sys",
                                  "i live in paris and use django", "will you merge the branch"])
def test_places_commands_and_words_typed_in_lower_case_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, names", [
    ("hey hilarion, any update?", ["hilarion"]),  # rare in all seven languages, after a greeting
    ("thanks fortun!!", ["fortun"]),
    ("according to timayev, the warranty covers this.", ["timayev"]),
    ("forwarding to thaddeus and jessica for review.", ["thaddeus", "jessica"]),  # no personal word
    ("maryam b. kadiev and i share the account.", ["maryam b. kadiev"]),  # the initial joins the name
    ("kind regards,\njulieta", ["julieta"]),
    ("nestor from the night shift fixed it in five minutes", ["nestor"]),  # a known first name, no cue
])
def test_lower_case_chat_is_read_as_if_typed_with_capitals(text, names):
    assert _found(text) == [("person", name) for name in names]


@pytest.mark.parametrize("text", [
    "written in, which characters we normalize together, and how we tokenize it.",  # an English derivation
    "left to the user to decide whether the data they unpickle is from",
    "- fix issue with spurious newline on first item after comment",  # two English words joined
    "python -m venv venv", "pytest sklearn", "git pull && git submodule init",  # commands
    "for using the msgpack serializer.", "format output for pagination in documents.",
    "test suite, and very minimal tests against pandas and zarr from the",  # a surname list's word, no cue
    "odd-arch wheel matrix, since the pypa odd-arch container images",  # a hyphen joins words, not names
])
def test_lower_case_prose_of_code_keeps_its_words(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, street", [
    ("the old address, 47 kogil street 5908, is no longer valid.", "47 kogil street 5908"),
    ("billing address: 3185 itätuulenkuja 89 apt. 236 espoo finland", "3185 itätuulenkuja 89 apt. 236 espoo finland"),  # its country too
    ("i live at 12 main street, springfield", "12 main street"),  # English words name the street
    ("we are at 221 baker st, london nw1 6xe", "221 baker st, london"),  # not "london" the surname
])
def test_an_address_typed_wholly_in_lower_case(text, street):
    assert _found(text) == [("street_address", street)]


def test_address_capitals_need_a_number_and_no_code():
    assert address_capitalised_as_written("i live at 12 main street") == "i live at 12 Main Street"
    assert address_capitalised_as_written("i live on main street") is None  # no number
    assert address_capitalised_as_written("x = 12 main street") is None  # code
    assert address_capitalised_as_written("see you at 5 then") is None  # no word to capitalise


@pytest.mark.parametrize("text, box", [
    ("The office moved to Postbox 23", "Postbox 23"), ("Postbus 1234 is our address", "Postbus 1234"),
    ("Send mail to Apartado de Correos 123", "Apartado de Correos 123"), ("Caixa Postal 123", "Caixa Postal 123"),
    ("Pósthólf 45 is where we are", "Pósthólf 45"), ("Write to Boîte postale 12", "Boîte postale 12"),
])
def test_post_office_boxes_as_other_languages_write_them(text, box):
    assert _found(text) == [("street_address", box)]


def test_a_section_of_a_law_is_no_post_office_box():
    assert _found("See Apartado 3 of the law") == []


def test_capitals_put_back_keep_the_text_s_length_and_leave_places_and_code():
    assert capitalised_as_written("maryam b. kadiev and i moved to paris") == "Maryam B. Kadiev and I moved to paris"
    assert capitalised_as_written("i use django and flask") is None  # no word could be a name
    assert capitalised_as_written("Hey hilarion") is None  # a capital written: the other rules read it
    assert capitalised_as_written("x = hilarion(1)") is None  # code
    assert capitalised_as_written("ask jessica or ahmed", first_names_only=True) == "ask Jessica or Ahmed"
    assert capitalised_as_written("ask kreutzmann", first_names_only=True) is None


def test_a_given_name_in_a_run_of_random_tokens_is_no_name():
    assert _found("ambooazard tides Kevin probation anne destruction Settlement") == []


@pytest.mark.parametrize("text, street", [
    ("The delivery address is Eric and 1737 Cheriton Dr.", "Eric and 1737 Cheriton Dr."),
    ("We moved to Katarzyna and Västerviksgatan 2 last month.", "Katarzyna and Västerviksgatan 2"),
    ("It went to the wrong address (16934 Keskiortentie 98 Apt. 730 GETA Finland).",
     "16934 Keskiortentie 98 Apt. 730 GETA Finland"),
    ("It went to the wrong address (91247 Westdorp 346\n Apt. 292\n Tintange\n Belgium).",
     "91247 Westdorp 346\n Apt. 292\n Tintange\n Belgium"),
])
def test_a_corner_of_a_street_named_after_a_person_and_an_address_in_brackets(text, street):
    assert _found(text) == [("street_address", street)]


def test_two_people_before_an_address_stay_people():
    assert _found("Please call Maria and Tom at 12 Main Street") == [
        ("person", "Maria"), ("person", "Tom"), ("street_address", "12 Main Street")]


@pytest.mark.parametrize("text, postcode", [
    ("Do you deliver to 33144?", "33144"), ("I live in Leeds, 62704.", "62704"),
    ("We moved to Austin 78617 last year.", "78617"), ("We moved to Springfield (62704).", "62704"), ("I live in Oslo 0150.", "0150"),
])
def test_a_postcode_alone_after_a_cue_of_a_place_or_its_town(text, postcode):
    assert _found(text) == [("street_address", postcode)]


@pytest.mark.parametrize("text", ["We moved to 2024.", "we moved to 5000 users", "We moved to Python 3110 yesterday"])
def test_years_counts_and_versions_after_moved_to_are_no_postcode(text):
    assert _found(text) == []


def test_a_house_number_after_a_street_word_before_a_date_is_no_trailing_number():
    assert _found("I live at 14 Rue 9 Avril 1938.") == [("street_address", "14 Rue"), ("date_of_birth", "9 Avril 1938")]


@pytest.mark.parametrize("text, name", [
    ("Check with Hansen first.", "Hansen"), ("Escalate to Bolton now", "Bolton"), ("Kudos to Dean for the fix", "Dean"),
])
def test_a_known_name_after_a_capitalised_cue_of_several_words_or_kudos(text, name):
    assert _found(text) == [("person", name)]


def test_first_names_joined_after_a_capitalised_word_are_the_end_of_a_longer_name():
    from tuneops.curate.pii import first_names_joined

    assert first_names_joined("Zachary and Lindsey") == [(0, 7), (12, 19)]
    assert first_names_joined("Windows Zachary and Lindsey") == []


@pytest.mark.parametrize("text, name", [
    # A name ends its line: the street below it is no part of it.
    ("Ship to: Marika Philippen\nRua Deocleciano Cavalcante 1841 7624\n47128 Fortaleza", "Marika Philippen"),
    ("Ship to: Josef Koutník\nÁrpád fejedelem útja 45. 904\n19730 Pomáz", "Josef Koutník"),
])
def test_a_name_found_after_a_cue_stops_at_the_end_of_its_line(text, name):
    assert ("person", name) in _found(text)
    assert not any(entity == "person" and "\n" in value for entity, value in _found(text))


@pytest.mark.parametrize("text, name", [
    ("Customer Kowalczyk reported the router firmware 4.2.1 keeps rebooting.", "Kowalczyk"),
    ("Tenant Fedorov is late with the rent", "Fedorov"), ("Customer Hébert reported it", "Hébert"),
])
def test_a_known_surname_after_a_role_written_with_a_capital(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["Customer Support reported it", "Customer Portal is down", "User Guide 2.1 is out"])
def test_a_role_with_a_capital_before_a_thing_makes_no_name(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, names", [
    # A capitalised word that spells a word of an e-mail address's name in the same text.
    ("Could you send the contract to KaueCavalcantiLima@rhyta.com and copy Kauê?", ["Kauê"]),
    ("Darda Bolla (BollaDarda@einrot.com) opened the ticket", ["Darda Bolla"]),
    ("Mail Maria at m.lopez@x.org, Lopez knows", ["Maria", "Lopez"]),
])
def test_a_word_that_an_email_address_in_the_text_spells_is_a_name(text, names):
    assert [value for entity, value in _found(text) if entity == "person"] == names


@pytest.mark.parametrize("text", [
    "Write to Support at support@acme.com or Sales",  # core English words
    "[![Slack](https://img.shields.io/badge/slack-@mlflow--users-CF0E5B.svg)]",  # a dictionary word
    "mailto:GRACE.HUTTUNEN@EXAMPLE.IO Known issue: Grace Period.",  # the start of a longer capitalised name
    "[wendell.bruun@example.co.za] Dell XPS 13!",  # the end of an address's word, not its start
])
def test_words_an_email_address_holds_that_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, names", [
    ("please call me back, ask for Spencer", ["Spencer"]),
    ("asked for Immacolata Marchesi at the desk", ["Immacolata Marchesi"]),
    # Beside a person's first name, a word rare in all seven languages is a person too.
    ("Landerico and Amanda were there", ["Landerico", "Amanda"]),
    ("Erzebet and Brianna both get access", ["Erzebet", "Brianna"]),
])
def test_names_after_ask_for_and_rare_words_joined_to_a_first_name(text, names):
    assert [value for entity, value in _found(text) if entity == "person"] == names


@pytest.mark.parametrize("text", [
    "Support Jython on Windows, Mac, and Unix-like platforms.", "We use Kafka and Ray", "ask for Help",
    "Cohen & Steers Total Return Realty Fund Inc.",  # a firm's name goes on after the pair
])
def test_no_names_joined_where_a_word_is_no_rare_name(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, names", [
    ("thanks so much Evdokim, you were super helpful", ["Evdokim"]),
    ("Thank you very much Marceliana!", ["Marceliana"]),
    # A relative clause goes on about a person.
    ("Forwarding this to Dmytro, who handles refunds for our stores.", ["Dmytro"]),
    ("Meurer, who also started as a student", ["Meurer"]),
    # What people send.
    ("We received a complaint from Seid Globelnik about invoice 2291-B.", ["Seid Globelnik"]),
    # What a colleague will do next.
    ("Per our call, Morgan will send the signed NDA by Friday.", ["Morgan"]),
    ("Maria Lopez will follow up", ["Maria Lopez"]),
])
def test_names_after_thanks_so_much_before_who_after_a_complaint_from_and_before_will_send(text, names):
    assert [value for entity, value in _found(text) if entity == "person"] == names


@pytest.mark.parametrize("text", [
    "I met Microsoft, who", "We sell in Germany, who", "Our Data Team, who", "I got an email from Amazon",
    "Windows Update will send a notice", "Kubernetes will handle restarts",
])
def test_things_before_who_after_from_and_before_will_send_are_no_names(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, name", [
    # The words of the address's name in its order, each word of it in any order, with middle initials and particles.
    ("Alvin K Peoples {AlvinKPeoples@superrito.com} wrote: the build fails", "Alvin K Peoples"),
    ("Account holder: Zachary van den IJssel\nEmail: ZacharyvandenIJssel@armyspy.com", "Zachary van den IJssel"),
    ("keiko soto <keikosotoortega@jourrapide.com> wrote: the build fails", "keiko soto"),
])
def test_a_whole_name_that_an_email_address_spells(text, name):
    assert ("person", name) in _found(text)


@pytest.mark.parametrize("text", [
    'r.himport_set("user:1", "users", ["alice", "alice@example.com", "25"])',  # one lower-case word: a user's
    "xmpps://user:pass@hostname/jid",
])
def test_one_lower_case_word_an_email_address_spells_is_no_name(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, address", [
    ("Invoice recipient: Ruth Montez, 2142 Laukaantie 26 Apt. 190 KOKKOLA CO, VAT ID DE811907980",
     "2142 Laukaantie 26 Apt. 190 KOKKOLA CO"),
    ("Invoice recipient: Anna Lyberth, Unit 2141 Box 9393\nDPO AE 14407, VAT ID DE811907980", "Unit 2141 Box 9393\nDPO AE 14407"),
])
def test_an_address_stops_before_a_tax_id_and_a_name_before_its_comma(text, address):
    found = _found(text)
    assert ("street_address", address) in found
    assert not any(value.endswith(",") for _, value in found)


@pytest.mark.parametrize("text, address", [
    ("The parcel addressed to Jens and 450 Abner Road came back as undeliverable.", "Jens and 450 Abner Road"),
    ("It was delivered to Kauê and Pesolantie 32 yesterday", "Kauê and Pesolantie 32"),
])
def test_addressed_to_and_delivered_to_are_address_cues(text, address):
    assert _found(text) == [("street_address", address)]


@pytest.mark.parametrize("text", ["The fix was shipped to production 2 days ago", "Version 3 was delivered to Customer 12 today"])
def test_shipped_to_and_delivered_to_before_no_address(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("Can you confirm whether Kauzar signed the lease for the flat?", "Kauzar"), ("Hemerka signed for the parcel", "Hemerka"),
])
def test_a_surname_before_what_people_sign(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["Microsoft signed the agreement", "Apple signed a contract"])
def test_firms_that_sign_are_no_names(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("The ticket was closed by Russo without a reply.", "Russo"), ("The ticket was closed by De Luca without a reply.", "De Luca"),
    ("The claim was rejected by Aponte on Monday", "Aponte"), ("I asked Bustos twice and got no answer.", "Bustos"),
    ("Could Musliyevich confirm the delivery window?", "Musliyevich"),  # shaped like a surname
])
def test_names_after_closed_by_and_asked(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", ["The PR was closed by Dependabot", "Opened by Renovatebot yesterday", "I asked Copilot twice"])
def test_bots_and_assistants_after_a_cue_are_no_names(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, address", [
    ("Do you ship to 99487 Cambridge?", "99487 Cambridge"), ("Do you deliver to 41874 MOLANGUL?", "41874 MOLANGUL"),
    ("Do you ship to 33144 Miami, FL?", "33144 Miami, FL"),
])
def test_a_postcode_and_its_town_after_a_cue_of_shipping(text, address):
    assert _found(text) == [("street_address", address)]


@pytest.mark.parametrize("text", ["We ship to 2000 Customers.", "ship to 5000 Users each month."])
def test_counts_after_ship_to_are_no_postcode(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("The technician, Saber Mailly, said the part costs $149.99.", "Saber Mailly"),
    ("The previous tenant, Mimount Bijster, still gets mail here.", "Mimount Bijster"),
    ("My colleague, Dmytro, will help", "Dmytro"),
])
def test_a_name_between_commas_after_a_role(text, name):
    assert ("person", name) in _found(text)


def test_a_firm_between_commas_after_a_role_is_no_name():
    assert _found("The owner, Microsoft Corporation, said so") == []


@pytest.mark.parametrize("text, phone", [
    ("Satsita Umkhayev | 94 51 71 | SatsitaUmkhayev@teleworm.us", "94 51 71"),
    ("Maria Lopez • 12 34 56 • Sales", "12 34 56"),
])
def test_a_short_number_in_its_own_field_of_a_contact_line_is_a_phone(text, phone):
    assert ("phone", phone) in _found(text)


@pytest.mark.parametrize("text", ["| 2024 | 123 456 | total |", "| Release | 1.2.3 | Maria |"])
def test_numbers_in_table_rows_without_a_contact_are_no_phones(text):
    assert not any(entity == "phone" for entity, _ in _found(text))


@pytest.mark.parametrize("text, postcode", [
    ("The zip on file is 07842 but I moved.", "07842"), ("postcode is 10115", "10115"),
])
def test_a_postcode_after_its_label_and_a_few_words(text, postcode):
    assert _found(text) == [("street_address", postcode)]


def test_a_label_of_a_postcode_field_before_no_number():
    assert _found("The zip code field is required and its length is 5") == []


@pytest.mark.parametrize("text, card", [
    ("The card ending in my account is 503830348424, please don't charge it twice.", "503830348424"),
    ("my card 5038 3034 8424", "5038 3034 8424"),
])
def test_a_twelve_digit_maestro_card_a_few_words_after_a_card_cue(text, card):
    assert _found(text) == [("credit_card", card)]


def test_twelve_digits_after_a_card_cue_that_fail_luhn_are_no_card():
    assert not any(entity == "credit_card" for entity, _ in _found("card 5038 3034 8425"))


@pytest.mark.parametrize("text, name", [
    ("You can reach Immacolata Marchesi on 0699 836 79 58 after 5pm.", "Immacolata Marchesi"),
    ("You can reach Frits van den Heuvel on 323-837-5212 after 5pm.", "Frits van den Heuvel"),
])
def test_a_whole_name_after_reach(text, name):
    assert ("person", name) in _found(text)


@pytest.mark.parametrize("text", ["you can reach Google Cloud Support", "reach Azure Support", "to reach Kafka"])
def test_services_after_reach_are_no_names(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [
    ("The Hoshino family booked the cabin for July.", "Hoshino"), ("Is this the Lucchesi residence?", "Lucchesi"),
    ("We had dinner at the Kowalczyks' place.", "Kowalczyks"),
])
def test_a_family_by_its_surname(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text", [
    "the Gemma family of models", "The Apache family of licenses", "the Qwen family", "The Claude family",
    "the users' home directory", "the Windows household",
])
def test_families_of_things_are_no_names(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, names", [
    ("Veitonen and Olson are the two reviewers.", ["Veitonen", "Olson"]),
    ("Lovrić and Fuentes signed the contract.", ["Lovrić", "Fuentes"]),
])
def test_two_surnames_joined_before_what_people_do(text, names):
    assert [value for entity, value in _found(text) if entity == "person"] == names


@pytest.mark.parametrize("text", ["Marks and Spencer are open", "Pydantic and Starlette are fast", "Kafka and Redis are both used"])
def test_firms_and_tools_joined_are_no_surnames(text):
    assert _found(text) == []


@pytest.mark.parametrize("text", ["using Dijkstra's algorithm", "by Bayes's theorem", "probabilities by Benford's law"])
def test_a_scientist_s_possessive_before_a_thing_named_after_them_is_no_name(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, name", [("I need Olsen's number", "Olsen"), ("though Tran's song was", "Tran")])
def test_a_surname_s_possessive_before_what_people_own_is_a_name(text, name):
    assert _found(text) == [("person", name)]


@pytest.mark.parametrize("text, value", [
    ("can you please send a new one to 46833 1700 Buck Drive Apt. 417 Salt Lake City United States? I am in Loulé",
     "46833 1700 Buck Drive Apt. 417 Salt Lake City United States"),
    ("Please update the billing address with 64273 3078 Wetzel Lane Apt. 155 Glen Arbor United States for this card",
     "64273 3078 Wetzel Lane Apt. 155 Glen Arbor United States"),  # "Glen" is an everyday word, but a country follows
])
def test_a_town_and_its_country_after_a_unit_join_the_address(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Ksaver Rolc\n\n7539 Treinta y Tres 2070\n Suite 588\n Valentines\n Uruguay 53039",
     "7539 Treinta y Tres 2070\n Suite 588\n Valentines\n Uruguay 53039"),
    ("2217 Trg revolucije 95\n Suite 385\n Bohinjska Bistrica\n Slovenia 03682",
     "2217 Trg revolucije 95\n Suite 385\n Bohinjska Bistrica\n Slovenia 03682"),
])
def test_a_street_line_of_any_words_over_a_line_with_a_flat_is_an_address(text, value):
    """Words in lower case inside a street's name ("revolucije", "y") do not stop it where a line with
    only a flat or a suite follows, as a postal address is laid out."""
    assert ("street_address", value) in _found(text)


def test_one_everyday_word_before_a_country_is_no_town_of_the_address():
    text = "Ship to 12 Elm Road Apt. 5 Monday Spain trip is off"
    assert [found for found in _found(text) if found[0] == "street_address"] == [("street_address", "12 Elm Road Apt. 5")]


@pytest.mark.parametrize("text, value", [
    ("The Fund office is at 583 Boriñaur enparantza 29\n Apt. 896\n Campos\n Spain 94657",
     "583 Boriñaur enparantza 29\n Apt. 896\n Campos\n Spain 94657"),
    ("Meet me at 323 Árpád fejedelem útja 45.\n Suite 050\n Pomáz\n Hungary", "323 Árpád fejedelem útja 45.\n Suite 050\n Pomáz\n Hungary"),
    ("The office is at ul. Radzymińska 107 Elisha Plains\n Apt. 488\n Warszawa\n Poland 33745",
     "ul. Radzymińska 107 Elisha Plains\n Apt. 488\n Warszawa\n Poland 33745"),
])
def test_two_parts_of_one_address_found_apart_are_joined_over_the_street_words_between(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", [
    "I live at 12 Main Street and my office is at 5 Oak Road",  # the sentence goes on between them
    "I live at 12 Main Street Then 5 Oak Road",  # a common English word
])
def test_two_addresses_with_a_sentence_between_stay_two(text):
    assert _found(text) == [("street_address", "12 Main Street"), ("street_address", "5 Oak Road")]


@pytest.mark.parametrize("text, value", [
    ("What's your name? Keiran White", "Keiran White"),  # "White" is an everyday word
    ("What's your name? Beaufort Laisné", "Beaufort Laisné"),
    ("Will my account stay active? It's under my partner's name Milan Franc S. Košelnik", "Milan Franc S. Košelnik"),
    ("Maybe it's under Novel Ermakov", "Novel Ermakov"),
    ("The name in the account is not correct, please change it to Lara  Fiorentino", "Lara  Fiorentino"),  # two spaces
])
def test_names_answering_a_question_about_them_or_an_account_is_under(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["it's under Settings", "It's under Account Settings > Privacy", "Card Reader  Adobe"])
def test_everyday_words_under_which_something_is_are_no_name(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("Zoolander is a 1989 French action-comedy film directed by Leal Marois and starring Marois", "Leal Marois"),
    ("a film starring Leal Marois", "Leal Marois"),
    ("which was arranged and sung by Bod Szathmáry in 2023", "Bod Szathmáry"),
])
def test_who_made_a_film_or_a_song_is_a_person(text, value):
    assert ("person", value) in _found(text)


def test_a_company_that_directed_something_is_no_person():
    assert _found("It was directed by Netflix") == []


@pytest.mark.parametrize("text", [
    "Morgan Stanley Asia-Pacific Fund Inc. songwriter",
    "Jaypee Infratech Limited is a design agency",
    "Albert is from CannAmerica Brands Corp.",
])
def test_a_company_named_like_a_person_is_no_person(text):
    assert [value for entity, value in _found(text) if entity == "person" and value != "Albert"] == []


@pytest.mark.parametrize("text, value", [
    ("Frits van den Heuvel\nGlen Burnie Bancorp\n79457 Teemeistri 44 Suite 211 Soeküla TA\nMobile: 323-837-5212",
     "Frits van den Heuvel"),  # a particle in the name, and the company under it is no person
    ("Alvin Peoples\nUBS ETF-BL.BAR.T./GBP\n90595 Mjövattnet 77\n Suite 584\n KRAMFORS\n Sweden\nMobile: 0376 9580395",
     "Alvin Peoples"),  # a known first name, and a surname that is an everyday word
])
def test_the_name_heading_a_contact_block(text, value):
    assert [found for found in _found(text) if found[0] == "person"] == [("person", value)]


@pytest.mark.parametrize("text, value", [
    ("9232 Søndre Havnevej 65, Bevtoft", "9232 Søndre Havnevej 65, Bevtoft"),  # the number before the street's words
    ("12407 Martin Linges veg 149, HEIMDAL", "12407 Martin Linges veg 149, HEIMDAL"),  # not the person it is named after
    ("Kase põik 91, Tallinn", "Kase põik 91, Tallinn"),
    ("Brīvības iela 12, Riga", "Brīvības iela 12, Riga"),
    ("Vodičkova třída 3, Praha", "Vodičkova třída 3, Praha"),
    ("Address line 1: Koepoortwal 115\nCity: Doesburg", "Koepoortwal 115"),
])
def test_streets_whose_street_word_follows_the_name_in_lower_case(text, value):
    assert _found(text) == [("street_address", value)]


def test_a_number_after_an_identifier_label_does_not_join_the_street_after_it():
    assert _found("Order 12345 Søndre Havnevej 65, Bevtoft") == [("street_address", "Søndre Havnevej 65, Bevtoft")]


def test_the_ssa_birth_records_add_given_names_that_no_other_list_holds():
    from tuneops.curate.names import SSA_BIRTHS_MIN, ssa_first_names

    recorded = _NameWords.load().recorded_first_names
    assert {"Liviana", "Keiko", "Nahum", "Keiran"} <= recorded
    assert not {"Novel", "Muslim", "Monday", "Maria"} & recorded  # words, and names other lists hold already
    assert SSA_BIRTHS_MIN > 5 and len(ssa_first_names()) > 30_000


@pytest.mark.parametrize("text, value", [
    ("Liviana, can I please speak to your boss?", "Liviana"),  # called before a question
    ("Hilarion said no.", "Hilarion"),  # before what only people do
    ("Keiko: hi\nMark: hello\nAnna: hey", "Keiko"),  # a transcript's speaker
    ("Forwarding this to Liviana, who handles refunds.", "Liviana"),
])
def test_a_recorded_given_name_is_a_name_where_a_person_stands(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", [
    "Starlette is designed to be used as a complete framework",  # a product named like a recorded given name
    "For ASGI applications (FastAPI, Starlette):",
    "Conda installed the package",
])
def test_a_recorded_given_name_alone_in_a_sentence_about_things_stays(text):
    assert [value for entity, value in _found(text) if entity == "person"] == []


@pytest.mark.parametrize("text, value", [
    ("Miroš: What a wife.\nHeather: Remember me, Thomas? When I killed your brother\nBenjamin: You saved my life!", "Heather"),
    ("Meltem: What a wife.\nMichelle: Remember me, Emily? When\nJordan: You saved my life!", "Jordan"),
])
def test_a_speaker_whose_name_is_a_word_among_two_named_speakers(text, value):
    assert ("person", value) in _found(text)


def test_labels_of_notes_are_no_speakers():
    assert _found("Note: fix\nSummary: none\nJordan: ok") == []


@pytest.mark.parametrize("text, value", [
    ("Philipp: What a wife.\nJason: Remember me, Julia? When I killed", "Julia"),  # the name of a language too
    ("Don't go to town, Amber!", "Amber"),  # a word too
    ("Thank you so much, Grace!", "Grace"),
])
def test_a_known_given_name_called_at_the_end_of_a_sentence_to_someone(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["Is it in the UK, Victoria?", "Which is faster, Julia?", "I love it, Paris!"])
def test_a_word_after_a_comma_in_a_sentence_to_no_one_or_a_place_is_no_name_called(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("I'm so jealous! said Pedro to Heather", "Heather"),
    ("I'm so jealous! said Efimiya to Mark", "Mark"),
    ("Follow up with Nono Doi in a couple of months.", "Nono Doi"),
    ("Follow up with Quarto Angelo in a couple of months.", "Quarto Angelo"),
])
def test_whom_something_is_said_to_or_followed_up_with(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["I talked to Microsoft.", "Follow up with Finance next week.", "She said to Paris."])
def test_a_company_a_team_or_a_place_spoken_to_is_no_person(text):
    assert _found(text) == []


def test_an_invisible_character_inside_a_name_is_read_as_a_space():
    text = "I have lost my card. My name is Václav \ufeffHorák."
    assert ("person", "Václav \ufeffHorák") in _found(text)
    masker = PiiMasker(["person"], mode="pseudonym", key=b"k" * 32)
    assert masker.replacement("Václav \ufeffHorák", "person") == masker.replacement("Václav Horák", "person")


@pytest.mark.parametrize("text, value", [
    ("It's under my partner's name Caroline M. Landmark", "Caroline M. Landmark"),  # an everyday word after an initial
    ("Hi Maria  Lopez, thanks", "Maria  Lopez"),  # two spaces
])
def test_a_cued_name_keeps_its_surname(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text, value", [
    ("Please return to 7531 Håndværkervej 70 Apt. 185 København Ø Region Sjælland in case of an issue.",
     "7531 Håndværkervej 70 Apt. 185 København Ø Region Sjælland"),  # a town and region of four words
    ("I'd like to call a taxi to 47595 30 Rue de Libya Suite 019 Cite Erraoudha 61. Please call me",
     "47595 30 Rue de Libya Suite 019 Cite Erraoudha 61"),  # a town's district number where the sentence ends
    ("User: 56946 134 Rue Platon Suite 808 Cite Ennouzha Governorate Siliana",
     "56946 134 Rue Platon Suite 808 Cite Ennouzha Governorate Siliana"),  # where the text ends
])
def test_the_town_after_a_unit_joins_the_address_where_the_sentence_ends(text, value):
    assert ("street_address", value) in _found(text)


def test_a_sentence_going_on_after_a_unit_is_no_town():
    assert _found("Ship to 12 Elm Road Apt. 5 London Can Caoimhe Ishikawa confirm?") == [
        ("street_address", "12 Elm Road Apt. 5"), ("person", "Caoimhe Ishikawa")]


@pytest.mark.parametrize("text, value", [
    ("The form was signed by a Dr Peoples.", "Dr Peoples"),  # a US Census surname that is an everyday word
    ("I am writing to Ms Peoples about the lease.", "Ms Peoples"),
    ("Ask for Mr. West at reception.", "Mr. West"),  # a surname that starts place names too
])
def test_a_surname_after_an_honorific_even_an_everyday_word(text, value):
    assert _found(text) == [("person", value)]


def test_a_short_number_the_caller_id_showed_is_a_phone():
    assert _found("The caller ID showed 73 614 915 but nobody spoke.") == [("phone", "73 614 915")]
    assert _found("The caller ID showed 12 345 678 users") == []  # a count
    assert _found("Ticket ID 12 345 678, please call") == []  # an identifier


@pytest.mark.parametrize("text, value", [
    ("could you please correct it to mr. phillip cole?", "mr. phillip cole"),
    ("the border force have detained tennis player virpi hull over visa disputes.", "virpi hull"),
])
def test_in_lower_case_a_surname_that_is_a_word_too_after_a_first_name(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["maria will call you back", "ask nina today please"])
def test_in_lower_case_the_commonest_words_after_a_first_name_are_no_surname(text):
    assert all(" " not in value for entity, value in _found(text) if entity == "person")


@pytest.mark.parametrize("text, value", [
    ("Please update the billing address with Amber and Mikkelenborgvej 76 for this card.", "Amber and Mikkelenborgvej 76"),
    ("Meet me at Even and Mäe 47", "Even and Mäe 47"),  # a street found only after the corner's first name
    ("Ria Ojima\nFamily practitioner\nLionella and Mellemvej 32", "Lionella and Mellemvej 32"),  # a contact block's line
    ("here they are: 12 Elm Road, and Yousef and R Cachoeira 112", "Yousef and R Cachoeira 112"),
])
def test_a_corner_named_after_a_person_without_an_address_cue(text, value):
    assert ("street_address", value) in _found(text)


def test_two_people_and_a_street_after_a_verb_stay_two_people_and_a_street():
    assert _found("I visited Paris and 10 Downing Street") == [("street_address", "10 Downing Street")]


@pytest.mark.parametrize("text, value", [
    ("Sedat had given Sedat his address: 45808 138 Av Sidi Lakhmi", "45808 138 Av Sidi Lakhmi"),
    ("The bus drops you off at 610 43 Rue Kilani 19.", "610 43 Rue Kilani 19"),
])
def test_a_buildings_number_before_a_street_that_carries_its_own(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Please update the billing address with 5444 Geislagata 36 Suite 499 Hofsós nan for this card",
     "5444 Geislagata 36 Suite 499 Hofsós nan"),
    ("Please return to 61958 Haugesmauet 22\nFarnern, nan 36170 in case of an issue.", "61958 Haugesmauet 22\nFarnern, nan 36170"),
])
def test_a_part_a_table_export_left_empty_after_the_town_is_part_of_the_address(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Please return to 320 St Marys Rd Juliana Ports\n Suite 281\n Winnipeg\n Canada 64478 in case of an issue.",
     "320 St Marys Rd Juliana Ports\n Suite 281\n Winnipeg\n Canada 64478"),
    ("User: ul. Ksiecia Władysława Opolskiego 8 Marco Springs\n Suite 939\n Chorzów\n Poland 86345",
     "ul. Ksiecia Władysława Opolskiego 8 Marco Springs\n Suite 939\n Chorzów\n Poland 86345"),
])
def test_a_second_street_name_a_table_export_wrote_after_the_street_line(text, value):
    assert ("street_address", value) in _found(text)


def test_a_square_named_by_a_word_in_lower_case():
    assert _found("The restaurant is at 16536 Trg revolucije 59") == [("street_address", "16536 Trg revolucije 59")]
    assert _found("Trg is short for trg in 12 languages") == []


@pytest.mark.parametrize("text, values", [
    ("TINC Comm VA is the brainchild of our 3 founders: Gomes, Powers and Waters.", ["Gomes", "Powers", "Waters"]),
    ("The brainchild of our 3 founders: ten Pas, Ruiz and West.", ["ten Pas", "Ruiz", "West"]),  # a particle, a surname that is a word
    ("Our speakers were: Ana Ruiz, Bjelančević & English.", ["Ana Ruiz", "Bjelančević", "English"]),
])
def test_names_listed_after_a_plural_word_for_people(text, values):
    assert [value for entity, value in _found(text) if entity == "person"] == values


@pytest.mark.parametrize("text", ["Our founders: Passion, Integrity and Trust", "Our values: Gomes, Powers and Waters"])
def test_a_list_of_everyday_words_or_after_no_word_for_people_names_no_one(text):
    assert [value for entity, value in _found(text) if entity == "person"] in ([], ["Gomes"])


def test_every_speaker_of_a_script_is_a_person_unless_an_everyday_word():
    text = "Antu: What a wife.\nJasmine: Remember me, Paul?\nJanet: You saved my life!"
    assert [value for _, value in _found(text)] == ["Antu", "Jasmine", "Paul", "Janet"]
    assert _found("Error: disk full\nWarning: Janet is low\nInfo: retry later") == []
    assert _found("Host: Welcome\nGuest: Thanks\nJanet: Hi") == [("person", "Janet")]


@pytest.mark.parametrize("text, value", [
    ("She named him Frits", "Frits"),
    ("Concordio Longo, the Building superintendent, said: \"I'm glad\"", "Concordio Longo"),
    ("In case of my child's account, we need to add Saber A Mailly as guardian", "Saber A Mailly"),
    ("Follow up with Marius Bang in a couple of months.", "Marius Bang"),
])
def test_a_name_given_set_off_before_said_added_in_a_role_or_followed_up_with(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", ["They called them Names", "Acme Corp, the retailer, said profits rose", "Use Windows Server as a user"])
def test_things_named_set_off_or_used_in_a_role_are_no_people(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("He lives on Pinto Parkway.", "Pinto Parkway"),
    ("these early shows on Kurbus Crest Street were important", "Kurbus Crest"),
    ("The store is on Hansen Views near the park", "Hansen Views"),
])
def test_a_street_named_after_a_person_without_a_house_number_where_a_place_is_said(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", ["focus on Windows Server", "We met on Monday Drive", "It runs at Apple Park speed"])
def test_things_named_like_a_street_after_on_or_at_stay(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("address: 97059 ul. Okrąg 47", "97059 ul. Okrąg 47"),  # an abbreviation keeps its full stop
    ("address:\n\n3975 Belgrád rkp. 18.\nCapão Bonito\n, SP\n 83312", "3975 Belgrád rkp. 18.\nCapão Bonito\n, SP\n 83312"),
    ("The office is at 410 Slovenčeva 88, St Catharines, Canada", "410 Slovenčeva 88, St Catharines, Canada"),
    ("User: 52563 Binzmühlestrasse 30 Suite 164, Cite 7 Novembre, Tunisia 10697",
     "52563 Binzmühlestrasse 30 Suite 164, Cite 7 Novembre, Tunisia 10697"),
    ("User: 762 Jižní 80 Apt. 842 Kremže Jihoceský kraj", "762 Jižní 80 Apt. 842 Kremže Jihoceský kraj"),
])
def test_abbreviated_street_words_saints_districts_and_regions_in_an_address(text, value):
    assert ("street_address", value) in _found(text)


def test_a_short_number_a_text_message_did_not_reach_is_a_phone():
    assert _found("I didn't get any message on my registered 68 90 46. Could you") == [("phone", "68 90 46")]
    assert _found("Error message 12 34 56 appeared") == []


@pytest.mark.parametrize("text, value", [
    ("As promised, here's Sietske's address:\n\n322 Sokolská 1978 Suite 510 Lipník u Hrotovic Czech Republic",
     "322 Sokolská 1978 Suite 510 Lipník u Hrotovic Czech Republic"),  # a particle inside the town
    ("Please update the billing address with 9006 1599 Elm Drive Apt. 278 New York NY for this card",
     "9006 1599 Elm Drive Apt. 278 New York NY"),  # a town and its US state
    ("Alena Hájková\n\n96293 Grossmatt 31\n Apt. 276\n Biel/Bienne\n\n Switzerland 09973",
     "96293 Grossmatt 31\n Apt. 276\n Biel/Bienne\n\n Switzerland 09973"),  # a town of two languages
    ("Meet me at 48444 Rue de Genville 364 Apt. 143\nCite Mongi Slim 2\n, 13\n Tunisia 42807",
     "48444 Rue de Genville 364 Apt. 143\nCite Mongi Slim 2\n, 13\n Tunisia 42807"),  # a region's number above the country
])
def test_towns_with_particles_states_two_languages_and_region_numbers_join_the_address(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("could you please correct it to mr. umberto fiorentini?", "mr. umberto fiorentini"),
    ("hello, this is mr. csanád gere. who are you?", "mr. csanád gere"),
])
def test_in_lower_case_any_surname_after_a_title_and_a_first_name(text, value):
    assert ("person", value) in _found(text)


def test_in_lower_case_the_commonest_words_after_a_title_and_a_first_name_are_no_surname():
    assert ("person", "mr. john") in _found("ask mr. john today")


@pytest.mark.parametrize("text, value", [
    ("??? mike engel\n??? sigmaxyz inc.\n??? 94218 101 montreal street\n??? apt. 726\n??? saint clair\n??? new zealand 83592",
     "mike engel"),
    ("maile e. jaimes\n\n73320 fitjabraut 87\n apt. 812\n keflavík\n\n iceland 54184", "maile e. jaimes"),
])
def test_a_name_typed_in_lower_case_heading_a_contact_block(text, value):
    assert ("person", value) in _found(text)


def test_a_lower_case_heading_of_words_is_no_name_and_apt_install_is_code():
    assert _found("order details\nship to 12 main street") == [("street_address", "12 main street")]
    assert _found("sudo apt install foo for maria") == []


@pytest.mark.parametrize("text, value", [
    ("The restaurant is at 23372 Ceibo 9127", "23372 Ceibo 9127"),  # a building's number of five digits first
    ("address: 8224 R Maria L Sales 99", "8224 R Maria L Sales 99"),  # an initial inside the street's name
    ("Pedestrians must enter on Al. Jana Pawła II 128 St. the first", "Al. Jana Pawła II 128 St."),  # a king's numeral
    ("I'd like to call a taxi to 91403 Treinta y Tres 5747\n Suite 053\n Valle Edén\n Uruguay 84898. Please call",
     "91403 Treinta y Tres 5747\n Suite 053\n Valle Edén\n Uruguay 84898"),  # "y" inside the street's name
])
def test_streets_of_numbers_initials_numerals_and_particles(text, value):
    assert ("street_address", value) in _found(text)


def test_a_short_number_and_a_word_between_numbers_is_no_street():
    assert _found("meet at 3 Pixel 7") == []
    assert _found("released in 2024 Edition 3") == []


def test_miss_before_a_surname_is_a_title():
    assert _found("For my take on Miss Ray, see Guilty Pleasures") == [("person", "Miss Ray")]
    assert _found("Miss Universe 2024 was crowned") == []


def test_a_known_surname_alone_before_a_possessive_is_a_person():
    # at an indented line's start, where neither a lower-case word nor a sentence's start comes before it
    assert _found("  Olson's database.") == [("person", "Olson")]
    assert _found("(though Lewis's song was actually about a boat!)") == [("person", "Lewis")]
    assert _found("Young's song and Google's office") == []  # an everyday word, a thing's name
    assert _found("The first digits follow Benford's law") == []  # what a discoverer names


def test_a_street_between_numbers_may_start_the_text():
    assert _found("245 Tranebærstien 201, MOSS") == [("street_address", "245 Tranebærstien 201, MOSS")]


@pytest.mark.parametrize("text, value", [
    ("I'll meet you at the corner of Strada Provinciale 65 22 and Jokihaara Flats after the concert.",
     "the corner of Strada Provinciale 65 22 and Jokihaara Flats"),
    ("Please return to the corner of C/ Pablo Iglesias 93 and Gunnarsdóttir Isle in case of an issue.",
     "the corner of C/ Pablo Iglesias 93 and Gunnarsdóttir Isle"),
    ("I'd like to call a taxi to the corner of Viale Maria Cristina di Savoia 86 and Michael Lane. Please call",
     "the corner of Viale Maria Cristina di Savoia 86 and Michael Lane"),
    ("I'd like to call a taxi to Abraham and 1402 St. John Street. Please call me", "Abraham and 1402 St. John Street"),
])
def test_corners_of_abbreviated_long_and_saints_streets(text, value):
    assert _found(text) == [("street_address", value)]


def test_two_numbers_before_a_street_named_after_a_person():
    assert ("street_address", "911 95 Dora Creek\nEdenvale\n, KN\n 83643") in _found(
        "here they are: 911 95 Dora Creek\nEdenvale\n, KN\n 83643, and more")
    assert _found("Version 2 10 Data Centers, ok") == []


@pytest.mark.parametrize("text, value", [
    ("I moved to 56257 last year", "56257"), ("I'm in 3319 VD", "3319 VD"), ("Is delivery available in 2500-737?", "2500-737"),
    ("I live in the 90210 area", "90210"), ("He lives in 56257 Copenhagen", "56257 Copenhagen"),
    ("Postal area: 41-304", "41-304"), ("My postal code is 2500-737.", "2500-737"),
    # a two-part postcode is taken whole before its town is tested, whatever its shape
    ("She lives in SW1A 1AA London.", "SW1A 1AA London"), ("She moved to 602 00 Brno.", "602 00 Brno"),
    # a large city whose name is also a frequent English word
    ("We moved to M5V 2T6 Toronto last year.", "M5V 2T6 Toronto"), ("She lives in 1010 Vienna.", "1010 Vienna"),
])
def test_a_postcode_alone_where_someone_lives_moves_or_receives(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", ["I moved to 2024 last year", "we moved to 12345 users", "I'm in 5 minutes",
                                  "He lives in 2020 Copenhagen", "the 2020 area", "She lives in SW1A 1AA please",
                                  "We moved to 12345 Central servers.", "He lives in 12345 Bay"])
def test_years_and_counts_where_someone_lives_or_moves_are_no_postcodes(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("The new office is on Vana-Viru 25.", "Vana-Viru 25"), ("Turn right onto Zona Estação 75 and park behind the bakery.", "Zona Estação 75"),
    ("Ship it to Clius 145 6222.", "Clius 145 6222"),  # the street's own number and the building's
    ("Ship it to Suite 712, Vostelčická 812 635.", "Suite 712, Vostelčická 812 635"),  # a unit before the street
])
def test_a_street_and_its_number_where_a_sentence_places_or_ships_something(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", ["The app is on Windows 10.", "It is at Level 3.", "The meeting is at Room 12.", "Ship it to Windows 10 users",
                                  "The fix is on Ubuntu 22.", "Built on Webpack 5.", "Update to Unicode 17.", "from NewsCrawl 2014 and"])
def test_products_levels_and_rooms_where_a_sentence_places_something_are_no_streets(text):
    assert _found(text) == []


def test_people_met_families_named_and_phones_answered():
    assert _found("Meeting with Immacolata Marchesi moved to Thursday.") == [("person", "Immacolata Marchesi")]
    assert _found("The Johnson family booked the cabin.") == [("person", "Johnson")]
    assert _found("The Apple account is overdue, the Google family of products") == []
    assert ("phone", "84 17 85") in _found("The landlord, Mr. Elomo, never answers on 84 17 85.")


def test_a_relative_or_friend_named_after_whose_they_are():
    assert _found("My husband Seid Globelnik will pick up the package.") == [("person", "Seid Globelnik")]
    assert _found("I'm calling on behalf of my mother, Mira Kovač.") == [("person", "Mira Kovač")]
    assert _found("my wife Windows Server") == []


@pytest.mark.parametrize("text, value", [
    ("In 1998 Abbott left the band to pursue a solo career.", "Abbott"),  # after a time opening the sentence
    ("Yesterday Kaczmarek said no", "Kaczmarek"),
    ("My neighbour Milan has a spare key.", "Milan"),  # a given name that names a place too
    ("Police named the victim as Seid Globelnik, 24, of Videm pri Ptuju.", "Seid Globelnik"),
])
def test_names_after_an_opening_time_a_relative_or_whom_police_named(text, value):
    assert ("person", value) in _found(text)


@pytest.mark.parametrize("text", ["In 2020 Python became popular", "Then Windows crashed", "my boss Windows", "her mother Tongue"])
def test_things_after_an_opening_time_or_a_relative_are_no_names(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("The restaurant is at 84134 Jiřího z Poděbrad 1060", "84134 Jiřího z Poděbrad 1060"),  # Czech "z"
    ("The restaurant is at 45780 Rua Professor Luiz Carlos de Lyra Netto 298", "45780 Rua Professor Luiz Carlos de Lyra Netto 298"),
    ("Ana Ruiz\nRUSHYDRO\n554 Rua Vinte e Cinco de Setembro 1257\n Suite 944\n Belém\n Brazil 51390",
     "554 Rua Vinte e Cinco de Setembro 1257\n Suite 944\n Belém\n Brazil 51390"),  # Portuguese "e"
    ("Aron K Munro\nPaychex Inc\n185 Erzsébet krt. 60. Apt. 094 Dág Hungary", "185 Erzsébet krt. 60. Apt. 094 Dág Hungary"),
    ("I'll meet you at the corner of 3212 40th Street and Yefimov Turnpike after the concert.",
     "the corner of 3212 40th Street and Yefimov Turnpike"),
    ("Please return to 1694 Grossmatt 31 Suite 736 Biel/Bienne nan in case of an issue.",
     "1694 Grossmatt 31 Suite 736 Biel/Bienne nan"),
])
def test_long_streets_particles_abbreviations_and_ordinals(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("Please pick me up from Ártún 55.", "Ártún 55"),  # a letter no English word has
    ("We live close to Haugesmauet 22, right next to the park.", "Haugesmauet 22"),  # a street word's ending abroad
])
def test_a_street_spelt_as_streets_abroad_are_after_a_word_of_place(text, value):
    assert _found(text) == [("street_address", value)]


def test_a_street_between_numbers_near_a_place_and_a_building_number_before_the_sentence_goes_on():
    assert _found("The accident happened near 1070 Fuente del Gallo 4.") == [("street_address", "1070 Fuente del Gallo 4")]
    assert ("street_address", "49 Kallirois Avenue 7463") in _found("Is 49 Kallirois Avenue 7463 still your home address?")
    assert ("street_address", "12 Elm St") in _found("12 Elm St 2 blocks away")  # a count
    assert ("street_address", "10 Downing Street") in _found("It is 10 Downing Street 2024 edition")  # a year


@pytest.mark.parametrize("text, value", [
    ("He grew up on 53 McGregor Street in CHISHOLM.", "53 McGregor Street"),  # a name with an inner capital
    ("He grew up on Loftaheden 59 in EKSJÖ.", "Loftaheden 59"),  # where someone grew up
    ("He grew up on Via dalla Staziun 87 in Dozwil.", "Via dalla Staziun 87"),  # Italian "dalla"
])
def test_streets_where_someone_grew_up_with_inner_capitals_and_italian_particles(text, value):
    assert ("street_address", value) in _found(text)


@pytest.mark.parametrize("text, value", [
    ("The book by Nielsen sold a million copies.", "Nielsen"),  # a surname English seldom writes as a word
    ("Koutník (born 1975) is a painter.", "Koutník"),  # before the year of birth
    ("This was confirmed by Korgay on Monday.", "Korgay"),
])
def test_a_surname_alone_by_whom_before_a_birth_or_confirming(text, value):
    assert _found(text) == [("person", value)]


def test_a_town_returned_to_and_a_thing_born_are_no_names():
    assert _found("we returned to Richmond by helicopter.") == []
    assert _found("Python (born 1991) is a language") == []


@pytest.mark.parametrize("text, value", [
    ("Why is Teufik so impulsive?", "Teufik"), ("Lazarka was very jealous of him.", "Lazarka"),
    ("Mehrudin is a very good friend of mine.", "Mehrudin"), ("Amber is a very sympathetic person.", "Amber"),
])
def test_one_name_described_by_a_trait_only_people_have(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", ["Why is Grafana so slow?", "Kubernetes is a very popular tool.", "He is so impulsive.",
                                  "The Team is so friendly", "Python is a good language for a beginner"])
def test_things_described_as_things_are_no_persons(text):
    assert _found(text) == []


@pytest.mark.parametrize("text, value", [
    ("What's your name? Celina IJzermans", "Celina IJzermans"), ("Ruud IJsselmuiden called.", "Ruud IJsselmuiden"),
])
def test_dutch_names_capitalise_the_ij_digraph_whole(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text, value", [
    ("Vittore Fiorentini listed his top 20 songs for us.", "Vittore Fiorentini"),
    ("have you heard Quarto Angelo speak yet?", "Quarto Angelo"), ("Have you seen Hideko Chiba play live?", "Hideko Chiba"),
])
def test_two_names_doing_something_to_what_is_theirs_or_heard_speaking(text, value):
    assert _found(text) == [("person", value)]


@pytest.mark.parametrize("text", ["Google Chrome updated its engine", "Customer Support emailed her the code.",
                                  "Windows Update broke his laptop.", "We saw Visual Studio crash today"])
def test_products_doing_things_are_no_persons(text):
    assert _found(text) == []


def test_an_address_listed_after_an_address_is_read_as_the_first_was():
    text = ("here they are: 4856 2921 rue Parc Suite 994 Sherbrooke QC, and 9685 Kuusiku 17\nSTUGUN\n, nan\n 83898")
    assert _found(text) == [("street_address", "4856 2921 rue Parc Suite 994 Sherbrooke QC"),
                            ("street_address", "9685 Kuusiku 17\nSTUGUN\n, nan\n 83898")]
    assert _found("We ship to 12 Main Street and Room 5 is yours.") == [("street_address", "12 Main Street")]


@pytest.mark.parametrize("text, value", [
    # "return" before "to" is a parcel's, not code's; a country is capitalised with the address
    ("please return to 07245 hersnapvej 75 apt. 044 københavn k denmark in case of an issue.",
     "07245 hersnapvej 75 apt. 044 københavn k denmark"),
])
def test_a_lower_case_address_a_parcel_is_returned_to(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text, value", [
    ("Please update the billing address with 1285 Glynitveien 218 Suite 063 SKI Norway for this card",
     "1285 Glynitveien 218 Suite 063 SKI Norway"),  # a town in capitals before its country
    ("I'd like a taxi to 5245 Csabai kapu 38. Suite 741 Budapest BU. Thanks", "5245 Csabai kapu 38. Suite 741 Budapest BU"),
    ("Ship to Városligeti fasor 12, Budapest", "Városligeti fasor 12, Budapest"),  # Hungarian street words
])
def test_towns_in_capitals_and_hungarian_street_words(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text, value", [
    ("The restaurant is at 0662 José matía 66", "0662 José matía 66"),  # a foreign word in lower case between numbers
    ("The restaurant is at 02651 Tas vezér u. 38.", "02651 Tas vezér u. 38"),
    ("The restaurant is at 4793 Door Van dijckstraat 430", "4793 Door Van dijckstraat 430"),
    ("Ship to 202, boulevard Rania Ghazi Sour El Ghozlane.", "202, boulevard Rania Ghazi Sour El Ghozlane"),  # the text ends it
])
def test_a_street_line_where_a_place_is_and_one_that_ends_the_text(text, value):
    assert _found(text) == [("street_address", value)]


@pytest.mark.parametrize("text", ["meet at 3 Ubuntu servers 22.", "The party is at 8 pm.", "The workshop is at Level 3."])
def test_english_words_between_numbers_and_times_where_a_place_is_are_no_streets(text):
    assert _found(text) == []


def test_lower_case_prose_with_a_bracketed_aside_is_read_but_code_is_not():
    assert _found("peter corbin listed his top 20 songs (what did he put at #1?)") == [("person", "peter corbin")]
    assert _found("call get_user(peter corbin) now") == []
    assert _found("x = foo(bar) for peter corbin") == []


@pytest.mark.parametrize("text, value", [
    ("The name in the account is not correct, please change it to Jildau Bouts", "Jildau Bouts"),
    ("Please update my name to Ana Ruiz.", "Ana Ruiz"),
])
def test_the_name_a_record_should_hold_instead(text, value):
    assert _found(text) == [("person", value)]
    assert _found("Rename the file to Release Notes, the name is wrong") == []


def test_the_one_pass_cue_word_test_agrees_with_testing_each_word():
    """Which detectors are tried is decided by one Aho-Corasick pass; it must pick those a substring test picks."""
    masker = PiiMasker(ALL)
    texts = ["Please ship it to 12 Main Street, my phone is +44 20 7946 0958", "cc Maria Lopez (she/her)",
             "the shipping address: Rua da Paz 3", "nothing here at all", "IBAN DE89 3704 0044 0532 0130 00"]
    for text in texts:
        lowered = text.lower()
        present = {position for _, position in masker._cue_word_finder.iter(lowered)}
        for detector, ids in zip(masker.detectors, masker._cue_word_ids):
            if detector.needs:
                assert ids.isdisjoint(present) == (not any(word in lowered for word in detector.needs)), (text, detector.needs)
