"""A supporter's /alias, pure: the name a person sees ("Sam is here with you now") must be short, plain letters
in any script, and never the police or another agency.

`check_alias` says why a name is refused (a key of flows/warmline.yaml's staff words) or '' when it is fine.
The refused words are flows/warmline.yaml's `refused_aliases`; the agencies are every service in resources/
by name (`agency_names`). Nothing here does I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Literal

ALIAS_MAX = 20  # characters, after spaces are tidied
JOINERS = frozenset(" -'’")  # between letters: "Mary-Ann", "O'Neil"
Refusal = Literal["", "alias_usage", "alias_too_long", "alias_plain", "alias_agency"]
_ACRONYM = re.compile(r"\b[A-Z]{2,}\b")


def tidy(alias: str) -> str:
    """NFC, spaces collapsed, ends trimmed."""
    return " ".join(unicodedata.normalize("NFC", alias).split())


def check_alias(alias: str, refused: Iterable[str], agencies: Iterable[str]) -> Refusal:
    """'' when `alias` may be shown to people; else the staff words' key saying why not."""
    name = tidy(alias)
    if not name:
        return "alias_usage"
    if not plain(name):
        return "alias_plain"
    if is_agency(name, refused, agencies):  # before the length: an agency's long name is refused for what it is
        return "alias_agency"
    if len(name) > ALIAS_MAX:
        return "alias_too_long"
    return ""


def plain(name: str) -> bool:
    """Letters (with their accents and marks) of one script per word, joined by single spaces, hyphens or
    apostrophes: no digits, links, @handles, emoji, control or direction characters."""
    if not name or name[0] in JOINERS or name[-1] in JOINERS:
        return False
    previous = ""
    for char in name:
        if char in JOINERS:
            if previous in JOINERS:
                return False
        elif not unicodedata.category(char).startswith(("L", "M")):
            return False
        previous = char
    return all(len(scripts(word)) <= 1 for word in re.split(r"[ \-'’]", name))


def scripts(word: str) -> set[str]:
    """The scripts of a word's letters ("LATIN", "CYRILLIC"...): a word mixing them is a look-alike trick."""
    found = set()
    for char in word:
        if unicodedata.category(char).startswith("L"):
            found.add(unicodedata.name(char, "UNKNOWN").split()[0])
    return found


def words(text: str) -> tuple[str, ...]:
    """Casefolded words without accents, for comparing names: "Políce-Officer" -> ("police", "officer")."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.category(c).startswith("M"))
    return tuple(re.findall(r"\w+", bare.casefold()))


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return n > 0 and any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def agency_names(names: Iterable[str]) -> tuple[str, ...]:
    """The names an agency goes by, from resources' service names: the full name, the part before "(" or
    ":", and its acronyms ("Alberta RCMP non-emergency line" -> also "RCMP")."""
    found: list[str] = []
    for name in names:
        found.append(name)
        head = re.split(r"[(:]", name, maxsplit=1)[0].strip()
        if head and head != name:
            found.append(head)
        found.extend(_ACRONYM.findall(name))
        found.extend(part.strip() for part in re.findall(r"\(([^)]*)\)", name))
    return tuple(dict.fromkeys(found))


def is_agency(name: str, refused: Iterable[str], agencies: Iterable[str]) -> bool:
    """The alias names the police or an agency: it holds a refused word (police, officer...), or it is an
    agency's name, or holds one of several words."""
    mine = words(name)
    if any(_contains(mine, words(term)) for term in refused):
        return True
    for agency in agencies:
        theirs = words(agency)
        if mine == theirs or (len(theirs) >= 2 and _contains(mine, theirs)):
            return True
    return False
