"""Name gazetteer for person names written without a cue ("cc Maria Lopez", "ask Kenji Sato").

The lists come from Faker's person providers, all locales, Latin script only: about 20,000
first names and 18,000 surnames from some 70 locales. Words that are also common English
words (Faker's English lorem list: "May", "Will", "Can", "Long"...) are left out, because a
capitalised "Can" starts questions far more often than it names a person.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

_LATIN_NAME = re.compile(r"^[A-ZÀ-ÖØ-ÞŁŚŻŹČŠŽ][A-Za-z'’\-\u00C0-\u024F]+$")
_FIRST_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary",
                     "first_names_unisex", "first_romanized_names")
_LAST_ATTRIBUTES = ("last_names", "last_romanized_names")


def _collect(provider: type, attributes: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for attribute in attributes:
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
def gazetteer() -> tuple[frozenset[str], frozenset[str]]:
    """``(first names, surnames)`` from Faker, minus common English words (loaded once per process)."""
    import faker.providers.person as person

    first: set[str] = set()
    last: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = getattr(importlib.import_module(f"{person.__name__}.{module.name}"), "Provider", None)
        if provider is not None:
            first |= _collect(provider, _FIRST_ATTRIBUTES)
            last |= _collect(provider, _LAST_ATTRIBUTES)
    return frozenset(first - english_words()), frozenset(last - english_words())
