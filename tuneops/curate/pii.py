"""PII detection and masking with checksum-validated patterns.

Detection is pattern based with validators (Luhn for cards, ISO 7064 mod-97
and per-country lengths for IBANs, octet ranges for IPs) so look-alikes such as
order numbers, versions and prices survive; dates, spaced thousands and digits
right after an identifier label ("Order", "lot", "version") are no phone numbers
or IP addresses. Secrets are found by published key prefixes, after cue words
and key names, in connection URIs, PEM blocks and webhook URLs, and as
random-looking tokens (mixed case and digits, high character entropy). Streets
are found by street types in many languages, after an address cue by name words
and a house number, and as any street line before a flat or suite; a street is
masked with the rest of its postal address (house number, unit, city, region,
postcode and country, each ending a line or clause). Person names, with middle
initials and suffixes ("Maciej G. Borkowski", "Philip Shaw MD"), are found after cues ("my name is",
greetings in seven languages, "cc", header and ticket-field labels and roles,
sign-offs, honorifics, after which an everyday-word surname counts too: "Mrs.
White"), where a sentence puts a person ("talked to X", "X said",
"X, Product Manager"), in capitals when both words are known names, and,
without a cue, as two or three capitalised words (or joined by
particles such as "van der") whose first is a known first name or whose second
is a known surname (``names.gazetteer``), or that are both rare words in seven
languages ("Kwame Oyelaran"; ``names.common_words``); "Surname, Firstname" too;
names typed in lower case after chat cues ("ask reuben fenwick"). Without a cue,
a given name that is an everyday word before a colour or an everyday word that is
no surname is a thing ("Jade Green", "Ivy Bridge"), and so is a name before an
eponym noun ("Martin Luther King Day"). A known first name alone counts where chat
puts a person: a speaker's label, a vocative, a possessive, before "said" or after
"ask"; and a known name alone inside a sentence, that is no core English word and
is followed by punctuation or a word people are followed by ("go to town, Kristína!";
not "the Gregorian calendar"), names in lists and names called before a question.
A found name takes in the known names right around it ("Adela Sandra Morales
Contreras"). A name is then masked wherever it occurs in the record, including the
assistant turn, so masking is consistent, and so is each part of it where it
stands alone ("Igor Barros ... starring Barros"). Dates of birth are found after
birth cues in seven languages, and any whole calendar date whose year is one a
person of working age was born in (``DEFAULT_BIRTH_YEARS``; not a timestamp)
counts as one without a cue.

Two modes:

* ``placeholder``: each value becomes ``<EMAIL>``, ``<PERSON>``, ...
* ``pseudonym``: each value becomes ``<PERSON_1a2b3c4d>``, an HMAC-SHA256 of the
  value under a secret key, so the same person maps to the same pseudonym in
  every record and run, and nobody without the key can reverse it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import NamedTuple

from tuneops.curate.names import (
    COLOUR_WORD_NAMES,
    COLOURS,
    GIVEN_NAMES_AMONG_CORE_WORDS,
    LATIN_CAPITALS,
    WORD_NAMES,
    common_words,
    core_english_words,
    census_surnames,
    countries_and_states,
    english_surnames,
    english_words,
    everyday_english_words,
    frequent_english_words,
    gazetteer,
    in_dictionary,
    known_names,
    ssa_first_names,
    time_zone_cities,
)

# USPS street suffixes (Publication 28) that are not also everyday words ("Run", "Point", "Park"
# and "View" are left out), plus British ones ("Close", "Mews"), German and Nordic compounds
# ("Hauptstrasse") and English one-word streets in "-way" ("Kingsway", "Broadway"; not "Gateway", "Railway").
STREET_SUFFIX = (r"(?:Street|Str\.|St\.?|Avenue|Ave\.?|Road|Rd\.?|Drive|Dr\.?|Lane|Ln\.?|Boulevard|Blvd\.?|Way|Court|Ct\.?|Place|Pl\.?|Square|Sq\.?|Terrace|Parkway|Highway|Hwy\.?|Close|Crescent|Row|Loop|Circle|Cir\.?|Trail|Trl\.?|Alley|Grove|Gardens|Mews|Crossing|Cove|Pike|Heights|Ridge|Plaza|Bypass|Expressway|Freeway|Turnpike|Pkwy|Pky|Ter\.?|Terr\.?|Cres\.?|Expy|Fwy|Tpke|Plz|Xing|[A-Z][a-z]+(?:weg|strasse|straße|gasse|platz|laan|straat|gade|vej|gatan|vägen)"
                 r"|(?!(?:Gate|Rail|Sub|Run|Hall|Door|Half|Any|Nor|Mid|Air|Path|Walk|Drive|Motor|Water|Stair|Gang|Fair|Life|Hide|Get)way\b)[A-Z][a-z]+way)")
# Every USPS street suffix (Publication 28, primary names), the everyday words among them too
# ("River", "Wells", "Underpass"): where a town, a ZIP code, a flat or an address cue says an address
# is written, "4262 Dominic River" is a street.
USPS_STREET_SUFFIXES = frozenset((
    "Alley Annex Arcade Avenue Bayou Beach Bend Bluff Bluffs Bottom Boulevard Branch Bridge Brook Brooks Burg Burgs"
    " Bypass Camp Canyon Cape Causeway Center Centers Circle Circles Cliff Cliffs Club Common Commons Corner Corners"
    " Course Court Courts Cove Coves Creek Crescent Crest Crossing Crossroad Crossroads Curve Dale Dam Divide Drive"
    " Drives Estate Estates Expressway Extension Extensions Fall Falls Ferry Field Fields Flat Flats Ford Fords Forest"
    " Forge Forges Fork Forks Fort Freeway Garden Gardens Gateway Glen Glens Green Greens Grove Groves Harbor Harbors"
    " Haven Heights Highway Hill Hills Hollow Inlet Island Islands Isle Junction Junctions Key Keys Knoll Knolls Lake"
    " Lakes Land Landing Lane Light Lights Loaf Lock Locks Lodge Loop Mall Manor Manors Meadow Meadows Mews Mill Mills"
    " Mission Motorway Mount Mountain Mountains Neck Orchard Oval Overpass Park Parks Parkway Parkways Pass Passage"
    " Path Pike Pine Pines Place Plain Plains Plaza Point Points Port Ports Prairie Radial Ramp Ranch Rapid Rapids"
    " Rest Ridge Ridges River Road Roads Route Row Rue Run Shoal Shoals Shore Shores Skyway Spring Springs Spur Spurs"
    " Square Squares Station Stravenue Stream Street Streets Summit Terrace Throughway Trace Track Trafficway Trail"
    " Trailer Tunnel Turnpike Underpass Union Unions Valley Valleys Via Viaduct View Views Village Villages Ville"
    " Vista Walk Walks Wall Way Ways Well Wells").split())

_USPS_STREET_SUFFIX = "|".join(sorted(USPS_STREET_SUFFIXES))  # the same as one regex alternation
# Those of them that name things in a sentence about work as often ("moved to 5 Data Centers", "ship to
# 3 Test Stations"): after a cue alone they are no street.
_USPS_TYPES_NAMING_THINGS = frozenset((
    "Branch Center Centers Club Common Commons Course Curve Divide Extension Extensions Fall Falls Field Fields Flat"
    " Flats Forge Forges Fork Forks Gateway Key Keys Land Light Lights Loaf Lock Locks Mall Oval Pass Path Plain Plains"
    " Point Points Port Ports Radial Ramp Rest Route Run Spring Springs Station Stream Summit Trace Track Union Unions"
    " Walk Walks Wall Well Wells").split())

# Street types that come first, as in "12 Rue de Rivoli" or "Calle Mayor 5".
STREET_PREFIX = r"(?:Rue|Avenue|Av\.|Boulevard|Bd\.|Calle|Avenida|Via|Viale|Piazza|Rua|Praça|Chemin|Allée|Quai|Place|Plaza|Carrer|Strada|Ulica|ul\.|Route|Cours)"
# Those that also come before the house number ("Calle Mayor 5"); English words such as Place are left out.
# Abbreviations: Spanish "C/" (calle), Italian "V.le" (viale), "P.za" (piazza), "C.so" (corso).
_NOT_A_YEAR = r"(?!(?:19|20)\d\d\b)"
STREET_PREFIX_BEFORE_NUMBER = (r"(?:Rue|Calle|C/|Avenida|Av\.|Avda\.|Jalan|Jl\.|Via|Viale|V\.le|Piazza|P\.za|P\.zza|Rua|Rúa|Praça"
                               r"|Travessa|Largo|Chemin|Allée|Quai|Carrer|Passeig|Avinguda|Rambla|Paseo|Strada|Corso|C\.so"
                               r"|Ulica|ul\.|Plac|Aleja|(?-i:Al\.)|Ulitsa|Avenue|Boulevard|Plaza|Ctra\.|Carretera|Camino|Ronda|Travesía|Callejón"
                               r"|Pasaje|Cours|Route|(?-i:R(?=[ \t][A-ZÀ-Þ]))"  # "R São Romão 118": Rua, abbreviated
                               # Slovenian, Croatian, Serbian, Romanian and Polish: "Trg revolucije 96", "Calea Victoriei 12"
                               r"|Trg|Bulevar|Bulevardul|Calea|Aleea|Piața|Rynek"
                               # Czech streets named with a preposition: "U Parku 310", "V Zahradách 505", "Na Příkopě 12"
                               # (not a year: "V Praze 2024")
                               r"|(?-i:(?:U|V|Na|Pod|Nad|Za|Ke|Ve)(?=[ \t][A-ZÀ-ÞČŠŽŘ][a-zà-žěščřžýáíéůú]+(?:[ \t]\w+){0,3}"
                               rf"[ \t]{_NOT_A_YEAR}\d)))")
STREET_PREFIX_BEFORE_NUMBER_FIRST_LETTERS = "ABCJKLNPQRSTUVZabcjklnpqrstuvz"  # of every alternative, for a fast skip
# More street types before the name, each a word that must occur for its detector to run (a fast
# skip for most texts): Romanian, Italian as Faker's it_IT writes them ("Borgo Adelmo, 77"),
# Brazilian Portuguese as its pt_BR does ("Viaduto da Mata, 40"), Mexican Spanish as its es_MX does.
REGIONAL_STREET_PREFIXES = (
    "Intrarea", "Drumul", "Șoseaua", "Soseaua", "Splaiul",
    "Borgo", "Contrada", "Rotonda", "Incrocio", "Stretto", "Vicolo", "Canale", "Piazzale", "Lungomare", "Salita", "Traversa",
    "Alameda", "Chácara", "Colônia", "Condomínio", "Conjunto", "Esplanada", "Estrada", "Favela", "Fazenda", "Jardim", "Ladeira",
    "Loteamento", "Morro", "Núcleo", "Passarela", "Pátio", "Quadra", "Recanto", "Residencial", "Rodovia", "Setor", "Sítio",
    "Trecho", "Trevo", "Vereda", "Viaduto", "Viela", "Vila", "Aeroporto", "Campo", "Distrito",
    # Mexican, as Faker's es_MX writes them ("Cerrada Altamirano 118 Interior 955")
    "Calzada", "Cerrada", "Circuito", "Continuación", "Corredor", "Periférico", "Privada", "Prolongación", "Retorno",
    "Andador",
)
_REGIONAL_STREET_PREFIX = "|".join(REGIONAL_STREET_PREFIXES)
# Where someone lives, which introduces only a place ("Her house on Tala 7342", "lives on Männi 12").
_HOME_CUE = r"house at|house on|apartment at|apartment on|flat at|flat on|live on|lives on|living on|grew up on|grew up at"
_HOME_CUE_NEEDS = tuple(_HOME_CUE.split("|"))
# Words before a postal address, in the seven languages of ``names.COMMON_WORD_LANGUAGES``.
ADDRESS_CUE = (r"address line(?: ?\d)?|address|addr\.?|addressed to|deliver(?:y|ed)? to|ship(?:ping|ped)? to|gets mail at|send (?:it|them|this) to|mail (?:it|them|this) to"
               r"|(?:ship|deliver) (?:it|them|this) to"
               rf"|{_HOME_CUE}|property at"
               r"|send (?:the|a|an|my|our|your)(?: \w+){1,2} to|return(?: label)? (?:to|from)|pick(?:ed)? up (?:from|at)|collect(?:ed)? from"
               r"|moved to|move to|live at|lives at|living at|located at|based at|situated at|resid(?:e|es|ing) at|visit us at"
               r"|office at|(?:office|restaurant|shop|store|caf[ée]|bar|pub|hotel|venue|clinic|studio|gym|salon|bakery|school"
               r"|church|warehouse|showroom|party|wedding|reception|workshop)s? (?:is|are) at"
               r"|(?:we|I) are at|(?:we|I)'m at|stay(?:ing)? at"
               r"|meet (?:me|us|you) at|see you at|pick (?:me|us) up at|drop (?:it|them|me|us) off at"
               r"|left (?:it|them|the (?:package|parcel|box|keys?|delivery)) at"
               r"|adresse|anschrift|wohnhaft in|dirección|direccion|domicilio|indirizzo|endereço|morada|adres")
ADDRESS_CUE_NEEDS = ("addr", *_HOME_CUE_NEEDS, "property at", "gets mail at",
                     "deliver", "ship", "send", "mail", "move", "live", "living", "located", "resid", "visit", "office",
                     "return", "pick", "collect", "based at", "situated", "is at", "are at", "'m at", "stay", "meet", "see you at",
                     "drop", "left",
                     "adresse", "anschrift", "wohnhaft", "direcci", "domicilio", "indirizzo", "endereço", "morada", "adres")
ADDRESS_CUE_FIRST_LETTERS = "abcdefghilmoprsvwABCDEFGHILMOPRSVW"  # of every ADDRESS_CUE alternative
# Those of them that introduce only a place ("moved to", "return to" may introduce a version or a step).
STRONG_ADDRESS_CUE = (r"address line(?: ?\d)?|address|addr\.?|addressed to|deliver(?:y|ed)? to|ship(?:ping|ped)? to|gets mail at|live at|lives at|living at|located at|based at"
                      rf"|{_HOME_CUE}"
                      r"|situated at|resid(?:e|es|ing) at|adresse|anschrift|dirección|direccion|domicilio|indirizzo|endereço"
                      r"|morada|adres|meet (?:me|us|you) at|see you at|(?:ship|deliver|mail) (?:it|them|this) to"
                      r"|pick-?up point|drop-?off point|collection point")
STRONG_ADDRESS_CUE_NEEDS = ("addr", *_HOME_CUE_NEEDS, "gets mail at", "deliver", "ship", "live", "living", "located", "based at", "situated", "resid", "adresse",
                            "anschrift", "direcci", "domicilio", "indirizzo", "endereço", "morada", "adres", "meet", "see you at",
                            "mail", "pick-up point", "pickup point", "drop-off point", "dropoff point", "collection point")
STRONG_ADDRESS_CUE_FIRST_LETTERS = "abcdefghilmprsABCDEFGHILMPRS"  # of every STRONG_ADDRESS_CUE alternative
# "No. 5", "nº 274", "Nr. 3" before a house number.
HOUSE_NUMBER_WORD = r"(?:(?:No|Nr|N|n)[º°o]?\.?\s?)?"
# Words for "street" written in lower case, in a street name and before it ("Lipahova ulica", "rua da Paz").
# (Quebec writes its own after the house number: "660 rang Allard", "3702 montée Jonathan".)
_STREET_WORDS_IN_LOWER_CASE = "ulica|utca|ulice|cesta|sokak|calle|rue|rua|strada|chemin|montée|rang|allé|allée|impasse"
# ... and those that follow the name only, in Estonian, Latvian, Lithuanian, Czech, Slovak, Hungarian and
# the Nordic languages ("Kase põik 91", "Brīvības iela 12", "Vodičkova třída 3", "Kossuth tér 4").
_STREET_WORDS_AFTER_NAME = ("tänav|tee|põik|maantee|puiestee|väljak|iela|gatvė|náměstí|třída|nábřeží|námestie|tér|körút"
                            "|sor|fasor|köz|sétány|kapu|dűlő|rakpart|gränd|torg|plads|plass|stræde|vegur|stræti")
# Every street word written in lower case in or after a street's name ("92 Vasileos Pavlou str").
_LOWER_CASE_STREET_WORDS = (rf"{_STREET_WORDS_IN_LOWER_CASE}|{_STREET_WORDS_AFTER_NAME}|útja|út|gasse|gatan|vej|veg|vei|gate|gata"
                            r"|str")
# Capitalised, with a lower-case letter ("Écoles", not "IBAN"), or a particle; whole words: "des", not "de"+"s".
# Street words written in lower case count too ("Lipahova ulica 8c", "Hegedűs Gyula utca 76", "Olaf
# Aakranns veg 112", "Király u. 15", "92 Vasileos Pavlou str"), and more particles ("Rua das Imbuias"). "Flat"
# before a number is a unit, otherwise a street type ("94866 Abigail Flat"). Greek script counts
# too ("Ηλίου 64"), and a word may be abbreviated ("Αγ. Ανδρέα 130").
STREET_NAME_WORD = (rf"(?:(?:(?!(?:Apt|Apartment|Suite|Ste|Unit)\b|Flat\.?[ \t]*#?\d)(?:[dl]['’])?[{LATIN_CAPITALS}Α-ΩΆ-Ώ][\w'’-]*[a-zß-ÿά-ώ][\w'’-]*|de|du|des|la|le|les|del|della|di|da|do|dos|van|von|der|den|dem|zum|zur|het|ten|ter"
                    r"|das|degli|delle|dello|dei|dalla|dal|alla|los|las|el|y|e|z"  # "Rua Vinte e Cinco de Setembro", "Jiřího z Poděbrad"
                    rf"|{_LOWER_CASE_STREET_WORDS}|straße|strasse)\b"
                    rf"|(?:u|krt|rkp|ul|al|pl|str|(?!(?:Apt|Ste|Fl|Rm|No|Nr)\.)[{LATIN_CAPITALS}Α-ΩΆ-Ώ][a-zß-ÿά-ώ]{{1,2}})\.)")
# After a street type that comes first: one to four name words and the house number, or "S/N", no
# number (Portugal, Spain, Latin America): "Calle Mayor 5", "Via Roma, 12", "Travessa de Vaz, S/N".
# (an initial or a king's numeral among the words: "Avenida Júlio S Dias 106", "Al. Jana Pawła II 128")
_NAME_AND_HOUSE_NUMBER_AFTER_TYPE = (rf"(?:[ \t](?:{STREET_NAME_WORD}|[A-Z]\.?(?=[ \t][{LATIN_CAPITALS}])|[IVX]{{1,4}}(?=[ \t]\d))){{1,6}},?[ \t]"
                                     rf"(?:{HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?\b|S/N\b)")
CAPITAL = LATIN_CAPITALS  # Latin capitals a name may start with
# A word of a street line before a flat or suite: capitalised, in Latin or Greek script, a particle or a
# street word written in lower case ("Lipahova ulica 8", "Vasileos Pavlou str").
_UNIT_ANCHOR_WORD = (rf"(?:[{LATIN_CAPITALS}Α-ΩΆ-Ώ][\w'’.-]*|de|du|des|la|le|del|di|da|do|dos|van|von|der|den|am|an|im|sur|z|e|y"
                     r"|(?:u|krt|rkp|ul|str)\."
                     rf"|(?:{_LOWER_CASE_STREET_WORDS})\b)")
_UNIT_ANCHOR_WORD_RE = re.compile(_UNIT_ANCHOR_WORD)
# Words for "street" that are written in lower case before its name ("ulica Nałkowskiej", "rua da Paz").
_STREET_WORD_IN_LOWER_CASE = rf"(?:{_STREET_WORDS_IN_LOWER_CASE}|ul\.|via|viale|avenida)"
# A possessive "'s" is no part of the name ("Dagmara's laptop"), but "D'Souza" and "O'Neil" are; Dutch
# capitalises the digraph IJ whole ("IJzermans").
NAME_WORD = (rf"(?:IJ[a-z\u00DF-\u024F]+|[{CAPITAL}](?:[a-z\u00DF-\u024F]+|['’][A-Z][a-z\u00DF-\u024F]+))"
             r"(?:[A-Z][a-z\u00DF-\u024F]+|['’](?![sS]\b)[A-Za-z\u00DF-\u024F]+|-[A-Za-z\u00DF-\u024F]+)*")
# One or two name words and "and" between an address cue and a street: a corner whose first street is
# named after a person ("meet me at Even and Mäe 47"); ``_corners_named_after_people`` joins them.
_CORNER_NAME_AND = rf"(?:{NAME_WORD}(?:[ \t]{NAME_WORD})?[ \t]+and[ \t]+)"
NAME_END = r"(?![\w-]|['’](?![sS]\b))"  # where a name ends: not inside a word, but before a possessive "'s"
# A third word before a Roman numeral starts a model name ("Ada Ebert Mark II"), but "Jo Ruiz III" is a name.
NOT_BEFORE_NUMERAL = r"(?!\s[IVX]{2,4}\b)"
# Birth cues in the seven languages of ``names.COMMON_WORD_LANGUAGES``.
# Separators may be spaces, "_" or "-", or none ("date_of_birth", "dateOfBirth", "birth-date").
BIRTH_CUE = (r"born on|born in|born|date[ _-]?of[ _-]?birth|birth[ _-]?date|birth[ _-]?dt|birth[ _-]?day|d\.?o\.?b\.?"
             r"|geb\.?[ -]?datum|geb\.|geboren(?: am| op)?|geburtsdatum"
             r"|n[ée]e? le|date de naissance|fecha de nacimiento|nacid[oa] el|data di nascita|nat[oa] il"
             r"|data de nascimento|geboortedatum")
DAY = r"\d{1,2}(?:st|nd|rd|th|\.)?"
# Eight digits without separators ("19831124", "24111983", "11241983"): a plausible year, month and day in some order.
_MM, _DD, _YYYY = r"(?:0[1-9]|1[0-2])", r"(?:0[1-9]|[12]\d|3[01])", r"(?:19|20)\d{2}"
COMPACT_DATE = rf"(?:{_YYYY}{_MM}{_DD}|{_DD}{_MM}{_YYYY}|{_MM}{_DD}{_YYYY})(?!\d)"
# "07MAR1996", "7Mar96": day, English month abbreviation and year run together (forms, mainframe exports).
COMPACT_MONTH_DATE = r"\d{1,2}(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)(?:\d{4}|\d{2})(?!\d)"
# Month names and abbreviations in the seven languages, any case ("March", "Mar.", "MAR", "mai", "décembre").
MONTH = (r"(?i:(?:jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar|rero|braio)?|f[ée]v(?:rier|ereiro)?|m[aä]r(?:ch|z|s|zo|ço)?"
         r"|apr(?:il|ile)?|avr(?:il)?|abr(?:il)?|ma[iy]o?|mei|jun[ei]?|juin|giugno|jul[iy]?|juillet|luglio|aug(?:ust|ustus)?"
         r"|ao[uû]t|ago(?:sto)?|sep(?:t(?:ember|embre|iembre)?)?|set(?:embro|tembre)?|o[ck]t(?:ober|obre|ubre|ubro)?|ott(?:obre)?"
         r"|nov(?:ember|embre|iembre|embro)?|de[cz](?:ember|embre|embro)?|d[ée]c(?:embre)?|dic(?:iembre|embre)?"
         r"|enero|gen(?:naio)?|janeiro|januari|februari|maart|marzo|junio|junho|julio|julho|mayo|maggio|maio|juni|juli"
         r"|outubro|oktober|okt)\b\.?)")
PHONE_CUE = (r"phone|telephone|tel|mob|mobile|cell|cellphone|call|ring|whatsapp"
             r"|fax|ph|handy|portable|móvil|celular|telefono|telefone|telefoon|desk|direct line|direct|landline"
             r"|(?:reach|contact) (?:me|us|him|her|them|you) (?:at|on)|reachable at|reachable on|answering at|answering on|number is"
             r"|(?:my|your|his|her|our|their|new|contact|mobile|home|work|cell) number|messages? to|sms|texts to")
# Words that make a short spaced number in their sentence a phone ("Is 85 99 60 your number?", "I can
# be reached at 72 231 101 after six", "85 99 60 - mobile").
PHONE_SENTENCE_WORD = (r"phone|telephone|tel|mobile|mob|cell|cellphone|call|called|calling|ring|reach|reached|reachable"
                       r"|contact|text|texted|dial|dialed|dialled|fax|whatsapp|sms|landline|number(?!\s+of\b)|callback"
                       r"|voicemail|switchboard|hotline|helpline|caller[ -]?id"
                       # where a text message arrives: "no message on my registered 68 90 46"
                       r"|(?<!rror )messages?|registered|answers? on|answered on|picks? up on")
# Six to nine digits in two- and three-digit groups: local numbers of small countries (Greenland
# "85 99 60", Tunisia "72 231 101"), but also amounts and counts ("12 345 678"), so only in a sentence
# with a PHONE_SENTENCE_WORD, with no currency or unit after it and no identifier or amount named
# before it in its sentence (SHORT_PHONE_NOT_AFTER).
_SHORT_SPACED_PHONE = (
    r"(?<![\w.,/+$€£-])(\d{2,3}(?:[ \t]\d{2,3}){2,3})(?![\w-]|[.,]\d|[ \t]*(?:%|€|\$|£|(?i:eur|usd|gbp|chf|kr|dollars?"
    r"|euros?|pounds?|users|people|customers|rows|records|items|units|downloads|views|visitors|times|bytes|[kmg]?b|km|kg|m)\b))")
PHONE_SENTENCE_REACH = 50  # characters, within a sentence, between the word and the number
SHORT_PHONE_NOT_AFTER = re.compile(
    r"(?i:\b(?:order|invoice|ticket|case|ref|reference|serial|tracking|sku|part|model|batch|lot|version|build|po"
    r"|(?<!caller )(?<!caller-)id|confirmation|booking|transaction|receipt|policy|claim|account|amount|total|price|balance|cost|paid|pay|sum"
    r"|population|count|size|weight)\b)[^.!?\n]*$")
# Labels of a contact card's lines that are phones when a colon and a number follow ("Home: 96 63 21").
PHONE_LABEL = (r"home|work|office|main|emergency|hotline|helpline|customer care|customer service|support line|pager"
               r"|contact|contact phone|switchboard|reception|caller id|caller-id")
# Words after a number that name it a phone: "(mobile)", "is my cell".
_PHONE_KIND = r"mobile|cell|cellphone|phone|telephone|tel|landline|fax|number|home|work|office|home phone|work phone|whatsapp"
# Verbs of phoning, followed by a space, not a label's colon ("text=2310144" is a size in bytes).
PHONE_VERB = r"called|calling|text|texted|texting|dial|dialed|dialled|dialing|dialling"
# Words between a phone cue and the number: "phone is", "call me at", "text us on", "ring him on".
_AFTER_PHONE_CUE = r"(?:\s+(?:is|was|me|us|him|her|them))?"
PHONE_CUE_FIRST_LETTERS = "acdfhlmnoprstwyACDFHLMNOPRSTWY"  # of every PHONE_CUE alternative
# Words before a password, in the seven languages of ``names.COMMON_WORD_LANGUAGES``.
PASSWORD_CUE = (r"password|passwd|pwd|passphrase|passcode|passwort|kennwort|mot de passe|contraseña|contrasena"
                r"|senha|wachtwoord|parola d'ordine")
# Surname particles: "Pieter van der Merwe", "Maria de la Cruz", "Omar bin Said", and the Irish
# "Ó", "Ní", "Mac", "Nic" and the Māori "Te" written apart ("Siobhán Ní Bhriain", "Aroha Te Whiu").
PARTICLE = (r"(?:van der|van den|van de|von der|de la|de los|de las|van|von|de|del|della|di|da|das|dos|du|le|ter|ten"
            r"|bin|ibn|Ó|Ní|Uí|Mac|Nic|Te)")
# A middle initial between given name and surname, with or without a full stop ("Maciej G. Borkowski",
# "Pauline K Nielsen"; common in US forms and signatures).
MIDDLE_INITIAL = rf"(?:\s[{CAPITAL}]\.?)?"
# Initials may come first ("T. Wiśniewski", "J. R. Okafor").
NAME = (rf"(?:[{CAPITAL}]\.\s?){{0,2}}{NAME_WORD}(?:{MIDDLE_INITIAL}\s[ \t]?(?:{PARTICLE}\s)?{NAME_WORD}"
        rf"(?:\s[ \t]?(?:{PARTICLE}\s)?{NAME_WORD}{NOT_BEFORE_NUMERAL})?)?")  # a second space slips in: "Lara  Fiorentino"
# Words that announce a person: greetings, "cc", "Attn", header and ticket-field labels ("From:",
# "Assignee:"), "reported by", honorifics. What follows is a name unless it is made of everyday
# English words ("Hi All", "cc Legal") or of words that never start a name ("From Monday").
PERSON_CUE = (
    r"(?:[Dd]ear|[Hh]i|[Hh]ello|[Hh]ey|[Cc][Cc]:?|[Bb]cc:?|[Aa]ttn\.?:?|[Ff]rom:|[Tt]o:"
    r"|(?:[Rr]eported|[Rr]equested|[Ss]ubmitted|[Aa]pproved|[Cc]reated|[Rr]aised|[Oo]pened|[Ee]scalated|[Rr]eviewed"
    r"|[Ss]igned|[Ss]ent|[Ww]ritten|[Hh]andled|[Aa]ssigned"
    # who met a customer in person: "I was greeted by Khazani", "signed for by Botolen"
    r"|[Gg]reeted|[Ww]elcomed|[Tt]reated|[Ee]xamined|[Ii]nterviewed|[Ss]igned for"
    # who settled a ticket or a claim: "The ticket was closed by Russo", "authorised by Pinto"
    r"|[Cc]losed|[Rr]esolved|[Rr]ejected|[Dd]eclined|[Aa]uthori[sz]ed|[Pp]repared"
    # who vouched for or rendered something: "confirmed by Korgay", "translated by Ana Ruiz"
    r"|[Cc]onfirmed|[Vv]erified|[Tt]ranslated|[Ee]dited|[Pp]hotographed"
    # who made a film, a song or a picture: "directed by Leal Marois", "arranged and sung by ..."
    r"|[Dd]irected|[Nn]arrated|[Ii]llustrated|[Cc]horeographed|[Ss]ung|[Aa]rranged|[Cc]omposed|[Pp]ainted)\s+by"
    r"|[Ss]tarring"
    r"|(?:[Aa]ssigned|[Ee]scalated|[Ff]orwarded|[Rr]eassigned)\s+to:?"
    r"|(?:Mr|Mrs|Ms|Mx|Dr|Prof|Herr|Frau|Mme|Sr|Sra)\.?|Miss)"
)
# Roles people hold in contracts, claims, bookings and tickets: a label with a colon ("Guarantor:
# X") or a word before the name ("account owner X").
PERSON_ROLE = (r"[Gg]uarantor|[Gg]uardian|[Ww]itness|[Tt]enant|[Ll]andlord|[Bb]orrower|[Ll]ender|[Ii]nsured|[Pp]olicy ?holder"
               r"|[Pp]ayee|[Pp]ayer|[Dd]river|[Ss]tudent|[Pp]arent|[Ss]pouse|[Nn]ext of kin|[Ee]mergency contact|[Rr]epresentative"
               r"|[Ss]ignatory|[Cc]laimant|[Dd]ebtor|[Cc]reditor|[Mm]ember|[Hh]older|[Ss]ubscriber|[Cc]aller|[Vv]isitor"
               r"|[Tt]ravell?er|[Cc]onsignee|[Tt]echnician|[Ee]ngineer|[Dd]octor|[Pp]hysician|[Nn]urse|[Aa]ttendee|[Pp]articipant"
               r"|[Cc]andidate|[Ss]upervisor|[Cc]oordinator|[Aa]ccount owner|[Bb]uyer|[Ss]eller|[Rr]equestor|[Ss]ubmitter"
               r"|[Cc]o-?signer|[Dd]ependent|[Cc]ontact person|[Ii]nterviewer|[Ii]nstructor|[Tt]eacher|[Cc]ourier|[Uu]ser")
# The roles, written with a capital ("Customer", "Tenant"): before a name they are no given name of it.
_CAPITALISED_ROLES = "|".join(re.sub(r"^\[([A-Z])[a-z]\]", r"\1", role) for role in (
    "[Cc]olleague|[Cc]ustomer|[Cc]lient|[Aa]gent|[Oo]wner|[Mm]anager|" + PERSON_ROLE).split("|"))
_CAPITALISED_ROLES_FIRST_LETTERS = "".join(sorted({role[0] for role in _CAPITALISED_ROLES.split("|")}))
# Labels of a field that holds a person ("Owner: X", "Owner - X"), where "Surname, Firstname" is
# common (directory exports).
PERSON_LABEL = (r"(?:[Nn]ame|[Ss]urname|[Nn]achname|[Vv]orname|[Pp]rénom|[Aa]pellidos?|[Cc]ognome|[Ss]obrenome|[Aa]chternaam"
                r"|[Vv]oornaam|[Cc]ontact|[Cc]ustomer name|[Ff]ull name|[Rr]equester|[Rr]eporter|[Aa]ssignee|[Aa]pprover"
                r"|[Oo]wner|[Aa]gent|[Ee]mployee|[Pp]atient|[Aa]ccount holder|[Cc]ardholder|[Ss]igned|[Rr]eviewer"
                r"|[Aa]uthor|[Ss]ender|[Rr]ecipient|[Mm]anager|[Pp]assenger|[Gg]uest|[Aa]pplicant|[Bb]eneficiary|"
                + PERSON_ROLE + ")")
# Labels of identifiers, versions and product codes: digits right after one are that identifier,
# not a phone number or an IP address ("Order 1234-5678-9012", "lot 2024-117-0042", "version 1.2.3.4").
ID_LABEL = re.compile(
    r"(?i:(?<![A-Za-z0-9])(?:order|invoice|ticket|case|ref|reference|part|sku|serial|model|po|tracking|batch|lot|build"
    r"|version|ver|release|firmware|fw|incident|confirmation|booking|reservation|transaction|txn|receipt|policy"
    r"|claim|contract|shipment|item|product|article|document|ean|gtin|isbn|upc|asin|imei|iccid|rma|job|pr|issue|bug"
    r"|(?<!caller )(?<!caller-)id|identifier|account|acct|customer|member|employee|student|asset|device|room|flight|seat|page"
    r"|step|section"
    r"|chapter|bestellung|rechnung|commande|facture|pedido|factura|ordine|fattura|bestelling|factuur)"
    r"(?:\s*(?:no\.?|nr\.?|number|#|id|code|ref))?[\s:#=.'\"-]{0,4})$"  # also quoted: workspace_id='2345678901'
)
ID_LABEL_REACH = 40  # characters before a value searched for an ID_LABEL
PERSON_CUE_FIRST_LETTERS = "ABCDEFGHILMNOPRSTUVWabcdefghilmnoprstuvw"  # of every PERSON_CUE and PERSON_LABEL alternative
# Closings above a signature, in the seven languages of ``names.COMMON_WORD_LANGUAGES``.
CLOSING = (r"[Tt]hanks|[Tt]hank you|[Rr]egards|[Cc]heers|[Bb]est|[Ss]incerely|[Tt]a|[Gg]rüße|[Gg]rüßen|[Gg]rüsse|[Dd]anke"
           r"|[Cc]ordialement|[Mm]erci|[Ss]aludos|[Gg]racias|[Ss]aluti|[Gg]razie|[Cc]umprimentos|[Oo]brigad[oa]|[Gg]roet(?:en)?"
           r"|[Bb]edankt|[Ss]igned|[Yy]ours|[Ww]armly")
CLOSING_NEEDS = ("thank", "regards", "cheers", "best", "sincerely", "ta", "grüße", "grüßen", "grüsse", "danke", "cordialement",
                 "merci", "saludos", "gracias", "saluti", "grazie", "cumprimentos", "obrigad", "groet", "bedankt", "signed",
                 "yours", "warmly")
# Greetings and salutations in the other six languages of ``names.COMMON_WORD_LANGUAGES``.
GREETING = (r"(?:[Bb]onjour|[Bb]onsoir|[Ss]alut|[Cc]h[èe]re?|[Hh]allo|[Hh]oi|[Mm]oin|[Ss]ervus|[Gg]uten [Tt]ag|[Ll]iebe[rs]?"
            r"|[Ss]ehr geehrte[rs]?|[Hh]ola|[Bb]uen[oa]s (?:d[ií]as|tardes|noches)|[Ee]stimad[oa]|[Qq]uerid[oa]|[Cc]iao"
            r"|[Bb]uongiorno|[Bb]uonasera|[Ss]alve|[Gg]entile|[Cc]ar[oa]|[Oo]l[áa]|[Oo]i|[Bb]om dia|[Bb]oa (?:tarde|noite)"
            r"|[Pp]rezad[oa]|[Gg]oedemorgen|[Gg]oedemiddag|[Gg]oedenavond|[Bb]este|[Gg]eachte|[Gg]ood (?:morning|afternoon|evening))")
GREETING_FIRST_LETTERS = "BCEGHLMOPQSbceghlmopqs"  # of every GREETING alternative
# Two or three words of a name ("Xanthe Zapatero", "Maria de la Cruz").
NAME_PAIR = (rf"{NAME_WORD}{MIDDLE_INITIAL}\s(?:{PARTICLE}\s)?{NAME_WORD}"
             rf"(?:\s(?:{PARTICLE}\s)?{NAME_WORD}{NOT_BEFORE_NUMERAL})?")
# Words before a person in a sentence: a conversation, or a role without a colon ("Agent X").
_RELATIVE = (r"(?:[Mm]y|[Oo]ur|[Hh]is|[Hh]er|[Tt]heir)\s+(?:husband|wife|partner|son|daughter|mother|father|mom|mum|dad"
             r"|brother|sister|friend|colleague|boss|manager|neighbou?r|cousin|uncle|aunt|grandmother|grandfather"
             r"|fianc[ée]e?|girlfriend|boyfriend)")
PERSON_CONTEXT_BEFORE = (r"(?:[Tt]alked|[Ss]poke|[Ss]poken|[Ss]peaking|[Cc]hatted|[Mm]et|[Cc]heck(?:ed|ing)?|[Ww]orked)\s+(?:to|with)"
                         # a meeting people have ("Meeting with Immacolata Marchesi moved", "lunch with Ana Ruiz")
                         r"|(?:[Mm]eeting|[Ll]unch|[Dd]inner|[Cc]offee|[Ii]nterview|[Aa]ppointment|[Oo]ne-on-one)\s+with"
                         # whose relative or friend ("My husband Toby West will pick up", "her colleague Ana Ruiz")
                         rf"|{_RELATIVE},?"
                         # whom the police or a report named ("Police named the victim as Seid Globelnik, 24")
                         r"|(?:[Nn]amed|[Ii]dentified)(?:\s+(?:him|her|them|the\s+[a-z]+))?\s+as"
                         r"|[Aa]ccording to|[Oo]n behalf of|[Tt]hanks to|[Cc]olleague|[Cc]ustomer|[Cc]lient|[Aa]gent|[Oo]wner|"
                         + PERSON_ROLE +
                         r"|[Mm]anager|[Aa]sk|[Aa]sked|[Aa]sk(?:ed|ing)? for|[Rr]each|[Pp]er|[Ff]orward(?:ing|ed)?(?: (?:this|it))? to"
                         r"|[Aa]ssign(?:ing|ed)?(?: (?:this|it))?(?: one)? to|[Hh]and(?:ing|ed)?(?: (?:this|it))?(?: over)? to"
                         r"|[Ee]scalat(?:e|ing|ed)(?: (?:this|it))? to|[Cc]an|[Cc]ould|"
                         # what people send ("a complaint from Seid Globelnik", "a voicemail from Toby")
                         r"(?:[Cc]omplaints?|[Mm]essages?|[Vv]oicemails?|[Cc]alls?|[Ll]etters?|[Nn]otes?|[Rr]epl(?:y|ies)) from|[Ii]nvit(?:e|ing|ed)|[Nn]otif(?:y|ied)"
                         r"|[Cc]all(?:ed)?|[Ee]mail(?:ed)?|[Rr]emind(?:ed)?|[Pp]ing(?:ed)?"
                         # served by a person or by software ("helped by Frank", "served by Gunicorn")
                         r"|(?:[Hh]elped|[Ss]erved|[Aa]ssisted)\s+by"
                         # who someone is to a person ("the assistant to Pista Gyôry", "the daughter of Ana Ruiz")
                         r"|(?:[Aa]ssistant|[Ss]ecretary|[Dd]eputy|[Ss]uccessor|[Pp]redecessor|[Ss]on|[Dd]aughter|[Ww]ife"
                         r"|[Hh]usband|[Ww]idow|[Ww]idower|[Cc]hild|[Gg]randson|[Gg]randdaughter) (?:to|of)")
PERSON_CONTEXT_BEFORE_FIRST_LETTERS = "abcdefghilmnoprstuvwABCDEFGHILMNOPRSTUVW"  # of every PERSON_CONTEXT_BEFORE alternative
# What people do, right after their name ("X said", "X approved the refund").
PERSON_CONTEXT_AFTER = (r"said|says|asked|asks|wrote|writes|replied|replies|approved|approves|confirmed|confirms|mentioned"
                        r"|called|emailed|phoned|closed|reopened|agreed|noted|explained|requested|suggested|complained"
                        r"|commented|promised|signed|told|will call|has left"
                        # what a colleague will do next ("Per our call, Morgan will send the NDA")
                        r"|will (?:send|follow up|get back to|reach out|be in touch|contact|handle|look into|take over)|is out|is on leave|left a|rang|visited|joined"
                        r"|wants|needs|reported|is waiting|confirm|is on|is our|is away|is my|is your|is the new"
                        r"|pointed out|points out|flagged|noticed|spotted|recommended|forwarded|shared|raised"
                        r"|cannot|can't|can not|could not|couldn't|is unable|was unable|has been|is trying|tried|is locked"
                        # in brackets: "X (cc)", "X (she/her)"
                        r"|\((?:cc|cc'd|in cc|she/her|he/him|they/them|she/they|he/they)\)")
# More of what people do, and words that name them, for one known first name alone ("Maria lives in
# Leeds", "everyone calls me Djevad", '"Fine," said Maria'); after a capitalised word these would
# be too loose ("Windows Server lives on").
SINGLE_NAME_CONTEXT_AFTER = (r"lives|lived|is from|was from|was born|had given|has given|spent|is a very|is so"
                             # how an agent treated a customer ("Lily was super helpful"; "Copilot was helpful" stays)
                             r"|(?:is|was|has been) (?:(?:so|super|very|really|extremely|incredibly) )?"
                             r"(?:helpful|rude|polite|friendly|kind|patient|lovely|amazing|great|unhelpful|dismissive)")
SINGLE_NAME_CONTEXT_AFTER_NEEDS = ("lives", "lived", "is from", "was from", "was born", "given", "spent", "is a very", "is so",
                                   "helpful", "rude", "polite", "friendly", "kind", "patient", "lovely", "amazing", "great",
                                   "dismissive")
SINGLE_NAME_CONTEXT_BEFORE = (r"[Nn]amed (?:him|her|them)|[Cc]alls? me|[Cc]alled me|[Kk]nown as|[Ss]aid|[Mm]arried|[Ff]riend"
                              # told or reached ("tell Marta thanks", "reach Petra at 555-0100"; "tell Grafana to
                              # reload" stays: a known first name only)
                              r"|[Tt]ell|[Tt]old|[Ii]nform(?:ed)?|[Rr]each|[Kk]udos to|[Ss]hout[- ]?out to|[Cc]ongrats to"
                              r"|[Cc]ongratulations to|[Ww]aiting (?:on|for)")
# What describes people and no thing, after "is" or "was": a trait or a feeling, perhaps graded ("so
# impulsive", "very jealous"), or what kind of person ("a very sympathetic person", "a good listener").
_PERSON_TRAITS = ("impulsive|jealous|stubborn|shy|grumpy|arrogant|generous|selfish|moody|cheerful|rude|polite|friendly"
                  "|impatient|brave|honest|loyal|charming|humble|ambitious|talented|caring|thoughtful|considerate|sympathetic"
                  "|kind-hearted|introverted|extroverted|outgoing|bossy|lazy|naughty|cheeky|pregnant|homesick|heartbroken"
                  "|upset|furious|grateful|lonely|nervous|anxious|sweet|sassy|witty|gorgeous|handsome|pretty")
_KINDS_OF_PERSON = ("person|listener|gentleman|lady|guy|woman|man|girl|boy|friend|neighbou?r|kid|child|baby|mother|father"
                    "|mom|mum|dad|husband|wife|student|singer|dancer")
_PERSON_TRAIT = (rf"(?:(?:so|very|really|extremely|incredibly|quite|too|always|never|a bit|a little|such an?|truly)[ \t]+)?"
                 rf"(?:(?:{_PERSON_TRAITS})\b|an?[ \t]+(?:(?:very|really|truly|such an?)[ \t]+)?(?:[a-z]+[ \t]+)?"
                 rf"(?:{_KINDS_OF_PERSON})\b)")
_PERSON_TRAIT_NEEDS = tuple(_PERSON_TRAITS.split("|")) + tuple(_KINDS_OF_PERSON.replace("?", "").split("|"))
# Who people are to someone ("X is my manager", "X was our landlord").
RELATION = (r"manager|boss|colleague|coworker|co-worker|friend|best friend|neighbou?r|landlord|landlady|tenant|flatmate"
            r"|roommate|partner|husband|wife|fiancée?|boyfriend|girlfriend|brother|sister|mother|father|mom|mum|dad|son"
            r"|daughter|cousin|uncle|aunt|grandmother|grandfather|grandma|grandpa|nephew|niece|doctor|dentist|lawyer"
            r"|accountant|teacher|tutor|mentor|supervisor|assistant|secretary|therapist|nurse|coach|advisor|adviser"
            r"|team lead|tech lead|line manager|account manager|contact person|classmate|stepfather|stepmother|in-law"
            r"|hire|intern|trainee|apprentice|recruit|joiner|starter|contractor|employee|engineer|developer|technician")
_OWNERS = ("my", "our", "your", "his", "her", "their")
# People by their role, that only a person is named after ("Our account manager is Bizier", "The
# beneficiary was Veindorfer"); not roles a company fills as often ("The owner is Microsoft",
# "Our partner is Accenture", "The developer is Jetbrains", "The courier is Fedex").
_PERSON_ROLES_NAMED = ("|".join(relation for relation in RELATION.split("|") if relation not in ("partner", "developer", "contractor"))
                       + r"|guarantor|guardian|witness|borrower|policy ?holder|spouse|next of kin|emergency contact"
                       r"|representative|signatory|claimant|debtor|consignee|physician|attendee|participant|candidate"
                       r"|coordinator|account owner|requester|requestor|submitter|co-?signer|dependent|contact person"
                       r"|interviewer|instructor|assignee|reporter|approver|recipient|beneficiary|account holder"
                       r"|card ?holder|addressee|applicant|patient|organi[sz]er")
_PERSON_ROLES_NAMED_FIRST_LETTERS = "".join(sorted({letter for branch in _PERSON_ROLES_NAMED.split("|")
                                                     for letter in (branch[0], branch[0].upper())}))  # for a fast skip
# (they hold those of "under the name", "in the name of", "referred by" too: "uncle", "intern", "reporter")
# Departments after a name in a signature or a list: "X - Operations", "X | Finance".
DEPARTMENT = (r"Operations|Finance|Sales|Support|Marketing|Human Resources|Legal|Engineering|Accounts|Accounting"
              r"|Procurement|Logistics|Facilities|Payroll|Billing|Compliance|Security|Customer Success|Purchasing|Admissions")
# What only people do, right after one word: there a known surname or a word common in none of the
# seven languages is a name too ("Mehrudin had given", "Padilla lives on"); and before it.
PERSON_ONLY_CONTEXT_AFTER = (r"said|says|asked|told|replied|replies|explained|complained|promised|lives|lived|is from|was from"
                             r"|was born|had given|has given|spent a year|married|wrote|and I|and me"
                             r"|will be late|wants to know|would like to know"
                             # what an agent did to a caller ("X put me on hold", "X hung up on me")
                             r"|put me on hold|hung up|transferred me|assured me|apologi[sz]ed"
                             # what people sign ("whether Kauzar signed the lease", "Ruud signed for the parcel")
                             r"|signed (?:(?:the|a|an|his|her|their|our|my) (?:lease|contract|agreement|form|papers|documents?"
                             r"|waiver|NDA|consent form|tenancy)|for (?:the|a|an|my|our|his|her|their) (?:package|parcel|delivery|letter))"
                             # where people are and what befalls them ("X is on leave", "X never received the parcel")
                             r"|is (?:on (?:leave|vacation|holiday|PTO|maternity leave|paternity leave|sick leave)|out sick|off sick"
                             r"|out of (?:the )?office)|(?:has )?left the company|(?:has )?joined (?:the|our) (?:team|company)"
                             r"|was (?:promoted|hired|fired|laid off)|(?:has )?(?:resigned|retired|passed away)"
                             r"|(?:never|hasn't|has not|didn't|did not) (?:received|receive|got|get) (?:the|my|his|her|their|a|an|our)"
                             r" (?:package|parcel|order|refund|payment|letter|card|invoice|delivery)"
                             rf"|(?:from|in) (?:{DEPARTMENT.lower()}|hr)\b"  # "X from sales", "X in accounting"
                             rf"|(?:is|was|has been) (?:{'|'.join(_OWNERS)}) (?:new |former |old )?(?:{RELATION})\b")
PERSON_ONLY_CONTEXT_AFTER_NEEDS = ("said", "says", "asked", "told", "repl", "explained", "complained", "promised", "live", "signed",
                                   "put me on hold", "hung up", "transferred me", "assured me", "apologi",
                                   "from", "born", "given", "spent", "married", "wrote", "and i", "and me",
                                   "late", "to know", "is on ", "out sick", "off sick", "out of", "left the", "joined", "was promoted",
                                   "was hired", "was fired", "laid off", "resigned", "retired", "passed away", "receive", " got ",
                                   " get ", *(f"in {department}" for department in (*DEPARTMENT.lower().split("|"), "hr")),
                                   *(f"{verb} {owner}" for verb in ("is", "was", "been") for owner in _OWNERS))
# Words that open a sentence before its subject ("So Nestor told me", "Yesterday Silvia said"): a
# capitalised word before a name that is one of these is no first part of a longer name.
SENTENCE_OPENERS = (r"So|And|But|Or|Then|Now|Well|Also|Yesterday|Today|Tonight|Tomorrow|Earlier|Later|Recently|Actually"
                    r"|Apparently|Basically|Honestly|Luckily|Unfortunately|Fortunately|Sadly|Thankfully|Hopefully|Finally"
                    r"|Eventually|Anyway|Meanwhile|Plus|Because|When|After|Before|If|Since|Once|While|Until|Although|Though"
                    r"|Maybe|Perhaps|Sometimes|Still|Even|Only|Just|Obviously|Clearly|Instead|Otherwise|Besides|Again|Next"
                    r"|Lastly|Unless|Yet|Oh|Ok|Okay|Yes|No|Sure|Initially|Originally|Previously|However|Indeed|Surely")
# A capitalised word right before a name, other than a sentence's opener: the name is the last
# word of a longer one ("Windows Server has been down"), not a name alone ("So Nestor told me").
_CAPITALISED_WORD_NO_OPENER = rf"(?!(?:{SENTENCE_OPENERS})[ \t]+$)[{CAPITAL}][\w'’-]*"
_LONGER_NAME_BEFORE = re.compile(rf"{_CAPITALISED_WORD_NO_OPENER}[ \t]+$")
# Where a name mentioned with "@" ends: not in an email address, a call or a code annotation's line.
_MENTION_END = (r"(?![\w@(-]|\.\w|\]\(|[ \t]*\n[ \t]*(?:public|private|protected|internal|class|def|fun|static|final"
                r"|abstract|void|override|@))")
# Words that start a sentence before a street line written house number first, not the name of
# a street written number last ("Is 1409 Hounslow Rd\n Apt. 692 ...?", "Please 12 Elm Road").
_NO_STREET_WORD_BEFORE_NUMBER = (rf"(?:{SENTENCE_OPENERS}|Is|Are|Was|Were|Please|Send|Ship|Deliver|My|Our|Your|His|Her"
                                 r"|Their|At|To|From)")
# Verbs whose object is a person ("I met Kreutzmann yesterday", "we hired Nygaard"), and the cues above.
PERSON_ONLY_CONTEXT_BEFORE = (r"[Nn]amed (?:him|her|them)|[Cc]alls? me|[Cc]alled me|[Mm]arried|said|[Aa]ddressed to"
                              r"|(?:[Tt]alked|[Ss]poke|[Ss]poken|[Ss]peaking|[Cc]hatted|[Mm]et|[Ww]orked) (?:to|with)"
                              r"|[Aa]sk|[Rr]emind|[Pp]ing|[Ii]nvited|[Mm]et|meet|[Mm]eeting with|[Hh]ired|[Ii]nterviewed"
                              r"|[Cc]ongratulated?|[Hh]ugged|[Kk]issed|[Tt]hanked|[Pp]honed"  # not "Meet Ollama", a launch
                              r"|[Hh]appy birthday(?: to)?|between me and|[Mm]y ex"
                              r"|(?:[Ss]peak|[Tt]alk) (?:to|with)")
# A word between a verb of giving or telling and what is given is who receives it ("had given Anna
# his address", "told Maren the news"), and a word asked about as people are ("Why is Henry so
# impulsive?", "Is Padilla coming?").
GIVEN_TO_PERSON = (r"(?:given|gave|give|gives|giving|told|tell|tells|telling|sent|send|sends|showed|shown|show|handed"
                   r"|hand|offered|offer|owe|owes|owed|paid|pay|pays|lent|lend|promised|wished|asked|ask|asks|bought|buy"
                   r"|brought|bring|taught|teach|thanked|thank|texted|emailed|email|messaged)")
GIVEN_THING = r"(?:his|her|their|my|your|our|its|a|an|the|this|that|some|back|about)"  # "told Lopez about it"
GIVEN_TO_PERSON_NEEDS = ("give", "gave", "told", "tell", "sent", "send", "show", "hand", "offer", "owe", "paid", "pay",
                         "lent", "lend", "promised", "wished", "ask", "bought", "buy", "brought", "bring", "taught",
                         "teach", "thank", "texted", "email", "messaged")
ASKED_ABOUT_PERSON_BEFORE = (r"(?:(?:[Ww]hy|[Hh]ow|[Ww]hen|[Ww]here) (?:is|was|does|did|has|can|could|would|will)"
                             r"|(?:^|(?<=[.!?] )|(?<=\n))(?:Is|Was|Has|Did|Does|Will|Can|Could))")
ASKED_ABOUT_PERSON_NEEDS = ("why ", "how ", "when ", "where ", "is ", "was ", "has ", "did ", "does ", "will ", "can ", "could ")
ASKED_ABOUT_PERSON_AFTER = (r"(?:so|such|always|still|never|not|feeling|doing|going|coming|joining|there|here|around"
                            r"|available|back|free|busy|away|in today|off today|on leave|on holiday|on vacation|awake"
                            r"|married|pregnant|sick|ill)")
# Titles of address, office and family that stand before a person's name.
TITLE = (r"Sir|Dame|Lord|Lady|Madam|Madame|Mme\.?|Mlle\.?|Monsieur|Herr|Frau|Señor|Señora|Señorita|Sr\.|Sra\.|Srta\."
         r"|Signor|Signora|Dott\.|Ing\.|Professor|Coach|Senator|Judge|Justice|Officer|Detective|Inspector|Constable"
         r"|Captain|Capt\.|Sergeant|Sgt\.|Lieutenant|Lt\.|Colonel|Col\.|Admiral|Rev\.|Reverend|Father|Pastor|Rabbi"
         r"|Imam|Bishop|Governor|Mayor|President|Minister|Chancellor|Ambassador|Councillor|Councilman|Councilwoman"
         r"|Uncle|Aunt|Auntie|Grandma|Grandpa|Granny|Nurse|Doctor")
TITLE_FIRST_LETTERS = "SDLMHFIPCJODRUGANB"  # of every TITLE alternative
# What only people have, after a possessive: their contact details and their family.
PERSONAL_THING = (r"(?:home |postal |mailing |e-?mail |phone |mobile |cell |work )?(?:address|phone|number|e-?mail|mobile"
                  r"|birthday|date of birth|passport|husband|wife|partner|mother|father|son|daughter|brother|sister|mom"
                  r"|mum|dad|parents|children|kids|boss|manager|colleague|friend|girlfriend|boyfriend|family"
                  r"|flight|appointment|salary|payslip|approval|signature|consent|sign-off|visa|prescription|diagnosis"
                  r"|note|laptop|desk|car|voicemail|handwriting|vacation|holiday|wedding|funeral|resignation|retirement)")
# Words before a person in chat, where names are often typed in lower case ("ask reuben fenwick"),
# and weaker ones that also come before things ("call enum constructors").
LOWER_CASE_NAME_CUE = (r"ask|ping|cc|cc'd|cc'ing|talk(?:ed)? to|spoke (?:to|with)|speak(?:ing)? (?:to|with)|thanks|thank you"
                       r"|thx|hi|hey|hello|dear|loop in|looping in|assign(?:ed)? to|forward(?:ed)? to"
                       r"|hand(?:ed)? (?:it |this )?over to|escalated? to|my name is|name is|i am|i'm")
LOWER_CASE_NAME_WEAK_CUE = (r"tell|contact|call|email(?:ed)?|message(?:d)?|remind|with|by|to|under|add|name|for|from"
                            r"|assistant|commenter")
LOWER_CASE_NAME_CUE_FIRST_LETTERS = "acdefhilmnpstACDEFHILMNPST"  # of every LOWER_CASE_NAME_CUE alternative
LOWER_CASE_NAME_WEAK_CUE_FIRST_LETTERS = "tcemrwbuanfTCEMRWBUANF"  # of every LOWER_CASE_NAME_WEAK_CUE alternative
LOWER_CASE_NAME_WORD = r"[a-zß-öø-ÿ\u0100-\u024F][a-zß-öø-ÿ\u0100-\u024F'’]+(?:-[a-zß-öø-ÿ\u0100-\u024F]+)?"
# Two such words, perhaps with a middle initial or joined by a particle ("maria de la cruz"), as group 1.
LOWER_CASE_NAME = (rf"\s+({LOWER_CASE_NAME_WORD}\s(?:[a-z]\.?\s)?(?:(?:{PARTICLE.lower()})\s)?{LOWER_CASE_NAME_WORD})"
                   r"(?![\w'’-])")
JOB_TITLE = (r"Manager|Engineer|Director|Lead|Officer|Specialist|Analyst|Consultant|Administrator|Agent|Representative"
             r"|Coordinator|Developer|Architect|Executive|Assistant|President|Head of [A-Z][a-z]+|CEO|CTO|CFO|COO|CIO|VP")
JOB_TITLE_NEEDS = ("manager", "engineer", "director", "lead", "officer", "specialist", "analyst", "consultant", "administrator",
                   "agent", "representative", "coordinator", "developer", "architect", "executive", "assistant", "president",
                   "head of", "ceo", "cto", "cfo", "coo", "cio", "vp", "operations", "finance", "sales", "support",
                   "marketing", "human resources", "legal", "accounts", "accounting", "procurement",
                   "logistics", "facilities", "payroll", "billing", "compliance", "security", "customer success",
                   "purchasing", "admissions")
PERSON_CONTEXT_AFTER_NEEDS = ("said", "says", "ask", "wrote", "writes", "repl", "approve", "confirm", "mentioned", "called",
                              "emailed", "phoned", "closed", "reopened", "agreed", "noted", "explained", "requested",
                              "suggested", "complained", "commented", "promised", "signed", "told", "will ",
                              "has left", "is out", "is on leave", "left a", "rang", "visited", "joined", "wants", "needs",
                              "reported", "is waiting", "is on", "is our", "is away", "is my", "is your",
                              "is the new", "pointed out", "points out", "flagged", "noticed", "spotted",
                              "recommended", "forwarded", "shared", "raised", "(cc", "(in cc", "/her", "/him",
                              "/they", "cannot", "can't", "can not", "could not", "couldn't", "unable", "has been",
                              "is trying", "tried", "is locked")  # a part of every PERSON_CONTEXT_AFTER alternative


def _top_level_alternatives(pattern: str) -> list[str]:
    """The alternatives of ``a|b|(?:c|d)e``, split at the top level only: ``["a", "b", "(?:c|d)e"]``.

    For the cue lists of this module: a character class must not hold an unescaped bracket.
    """
    alternatives, depth, current, escaped = [], 0, "", False
    for char in pattern:
        if not escaped and char in "([":
            depth += 1
        elif not escaped and char in ")]":
            depth -= 1
        if char == "|" and depth == 0 and not escaped:
            alternatives.append(current)
            current = ""
        else:
            current += char
        escaped = char == "\\" and not escaped
    return alternatives + [current]


def by_first_letter(alternation: str) -> str:
    """The same alternation, its branches grouped by their first letter: ``(?:[Hh](?:i|ello)|[Dd](?:ear))``.

    Python's regex engine tries the branches of an alternation one by one at each position; grouped,
    it tries one branch per first letter, which made the person-cue detectors 2x faster. Each
    branch must start with a letter or a ``[Xx]`` class; a branch that starts with a group
    (``(?:[Rr]eported|[Ss]ent)\\s+by``) is expanded into its inner branches first.
    """
    if alternation.startswith("(?:") and len(_top_level_alternatives(alternation)) == 1 and alternation.endswith(")"):
        alternation = alternation[3:-1]
    groups: dict[str, list[str]] = {}
    for branch in _top_level_alternatives(alternation):
        if branch.startswith("(?:"):
            end, depth = 0, 0
            for end, char in enumerate(branch):
                depth += {"(": 1, ")": -1}.get(char, 0)
                if depth == 0:
                    break
            expanded = [inner + branch[end + 1:] for inner in _top_level_alternatives(branch[3:end])]
        else:
            expanded = [branch]
        for item in expanded:
            first = item[:4] if item.startswith("[") else item[:1]
            if not re.fullmatch(r"\[\w\w\]|\w", first) or item.startswith("(?"):
                raise ValueError(f"branch {item!r} does not start with a letter or a [Xx] class")
            groups.setdefault(first, []).append(item[len(first):])
    return "(?:" + "|".join(f"{first}(?:{'|'.join(rests)})" for first, rests in groups.items()) + ")"


def luhn_valid(digits: str) -> bool:
    """True when the digit string passes the Luhn checksum."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            value -= 9 if value > 9 else 0
        total += value
    return total % 10 == 0


# IBAN length per country (SWIFT IBAN registry).
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23,
    "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def iban_valid(text: str) -> bool:
    """True when ``text`` (spaces allowed, any case) is an IBAN of its country's length with a valid
    mod-97 checksum. Lower case is accepted only for a registered country."""
    compact = text.replace(" ", "").replace("-", "")
    country = compact[:2].upper()
    if compact[:2].islower() and country not in IBAN_LENGTHS:
        return False
    compact = compact.upper()
    if len(compact) != IBAN_LENGTHS.get(country, len(compact)) or not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    numeric = "".join(str(int(c, 36)) for c in rearranged)
    return int(numeric) % 97 == 1


def _ip_valid(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _card_valid(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and luhn_valid(digits)


def _ssn_valid(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    return area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000"


# Amounts with spaced thousands ("12 345 678"): no phone numbers.
_SPACED_THOUSANDS = re.compile(r"[1-9]\d?(?: \d{3})+")  # "12 500 000"; "0 346 091 390" is a phone


def _bracketed(word: str) -> str:
    """A word in brackets of any kind, any case: "(at)", "[AT]", "{ dot }", "<at>"."""
    return rf"[(\[{{<]\s*(?i:{word})\s*[)\]}}>]"


def _street_after_cue(text: str) -> bool:
    """Whether the words after an address cue are a street: not all of them everyday English
    words ("moved to Windows Server 2022", "ship to Customer Service 2" are kept), unless a house
    number comes first and a USPS street type last ("My address is 775 Hill Mountains")."""
    words = _capitalised_words(text)
    core = _NameWords.load().core_english
    return bool(words) and (any(word.casefold() not in core for word in words) or (
        _ends_with_usps_street_type(text) and text.split()[-1] not in _USPS_TYPES_NAMING_THINGS)) and not any(
        word in _CALENDAR_WORDS for word in words)


_STREET_SUFFIX_WORD = re.compile(STREET_SUFFIX)
_TRAILING_UNIT = re.compile(r",?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building)\.?[ \t]?#?[ \t]?\d{1,5}[A-Za-z]?$")


def _ends_with_usps_street_type(text: str) -> bool:
    """Whether a street line written house number first ends in a USPS street type that is an everyday
    word, after at least one name word: "4262 Dominic River", "775 Hill Mountains Suite 827", "Apt. 332,
    4262 Dominic River"; not "2 Update" nor "12 Park". The other street types ("Street", "Ave") have
    detectors of their own."""
    words = _TRAILING_UNIT.sub("", text.rsplit(",", 1)[-1].strip()).split()
    return (len(words) >= 3 and words[0][0].isdigit() and not any(word in _CALENDAR_WORDS for word in words)
            and words[-1] in USPS_STREET_SUFFIXES and _STREET_SUFFIX_WORD.fullmatch(words[-1]) is None)


def _street_named_after_a_person(text: str) -> bool:
    """Whether words before a USPS street type name a street after a person ("Pinto Parkway", "Kurbus
    Crest", "Natalie Estate"): the first word a known given name or surname, one shaped like a surname
    or no core English word, and no word of the calendar ("Monday Drive"); not "Apple Park", though
    Apple is a US Census surname too."""
    words = text.split()
    names = _NameWords.load()
    first = words[0]
    return first not in NEVER_NAME_PARTS and first not in _CALENDAR_WORDS and first not in WORD_NAMES and (
        names.known(first) or names.surname_shaped(first) or first.casefold() not in names.core_english)


def _two_numbers_and_a_street_named_after_a_person(text: str) -> bool:
    """``_street_named_after_a_person`` of the words after a building's number and a street's ("911 95 Dora Creek")."""
    return _street_named_after_a_person(text.split(None, 2)[2])


def _town_after_postcode(text: str) -> bool:
    """Whether the words after a postcode may name its town (``_town_words``): "56257 Copenhagen",
    "SW1A 1AA London", not "12345 Please"."""
    postcode = _POSTCODE_BEFORE_TOWN.match(text)
    return bool(postcode) and _town_words(text[postcode.end():].strip())


# Endings of street words in the Nordic, Baltic, Dutch, German, Hungarian and Slavic languages.
_STREET_WORD_ENDING = re.compile(r"(?:vej|veien|vegen|veg|vei|gata|gatan|gade|tie|katu|kuja|straat|laan|weg|gasse|strasse|platz"
                                 r"|allee|mauet|braut|utca|ulica|iela|kroken|bakken|stien|svingen)$")


def _placed_street(text: str) -> bool:
    """Whether words and a number where a sentence places something are a street (``_street_after_cue``):
    one word alone must be spelt as a street abroad is or joined by a hyphen ("Vana-Viru 25", "Ártún 55";
    not "Ubuntu 22")."""
    words = text.split()[:-1]
    return _street_after_cue(text) and (len(words) > 1 or "-" in words[0] or _street_words_no_language_uses(text))


def _street_words_no_language_uses(text: str) -> bool:
    """Whether the words before a house number name a street by their spelling alone: a letter no
    English word has ("Ártún", "Mjövattnet") or a street word's ending in another language
    ("Haugesmauet", "Tiurkroken"), and every other word rare in all seven languages, in no dictionary
    and no known name (not "Ubuntu 22", "Webpack 5", "Unicode 17", "Windows 10")."""
    words = text.split()[:-1]
    names = _NameWords.load()
    if any(word in _CALENDAR_WORDS or word in NEVER_NAME_PARTS or word in FIRST_NAMES_OF_THINGS for word in words):
        return False
    if any(word[1:] != word[1:].lower() and not word.startswith(("Mc", "Mac")) for word in words):
        return False  # a product's inner capital: "GraphQL-core 2", "NewsCrawl 2014"
    spelt_abroad = any(not word.isascii() or _STREET_WORD_ENDING.search(word) for word in words)
    return spelt_abroad and all(names.rare(word) and not in_dictionary(word.casefold()) and word.casefold() not in names.core_english
                                and not names.known(word) for word in words if word.isascii())


def _street_before_postcode_and_town(text: str) -> bool:
    """Whether "Street 3, 97471 Town" or "Street 3, Town, Country" is an address: the street is no
    run of everyday English words, the town starts with none, and after a town without a postcode
    comes a country ("Valadouro 3, 97471 Ubide", "Männi 12, Mustoja, Estonia"; not "Windows 11, 2024
    Edition", "Python 3, Django, Flask")."""
    street, rest = text.split(",", 1)
    if not _street_after_cue(street):
        return False
    parts = [part.strip() for part in rest.split(",")]
    if len(parts) == 1:  # "97471 Ubide"
        return _town_words(parts[0].split(None, 1)[1])
    town, country = parts
    country = _BRACKETED_PLACE.sub("", country).strip()
    return _town_words(town) and (country.casefold() in countries_and_states() or _COUNTRY_OF_SEVERAL_WORDS.fullmatch(country) is not None)


# Greek words a number follows that name no street: chapter, page, version, room, table, figure,
# article, section, part, step, hour, year, floor, level, lesson, episode.
_GREEK_NUMBERED_THINGS = frozenset({
    "Κεφάλαιο", "Σελίδα", "Έκδοση", "Εκδοση", "Αίθουσα", "Δωμάτιο", "Πίνακας", "Σχήμα", "Άρθρο", "Ενότητα", "Μέρος",
    "Βήμα", "Ώρα", "Έτος", "Όροφος", "Επίπεδο", "Μάθημα", "Επεισόδιο", "Τεύχος", "Παράγραφος", "Γραμμή", "Αριθμός",
})


def _greek_street(text: str) -> bool:
    """Whether Greek words and a number name a street, not a numbered thing ("Κεφάλαιο 5")."""
    return not any(word in _GREEK_NUMBERED_THINGS for word in text.split())


def _corner_of_streets(text: str) -> bool:
    """Whether a street corner names streets: a house number, or a capitalised word that is no core
    English word ("the corner of Merlijnstraat and Angelique Wells"; not "the corner of my eye and the door")."""
    core = _NameWords.load().core_english
    return any(char.isdigit() for char in text) or any(word.casefold() not in core for word in _capitalised_words(text))


_STREET_TYPE_WORD = re.compile(rf"\b(?i:{STREET_SUFFIX})(?!\w)")


def _street_after_a_unit(text: str) -> bool:
    """Whether the line after a flat or suite is a street: any line of words ("Flat 5\nJames Route"); one
    that ends in a number has a street type or a word that is no core English word ("Apt. 819, Avenida
    Marquês Tomar 103"; not "Unit 3, Windows 11")."""
    street = re.split(r"[\n,]", text, maxsplit=1)[1].rstrip()
    return not street[-1:].isdigit() or _STREET_TYPE_WORD.search(street) is not None or _street_after_cue(street)


def _street_line_over_a_unit(text: str) -> bool:
    """Whether the line above a flat or suite is a street: not everyday English words only ("2217 Trg
    revolucije 95"; not "Release Notes 2")."""
    return _street_after_cue(text.split("\n", 1)[0])


def _cross_street(text: str) -> bool:
    """Whether "Word and street" names a cross street: the word is no core English word, and either no
    dictionary word or the street has a word that is no core English word ("Kasey and Ilichova 26",
    "Matias and 25 Woodlands Avenue"; not "work and school 5", "Python and Java 8", "John and 2 friends")."""
    core = _NameWords.load().core_english
    cross, street = re.split(r"[ \t]+and[ \t]+", text, maxsplit=1)
    street_words = _WORD.findall(street)
    if (street[:1].isdigit() and not any(word[0].isupper() for word in street_words)
            and all(word.casefold() in core for word in street_words) and not _STREET_TYPE_WORD.search(street)):
        return False  # a number and everyday words: "with John and 2 friends", "to Anna and 3 others"
    return cross.casefold() not in core and (
        not in_dictionary(cross.casefold()) or any(word.casefold() not in core for word in street_words))


def _street_words(text: str) -> bool:
    """Whether the words of a street found by its house number and cue are not all core English
    words nor a date ("Brisas 6802 St.", "rua mina 50 street"; not "on page 5 street", "of March 3")."""
    core = _NameWords.load().core_english
    words = _WORD.findall(text)
    return any(word.casefold() not in core for word in words if word.casefold() not in ("st", "str", "street")) and not any(
        word in _CALENDAR_WORDS for word in words)


_WORD = re.compile(r"[^\W\d_][\w'’-]*")  # a word of letters, perhaps with apostrophes and hyphens
# A word of an address written in lower case, and what separates its parts: a space before a unit, a
# comma, or a line break with perhaps a lost emoji ("??? ").
_LOWER_ADDRESS_WORD = r"[a-zß-öø-ÿ\u0100-\u024F][a-zß-öø-ÿ\u0100-\u024F'’-]*"
_LOWER_UNIT_WORD = r"(?:apt|suite|unit|flat)"
_LOWER_ADDRESS_SEPARATOR = rf"(?:,[ \t]*|[ \t]*\n[ \t]*(?:[^\w\s,]{{1,3}}[ \t]+)?,?[ \t]*|[ \t]+(?={_LOWER_UNIT_WORD}\b))"
# A town, region or postcode after a separator ("recife", "são paulo", "68955", "(greek) 82565").
_LOWER_ADDRESS_PART = (rf"(?:{_LOWER_ADDRESS_SEPARATOR}(?:{_LOWER_ADDRESS_WORD}(?:[ \t]+{_LOWER_ADDRESS_WORD}){{0,2}}"
                       rf"(?:[ \t]+\d{{4,6}})?|\d{{4,6}}))")
_LOWER_UNIT = re.compile(rf"\b{_LOWER_UNIT_WORD}\.?[ \t]*\d")
_LOWER_STREET_TYPE = re.compile(r"[ \t](?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|court|ct|place|pl)\.?$")
_LAST_WORDS = re.compile(r"([^\W\d_]+)(?:[ \t]+\([^()]*\))?(?:[ \t]+\d{4,6})?$")


def _lower_case_postal_address(text: str) -> bool:
    """Whether a lower-case address (see its detector) has a unit, or ends in a country or a
    postcode, and its street words are no everyday phrase ("12 of the 30, thanks") or end in a
    street type ("12 main street, springfield, canada")."""
    street = text.split(",")[0].split("\n")[0]
    if not (_street_words(street) or _LOWER_STREET_TYPE.search(street)):
        return False
    last = _LAST_WORDS.search(text)
    return (_LOWER_UNIT.search(text) is not None or re.search(r"\d{4,6}$", text) is not None
            or (last is not None and last.group(1) in countries_and_states()))


def _capitalised_words(text: str) -> list[str]:
    return [word for word in _WORD.findall(text) if word[0].isupper()]


def _street_between_numbers(text: str) -> bool:
    """Whether the words between two house numbers are a street name: one of them is neither an
    everyday English word nor in the dictionary, and none is a month or weekday ("692 Koidu 26";
    not "3 Pixel 7", "1 March 2024")."""
    words = _capitalised_words(text)
    if any(word in _CALENDAR_WORDS for word in words):
        return False
    # A word in lower case that is no particle nor street word is a foreign one ("0662 José matía 66",
    # "4793 Door Van dijckstraat 430"), not an English one ("3 Ubuntu servers 22").
    everyday = _NameWords.load().everyday_english
    if any(word.casefold() in everyday or in_dictionary(word) for word in _LOWER_CASE_WORD_OF_A_STREET.findall(text)
           if not _UNIT_ANCHOR_WORD_RE.fullmatch(word)):
        return False
    # A building's number of four or five digits, no year, before the words says a street whatever they are
    # ("23372 Ceibo 9127", "56131 Serenade Opus 420").
    if _BUILDING_NUMBER_FIRST.match(text):
        return True
    return any(word.casefold() not in everyday and not in_dictionary(word.casefold()) for word in words)


_LOWER_CASE_WORD_OF_A_STREET = re.compile(r"(?<![\w.'’-])[a-zß-öø-ÿ\u0100-\u024F][\w'’-]*\.?")
_BUILDING_NUMBER_FIRST = re.compile(r"(?!(?:19|20)\d\d\b)\d{4,5}[ \t]+[A-Z]")


def _spelled_out_email(text: str) -> bool:
    """Whether an address written with "at"/"dot" words is one: a bracketed "(at)", or a plain
    " at " after a name with ".", "_" or a digit in it and before a dotted domain."""
    if re.search(r"[(\[{<]", text):
        return True
    local, domain = re.split(r"\s(?:AT|at)\s", text, maxsplit=1)
    return bool(re.search(r"[._\d]", local)) and bool(re.search(r"\.|\sDOT\s|\sdot\s", domain))


def _no_placeholder(text: str) -> bool:
    """Whether a password is real, not a template's "password", "<pass>", "${DB_PASS}" or "****":
    documentation writes placeholders in letters only or in brackets; a real one mixes in other characters."""
    return not (text.isalpha() or re.fullmatch(r"[*xX.]+|[<{$%\[].*", text))


# An extension written onto a phone number ("757-317-1621x8873"). One written apart ("... ext. 204")
# stays: on its own it reaches a desk, not a person.
_EXTENSION_WRITTEN_ON = r"[ \t]?x\d{1,5}"  # "x8873", and after a space: "708-538-6713 x006"
PHONE_EXTENSION = rf"(?:{_EXTENSION_WRITTEN_ON})?"
_EXTENSION = re.compile(rf"{_EXTENSION_WRITTEN_ON}$")
# A date ("2024-01-15", "15-01-2024"), alone or with an hour run on ("2012-09-12 20:02:39"): no phone.
_DATE_FIRST = re.compile(r"(?:(?:19|20)\d\d([-./])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])"
                         r"|(?:0?[1-9]|[12]\d|3[01])([-./])(?:0?[1-9]|1[0-2])\2(?:19|20)\d\d)(?!\d)")
# A whole calendar date without a birth cue ("12.04.1987 - Maria", "Born: 4/12/1987" in a form the
# cues miss): day, month and a four-digit year, in figures or with the month in words. One followed
# by a time of day is a timestamp ("2002-10-27 01:30:00").
_YEAR = r"(?:19|20)\d\d"
UNCUED_DATE = re.compile(  # the lookahead lists the first characters of every form, to skip other positions fast
    rf"\b(?=[\dJFMASONDEGLjfmasondegl])(?<![./-])(?:\d{{1,2}}([./-])\d{{1,2}}\1{_YEAR}|{_YEAR}([./-])\d{{1,2}}\2\d{{1,2}}"
    rf"|{DAY}\s+(?:of\s+)?{MONTH},?\s+{_YEAR}|{MONTH}\s+{DAY},?\s+{_YEAR})(?![\w/-]|\.\d|[ T]\d{{1,2}}:\d\d)"
)
_DIGIT_GROUPS = re.compile(r"\d+")
# Years a person of working age was born in, as of 2026; recent order, incident and release dates stay.
DEFAULT_BIRTH_YEARS = (1900, 2010)


def _date_in_years(first_year: int, last_year: int) -> Callable[[str], bool]:
    """A validator of ``UNCUED_DATE`` matches: a real day and month, and a year from ``first_year`` to
    ``last_year`` (both included)."""
    def date_in_years(text: str) -> bool:
        numbers = [int(group) for group in _DIGIT_GROUPS.findall(text)]
        year = numbers.pop(0 if numbers[0] >= 1000 else -1)  # first in ISO dates, last otherwise
        if not first_year <= year <= last_year:
            return False
        if len(numbers) == 1:  # the month in words
            return 1 <= numbers[0] <= 31
        return 1 <= min(numbers) <= 12 and max(numbers) <= 31
    return date_in_years


CUED_PHONE_MIN_DIGITS = 6  # after "call", "Mobile:": local numbers of small countries ("66 28 45")


def _cued_phone_valid(text: str) -> bool:
    """A number after a phone cue: 6 to 15 digits, no date."""
    text = _EXTENSION.sub("", text)
    return not _DATE_FIRST.match(text) and CUED_PHONE_MIN_DIGITS <= len(re.sub(r"\D", "", text)) <= 15


def _phone_valid(text: str) -> bool:
    text = _EXTENSION.sub("", text)
    if _SPACED_THOUSANDS.fullmatch(text) or _DATE_FIRST.match(text):
        return False
    digits = len(re.sub(r"\D", "", text))
    if re.fullmatch(r"[\d.]+", text):  # dotted: 415.555.2671 or 06.12.34.56.78, not a 2026.11.13 build
        return 10 <= digits <= 15
    groups = re.findall(r"\d+", text)
    if len(groups) == 2 and not text.startswith(("+", "(")):
        # Without a country code, two groups are a phone when local (555-1234), after a trunk 0
        # (0171 2345678, 07700 900123), 4+4 apart (9123 4567) or a short area code before six or more
        # digits (25 470375); "4471-220" and "2024-00917" are not.
        local = digits == 7 and len(groups[0]) == 3
        area_and_local = digits == 10 and len(groups[0]) == 3  # "163-8937316"
        spaced_fours = len(groups[0]) == len(groups[1]) == 4 and " " in text
        area_before_six = 2 <= len(groups[0]) <= 4 and len(groups[1]) >= 6  # "25 470375" (Cyprus)
        brazilian_postcode = len(groups[0]) == 5 and len(groups[1]) == 3 and "-" in text  # "01310-100" (CEP)
        return (local or area_and_local or groups[0].startswith("0") or spaced_fours or area_before_six) and 7 <= digits <= 15 and (
            not brazilian_postcode)
    return 7 <= digits <= 15


_COMPACT_DATE_START = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")


def _compact_national_phone(text: str) -> bool:
    """Not a run that starts with a date ("2024011512"), nor one digit repeated ("2222222222")."""
    return not _COMPACT_DATE_START.match(text) and len(set(text)) > 2


def _compact_phone_valid(text: str) -> bool:
    """8 to 15 digits in all, and no year in brackets ("(2024) 123456")."""
    digits = len(re.sub(r"\D", "", text))
    return 8 <= digits <= 15 and not re.match(r"\((?:19|20)\d\d\)", text)


def _mixed_letters_and_digits(text: str) -> bool:
    return any(c.isdigit() for c in text) and any(c.isalpha() for c in text)


RANDOM_TOKEN_ENTROPY = 4.2  # bits per character; random base62 of 20+ characters has 4.3 or more, slugs less


def _random_token(text: str) -> bool:
    """No "/" or "." (a path, a URL, a file name), 2+ upper-case letters, 2+ lower-case, 2+ digits,
    a character entropy of ``RANDOM_TOKEN_ENTROPY``, and no common word as a part between "-" or "_"."""
    if "/" in text or "." in text:
        return False
    if sum(c.isupper() for c in text) < 2 or sum(c.islower() for c in text) < 2 or sum(c.isdigit() for c in text) < 2:
        return False
    counts = Counter(text)
    entropy = -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())
    if entropy < RANDOM_TOKEN_ENTROPY:
        return False
    # A slug made of words is a name, not a key: "SmolLM2-135M-Instruct-Q4".
    common = common_words()
    return not any(len(part) >= 4 and part.isalpha() and part.lower() in common for part in re.split(r"[-_]", text))


@dataclass(frozen=True)
class Detector:
    """One entity type: a pattern, the group holding the value, and an optional validator.

    ``grouped`` values are written in space-separated groups, so a match may swallow the next
    short word; one that fails validation is retried without its trailing groups. The same
    happens to a grouped match, or one that may be ``cut_before_next_value``, that runs into a
    value an earlier detector found ("+27 82 220 0279 10.3.2.1" before an IP address).
    """

    entity: str
    pattern: re.Pattern
    group: int | str | tuple[int, ...] = 0
    validate: Callable[[str], bool] | None = None
    grouped: bool = False
    cut_before_next_value: bool = False
    not_after: re.Pattern | None = None  # a label that makes the value something else ("Order 1234-5678-9012")
    rare_words: bool = False  # its validator may take a name for being rare ("Xanthe Zapatero said")
    needs: tuple[str, ...] = ()  # lower-case text one of which must occur for the pattern to be tried (fast)
    needs_match: re.Pattern | None = None  # a short pattern the text must match for the pattern to be tried (fast)
    replaces_parts: bool = False  # may replace the names and streets found inside it (``_block_completes_streets``)


# A word of a street name in any case, or abbreviated ("Brisas", "rua", "u.", "Λ.", "Ctra.", "R Palmeira").
_ANY_STREET_WORD = rf"(?:{STREET_NAME_WORD}|{LOWER_CASE_NAME_WORD}\.?|[{LATIN_CAPITALS}][a-z]{{0,4}}\.|[A-Z](?=[ \t]))"
# One to four such words and a house number ("Brisas 6802", "Ctra. de Fuentenueva 98").
_ANY_STREET_AND_NUMBER = rf"(?:{_ANY_STREET_WORD}[ \t]+){{1,4}}{HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?"
# One street of a corner: capitalised street words with house numbers, or any three words.
# (an abbreviated street type first, five words, two numbers: "C/ Pablo Iglesias 93", "Avda. Explanada
# Barnuevo 69", "Viale Maria Cristina di Savoia 86", "Strada Provinciale 65 22")
_CORNER_STREET = (rf"(?:\d{{1,6}}[ \t]+)?(?:C/[ \t]?|[A-Z][a-z]{{1,4}}\.[ \t]|\d{{1,4}}(?:st|nd|rd|th)[ \t])?{STREET_NAME_WORD}"
                  rf"(?:[ \t]+{STREET_NAME_WORD}){{0,4}}"
                  rf"(?:[ \t]+\d{{1,5}}[A-Za-z]?){{0,2}}")
_ANY_CORNER_STREET = r"(?:\d{1,6}[ \t]+)?[^\W\d_][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){0,2}(?:[ \t]+\d{1,5}[A-Za-z]?)?"


# The words of an address block after a cue: abbreviations of address words with their full stop
# ("Av.", "Dto.", "H.No."), capitalised words, numbers ("37/92", "84951-838", "T-80"), "N°", a region
# in brackets ("(RM)"), particles and street words in lower case ("rue", "de la"), and "km".
_ADDRESS_ABBREVIATIONS = (r"(?:Av|Avda|Blv|Bd|Dto|Dpto|Depto|Edif|Sta|Sto|No|Nr|Nro|Apt|St|Ste|Fl|Bldg|H\.No|Pza|Gral|Pte|Dr"
                          r"|Sr|Sra|Col|Mz|Lt|Ctra|Urb|Res|Qd|Cj|Jr|Prof|Str|Bl|Sc|Ap|Et|[A-Z])")
_BLOCK_ABBREVIATION = rf"{_ADDRESS_ABBREVIATIONS}\."
# Words that start the next sentence where no full stop ends the address ("... Apt. 5 Please call first").
_BLOCK_NOT_A_WORD = (r"(?!(?:Please|Thanks|Thank|Call|Regards|Cheers|Hi|Hello|Dear|I|We|You|The|My|Our|It|This|That|If"
                     r"|When|Can|Could|Would|Will|Let|Also|And|But|Or|So|Is|Are|Was|Were|Do|Does|Did|Have|Has|Had)\b)")
_BLOCK_NOT_A_WORD_RE = re.compile(rf"{_BLOCK_NOT_A_WORD}")
_BLOCK_TOKEN = (rf"(?:{_BLOCK_ABBREVIATION}|{_BLOCK_NOT_A_WORD}[{CAPITAL}][\w'’°º-]*|\d{{1,4}}(?:st|nd|rd|th)\b"
                rf"|(?:[A-Z]-)?\d{{1,8}}[A-Za-z]?(?:[/-]\d{{1,6}}[A-Za-z]?)?|N[°º]|#|\([A-Z]{{2,3}}\)"
                rf"|(?:de|del|de la|da|do|dos|das|di|du|des|la|le|les|las|los|el|y|e|van|von|der|den|am|an|im|bei|sur|upon"
                rf"|en|na|nad|pod|pri|ob|u|v|mesto|km|{_LOWER_CASE_STREET_WORDS}|avenue|avenida|chemin|boulevard|via|viale|piazza|corso)(?![\w'’-]))")
_BLOCK_SEPARATOR = r"(?:[ \t]*,?[ \t]+|[ \t]*,?[ \t]*\n[ \t]*|[ \t]+[-–/][ \t]+|[ \t]*,|-(?=\d))"
_BLOCK_POSTCODE = re.compile(r"(?<![\d/-])(?:\d{4,8}|\d{5}-\d{3}|\d{2}-\d{3})(?![\d/])")  # Brazil's CEP has 8 digits
_BLOCK_START = re.compile(rf"(?:H\.No\.[ \t]*)?\d{{1,5}}(?:/\d{{1,5}})?[A-Za-z]?,?[ \t\n]+(?:[{CAPITAL}]|(?:{_LOWER_CASE_STREET_WORDS}|avenue|chemin|boulevard|via)\b)")
_BLOCK_ROUTE = re.compile(r"\bkm[ \t]+\d")
_BLOCK_ENDS_WITH_ABBREVIATION = re.compile(rf"(?<![\w.]){_ADDRESS_ABBREVIATIONS}$")
ADDRESS_BLOCK_LINES_MAX = 4  # lines an address block after a cue may span


def _address_block(text: str) -> bool:
    """Whether the words after a cue that introduces only a place are an address: at most
    ``ADDRESS_BLOCK_LINES_MAX`` lines, not everyday English words only, and a postcode among them or
    a house number first ("37/92, Thaman, ...", "H.No. 79\nBarad\n...") or a kilometre on a route."""
    if _BLOCK_ENDS_WITH_ABBREVIATION.search(text):
        return False  # its full stop was taken for the end of the sentence ("12 Elm Road Apt. 5 Please")
    return (text.count("\n") < ADDRESS_BLOCK_LINES_MAX and _street_after_cue(text)
            and (_BLOCK_POSTCODE.search(text) is not None or _BLOCK_START.match(text) is not None
                 or _BLOCK_ROUTE.search(text) is not None)
            and _street_line_ends_cleanly(_BLOCK_PART_SEPARATOR.split(text, 1)[0]) and not _TICKET_WORD.search(text))


# Words of tickets, not of addresses, that a block without a full stop may run into ("Avenida Paulista,
# 1169 RFC 2616", "41 Rose Hill INC0012345").
_TICKET_WORD = re.compile(r"\b(?:RFC|FYI|INC|HTTPS?|API|URL|SSO|SLA|CVE|KB|ASAP|ETA|TBD|BTW|PTO|OOO|CRM|ERP|VPN|DNS|SSL|TLS"
                          r"|SQL|CSV|PDF|JSON|XML|UTC|GMT|IBAN|BIC|SSN|DOB|ORD|INV|REF|JIRA|CEO|CTO|CFO)\b|\b[A-Z]{2,}\d{4,}\b")


_BLOCK_PART_SEPARATOR = re.compile(r"[ \t]*(?:,|\n|[ \t][-–/](?=[ \t]))[ \t]*")
_ORDINAL = re.compile(r"\d{1,4}(?:st|nd|rd|th)")
_ACRONYM = re.compile(r"[A-Z]{3,}\d*")


def _street_line_ends_cleanly(line: str) -> bool:
    """Whether the first part of an address block, its street line, ends where a street line does
    and not in the sentence that goes on: no acronym in it ("41 Rose Hill RFC 2616", "1885 Sunset Blvd
    FYI"); where a number follows the name, a number ends the line, the house number's or a unit's
    ("Diagonal 9 N° 5359 Dto. 6"; not "Avenida Paulista 1169 Synced"); where the house number comes
    first, a last word that is a street type, a quarter or no everyday English word ("41 Rose Hill",
    "539 Pennsylvania Avenue NW"; not "12 Rue Saint-Honoré Reviewer")."""
    words = line.split()
    if any(_ACRONYM.fullmatch(word) for word in words):
        return False
    # house and unit numbers; not ordinals, which name streets ("70th Avenue"), nor a block or lot ("B25 L17")
    numbered = [i for i, word in enumerate(words) if word[0].isdecimal() and not _ORDINAL.fullmatch(word)]
    if not numbered or words[-1] in _COMPASS_POINTS:
        return True
    if numbered[-1] > 0 and numbered[-1] < len(words) - 1:
        return False  # words after a house number that follows the name
    if numbered[-1] == 0 and len(words) > 1:  # the house number first: "539 Pennsylvania Avenue", "41 Rose Hill"
        last = words[-1]
        return (last in USPS_STREET_SUFFIXES or _STREET_SUFFIX_WORD.fullmatch(last) is not None
                or last.casefold() not in _NameWords.load().everyday_english)
    return True


def _detectors(birth_years: tuple[int, int] | None = None) -> list[Detector]:
    # Order matters: earlier detectors claim their spans first (a card number
    # must not also be read as a phone number).
    lower_case_countries = "|".join(sorted(countries_and_states(), key=len, reverse=True))  # longest first
    uncued_birth_dates = [] if birth_years is None else [
        Detector("date_of_birth", UNCUED_DATE, validate=_date_in_years(*birth_years), not_after=ID_LABEL, needs=("19", "20"))]
    return [
        Detector("secret", re.compile(
            # Published prefixes of cloud and SaaS credentials (the formats secret scanners look for).
            r"\b(?:(?:AKIA|ASIA)[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{22,}|sk-[A-Za-z0-9_-]{20,}"
            r"|xox[abprse]-[A-Za-z0-9-]{10,}|xapp-\d-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{35}|ya29\.[A-Za-z0-9_-]{20,}"
            r"|[rsp]k_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}|glpat-[A-Za-z0-9_-]{20,}|glptt-[A-Za-z0-9_-]{20,}"
            r"|npm_[A-Za-z0-9]{36}|hf_[A-Za-z0-9]{30,}|pypi-[A-Za-z0-9_-]{50,}|dop_v1_[a-f0-9]{64}|shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"
            r"|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}|SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|r8_[A-Za-z0-9]{30,}"
            r"|AGE-SECRET-KEY-1[0-9A-Z]{50,}|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
            # Databricks, Postman, Grafana, HashiCorp Vault, Sentry, Figma, New Relic, Doppler, Linear,
            # Mailgun, Twilio, Atlassian, Notion, Dropbox, Terraform Cloud, Pulumi, Fly.io, Supabase.
            r"|dapi[a-f0-9]{32}(?:-\d)?|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|gl(?:c|sa)_[A-Za-z0-9_+/=-]{32,}|hv[sb]\.[A-Za-z0-9_-]{24,}"
            r"|sntry[us]_[A-Za-z0-9_+/=-]{30,}|figd_[A-Za-z0-9_-]{40,}|NRAK-[A-Z0-9]{27}|dp\.(?:st|ct|sa|pt)\.[A-Za-z0-9_.-]{40,}"
            r"|lin_(?:api|oauth)_[A-Za-z0-9]{40}|key-[a-f0-9]{32}|SK[a-f0-9]{32}|ATATT3[A-Za-z0-9_=-]{50,}|secret_[A-Za-z0-9]{43}"
            r"|sl\.[A-Za-z0-9_-]{100,}|[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}|pul-[a-f0-9]{40}|fo1_[A-Za-z0-9_-]{43}"
            r"|sbp_[a-f0-9]{40})"
        )),
        # Any long mixed letter-and-digit value right after "api key is", "token=",
        # "aws_secret_access_key =", "Bearer " ... (a cue may be part of a snake_case name, and
        # the value may be quoted: DB_PASSWORD='...').
        Detector("secret", re.compile(
            r"(?i:(?<![A-Za-z0-9])(?:(?:api|access|secret|licen[cs]e|private|client|subscription|master|encryption|signing"
            r"|account|app|service|product|heroku)[ _-]?key|secret|token|bearer|authorization:\s*basic)"
            r"(?![A-Za-z0-9])(?:\s+is)?(?:\s*[:=]\s*|\s+)[\"'`]?)([A-Za-z0-9_+/=.~-]{16,})"
        ), group=1, validate=_mixed_letters_and_digits, needs=("key", "secret", "token", "bearer", "basic")),
        # The password in a connection URI: "postgres://admin:S3cr3tPass@db.internal:5432/app".
        Detector("secret", re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@]+:([^\s@/]{3,128})@"), group=1,
                 validate=_no_placeholder, needs=("://",)),
        # A private key block in PEM form, whole (also when its line breaks are written "\n" in JSON).
        Detector("secret", re.compile(
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[A-Za-z0-9+/=\s\\:,]*(?:-----END [A-Z ]*PRIVATE KEY-----)?"
        ), needs=("private key",)),
        # Webhook URLs carry their secret in the path (Slack, Discord, Microsoft Teams).
        Detector("secret", re.compile(
            r"https://(?:hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_-]{20,}|(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\d+/[A-Za-z0-9_-]{20,}"
            r"|[a-z0-9-]+\.webhook\.office\.com/[A-Za-z0-9/@._-]{20,})"
        ), needs=("hooks.slack", "discord", "webhook.office")),
        # Digits-only secrets after their cue: a PIN, a passcode, a card's security code.
        Detector("secret", re.compile(
            r"(?i:(?<![A-Za-z0-9])(?:pin(?:[ _-]?code)?|passcode|cvv2?|cvc2?|security code)(?:\s+(?:is|was))?\s*[:=#]?\s*)(\d{3,8})(?![\w.])"
        ), group=1, needs=("pin", "passcode", "cvv", "cvc", "security code")),
        # Configuration keys named ...Key, ..._token, ...Secret, ..._key_id, in connection strings
        # ("AccountKey=...;") and JSON ("private_key_id": "..."), not in a URL template ("://apikey:").
        Detector("secret", re.compile(
            r"(?<![A-Za-z0-9/])[A-Za-z][A-Za-z0-9_-]*(?:[Kk]ey|KEY|[Tt]oken|TOKEN|[Ss]ecret|SECRET)(?:_?[Ii][Dd])?[\"']?"
            r"\s*[:=]\s*(?:([\"'`])([^\"'`\s]{16,256})\1|([A-Za-z0-9_+/=.~-]{16,}))"  # quoted: any characters
        ), group=(2, 3), validate=_mixed_letters_and_digits, needs=("key", "token", "secret")),
        # Any other random-looking token: 20+ characters mixing upper- and lower-case letters and
        # digits, with high character entropy (a request id is masked too; prose never is).
        Detector("secret", re.compile(r"[A-Za-z0-9_+=/.-]{19,}[A-Za-z0-9_+=/-]"), validate=_random_token),
        # A password is shorter: 6 to 64 characters with letters and digits, symbols allowed
        # ("Password: b0hkRh5G8o!", '"password": "b0hkRh5G8o!"'); a sentence's closing
        # punctuation is not part of it, and a value running into "/" or "<" is a URL or markup
        # placeholder ("scheme://password:login/").
        Detector("secret", re.compile(
            rf"(?i:(?<![A-Za-z0-9])(?:{PASSWORD_CUE})(?![A-Za-z0-9])[\"']?(?:\s+is)?(?:\s*[:=]\s*|\s+)[\"'`]?)"
            r"([^\s\"'`<>/]{5,63}[^\s\"'`<>/.,;:!?)])(?=[.,;:!?)]*(?:[\s\"'`]|$))"
        ), group=1, validate=_mixed_letters_and_digits,
            needs=("pass", "pwd", "kennwort", "mot de passe", "contrase", "senha", "wachtwoord", "parola")),
        Detector("email", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
        # Written out against scrapers: "maria(at)example(dot)com", "maria.lopez AT example DOT com",
        # "maria.lopez at example.com" (a plain " at " only after an address-like name: not "look at example.com").
        Detector("email", re.compile(
            rf"(?<![\w.+-])[A-Za-z0-9._%+-]+\s*(?:{_bracketed('at')}|\s(?:AT|at)\s)\s*[A-Za-z0-9-]+"
            rf"(?:\s*(?:{_bracketed('dot')}|\s(?:DOT|dot)\s|\.)\s*[A-Za-z0-9-]+)*\s*(?:{_bracketed('dot')}|\s(?:DOT|dot)\s|\.)\s*[A-Za-z]{{2,}}\b"
        ), validate=_spelled_out_email, needs=("at",)),
        Detector("iban", re.compile(  # compact, or in groups of four (the last group shorter)
            r"\b(?:[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,3})?|(?:-[A-Z0-9]{4}){2,7}(?:-[A-Z0-9]{1,3})?)"
            r"|[a-z]{2}\d{2}[a-z0-9]{11,30})\b"),
            validate=iban_valid,
            grouped=True),
        # Not after "+" (a phone number) and not into "192.168..." (an IP address after the card).
        Detector("credit_card", re.compile(r"(?<![\w+-])\d(?:[ -]?\d){12,18}(?![\w-]|\.\d)"), validate=_card_valid,
                 grouped=True),
        Detector("credit_card", re.compile(r"(?<![\w+.-])\d{4}\.\d{4}\.\d{4}\.\d{1,7}(?![\w-]|\.\d)"), validate=_card_valid),
        # Maestro cards may have 12 digits: Luhn-valid after a card cue ("my card 503871052869", "The
        # card ending in my account is 503830348424", "card 5038 3034 8424"), a few words before them at most.
        Detector("credit_card", re.compile(
            r"(?=[cCmM])(?i:\b(?:card|cc|maestro)(?:\s+(?:number|no\.?|#))?(?:[ \t]+[a-z']+){0,5}?\s*[:#]?\s*)"
            r"(\d{12}|\d{4}([ -])\d{4}\2\d{4})(?![\w-]|\.\d|[ -]\d)"
        ), group=1, validate=_luhn_valid_in_groups, needs=("card", "cc", "maestro")),
        # After "SSN" or "social security number" the groups may be spaced or run together.
        Detector("ssn", re.compile(
            r"(?=[sS])(?i:\b(?:ssn|social security(?:\s+(?:number|no\.?|#))?)(?:\s+(?:is|was))?[\s:#-]*)(\d{3}([ -]?)\d{2}\2\d{4})(?![\w-])"
        ), group=1, validate=_ssn_valid),
        Detector("ssn", re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])"), validate=_ssn_valid),
        Detector("ip_address", re.compile(
            r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.]*\d)|(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"
        ), validate=_ip_valid, not_after=ID_LABEL),
        # A date after a birth cue in English, German, French, Spanish, Italian, Portuguese or Dutch,
        # perhaps with a format hint ("DOB (MM/DD/YYYY):"); the day may carry an ordinal ("27th",
        # "3.") and the month may be a word or an abbreviation.
        Detector("date_of_birth", re.compile(
            rf"(?=[bdfgnBDFGN])(?i:(?<![A-Za-z0-9])(?:{BIRTH_CUE})(?:\s*\([^()]{{1,20}}\))?[\"']?(?:\s+(?:is|was|=))?(?:\s+on)?[:=\s-]+[\"']?)"
            rf"(\d{{1,4}}[./-]\d{{1,2}}[./-]\d{{1,4}}|(?:the\s+)?{DAY}(?:\s+(?:of|de))?(?:\s+|-){MONTH},?(?:\s+de)?(?:\s+|-)(?:\d{{4}}|\d{{2}})(?!\d)"
            rf"|{MONTH}\s+{DAY},?\s+\d{{4}}|{COMPACT_DATE}|\d{{1,2}}\s\d{{1,2}}\s(?:19|20)\d{{2}}(?!\d)|{COMPACT_MONTH_DATE})"
        ), group=1),
        *uncued_birth_dates,
        # A postcode after its label ("zip code 94110", "CEP 01310-100"), before the phone rules take it.
        Detector("street_address", _LABELLED_POSTCODE, group=1, not_after=ID_LABEL,
                 needs=("zip", "post", "plz", "cep", "cap", "code", "pin")),
        Detector("street_address", _TOWN_STATE_ZIP, group=1, needs_match=re.compile(r"(?:[A-Z]|[a-z][a-z]),?[ \t]+\d{5}(?!\d)")),
        # Digits written without separators ("0612345678") are a phone only after a phone cue.
        Detector("phone", re.compile(
            rf"(?=[{PHONE_CUE_FIRST_LETTERS}])(?i:\b(?:(?:{PHONE_CUE})\.?(?:\s+(?:no\.?|number|#)|\s*#)?{_AFTER_PHONE_CUE}(?:[\"']?\s*[:.=-]\s*[\"']?|\s+|(?<=#))"
            rf"|(?:{PHONE_VERB}){_AFTER_PHONE_CUE}\s+)"
            rf"(?:(?:on|at)\s+)?)(\+?(?:\(\d{{1,5}}\)[ \t.-]?)?\d{{1,15}}(?:[ \t.-]\d{{2,8}}(?!\.\d)){{0,5}}{PHONE_EXTENSION})(?![\w-])"
        ), group=1, validate=_cued_phone_valid, cut_before_next_value=True),
        # A number that the words after it name a phone ("96 63 21 is my cell", "75 670 362 (mobile)").
        Detector("phone", re.compile(
            rf"(?<![\w.,/+-])(\+?(?:\(\d{{1,5}}\)[ \t.-]?)?\d{{1,15}}(?:[ \t.-]\d{{2,8}}){{0,5}}{PHONE_EXTENSION})"
            rf"(?=[ \t]*\((?i:{_PHONE_KIND})\)|[ \t]+(?i:is|was)[ \t]+(?i:my|our|his|her|their)[ \t]+(?i:{_PHONE_KIND})\b)"
        ), group=1, validate=_cued_phone_valid, not_after=ID_LABEL, needs=("(", " is ", " was ")),
        # A label that names a line of a contact card, with its colon ("Home: 96 63 21", "Hotline: ...",
        # "Contact no. 75 670 362"), or one letter for it at the start of a line or after a bracket
        # ("H: 96 63 21", "(M) 75 670 362").
        Detector("phone", re.compile(
            rf"(?=[hwmoecsprtHWMOECSPRT(])(?:(?i:\b(?:{PHONE_LABEL})\s*#?\s*:|\bcontact\s+(?:no\.?|number|#)\s*:?)"
            rf"|(?:^|(?<=[\n|;(]))[ \t]*[HWMPT]\s*:|\([HWM]\))[ \t]*"
            rf"(\+?(?:\(\d{{1,5}}\)[ \t.-]?)?\d{{1,15}}(?:[ \t.-]\d{{2,8}}(?!\.\d)){{0,5}}{PHONE_EXTENSION})(?![\w-])"
        ), group=1, validate=_cued_phone_valid, cut_before_next_value=True, not_after=ID_LABEL,
            needs=(":", "(h)", "(w)", "(m)", "contact")),
        # A short spaced number in a sentence about phones, after or before the word.
        Detector("phone", re.compile(
            rf"(?i:\b(?:{PHONE_SENTENCE_WORD})\b)[^.!?\n\d]{{0,{PHONE_SENTENCE_REACH}}}?{_SHORT_SPACED_PHONE}"
            rf"|{_SHORT_SPACED_PHONE}(?=[^.!?\n\d]{{0,{PHONE_SENTENCE_REACH}}}?(?i:\b(?:{PHONE_SENTENCE_WORD})\b))"
        ), group=(1, 2), validate=_cued_phone_valid, not_after=SHORT_PHONE_NOT_AFTER, needs_match=re.compile(_SHORT_SPACED_PHONE)),
        # An area code after a trunk 0 and a slash, as in Germany, Austria, Belgium and Hungary
        # ("0732/77588814", "06-55/696 3279", "(28)/667-5347", "(06)73/924-1968", "06/ 193 07 33"), and
        # a Hungarian area code without its trunk in that shape only ("51/838 0125").
        Detector("phone", re.compile(
            # not the last group of one phone and the first of the next ("770 341 004/770 341 004")
            r"(?<![\w.,/+-])(?<!\d[ \t])(?:(?:0\d{1,4}(?:-\d{1,2})?|\(\d{1,4}\)\d{0,3})/[ \t]?\d{2,8}(?:[ \t-]\d{2,8}){0,2}"
            r"|[1-9]\d/\d{3}[ -]\d{4})(?![\w/-]|\.\d)"
        ), validate=_compact_phone_valid, not_after=ID_LABEL, needs=("/",)),
        # "+" or "00" before the country code ("0031 6 12345678"). 0\d{4,5}: trunk 0 and a four- or
        # five-digit area or mobile code (UK 07700, Germany 036020). A space-separated group followed by ".digit" starts the
        # next value (an IP address, a version), not a phone group. No phone runs over a line
        # break ("Pastierska 20\n890 99 Brhlovce" is a street and a postcode).
        Detector("phone", re.compile(
            r"(?<![\w-])(?<!\d\.)(?:(?:\+|00)\d{1,3}[ \t.-]?|\(\+\d{1,3}\)[ \t]?|[18][ \t](?=\())?(?:\(\d{1,5}\)[ \t.-]?)?(?:0\d{4,5}|\d{1,5})(?:[.-]\d{2,8}|[ \t]\d{2,8}(?!\.\d)){1,4}"
            rf"{PHONE_EXTENSION}(?![\w-])"
        ), validate=_phone_valid, cut_before_next_value=True, not_after=ID_LABEL),
        # With a country code, or an area code in brackets, the rest may be written without
        # separators ("+39 3512830161", "+(371) 26018159", "(+358) 091390996", "+49(0)9139099603",
        # "(020)74960083", "(351) 911860913").
        Detector("phone", re.compile(
            r"(?<![\w+])(?:(?:\+[ \t]?\(?\d{1,4}\)?|\(\+\d{1,4}\)|00\d{1,3})[ \t.-]?(?:\(0\)[ \t]?)?(?:\(\d{1,5}\)[ \t.-]?)?"
            r"|(?<![\d.])\(\d{1,5}\)[ \t.-]?)\d{5,14}(?![\w-]|[.-]\d|[ \t]\d(?!\d{0,4}[ \t]+[^\W\d_]{2}))"
        ), validate=_compact_phone_valid, not_after=ID_LABEL),
        # A number written in one run is a phone without a cue only in the shapes national plans
        # give it: a trunk 0 and 9 or 10 more digits ("0492778794", "05769908541"), or a North
        # American area code and exchange ("2385178057"), and not after an identifier's label ("PO
        # 0123456789"), nor starting with a date ("2024011512"), nor a value in code after "=" or
        # "[" ("used=4809781248, free=..."). A comma and a space may follow ("0612345678, 0698765432").
        Detector("phone", re.compile(
            r"(?<![\w.,/+=\[-])(?:0[1-9]\d{8,9}|[2-9](?!11)\d\d[2-9]\d{6})(?![\w/-]|[.,]\d)"
        ), validate=_compact_national_phone, not_after=ID_LABEL),
        # A street corner: "the corner of Avenida Noruega 42 and Egede Stravenue", "the corner of Trg
        # revolucije 12 and Ahtisaari Stream", "the corner of ysitie 30 and elżbieta inlet". The cue
        # is masked with the streets, so the text reads "meet me at <ADDRESS>". Lower-case words
        # count where a house number is written and the clause ends after the second street.
        Detector("street_address", re.compile(
            rf"(?=[Tt])\b(?i:the corner of)[ \t]+(?:{_CORNER_STREET}[ \t]+and[ \t]+{_CORNER_STREET}"
            rf"|(?:{_ANY_CORNER_STREET})[ \t]+and[ \t]+(?:{_ANY_CORNER_STREET}){_CLAUSE_END})"
        ), validate=_corner_of_streets, needs=("corner of",)),
        # A street name in its own language with its house number, then an English street type a
        # writer added, after a preposition ("enter on Brisas 6802 St.", "lives on rua mina 50 street",
        # "refers to Masina 49 street in", "off at 876 Király u. 23. St.").
        Detector("street_address", re.compile(
            rf"\b(?:on|at|to|of|in|is)[ \t]+((?:\d{{1,6}}[ \t]+)?{_ANY_STREET_AND_NUMBER}\.?"
            # (not a saint's "St." before a street's name: "1402 St. John Street")
            rf"[ \t]+(?:[Ss]treet|[Ss]t\.(?![ \t]+[{CAPITAL}][\w'’-]+[ \t]+{STREET_SUFFIX}))(?![\w-]))"
        ), group=1, validate=_street_words, needs=("street", "st.")),
        # A street and house number on one side of it ("He lives on the north side of Karlsängen 49.").
        Detector("street_address", re.compile(
            rf"\b(?i:north|south|east|west)(?:ern)?[ \t]+side[ \t]+of[ \t]+({_ANY_STREET_AND_NUMBER})"
            rf"(?:{_CLAUSE_END}|(?=[ \t]+[a-z]))"
        ), group=1, validate=_street_words, needs=("side of",)),
        # A whole postal address written in lower case, as chat writes it: a house number, street words
        # and perhaps a second number, then a unit or parts after commas or line breaks, ending in a country,
        # a unit or a postcode ("37628 aðalgata 37 suite 204, recife, brazil", "0179 lumbyholmvej 11,
        # gorgoglione, italy", "241 via carlo cattaneo 130\n??? suite 743\n??? burgos\n??? italy 68955").
        Detector("street_address", re.compile(
            rf"(?<![\w.,-])\d{{1,6}}(?:[ \t]+{_LOWER_ADDRESS_WORD}\.?){{1,4}}(?:[ \t]+\d{{1,5}}[a-z]?\.?)?"
            rf"(?:{_LOWER_ADDRESS_SEPARATOR}{_LOWER_UNIT_WORD}\.?[ \t]*\d{{1,5}})?"
            rf"(?:{_LOWER_ADDRESS_PART}{{0,3}}{_LOWER_ADDRESS_SEPARATOR}(?:{lower_case_countries})(?:[ \t]+\([a-z ]+\))?"
            rf"(?:[ \t]+\d{{4,6}})?(?![\w-])|{_LOWER_ADDRESS_PART}{{1,4}}{_CLAUSE_END})"
        ), validate=_lower_case_postal_address, needs=("apt", "suite", "unit", "flat", ",", "\n")),
        # After "address:" a house number starts a street written in lower case ("his address: 1138 92
        # vasileos pavlou str", "address: 52717 nánási út 72.") that ends the clause.
        Detector("street_address", re.compile(
            rf"(?=[Aa])(?i:address)[ \t]*:[ \t]*(\d{{1,6}}(?:[ \t]+\d{{1,5}}[A-Za-z]?)?(?:[ \t]+{LOWER_CASE_NAME_WORD}\.?+){{1,4}}(?:[ \t]+\d{{1,5}}[A-Za-z]?\.?)?)"
            rf"{_CLAUSE_END}"  # an abbreviation keeps its full stop: "97059 ul. Okrąg 47" is no "97059 ul"
        ), group=1, validate=_street_words, needs=("address",)),
        # Split by how the address starts, so that each pattern begins with something the regex
        # engine can skip to fast: a house number, a street type, a capitalised name, "PO Box". A
        # street's name stays on its line ("3 Anne Street\nSt. Erin": "St." starts the town).
        Detector("street_address", re.compile(
            # A street type that may come first is tried first: "55 Avenue du Golf Arabe", not "55 Avenue".
            # (after a comma, not a street type alone: "88, St Catharines" is a house number and a town)
            rf"\b\d{{1,5}}[A-Za-z]?(?:,[ \t](?!{STREET_SUFFIX}(?=\W|$))|[ \t])(?:(?i:{STREET_PREFIX})(?:[ \t]{STREET_NAME_WORD}){{5,6}}[ \t]\d{{1,5}}\b"
            rf"|(?i:{STREET_PREFIX})(?:[ \t]{STREET_NAME_WORD}){{1,4}}(?<=[\w.])"  # five or six words only before the street's own number
            rf"|(?:(?:(?:St\.[ \t]?|Ste?-)?[A-Z][a-z]+(?:[A-Z][a-z]+)?(?:['’]s)?|\d{{1,3}}(?:st|nd|rd|th)|(?:[NSEW]|NE|NW|SE|SW)\.?|[A-Z]\.)[ \t]){{0,3}}"
            rf"{STREET_SUFFIX}(?=\W|$))"  # "1819 St. John Street", "2858 St-Jerome Street", "184 G. Seferi Street"
        ), cut_before_next_value=True),  # "Rue des Écoles IBAN DE89...": the name words stop before the IBAN
        # A cross street named by a word alone, after "to", "at", "is" or a colon, with a house number
        # on the street and the clause ending after it ("a taxi to Kasey and Ilichova 26.", "Address:\n
        # Vilmundína and 14 Spencer Street."). The word must be no core English word ("to Paris and 3 others").
        Detector("street_address", re.compile(
            rf"(?:\b(?:to|at|is|in|on|with)[ \t]+|:[ \t]*(?:\n[ \t]*){{0,2}})((?:{NAME_WORD}|{LOWER_CASE_NAME_WORD})[ \t]+and[ \t]+"
            rf"(?:(?:\d{{1,6}}[ \t]+)?(?:(?:{STREET_NAME_WORD}|{LOWER_CASE_NAME_WORD})[ \t]+){{1,3}}\d{{1,5}}[A-Za-z]?"
            rf"|\d{{1,6}}(?:[ \t]+(?:{STREET_NAME_WORD}|{LOWER_CASE_NAME_WORD})){{1,3}}))(?:{_CLAUSE_END}|(?=[ \t]+(?:in|for|after|before|by|on)\b))"
        ), group=1, validate=_cross_street, needs=(" and ",)),
        # The number after the street, as in much of Europe and Asia: "Oxford St 12", "Baker Street 221b".
        Detector("street_address", re.compile(
            r"(?=[A-Z])\b(?:[A-Z][a-z]+\s){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|Lane|Drive|Boulevard|Blvd\.?)"
            r"\s\d{1,3}[A-Za-z]?\b(?![.,]?\d)"
        ), needs=("street", "st", "road", "rd", "avenue", "ave", "lane", "drive", "boulevard", "blvd")),
        # Colombian and other grid addresses: "Calle 72 #10-34", "Carrera 7 No. 71-21", "Cra. 15 # 93-47".
        Detector("street_address", re.compile(
            r"(?=[ACDKT])\b(?:Avenida\s(?i:calle|carrera)\s|Calle|Carrera|Cra\.?|Cr\.|Kra\.?|Cl\.?|Avenida|Av\.?|Diagonal|Dg\.?"
            r"|Transversal|Tv\.?|Tr\.)\s?\d{1,3}(?:ª|\s?[A-Z])?(?:\s?[Bb]is(?:\s[A-Z]\b)?)?(?:\s(?:Sur|Este|Norte|Oeste)\b)?"
            r"\s?(?:#|No\.?|N[º°o]\.?)\s?\d{1,3}\s?[A-Z]?\s?-\s?\d{1,3}\b(?:\s(?:Sur|Este|Norte|Oeste)\b)?"  # "Cr. 62 # 79-8 Sur"
        ), needs=("#", "no", "nº", "n°")),
        # A block and a lot, as the Philippines writes an address ("Block 01 Lot 08 Young Homes, Davis
        # Road", "B09 L89 Milflower Village 8, Palali Road"), with the subdivision's name up to the comma.
        Detector("street_address", re.compile(
            rf"(?=[Bb])\b(?:(?:Block|Blk\.?)[ \t]?\d{{1,3}}[A-Za-z]?[ \t]+(?:Lot|Lt\.?)[ \t]?\d{{1,3}}[A-Za-z]?(?:[ \t]+{_UNIT_ANCHOR_WORD}){{0,5}}"
            rf"|B\d{{1,3}}[ \t]L\d{{1,3}}(?:[ \t]+{_UNIT_ANCHOR_WORD}){{1,5}})(?:[ \t]+\d{{1,4}})?(?=,)"  # not cells: "B12 L34, check"
        ), needs=("block", "blk", "b")),
        # A street of one to three words with its number and a flat or office after it, as Chile and
        # Argentina write an address without a street type ("Caupolicán 817 Of. 392", "Lautaro 790 Piso
        # 9"): the Spanish unit says it is an address; not all everyday English words ("Windows 11 Local 3").
        Detector("street_address", re.compile(
            rf"(?<![\w'’-])[{LATIN_CAPITALS}][\w'’-]+(?:[ \t]+[{LATIN_CAPITALS}][\w'’-]+){{0,2}}[ \t]+\d{{1,5}}(?=[ \t]+"
            r"(?:Of|Oficina|Piso|Depto|Dpto|Dto|Apto|Interior|Local|Casa)\.?[ \t]?\d{1,5}\b)"
        ), validate=_street_after_cue, needs=("of", "piso", "dpto", "dto", "apto", "interior", "local", "casa")),
        # A house number, a comma and a street, as Malaysia writes an address ("No. 36, Jalan Alor 4,
        # Medan Belakong, ...", "5-6, Jalan 4/16, USJ 66, ...", "7, Jln Ampang Hilir 9/9i, ...").
        Detector("street_address", re.compile(
            r"(?<![\w.,/-])(?:No\.?[ \t]?)?(?=[\w-]*\d)[\dA-Za-z]{1,3}(?:-\d{1,2}){0,2},[ \t]+(?:Jalan|Jln\.?|Lorong|Lrg\.?|Persiaran|Lebuh)"
            r"(?:[ \t]+[A-Z][\w'’-]*){0,4}(?:[ \t]+\d{1,3}(?:/\d{1,3})?[A-Za-z]?)?(?<![ \t]Jalan)(?<![ \t]Jln)(?<![ \t]Lorong)(?=,)"
        ), needs=("jalan", "jln", "lorong", "lrg", "persiaran", "lebuh")),
        # A house, building or holding number, as South Asia writes an address ("House No. 25, New
        # MohammadGhat, AlamChar, Barguna, 4981", "H.No. 416, Cherian Street"), after a flat or studio.
        Detector("street_address", re.compile(
            r"(?=[AFSHBP])\b(?:(?:Apartment|Flat|Studio|Apt\.?)\s\d{1,5}[A-Za-z]?,\s)?"
            r"(?:(?:House|Building|Holding|Plot)\sNo\.?|H\.\s?No\.?)\s?\d{1,5}[A-Za-z]?(?:/\d{1,5})?(?=,[ \t]*[A-Z])"
        ), needs=("no",)),
        Detector("street_address", re.compile(
            rf"(?=[{STREET_PREFIX_BEFORE_NUMBER_FIRST_LETTERS}])\b(?i:{STREET_PREFIX_BEFORE_NUMBER}){_NAME_AND_HOUSE_NUMBER_AFTER_TYPE}"
        )),
        # A street without a house number, named after a person as US streets are, where a place is
        # said ("He lives on Pinto Parkway.", "early shows on Kurbus Crest Street", "Turn left at Hansen
        # Views"): "on", "at", "off", "along", "down", "onto" or "near" before it, and a known name, one
        # shaped like a name or no core English word before the street type.
        Detector("street_address", re.compile(
            rf"(?<![\w'’-])(?:on|at|off|along|down|onto|near)[ \t]+"
            rf"((?:{NAME_WORD}[ \t]){{1,2}}?(?:{_USPS_STREET_SUFFIX}))"
            rf"(?:[ \t](?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?))?"  # a template's own word after the name: "Kurbus Crest Street"
            rf"(?![\w'’-]|[ \t]+[{CAPITAL}0-9])"
        ), group=1, validate=_street_named_after_a_person, needs=("on ", "at ", "off ", "along ", "down ", "onto ", "near ")),
        # A building's number and a street's, then a street named after a person as US streets are
        # ("911 95 Dora Creek\nEdenvale"): two numbers say an address where the type is an everyday word.
        Detector("street_address", re.compile(
            rf"(?<![\w.,/-])\d{{1,5}}[ \t]+\d{{1,5}}[ \t]+((?:{NAME_WORD}[ \t]){{1,2}}?(?:{_USPS_STREET_SUFFIX}))\b"
            rf"(?=[ \t]*(?:[\n,]|$)|[ \t]+{_UNIT})"
        ), validate=_two_numbers_and_a_street_named_after_a_person),
        # A street and its number where a sentence places something ("The new office is on Vana-Viru 25.",
        # "Turn right onto Zona Estação 75 and park", "The restaurant is at Östanlid 36"): not everyday
        # words only ("is on Windows 10", "is at Level 3"), and one word alone spelt as a street abroad
        # is or hyphenated (``_placed_street``: not "is on Ubuntu 22").
        Detector("street_address", re.compile(
            rf"\b(?:(?:is|are|was|were|located|situated|lies|moved)[ \t]+(?:on|at)|onto|(?:[Tt]urn|[Gg]o|[Hh]ead|[Ww]alk|[Dd]rive)"
            rf"(?:[ \t]+(?:left|right))?[ \t]+(?:on|onto|into|down|up|along))[ \t]+"
            rf"((?:{STREET_NAME_WORD}[ \t]){{1,3}}{HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?)\b(?![.,]?\d)"
            rf"(?=[ \t]*(?:[.,;:!?)\n]|$)|[ \t]+(?:and|in|for|after|before|by|near|next|since)\b)"
        ), group=1, validate=_placed_street, needs=(" on ", " at ", "onto", " into ", " down ", " up ", " along ")),
        # A street of one or two words and its number after a word of place, with no cue of an address
        # ("pick me up from Ártún 55.", "close to Haugesmauet 22,"): only words spelt as streets abroad
        # are (``_street_words_no_language_uses``: "Ubuntu 22", "Windows 10" and other products stay).
        Detector("street_address", re.compile(
            rf"(?<![\w'’-])(?:on|at|from|near|to|off|along|by)[ \t]+((?:{STREET_NAME_WORD}[ \t]){{1,2}}{_NOT_A_YEAR}\d{{1,5}}[A-Za-z]?)\b(?![.,:]?\d)"
            rf"(?=[ \t]*(?:[.,;:!?)\n]|$)|[ \t]+(?:in|and|for|after|before|since|instead|right|next|near)\b)"
        ), group=1, validate=_street_words_no_language_uses, needs=(" on ", " at ", " from ", " near ", " to ", " off ", " along ", " by ")),
        # A Slovenian or Croatian square named by a word in lower case ("Trg revolucije 59", "Trg svobode 3").
        Detector("street_address", re.compile(r"\bTrg(?:[ \t][a-zčćšžđ]{3,}){1,2}[ \t]\d{1,4}[A-Za-z]?\b(?![.,]\d)"), needs=("trg",)),
        Detector("street_address", re.compile(rf"\b(?i:{_REGIONAL_STREET_PREFIX}){_NAME_AND_HOUSE_NUMBER_AFTER_TYPE}"),
                 needs=tuple(prefix.lower() for prefix in REGIONAL_STREET_PREFIXES)),
        Detector("street_address", re.compile(
            # The lookahead (a capital, and a house number within the next three words) skips most words fast.
            r"(?=[A-ZÄÖÜÅØÆÀ-ÞČŠŽŘĽŤĎŇΑ-ΩΆ-Ώ])\b(?=\S+\s(?:\S+\s){0,2}\d)(?:"
            r"(?:[A-ZÄÖÜ][a-zäöüß]+-)*[A-ZÄÖÜÅØÆ][a-z\u00DF-\u00FF]+(?:straße|strasse|weg|gasse|platz|allee|ring|damm|straat|laan"
            r"|gatan|vägen|gade|gaden|vej|vejen|veien|gata|gate|torv|torget|katu|tie|utca|gracht|kade|singel|plein|dijk|str\.?|gt\.)"  # Hauptstr. 16, Storgt. 5
            r"\s\d{1,4}[A-Za-z]?\b"
            # Nordic, Dutch and Finnish street words, and Slavic street names, which are adjectives
            # ("Clematisvænget 70", "Hamarstígur 11", "Hulsterdreef 100", "Harjukuja 9", "Dalmatinova 35", "Školní 296")
            r"|[A-ZÄÖÜÅØÆÀ-ÞČŠŽŘĽŤĎŇ][a-z\u00DF-\u024F]+(?:vænget|stræde|vangen|vegen|vegur|stígur|braut|dreef|baan|haven|steeg|kuja|polku"
            r"|rinne|ova|ská|ní|ého)"
            r"\s\d{1,4}[A-Za-z]?\b"
            # Karl-Marx-Allee 33, Berliner Str. 5, Alte Gasse 3
            r"|(?:[A-Z][a-zäöüß]+-)+(?:Straße|Strasse|Str\.|Weg|Gasse|Platz|Allee|Ring|Damm)\s\d{1,4}[A-Za-z]?\b"
            r"|[A-ZÄÖÜ][a-zäöüß]+\s(?:Straße|Strasse|Str\.|Gasse|Platz|Allee|Chaussee|Ufer)\s\d{1,4}[A-Za-z]?\b"
            # Váci utca 10, Andrássy út 5, Karl Johans gate 5, Olaf Aakranns veg 112, Brīvības iela 12, Kase põik 91
            r"|(?:[A-ZÀ-Þ][a-z\u00DF-\u024F]+\s){1,2}(?:utca|u\.|út|útja|tér|körút|rakpart|fasor|sétány|gate|gata|vei|veg|vej|gade"
            r"|põik|maantee|puiestee|väljak|iela|gatvė|náměstí|třída|nábřeží|námestie|gränd|torg|plads|plass|stræde|vegur|stræti)"
            r"\s\d{1,4}[A-Za-z]?\b"
            # Greek street names, in the genitive or after an abbreviation ("Ηλίου 64", "Λ. Μιχαλακοπούλου 160")
            r"|(?:(?:Λ|Αγ|Πλ|Οδ)\.?\s)?(?:[Α-ΩΆ-Ώ][α-ωά-ώ]+\s)?[Α-ΩΆ-Ώ][α-ωά-ώ]+(?:ου|ων|ας|ης|ους)\s\d{1,4}[A-Za-z]?\b"
            # after an abbreviated "avenue" or "square" any Greek name ("Λεωφ. Ποσειδώνος 30", "Λ. Πειραιώς 188")
            r"|(?:Λεωφ|Λ|Πλ)\.\s(?:[Α-ΩΆ-Ώ][α-ωά-ώ]+\s)?[Α-ΩΆ-Ώ][α-ωά-ώ]+\s\d{1,4}[A-Za-z]?\b)"
        )),
        # A street in Greek script: one or two Greek words and a house number, perhaps after "Αγ."
        # (saint), "Πλ"/"πλατεία" (square), "Λεωφόρος" (avenue), "οδός" (street) or "χλμ" (km):
        # "Ποσειδώνος 254", "Μεγάλη Άμμος 184", "Αγ. Ανδρέα 130", "πλατεία Καραισκάκη 262". Not a
        # chapter, page, version or room ("Κεφάλαιο 5", "Έκδοση 2").
        Detector("street_address", re.compile(
            r"(?=[Α-ΩΆ-Ώπολχ])(?<![\w.])(?:(?:Αγ|Πλ|Οδ|Λ|Λεωφ|χλμ)\.?[ \t]|(?:πλατεία|Πλατεία|οδός|Οδός|Λεωφόρος|λεωφόρος)[ \t])?"
            r"(?:[Α-ΩΆ-Ώ][α-ωά-ώϊΐϋΰ]+[ \t])?[Α-ΩΆ-Ώ][α-ωά-ώϊΐϋΰ]{3,}[ \t]\d{1,4}[A-Za-zΑ-Ωα-ω]?\b(?![.,]\d)"
        ), validate=_greek_street),
        # After an address cue any street name counts, also one without a street type ("Address -
        # Gran Vía 46", "moved to Unter den Linden 57"): two to four name words and a house number,
        # either order; after a house number, or before a postcode and town, one name word will do
        # ("based at 23 Kingsway").
        Detector("street_address", re.compile(
            rf"(?=[{ADDRESS_CUE_FIRST_LETTERS}])(?<![A-Za-z])(?i:{by_first_letter(ADDRESS_CUE)})(?:\s*[:=(-]\s*|\s+)"
            rf"(?:(?:is|was|is now|to)[ \t]+)?(?:{_CORNER_NAME_AND}|{_UNIT},[ \t]+)?((?:{STREET_NAME_WORD}[ \t]){{2,4}}{HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?\b(?![.,]?\d)"
            rf"|\d{{1,5}}[A-Za-z]?(?:[ \t]\d{{1,5}}(?=[ \t]+[{CAPITAL}]))?,?(?:\s{STREET_NAME_WORD}){{1,4}}(?<=[\w.])(?:[ \t]\d{{1,5}}[A-Za-z]?\b(?![.,:]?\d)(?=[ \t]*(?:[.,;:!?)\n]|$)|[ \t]+[a-z]))?"  # "left it at 7496 Kaevu 94"
            # a street with its own number, then the building's ("Ship it to Clius 145 6222.", "Vostelčická 812 635")
            rf"|(?:{STREET_NAME_WORD}[ \t]){{1,3}}\d{{1,5}}[ \t]\d{{1,5}}(?=[ \t]*(?:[.,;:!?)\n]|$))"
            # one name word and a house number before ", postcode Town" ("Pedersentjernet 7, 3082 Jørgensen")
            rf"|{STREET_NAME_WORD}[ \t]\d{{1,5}}[A-Za-z]?(?=,[ \t]*\d{{4,5}}[ \t]+[{CAPITAL}])"
            # ... or before ", Town" that ends the clause ("moved to Männi 12, Mustoja"; not "moved to Python 3.")
            rf"|{STREET_NAME_WORD}[ \t]\d{{1,5}}[A-Za-z]?(?=,[ \t]*{_PLACE_WORDS}(?:{_CLAUSE_END}|[ \t]+[a-z])))"
        ), group=1, validate=_street_after_cue, needs=ADDRESS_CUE_NEEDS),
        # A house number, a street name of any type and a second house number, where a place is
        # named ("meet at 692 Koidu 26", "is at 632 Ctra. Bailén-Motril 84,"): two numbers around
        # the name say an address. Not when every word is an everyday English word ("at 3 Pixel 7").
        Detector("street_address", re.compile(
            rf"(?:(?:at|to|on|in|is)(?<![\w'’-]..)[ ]|(?:near|from)(?<![\w'’-]....)[ ]|[:,][ ]|\n|^)"  # literals first: the engine skips to them fast
            rf"(\d{{1,6}}[ \t]+{_UNIT_ANCHOR_WORD}(?:[ \t]+(?:{_UNIT_ANCHOR_WORD}|{LOWER_CASE_NAME_WORD})){{0,3}}[ \t]+\d{{1,5}}[A-Za-z]?)"
            rf"(?=\.?[ \t]*(?:[\n,]|[.?!;:](?:\s|$)|$)|[ \t]+{_UNIT})"
        ), group=1, validate=_street_between_numbers),
        # After a cue that can only introduce a place ("address:", "live at", "ship to", "the old address,"), one street
        # word and a house number will do, perhaps with a lower-case street word ("live at Männi 12,
        # Mustoja", "Karu põik 61"), when the line or clause ends after it or the sentence goes on
        # in lower case ("meet me at Männi 12 tomorrow").
        Detector("street_address", re.compile(
            rf"(?=[{STRONG_ADDRESS_CUE_FIRST_LETTERS}])(?<![A-Za-z])(?i:{by_first_letter(STRONG_ADDRESS_CUE)})(?:\s*[:=,(-]\s*|\s+)(?:(?:is|was)[ \t]+)?"
            rf"{_CORNER_NAME_AND}?({STREET_NAME_WORD}(?:[ \t]{LOWER_CASE_NAME_WORD}\.?)?[ \t]{HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?\.?)"
            rf"(?=[ \t]*(?:[\n,]|[.?!;](?:\s|$)|$)|[ \t]+[a-z])"
        ), group=1, validate=_street_after_cue, needs=STRONG_ADDRESS_CUE_NEEDS),
        # A flat or suite alone after an address cue or where someone lives ("I moved into Apt. 584 last
        # week", "deliver to Suite 300"): with the rest of a record it narrows a person down to one door.
        Detector("street_address", re.compile(
            rf"(?=[{STRONG_ADDRESS_CUE_FIRST_LETTERS}mohtMOHT])(?<![A-Za-z])(?i:{by_first_letter(STRONG_ADDRESS_CUE)}|liv(?:e|es|ing) in|mov(?:e|ed|ing) into"
            rf"|(?:my|our|his|her|their) (?:apartment|flat|unit) is)(?:\s*[:=-]\s*|\s+)({_DWELLING_UNIT})"
            # alone: the clause ends or goes on in lower case (a street or box after it: other detectors take both)
            rf"(?=[ \t]*(?:[.!?;)](?!\w)|$|\n(?![ \t]*\w)|,?[ \t]+[a-z]))"
        ), group=1, needs=(*STRONG_ADDRESS_CUE_NEEDS, "live", "living", "move", "moving", "apartment is", "flat is", "unit is"),
            needs_match=re.compile(rf"(?i:{_DWELLING_UNIT_WORDS}|Ap)\b")),
        # A post-office box, in English and as other languages write it ("Postboks 115", "Postbus 1234",
        # "Caixa Postal 123"; "Apartado" alone is also a law's section, so only "Apartado de Correos 12").
        Detector("street_address", re.compile(
            r"\b(?:P\.\s?O\.|PO|Post Office)\s?Box\s\d{1,6}\b"
            r"|\b(?:Postfach|Postboks|Postbox|Postbus|Pósthólf|Caixa [Pp]ostal|Casella [Pp]ostale|Bo[iî]te [Pp]ostale"
            r"|Apartado (?:de [Cc]orreos|[Pp]ostal)|Skrytka [Pp]ocztowa)\s(?:[Nn][ºo°]\.?\s?)?\d{1,6}\b"
        ), needs=("box", "postfach", "postboks", "postbus", "pósthólf", "postal", "correos", "skrytka")),
        # A street line right before a flat or suite, whatever its street type or language: the unit
        # says that an address is written ("Erhvervsvangen 91\n Apt. 421", "2438 Nylundsveien 159 Suite 469").
        Detector("street_address", re.compile(
            rf"(?<![\w.,-])(?:\d{{1,6}}[ \t]+)?(?!{_NO_STREET_WORD_BEFORE_NUMBER}[ \t])(?:{_UNIT_ANCHOR_WORD}[ \t]+){{1,4}}(?!(?:19|20)\d\d\b)\d{{1,5}}[A-Za-z]?\.?"
            rf"(?:[ \t]+{_UNIT_ANCHOR_WORD}){{0,3}}(?=[ \t]*(?:\n[ \t]*{_LINE_MARKER})?,?[ \t]*(?:Apt|Apartment|Suite|Ste|Flat)\.?\s?#?\s?\d)"
            # or the house number first, as in North America ("4323 Autumn Pine Suite 574")
            rf"|(?<![\w.,-])\d{{1,6}}(?:[ \t]+{_UNIT_ANCHOR_WORD}){{1,4}}(?=[ \t]*(?:\n[ \t]*{_LINE_MARKER})?,?[ \t]*(?:Apt|Apartment|Suite|Ste|Flat)\.?\s?#?\s?\d)"
        ), needs=("apt", "apartment", "suite", "ste", "flat")),
        # A street line of any words with its house number, over a line that holds only a flat or a
        # suite, as a postal address is laid out ("2217 Trg revolucije 95\n Suite 385\n Bohinjska
        # Bistrica", "Treinta y Tres 2070\nApt. 588"); the place lines below join it (``_whole_address``).
        Detector("street_address", re.compile(
            rf"(?:^|(?<=\n))[ \t]*((?:\d{{1,6}}[ \t]+)?[{LATIN_CAPITALS}][\w'’.-]*(?:[ \t]+[^\W\d_][\w'’.-]*){{0,4}}[ \t]+\d{{1,5}}[A-Za-z]?\.?"
            rf"[ \t]*\n[ \t]*(?:Apt|Apartment|Suite|Ste|Flat)\.?[ \t]?#?[ \t]?\d{{1,5}}[A-Za-z]?)[ \t]*(?=\n|$)"
        ), group=1, validate=_street_line_over_a_unit, needs=("apt", "apartment", "suite", "ste", "flat"), replaces_parts=True),
        # A flat or suite on its own line or before a comma, then the street line, as in the UK and
        # Oceania ("Flat 5\nWilliams Brook\nFryport", "Suite 282\n4 Kawakiwi Esplanade"): the unit says an
        # address is written.
        Detector("street_address", re.compile(
            rf"\b(?:Flat|Suite|Unit|Apt|Apartment|Studio)\.?[ \t]?#?[ \t]?\d{{1,5}}[A-Za-z]?[ \t]*[\n,][ \t]*"
            rf"(?:\d{{1,5}}[A-Za-z]?[ \t]+)?{_UNIT_ANCHOR_WORD}(?:[ \t]+{_UNIT_ANCHOR_WORD}){{0,3}}(?:[ \t]+\d{{1,5}}[A-Za-z]?)?(?=[ \t]*[\n,])"
        ), validate=_street_after_a_unit, needs=("flat", "suite", "unit", "apt", "apartment", "studio"),
            not_after=re.compile(rf"(?:\d[A-Za-z]?|[{CAPITAL}][\w'’-]*\.?)[ \t]*,?[ \t]*\n?[ \t]*$")),  # a street line before it
        # A street line right above a postcode and a town, as much of Europe writes an address
        # ("Pastierska 20\n890 99 Brhlovce", "ulica Nałkowskiej 091\n29-646 Gorlice", "Sauerstraße 34/43\n94875 Hagenow").
        Detector("street_address", re.compile(
            rf"(?=[\d{CAPITAL}abcdlpqrsuv])"  # the first characters of every start: skips other positions fast
            rf"(?:(?<![\w.,-])(?:\d{{1,6}}[ \t]+)?(?:(?:{_STREET_WORD_IN_LOWER_CASE}|{_UNIT_ANCHOR_WORD})[ \t]+)(?:{_UNIT_ANCHOR_WORD}[ \t]+){{0,3}}"
            rf"(?!(?:19|20)\d\d\b)\d{{1,5}}[A-Za-z]?(?:/\d{{1,4}})?\.?"
            # or a street type and a name without a number ("rue Rey\n7091 Wicht")
            rf"|\b(?i:{STREET_PREFIX})(?:[ \t]{STREET_NAME_WORD}){{1,4}}(?<=[\w.]))"
            rf"(?=[ \t]*,?[ \t]*\n[ \t]*{_POSTCODE}[ \t]+[{CAPITAL}])"  # the postcode-and-town line below
        ), needs=("\n",)),
        # A street line before ", postcode Town" or ", Town, Country", as much of Europe writes an
        # address on one line ("Valadouro 3, 97471 Ubide", "Trg revolucije 96, 75161 Beltinci",
        # "Männi 12, Mustoja, Estonia"): what follows the street says an address is written, whatever
        # the street's language.
        Detector("street_address", re.compile(
            rf"(?=[{CAPITAL}Α-ΩΆ-Ώ])(?<![\w.,/-])(?:{STREET_NAME_WORD}[ \t]+){{1,3}}(?:{LOWER_CASE_NAME_WORD}\.?[ \t]+)?"
            rf"(?!(?:19|20)\d\d\b){HOUSE_NUMBER_WORD}\d{{1,5}}[A-Za-z]?,[ \t]*(?:\d{{4,5}}[ \t]+{_PLACE_WORDS}"
            rf"|{_PLACE_WORDS},[ \t]*(?:{_COUNTRIES_OF_SEVERAL_WORDS}|[{CAPITAL}][a-z]+)(?:[ \t]+\([{CAPITAL}][a-z]+\))?)(?:{_CLAUSE_END}|(?=[ \t]+[a-z]))"
        ), validate=_street_before_postcode_and_town, needs_match=re.compile(rf"\d[A-Za-z]?,[ \t]*[\d{CAPITAL}]")),
        # A house number and a street line above a town, a state or province and a postcode, as in
        # North America and Australia ("90996 John Cape\nWest Jane, FL 71369", "9 Williams Edge\nWest
        # Keithberg, NSW, 5482"): the line below says an address is written, whatever the street type.
        Detector("street_address", re.compile(
            rf"(?<![\w.,-])\d{{1,6}}[A-Za-z]?(?:[ \t]+{_UNIT_ANCHOR_WORD}){{1,4}}"
            rf"(?=[ \t]*,?[ \t]*\n[ \t]*{_PLACE_WORDS},?[ \t]+[A-Z]{{2,3}},?[ \t]+(?:\d{{4,5}}(?:-\d{{4}})?|[A-Z]\d[A-Z] ?\d[A-Z]\d)\b)"
        ), needs=("\n",)),
        # ... and a street line with its number after the name, above a town, a region and a postcode
        # that a form split over lines ("Apteegi 1\nTallinn\n, HA\n 80944", "Köie 88\nNässuma, SA 40842",
        # "3 Rue Hedi Nooman\nZeghabna, 53 43951"): a region in letters or a number.
        Detector("street_address", re.compile(
            rf"(?<![\w.,-])(?:\d{{1,6}}[ \t]+)?(?:{_UNIT_ANCHOR_WORD}[ \t]+){{1,4}}(?!(?:19|20)\d\d\b)\d{{1,5}}[A-Za-z]?"
            rf"(?=[ \t]*\n[ \t]*{_PLACE_WORDS}[ \t]*\n?[ \t]*,[ \t]*(?:[A-Z]{{2,3}}|\d{{1,2}})[ \t]*\n?[ \t]*\d{{4,5}}\b)"
        ), validate=_street_after_cue, needs=("\n",)),  # not everyday words only ("Windows 11\nRelease, EN 2024")
        # US military mail: "PSC 2731, Box 7784", "Unit 0499 Box 7916", "USNS Rivera", "USNV de Launay"
        # over "APO AP 53202"; chat writes it in lower case too ("unit 6973 box 1648\ndpo ap 13527").
        Detector("street_address", re.compile(
            rf"(?=[PUCpuc])\b(?i:(?:PSC|Unit|CMR)\s\d{{1,5}},?\sBox\s\d{{1,5}}|US(?:NS|NV|S|CGC)\s[{CAPITAL}a-z][\w'’. -]{{1,30}}?)\s*\n?\s*"
            r"(?i:(?:APO|FPO|DPO)\s(?:AA|AE|AP))\s\d{5}\b"
        ), needs=("apo ", "fpo ", "dpo ")),
        Detector("person", re.compile(
            # The lookahead (capitals, the lower-case first letters of the cues, "--") skips other positions fast.
            rf"(?=[{CAPITAL}mtnrcsbhflg-])(?:\b(?:(?:[Mm]y|[Hh]is|[Hh]er|[Tt]heir|[Mm]aiden|[Ff]ull|[Ff]irst|[Ll]ast|[Ff]amily"
            rf"|[Gg]iven|[Mm]iddle) name is|[Ss]urname is|[Tt]his is|I am|I'm|[Nn]ame:|(?:[Hh]i|[Hh]ello|[Hh]ey),? it's)\s+({NAME})"
            rf"|\b({NAME})\s+here\b"
            rf"|(?:\b(?:[Tt]hanks(?: (?:so|very) much| a lot| again)?|[Rr]egards|[Cc]heers|[Ss]incerely|[Bb]est(?: wishes)?"
            rf"|[Aa]ll the best|[Mm]any thanks|[Tt]hank you(?: (?:so|very) much| again)?"
            rf"|[Ss]igned),?\s+|--\s*)({NAME}){NAME_END})",
            re.MULTILINE,
        ), group=(1, 2, 3)),
        # A signature on its own line under a closing: "Thanks a lot!\n- Priya", "Cordialement\n\nAnouk".
        Detector("person", re.compile(
            rf"\b{by_first_letter(CLOSING)}\b[^\n]{{0,20}}\n\s*(?:[-–—~][ \t]*)?({NAME})[ \t]*(?:\n|\Z)"
        ), group=1, validate=_cued_name, needs=CLOSING_NEEDS),
        # After an honorific comes a surname, or a first name, also one that is an everyday word
        # ("Mrs. White", "Dr. Green", "Ms Dana"). Chat types honorifics in lower case too, then with
        # their full stop ("ms. dana", "dr. potter"); "Oak Dr Suite 4" is a street.
        Detector("person", re.compile(
            rf"(?=[MmDdP])(?<![\w.])(?:(?:Mr|Mrs|Ms|Mx|Dr|Prof)\.?|(?:mr|mrs|ms|mx|dr|prof)\.)[ \t]+"
            rf"((?:{PARTICLE}\s)?{NAME_WORD}(?:\s(?:{PARTICLE}\s)?{NAME_WORD})?|{LOWER_CASE_NAME_WORD}){NAME_END}"
        ), group=1, validate=_name_after_honorific, not_after=re.compile(rf"[{CAPITAL}][\w'’-]*[ \t]+Dr\.?[ \t]+$")),
        # After a title of address, office or family, a surname or a first name ("Coach Padilla",
        # "Senator Wiśniewski", "Aunt Maren", "Señora Gutiérrez"); "General Electric" and "Captain
        # Obvious" stay (the word after the title is no name and an everyday word).
        Detector("person", re.compile(
            rf"(?=[{TITLE_FIRST_LETTERS}])\b(?:{TITLE})[ \t]+((?:{PARTICLE}\s)?{NAME_WORD}(?:\s(?:{PARTICLE}\s)?{NAME_WORD})?){NAME_END}"
        ), group=1, validate=_name_after_title),
        # After a label, "Contact: Doherty, Eilidh" as well as "Contact: Eilidh Doherty". The lookahead
        # lists the first letters of the cues and labels, so the engine skips other positions fast.
        Detector("person", re.compile(
            rf"(?=[{PERSON_CUE_FIRST_LETTERS}])\b(?:{by_first_letter(PERSON_CUE)}\s+({NAME})"
            rf"|{by_first_letter(PERSON_LABEL)}(?::\s*|\s+[-–]\s+)((?:{PARTICLE}\s)?{NAME_WORD}(?:\s{NAME_WORD})?,\s{NAME_WORD}{NAME_END}(?!\s{NAME_WORD})|{NAME})){NAME_END}(?!:)"
        ), group=(1, 2), validate=_cued_name),
        # A name given as the answer to a question about it, or as the name an account is under
        # ("What's your name? Keiran White", "It's under my partner's name Milan Franc S. Košelnik",
        # "Maybe it's under Novel Ermakov"; not "it's under Settings").
        Detector("person", re.compile(
            rf"(?=[WwUu])\b(?:[Ww]hat(?:['’]s| is) (?:your|his|her|their) (?:full |first |last )?name\?"
            rf"|under (?:(?:my|his|her|their|the) (?:[\w-]+['’]s )?)?name|(?<=[Ii]t['’]s )under|(?<=[Ii]t is )under)"
            rf"[ \t]+({NAME}){NAME_END}"
        ), group=1, validate=_cued_name, rare_words=True, needs=("name", "under")),
        # Whom something is said to, and whom to follow up with ("said Pedro to Heather", "Follow up
        # with Nono Doi in a couple of months"): a known given name, even a word, or a name of two words.
        Detector("person", re.compile(
            rf"(?=[SsRrWwTtEeFf])\b(?:(?:[Ss]aid|[Ss]ays|[Rr]eplied|[Ww]hispered|[Ss]houted|[Ee]xplained|[Tt]alked|[Ss]poke)"
            rf"(?: {NAME_WORD})? to|[Ff]ollow(?:ed|ing)? up with)[ \t]+({NAME_WORD}(?:[ \t]{NAME_WORD})?){NAME_END}"
            rf"(?=[ \t]*(?:[.,;:!?]|$)|[ \t]+(?:in|on|about|by|after|before|next|tomorrow|today|soon)\b)"
        ), group=1, validate=_person_spoken_to, rare_words=True, needs=("said", "says", "replied", "whisper", "shout",
                                                                         "explained", "talked", "spoke", "follow")),
        # After a greeting in another language the words must be a known name or not common in
        # any of the seven languages ("Hola Anouk", not "Hola Equipo" nor "Beste Grüße").
        Detector("person", re.compile(
            rf"(?=[{GREETING_FIRST_LETTERS}])\b{by_first_letter(GREETING)}[ \t]+({NAME}){NAME_END}"
        ), group=1, validate=_greeted_name, rare_words=True),
        # Two or three words where the sentence says a person stands: after "talked to", "spoke
        # with", a role ("Agent X", "customer X"), or before what people do ("X said", "X (Finance)
        # asked", "X approved the refund"). Here a rare first word may start a name ("Xanthe
        # Zapatero"); without the context it needs a second rare word.
        Detector("person", re.compile(
            rf"(?=[{PERSON_CONTEXT_BEFORE_FIRST_LETTERS}])\b{by_first_letter(PERSON_CONTEXT_BEFORE)}:?\s+({NAME_PAIR}){NAME_END}"
        ), group=1, validate=_name_in_strong_context, rare_words=True),
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_PAIR})(?:\s+\([^()\n]{{1,30}}\))?\s+(?:{PERSON_CONTEXT_AFTER})(?:\b|(?<=\)))"
        ), group=1, validate=_name_in_strong_context, needs=PERSON_CONTEXT_AFTER_NEEDS, rare_words=True),
        # ... and doing something to what is theirs ("Vittore Fiorentini listed his top 20 songs", "Ana
        # Ruiz sold her car"), or heard or seen doing what people do ("have you heard Hideko Chiba speak").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_PAIR})[ \t]+(?:[a-z]{{2,12}}ed|sold|lost|made|took|gave|won|broke|spent|left|wrote|sang"
            rf"|told|kept|brought|bought|shared|read|met|paid|sent|found|got|had|did)[ \t]+(?:his|her)\b"
        ), group=1, validate=_name_in_strong_context, needs=(" his ", " her "), rare_words=True),
        Detector("person", re.compile(
            rf"(?=[hsw])\b(?:heard|hear|seen|see|saw|watched|watch)[ \t]+({NAME_PAIR})[ \t]+(?:speak|sing|talk|play|perform"
            rf"|lecture|preach|dance|act|present|read|laugh|cry)\b"
        ), group=1, validate=_name_in_strong_context, needs=("hear", "see", "saw", "watch"), rare_words=True),
        # ... and the name a record should hold instead ("The name in the account is not correct,
        # please change it to Jildau Bouts"), where the text speaks of a name.
        Detector("person", re.compile(
            rf"(?=[CcUuRr])\b(?:[Cc]hange|[Uu]pdate|[Cc]orrect|[Rr]ename)d?[ \t]+(?:it|this|that|(?:my|the|his|her|their)[ \t]+name)"
            rf"[ \t]+to[ \t]+({NAME_PAIR}){NAME_END}"
        ), group=1, validate=_name_in_strong_context, needs=("name",), rare_words=True),
        # ... and set off by what they are before "said" ("Concordio Longo, the Building
        # superintendent, said:"), or added in a role ("we need to add Saber A Mailly as guardian").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_PAIR})(?:,[ \t](?:the|a|an|our|my|his|her|their)[ \t][^,\n]{{1,40}},[ \t]+"
            rf"(?:said|says|told|added|explained|wrote|noted|commented|stated)\b"
            rf"|[ \t]+as[ \t]+(?:(?:a|an|the|my|our|his|her|their)[ \t]+)?(?:{PERSON_ROLE}|beneficiary|executor|trustee|co-?owner)\b)"
        ), group=1, validate=_name_in_strong_context, needs=(", the ", ", a ", ", an ", ", our ", ", my ", ", his ", ", her ",
                                                              ", their ", " as "), rare_words=True),
        # A name before the year the person was born, in brackets ("Koutník (born 1970) is a painter",
        # "Ana Ruiz (b. 1981)"): a person's dates follow only a person's name.
        Detector("person", re.compile(rf"(?=[{CAPITAL}])\b({NAME}){NAME_END}[ \t]+\((?:born|b\.|née|nee)[ \t]"),
                 group=1, validate=_named_before_birth, needs=("(born", "(b.", "(née", "(nee")),
        # A child or a pet given a name ("She named him Frits", "we called her Sora"): a name, or a
        # word that is no everyday English word.
        Detector("person", re.compile(
            rf"\b(?:named|called|christened|bapti[sz]ed)[ \t]+(?:him|her|them)[ \t]+({NAME_WORD}){NAME_END}(?![ \t]+[{CAPITAL}])"
        ), group=1, validate=_named_as_a_person, needs=("named", "called", "christened", "baptis", "baptiz")),
        # "with X", "from X", "by X", "X from Accounts": a product or place stands here as often as a person.
        Detector("person", re.compile(
            rf"(?=[wWfFbB{CAPITAL}])\b(?:(?:[Ww]ith|[Ff]rom|[Bb]y)\s+({NAME_PAIR}){NAME_END}|({NAME_PAIR})\s+from\s(?=[A-Z]))"
        ), group=(1, 2), validate=_name_in_context, needs=("with", "from", "by"), rare_words=True),
        # A first name on its own where chat puts a person: a speaker's label at the start of a
        # line ("Angela: Remember me?"), a vocative ("Remember me, John?", "Arman, can I ..."), a
        # possessive ("Christina's address"), what people do and the cues before a person ("Maria
        # said", "ask Maria"). Only known first names count, and none that is an
        # everyday word or names a place or software ("Summer:", "Paris's", "Julia's").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])(?:(?:(?<=\n)|^)[ \t]*({NAME_WORD}):[ \t](?=\S)|(?<=, )({NAME_WORD})(?=[?!])"
            rf"|(?:(?<=[.!?] )|(?<=\n)|^)({NAME_WORD}),[ \t](?=[a-z])|\b({NAME_WORD})['’]s\b"
            rf"|(?<=you, )({NAME_WORD})(?=, [a-z]))"  # called mid-sentence: "Sorry to bother you, Marta, but"
        ), group=(1, 2, 3, 4, 5), validate=_single_first_name),
        # A person mentioned in chat ("@Brenda can you take a look?", "cc @Maria Lopez"): a known name,
        # not a code annotation ("@Override", "@Setter\npublic int x", "@Retry(3)") nor a handle
        # linked to its profile ("[@Viicos](https://github.com/Viicos)").
        Detector("person", re.compile(rf"(?<![\w.@])@({NAME_PAIR}){_MENTION_END}"), group=1,
                 validate=_name_in_context, needs=("@",)),
        Detector("person", re.compile(rf"(?<![\w.@])@({NAME_WORD}){_MENTION_END}"), group=1,
                 validate=_mentioned_name, needs=("@",)),
        # ... and before what people do, after a conversation or role cue ("Maria said", "ask Maria").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_WORD})\s+(?:{PERSON_CONTEXT_AFTER}|{SINGLE_NAME_CONTEXT_AFTER})\b"
        ), group=1, validate=_single_first_name, needs=PERSON_CONTEXT_AFTER_NEEDS + SINGLE_NAME_CONTEXT_AFTER_NEEDS,
            not_after=_LONGER_NAME_BEFORE),  # "Windows Server has been down"; not "So Nestor told"
        Detector("person", re.compile(
            rf"(?=[{PERSON_CONTEXT_BEFORE_FIRST_LETTERS}kK])\b(?:{by_first_letter(PERSON_CONTEXT_BEFORE)}|{SINGLE_NAME_CONTEXT_BEFORE})"
            rf":?\s+({NAME_WORD}){NAME_END}"
            rf"(?![ \t]+[{CAPITAL}\d])"  # "emailed Ford Transit": a first word of a longer name is no first name
        ), group=1, validate=_single_first_name),
        # ... and after whose relative or friend, a given name that is a word or a place too, or no
        # everyday word ("My neighbour Milan has a spare key", "my son Frits").
        Detector("person", re.compile(rf"\b{_RELATIVE},?[ \t]+({NAME_WORD}){NAME_END}(?![ \t]+[{CAPITAL}\d])"),
                 group=1, validate=_named_as_a_person, needs=("my ", "our ", "his ", "her ", "their ")),
        # ... and described by a trait only people have ("Why is Teufik so impulsive?", "Lazarka was
        # very jealous", "Amber is a very sympathetic person"; "Grafana is so slow" names no trait).
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_WORD})[ \t]+(?:is|was|seems|seemed|looks|looked|sounds|sounded|became|has been|gets|got|felt|feels)"
            rf"[ \t]+{_PERSON_TRAIT}|\b(?:[Ww]hy|[Hh]ow) (?:is|was|has) ({NAME_WORD})[ \t]+(?:been[ \t]+)?{_PERSON_TRAIT}"
        ), group=(1, 2), validate=_named_as_a_person, needs=_PERSON_TRAIT_NEEDS),
        # ... and a known surname after such a cue in lower case ("check with Hansen"); not after one
        # in capitals, which may be a given name itself ("It was Per Hansen", "Said Gairbekov").
        Detector("person", re.compile(
            rf"(?=[{PERSON_CONTEXT_BEFORE_FIRST_LETTERS.lower()}])\b(?:{by_first_letter(PERSON_CONTEXT_BEFORE)})"
            rf":?\s+({NAME_WORD}){NAME_END}(?![ \t]+[{CAPITAL}\d])"
        ), group=1, validate=_known_single_name),
        # A person named between commas after a role ("The technician, Saber Mailly, said", "The previous
        # tenant, Mimount Bijster, still gets mail there").
        Detector("person", re.compile(
            rf"\b(?i:the|my|our|your|his|her|their|an?)[ \t]+(?:(?i:new|old|former|previous|current|assigned)[ \t]+)?"
            rf"(?:{_PERSON_ROLES_NAMED}|customer|client|agent|owner|courier|driver|caller)"
            rf"[ \t]*,[ \t]+({NAME_PAIR}|{NAME_WORD}),"
        ), group=1, validate=_name_set_off_by_a_comma, needs=(", ",)),
        # A person a relative clause goes on about ("Forwarding this to Dmytro, who handles refunds").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_PAIR}|{NAME_WORD}),[ \t]+who(?:m|se)?\b"
        ), group=1, validate=_name_set_off_by_a_comma, needs=(", who",), not_after=_LONGER_NAME_BEFORE),
        # A family by its surname: "The Sparks family", "the Hoshino family's cabin" (a known surname or
        # one shaped like it, no given name: "the Gemma family" and "the Qwen family" are models, and so
        # "the Stewart family" stays); "Is this the Lucchesi residence?", "dinner at the Kowalczyks'
        # place" (any word where only people live).
        Detector("person", re.compile(
            rf"(?=[Tt])\b[Tt]he[ \t]+({NAME_WORD})[ \t]+(?:family|families|family['’]s|clan)\b"
        ), group=1, validate=_family_surname, needs=("famil", "clan")),
        Detector("person", re.compile(
            rf"(?=[Tt])\b[Tt]he[ \t]+(?:({NAME_WORD})[ \t]+(?:residence|household|homestead)\b"
            rf"|({NAME_WORD})['’][ \t]+(?:place|house|home|flat|apartment|farm|cabin|party|wedding|kids|children|garden))"
        ), group=(1, 2), validate=_surname_of_a_home, needs=("residence", "household", "homestead", "'", "’")),
        # ... and after a role in capitals, which no given name is ("Customer Kowalczyk reported", "Tenant Fedorov").
        Detector("person", re.compile(
            rf"(?=[{_CAPITALISED_ROLES_FIRST_LETTERS}])\b(?:{by_first_letter(_CAPITALISED_ROLES)})"
            rf"[ \t]+({NAME_WORD}){NAME_END}(?![ \t]+[{CAPITAL}\d])"
        ), group=1, validate=_known_single_name),
        # ... and after such a cue of several words starting a sentence, which no given name starts ("According to Longo, ...").
        Detector("person", re.compile(
            rf"(?=[AOTSCMWFHE])\b(?:According to|On behalf of|Thanks to|(?:Talked|Spoke|Spoken|Chatted|Met|Checked|Worked) (?:to|with)"
            rf"|Check with|Forward(?:ed)? to|Assign(?:ed)? to|Escalated? to|Hand(?:ed)? over to)"
            rf"\s+({NAME_WORD}){NAME_END}(?![ \t]+[{CAPITAL}\d])"
        ), group=1, validate=_known_single_name, needs=("according to", "on behalf of", "thanks to", " to ", " with ")),
        # ... and a known surname or a rare word where only a person can stand ("Mehrudin had given", "said Agust").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_WORD})[ \t]+(?:{PERSON_ONLY_CONTEXT_AFTER})\b"
        ), group=1, validate=_single_name_before_what_only_people_do, needs=PERSON_ONLY_CONTEXT_AFTER_NEEDS, rare_words=True,
            # the last word of a longer name ("Windows Server has been down", "Kalinda del Bosque in billing")
            not_after=re.compile(rf"(?:{_CAPITALISED_WORD_NO_OPENER}|\b{PARTICLE})[ \t]+$")),
        # A word after a person's role and "is" or "was" ("Our account manager is Bizier", "The
        # beneficiary was Veindorfer"), or after "under the name", "in the name of", "referred by".
        Detector("person", re.compile(
            rf"(?=[{_PERSON_ROLES_NAMED_FIRST_LETTERS}])(?i:\b(?:{by_first_letter(_PERSON_ROLES_NAMED)})[ \t]+(?:is|was)"
            rf"|\b(?:under the name(?: of)?|in the name of|referred by|registered to))[ \t]+({NAME_WORD}){NAME_END}"
            rf"(?![ \t]+(?:[{CAPITAL}\d]|{PARTICLE}[ \t]))"  # the first word of a longer name
        ), group=1, validate=_single_name_everyday_words_too, rare_words=True,
            needs=(" is ", " was ", "under the name", "in the name of", "referred by", "registered to")),
        # A word after the label of a name's field without a colon ("Surname Gatou", "Last name Young").
        Detector("person", re.compile(
            rf"(?=[SsLlFfMmGg])\b(?:[Ss]urname|[Ll]ast name|[Ff]amily name|[Mm]aiden name|[Gg]iven name|[Ff]irst name)"
            rf"[ \t]+({NAME_WORD}){NAME_END}(?![ \t]+(?:[{CAPITAL}\d]|{PARTICLE}[ \t]))"
        ), group=1, validate=_single_name_everyday_words_too, rare_words=True,
            needs=("surname", "last name", "family name", "maiden name", "given name", "first name")),
        Detector("person", re.compile(
            rf"(?=[NnCcMmTtSsWwAaRrPpIiHhKkb])\b(?:{PERSON_ONLY_CONTEXT_BEFORE})[ \t]+({NAME_WORD}){NAME_END}"
            rf"(?![ \t]+(?:[{CAPITAL}\d]|{PARTICLE}[ \t]))"  # the first word of a longer name ("met Anna de Dardel")
        ), group=1, validate=_single_surname_or_rare_word, rare_words=True,
            needs=("named", "call", "married", "said", "addressed to", "talked", "spoke", "speaking", "chatted", "met ", "meet", "worked",
                   "ask", "remind", "ping", "invited", "hired", "interviewed", "congratulate", "hugged", "kissed",
                   "thanked", "phoned", "speak", "talk", "birthday", "between me and", "my ex")),
        # Asked to call back ("Please have Marcus call me back", "have Sighvatr contact us"): only a person calls back.
        Detector("person", re.compile(
            rf"(?=[Hh])\b[Hh]ave[ \t]+({NAME_WORD})[ \t]+(?:call|contact|email|ring|phone|text|get back to|reach out to)[ \t]+(?:me|us)\b"
        ), group=1, validate=_single_surname_or_rare_word, rare_words=True, needs=("have ",)),
        # Told something, where a clause follows the name: "Tell Galesloot I said hi", "told Nygaard
        # that it broke"; not "tell Grafana to reload", a product told to do something.
        Detector("person", re.compile(
            rf"(?=[Tt])\b(?:[Tt]ell|[Tt]old)[ \t]+({NAME_WORD}),?[ \t]+(?:I|I'm|that|we|you|he|she|they|it's)\b"
        ), group=1, validate=_single_surname_or_rare_word, rare_words=True, needs=("tell", "told")),
        # Asked who someone is, or waited for as a person is ("Who is Galesloot?", "waiting for Galesloot to reply").
        Detector("person", re.compile(
            rf"\b[Ww]ho[ \t]+(?:is|was)[ \t]+({NAME_WORD})\?"
            rf"|\bwait(?:ing)?[ \t]+for[ \t]+({NAME_WORD})[ \t]+to[ \t]+(?:reply|respond|answer|confirm|call|get back|approve|sign)\b"
        ), group=(1, 2), validate=_single_surname_or_rare_word, rare_words=True, needs=("who", "wait")),
        # After who someone is to the writer ("my neighbour Peverell", "our manager, Schneider,"), or
        # called while apologising ("Sorry Lopez, I missed your call").
        Detector("person", re.compile(
            rf"(?=[MmOoYyHhTt])\b(?i:my|our|your|his|her|their)[ \t]+(?:new |former |old )?(?:{RELATION}),?[ \t]+({NAME_WORD}){NAME_END}"
            rf"(?![ \t]+(?:[{CAPITAL}\d]|{PARTICLE}[ \t]))"
            rf"|(?:^|(?<=[.!?] )|(?<=\n))Sorry,?[ \t]+({NAME_WORD}),"
        ), group=(1, 2), validate=_single_surname_or_rare_word, rare_words=True,
            needs=("my ", "our ", "your ", "his ", "her ", "their ", "sorry")),
        # Before "who", inside a sentence and after no determiner ("It was Sedej who called"; not
        # "Maintainers who participate", "the Kubernetes who").
        Detector("person", re.compile(rf"(?<=[a-z,] )({NAME_WORD})[ \t]+who\b"), group=1,
                 validate=_single_surname_or_rare_word, rare_words=True, needs=(" who",),
                 not_after=re.compile(r"\b(?i:the|a|an|this|that|these|those|all|some|many|most|our|your|their|its|his|her)[ \t]+$")),
        Detector("person", re.compile(rf"(?=[Ll])\b[Ll]et[ \t]+({NAME_WORD})[ \t]+know\b"),  # "let Nygaard know"
                 group=1, validate=_single_surname_or_rare_word, rare_words=True, needs=(" know",)),
        Detector("person", re.compile(
            rf"(?=[gtsohplawbe])\b{GIVEN_TO_PERSON}[ \t]+({NAME_WORD})[ \t]+{GIVEN_THING}\b"  # the verbs' first letters
        ), group=1, validate=_single_surname_or_rare_word, rare_words=True, needs=GIVEN_TO_PERSON_NEEDS),
        Detector("person", re.compile(
            rf"(?=[WwHhIDC])\b{ASKED_ABOUT_PERSON_BEFORE}[ \t]+({NAME_WORD})[ \t]+{ASKED_ABOUT_PERSON_AFTER}\b"
        ), group=1, validate=_known_single_name,
            needs=ASKED_ABOUT_PERSON_NEEDS),
        # A known name as the subject of a question, before its verb ("Did Alvin finish the
        # report?", "When will Rebecca be back?", "Why did Nygaard leave?"); products stand here
        # too ("Can Alexa play", "Does Jenkins run"), but no name of things passes ``_known_single_name``.
        Detector("person", re.compile(
            rf"(?=[WwHhIDC])\b{ASKED_ABOUT_PERSON_BEFORE}[ \t]+({NAME_WORD})[ \t]+[a-z]{{2,}}\b(?![^.!?\n]*\.)"
        ), group=1, validate=_known_single_name,
            needs=ASKED_ABOUT_PERSON_NEEDS),
        # A word owning what only people have is a name, in the gazetteer or not ("here's Gabrjel's
        # address", "Desrosiers's phone number", "Yuuka's husband").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_WORD})['’]s?[ \t]+(?:{PERSONAL_THING})\b"
        ), group=1, validate=_owner_of_a_personal_thing, rare_words=True, needs=("'s ", "’s ", "s' ", "s’ "),
            not_after=_LONGER_NAME_BEFORE),  # the last word of a longer name ("Yerlan Gorostiaga's laptop")
        # A first name typed in lower case as a speaker's label or called ("gabriel: what a wife.",
        # "remember me, whitney?"): a known one that no dictionary lists as a word ("note:", "amber:"
        # stay). Literal starts, and the text's start apart: the engine skips to them fast.
        Detector("person", re.compile(
            rf"\n[ \t]*({LOWER_CASE_NAME_WORD}):[ \t](?=\S)|, ({LOWER_CASE_NAME_WORD})(?=[?!])"
        ), group=(1, 2), validate=_lower_case_first_name),
        Detector("person", re.compile(rf"\A[ \t]*({LOWER_CASE_NAME_WORD}):[ \t](?=\S)"), group=1,
                 validate=_lower_case_first_name),
        # A name typed in lower case after a self-introduction: "i'm beaufort grandpré", "my name is djevad šušulić".
        Detector("person", re.compile(
            rf"(?=[mniwMNIW])(?i:\b(?:my name is|name is|name's|i am|i'm|what's your name\?)){LOWER_CASE_NAME}"
        ), group=1, validate=_introduced_lower_case_name, rare_words=True, needs=("name", "i am", "i'm")),
        # A name typed in lower case after a chat cue: "ask reuben fenwick", "thanks maria de la cruz".
        Detector("person", re.compile(
            rf"(?=[{LOWER_CASE_NAME_CUE_FIRST_LETTERS}])(?i:\b{by_first_letter(LOWER_CASE_NAME_CUE)}){LOWER_CASE_NAME}"
        ), group=1, validate=_lower_case_name, rare_words=True),
        Detector("person", re.compile(
            rf"(?=[{LOWER_CASE_NAME_WEAK_CUE_FIRST_LETTERS}])(?i:\b{by_first_letter(LOWER_CASE_NAME_WEAK_CUE)}){LOWER_CASE_NAME}"
        ), group=1, validate=_known_lower_case_name),
        # One known first name typed in lower case, after a chat cue ("hi rebecca, thanks", "my name is
        # alvin", "ask sigrid about it"), before what people do at a sentence's start ("rebecca said
        # no"), asked about ("why is alvin so impulsive?") or given something ("had given kimiko his
        # address"): one that no dictionary lists as a word and that names no thing ("hi there", "ask
        # siri", "thanks amber" stay). Each context is its own detector, with what it needs to run.
        Detector("person", re.compile(
            rf"(?=[{LOWER_CASE_NAME_CUE_FIRST_LETTERS}])(?i:\b{by_first_letter(LOWER_CASE_NAME_CUE)})[ \t]+({LOWER_CASE_NAME_WORD})(?![\w'’@.-]|\.\w)"
        ), group=1, validate=_lower_case_first_name),
        Detector("person", re.compile(
            rf"(?:^|(?<=[.!?] )|(?<=\n))({LOWER_CASE_NAME_WORD})(?=[ \t]+(?:said|says|wrote|asked|told|replied|had given|has given"
            rf"|lives|lived|wants|called|emailed)\b)"
        ), group=1, validate=_lower_case_first_name,
            needs=(" said", " says", " wrote", " asked", " told", " replied", " given", " live", " wants", " called", " emailed")),
        Detector("person", re.compile(
            rf"\b(?:why|how|when|where)[ \t]+(?:is|was|does|did|has|can|could|would|will)[ \t]+({LOWER_CASE_NAME_WORD})[ \t]+"
            rf"(?:{ASKED_ABOUT_PERSON_AFTER})\b"
        ), group=1, validate=_lower_case_first_name, needs=("why ", "how ", "when ", "where ")),
        Detector("person", re.compile(
            rf"(?=[gtsohplawbe])\b{GIVEN_TO_PERSON}[ \t]+({LOWER_CASE_NAME_WORD})[ \t]+{GIVEN_THING}\b"  # "had given kimiko his address"
        ), group=1, validate=_lower_case_first_name, needs=GIVEN_TO_PERSON_NEEDS),
        # A name before a job title or a department: "- Qing Yamasaki, Product Manager", "X - Operations".
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_PAIR})(?:,|\s[-–—|])\s+(?:[A-Z][A-Za-z]+\s){{0,3}}(?:{JOB_TITLE}|{DEPARTMENT})\b"
        ), group=1, validate=_name_in_strong_context, needs=JOB_TITLE_NEEDS, rare_words=True),
        # ... and one known name before one in brackets or after a dash ("Rebecca (sales) will follow up",
        # "Lopez - Accounting").
        Detector("person", re.compile(
            rf"(?=[{CAPITAL}])\b({NAME_WORD})(?:[ \t]\((?i:{JOB_TITLE}|{DEPARTMENT})\)|[ \t][-–—|][ \t]+(?:{JOB_TITLE}|{DEPARTMENT})\b)"
        ), group=1, validate=_known_single_name, needs=JOB_TITLE_NEEDS, needs_match=re.compile(r"[ \t](?:\(|[-–—|][ \t])"),
            not_after=_LONGER_NAME_BEFORE),  # "Windows Server - Operations"
        # A postcode alone after a cue of where someone lives or ships to, or after the town it belongs to
        # ("Do you deliver to 33144?", "I live in Leeds, 62704.", "We moved to Austin 78617 last year",
        # "moved to Springfield (62704)"): five digits where the clause ends, or four or five after a
        # town (five before the sentence goes on); no year ("moved to 2024."), no count ("moved to 5000 users").
        # Postcodes in a shape no year or count takes pass alone too: Portugal "2500-737", Poland "41-304",
        # Czechia "890 99", the Netherlands "3319 VD", and the lettered ones. A time after the clause may
        # go on ("I moved to 56257 last year").
        Detector("street_address", re.compile(
            rf"(?=[DdSsMmLlBbIiWwAaOo])\b(?i:deliver(?:y|ies)? (?:to|in)|ship(?:ping)? to|send (?:it|them|this) to|moved? to|live[sd]? in"
            rf"|living in|based in|located in|(?:i['’]?m|i am|we['’]?re|we are) in|available in|(?:office|store|shop|home) is in)[ \t]+"
            rf"(?:((?!(?:19|20)\d\d\b)\d{{5}}|{_SHAPED_POSTCODE})(?=[ \t]*(?:[.?!;,](?:\s|$)|$)|{_TIME_AFTER_A_MOVE})"
            rf"|{_PLACE_WORDS}(?:,[ \t]*|[ \t]+|[ \t]*\()((?!(?:19|20)\d\d\b)\d{{5}}(?=\)?[ \t]+[a-z])|(?!(?:19|20)\d\d\b)\d{{4,5}}"
            rf"(?=\)?[ \t]*(?:[.?!;,](?:\s|$)|$))|{_SHAPED_POSTCODE}(?=\)?[ \t]*(?:[.?!;,](?:\s|$)|$))))"
        ), group=(1, 2), needs=("deliver", "ship", "send", "move", "live", "living", "based in", "located in", " in ")),
        # ... and a postcode before its town where the clause ends or goes on in lower case, after a cue
        # of shipping or of where someone lives ("Do you ship to 99487 Cambridge?", "deliver to 41874
        # MOLANGUL, please", "He lives in 56257 Copenhagen").
        Detector("street_address", re.compile(
            rf"(?=[DdSs])\b(?i:deliver(?:y)? to|ship(?:ping)? to|send (?:it|them|this) to)[ \t]+"
            rf"((?:(?!(?:19|20)\d\d\b)\d{{4,5}}|{_SHAPED_POSTCODE})[ \t]+{_PLACE_WORDS})(?=[ \t]*(?:[.?!;,](?:\s|$)|$))"
        ), needs=("deliver", "ship", "send"), group=1),
        Detector("street_address", re.compile(
            rf"(?=[LlMmBb])\b(?i:moved? to|live[sd]? in|living in|based in|located in)[ \t]+"
            rf"((?:(?!(?:19|20)\d\d\b)\d{{4,5}}|{_SHAPED_POSTCODE})[ \t]+{_PLACE_WORDS})(?=[ \t]*(?:[.?!;,](?:\s|$)|$)|[ \t]+[a-z])"
        ), needs=("move", "live", "living", "based in", "located in"), group=1, validate=_town_after_postcode),
        # A postcode named with its area ("I live in the 56257 area", "the SW1A 1AA postcode").
        Detector("street_address", re.compile(
            rf"\b(?i:the)[ \t]+((?!(?:19|20)\d\d\b)\d{{5}}|{_SHAPED_POSTCODE})[ \t]+(?i:area|postcode|postal code|zip code|zip|district)\b"
        ), group=1, needs=("area", "postcode", "postal code", "zip", "district")),
        # Last, so that the rules above keep the addresses they find whole. A US street line on one
        # line, before ", Town, ST 12345" or ", Town 12345", as a form or a signature writes it ("4262
        # Dominic River, Martineztown, TX 96338"), or after a flat and a comma ("Apt. 332, 4262 Dominic
        # River"): there a street that ends in a USPS street type will do, everyday words too.
        Detector("street_address", re.compile(
            rf"(?<![\w.,/-])\d{{1,6}}[A-Za-z]?(?:[ \t]+{_UNIT_ANCHOR_WORD}){{1,4}}?(?:,?[ \t]+{_UNIT})?"
            rf"(?=,[ \t]*{_PLACE_WORDS},?[ \t]+(?:(?:{'|'.join(US_STATE_ABBREVIATIONS)}|{US_STATES}),?[ \t]+)?\d{{5}}(?:-\d{{4}})?(?![\w-]|[.,]\d))"
        ), validate=_ends_with_usps_street_type, needs_match=re.compile(r"[ \t]\d{5}(?![\w-]|[.,]\d)")),
        Detector("street_address", re.compile(
            rf"(?<![\w.-]){_DWELLING_UNIT},[ \t]*\d{{1,6}}[A-Za-z]?(?:[ \t]+{_UNIT_ANCHOR_WORD}){{1,4}}(?=[ \t]*(?:[\n,;)]|[.!?](?:\s|$)|$))"
        ), validate=_ends_with_usps_street_type, needs_match=re.compile(rf"(?:{_DWELLING_UNIT_WORDS}|Ap)\.?[ \t]?#?[ \t]?\d{{1,5}}[A-Za-z]?,")),
        # A flat alone wherever it stands ("the package was left at Apt. 573", "Address line 2: Apt.
        # 573"): English writes "Apt." for nothing else. A suite or flat of three digits or more alone
        # after "at", "in", "to", "from" or a label's colon ("Unit: Suite 580"; not "Office Suite 365",
        # "we run it in Suite 3"). Not before a capitalised word, which the address rules would take
        # for a town ("Apt 2 IBAN no.").
        Detector("street_address", re.compile(
            r"(?:(?<![\w.-])(?:Apt\.?|Apartment|Apto\.?)[ \t]?#?[ \t]?\d{1,5}"
            r"|(?:(?<=\bat )|(?<=\bin )|(?<=\bto )|(?<=into )|(?<=from )|(?<=: ))(?:Suite|Ste\.?|Flat)[ \t]?#?[ \t]?\d{3,5})"
            r"[A-Za-z]?(?![\w.,/-]\d|[\w-]|[ \t]+[A-Z])"
        ), needs_match=re.compile(r"(?:Apt|Apartment|Apto|Suite|Ste|Flat)\.?[ \t]?#?[ \t]?\d")),
        # After a cue that introduces only a place ("My address is", "I live at", "Ship to"), the whole
        # block of address words up to where the sentence goes on, however a country lays it out
        # ("37/92, Thaman, Guwahati-229486", "Diagonal 9 N° 5359 Dto. 6\nFormosa 3600, Formosa",
        # "Ruta 5 Norte, km 740"), where it holds a postcode or starts with a house number.
        Detector("street_address", re.compile(
            rf"(?=[{STRONG_ADDRESS_CUE_FIRST_LETTERS}])(?<![A-Za-z])(?i:{by_first_letter(STRONG_ADDRESS_CUE)})(?:\s*[:=(-]\s*|\s+)(?:(?:is|was|to)[ \t]+)?"
            rf"({_BLOCK_TOKEN}(?:{_BLOCK_SEPARATOR}{_BLOCK_TOKEN}){{1,16}})"
            r"(?=[ \t]*(?:$|[.!?;](?:\s|$)|\n[ \t]*\n|[ \t]+[a-z]))"
        ), group=1, validate=_address_block, needs=STRONG_ADDRESS_CUE_NEEDS, replaces_parts=True),
    ]


def _cued_name(text: str) -> bool:
    """Whether the words after a person cue can be a name.

    Not when a word never starts a name ("From: Monday"), names a bot ("Dependabot") or when all are
    everyday English words ("Hi All", "cc Legal"), unless the first is a first name ("Hi Grace").
    """
    words = [word.rstrip(",") for word in text.split() if word[0].isupper()]
    if not words or any(word in _NOT_NAME_PARTS for word in words):
        return False
    names = _NameWords.load()
    if any(word.lower().endswith("bot") and not names.known(word) for word in words):
        return False  # a bot closes and opens tickets too ("closed by Dependabot"; not "Talbot")
    return any(word.casefold() not in names.core_english for word in words) or words[0] in names.all_first_names


def _name_after_honorific(text: str) -> bool:
    """Whether the words after "Mr", "Mrs", "Dr"... are a name: as after a title (``_name_after_title``),
    or a surname of the US Census with a capital, an everyday word or one that starts place names too
    ("Dr Peoples", "Mr. West")."""
    words = text.split()
    last = _title_case(words[-1])
    surnames = census_surnames()
    return _name_after_title(text) or (
        words[-1][0].isupper() and last in surnames
        and all(word not in NEVER_NAME_PARTS or (word in surnames and word not in _NEVER_SURNAMES)
                for word in map(_title_case, words)))


def _name_after_title(text: str) -> bool:
    """Whether the words after a title ("Coach", "Senator") or an honorific are a name: none never starts
    one ("Dr. Monday"), and the last is a known surname or first name, everyday words included ("Mrs.
    White"), or no core English word ("Dr. Nkemelu"); typed in lower case, it must be a known name
    ("dr. potter"). Not "Officer Down" nor "Father Christmas"."""
    words = text.split()
    last = _title_case(words[-1])
    if any(_title_case(word) in NEVER_NAME_PARTS for word in words):
        return False
    names = _NameWords.load()
    if names.known(last):
        return True
    return words[-1][0].isupper() and last.casefold() not in names.core_english


def _title_case(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def _lower_case_name(text: str) -> bool:
    """Whether two lower-case words after a chat cue are a name: a known first name before a surname
    or a rare word, a known surname after a first name or a rare word, or two rare words ("ask
    reuben fenwick", "ask kalinda ostrowski"; not "ask support team")."""
    return _lower_case_name_of(text, rare_pair=True)


def _known_lower_case_name(text: str) -> bool:
    """As ``_lower_case_name``, but two rare words are not enough, the first word must be no
    dictionary word and "a" is no initial: after "call", "with" or "to" lower-case technical terms
    and phrases follow too ("Call enum constructors", "to mark mypy", "to emit a deprecation")."""
    words = text.split()
    if in_dictionary(words[0]) or (len(words) > 2 and words[1] == "a"):
        return False
    return _lower_case_name_of(text, rare_pair=False)


def _lower_case_name_of(text: str, rare_pair: bool) -> bool:
    words = text.split()
    first, last = _title_case(words[0]), _title_case(words[-1])
    if any(word in NEVER_NAME_PARTS or word in english_words() for word in (first, last)):
        return False
    names = _NameWords.load()
    if names.first_name(first) and (names.surname(last, everyday=True) or names.rare(last) or _no_word(words[-1])):
        return True  # "hülya bouwmeester": a surname the gazetteer lacks, but no word either
    if names.surname(last) and (names.first_name(first, everyday=True) or names.rare(first)):
        return True
    return rare_pair and names.rare(first) and names.rare(last)


def _no_word(word: str) -> bool:
    """Whether a lower-case word is neither a dictionary word nor a core English word ("bouwmeester")."""
    return not in_dictionary(word) and word not in _NameWords.load().core_english


def _introduced_lower_case_name(text: str) -> bool:
    """Whether two lower-case words after "my name is" or "i'm" are a name: as ``_lower_case_name``,
    or a first word that is no word and a second that is a known name, a rare word or no word
    either ("i'm beaufort grandpré"; not "i'm very happy", "i'm using kubectl")."""
    words = text.split()
    if _lower_case_name(text):
        return True
    first, last = words[0], words[-1]
    names = _NameWords.load()
    return (_no_word(first) and _title_case(first) not in NEVER_NAME_PARTS
            and (names.known(_title_case(last)) or names.rare(last) or _no_word(last)))


# Known first names that name places, software or assistants more often in tickets than people.
FIRST_NAMES_OF_THINGS = frozenset({
    "Paris", "Florence", "Victoria", "Jordan", "India", "Georgia", "Sydney", "Austin", "Dallas", "Madison", "Phoenix",
    "Chelsea", "Adelaide", "Houston", "Denver", "Orlando", "Lincoln", "Chester", "Devon", "Kent", "Sierra", "Savannah",
    "Aurora", "Regina", "Alexandria", "Charlotte", "Augusta", "Helena", "Vienna", "Milan", "Lima", "Santiago",
    "Julia", "Ruby", "Apollo", "Atlas", "Nova", "Siri", "Alexa", "Cortana", "Django", "Jenkins", "Ansible", "Hugo",
    "Jasmine", "Luna", "Kafka", "Maven", "Sphinx", "Mercury", "Jupiter", "Venus", "Orion", "Juno", "Electra", "Zeus",
    "Meta", "Hence", "Claude", "Bert", "Daphne", "Cassandra", "Nan", "Lex", "Mako", "Huey", "Safari", "Opera", "Edge",
    "Chrome", "Gemini", "Copilot", "Windows", "Azure", "Ubuntu", "Fedora", "Debian", "Mint", "Travis",
})


def _single_first_name(text: str) -> bool:
    """Whether one capitalised word alone is a person's first name: a known one (Faker's, without
    common English words), no everyday-word name ("Amber", "Summer") and none of ``FIRST_NAMES_OF_THINGS``."""
    word = text.strip()
    return (word not in NEVER_NAME_PARTS and word not in WORD_NAMES and word not in FIRST_NAMES_OF_THINGS
            and _NameWords.load().first_name(word))


# A capital inside a word, or a lower-case part after a hyphen: how products are spelled, not names.
_PRODUCT_SPELLING = re.compile(r"[a-z][A-Z]|-[a-z]")
_NAME_WITH_AN_INNER_CAPITAL = re.compile(r"(?:Mc|Mac|O['’]|De|Di|Da|La|Le|Van|Von|Fitz)[A-Z][a-z\u00DF-\u024F'’]+")


def _single_surname_or_rare_word(text: str) -> bool:
    """Whether one capitalised word where only a person stands is a name: a known first name (as
    ``_single_first_name``, or one that is an everyday word: "Amber"), a known surname that is no
    core English word ("Padilla"), or a word common in none of the seven languages ("Mehrudin");
    never a thing's name ("Jenkins")."""
    word = text.strip()
    if _single_first_name(word):
        return True
    names = _NameWords.load()
    if word in WORD_NAMES:  # "Amber is a very sympathetic person", "said Angel to Angela"
        return names.first_name(word, everyday=True)
    if _PRODUCT_SPELLING.search(word) and not _NAME_WITH_AN_INNER_CAPITAL.fullmatch(word):
        return False  # "ask PrettyTable", "Crash-safe wrote" (but "McKenzie", "Jean-Luc")
    return _no_thing_nor_core_word(word, names) and (names.surname(word) or names.rare(word) or _no_english_word(word))


# Known first names in ``FIRST_NAMES_OF_THINGS`` that name places, not software: before what only
# people do, they are people ("Charlotte lives on Höjdstigen 44", "Victoria said").
_FIRST_NAMES_OF_PLACES = frozenset({
    "Paris", "Florence", "Victoria", "Jordan", "India", "Georgia", "Sydney", "Austin", "Dallas", "Madison", "Chelsea",
    "Adelaide", "Houston", "Orlando", "Lincoln", "Chester", "Devon", "Savannah", "Regina", "Alexandria", "Charlotte",
    "Augusta", "Helena", "Vienna", "Milan", "Lima", "Santiago"}) & FIRST_NAMES_OF_THINGS


def _single_name_before_what_only_people_do(text: str) -> bool:
    """``_single_surname_or_rare_word``, or a first name that names a place too ("Charlotte lives on")."""
    return _single_surname_or_rare_word(text) or text.strip() in _FIRST_NAMES_OF_PLACES


def _family_surname(text: str) -> bool:
    """Whether the word before "family" is a surname: a known one, everyday words too ("the Sparks
    family"), or one shaped like a surname; not a given name, a thing's name or a rare word ("the
    Gemma family", "the Qwen family", "the Apache family")."""
    word = text.strip()
    names = _NameWords.load()
    if word in NEVER_NAME_PARTS or word in FIRST_NAMES_OF_THINGS or _single_first_name(word):
        return False
    return names.surname(word, everyday=True) or names.surname_shaped(word)


def _surname_of_a_home(text: str) -> bool:
    """Whether the word before "residence", or the plural before "' place", is a family's name (as
    ``_single_name_everyday_words_too``): "the Lucchesi residence", "the Kowalczyks' place"."""
    word = text.strip()
    if word.endswith("s") and not _single_name_everyday_words_too(word):
        word = word[:-1]  # "the Kowalczyks' place", "the Yonedas'"
    return _single_name_everyday_words_too(word)


def _single_name_everyday_words_too(text: str) -> bool:
    """As ``_single_surname_or_rare_word``, and a known surname that is an everyday English word too,
    where only a name can stand ("My doctor is Young", "Last name Walker")."""
    word = text.strip()
    return _single_surname_or_rare_word(word) or (
        _NameWords.load().surname(word, everyday=True) and word not in NEVER_NAME_PARTS and word not in FIRST_NAMES_OF_THINGS)


def _no_english_word(word: str) -> bool:
    """A word that English does not use: in no dictionary, not among the 10,000 commonest English
    words, no country, state or time-zone city ("Itamar", "Manlio", "Fernán"; frequent in other
    languages' counts, as names are)."""
    folded = word.casefold()
    return (not in_dictionary(folded) and folded not in frequent_english_words() and folded not in countries_and_states()
            and folded not in time_zone_cities())


def _seldom_written_english(word: str) -> bool:
    """A word that English seldom writes: outside the ``EVERYDAY_ENGLISH_WORDS`` commonest, though a
    dictionary may list it ("pereira", "auger"), or frequent only as a name, in no dictionary
    ("lopez", "davidson"); no country, state or time-zone city either way."""
    folded = word.casefold()
    if folded in countries_and_states() or folded in time_zone_cities():
        return False
    return folded not in everyday_english_words() or not in_dictionary(folded)


def _known_single_name(text: str, surname_shaped: bool = True) -> bool:
    """Whether one capitalised word is a known first name (as ``_single_first_name``) or a known
    surname (or, with ``surname_shaped``, one shaped like a surname) that is no core English word
    and names no thing ("Padilla", "Umkhayev"; not "Jenkins", "Redis")."""
    word = text.strip()
    if _single_first_name(word):
        return True
    names = _NameWords.load()
    return word not in WORD_NAMES and _no_thing_nor_core_word(word, names) and bool(
        names.surname(word) or (surname_shaped and names.surname_shaped(word)))


def _mentioned_name(text: str) -> bool:
    """Whether one word mentioned with "@" is a person: ``_known_single_name`` without surname shapes,
    as handles that are no names ("@Viicos", "@Daraan") are usernames, not names."""
    return _known_single_name(text, surname_shaped=False)


def _no_thing_nor_core_word(word: str, names: _NameWords) -> bool:
    """Neither a word that never starts a name, nor a thing's name, nor a core English word (the
    common given names among them, ``GIVEN_NAMES_AMONG_CORE_WORDS``, excepted)."""
    return word not in NEVER_NAME_PARTS and word not in FIRST_NAMES_OF_THINGS and (
        word.casefold() not in names.core_english or word in GIVEN_NAMES_AMONG_CORE_WORDS)


def _lower_case_first_name(text: str) -> bool:
    """Whether one lower-case word is a known first name that is no dictionary word ("whitney", not "amber")."""
    return not in_dictionary(text) and _single_first_name(_title_case(text))


def _owner_of_a_personal_thing(text: str) -> bool:
    """As ``_single_surname_or_rare_word``, but no brand ("McDonald's number")."""
    return text not in POSSESSIVE_BRANDS and _single_surname_or_rare_word(text)


def _greeted_name(text: str) -> bool:
    """Whether the words after a greeting in another language are a name: a known first name or
    surname, or a word common in none of the seven languages ("Anouk"; not "Equipo", "Grüße")."""
    words = [word for word in text.split() if not word.endswith(".")]  # initials say nothing
    names = _NameWords.load()
    if not words or any(word in NEVER_NAME_PARTS for word in words):
        return False
    return any(names.known(word) or names.rare(word) for word in words)


def _with_a_known_name(validate: Callable[[str], bool]) -> Callable[[str], bool]:
    """``validate``, and a known first name or surname among the words (for ``rare_word_names=False``)."""
    def validate_with_a_known_name(text: str) -> bool:
        names = _NameWords.load()
        return validate(text) and any(names.known(word.strip(",")) for word in text.split())
    return validate_with_a_known_name


def _name_in_context(text: str, strong: bool = False) -> bool:
    """Whether two or three words where a person or a product may stand ("with X", "from X") are a name.

    No word may be one that never starts a name; the last is a surname or no core English word
    ("Zapatero", "Yeo"); the first is a first name or a word common in none of the seven languages
    ("Xanthe"). ``strong``: the context says a person (a role or conversation cue before, what
    people do or a job title after), and a first word that is no core English word will do ("Qing
    Yamasaki, Product Manager"). Either way "Windows Update said" is no name.
    """
    words = text.split()
    names = _NameWords.load()
    # a middle initial may be a letter that is a word too: "Saber A Mailly"
    if any(word in NEVER_NAME_PARTS for word in [words[0], *(word for word in words[1:-1] if len(word) > 1), words[-1]]):
        return False
    first, last = words[0], words[-1]
    first_ok = names.first_name(first, everyday=True) or (
        first.casefold() not in names.core_english if strong else names.rare(first))
    return first_ok and (names.surname(last, everyday=True) or last.casefold() not in names.core_english)


def _name_in_strong_context(text: str) -> bool:
    return _name_in_context(text, strong=True)


def _name_set_off_by_a_comma(text: str) -> bool:
    """Whether words a comma sets off where a person stands ("Dmytro, who", "The technician, Saber
    Mailly, said") are a name: two or three as after a person's cue, one a known name or a word rare
    in all seven languages (not "Microsoft, who" nor "Germany, who")."""
    if " " in text:
        return _name_in_strong_context(text)
    return _known_single_name(text) or _rare_word_beside_a_person(text) or _NameWords.load().recorded_first_name(text)


# A capitalised word's possessive ("Lewis's song").
_POSSESSIVE = re.compile(rf"(?=[{CAPITAL}])\b({NAME_WORD})['’]s\b")


def surnames_in_possessive(text: str) -> list[tuple[int, int]]:
    """Spans of known surnames alone before a possessive "'s" ("  Olson's database."), where no rule took
    a longer name and ``lone_names`` did not read it (it reads one after a lower-case word or starting
    a sentence): ``_known_surname_alone``, and not what a discoverer names ("Benford's law")."""
    spans = []
    for match in _POSSESSIVE.finditer(text):
        following = _NEXT_LOWER_CASE_WORD.match(text, match.end())
        if _known_surname_alone(match.group(1)) and not (following and following.group(1) in _POSSESSIVE_EPONYM_NOUNS):
            spans.append(match.span(1))  # not what a discoverer names: "Benford's law", "Crohn's disease"
    return spans


# A family or what it holds named by its surname ("The Koutník account is overdue", "the Ruiz family").
_FAMILY_NAMED = re.compile(rf"\b[Tt]he[ \t]+({NAME_WORD})(?:['’]?s)?[ \t]+(?:account|family|household|residence|estate|twins|kids"
                           r"|children|brothers|sisters|farm|wedding|funeral)\b")


def families_named(text: str) -> list[tuple[int, int]]:
    """Spans of the surnames a family or its account is named by: a known surname no everyday word
    or brand, or one shaped like a surname ("The Koutník account", "the Ruiz family"; not "the Apple
    account", "the Google family of products")."""
    names = _NameWords.load()
    return [match.span(1) for match in _FAMILY_NAMED.finditer(text)
            if _known_surname_alone(match.group(1)) or names.surname_shaped(match.group(1))]


def _known_surname_alone(word: str) -> bool:
    """Whether one capitalised word is a known surname that is no core English word, thing's name,
    brand or place ("Olson", "Nielsen"; not "Young", "Google", "McDonald", "Paris")."""
    names = _NameWords.load()
    return (names.surname(word) and word not in WORD_NAMES and word not in POSSESSIVE_BRANDS
            and _no_thing_nor_core_word(word, names) and not _names_a_place(word))


def _named_before_birth(text: str) -> bool:
    """Whether the words before a birth in brackets are a name: none an everyday English word
    that never starts a name or a company's word ("Koutník", "Ana Ruiz"; not "The Company")."""
    words = text.split()
    names = _NameWords.load()
    return not any(word in NEVER_NAME_PARTS or word in COMPANY_WORDS for word in words) and (
        len(words) > 1 or _no_thing_nor_core_word(words[0], names) or names.known(words[0]))


def _named_as_a_person(word: str) -> bool:
    """Whether the word someone was named or called is a name: a given name, a word too ("Heather"),
    or no core English word ("Frits", "Sora"; not "Buddy" nor "Names")."""
    names = _NameWords.load()
    return names.given_name_where_a_person_stands(word) or _no_thing_nor_core_word(word, names)


def _person_spoken_to(text: str) -> bool:
    """Whether the words someone speaks to or follows up with are a person: two words as after a
    person's cue, or one given name spoken to (``_given_name_spoken_to``)."""
    if " " in text:
        words = text.split()
        first, last = words[0], words[-1]
        # a given name and a US Census surname that is a word too: "Follow up with Marius Bang"
        return _name_in_strong_context(text) or (_given_name_spoken_to(first) and last in census_surnames())
    return _given_name_spoken_to(text)


def _given_name_spoken_to(word: str) -> bool:
    """Whether one word someone speaks to is a given name: known, a word too ("Heather", "Mark"), or
    recorded ("Liviana"), and naming no place ("Paris")."""
    return (word not in NEVER_NAME_PARTS and not _names_a_place(word)
            and _NameWords.load().given_name_where_a_person_stands(word))


def _luhn_valid_in_groups(text: str) -> bool:
    """``luhn_valid`` of the digits of a number written in groups ("5038 3034 8424")."""
    return luhn_valid(re.sub(r"[ -]", "", text))


def _valid_without_trailing_groups(text: str, start: int, end: int, detector: Detector) -> int | None:
    """End of the longest valid value left after dropping trailing groups from an invalid grouped match.

    "AT61 1904 3002 3457 3201 IBAN" matches the IBAN pattern with "IBAN" as a last group, and
    "4111 1111 1111 1111 2028" the card pattern with the year; without the extra group they are valid.
    ``end`` may also be where another value starts.
    """
    while (cut := text.rfind(" ", start, end)) > start:
        end = cut
        if detector.pattern.fullmatch(text, start, end) and (detector.validate is None or detector.validate(text[start:end])):
            return end
    return None


# A number that starts with a country code ("+61 2 4985 9082") or a trunk 0 and area code in
# brackets ("(02) 4985 9082") is written as a phone even after an identifier's label: no order,
# account or device number is written so ("my account +1-536-818-0093", "Customer: (021)349-4995";
# but "Order (123) 4567890" may be the order's number).
_DIALLING_CODE_FIRST = re.compile(r"\+|\(\+\d{1,4}\)|\(0\d{1,4}\)[ \t.-]?\d")


def _valid_spans(detector: Detector, text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of the detector's values in ``text`` that pass its validator.

    As ``finditer``, except that a grouped value shortened to validate lets the search resume
    at its new end, so "AT61 1904 3002 3457 3201 IBAN DE89 3704 ..." yields both IBANs.
    """
    position = 0
    while (match := detector.pattern.search(text, position)) is not None:
        position = max(match.end(), match.start() + 1)
        group = detector.group
        if isinstance(group, tuple):  # the value is in whichever of these groups matched
            group = next(i for i in group if match.group(i) is not None)
        start, end = match.span(group)
        if detector.not_after is not None and detector.not_after.search(text, max(0, start - ID_LABEL_REACH), start) and not (
                detector.entity == "phone" and _DIALLING_CODE_FIRST.match(text, start)):
            continue
        if detector.validate and not detector.validate(text[start:end]):
            end = _valid_without_trailing_groups(text, start, end, detector) if detector.grouped else None
            if end is None:
                if detector.entity == "person":  # "Attn: Dr. Nkemelu": "Dr" is no name, but the cue before Nkemelu
                    position = match.start() + 1

                continue
            position = end
        yield start, end


def gazetteer_names(text: str, rare_words: bool = True) -> list[tuple[int, int]]:
    """Spans of names written without a cue.

    Two or three capitalised words, separated by single spaces or by lower-case particles
    ("van der", "de la"), look like a name by one of these rules:

    * the second is a known surname ("cc Will Smith"), unless it is also a core English word and
      the first is no first name and either a common word or inside a longer run of capitalised
      words ("Card Reader", "Adobe Acrobat Reader"; but "Xiadani Montgomery");
    * the first is a known first name and the second is not a core English word, unless it is
      a surname ("ask Maria Lindqvist", "Maria Long", but not "Okta Verify" or "Grace Period");
    * with ``rare_words``: neither is a known name nor a common word ("Kwame Oyelaran");
    * joined by a particle, the first is a first name or a rare word and the second is a surname
      or no core English word ("Vivienne van der Merwe", "Daan de Vries"; not "Rio de Janeiro").

    Double-barrelled names count as known when each part is ("Fernández-Ruiz", "Jean-Luc").
    Written "Surname, Firstname", two words are a name when one is a known name and the other is
    one too or a rare word ("Doherty, Eilidh", "Tran, Abimbola").

    This errs towards masking: a capitalised verb before a surname is masked with it ("Meet
    Paris Hilton" becomes "<PERSON>"), and so is a city that is also a first name ("Austin
    Texas") or a name made of rare words (a fictional company "Globex Initech").
    """
    names = _NameWords.load()
    words = [(m.start(), m.end(), m.group()) for m in _CAPITALISED.finditer(text)]
    spans, i = [], 0
    while i + 1 < len(words):
        (start, end, word), (next_start, next_end, following) = words[i], words[i + 1]
        between = text[end:next_start]
        usable = word not in NEVER_NAME_PARTS and following not in NEVER_NAME_PARTS
        in_run = i > 0 and words[i - 1][1] == start - 1 and text[start - 1] == " "  # "Adobe| Acrobat Reader"
        sentence_start = _SENTENCE_START_BEFORE.search(text, max(0, start - 4), start) is not None
        if usable and between in (" ", "  ") and (names.pair(word, following, rare_words, in_run, sentence_start) or (
                rare_words and not in_run and names.word_name_before_rare_word(word, following)
                and _MID_SENTENCE.search(text, max(0, start - 40), start))):  # "It was Guy Migneault"; not "Will Grafana"
            if (i + 2 < len(words) and words[i + 2][0] == next_end + 1 and text[next_end] == " "
                    and names.surname(words[i + 2][2]) and not names.first_name(words[i + 2][2], everyday=True)):
                next_end, i = words[i + 2][1], i + 1  # "Maria Garcia Lopez"; not "Ada Ebert Mark II"
            if eponym := _EPONYM_AFTER.match(text, next_end):  # "Martin Luther King Day", "Simon Fraser University"
                while i + 2 < len(words) and words[i + 2][1] <= eponym.end():
                    i += 1  # none of the eponym's words starts a name ("King Day")
            else:
                spans.append((start, next_end))
            i += 2
        elif usable and _INITIAL_BETWEEN.fullmatch(between) and names.pair(word, following, rare_words, in_run):
            spans.append((start, next_end))  # "Pauline K Nielsen", "Maciej G. Borkowski"
            i += 2
        elif usable and (_PARTICLES.fullmatch(between) or _INITIAL_THEN_PARTICLES.fullmatch(between)) and names.joined_by_particle(
                word, following, rare_words):
            spans.append((start, next_end))  # "Daan de Vries", "Sietske R. van der Wardt"
            i += 2
        elif (usable and between == ", " and names.reversed_pair(word, following, rare_words)
              and not (i + 2 < len(words) and words[i + 2][0] == next_end + 1 and text[next_end] == " "
                       and names.pair(following, words[i + 2][2], rare_words))):  # "Maier, Andy MacKinlay, ..."
            spans.append((start, next_end))
            i += 2
        else:
            i += 1
    return sorted(spans + [span for span in _upper_case_names(text, names) if not any(
        span[0] < end and start < span[1] for start, end in spans)])


_MID_SENTENCE = re.compile(r"(?<![\w'’-])[a-z\u00DF-\u024F][\w'’-]* $")  # before a word: a lower-case word
_SENTENCE_START_BEFORE = re.compile(r"(?:^|[.!?:\n]|[-*•>#] )[ \t]*$")  # "Tell", "* Bump", "# Run", "Done. Call", "another: Assuming"

# A lone name inside a sentence: after a lower-case word or a comma ("town, Kristína!", "to
# Shannon"), and followed by punctuation, the end, a possessive or a word that follows people as
# well as things ("Tran's song", "Petrov was"), not by another capitalised word ("Server Error")
# nor by a noun it would name a thing with ("Gregorian calendar", "Bert tokenizer").
_AFTER_LONE_NAME = (r"and|or|but|is|was|isn't|wasn't|has|had|have|will|would|can|could|should|did|does|do|said|says"
                    r"|told|asked|to|from|in|at|on|for|with|who|whose|when|if|so|just|also|again|too|here|there|as"
                    r"|about|because|yet|still|never|always|lives|lived|went|came|got|gave|made|took|wants|wanted"
                    # when, and what people did ("I met Maria yesterday", "the report from Maria arrived")
                    r"|yesterday|today|tomorrow|tonight|recently|earlier|later|personally|directly|please|again"
                    r"|[a-z]{2,}ed")
# What people do, after a known surname that is a common word in another language ("Costa said", "Longo wrote").
_PERSON_VERBS = r"said|says|told|asked|wrote|lives|lived|went|came|wants|wanted|thinks|thought|knows|knew"
_PERSON_VERB_AFTER = re.compile(rf" (?:{_PERSON_VERBS}|[a-z]{{2,}}ed)\b")
_WHAT_ONLY_PEOPLE_DO_AFTER = re.compile(rf" (?:{_PERSON_VERBS})\b")  # not "-ed": "Conda installed it"
# A name starting a sentence before what people do or where they are from ("Kaczmarek was here
# yesterday", "Olena said no", "Nygaard from sales will call"), or owning something ("Olsen's flight").
_SENTENCE_START_NAME = re.compile(
    # (after a time that opens the sentence: "In 1998 Abbott left the band", "Yesterday Olena said no")
    rf"(?:^|(?<=[.!?] )|(?<=\n))(?:(?:In|By|Since|Until) (?:19|20)\d\d,? |(?:Yesterday|Today|Later|Then|Afterwards|Meanwhile"
    rf"|Finally|Eventually|Recently),? )?({NAME_WORD})(?: (?:{_PERSON_VERBS}|is|was|has|had|writes|works|worked|called"
    r"|left|became|began|met|sang|spent"
    r"|will|would|can|could|should|did|does|isn't|wasn't|wants|needs|just|also|still|never|always|from"
    rf"|and (?:I|me|my|his|her|their|our)|and(?= [{CAPITAL}])"
    r"|[a-z]{2,}ed)\b|(['’]s)\b|(?=[ \t]+[-–—][ \t]))", re.MULTILINE)  # and "Rebecca - thanks!"
_DETERMINERS = frozenset({"the", "a", "an", "this", "that", "these", "those", "its"})
_ASKED_WHO_IS_ON_THE_LINE = re.compile(r"(?:^|[.!?]\s+|\n)[ \t]*(?i:is)[ \t]+(?i:this|that)[ \t]+$")  # "Is this Rebecca?"
# Words of any English sentence: a given name counts alone only in one ("I asked Jonathan twice"), not
# in a run of tokens ("tides Kevin probation anne", a random model's output) or a title.
_FUNCTION_WORD = re.compile(r"\b(?:I|[Aa]n?|[Tt]he|to|of|and|or|in|on|at|for|with|is|was|are|were|be|been|has|have|had|[Mm]y|me"
                            r"|[Ww]e|[Yy]ou|[Hh]e|[Ss]he|[Ii]t|[Tt]hey|[Tt]his|[Tt]hat|not|but|from|by|will|would|can|could"
                            r"|[Dd]id|[Dd]o|[Dd]oes)\b")
# Words after which a town stands as often as a person ("to Roma", "at Atlanta", "part of London").
_PLACE_PREPOSITIONS = frozenset({"in", "at", "to", "from", "near", "into", "via", "of", "around", "across", "outside",
                                 "inside", "towards", "toward", "through", "visit", "visited", "visiting", "leave", "left"})
# Nouns that a scientist's name makes into a thing's name ("Fibonacci numbers", "Kalman filter").
_EPONYM_NOUNS = frozenset({
    "number", "numbers", "sequence", "series", "filter", "filters", "coding", "code", "codes", "space", "spaces",
    "algorithms", "calendar", "calendars", "date", "dates", "day", "days",
    "value", "values", "frequency", "frequencies",
    "transform", "distribution", "algorithm", "theorem", "equation", "equations", "test", "function", "functions",
    "curve", "curves", "process", "model", "method", "edge", "index", "score", "matrix", "chain", "law", "effect",
    "principle", "constant", "criterion", "distance", "integral", "polynomial", "polynomials", "notation", "problem",
    "conjecture", "lemma", "bound", "tree", "trees", "graph", "graphs", "set", "sets", "operator", "formula", "rule",
    "kernel", "metric", "similarity", "diagram", "plot", "triangle", "noise", "heap", "sort", "search", "hash",
    "romanization", "transliteration",
})
_LONE_NAME = re.compile(rf"(?<=[a-z\u00DF-\u024F,;] )({NAME_WORD})(?:['’]s\b|(?=[.,;:!?)\]\"]|[ \t]*$|[ \t]*\n"
                        rf"|[ \t]+(?:{_AFTER_LONE_NAME}|I)\b)|(?=[ \t]+([a-z][a-z'’-]*)\b))")


_NEXT_LOWER_CASE_WORD = re.compile(r"[ \t]+([a-z]+)\b")
_WHAT_A_PERSON_DID_AFTER = re.compile(r"[ \t]+(?:[a-z]{2,}ed|sold|wrote|said|told|made|took|gave|won|lost|left|went|came|got|ran|sang"
                                      r"|spoke|is|was|has|had|will|would|can|could|says|thinks|wants)\b")
# What a scientist's possessive names ("Dijkstra's algorithm", "Benford's law"); not what people own
# as well ("Olsen's number", "Maria's date of birth", "Tran's song").
_POSSESSIVE_EPONYM_NOUNS = frozenset({
    "algorithm", "algorithms", "theorem", "law", "laws", "equation", "equations", "principle", "constant", "distribution",
    "conjecture", "lemma", "formula", "transform", "inequality", "paradox", "hypothesis", "criterion", "coefficient",
    "syndrome", "disease", "razor", "triangle", "spiral", "sieve", "identity", "integral",
})
# Surnames whose possessive names a shop, brand or auction house more often than a person's thing.
POSSESSIVE_BRANDS = frozenset({
    "McDonald", "Macy", "Kellogg", "Sainsbury", "Lloyd", "Moody", "Dillard", "Kohl", "Hardee", "Campbell", "Hershey",
    "Reese", "Sotheby", "Christie", "Levi", "Denny", "Arby", "Domino", "Applebee", "Nathan", "Tiffany", "Claire",
    "Carl", "Church", "Lowe", "Wendy", "Friendly", "Morrison", "Harrod", "Boot", "Chili", "Dunkin", "Hellmann",
    "Smucker", "Heinz", "Baskin", "Wegman", "Bojangle", "Zaxby", "Culver",
})
_LIST_JOIN = re.compile(r",? (?:and|or|&) |, ")
# Three or more names in a list ("our founders: Rozhkova, Contreras and Bush").
_NAME_LIST = re.compile(rf"(?<![\w'’-]){NAME_WORD}(?:, {NAME_WORD}){{1,5}},? (?:and|&) {NAME_WORD}(?![\w'’-])")
_WORD_IN_LIST = re.compile(NAME_WORD)
# A name called at the start of a sentence, before a question ("Macaire, can I please speak to your boss?").
_CALLED_NAME = re.compile(rf"(?:^|(?<=[.!?] )|(?<=\n))({NAME_WORD}), (?:can|could|would|will|please|do|did|are|have|shall|may)"
                          r" (?:I|you|we)\b")
# Of three or more listed words: how many must be known names, and how many no core English word
# ("Rozhkova, Contreras and Bush" are people; "Brown, Green and White" colours, "Lagos, Nairobi and Accra" cities).
LISTED_NAMES_MIN = 2


# A word and a colon starting a line: a speaker in a transcript ("Inalén: What a wife.\nRichard: ...").
# Chat writes them in lower case too ("amber: remember me?").
_SPEAKER_LABEL = re.compile(rf"^[ \t]*({NAME_WORD}|[a-zß-öø-ÿ\u0100-\u024F]+):[ \t]+(?=\S)", re.MULTILINE)
SPEAKERS_MIN = 2  # lines starting with a label, one of them a known first name, make a transcript
SCRIPT_SPEAKERS_MIN = 3  # lines that all start with a label, one of them a known first name, make a script
_SPOKEN_WORD = re.compile(r"[^\W\d_]{2,}")


def _speaker_labels(text: str, names: _NameWords, rare_words: bool) -> list[tuple[int, int]]:
    """Spans of the speakers of a transcript: where two or more lines start with a one-word label and
    one label is a known first name, the labels that are rare in all seven languages are names too
    ("Mashuu: What a wife.\nVictor: Remember me, Sonia?"), and in lower case every known first name
    ("amber:"); "Bot:", "User:", "Note:" stay."""
    if not rare_words or ":" not in text or "\n" not in text:
        return []
    labels = list(_SPEAKER_LABEL.finditer(text))
    words = [_title_case(label.group(1)) for label in labels]
    single_first_names = [_single_first_name(word) for word in words]
    first_names = sum(single_first_names)
    if len(labels) < SPEAKERS_MIN or not first_names:
        return []
    rare = [names.rare(word) and _no_word(word.casefold()) for word in words]
    # Speakers whose label is a name by itself: a known first name that is no word, or a rare word.
    named = [is_rare or is_first_name for is_rare, is_first_name in zip(rare, single_first_names)]
    # Every line a speaker's, three or more: a script, where each label is a person's unless it is
    # an everyday word ("Antu: What a wife.\nJasmine: Remember me, Paul?\nJanet: You saved my life!").
    # A table's rows are no lines spoken ("Summer: 20%\nWinter: 10%\nMaria: ok").
    lines = [line for line in text.splitlines() if line.strip()]
    script = len(labels) >= SCRIPT_SPEAKERS_MIN and len(labels) == len(lines) and all(
        len(_SPOKEN_WORD.findall(line.split(":", 1)[1])) >= 2 for line in lines)
    spans = []
    for label, word, is_rare, is_named in zip(labels, words, rare, named):
        # In lower case every known first name ("amber:", "gladys:"); among two other speakers with
        # names, also one that names a place or is a word ("Chelsea: What a wife.", "Heather: Remember me").
        known = names.given_name_where_a_person_stands(word) and (
            label.group(1).islower() or first_names >= SPEAKERS_MIN or sum(named) - is_named >= SPEAKERS_MIN or script)
        if script and not known:
            known = _no_thing_nor_core_word(word, names)
        if word not in NEVER_NAME_PARTS and (is_rare or known):
            spans.append(label.span(1))
    return spans


# A name called at the end of a sentence, after a comma ("Remember me, Julia?", "Don't go to town, Amber!").
_NAME_CALLED_AT_THE_END = re.compile(rf"(?<=[a-z\u00DF-\u024F], )({NAME_WORD})(?=[?!])")
_SPOKEN_TO = re.compile(r"\b(?:[Mm]e|[Yy]ou|[Yy]our|[Uu]s|I|[Ww]e|[Mm]y|[Oo]ur)\b")


def _names_called_at_the_end(text: str) -> list[tuple[int, int]]:
    """Spans of known given names, words or things' names too ("Julia", "Amber", "Victoria"), called
    at the end of a sentence that speaks to someone: after a comma, before "?" or "!", in a sentence
    with "me", "you", "we"... or one that ends in "!" ("Remember me, Julia?", "Don't go to town,
    Amber!"; not "Is it in the UK, Victoria?", nor a country, state or city: "I love it, Paris!")."""
    spans = []
    for match in _NAME_CALLED_AT_THE_END.finditer(text):
        if not _given_name_spoken_to(match.group(1)):
            continue
        sentence = text[max(text.rfind(mark, 0, match.start()) for mark in ".!?\n") + 1:match.start()]
        if text[match.end()] == "!" or _SPOKEN_TO.search(sentence):
            spans.append(match.span(1))
    return spans


def _listed_and_called_names(text: str, names: _NameWords, rare_words: bool) -> list[tuple[int, int]]:
    """Spans of names in a list of three or more words that are known names or rare words, two of
    them known and two no core English words, and of a known (or, with ``rare_words``, rare) word
    called at the start of a sentence before a question."""
    spans = []
    if ", " in text and (" and " in text or " & " in text):
        for match in _NAME_LIST.finditer(text):
            words = list(_WORD_IN_LIST.finditer(match.group()))
            if (all(w.group() not in NEVER_NAME_PARTS and (names.known(w.group()) or names.rare(w.group())) for w in words)
                    and sum(names.known(w.group()) for w in words) >= LISTED_NAMES_MIN
                    and sum(w.group().casefold() not in names.core_english for w in words) >= LISTED_NAMES_MIN):
                spans += [(match.start() + w.start(), match.start() + w.end()) for w in words]
    if ", " in text:
        for match in _CALLED_NAME.finditer(text):
            word = match.group(1)
            if word not in NEVER_NAME_PARTS and word.casefold() not in names.core_english and (
                    names.known(word) or (rare_words and names.rare(word)) or names.recorded_first_name(word)):
                spans.append(match.span(1))
    return spans



# A Dutch or German surname with its particle in lower case ("van Lint", "von Platen", "van der
# Neut-Bandel"), at a sentence's start or after a lower-case word or a comma, and not before another
# capitalised word.
_PARTICLE_SURNAME = re.compile(
    rf"(?:(?<=[a-z,] )|^|(?<=[.!?:] )|(?<=\n))(?:van der|van den|van de|von der|van|von|ter|ten) ([{CAPITAL}][a-z\u00DF-\u024F'’]+"
    rf"(?:-[{CAPITAL}][a-z\u00DF-\u024F'’]+)?)\b(?![ \t]+[{CAPITAL}])")


def _particle_surnames(text: str, names: _NameWords) -> list[tuple[int, int]]:
    """Spans of surnames with their particle alone ("her maiden name is van Lint", "that van Hecke was
    influenced"): the word after the particle is no core English word and names no place, and the word
    before the particle is no capitalised one (its given name, which the gazetteer rules take whole)."""
    spans = []
    for match in _PARTICLE_SURNAME.finditer(text):
        before = text[:match.start()].split()
        word = match.group(1).casefold()
        if (before and before[-1][:1].isupper() and not before[-1].endswith((",", ".", ":", "!", "?"))) or (
                word in names.core_english or word in countries_and_states() or word in time_zone_cities()):
            continue
        spans.append(match.span())
    return spans


def lone_names(text: str, name_ends: Iterable[int] = (), rare_words: bool = True,
               name_starts: Iterable[int] = ()) -> list[tuple[int, int]]:
    """Spans of one known name alone inside a sentence, where no cue says it is a person.

    A known first name or surname counts when it is no core English word (so "French", "Server"
    and "Brown" do not), names no thing (``FIRST_NAMES_OF_THINGS``, ``WORD_NAMES``), and a
    surname must be rare in all seven languages too ("Olson", "Kowalczyk"; not "Rust"), unless it
    is listed after or before a name (``name_ends``, ``name_starts``: where names found in ``text``
    end and start): "Mathiasen, Wilson and Williamson", "Both Lopez and Maria agreed", or owns
    something ("Tran's song"; not ``POSSESSIVE_BRANDS``). Also
    names in a list and names called before a question (``_listed_and_called_names``;
    ``rare_words`` as in ``gazetteer_names``). Spans may overlap; the caller keeps the first.
    """
    names = _NameWords.load()
    ends = set(name_ends)
    spans = _listed_and_called_names(text, names, rare_words) + _speaker_labels(text, names, rare_words)
    if ", " in text and ("?" in text or "!" in text):
        spans += _names_called_at_the_end(text)
    for match in _SENTENCE_START_NAME.finditer(text):  # "Kaczmarek was here yesterday."
        word = match.group(1)
        if (_no_thing_nor_core_word(word, names) and word not in WORD_NAMES
                and not (match.group(2) and word in POSSESSIVE_BRANDS)
                and (names.first_name(word) or names.name_more_than_word(word)
                     or (names.rare(word) and (names.surname(word) or names.surname_shaped(word)))
                     or (names.recorded_first_name(word) and _WHAT_ONLY_PEOPLE_DO_AFTER.match(text, match.end(1))))):
            spans.append(match.span(1))
    if " van " in text or " von " in text or " ter " in text or " ten " in text or text.startswith(("van ", "von ")):
        spans += _particle_surnames(text, names)
    for match in _LONE_NAME.finditer(text):
        word = match.group(1)
        if word in WORD_NAMES or not _no_thing_nor_core_word(word, names):
            continue
        before = text[max(0, match.start() - 40):match.start()].split()
        if before and (before[-1].lower() in _DETERMINERS or before[-1] == "import") and not (
                _ASKED_WHO_IS_ON_THE_LINE.search(text, 0, match.start()) and text.startswith("?", match.end(1))):
            continue  # "stayed at the Hilton", "import Repo"; but on the phone, "Is this Rebecca?"
        if word.casefold() in names.core_english and not (before and (
                before[-1].endswith((",", ";")) or before[-1].casefold() in names.everyday_english)):
            continue  # a common given name that is a core word after a word people write: "with Mike", "to Tom"
        # After a capitalised word the name may be part of a longer one ("São Paulo"), unless that
        # word is an everyday word starting the sentence ("Tell Giulia when done"; but "Lake Louise").
        if before and before[-1][0].isupper() and not before[-1].endswith((",", ";")) and not (
                before[-1].casefold() in names.core_english and before[-1] not in NEVER_NAME_PARTS
                and (len(before) == 1 or before[-2].endswith((".", "!", "?", ":")))):
            continue
        listed = (any(_LIST_JOIN.fullmatch(text, end, match.start()) for end in ends if end < match.start())
                  or any(_LIST_JOIN.fullmatch(text, match.end(1), start) for start in name_starts if start > match.end(1)))
        owner = match.end() > match.end(1) and word not in POSSESSIVE_BRANDS  # "though Tran's song"
        if owner and (eponym := _NEXT_LOWER_CASE_WORD.match(text, match.end())) and eponym.group(1) in _POSSESSIVE_EPONYM_NOUNS:
            continue  # a thing named after someone: "using Dijkstra's algorithm", "by Bayes's theorem"
        if match.group(2):  # before any lower-case word ("I met Rushisvili yesterday"): a name rare in all seven languages
            known = names.first_name(word) or names.surname(word) or names.surname_shaped(word)
            # A common given name too ("I asked Jonathan twice"), but not after a word of place, where
            # towns named like people stand ("returned to Roma by", "arrived at Atlanta this").
            common_given_name = (names.first_name(word) and not (before and before[-1].casefold() in _PLACE_PREPOSITIONS)
                                 and _FUNCTION_WORD.search(text, max(0, match.start() - 60), match.end() + 60) is not None)
            # or a known surname English seldom writes as a word, before what a person did, in a sentence
            # of English ("The book by Nielsen sold"; not "as imagined by Hollywood circa 1986", nor a
            # random model's word salad: "counterproductive Kok regenerate")
            seldom_a_word = (names.name_more_than_word(word) and word not in POSSESSIVE_BRANDS and not _names_a_place(word)
                             and not (before and before[-1].casefold() in _PLACE_PREPOSITIONS)
                             and _WHAT_A_PERSON_DID_AFTER.match(text, match.end(1)) is not None
                             and _FUNCTION_WORD.search(text, max(0, match.start() - 60), match.end() + 60) is not None)
            if (names.rare(word) and known or common_given_name or seldom_a_word) and match.group(2) not in _EPONYM_NOUNS:
                spans.append(match.span(1))
                ends.add(match.end(1))
        elif names.first_name(word) or names.surname_shaped(word) or (names.surname(word) and (
                names.rare(word) or (names.name_more_than_word(word) and word not in POSSESSIVE_BRANDS) or listed or owner
                or _PERSON_VERB_AFTER.match(text, match.end(1)))):
            spans.append(match.span(1))
            ends.add(match.end(1))
    return spans


# A lower-case word, and what may stand between two words of a name: a space, or an initial
# ("marta lundgren", "florence a. noorman").
_LOWER_CASE_WORD = re.compile(r"(?<![\w'’.@/:#=_-])[a-zß-öø-ÿ\u0100-\u024F]+(?:['’-][a-zß-öø-ÿ\u0100-\u024F]+)*(?![\w'’@/=_(-]|\.\w)")
_BETWEEN_LOWER_CASE_NAME_WORDS = re.compile(r" (?:[a-z]\.? )?")


# Characters of code and commands, and the words of a person's prose: only prose typed in lower case
# is read for names ("i talked to jessica"; not "import sys", "sudo apt update", "self.val = val").
# ("apt" as the package tool, not the flat of an address: "apt install", not "apt. 812")
# ("return" before "to" or "from" is a parcel's: "please return to 07245 hersnapvej 75"; a bracket
# after a space is prose's: "(on the beach)", one after a word code's: "f(x)", "a[0]")
_CODE_CHARACTER = re.compile(r"[={}<>_\\$`|]|\w[(\[]|[(\[][)\]]|\b(?:sudo|import|def|return(?![ \t]+(?:to|from)\b)|pip|yum|npm)\b"
                             r"|\bapt(?:-get)?(?=[ \t]+[a-z])")
_PERSONAL_WORD = re.compile(r"\b(?:i|i'm|i've|my|me|we|our|us|you|your|he|she|his|her|him|they|their|them)\b")
_LOWER_CASE_STREET_WORD = re.compile(_LOWER_CASE_STREET_WORDS)  # it holds _STREET_WORDS_IN_LOWER_CASE too


def _never_a_lower_case_name(word: str, title: str) -> bool:
    """Whether a lower-case word (``title``: with its capital) is read as no name wherever capitals
    say nothing: shorter than 3 letters, a word that never starts a name, a common English word, a
    country or state, or a street word ("amber" and other dictionary words are for the caller)."""
    return (len(word) < 3 or title in NEVER_NAME_PARTS or title in english_words() or word in countries_and_states()
            or _LOWER_CASE_STREET_WORD.fullmatch(word) is not None)


def names_in_lower_case_text(text: str) -> list[tuple[int, int]]:
    """Spans of known names in a text typed wholly in lower case, where capitals say nothing ("i talked
    to jessica yesterday"): a known first name or surname that no dictionary lists as a word and that
    names no thing, country, state or street word ("amber", "paris", "django", "will", "rua" stay),
    with a known first name that is also a word right before one ("maria lopez"). Only prose is read:
    a personal word ("i", "my", "she") and no character or command of code ("sudo apt update",
    "self.val = val"). A text with any capital is left to the other rules."""
    if not text.islower() or _CODE_CHARACTER.search(text) or not _PERSONAL_WORD.search(text):
        return []
    names = _NameWords.load()
    words = list(_LOWER_CASE_WORD.finditer(text))
    named = [False] * len(words)
    for i, match in enumerate(words):
        word = match.group()
        title = _title_case(word)
        if in_dictionary(word) or _never_a_lower_case_name(word, title):
            continue
        named[i] = _single_first_name(title) or (names.surname(title) and title not in FIRST_NAMES_OF_THINGS)
    # A known first name that is also a word, right before a name found ("maria lopez"), is its first part.
    for i in range(len(words) - 1):
        if named[i + 1] and not named[i] and text[words[i].end():words[i + 1].start()] == " ":
            title = _title_case(words[i].group())
            named[i] = title not in NEVER_NAME_PARTS and title not in WORD_NAMES and names.first_name(title)
    spans: list[tuple[int, int]] = []
    for i, match in enumerate(words):
        if not named[i]:
            continue
        if spans and i and named[i - 1] and text[words[i - 1].end():match.start()] == " ":
            spans[-1] = (spans[-1][0], match.end())  # one span for the whole name
        else:
            spans.append(match.span())
    return spans


# Affixes of English words that no dictionary lists whole ("tokenize", "unpickle", "dockerized").
_ENGLISH_PREFIX = re.compile(r"(?:un|re|de|pre|non|over|sub|super|anti|auto|multi|micro)(?=[a-z]{3})")
_ENGLISH_SUFFIX = re.compile(r"(?<=[a-z]{3})(?:i[sz](?:e[sd]?|ing|ations?)|able|ing|ed|ers?|e?s|ly|ness|ment|less|ful)$")


def _english_derivation(word: str, core_english: frozenset[str]) -> bool:
    """Whether a lower-case word is a dictionary word with an English prefix or suffix added or removed
    ("tokenize" of "token", "unpickle" of "pickle"), or two core English words of 3 letters or more
    joined ("newline", "codebase"): a word, not a name, though no dictionary lists it."""
    stems = {_ENGLISH_PREFIX.sub("", word, count=1), _ENGLISH_SUFFIX.sub("", word)}
    stems.add(_ENGLISH_SUFFIX.sub("", _ENGLISH_PREFIX.sub("", word, count=1)))
    if any(stem != word and (in_dictionary(stem) or in_dictionary(stem + "e")) for stem in stems):
        return True
    return any(word[:cut] in core_english and word[cut:] in core_english for cut in range(3, len(word) - 2))


_LOWER_CASE_INITIAL_IN_A_NAME = re.compile(rf"(\b[{CAPITAL}][a-zß-öø-ÿ\u0100-\u024F'’-]+ )([a-z])(?=\.? [{CAPITAL}])")
_LOWER_CASE_PRONOUN_I = re.compile(r"\bi(?=\b(?!['’-]\w{3}))")


def _with_initials_capitalised(text: str) -> str:
    """``text`` with a lower-case letter between two capitalised words capitalised: an initial between
    two words that could be names is one ("Maryam b. Kadiev", "Aron b Geirsson", "Júlio s Dias")."""
    return _LOWER_CASE_INITIAL_IN_A_NAME.sub(lambda match: match.group(1) + match.group(2).upper(), text)


def _could_be_a_name(word: str, title: str, names: _NameWords, first_names_only: bool) -> bool:
    """Whether a lower-case word of prose could be a name (``capitalised_as_written``): no dictionary
    word, in whole or in any part ("amber", "spurious", "block-wise"), as ``names_in_lower_case_text``."""
    parts = word.split("-")
    if any(in_dictionary(part) for part in parts):
        return False  # "amber", "odd-arch", "block-wise" (but "lom-ali", "anne-marie")
    if names.first_name(title):
        return True
    if first_names_only:
        return False
    if names.surname(title) and word not in names.core_english:
        return True
    return all(names.rare(part) and not _english_derivation(part, names.core_english) for part in parts)


# Words of addresses that English writes with a capital there and in lower case elsewhere.
_ADDRESS_WORD = re.compile(rf"(?i:{STREET_SUFFIX}|{STREET_PREFIX}|apt|apartment|suite|unit|flat|floor|room)|{_LOWER_CASE_STREET_WORDS}")


_LOWER_CASE_STREET_NAME = re.compile(rf"(?<![\w.,-])\d+[a-z]?[ \t]+((?:[a-zß-öø-ÿ'’-]+[ \t]+){{0,2}}[a-zß-öø-ÿ'’-]+)[ \t]+(?i:{STREET_SUFFIX})(?![\w-])")


def address_capitalised_as_written(text: str) -> str | None:
    """The text typed wholly in lower case, with the capitals an address would have put back ("2907
    avenida júlio s dias 106" -> "2907 Avenida Júlio S Dias 106"), or None where it holds no digit or
    is code: each word that is no core English word (names of streets, towns and countries), each
    country or US state ("denmark", "texas"), each street word ("street", "rd", "utca") and each
    single letter between two such words; ``find`` reads its street addresses. Same length as the
    text, character for character; None where no capital was put back."""
    if (not text.islower() or not any(character.isdigit() for character in text)
            or any(code.group() != "apt" for code in _CODE_CHARACTER.finditer(text))):  # "apt. 236" is a flat
        return None
    core_english = _NameWords.load().core_english
    characters = list(text)
    for match in _LOWER_CASE_WORD.finditer(text):
        word = match.group()
        title = _title_case(word)
        if len(title) == len(word) and (_ADDRESS_WORD.fullmatch(word) or word in countries_and_states() or (
                len(word) > 1 and word not in core_english and not _FUNCTION_WORD.fullmatch(word))):
            characters[match.start():match.end()] = title
    # English words name streets too: between a house number and a street word ("12 main street").
    for match in _LOWER_CASE_STREET_NAME.finditer(text):
        for word in _LOWER_CASE_WORD.finditer(text, match.start(1), match.end(1)):
            title = _title_case(word.group())
            if len(title) == len(word.group()):
                characters[word.start():word.end()] = title
    capitalised = _with_initials_capitalised("".join(characters))
    return None if capitalised == text else capitalised


def capitalised_as_written(text: str, first_names_only: bool = False) -> str | None:
    """The text typed wholly in lower case, with the capitals its writer left out put back on the
    words that could be names ("hey hilarion, any update?" -> "hey Hilarion, any update?"), or None
    where there is none. Only prose is read (no character of code).

    A word that could be a name (``_could_be_a_name``), which no dictionary lists: a known first name,
    a known surname that is no core English word, or a word common in none of the seven languages and
    no English derivation ("tokenize", "unpickle", "newline"). "i" gets its capital too; places,
    street words and sentence starts do not (a capital put at a line's start reads as a name called:
    "arch, producing"). The result has the text's length, character for character, so spans found in
    it are spans of the text: the person rules then read lower-case chat as they read chat typed with
    capitals, and decide as they do there (a capital alone makes no name). ``first_names_only``: known
    first names only, as surname lists hold words of code too ("twine", "zarr", "repo")."""
    if not text.islower() or _CODE_CHARACTER.search(text):
        return None
    names = _NameWords.load()
    characters = list(text)
    named = False
    first_name_end = -1  # where the last first name given its capital ends
    honorific_before = False  # whether a title stands before that first name ("mr. csanád")
    for match in _LOWER_CASE_WORD.finditer(text):
        word = match.group()
        title = _title_case(word)
        if len(title) != len(word):
            continue
        if match.start() == first_name_end + 1 and text[first_name_end] == " " and (
                _surname_after_a_first_name(title, names) or (honorific_before and _surname_after_a_title(title))):
            # "phillip cole", "virpi hull": a surname that is a word too; "mr. csanád gere": any after a title
            characters[match.start():match.end()] = title
            continue
        if _never_a_lower_case_name(word, title) or title in FIRST_NAMES_OF_THINGS or word in time_zone_cities():
            continue
        if _could_be_a_name(word, title, names, first_names_only):
            characters[match.start():match.end()] = title
            named = True
            honorific_before = _LOWER_CASE_HONORIFIC_BEFORE.search(text, max(0, match.start() - 6), match.start()) is not None
            if names.first_name(title) or honorific_before:
                first_name_end = match.end()
    if not named:
        return None
    for match in _LOWER_CASE_PRONOUN_I.finditer(text):
        characters[match.start()] = "I"
    return _with_initials_capitalised("".join(characters))


_WORD_AFTER_A_NAME = re.compile(rf"(?:{_AFTER_LONE_NAME}|{_PERSON_VERBS})")  # "rebecca said", "maria asked"
_LOWER_CASE_HONORIFIC_BEFORE = re.compile(r"(?<![\w.])(?:mr|mrs|ms|miss|dr|prof)\.?[ \t]$")


def _surname_after_a_title(title: str) -> bool:
    """Whether a lower-case word after a title and a known first name is the surname ("mr. csanád
    gere", "mr. umberto fiorentini"): any word but the commonest English ones ("mr. john will"), what
    people do after their name and the words that never start a name."""
    return (title not in english_words() and title not in NEVER_NAME_PARTS
            and not _WORD_AFTER_A_NAME.fullmatch(title.lower()))


def _surname_after_a_first_name(title: str, names: _NameWords) -> bool:
    """Whether a lower-case word right after a known first name is its surname though a word too
    ("cole", "hull", "grant"): a known surname, and none of the commonest English words ("will",
    "today"), what people do after their name ("said", "asked") nor a word that never starts a name."""
    return names.surname(title, everyday=True) and title not in WORD_NAMES and _surname_after_a_title(title)


# Two capitalised words joined by "and", "or" or "&" ("Zachary and Lindsey both reported it").
_JOINED_PAIR = re.compile(rf"(?=[{CAPITAL}])\b({NAME_WORD}),?[ \t]+(?:and|or|&)[ \t]+({NAME_WORD}){NAME_END}")


# People named by a plural word for them, a colon and a list ("our 3 founders: Gomes, Powers and
# Waters", "The speakers were: Ana Ruiz, Tom Berg and de Launay"). The list ends with "and" or "&".
_PEOPLE_NOUNS = (r"(?:co-?)?founders|(?:co-?)?authors|partners|members|hosts|speakers|winners|judges|panell?ists|organi[sz]ers"
                 r"|presenters|contributors|maintainers|owners|directors|siblings|children|kids|sons|daughters|grandchildren"
                 r"|colleagues|teammates|friends|employees|guests|attendees|participants|candidates|nominees|finalists"
                 r"|editors|reviewers|instructors|teachers|witnesses|signatories|tenants|parents|heirs|executors|trustees")
_LISTED_NAME = rf"(?:{PARTICLE}[ \t])?{NAME_WORD}(?:[ \t]{NAME_WORD})?"
_PEOPLE_LISTED = re.compile(
    rf"(?i:\b(?:{_PEOPLE_NOUNS})(?:[ \t]+(?:are|were|include|included))?)[ \t]*:[ \t]*"
    rf"({_LISTED_NAME}(?:,[ \t]*{_LISTED_NAME}){{0,8}},?[ \t]+(?:and|&)[ \t]+{_LISTED_NAME}){NAME_END}")
_LISTED_ITEM = re.compile(_LISTED_NAME)


def names_listed_after_people(text: str) -> list[tuple[int, int]]:
    """Spans of the names in a list after a plural word for people and a colon ("our 3 founders:
    Gomes, Powers and Waters"): each item a known name, a US Census surname or one shaped like a
    surname, everyday words too ("Love", "English"), but no other word ("our values: Passion and
    Trust" names no people; neither would "founders: Passion and Trust")."""
    names = _NameWords.load()
    census = census_surnames()
    spans = []
    for listing in _PEOPLE_LISTED.finditer(text):
        for item in _LISTED_ITEM.finditer(text, listing.start(1), listing.end(1)):
            words = [word for word in item.group().split() if word[0].isupper()]
            if words and all(names.known(word) or word in census or names.surname_shaped(word)
                             or names.recorded_first_name(word) for word in words):
                spans.append(item.span())
    return spans


def first_names_joined(text: str) -> list[tuple[int, int]]:
    """Spans of two known first names joined by "and", "or" or "&" ("Zachary and Lindsey both reported
    the outage", "ask Erin or Tyler"): each is a person, where neither is an everyday word nor names
    a thing (``_single_first_name``: not "Ruby and Julia", "Jenkins and Travis"). A capitalised word
    right before the pair makes it the end of a longer name and leaves it."""
    spans = []
    for pair in _JOINED_PAIR.finditer(text):
        if _surnames_joined_before_what_people_do(text, pair):
            spans += [pair.span(1), pair.span(2)]
        elif _persons_joined(pair.group(1), pair.group(2)) and not _LONGER_NAME_BEFORE.search(
                text, max(0, pair.start() - ID_LABEL_REACH), pair.start()) and not (
                _NEXT_WORD_CAPITALISED_OR_NUMBER.match(text, pair.end()) and not _single_first_name(pair.group(2))):
            # (a rare word's pair before a capitalised word starts a firm's name: "Cohen & Steers Total Return Fund")
            spans += [pair.span(1), pair.span(2)]
    return spans


# What two people do or are, after their surnames joined ("McCray and Estrada are the two reviewers").
_PEOPLE_DO_AFTER = re.compile(r"[ \t]+(?:are|were|both|have|had|will|said|agreed|signed|met|joined|left|asked|told|replied"
                              r"|declined|refused|denied|argued|insisted)\b")


def _surnames_joined_before_what_people_do(text: str, pair: re.Match) -> bool:
    """Whether two words joined by "and" are two people's surnames: each a known name or shaped like a
    surname, no core English word ("Marks and Spencer") nor a word rare in all seven languages only
    ("Pydantic and Starlette"), the two different ("Johnson and Johnson"), before what people do or are."""
    one, other = pair.group(1), pair.group(2)
    return (one != other and _PEOPLE_DO_AFTER.match(text, pair.end()) is not None
            and _known_single_name(one) and _known_single_name(other)
            and not _LONGER_NAME_BEFORE.search(text, max(0, pair.start() - ID_LABEL_REACH), pair.start()))


def _persons_joined(one: str, other: str) -> bool:
    """Whether two words joined by "and", "or" or "&" are two people (``first_names_joined``)."""
    if _single_first_name(one) and _single_first_name(other):
        return True
    # Words joined are of one kind: beside a person's first name, a first name that is also a word or
    # a thing's name is a person too ("Sara and Madison", "Louise and Travis"), where neither names a
    # place ("Milan and Rome", where "Rome" is a first name too).
    if not (_single_first_name(one) or _single_first_name(other)):
        return False
    # So is a word rare in all seven languages ("Birlant and Jamie", "Erzebet and Brianna").
    return all(_first_name_beside_a_person(word) or _rare_word_beside_a_person(word) for word in (one, other))


def _rare_word_beside_a_person(word: str) -> bool:
    """A word rare in all seven languages, no English derivation, country, state or city, each part
    of it capitalised ("Anne-Sophie"; not "Unix-like" of "Windows, Mac, and Unix-like")."""
    names = _NameWords.load()
    return (word not in NEVER_NAME_PARTS and all(part[:1].isupper() for part in word.split("-")) and names.rare(word)
            and not _english_derivation(word.casefold(), names.core_english) and not _names_a_place(word))


def _first_name_beside_a_person(word: str) -> bool:
    """A known first name, everyday words and things' names included ("Madison", "Crystal", "Travis"),
    that names no country, state or time-zone city ("Jordan and Israel", "Milan and Rome")."""
    return word not in NEVER_NAME_PARTS and _NameWords.load().first_name(word, everyday=True) and not _names_a_place(word)


def _names_a_place(word: str) -> bool:
    """Whether a word names a country, a state or a time-zone city ("Jordan", "Milan")."""
    folded = word.casefold()
    return folded in countries_and_states() or folded in time_zone_cities()


_EMAIL_LOCAL_PART = re.compile(r"([\w.+-]+)@[\w-]+(?:\.[\w-]+)+")


def _folded(text: str) -> str:
    """Lower case without accents ("Kauê" -> "kaue"), as an e-mail address spells a name."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _email_name_spellings(text: str) -> set[str]:
    """How the e-mail addresses in ``text`` spell their names, folded and letters only: each whole
    name, each part between dots, dashes and digits, and each capitalised word
    ("ZacharyvandenIJssel@armyspy.com" -> zacharyvandenijssel, zachary, vanden, ijssel;
    "grace.phiri@example.io" -> gracephiri, grace, phiri)."""
    spellings = set()
    for match in _EMAIL_LOCAL_PART.finditer(text):
        local = match.group(1)
        spellings.add(_folded("".join(re.findall(r"[^\W\d_]+", local))))
        spellings.update(_folded(chunk) for chunk in re.findall(r"[^\W\d_]+", local))
        spellings.update(_folded(word) for word in re.findall(r"[A-Z]?[a-z\u00DF-\u024F]+|[A-Z\u00C0-\u00DE]+(?![a-z])", local))
    spellings.discard("")
    return spellings


# A word of a name as an e-mail address spells it: not inside the address itself.
_WORD_OUTSIDE_ADDRESSES = re.compile(r"(?<![\w@.])[^\W\d_]+(?:['’-][^\W\d_]+)*(?![\w@])")
_EMAIL_NAME_WORDS_MAX = 5  # "Zachary van den IJssel", "Maria de la Cruz"


def names_in_email_addresses(text: str) -> list[tuple[int, int]]:
    """Spans of names that an e-mail address in the same text spells: the longest run of words side
    by side whose letters make the address's name, a part of it, or its start ("Darda Bolla
    (BollaDarda@einrot.com)", "copy Kauê" beside KaueCavalcantiLima@rhyta.com, "keiko soto" beside
    keikosotoortega@..., "Alvin K Peoples" beside AlvinKPeoples@...). A run of one word is a known
    first name or no core English word, and a known name or no dictionary word ("Support" of
    support@example.com, "Slack" of slack@... are none); one of several words holds such a word. A
    run written with capitals is no first part of a longer capitalised name ("Grace Period" beside
    grace.phiri@...); one in lower case has two words or more."""
    spellings = _email_name_spellings(text)
    if not spellings:
        return []
    words = list(_WORD_OUTSIDE_ADDRESSES.finditer(text))
    spans, i = [], 0
    while i < len(words):
        longest = None
        letters, each_spelt = "", True
        for j in range(i, min(i + _EMAIL_NAME_WORDS_MAX, len(words))):
            if j > i and text[words[j - 1].end():words[j].start()] not in (" ", ". "):
                break
            word = _folded(words[j].group().replace("-", "").replace("'", "").replace("’", ""))
            letters += word
            each_spelt = each_spelt and (word in spellings or (len(word) == 1 and j > i))  # or a middle initial
            # Its letters in the address's order ("Keiko Soto" of keikosotoortega@), or each word in it ("Darda Bolla" of BollaDarda@).
            if letters in spellings or each_spelt or (len(letters) >= 4 and any(spelling.startswith(letters) for spelling in spellings)):
                longest = j
        if longest is not None and _spelt_name(text, words[i:longest + 1]):
            spans.append((words[i].start(), words[longest].end()))
            i = longest + 1
        else:
            i += 1
    return spans


def _spelt_name(text: str, run: list[re.Match]) -> bool:
    """Whether words that an e-mail address spells are a name (``names_in_email_addresses``)."""
    names = _NameWords.load()
    texts = [match.group() for match in run]
    capitalised = texts[0][0].isupper()
    if capitalised and _NEXT_WORD_CAPITALISED_OR_NUMBER.match(text, run[-1].end()):
        return False
    if any(word in NEVER_NAME_PARTS for word in texts) or not (capitalised or all(word.islower() for word in texts)):
        return False
    if not capitalised and (len(texts) == 1 or not _SET_OFF_BEFORE.match(text[run[0].start() - 1:run[0].start()])):
        return False  # one lower-case word is a user's or a path's ("alice", "bob" of alice@example.com; ".../jid")

    def names_a_person(word: str) -> bool:
        title = _title_case(word.lower()) if word.islower() else word
        if len(word) < 3 or (title.casefold() in names.core_english and not names.first_name(title)):
            return False
        return names.known(title) or not in_dictionary(word.lower())

    return any(map(names_a_person, texts)) if len(texts) > 1 else names_a_person(texts[0])


def lower_case_names(text: str) -> list[tuple[int, int]]:
    """Spans of names written in lower case without a cue, as chat writes them ("a huge markus kunze
    fan"): a known surname or a word rare in all seven languages after a known first name, or a
    known surname after a rare word; each neither a dictionary word nor a core English word (so not
    "tom leonard", "will smith", "django celery", "una semana"), and no function call ("elif
    isinstance("). Spans may overlap; the caller keeps the first."""
    names = _NameWords.load()
    words = [(m.start(), m.end(), m.group()) for m in _LOWER_CASE_WORD.finditer(text)]
    spans = []
    for (start, end, first), (next_start, next_end, last) in zip(words, words[1:]):
        if last in names.core_english or not _BETWEEN_LOWER_CASE_NAME_WORDS.fullmatch(text, end, next_start):
            continue  # most pairs fail here, on set lookups
        first_title, last_title = _title_case(first), _title_case(last)
        if (names.surname_shaped(last_title) and first_title not in NEVER_NAME_PARTS
                and (names.first_name(first_title, everyday=True) or (names.rare(first) and len(first) > 2))):  # not "på svenska"
            spans.append((start, next_end))  # a given name, an everyday word or not, before a surname no list knows ("lea u reiniger")
            continue
        if first in names.core_english:
            continue
        if (_no_word(first) and _no_word(last) and first_title not in NEVER_NAME_PARTS and last_title not in NEVER_NAME_PARTS
                and ((names.first_name(first_title) and (names.surname(last_title, everyday=True) or names.rare(last)))
                     or (names.surname(last_title) and names.rare(first)))):
            spans.append((start, next_end))
    return spans


# After a name without a cue, up to two more capitalised words and then a word that makes it the
# name of a day, place, institution or prize named after a person: the phrase is no mention of
# the person ("Martin Luther King Day").
# Words that end a company's name and no person's ("Glen Burnie Bancorp", "Aunt Bertha Inc", "INSYS Therapeutics").
COMPANY_WORDS = frozenset({"Inc", "Incorporated", "Ltd", "Limited", "Corp", "Corporation", "Bancorp", "Bancshares", "Holdings",
                           "Therapeutics", "Pharmaceuticals", "Technologies", "Industries", "Enterprises"})
_EPONYM_AFTER = re.compile(
    r"(?: [A-Z][\w'’-]*){0,2} (?:Day|University|College|School|Academy|Institute|Hospital|Clinic|Airport|Station|Stadium|Arena|Center|Centre"
    r"|Foundation|Trust|Award|Awards|Prize|Medal|Memorial|Museum|Library|Hall|Theatre|Theater|Park|Bridge|Tunnel"
    r"|Building|Tower|Square|Lecture|Fellowship|Scholarship|Act|Law|Syndrome|Disease|Effect|Theorem|Equation"
    # a company named after its founders or its town ("Glen Burnie Bancorp", "Aunt Bertha Inc", "Morgan Stanley Group")
    rf"|{'|'.join(sorted(COMPANY_WORDS))}|Company|LLC|LLP|PLC|plc|GmbH|Group)\b")


# Two words in capitals ("MARIA LOPEZ", "LOPEZ, MARIA"), as in form fields and shouted signatures.
_UPPER_CASE_PAIR = re.compile(r"(?<![\w'’-])([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+)( |, )([A-ZÀ-ÖØ-Þ][A-ZÀ-ÖØ-Þ'’-]+)(?![\w'’-])")


def _upper_case_names(text: str, names: _NameWords) -> list[tuple[int, int]]:
    """Spans of names written in capitals: only known first names and surnames count, as acronyms
    abound in capitals ("HTTP ERROR", "ACME CORP")."""
    spans = []
    for match in _UPPER_CASE_PAIR.finditer(text):
        first, separator, second = match.group(1).title(), match.group(2), match.group(3).title()
        if separator == ", ":
            first, second = second, first
        if names.first_name(first, everyday=separator == " ") and names.surname(second):
            spans.append(match.span())
    return spans


_PARTICLES = re.compile(rf" {PARTICLE} ")
_PARTICLE_WORDS = frozenset(PARTICLE.strip("(?:)").replace(" ", "|").split("|"))
_INITIAL_BETWEEN = re.compile(rf" [{CAPITAL}]\.? ")
_INITIAL_THEN_PARTICLES = re.compile(rf" [{CAPITAL}]\.? {PARTICLE} ")


@dataclass(frozen=True)
class _NameWords:
    """The word lists of ``names`` and the name rules of ``gazetteer_names`` over them."""

    first_names: frozenset[str]  # gazetteer: without everyday English words
    surnames: frozenset[str]
    all_first_names: frozenset[str]  # every list's, "Will" and "Grace" included
    all_surnames: frozenset[str]
    common: frozenset[str]
    core_english: frozenset[str]
    everyday_english: frozenset[str]
    english_surnames: frozenset[str]
    recorded_first_names: frozenset[str]  # the SSA's given names that are no English word: only where a person stands

    @classmethod
    @lru_cache(maxsize=1)
    def load(cls) -> _NameWords:
        first, last = gazetteer()
        all_first, all_last = known_names()
        core = core_english_words()
        recorded = frozenset(name for name in ssa_first_names()
                             if name not in all_first and name.casefold() not in core and not in_dictionary(name.casefold()))
        return cls(first, last, all_first, all_last, common_words(), core, everyday_english_words(),
                   english_surnames(), recorded)

    def recorded_first_name(self, word: str) -> bool:
        """A given name of the US birth records that no list above holds and that is no English word
        ("Liviana", "Keiko", "Nahum"). It holds product names too ("Starlette", "Conda"), so it counts only
        where the words around say a person: called before a question, a transcript's speaker, set off
        by a comma before "who", before what only people do ("Hilarion said")."""
        return word in self.recorded_first_names

    def given_name_where_a_person_stands(self, word: str) -> bool:
        """A known first name, everyday words too ("Heather"), or a recorded one ("Liviana"): for
        contexts that say a person already."""
        return self.first_name(word, everyday=True) or word in self.recorded_first_names

    def _each_part(self, word: str, names: frozenset[str]) -> bool:
        parts = word.split("-")
        return len(parts) > 1 and all(part[:1].isupper() and part in names for part in parts)

    def surname(self, word: str, everyday: bool = False) -> bool:
        """A known surname; with ``everyday``, also one that is an everyday English word ("Reader")."""
        names = self.all_surnames if everyday else self.surnames
        return word in names or self._each_part(word, names)

    def first_name(self, word: str, everyday: bool = False) -> bool:
        """A known first name; with ``everyday``, also one that is an everyday English word ("Grace")."""
        names = self.all_first_names if everyday else self.first_names
        return word in names or self._each_part(word, names)

    def not_a_last_name(self, word: str) -> bool:
        """An everyday English word that is no surname ("Call", "Windows"; not "Lopez", "Page", nor
        "Vikram", a name common in wordfreq but outside the 10,000 commonest English words)."""
        return word in english_words() or (word.casefold() in self.core_english and not self.surname(word, everyday=True))

    def rare(self, word: str) -> bool:
        return word.casefold() not in self.common

    def name_more_than_word(self, word: str) -> bool:
        """A known surname that English seldom writes as a word (``_seldom_written_english``, which holds
        every ``_no_english_word``): "Olsen", "Ribeiro", "Pereira", "Lopez"; not "Costa", "London"."""
        return self.surname(word) and _seldom_written_english(word)

    def surname_shaped(self, word: str) -> bool:
        """A name no list knows, by an ending only names have ("Rushisvili", "Umkhayev", "Berislav",
        "Kowalczyk", "Horvatinčić", "Papadopoulos"), written in Japanese morae ("Fujimura") or spelt
        as no word of the seven languages is ("Lončar", "Szabados"), rare in all seven languages, no
        dictionary word and no time-zone city."""
        folded = word.casefold()
        # The set lookups first: lower_case_names and pair ask this of nearly every pair of words.
        return (self.rare(word) and folded not in self.core_english and word not in _SURNAME_SHAPED_THINGS
                and any(shape.fullmatch(word) for shape in (_SURNAME_ENDING, _HEPBURN_NAME, _FOREIGN_NAME_SHAPE))
                and not in_dictionary(folded) and folded not in time_zone_cities())

    def known(self, word: str) -> bool:
        """A known first name or surname, everyday English words included."""
        return self.first_name(word, everyday=True) or self.surname(word, everyday=True)

    def pair(self, word: str, following: str, rare_words: bool, in_run: bool = False, sentence_start: bool = False) -> bool:
        """Whether "word following" is a name (the first three rules of ``gazetteer_names``).

        ``in_run``: a capitalised word comes right before ``word`` ("Adobe Acrobat Reader").
        ``sentence_start``: ``word`` starts a sentence, a line or a list item.
        """
        if (word in WORD_NAMES or word in FIRST_NAMES_OF_THINGS) and self.thing_named_with_a_name(word, following):
            return False  # "Jade Green", "Lincoln Navigator"
        if (self.surname_shaped(following) and word.casefold() not in self.core_english
                and (self.first_name(word, everyday=True) or _no_english_word(word))):
            return True  # a given name, or a word English does not use, before a surname-shaped word ("Dmitry Zotov")
        if self.surname(following):
            if following.casefold() not in self.core_english:
                # A sentence's first word that is an everyday word and no known name is a verb ("Tell
                # Kowalczyk", "Bump Rust"); inside a sentence it is a name ("It was Even Olsen").
                return not (sentence_start and word.casefold() in self.core_english
                            and not self.first_name(word, everyday=True) and not self.surname(word, everyday=True))
            if self.first_name(word, everyday=True):
                return True
            # An everyday-word surname after a word that is no first name: a name only when that
            # word is rare and starts the capitalised run ("Xiadani Montgomery", not "Card Reader"
            # nor "Adobe Acrobat Reader").
            return self.rare(word) and not in_run
        if self.first_name(word):
            return self.surname(following, everyday=True) or following.casefold() not in self.core_english
        if self.first_name(following) and self.surname(word) and word.casefold() not in self.core_english:
            return True  # family name first, as in Hungarian, Maghrebi and Central Asian usage ("Azzouz Katia")
        return rare_words and self.rare(word) and self.rare(following)

    def word_name_before_rare_word(self, word: str, following: str) -> bool:
        """Whether a given name that is also an everyday word comes before a rare word ("Guy
        Migneault"); a name when the sentence is under way, not at its start ("Will Grafana ...")."""
        return self.rare(following) and self.first_name(word, everyday=True)

    def thing_named_with_a_name(self, word: str, following: str) -> bool:
        """Whether a given name that is an everyday word starts a thing's name: a colour ("Jade
        Green"), or before an everyday English word that is no surname in English-speaking
        countries ("Ivy Bridge", "Iris Scanner"; not "Hope Davis", "Iris Murdoch")."""
        if word in COLOUR_WORD_NAMES and following in COLOURS:
            return True
        surname = following in self.english_surnames or (self.surname(following)
                                                         and following.casefold() not in self.core_english)
        return following.casefold() in self.everyday_english and not surname

    def joined_by_particle(self, word: str, following: str, rare_words: bool) -> bool:
        """Whether "word van der following" is a name: a first name or a rare word, then anything
        but an everyday English word ("Daan de Vries"; not "Rio de Janeiro", "Tour de France")."""
        return ((self.first_name(word, everyday=True) or (rare_words and self.rare(word)))
                and (self.surname(following, everyday=True) or following.casefold() not in self.core_english))

    def reversed_pair(self, word: str, following: str, rare_words: bool) -> bool:
        """Whether "word, following" is "Surname, Firstname"."""
        if self.first_name(following):
            return self.surname(word, everyday=True) or (rare_words and self.rare(word))
        # A rare given name needs a surname that is no everyday word ("Tran, Abimbola", not "English, Marathi").
        return (self.surname(word, everyday=True) and word.casefold() not in self.core_english
                and rare_words and self.rare(following))


# Endings of Slavic, Caucasian, Nordic, Baltic, Greek, Romanian and Armenian surnames, after at
# least two more letters ("Ivanov", "Kuznetsova", "Kowalczyk", "Jovanović", "Beridze", "Hansen").
_SURNAME_ENDING = re.compile(
    r"[A-ZÀ-ÖØ-Þ\u0100-\u024F]\w{2,}(?:ov|ova|ev|eva|yev|yeva|aev|ayev|iyev|enko|sky|ski|ska|skaya|wicz|czyk|czak|ović|ovic|ić|sen|sson"
    r"|dóttir|dottir|poulos|idis|akis|escu|yan|vili|dze|oglu|oğlu|ová|ková|ský|ská|nen"
    # Russian and Belarusian patronymics and surnames ("Musliyevich"; "-ich", "-ík" and "-nik" end
    # places too: "Dulwich", "Reykjavík", "Rakovník")
    r"|vich|vych"
    # and given names' endings: Slavic, Chechen and Central Asian ("Berislav", "Khasbulat", "Islambek")
    r"|slav|slava|sław|sława|mir|mira|bek|bulat|khan)")
_SURNAME_SHAPED_THINGS = frozenset({"Codecov", "Bluesky", "Vilanova", "Casanova", "Kalashnikov", "Molotov", "Smirnov",
                                    "Yugoslav", "Uzbek", "Kashmir", "Pamir", "Tadzhik", "Azerbaijan"})
# A name written in Hepburn romanization, three morae or more ("Fujimura", "Ogasahara", "Satou",
# "Hayashida"): a consonant (or shi, chi, tsu, fu, ji, a y-glide) and a vowel, a vowel alone, a
# closing n, or the first of a doubled consonant ("Hattori"). Japanese names are rarely listed.
_MORA = (r"(?:(?:[kgbpmnr]y?|sh|ch|j)[auo]|(?:[kgbpmnr]|sh|ch|j)i|[kgbpmnr]e|[sz][aueo]|[td][aeo]|h[aeio]|fu|tsu|w[ao]"
         r"|y[auo]|[aiueo]|n(?![aiueoy])|([kstp])(?=\1|(?<=s)h|(?<=t)ch))")
_HEPBURN_NAME = re.compile(rf"(?=[A-Z][a-z]{{4,}}$)(?i:{_MORA}){{3,}}")
# Names by their spelling in languages outside the seven of ``names.COMMON_WORD_LANGUAGES``: a letter
# none of the seven writes (Czech, Slovak, Slovene, Croatian, Polish, Danish, Norwegian, Icelandic,
# Turkish, Romanian, Latvian, Lithuanian: "Kouřil", "Horký", "Lončar", "Løvstad", "Þórðarson",
# "Bērziņš"; not "ō", which Japanese places write as names do); Hungarian digraphs starting the word
# and endings ("Szabados", "Gyarmathy", "Pálffy", "Szakács"); Icelandic patronymics ("Skaftason").
_FOREIGN_NAME_SHAPE = re.compile(
    r"(?=[A-ZÀ-ÖØ-Þ\u0100-\u024F]\w{3,}$)(?:\w*[čšžřěňťďůőűøæðþłśźżńćęąğşıățșýľĺŕđāēīūėįųķļņģ"
    r"ČŠŽŘŇŤĎŐŰØÆÐÞŁŚŹŻĞŞȚȘÝĽĹŔĐĀĒĪŪĖĮŲĶĻŅĢ]\w*|(?:Sz|Gy|Cs|Zs)\w*"
    r"|\w*(?:ffy|thy|ghy|esy|ssy|áry|ády|ényi|ányi|ôs|ös|ós|ák|ács|ász|ár|ér|ason|uson|arson)"
    # Finnish, Estonian and Nordic: "å", "ä" or "ö", or a doubled vowel English does not write, in a
    # word rare in all seven languages (German too: "Haanpää", "Grönholm", "Järventaus", "Wuori");
    # Nordic endings ("Sommerseth", "Myrvold", "Rustad")
    r"|\w*[äöåÄÖÅ]\w*|\w*(?:aa|uu|yy|ii)\w*|\w+(?:seth|vold|stad|rud|heim|holm|qvist|kvist|ström|strom))")


# Words that follow "this is"/"I am" but are not names.
NOT_NAMES = {
    "This", "The", "It", "A", "An", "Not", "Still", "Very", "So", "Urgent", "Critical", "Blocking",
    "Customer", "Support", "Team", "Order", "Our", "My", "We", "Just", "Please", "Thanks",
    "Hi", "Hello", "Hey", "Dear", "Good", "Morning", "Regards", "Best", "Cheers",
}


# A capitalised word: "Maria", "O'Connell", "McDonald", "Jean-Luc", "Łukasz".
_CAPITALISED = re.compile(rf"(?<![\w'’-])(?!(?:Ní|Uí|Mac|Nic|Te) ){NAME_WORD}{NAME_END}")  # Irish particles join names
_CALENDAR_WORDS = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February",
                   "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}
_NOT_NAME_PARTS = _CALENDAR_WORDS | {
    "Street", "Avenue", "Road", "Drive", "Lane", "Boulevard", "Way", "Court", "Place", "Square",
    # First words of place names ("New York", "San Jose", "Fort Worth").
    "New", "San", "Santa", "Los", "Las", "Saint", "St", "Fort", "Port", "North", "South", "East", "West",
    "Upper", "Lower", "Great", "Little", "Lake", "Mount",
    # Teams and desks greeted like people ("Dear Helpdesk", "Hi DevOps"); the core English ones
    # ("Support", "Finance") are kept by the everyday-word test already.
    "Helpdesk", "Servicedesk", "Sysadmin", "Sysadmins", "Admin", "Admins", "DevOps", "Devops", "SecOps", "SRE", "Ops",
    "Infra", "Techs", "Folks", "Everyone", "Everybody", "Colleagues", "Guys", "Y'all", "Yall", "Payroll", "Procurement",
    "Onboarding", "Helpline", "Hotline", "Frontdesk", "Backoffice", "Cybersecurity", "Infosec", "Netops",
    # Who a ticket field names when it names no one ("Assignee: Unassigned", "The reporter is Automation").
    "Unassigned", "Unknown", "Nobody", "Anyone", "Someone", "Pending", "Automation", "Autobot", "Jirabot",
    # Labels of a name field written without a colon ("Surname Pena").
    "Surname", "Surnames", "Nachname", "Vorname", "Apellido", "Apellidos", "Cognome", "Sobrenome", "Achternaam", "Voornaam",
}


NEVER_NAME_PARTS = NOT_NAMES | _NOT_NAME_PARTS | COMPANY_WORDS
_NEVER_SURNAMES = frozenset(_CALENDAR_WORDS | NOT_NAMES)  # of NEVER_NAME_PARTS, those no honorific makes a surname ("Mr. West" is one)


def _is_word_char(char: str) -> bool:
    return char.isalnum() or char == "_"  # what \w matches in a str pattern


def _occurrences(text: str, values: Iterable[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, value)`` of whole-word occurrences of ``values`` in ``text``.

    Scanning left to right, the longest value wins where several start at the same place
    ("Maria Lopez" before a bare "Maria"). This is what one regular expression of all values,
    longest first, would find; building that expression for every record cost more than the search.
    """
    hits = []
    for value in values:
        start = text.find(value)
        while start != -1:
            end = start + len(value)
            if (start == 0 or not _is_word_char(text[start - 1])) and (end == len(text) or not _is_word_char(text[end])):
                hits.append((start, -len(value), value))
            start = text.find(value, start + 1)
    hits.sort()
    chosen, position = [], 0
    for start, negative_length, value in hits:
        if start >= position:
            position = start - negative_length
            chosen.append((start, position, value))
    return chosen


# The rest of a postal address after its street line: a flat or suite, then lines or comma-separated
# parts of capitalised words and postcodes ("\n Apt. 884\n LIMINKA\n\n Finland 38197", ", Toronto, ON
# 39421"). Each part must end a line, a clause or the text, so that a sentence going on after the
# street ("12 Elm Road, London Firmware 2.0.7?") keeps its words.
_UNIT_WORD = (r"(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|apt|suite|unit|flat"
              # Spanish, Portuguese, Romanian: "Piso 6", "Of. 392", "Edif. 252", "Bl. 77 Sc. 10 Ap. 358"
              r"|Piso|Oficina|Of|Interior|Depto|Dpto|Dto|Apto|Ap|Edif|Edificio|Bl|Sc|Et)")
_UNIT_NUMBER = r"\.?\s?#?\s?\d{1,5}[A-Za-z]?\b"  # "Apt. 5", "Suite #12", "Flat 3b"
_UNIT = rf"{_UNIT_WORD}{_UNIT_NUMBER}"
# A part of an address left empty by a table export ("Ljubljana\n, nan\n Slovenia 06908", "LAKSEVÅG nan").
_MISSING_PART = r"(?:nan|NaN|None|null|N/A)"
# "38197", "12345-6789", "9579310" (CL), "30411895" (BR), "5462-819" (PT), "H-1824" (HU), "890 99" (CZ,
# SK), "29-646" (PL), "1996 OC" (NL), "SW1A 1AA" (UK), "B9J 7V6" (CA), "F62 3R26" (IE).
_POSTCODE = (r"(?:(?:[A-Z]{1,2}-)?\d{3,8}(?:-\d{3,4})?|\d{3} \d{2}|\d{2}-\d{3}|\d{4} ?[A-Z]{2}|[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}"
             r"|[A-Z]\d[A-Z] \d[A-Z]\d|[A-Z]\d[\dW] ?[A-Z\d]{4})")
# Postcodes with letters, which no other number looks like, may follow a street after a space
# ("99 McCarville Street P82 A85E Constance Ville"): UK, Canada, Ireland.
_LETTERED_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}|[A-Z]\d[A-Z] \d[A-Z]\d|[A-Z]\d[\dW] ?[A-Z\d]{4})"
# A postcode that may end an address inside a sentence: four or more digits, or letters and digits.
_LONG_POSTCODE = rf"(?:\d{{4,6}}(?:-\d{{3,4}})?|\d{{3}} \d{{2}}|\d{{2}}-\d{{3}}|{_LETTERED_POSTCODE})"
# A postcode's own label, in the seven languages and a few more ("zip code", "PLZ", "CEP", "CAP").
POSTCODE_LABEL = (r"(?i:zip(?:[ -]?code)?(?:[ \t]?\+[ \t]?4)?|post(?:al)?[ -]?code|postcode|postleitzahl|code postal|c[óo]digo postal|postnummer"
                  r"|pincode|pin code|postal area|postal district)|PLZ|CEP|CAP")
# Postcodes no year, count or amount looks like: "2500-737" (PT), "41-304" (PL), "890 99" (CZ, SK),
# "3319 VD" (NL), "H-1824" (HU), the lettered ones (UK, CA, IE).
_SHAPED_POSTCODE = (r"(?:\d{4}-\d{3}|\d{5}-\d{3}|\d{2}-\d{3}|\d{3} \d{2}|\d{4} [A-Z]{2}|[A-Z]-\d{4}"
                    r"|[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}|[A-Z]\d[A-Z] \d[A-Z]\d)(?![\w-])")
# A postcode that starts a "postcode town" match: a shaped one whole (both parts of "SW1A 1AA"), else digits.
_POSTCODE_BEFORE_TOWN = re.compile(rf"{_SHAPED_POSTCODE}|\d{{4,5}}(?!\S)")
# When a move happened, after where to ("I moved to 56257 last year").
_TIME_AFTER_A_MOVE = r"(?=[ \t]+(?:last|this|next|in|since|recently|a|two|three|four|five|years?|months?|weeks?|ago)\b)"
# A postcode after its label, and up to three words and "is" ("My zip code is 94110", "The zip on
# file is 07842", "PLZ: 10115", "postcode SW1A 1AA"): with the rest of what a record holds it
# narrows a person down to a few streets, so it is masked as part of an address even alone.
# Lettered postcodes in any case after a label ("sw1a 1aa").
_LABELLED_POSTCODE = re.compile(
    rf"\b(?:{POSTCODE_LABEL})(?:(?:[ \t]+[a-z]+){{1,3}}?[ \t]+(?:is|was)|[ \t]+(?:is|was|of|number|no\.?))?[ \t]*[:#=-]?[ \t]*"
    rf"(\d{{4}} ?[A-Z]{{2}}|\d{{5}}(?:-\d{{3,4}})?|\d{{4}}-\d{{3}}|\d{{3}} \d{{2}}|\d{{2}}-\d{{3}}|\d{{3,6}}|(?i:{_LETTERED_POSTCODE}))(?![\w-]|[.,]\d)")
# The states, district and territories of the United States by their postal abbreviations, and the
# three freely associated states the USPS serves as states (FM, MH, PW).
US_STATE_ABBREVIATIONS = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM"
                          " NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI FM MH PW").split()
US_STATES = ("Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho"
             "|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota"
             "|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York"
             "|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota"
             "|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|District of Columbia"
             "|Puerto Rico|Guam|American Samoa|U\\.S\\. Virgin Islands|Northern Mariana Islands")
# A US town, state and ZIP code without a street ("I live in Springfield, IL 62704", "Springfield,
# Illinois 62704", "Brooklyn NY 11201", "Springfield, IL, 62704"): the ZIP code.
# Without the comma, no abbreviation that is also a word or a common code ("Build IN 12345", "Order OK 12345").
_STATE_WORDS = {"IN", "OK", "OR", "ME", "HI", "OH", "ID", "AS", "DE", "GA", "MA", "PA", "LA", "CO", "AL", "MO", "MS", "MI"}
_TOWN_STATE_ZIP = re.compile(
    rf"(?<![\w'’-])[{CAPITAL}][\w'’.-]*(?:[ \t]+[{CAPITAL}][\w'’.-]*){{0,2}}"
    rf"(?:,[ \t]*(?:{'|'.join(US_STATE_ABBREVIATIONS)}|{US_STATES})"
    rf"|[ \t]+(?:{'|'.join(state for state in US_STATE_ABBREVIATIONS if state not in _STATE_WORDS)}|{US_STATES}))"
    r",?[ \t]+(\d{5}(?:-\d{4})?)(?![\w-]|[.,]\d)")
# One to three capitalised words, perhaps joined by particles, with a bracketed name or a postcode
# ("Oliveira do Hospital", "Bruck an der Leitha", "Aglantzia (Aglangia)", "Finland 38197", "St. Erin").
_PLACE_PARTICLES = (r"(?:[ \t]+(?:de|do|da|dos|das|del|la|le|les|los|las|el|du|am|an|der|den|bei|sur|on|upon|en|im|nad|pod|na|u|v"
                    r"|pri|ob|Di|In|AM)){0,2}")  # "Jirice u Miroslavi", "Videm pri Ptuju", "San Lorenzo Di Moriano"
_COUNTRIES_OF_SEVERAL_WORDS = (r"(?:United (?:Kingdom|States(?: of America)?|Arab Emirates)|New Zealand|South Africa"
                               r"|Czech Republic|Dominican Republic|Costa Rica|Puerto Rico|Sri Lanka|Hong Kong|Saudi Arabia"
                               r"|El Salvador|North Macedonia|South Korea)")
# ("∆", the increment sign, stands for a Greek delta in exported tables: "ΑΓΙΟΣ ΘΕΟ∆ΩΡΟΣ")
# Words that start what follows an address, not a place ("Order 45123", "Thanks 2024 Bob").
_NOT_A_PLACE_WORD = (r"(?!(?i:order|invoice|ticket|ref|case|account|customer|phone|fax|mobile|thanks|regards|cheers"
                     r"|vat|tax|ein|iban|bic|swift|e-?mail|tel)\b)")  # and tax or bank ids ("12 Elm St, VAT ID DE811907980")
# A saint's abbreviation with or without its full stop ("St. Erin", "St Catharines"), a number inside
# a Tunisian district's name ("Cite 7 Novembre") and a region's word after it ("Jihočeský kraj").
_PLACE_WORDS = (rf"(?!{_UNIT_WORD}\b){_NOT_A_PLACE_WORD}(?:(?:St|Ste|Mt|Ft)(?:\.[ \t]?|[ \t](?=[{CAPITAL}])))?[{CAPITAL}Α-ΩΆ-Ώ∆][\w'’∆-]*"
                rf"(?:/[{CAPITAL}][\w'’-]*)?{_PLACE_PARTICLES}"  # a town of two languages: "Biel/Bienne"
                rf"(?:[ \t]+\d{{1,2}}(?=[ \t]+[{CAPITAL}][a-zß-ÿ]))?"
                rf"(?:[ \t]+[{CAPITAL}Α-ΩΆ-Ώ∆][\w'’∆-]*{_PLACE_PARTICLES}){{0,2}}"
                rf"(?:[ \t]+(?:kraj|megye|oblast|fylke|län|amt))?"
                rf"(?:[ \t]+\([{CAPITAL}Α-ΩΆ-Ώ∆][\w'’∆ -]*\))?")
_PLACE = rf"{_PLACE_WORDS}(?:[ \t]+{_POSTCODE}|[ \t]+/[ \t]+[A-Z]{{2}}\b)?"  # and a Brazilian state: "Brito / BA"
# Not a colon: a word before one is a label ("...FPO AE 03986\nMobile: 083 399 9784"). Also before a
# bracketed number or " | " ("3984 (32 32 85)"); not before " - ", as in "Apt 2 Email - x@y.z". A
# closing bracket ends an address written in brackets ("the wrong address (..., Tintange, Belgium).").
_CLAUSE_END = r"(?=[ \t]*(?:[\n,)]|[.?!;](?:\s|$)|$)|[ \t]+(?:\(\+?\d|\|[ \t]))"
# Each part follows a comma or a line break, or a space where a unit follows; a unit or a lettered
# postcode and the place after it that ends the clause are one part ("Suite 364 Trbonje Slovenia?").
# What may start a line of an address before its text: a bullet, a quote mark, an emoji lost to "?" ("- ", "> ", "??? ").
_LINE_MARKER = r"(?:[^\w\s,]{1,3}[ \t]+)?"
_ADDRESS_PART = re.compile(
    rf"(?:(?=\.?[ \t]*[,\n])\.?[ \t]*(?:\n[ \t]*{_LINE_MARKER})?,?[ \t]*(?:\n[ \t]*{_LINE_MARKER}){{0,2}}"
    rf"|(?<=\d)\.[ \t]+(?={_UNIT})|[ \t]+(?={_UNIT}|{_LETTERED_POSTCODE}\b))"  # "Eötvös út 29. Apt. 833": a house number's full stop
    rf"(?:(?:{_UNIT}|{_LETTERED_POSTCODE})[ \t]+({_PLACE}(?:[ \t]+{_MISSING_PART})?){_CLAUSE_END}"
    # a town's district number before the next part ("Sušice 1\n, PL", "Cite El Ouns 2, Tunisia")
    rf"|({_UNIT}|{_POSTCODE}(?:[ \t]+{_PLACE})?|{_PLACE_WORDS}[ \t]+\d{{1,2}}(?=[ \t]*[\n,])"
    rf"|\d{{1,2}}(?:[ \t]+\d{{4,5}}|(?=[ \t]*\n[ \t]*(?:{_POSTCODE}|{_PLACE_WORDS}[ \t]+{_POSTCODE})(?![\w-])))"  # a region's number: "Zeghabna, 53 43951", ", 31\n 98762", ", 13\n Tunisia 42807"
    rf"|{_PLACE}(?:[ \t]+{_MISSING_PART})?|{_MISSING_PART}(?:[ \t]+{_POSTCODE})?)"
    rf"(?:{_CLAUSE_END}|(?=[ \t]+(?:{_UNIT}|{_LETTERED_POSTCODE}\b)))"
    rf"|(?!{_UNIT})({_LONG_POSTCODE}(?:[ \t]+{_PLACE_WORDS})?|{_PLACE_WORDS}[ \t]+{_LONG_POSTCODE})(?=[ \t]+[a-z]))")  # "Palencia, 38434 since May", "\n720 52 Ostrava since May"
# A house number after a street name the detectors stopped before ("address: 52185 Metsa 49",
# "788 Industriestraat 133 Apt. 932").
# (three or more digits before the sentence goes on: "49 Kallirois Avenue 7463 still", not "12 Elm St 2 blocks away")
_TRAILING_HOUSE_NUMBER = re.compile(rf"\.?[ \t]+(?:\d{{1,5}}[A-Za-z]?(?=[ \t]*(?:[\n,]|[.?!;:](?:\s|$)|$)|[ \t]+{_UNIT})"
                                    rf"|{_NOT_A_YEAR}\d{{3,5}}(?=[ \t]+[a-z]))")
# A flat or a range after the house number ("Nagelstr. 8/3", "Klemtweg 4-3", "43-85").
_SECOND_HOUSE_NUMBER = re.compile(r"(?<=\d)[/-]\d{1,4}[A-Za-z]?(?![\w/-])")
# A town after the street's comma, or after a unit, before the sentence goes on in lower case
# ("183 Epimenidou Street, Limassol tomorrow", "458 Sludevej 65 Suite 003 København K SJ after").
_TOWN_BEFORE_LOWER_CASE = re.compile(rf"(?:,|\n)[ \t]*({_PLACE_WORDS})(?=[ \t]+[a-z])")
_TOWN_AFTER_UNIT_BEFORE_LOWER_CASE = re.compile(
    rf"(?:(?<=\d)\.)?(?:[ \t]+({_UNIT}))?[ \t]+({_PLACE_WORDS}(?:[ \t]+{_COUNTRIES_OF_SEVERAL_WORDS}|[ \t]+[{CAPITAL}][\w'’-]*)?)"
    rf"(?=[ \t]+[a-z])")
# The same where the sentence or the text ends, a town's district number too ("... Apt. 417 Salt Lake City
# United States? I am", "... Suite 019 Cite Erraoudha 61. Please call"); ``_whole_address`` takes it after a unit only.
_TOWN_AFTER_UNIT_BEFORE_SENTENCE_END = re.compile(
    rf"(?:(?<=\d)\.)?(?:[ \t]+({_UNIT}))?[ \t]+({_PLACE_WORDS}(?:[ \t]+{_COUNTRIES_OF_SEVERAL_WORDS}"
    rf"|[ \t]+\d{{1,2}}(?:[ \t]+{_COUNTRIES_OF_SEVERAL_WORDS}|[ \t]+[{CAPITAL}][\w'’-]*)?"  # "Pardubice 2 Czech Republic"
    rf"|[ \t]+[{CAPITAL}][\w'’-]*)?)(?=[ \t]*(?:[.?!;:](?:\s|$)|$))")  # a fourth word: "København Ø Region Sjælland"
_ENDS_WITH_UNIT = re.compile(rf"{_UNIT}$")
# A flat or suite after the street line where the sentence goes on in lower case or ends; not a room
# or a floor, which a meeting is set in as often ("58 Willow Close Room 101 again").
_DWELLING_UNIT_WORDS = "Apt|Apartment|Suite|Ste|Unit|Flat|Piso|Depto|Dpto|Dto|Apto"
_DWELLING_UNIT = rf"(?:{_DWELLING_UNIT_WORDS}|Ap){_UNIT_NUMBER}"
# A flat or suite and a comma right before a street line ("Apt. 819, 123 Main Street"), or its word
# alone before a line that starts with its number ("apt " of "apt 3, Via Roma 12").
_DWELLING_UNIT_WORD = rf"(?<![\w.-])(?i:{_DWELLING_UNIT_WORDS})"  # in any case: "apt 3, Via Roma 12"
_UNIT_AND_COMMA_BEFORE = re.compile(rf"{_DWELLING_UNIT_WORD}{_UNIT_NUMBER},[ \t]*$")
_UNIT_WORD_BEFORE = re.compile(rf"(?:{_DWELLING_UNIT_WORD}|(?<![\w.-])(?i:level|lvl))\.?[ \t]?#?[ \t]?$")
# The unit's number and a comma, or a space and the house number, starting a street line: "3, Via
# Roma 12"; "3 627 Stephanie Quays" of "Level 3 627 Stephanie Quays", as Australia writes it.
_UNIT_NUMBER_THEN_STREET = re.compile(r"\d{1,5}[A-Za-z]?(?:,|[ \t]+\d)")
_UNIT_BEFORE_LOWER_CASE = re.compile(rf"(?:(?<=\d)\.)?[ \t]+({_DWELLING_UNIT})(?=[ \t]+[a-z]|[ \t]*(?:[.?!;:)](?:\s|$)|$))")
_WORDS_ONLY = re.compile(r"[^\W\d_][\w'’ /-]*")  # "Biel/Bienne"
_ADDRESS_PARTS_MAX = 5  # after the street line: unit, city, region, postcode, country
# Lines below a street line that hold only place words and a postcode, in the layouts Latin America
# and India write ("Barreiro\n30411895 Vasconcelos dos Dourados / RN", "San Anabel los bajos, YUC
# 75407-2075", "Rosario 2000, Santa Fe", "Dara Chowk, Secunderabad-951117"). A word in lower case
# counts only after a particle ("los bajos"), so a sentence on the next line ("Order 12345 ships
# Friday") is no address line.
_LINE_PLACE_PARTICLE = r"(?:de|do|da|dos|das|del|la|las|los|el|y|e|di|du|der|den|van|von)"
_LINE_PLACE_WORD = (rf"(?:[{CAPITAL}][\w'’]*(?:\.(?=[ \t]*[\w,]))?(?:-[{CAPITAL}][\w'’]*)*"  # "Q. ROO"; not a full stop
                    rf"|{_LINE_PLACE_PARTICLE}(?:[ \t]+[a-zß-ÿ]+)?|\d{{1,2}}[ªº])")
_LINE_POSTCODE = r"(?:\d{5}-\d{3,4}|\d{4,8}|\d{3} \d{2})"
_LINE_TOKEN = rf"{_NOT_A_PLACE_WORD}(?:{_LINE_PLACE_WORD}|{_LINE_POSTCODE}|[{CAPITAL}][\w'’]*-{_LINE_POSTCODE})"
_LINE_SEPARATOR = r"(?:[ \t]*[,/][ \t]*|[ \t]+[-–][ \t]+|[ \t]+)"
_PLACE_LINE = rf"{_LINE_TOKEN}(?:{_LINE_SEPARATOR}{_LINE_TOKEN}){{0,9}}"
_LINE_END = r"(?=[ \t]*[.!?]?[ \t]*(?:\n|$))"
_ADDRESS_LINES_BELOW = re.compile(
    # the rest of the line, after a full stop or with a comma in it: "Nueva Botswana, Q" + ". ROO 50283-1663",
    # "9997 32nd Avenue" + " Extension, Bacong, 9738 Davao del Sur"
    # or a postcode alone ("Jamshedpur" + " 845205")
    rf"(?:\.[ \t]+{_PLACE_LINE}{_LINE_END}|[ \t]+(?=[^\n]*,){_PLACE_LINE}{_LINE_END}|[ \t]+{_LINE_POSTCODE}{_LINE_END})?"
    rf"(?:[ \t]*\n[ \t]*{_LINE_MARKER}(?=\S){_PLACE_LINE}{_LINE_END}){{0,3}}")
_HAS_LINE_POSTCODE = re.compile(rf"(?<![\w-])(?:{_LINE_POSTCODE})(?![\w-])|-{_LINE_POSTCODE}\b")
# A house number before a street that carries its own ("6815 Siikarannantie 59", "787 57 place Stanislas").
_HOUSE_NUMBER_BEFORE = re.compile(r"(?:^|(?<=[\s:]))\d{1,6}(?:[ \t]+|/)$")  # "15/4 Carter Interchange": a flat and a house
# A street of the US kind ("Juliana Ports", "Ball Fords") written after a street line that ended
# already, as exported tables join two columns ("320 St Marys Rd Juliana Ports\n Suite 281"): where
# the line, the clause or a unit follows, it is part of the address.
_SECOND_STREET_NAME_AFTER = re.compile(
    rf"\.?[ \t]+[{CAPITAL}][\w'’-]+[ \t]+(?:{_USPS_STREET_SUFFIX})\b(?=[ \t]*(?:[\n,]|$)|[ \t]+{_UNIT})")
# A part of an address left empty by a table export after the rest, and the postcode after it
# ("Hofsós nan for this card", "Farnern, nan 36170 in case of").
_MISSING_PART_AFTER = re.compile(rf",?[ \t]*(?:\n[ \t]*,?[ \t]*)?(?<![\w-]){_MISSING_PART}(?![\w/-])(?:[ \t]+{_POSTCODE}(?![\w-]))?")


_BRACKETED_PLACE = re.compile(r"[ \t]+\([^()\d]*\)$")
_COUNTRY_OF_SEVERAL_WORDS = re.compile(rf"\b{_COUNTRIES_OF_SEVERAL_WORDS}\b")


_TOWN_PARTICLES = frozenset(re.findall(r"[a-z]+", _PLACE_PARTICLES.split("|Di|")[0]))


def _town_words(words: str) -> bool:
    """Whether ``words`` may name a town and its region or country: words only, in capitals or not
    starting with a core English word other than a country or state, or a letter ("Kędzierzyn-Koźle
    Poland", "København K SJ", "Vila Real", "TWENTY FORESTS"; not "Please", "Call Me")."""
    core = _NameWords.load().core_english
    words = _BRACKETED_PLACE.sub("", words)  # "Cyprus (Greek)"
    without_country = _COUNTRY_OF_SEVERAL_WORDS.sub("", words)  # "GRIGADALE United Kingdom"
    if not without_country.strip() and words.strip():
        return True  # a country alone ("..., Sibasa, South Africa is closed")
    country = _COUNTRY_OF_SEVERAL_WORDS.search(words)
    ends_with_country = country is not None and country.end() == len(words.rstrip())
    words = without_country
    if _WORDS_ONLY.fullmatch(words) is None:
        return False
    # Particles inside a town's name are no words of a sentence: "Lipník u Hrotovic", "Vila Franca do Campo".
    split = [word for word in words.split() if word not in _TOWN_PARTICLES]
    if not all(_BLOCK_NOT_A_WORD_RE.match(word) for word in split[1:]):
        return False  # the sentence goes on: "Apt. 5 London Can Caoimhe Ishikawa confirm?"
    if len(split) > 1 and split[-1] in US_STATE_ABBREVIATIONS and all(word[0].isupper() for word in split):
        return True  # a town and its US state: "New York NY", "Salt Lake City UT"
    if all(word.isupper() for word in split) and len(words) > 2:
        return True  # a town in capitals, as on an envelope ("TWENTY FORESTS", "SKI")
    town = split if ends_with_country else split[:-1]
    if (ends_with_country or (len(split) > 1 and split[-1].casefold() in countries_and_states())) and (
            len(town) > 1 or (town and (town[0].casefold() not in core or (town[0].isupper() and len(town[0]) > 2)))) and all(
            word[0].isupper() for word in split) and _BLOCK_NOT_A_WORD_RE.match(split[0]):
        return True  # a town of two words or in capitals before its country ("Glen Arbor United States", "SKI Norway")
    # The first word decides: a town's name may go on in everyday words ("Vila Real", "North Sioux
    # City" does not), a sentence starts with one ("Please call", "Monday morning").
    first = split[0] if split else ""
    return not (first.casefold() in core and first.casefold() not in countries_and_states()
                and not (len(first) == 1 and first.isupper()) and not _large_city(first.casefold()))


def _large_city(word: str) -> bool:
    """Whether a frequent English word is a large city's name and no dictionary word ("toronto",
    "dublin"; not "paris", a plant, nor "bay", "new" or "of", which also name time zones)."""
    return len(word) > 3 and word in time_zone_cities() and not in_dictionary(word)


# Up to two words of a street's name before the word the detectors started at: capitalised or
# abbreviated words and Dutch and German particles ("Korte Noordsstraat 307", "Johannes van
# Vlotenlaan 14", "Gl. Sygehusvej 153", "Brucker Bundesstrasse 31").
_STREET_WORDS_BEFORE = re.compile(rf"(?:^|(?<=[\s:(]))((?:(?:[{CAPITAL}][\w'’-]*\.?|van|von|de|der|den|het|ter|ten|y)[ \t]+){{1,2}})$")


def _with_street_words_before(text: str, start: int) -> int:
    """Where a street name starts that a detector found from its last word on: the words before are
    taken while they are capitalised words that are no core English word, or particles before one."""
    found = _STREET_WORDS_BEFORE.search(text, max(0, start - 40), start)
    if not found:
        return start
    core = _NameWords.load().core_english
    new_start = start
    for word in reversed(list(re.finditer(r"\S+", found.group(1)))):
        token = word.group()
        capitalised = token[0].isupper()
        if capitalised and (token.rstrip(".").casefold() in core and not token.endswith(".")):
            break  # "Visit Byvej 22", "Meet Noordsstraat 307"
        new_start = found.start(1) + word.start()
    while new_start < start and not text[new_start].isupper():  # a particle must stand before a capitalised word
        new_start = text.index(" ", new_start) + 1
    return new_start


def _whole_address(text: str, span: tuple[int, int, str], taken: list[tuple[int, int, str]]) -> tuple[int, int, str]:
    """A street address widened to the whole postal address around it, where that runs into no other
    value (a place taken for a person's name inside it excepted)."""
    start, end, entity = span
    before = _HOUSE_NUMBER_BEFORE.search(text, max(0, start - 8), start)
    new_start = before.start() if before else start
    if before and (second := _HOUSE_NUMBER_BEFORE.search(text, max(0, new_start - 8), new_start)) and not ID_LABEL.search(
            text, max(0, second.start() - ID_LABEL_REACH), second.start()):
        new_start = second.start()  # a building's number and the street's own: "45808 138 Av Sidi Lakhmi"
    if not before and not text[start].isdigit():
        new_start = _with_street_words_before(text, start)
        number = _HOUSE_NUMBER_BEFORE.search(text, max(0, new_start - 8), new_start) if new_start < start else None
        if number and not ID_LABEL.search(text, max(0, number.start() - ID_LABEL_REACH), number.start()):
            new_start = number.start()  # the house number before those words: "9232 Søndre Havnevej 65, Bevtoft"
    if unit := (_UNIT_AND_COMMA_BEFORE.search(text, max(0, new_start - 20), new_start)
                or (_UNIT_NUMBER_THEN_STREET.match(text, new_start) and _UNIT_WORD_BEFORE.search(text, max(0, new_start - 12), new_start))):
        new_start = unit.start()  # "I live at Apt. 819, 123 Main Street.", "apt 3, Via Roma 12"
    end = second.end() if (second := _SECOND_HOUSE_NUMBER.match(text, end)) else end
    trailing = _TRAILING_HOUSE_NUMBER.match(text, end)
    new_end = trailing.end() if trailing else end
    if second_street := _SECOND_STREET_NAME_AFTER.match(text, new_end):
        new_end = second_street.end()
    for _ in range(_ADDRESS_PARTS_MAX):
        part = _ADDRESS_PART.match(text, new_end)
        if not part:
            break
        new_end = part.end(part.lastindex)  # the one group of the alternative that matched
    if town := _TOWN_BEFORE_LOWER_CASE.match(text, new_end):
        if _town_words(town.group(1)):
            new_end = town.end(1)  # "183 Epimenidou Street, Limassol tomorrow"; not "..., Please call"
    # (where the sentence ends first: a particle inside the town is no sentence going on, "Lipník u Hrotovic")
    elif town := (_TOWN_AFTER_UNIT_BEFORE_SENTENCE_END.match(text, new_end)
                  or _TOWN_AFTER_UNIT_BEFORE_LOWER_CASE.match(text, new_end)):
        # Only after a unit: after the street line alone the words may be the sentence going on.
        after_unit = town.group(1) or _ENDS_WITH_UNIT.search(text, new_start, new_end)
        if after_unit and _town_words(town.group(2)):
            new_end = town.end(2)  # "458 Sludevej 65 Suite 003 København K SJ after"
        elif town.group(1):
            new_end = town.end(1)  # the unit alone: "12 Elm Road Apt. 5 Please call"
    elif unit := _UNIT_BEFORE_LOWER_CASE.match(text, new_end):
        new_end = unit.end(1)  # "deliver to Via Acrone 69 Apt. 518 please", "... Suite 393 by Monday."
    if missing := _MISSING_PART_AFTER.match(text, new_end):
        new_end = missing.end()
    new_end = _with_place_lines_below(text, new_end)
    for other in taken:
        if other != span and other[0] < new_end and new_start < other[1]:
            inside = new_start <= other[0] and other[1] <= new_end
            if not (inside and other[2] in ("person", "street_address")):  # a place taken for a name, a unit
                return span
    return new_start, new_end, entity


# An address cue, a line's start, a colon or a word that introduces a place, then one or two
# capitalised words and "and" right before a street found ("moved to Katarzyna and Västerviksgatan
# 2", "office is at Hiroya and 30 N. Stadion", "Nasstar Plc\nLionella and Mellemvej 32"): a corner
# whose first street is named after a person.
_CUE_THEN_NAME_AND = re.compile(
    rf"(?:(?i:{ADDRESS_CUE})(?:\s*[:=(-]\s*|\s+)(?:(?:is|was|to)[ \t]+)?|(?:^|(?<=\n))[ \t]*{_LINE_MARKER}|(?<=[:>])[ \t]+"
    rf"|(?<![\w'’-])(?:at|to|with|is|and)[ \t]+)({NAME_WORD}(?:[ \t]{NAME_WORD})?)[ \t]+and[ \t]+$")


def _corners_named_after_people(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spans`` where a street after an address cue follows a street named like a person and "and" ("the
    delivery address is Eric and 1737 Cheriton Dr", "moved to Katarzyna and Västerviksgatan 2"): the
    corner is one address, and the name found as a person's joins it."""
    for street in [span for span in spans if span[2] == "street_address"]:
        cue = _CUE_THEN_NAME_AND.search(text, max(0, street[0] - 80), street[0])
        if cue is None:
            continue
        inside = [span for span in spans if span != street and cue.start(1) <= span[0] and span[1] <= street[0]]
        if all(entity == "person" for _, _, entity in inside):
            spans = [span for span in spans if span not in inside and span != street] + [(cue.start(1), street[1], "street_address")]
    return spans


def _with_place_lines_below(text: str, end: int) -> int:
    """``end`` moved over the lines below it that hold only place words, up to the last that holds a
    postcode (``_ADDRESS_LINES_BELOW``); where none holds one, ``end`` as it was."""
    lines = _ADDRESS_LINES_BELOW.match(text, end)
    if not lines or lines.end() == end:
        return end
    last_postcode = None
    for postcode in _HAS_LINE_POSTCODE.finditer(text, end, lines.end()):
        last_postcode = postcode
    if not last_postcode:
        return end
    line_end = text.find("\n", last_postcode.end(), lines.end())
    return lines.end() if line_end == -1 else line_end


# After a person's name: a generational suffix or a degree ("Philip Shaw MD", "Ana Ruiz, PhD", "Jo Ruiz Jr.").
_NAME_SUFFIX = re.compile(r",? (?:Jr\.?|Sr\.?|MD|M\.D\.|PhD|Ph\.D\.|DDS|DVM|Esq\.?|II|III|IV)(?!\w|\.\w)")  # and "Jr.."


# A title before a name: with a capital, or in lower case with its full stop ("mr. phillip cole"); "Miss",
# "Sir", "Dame", "Herr" and "Frau" with a capital only ("I miss Anna").
HONORIFIC = (r"(?:Mr|Mrs|Ms|Mx|Dr|Prof|Rev|Mme|Mlle|Sr|Sra|Srta)\.?|(?:Miss|Sir|Dame|Herr|Frau)"
             r"|(?:mr|mrs|ms|mx|dr|prof)\.")
_HONORIFIC_BEFORE = re.compile(rf"(?<![\w.'’-])(?:{HONORIFIC})[ \t]$")
_HONORIFIC_FIRST = re.compile(rf"(?:(?:{HONORIFIC})[ \t]+)+")
HONORIFICS_MAX = 2  # titles before one name ("Prof. Dr. Anna Weber"; the generator's "Mr. Mr. Racław Piotrowski")


def _with_title_and_suffix(text: str, span: tuple[int, int, str], taken: list[tuple[int, int, str]]) -> tuple[int, int, str]:
    """A person's span with the title before it and the suffix after it ("Mrs. Lisa Holinka", "Ewan
    Richards Jr."): a title says the person's sex or marital status, a suffix tells namesakes apart, so
    both are masked with the name. Not a title that ends another value in ``taken`` ("5 Oak Dr."). Other
    spans as they are."""
    start, end, entity = span
    if entity != "person":
        return span
    for _ in range(HONORIFICS_MAX):
        title = _HONORIFIC_BEFORE.search(text, max(0, start - 6), start)
        if title is None or any(other != "person" and t_start < start and title.start() < t_end
                                for t_start, t_end, other in taken):
            break
        start = title.start()
    suffix = _NAME_SUFFIX.match(text, end)
    return start, suffix.end() if suffix else end, entity


_NAME_WORD_BEFORE = re.compile(rf"(?:^|(?<=[\s(\"]))({NAME_WORD}) $")
_NAME_WORD_AFTER = re.compile(rf" ({NAME_WORD}){NAME_END}")
_INITIAL_THEN_NAME_WORD_AFTER = re.compile(rf" [{CAPITAL}]\.? ({NAME_WORD}){NAME_END}")
_INITIAL_INSIDE = re.compile(rf"(?<![\w.])[{CAPITAL}]\.?(?= )")
NAME_WORDS_MAX = 5  # "Humberto Luis Miguel Colón Toledo": two given names and two surnames, and one more


def _with_adjacent_name_words(text: str, span: tuple[int, int, str], taken: list[tuple[int, int, str]],
                              rare_words: bool = True) -> tuple[int, int, str]:
    """A person's name widened over the known given names and surnames right before and after it
    ("Adela Sandra Morales Contreras", "Szabó Balázs Olivér", "Johan Van Damme"), and with
    ``rare_words`` over a rare word after it ("Ivan Martin Bugarski"), up to ``NAME_WORDS_MAX``
    words; no core English word, thing's name or other value is taken in."""
    start, end, entity = span
    if entity != "person":
        return span
    names = _NameWords.load()

    def name_word(word: str) -> bool:
        return (word not in NEVER_NAME_PARTS and word not in WORD_NAMES and word not in FIRST_NAMES_OF_THINGS
                and word.casefold() not in names.core_english and (names.first_name(word) or names.surname(word)))

    def name_word_after(word: str) -> bool:
        return name_word(word) or (rare_words and names.rare(word) and word not in NEVER_NAME_PARTS
                                   and word not in FIRST_NAMES_OF_THINGS and not _PRODUCT_SPELLING.search(word))

    def free(new_start: int, new_end: int) -> bool:
        return not any(other != span and other[0] < new_end and new_start < other[1] for other in taken)

    words = len(text[start:end].split())
    while words < NAME_WORDS_MAX and (before := _NAME_WORD_BEFORE.search(text, max(0, start - 40), start)):
        if not (name_word(before.group(1)) and free(before.start(1), start)):
            break
        start, words = before.start(1), words + 1
    new_end = end
    while words < NAME_WORDS_MAX and (after := _NAME_WORD_AFTER.match(text, new_end)):
        if not (name_word_after(after.group(1)) and free(new_end, after.end(1))):
            break
        new_end, words = after.end(1), words + 1
    if (1 < words < NAME_WORDS_MAX and not _INITIAL_INSIDE.search(text, start, new_end)
            and (after := _INITIAL_THEN_NAME_WORD_AFTER.match(text, new_end))
            and name_word_after(after.group(1)) and free(new_end, after.end(1))):
        new_end, words = after.end(1), words + 1  # two given names, an initial, the surname: "Milan Franc S. Košelnik"
    if _NEXT_WORD_CAPITALISED_OR_NUMBER.match(text, new_end):  # a longer run: "Navigator Dell XPS 13"
        new_end = end
    return start, new_end, entity


def _overlapping(taken: list[tuple[int, int, str]], start: int, end: int) -> list[tuple[int, int, str]]:
    """The spans of ``taken`` that overlap ``start:end``."""
    return [span for span in taken if start < span[1] and span[0] < end]


_STREET_LINE_END = re.compile(rf"\.?(?:[ \t]*[\n,]|[ \t]+{_UNIT})")
_TEXT_END = re.compile(r"\.?[ \t]*$")


def _holds_its_numbers_taken_for_a_phone(text: str, start: int, end: int, taken: list[tuple[int, int, str]]) -> bool:
    """Whether the values street line ``start:end`` overlaps are only its own two numbers at its end, taken for
    a phone ("145 6222" of "Clius 145 6222": the street's own number and the building's)."""
    overlapped = _overlapping(taken, start, end)
    return all(entity == "phone" and start < t_start and t_end == end and _TWO_NUMBERS.fullmatch(text, t_start, t_end)
               for t_start, t_end, entity in overlapped)


def _longer_street_line(text: str, start: int, end: int, taken: list[tuple[int, int, str]]) -> bool:
    """Whether ``start:end`` is a street line that holds every value it overlaps, each a shorter street
    line on the same line, and ends the line, or goes on with a comma or a unit, or ends the text after
    no everyday word: then it replaces them
    ("119 Heuvel St" of "119 Heuvel St Larissa Stream\n Suite 676"; not "58 Willow Close Room" of
    "58 Willow Close Room 101")."""
    overlapped = _overlapping(taken, start, end)
    return (all(entity == "street_address" and start <= t_start and t_end <= end for t_start, t_end, entity in overlapped)
            and text.count("\n", start, end) == sum(text.count("\n", t_start, t_end) for t_start, t_end, _ in overlapped)
            and (_STREET_LINE_END.match(text, end) is not None or (
                _TEXT_END.match(text, end) is not None and not _everyday_words_after(text, overlapped, end))))


def _everyday_words_after(text: str, overlapped: list[tuple[int, int, str]], end: int) -> bool:
    """Whether a core English word follows the shorter values up to ``end``: where the text ends
    after a longer street line, its last words are a town's ("Sour El Ghozlane."), not a sentence's
    ("436 Maple Drive Affects Wi-Fi 6E.")."""
    core = _NameWords.load().core_english
    tail = text[max((t_end for _, t_end, _ in overlapped), default=end):end]
    return any(word.casefold() in core for word in re.findall(r"[^\W\d_]{2,}", tail))


# Words of flats, floors, blocks, streets and places in other languages that are English words too
# ("Piano 6", "Torre 8", "Pot v Goričico", "Santa Fe", "San Juan").
_ADDRESS_WORDS_ABROAD = frozenset({"Piano", "Scala", "Interno", "Casa", "Torre", "Etapa", "Lote", "Local", "Oficina", "Sala",
                                   "Bloco", "Andar", "Block", "Lot", "Tower", "Pot", "Santa", "San", "Santo", "Mont", "Lac",
                                   "Saint", "Sainte"})
_COMPASS_POINTS = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW", "North", "South", "East", "West", "Norte", "Sur",
                             "Sul", "Este", "Leste", "Oeste", "Nord", "Sud", "Est", "Ouest", "Nord-Est", "Nord-Ouest"})
BLOCK_REST_WORDS_MAX = 3  # words of an address block outside the streets found in it, where it holds no postcode
_BLOCK_TAIL_POSTCODE = re.compile(r"(?<![\d/-])(?!(?:19|20)\d\d\b)(?:\d{4,8}|\d{5}-\d{3,4}|\d{2}-\d{3})(?![\d/])")


def _block_completes_streets(text: str, start: int, end: int, taken: list[tuple[int, int, str]]) -> bool:
    """Whether an address block after a cue (``start:end``) may replace the values found inside it:
    names (places taken for them), and streets where no word of the block outside them is a
    capitalised everyday English word, and the block holds a postcode (no year), or no more than
    ``BLOCK_REST_WORDS_MAX`` words outside them that are a separate part or a quarter ("Lerchgasse
    1\n4301 Tulln an der Donau", "... Dto. 9\nRosario 2000, Santa Fe", "76 avenue Imene Cheikh Larbaa -
    Tébessa", "539 Pennsylvania Avenue NW"; not "58 Willow Close Room 101", "Via Roma 12\nOrder 45123",
    "200 Kings Road Synced")."""
    overlapped = _overlapping(taken, start, end)
    if not all(entity in ("person", "street_address") and start <= t_start and t_end <= end
               for t_start, t_end, entity in overlapped):
        return False
    if all(entity == "person" for _, _, entity in overlapped):
        return True
    rest = list(text[start:end])
    for t_start, t_end, entity in overlapped:
        if entity == "street_address":
            rest[t_start - start:t_end - start] = " " * (t_end - t_start)
    rest_text = "".join(rest)
    core = _NameWords.load().core_english
    if any(word.casefold() in core and len(word) > 2 and not word.isupper() and word not in _ADDRESS_WORDS_ABROAD
           for word in _capitalised_words(rest_text)):
        return False  # but a region's code ("Q. ROO", "BA") and words abroad ("Piano 6", "Santa Fe") are no English words
    if any(match.start() > start for match in _BLOCK_TAIL_POSTCODE.finditer(text, start, end)):
        return True  # a postcode, not the house number it starts with ("1885 Sunset Blvd FYI")
    # Without a postcode, only a separate part ("- Tébessa", ", Santa Fe") or a quarter ("NW") after the street.
    rest_words = rest_text.split()
    return len(rest_words) <= BLOCK_REST_WORDS_MAX and (
        all(word in _COMPASS_POINTS for word in rest_words) or rest_text.lstrip(" \t")[:1] in (",", "-", "–", "/", "\n"))


def _holds_names_only(taken: list[tuple[int, int, str]], start: int, end: int) -> bool:
    """Whether every value of ``taken`` that ``start:end`` overlaps is a person's name inside it."""
    return all(entity == "person" and start <= t_start and t_end <= end for t_start, t_end, entity in _overlapping(taken, start, end))


def _holds_shorter_values_of_its_kind(taken: list[tuple[int, int, str]], start: int, end: int, entity: str) -> bool:
    """Whether ``start:end`` holds every value of ``taken`` it overlaps, each of the same kind ``entity``
    and shorter: two detectors found one value, the first only a part of it. Persons are left to the
    name rules, which trim and join their spans themselves, and secrets to their detectors, which keep
    the name before a value ("NPM_TOKEN=") readable."""
    overlapped = _overlapping(taken, start, end)
    return entity not in ("person", "secret") and all(
        t_entity == entity and start <= t_start and t_end <= end and t_end - t_start < end - start
        for t_start, t_end, t_entity in overlapped)


_HOUSE_NUMBER_ONLY = re.compile(r"[ \t]+\d{1,5}[A-Za-z]?")
_STREET_TYPE_FIRST = re.compile(rf"(?i:{STREET_PREFIX_BEFORE_NUMBER}|{_REGIONAL_STREET_PREFIX})[ \t]")
# Two numbers a phone detector may take where a house number follows another ("9036 1896 Maple Street").
_TWO_NUMBERS = re.compile(r"\d{1,6}[ \t]\d{1,6}")


def _street_union(text: str, start: int, end: int, taken: list[tuple[int, int, str]]) -> tuple[int, int] | None:
    """The union of street line ``start:end`` with the values it overlaps, where each is a street line on
    the same line that starts and ends after it, or two numbers whose second is its house number: the
    parts of one street that two detectors found ("Paul-Nevermann-Platz 77" and "77 St.", "9036 1896"
    and "1896 Maple Street"); otherwise None. A street line found first is never lengthened at its end,
    where a looser detector runs on into the sentence ("992 Maple Drive Affects Adobe")."""
    overlapped = _overlapping(taken, start, end)
    for t_start, t_end, entity in overlapped:
        street_after = entity == "street_address" and start < t_start and end <= t_end
        numbers_before = (entity == "phone" and t_start < start and _TWO_NUMBERS.fullmatch(text, t_start, t_end)
                          and text[start:t_end].isdigit())
        # "219 Via Acrone" found first, then "Via Acrone 69": the number after a street named with its
        # type first is its own (not "4" of "59 Maple Ave. 4 x 2.5 GB").
        own_number_after = (entity == "street_address" and t_start < start < t_end < end
                            and _HOUSE_NUMBER_ONLY.fullmatch(text, t_end, end) is not None
                            and _STREET_TYPE_FIRST.match(text, start) is not None)
        if not (street_after or numbers_before or own_number_after):
            return None
    union = min(start, *(t[0] for t in overlapped)), max(end, *(t[1] for t in overlapped))
    return union if "\n" not in text[union[0]:union[1]] else None


def _joined_overlapping_addresses(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spans`` with street addresses that overlap once widened joined into one: two addresses in a row
    share the unit between them ("Flat 2, 855 Pennsylvania Ave, London Flat 2, 28 Downing St")."""
    joined: list[tuple[int, int, str]] = []
    for span in sorted(spans):
        if joined and span[2] == joined[-1][2] == "street_address" and span[0] < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(joined[-1][1], span[1]), "street_address")
        else:
            joined.append(span)
    return joined


# What may stand between two parts of one street address that the detectors found apart: up to three
# words or numbers of the street's name, and at most one line break with its indent ("583 Boriñaur|
# enparantza 29\n |Apt. 896", "323 Árpád| fejedelem |útja 45.", "ul. Radzymińska 107| Elisha Plains\n |Apt. 488").
STREET_PART_GAP_WORDS_MAX = 3
_STREET_PART_GAP = re.compile(
    rf"[ \t]+(?:[^\W_][\w'’.-]*[ \t]+){{0,{STREET_PART_GAP_WORDS_MAX - 1}}}[^\W_][\w'’.-]*(?:[ \t]+|[ \t]*\n[ \t]*)")
_UNIT_FIRST = re.compile(_UNIT)


def _joined_street_parts(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spans`` with two street addresses joined into one where only words of a street's name stand
    between them, and a line break only before a flat or suite: capitalised words, numbers, or
    lower-case words no English dictionary holds ("enparantza", "fejedelem"); not a sentence going on
    ("12 Main Street and my office is at 5 Oak Road"), nor two lines that each hold an address."""
    joined: list[tuple[int, int, str]] = []
    for span in sorted(spans):
        previous = joined[-1] if joined else None
        if (previous and span[2] == previous[2] == "street_address" and previous[1] <= span[0]
                and _STREET_PART_GAP.fullmatch(text, previous[1], span[0])
                and ("\n" not in text[previous[1]:span[0]] or _UNIT_FIRST.match(text, span[0]))
                and _street_part_gap_words(text[previous[1]:span[0]])):
            joined[-1] = (previous[0], span[1], "street_address")
        else:
            joined.append(span)
    return joined


def _street_part_gap_words(gap: str) -> bool:
    """Whether the words between two parts of an address (``STREET_PART_GAP_WORDS_MAX`` at most, by
    ``_STREET_PART_GAP``) belong to a street's name: each a number, a capitalised word that is no
    common English word ("Then", "Call") unless a street's type, or a lower-case word that is no
    English word."""
    common = english_words()
    return all(word[0].isdecimal() or (word[0].isupper() and (word not in common or _STREET_SUFFIX_WORD.fullmatch(word)))
               or (word.islower() and not in_dictionary(word.rstrip(".")))
               for word in gap.split())


def _joined_adjacent_names(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """``spans`` with names that only a space parts, or that overlap, joined into one ("Humberto Luis" +
    "Miguel Colón Toledo")."""
    joined: list[tuple[int, int, str]] = []
    for span in sorted(spans):
        if joined and span[2] == joined[-1][2] == "person" and (span[0] < joined[-1][1] or (  # "Dr" + "Dr. Ewan Richards"
                text[joined[-1][1]:span[0]] == " " and not _HONORIFIC_FIRST.match(text, span[0]))):  # not "Zeynep Mahlangu| Dr. Juhani"
            joined[-1] = (joined[-1][0], max(span[1], joined[-1][1]), "person")
        else:
            joined.append(span)
    return joined


@lru_cache(maxsize=4096)
def _name_parts(name: str) -> tuple[str, ...]:
    """The words of a found name that are masked on their own elsewhere in the record: no initial,
    particle, title or suffix, and no core English word unless it is a known name ("Barros", "Martin",
    a lower-case given name: "laura"; not "Firmware" of "Adaora Xhaka Firmware", nor "hill" of "fletcher hill")."""
    names = _NameWords.load()
    parts = []
    for position, word in enumerate(re.findall(r"[^\W\d_][\w'’-]+", name)):
        if word in NEVER_NAME_PARTS or word in english_words() or word in _PARTICLE_WORDS or _NAME_SUFFIX.fullmatch(f" {word}"):
            continue
        # typed in lower case, a given name that is no everyday word ("laura" of "laura souza"; not
        # "grace" of "grace moloi", nor "hill" of "fletcher hill")
        if word.casefold() in names.core_english and not (names.known(word) if word[0].isupper() else (
                position == 0 and names.first_name(_title_case(word)) and _title_case(word) not in WORD_NAMES)):
            continue
        parts.append(word)
    return tuple(parts)


# Around a word of prose: a space, a line's or text's edge, a bracket, a quote or a sentence's punctuation.
_SET_OFF_BEFORE = re.compile(r"(?:|[\s(\"'“‘])\Z")
_SET_OFF_AFTER = re.compile(r"(?:\Z|[\s)\"'”’,;:!?]|\.(?!\w))")


def _written_in_other_cases(name: str) -> tuple[str, ...]:
    """A found name as typed wholly in lower case, with capitals and in capitals ("hilarion", "Hilarion",
    "HILARION"), where one of its words is no word in lower case: "rose" and "will smith" are words,
    so a name "Rose" or "Will Smith" does not make them names elsewhere in the record."""
    words = name.split()
    if not any(_may_be_a_name_in_lower_case(word.lower()) for word in words):
        return ()
    lower = name.lower()
    written = {lower, " ".join(_title_case(word) for word in lower.split()), name.upper()}
    # Not where a letter changes length with its case ("İ", "ß"): the one searched for is another word.
    return tuple(sorted(form for form in written - {name} if len(form) == len(name)))


def _may_be_a_name_in_lower_case(word: str) -> bool:
    """Whether a lower-case word of a found name is still a name in lower case, as a word of text
    typed wholly in lower case is (``_could_be_a_name``): "hilarion", not "rose", "fine-tuning" or
    "datasets" (of "HuggingFace Datasets" taken for a person)."""
    title = _title_case(word)
    return not _never_a_lower_case_name(word, title) and _could_be_a_name(word, title, _NameWords.load(), first_names_only=False)


# After a part of a name: the part starts a longer name or a thing's name ("Martin Luther King Day", "Grace Period").
_NEXT_WORD_CAPITALISED_OR_NUMBER = re.compile(rf"[ \t]+[\d{CAPITAL}]")


def _merge_spans(*span_lists: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping ``(start, end, value)`` from several lists, left to right, the longest first where they clash."""
    chosen, position = [], 0
    for start, end, value in sorted((s for spans in span_lists for s in spans), key=lambda s: (s[0], s[0] - s[1])):
        if start >= position:
            chosen.append((start, end, value))
            position = end
    return chosen


# A line of two or three name words alone, perhaps after a bullet ("Mozes Tury", "??? Marius Bang").
_NAME_LINE = re.compile(rf"^[ \t]*{_LINE_MARKER}({NAME_WORD}(?:[ \t][{CAPITAL}]\.?)?(?:[ \t](?:{PARTICLE}[ \t])?{NAME_WORD}){{1,2}})[ \t]*$",
                        re.MULTILINE)
CONTACT_BLOCK_LINES = 4  # lines below a name line within which an address or phone makes it a contact block


def names_heading_contact_blocks(text: str, taken: list[tuple[int, int, str]], rare_words: bool = True) -> list[tuple[int, int]]:
    """Spans of name lines that head a contact block: a line of two or three name words, with a street
    address, phone or email found within ``CONTACT_BLOCK_LINES`` lines below it, as in signatures and
    address labels ("Mozes Tury\nMachine operator\nHurricane Energy PLC\n03830 Glynitveien 218").
    The words must pass the strong-context name test (no core English words at both ends), or start
    with a known first name (``_known_first_name_first``)."""
    if "\n" not in text:
        return []
    contacts = [start for start, _, entity in taken if entity in _CONTACT_ENTITIES]
    if not contacts:
        return []
    validate = _name_in_strong_context if rare_words else _with_a_known_name(_name_in_strong_context)
    spans = []
    for match in _NAME_LINE.finditer(text):
        if _contact_below(text, match.end(), contacts) and (validate(match.group(1)) or _known_first_name_first(match.group(1))):
            spans.append(match.span(1))
    return spans


_CONTACT_ENTITIES = ("street_address", "phone", "email")


def _contact_below(text: str, line_end: int, contacts: list[int]) -> bool:
    """Whether one of ``contacts`` (start offsets) starts on the ``CONTACT_BLOCK_LINES`` lines below
    the line that ends at ``line_end``."""
    below = text.find("\n", line_end)
    if below == -1:
        return False
    limit = line_end
    for _ in range(CONTACT_BLOCK_LINES):
        limit = text.find("\n", limit + 1)
        if limit == -1:
            break
    limit = len(text) if limit == -1 else limit
    return any(below < start <= limit for start in contacts)


# The same line typed in lower case: "??? mike engel", "maile e. jaimes".
_LOWER_CASE_NAME_LINE = re.compile(
    r"^[ \t]*(?:[^\w\s,]{1,3}[ \t]+)?([a-z\u00DF-\u024F][a-z\u00DF-\u024F'’-]+(?:[ \t][a-z]\.?)?(?:[ \t][a-z\u00DF-\u024F][a-z\u00DF-\u024F'’-]+){1,2})[ \t]*$",
    re.MULTILINE)


def lower_case_names_heading_contact_blocks(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Spans of name lines typed in lower case that head a contact block (``names_heading_contact_blocks``):
    the first line of the text or after an empty line, an address, phone or email within
    ``CONTACT_BLOCK_LINES`` lines below; a known first name, words too ("mike"), first, and a last
    word that is a known surname, one shaped like a surname or no core English word ("mike engel",
    "maile e. jaimes"; not "order details", "sigmaxyz inc.")."""
    contacts = [start for start, _, entity in found if entity in _CONTACT_ENTITIES]
    if not contacts or not text.islower():
        return []
    names = _NameWords.load()
    spans = []
    for match in _LOWER_CASE_NAME_LINE.finditer(text):
        if match.start() > 0 and text[max(0, match.start() - 2):match.start()] != "\n\n":
            continue  # a block starts the text or follows an empty line
        words = [_title_case(word) for word in match.group(1).split()]
        first, last = words[0], words[-1]
        if _contact_below(text, match.end(), contacts) and names.first_name(first, everyday=True) and (
                len(last) > 1 and last not in NEVER_NAME_PARTS and last.lower() not in english_words()
                and (names.surname(last, everyday=True) or names.surname_shaped(last) or last.casefold() not in names.core_english)):
            spans.append(match.span(1))
    return spans


def _known_first_name_first(text: str) -> bool:
    """Whether the words of a line heading a contact block are a name for its first word alone: a
    known first name that is no core English word, before words none of which never starts a name
    ("Alvin Peoples"; not "Grace Period", "Anna Holdings")."""
    words = text.split()
    names = _NameWords.load()
    return (names.first_name(words[0]) and words[0].casefold() not in names.core_english
            and not any(word in NEVER_NAME_PARTS for word in words))


# A short spaced number right after an address, or alone on the line above it, is its phone, as in
# contact blocks and signatures ("P.O. Box 131, Danmarkshavn, 3984\n32 32 85", "..., 2190 (76 151 559)").
_SHORT_PHONE_AFTER_ADDRESS = re.compile(
    rf"(?:[ \t]*[,;|(.–-][ \t]*|[ \t]*\n(?:[ \t]*\n)?[ \t]*){_SHORT_SPACED_PHONE}[ \t]*\)?[ \t]*(?=[\n.;,|]|$)")
_SHORT_PHONE_LINE_ABOVE_ADDRESS = re.compile(rf"(?:^|(?<=\n))[ \t]*{_SHORT_SPACED_PHONE}[ \t]*\n(?:[ \t]*\n)?[ \t]*$")


def _short_phones_beside_addresses(text: str, streets: list[tuple[int, int, str]],
                                   taken: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Phones of ``_SHORT_PHONE_AFTER_ADDRESS`` and ``_SHORT_PHONE_LINE_ABOVE_ADDRESS`` next to ``streets``
    that overlap nothing in ``taken``."""
    phones = []
    for start, end, _ in streets:
        for match in (_SHORT_PHONE_AFTER_ADDRESS.match(text, end), _SHORT_PHONE_LINE_ABOVE_ADDRESS.search(text, 0, start)):
            if match and not any(match.start(1) < t_end and t_start < match.end(1) for t_start, t_end, _ in taken + phones):
                phones.append((match.start(1), match.end(1), "phone"))
    return phones


# A field of a contact line that holds only a number in groups ("Naja Larsen | 77 385 106 | NajaLarsen@rhyta.com").
_CONTACT_FIELD_NUMBER = re.compile(r"(?:^|(?<=[|•·]))[ \t]*(\+?\(?\d[\d ()./-]{4,18}\d)[ \t]*(?=[|•·]|$)", re.MULTILINE)
_CONTACT_FIELD_DIGITS = (6, 15)  # fewer is a count or a code, more no phone number


def _phones_in_contact_fields(text: str, taken: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Numbers that fill a field of their own on a line of fields split by "|", "•" or "·" that also
    holds an e-mail address or a person's name: a contact line ("Satsita Umkhayev | 94 51 71 |
    SatsitaUmkhayev@teleworm.us"), where even a short number is a phone."""
    phones = []
    for match in _CONTACT_FIELD_NUMBER.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        line_end = len(text) if (newline := text.find("\n", match.end())) == -1 else newline
        digits = sum(character.isdigit() for character in match.group(1))
        if not (_CONTACT_FIELD_DIGITS[0] <= digits <= _CONTACT_FIELD_DIGITS[1]) or not any(
                separator in text[line_start:line_end] for separator in "|•·"):
            continue
        start, end = match.span(1)
        if any(entity in ("email", "person") and line_start <= t_start and t_end <= line_end
               for t_start, t_end, entity in taken) and not any(start < t_end and t_start < end for t_start, t_end, _ in taken):
            phones.append((start, end, "phone"))
    return phones


def _add_persons_where_free(taken: list[tuple[int, int, str]], spans: Iterable[tuple[int, int]], text: str = "") -> None:
    """Append each of ``spans`` as a person to ``taken``, in order, unless it overlaps a span already
    there; a name with a middle initial replaces the parts of it found before ("Roland S. Pena", where
    the full stop after the initial let a rule take "Pena" for a name starting a sentence)."""
    for start, end in spans:
        overlapped = [t for t in taken if start < t[1] and t[0] < end]
        if overlapped and text and _INITIAL_BETWEEN.search(text, start, end) and all(
                entity == "person" and start <= t_start and t_end <= end for t_start, t_end, entity in overlapped):
            taken[:] = [t for t in taken if t not in overlapped]
            overlapped = []
        if not overlapped:
            taken.append((start, end, "person"))


def _add_replacing_parts(taken: list[tuple[int, int, str]], spans: Iterable[tuple[int, int, str]],
                         replaceable: frozenset[str] | None = None) -> None:
    """Append each of ``spans`` to ``taken`` where every span it overlaps lies inside it (and is of an
    entity in ``replaceable``, when given), replacing those: "maryam b. kadiev" where "maryam" was
    taken, "2907 avenida júlio s dias 106" where "2907" was taken for a street and "júlio s dias" for
    a person."""
    for start, end, entity in spans:
        overlapped = [t for t in taken if start < t[1] and t[0] < end]
        if all(start <= t_start and t_end <= end and (replaceable is None or kind in replaceable)
               for t_start, t_end, kind in overlapped):
            taken[:] = [t for t in taken if t not in overlapped]
            taken.append((start, end, entity))


# What joins the addresses of a list, after one of them, and the cue the next is read after.
_ADDRESS_LIST_JOIN = re.compile(r"(?:,?[ \t]+(?:and|&)|;)[ \t]+")
_LISTED_ADDRESS_CUE = "Address: "
# Values a listed address may hold whole: a name of its street or town read as a person's, a number as a phone's.
_PARTS_OF_AN_ADDRESS = frozenset({"person", "phone", "street_address"})


class _RecordValues(NamedTuple):
    """What ``PiiMasker`` found in one record's texts."""

    own_spans: list[list[tuple[int, int, str]]]  # per text, the ``(start, end, value)`` the detectors found there
    found: dict[str, str]  # every value found -> its entity type
    everywhere: dict[str, str]  # values masked wherever they occur as a whole word
    alone: frozenset[str]  # one-word names and name parts, masked where they stand alone
    other_cases: frozenset[str]  # names and name parts typed in another case, masked where prose sets them off

    def spans_in(self, text: str, own: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """``own`` spans, and wherever else a found value occurs as a whole word: a value the detectors
        found inside a longer token ("1969-08-11" of "1969-08-11T00:00Z") is masked too."""
        if not self.found:
            return own
        alone = [hit for hit in _occurrences(text, self.alone) if not _NEXT_WORD_CAPITALISED_OR_NUMBER.match(text, hit[1])]
        # Not in a web address, a path or markup, where a product's name ("Pydantic Logfire" taken for a
        # person) is written in lower case ("pydantic.dev/logfire").
        other_cases = [hit for hit in _occurrences(text, self.other_cases)
                       if _SET_OFF_BEFORE.match(text[hit[0] - 1:hit[0]]) and _SET_OFF_AFTER.match(text, hit[1])
                       and not _NEXT_WORD_CAPITALISED_OR_NUMBER.match(text, hit[1])]
        return _merge_spans(own, _occurrences(text, self.everywhere), alone, other_cases)


_NON_SPACE = re.compile(r"\S+")
_INVISIBLE_CHARACTERS = "\u200b\u200c\u200d\u2060\ufeff"  # zero-width space, non-joiner, joiner, word joiner, BOM
_INVISIBLE_CHARACTER = re.compile(f"[{_INVISIBLE_CHARACTERS}]")
_INVISIBLE_AS_SPACE = str.maketrans(dict.fromkeys(_INVISIBLE_CHARACTERS, " "))
_INITIAL = re.compile(rf"[{CAPITAL}]\.?")


@lru_cache(maxsize=16)
def _cue_word_automaton(words: tuple[str, ...]):
    """An Aho-Corasick automaton over the detectors' cue words (``Detector.needs``): one pass over a
    text finds every one it holds, where testing each word apart took 15% of the masking time."""
    import ahocorasick

    automaton = ahocorasick.Automaton()
    for position, word in enumerate(words):
        automaton.add_word(word, position)
    automaton.make_automaton()
    return automaton


@dataclass
class PiiMasker:
    """Finds and masks PII in records.

    Args:
        entities: Entity types to mask (see ``PiiConfig``).
        mode: ``placeholder`` or ``pseudonym``.
        key: HMAC key, required for ``pseudonym`` mode. Never logged.
        custom_patterns: Extra entity types, NAME -> regex.
        rare_word_names: Also mask two capitalised words that are neither known names nor common
            words ("Kwame Oyelaran"; see ``gazetteer_names``), and take rare words for a name where
            the sentence puts a person ("Xanthe Zapatero said"). Off, a known name must be among
            the words: the leak check of generated text, where a model invents words.
        birth_years: ``(first, last)``: a whole date in these years is masked as a date of birth
            also without a birth cue ("12.04.1987"); ``None``: only after a cue.
    """

    entities: Iterable[str]
    mode: str = "placeholder"
    key: bytes | None = field(default=None, repr=False)
    custom_patterns: dict[str, str] = field(default_factory=dict)
    rare_word_names: bool = True
    birth_years: tuple[int, int] | None = DEFAULT_BIRTH_YEARS

    def __post_init__(self) -> None:
        if self.mode == "pseudonym" and not self.key:
            raise ValueError("pseudonym mode needs a key (set the configured environment variable)")
        wanted = set(self.entities)
        self._find_uncued_names = "person" in wanted
        self._find_lower_case_addresses = "street_address" in wanted
        self._find_phones = "phone" in wanted
        custom = [Detector(name.lower(), re.compile(regex)) for name, regex in self.custom_patterns.items()]
        detectors = [d for d in _detectors(self.birth_years) if d.entity in wanted]
        if not self.rare_word_names:  # a known name must be among the words ("Qorvex Blantu said" is none)
            detectors = [replace(d, validate=_with_a_known_name(d.validate)) if d.rare_words else d for d in detectors]
        self.detectors = custom + detectors
        # Each detector's cue words as indices into one automaton, which finds all of them in one pass.
        self._cue_words = tuple(sorted({word for detector in self.detectors for word in detector.needs}))
        index = {word: position for position, word in enumerate(self._cue_words)}
        self._cue_word_ids = [frozenset(index[word] for word in detector.needs) if detector.needs else None
                              for detector in self.detectors]
        self._cue_word_finder = _cue_word_automaton(self._cue_words)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """Return non-overlapping ``(start, end, entity)`` spans in ``text``.

        Invisible characters (a byte-order mark, zero-width spaces and joiners) are read as spaces,
        so "Václav \ufeffHorák" is a name; the offsets are those of ``text``, as one character
        stands for one.
        """
        if not text.isascii() and _INVISIBLE_CHARACTER.search(text):
            text = text.translate(_INVISIBLE_AS_SPACE)
        return self._find(text, self._find_uncued_names)

    def _find(self, text: str, uncued_names: bool) -> list[tuple[int, int, str]]:
        """``find``; ``uncued_names``: also the name rules that need no cue (``gazetteer_names``...)."""
        taken: list[tuple[int, int, str]] = []
        lowered = text.lower()
        present = {position for _, position in self._cue_word_finder.iter(lowered)}
        for detector, cue_word_ids in zip(self.detectors, self._cue_word_ids):
            if cue_word_ids is not None and cue_word_ids.isdisjoint(present):
                continue
            if detector.needs_match is not None and detector.needs_match.search(text) is None:
                continue
            for start, end in _valid_spans(detector, text):
                if detector.entity == "person":
                    line_break = text.find("\n", start, end)
                    if line_break != -1:  # a name ends its line ("Ship to: Marika Philippen\nRua Deocleciano Cavalcante 1841")
                        end = line_break
                    words = [(word.start(), word.group()) for word in _NON_SPACE.finditer(text, start, end)]
                    while words and words[0][1] in NOT_NAMES:
                        words.pop(0)
                    while words and words[-1][1] in NOT_NAMES:
                        words.pop()
                    if (sum(word[0].isupper() for _, word in words) == 3 and not _INITIAL.fullmatch(words[1][1])
                            and _NameWords.load().not_a_last_name(words[-1][1])):
                        words.pop()  # "Regards, Maria Lopez Call me back", "Paavo Wirth Windows Server" (but "Thanks, Mary Page", "Caroline M. Landmark")
                    while words and words[-1][1][0].islower() and words[0][1][0].isupper():
                        words.pop()  # a particle left behind: "Maria de" of "Maria de Call" (not "ask maria lopez")
                    if not words:
                        continue
                    (start, _), (last_start, last) = words[0], words[-1]
                    end = last_start + len(last.rstrip(",;"))  # "Anna Lyberth" of "Recipient: Anna Lyberth, Unit 2141"
                clashes = [t_start for t_start, t_end, _ in taken if start < t_end and t_start < end]
                if clashes and detector.entity == "street_address":
                    # A street line that holds or joins the shorter ones found before it replaces them,
                    # and so does one that holds a name taken for a person ("Zita and Oranje-Nassauhof 169").
                    union = ((start, end) if _longer_street_line(text, start, end, taken) or _holds_names_only(taken, start, end)
                             or _holds_its_numbers_taken_for_a_phone(text, start, end, taken)
                             or (detector.replaces_parts and _block_completes_streets(text, start, end, taken))
                             else _street_union(text, start, end, taken))
                    if union:
                        start, end = union
                        taken = [t for t in taken if not (start < t[1] and t[0] < end)]
                        clashes = []
                elif clashes and _holds_shorter_values_of_its_kind(taken, start, end, detector.entity):
                    # "+41 (0)29 346 41 95" whole, where a detector before it took "(0)29 346 41 95" (home)
                    taken = [t for t in taken if not (start < t[1] and t[0] < end)]
                    clashes = []
                if clashes:
                    # A grouped value that ran into the next value ("+27 82 220 0279 10.3.2.1") keeps
                    # the groups before it when they are valid on their own.
                    if not (detector.grouped or detector.cut_before_next_value) or min(clashes) <= start:
                        continue
                    end = _valid_without_trailing_groups(text, start, min(clashes), detector)
                    if end is None:
                        continue
                taken.append((start, end, detector.entity))
        if uncued_names:
            _add_persons_where_free(taken, gazetteer_names(text, self.rare_word_names), text)
            name_ends = [t_end for _, t_end, entity in taken if entity == "person"]
            name_starts = [t_start for t_start, _, entity in taken if entity == "person"]
            _add_persons_where_free(taken, lone_names(text, name_ends, self.rare_word_names, name_starts))
            _add_persons_where_free(taken, names_heading_contact_blocks(text, taken, self.rare_word_names))
            _add_persons_where_free(taken, lower_case_names(text))
            if " and " in text or " or " in text or " & " in text:
                _add_persons_where_free(taken, first_names_joined(text))
                if ":" in text:
                    _add_replacing_parts(taken, [(start, end, "person") for start, end in names_listed_after_people(text)],
                                         replaceable=frozenset({"person"}))
            _add_persons_where_free(taken, names_in_lower_case_text(text))
            if "'s" in text or "’s" in text:
                _add_persons_where_free(taken, surnames_in_possessive(text))
            if "he " in text:  # "the " or "The ": a cheap test before the regex
                _add_persons_where_free(taken, families_named(text))
            if "@" in text:  # whole, in place of a part found before ("Account holder: Zachary" of "Zachary van den IJssel")
                _add_replacing_parts(taken, [(start, end, "person") for start, end in names_in_email_addresses(text)],
                                     replaceable=frozenset({"person"}))
        taken = _joined_adjacent_names(text, [_with_title_and_suffix(text, _with_adjacent_name_words(
            text, span, taken, self.rare_word_names), taken) for span in taken])
        addresses = _joined_overlapping_addresses(
            [_whole_address(text, span, taken) if span[2] == "street_address" else span for span in taken])
        addresses = _joined_street_parts(text, _corners_named_after_people(text, addresses))
        # A place in an address taken for a name ("Vejers Strand"), or a unit found on its own, is part of the address.
        streets = [span for span in addresses if span[2] == "street_address"]
        addresses += _short_phones_beside_addresses(text, streets, addresses)
        if self._find_phones and ("|" in text or "•" in text or "·" in text):
            addresses += _phones_in_contact_fields(text, addresses)
        found = [span for span in set(addresses) if not any(
            street != span and street[0] <= span[0] and span[1] <= street[1] for street in streets)]
        if uncued_names and text.islower():
            # Whole names, joined as they are where capitals are written; this text's own joins would
            # read a word after a name as its surname ("rebecca said").
            _add_replacing_parts(found, self._names_in_lower_case_prose(text), replaceable=frozenset({"person"}))
            _add_persons_where_free(found, lower_case_names_heading_contact_blocks(text, found))
        if self._find_lower_case_addresses and text.islower():
            _add_replacing_parts(found, self._addresses_in_lower_case_text(text))
        if " and " in text or "; " in text or " & " in text:
            _add_replacing_parts(found, self._addresses_listed_after_addresses(text, found), replaceable=_PARTS_OF_AN_ADDRESS)
        return sorted(found)

    def _addresses_listed_after_addresses(self, text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
        """Street addresses listed after one found ("here they are: 4856 rue Parc, Sherbrooke QC, and 9685
        Kuusiku 17, Stugun"): what follows ", and", "and", "&" or ";" is read as if after "Address:",
        and an address found at its very start is taken (each found this way opens the next)."""
        spans = []
        for _, end, entity in sorted(found):
            join = _ADDRESS_LIST_JOIN.match(text, end) if entity == "street_address" else None
            if join is None:
                continue
            offset = join.end() - len(_LISTED_ADDRESS_CUE)
            spans += [(start + offset, stop + offset, kind)
                      for start, stop, kind in self._find(_LISTED_ADDRESS_CUE + text[join.end():], uncued_names=False)
                      if kind == "street_address" and start == len(_LISTED_ADDRESS_CUE)]
        return spans

    def _addresses_in_lower_case_text(self, text: str) -> list[tuple[int, int, str]]:
        """Street addresses of a text typed wholly in lower case, found in it with an address's
        capitals put back (``address_capitalised_as_written``)."""
        capitalised = address_capitalised_as_written(text)
        if capitalised is None:
            return []
        return [span for span in self._find(capitalised, uncued_names=False) if span[2] == "street_address"]

    def _names_in_lower_case_prose(self, text: str) -> list[tuple[int, int, str]]:
        """Names in a text typed wholly in lower case, found by the person rules in the text with the
        capitals of its possible names put back (``capitalised_as_written``). In prose with a personal
        word every rule reads it; elsewhere ("pytest sklearn", "for using the msgpack serializer")
        only the cued rules read surnames and rare words ("hey Hilarion", "according to Timayev"), and
        the others known first names ("Nestor from the night shift fixed it")."""
        readings = [(capitalised_as_written(text), True)] if _PERSONAL_WORD.search(text) else [
            (capitalised_as_written(text), False), (capitalised_as_written(text, first_names_only=True), True)]
        spans = []
        for capitalised, uncued_names in readings:
            if capitalised is not None:
                spans += [span for span in self._find(capitalised, uncued_names) if span[2] == "person"]
        return spans

    def spans_in_record(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """The ``(start, end, value)`` spans ``mask_record`` replaces in each of a record's texts.

        A value found in one text is masked wherever it occurs in any of them, and so is each part of
        a person's name that stands alone ("directed by Igor Barros and starring Barros", "Hi Ana ...
        Ana Ruiz"; but not "Grace" of "Grace Period" after "Grace Moloi").
        """
        values = self._values_in_record(texts)
        return [values.spans_in(text, own) for text, own in zip(texts, values.own_spans)]

    def _values_in_record(self, texts: list[str]) -> _RecordValues:
        """Each text's own spans and the values found in any of them, sorted by where they are masked."""
        found: dict[str, str] = {}
        own_spans = []
        for text in texts:
            spans = self.find(text)
            own_spans.append([(start, end, text[start:end]) for start, end, _ in spans])
            for start, end, entity in spans:
                found.setdefault(text[start:end], entity)
        # A one-word name found once ("Martin said") and the parts of longer names count where they stand alone.
        single_words = {value for value, entity in found.items() if entity == "person" and " " not in value}
        parts = {part for value, entity in found.items() if entity == "person" for part in _name_parts(value)}
        everywhere = {value: entity for value, entity in found.items() if value not in single_words}
        alone = (parts - set(found)) | single_words
        # The same name typed in another case elsewhere in the record ("Thanks Hilarion" ... "hey its hilarion").
        names = [value for value, entity in found.items() if entity == "person" and " " in value] + list(alone)
        other_cases = {written for name in names for written in _written_in_other_cases(name) if written not in found}
        return _RecordValues(own_spans, found, everywhere, frozenset(alone), frozenset(other_cases))

    def replacement(self, value: str, entity: str) -> str:
        """The masked form of one value."""
        tag = entity.upper()
        if self.mode == "placeholder":
            return f"<{tag}>"
        value = value.translate(_INVISIBLE_AS_SPACE)  # "Václav \ufeffHorák" as "Václav Horák"
        if entity == "person":  # one person, one pseudonym: "Mrs. Lisa Holinka" as "Lisa Holinka"
            value = _NAME_SUFFIX.sub("", _HONORIFIC_FIRST.sub("", value.strip(), count=1)) or value
        normalised = re.sub(r"\s+", " ", value.strip().lower())
        digest = hmac.new(self.key, f"{entity}:{normalised}".encode(), hashlib.sha256).hexdigest()
        return f"<{tag}_{digest[:8]}>"

    def mask_record(self, record: dict) -> tuple[dict, Counter]:
        """Mask every turn of a record consistently.

        Values found in any turn are replaced wherever they occur in the
        record, so a name the customer gave is also masked in the assistant's
        summary.

        Returns:
            The masked record (a new dict) and counts of masked values per entity type.
        """
        values = self._values_in_record([message["content"] for message in record["messages"]])
        counts: Counter = Counter()
        if not values.found:
            return record, counts
        messages = []
        for message, own_spans in zip(record["messages"], values.own_spans):
            content = message["content"]
            pieces, position = [], 0
            for start, end, value in values.spans_in(content, own_spans):
                entity = values.found.get(value, "person")  # or a part of a name
                pieces += [content[position:start], self.replacement(value, entity)]
                counts[entity] += 1
                position = end
            pieces.append(content[position:])
            messages.append({**message, "content": "".join(pieces)})
        return {**record, "messages": messages}, counts

    def residual(self, text: str) -> list[str]:
        """Entity types still detectable in already-masked text (for validation and leak checks)."""
        return [entity for _, _, entity in self.find(text)]
