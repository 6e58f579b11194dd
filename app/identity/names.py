"""Names as Kenyans write them: which two spellings are one name, which are two people's.

Each convention is written down with its sources and reasoning in docs/names.md:

- Luo birth names mark a boy with O- and a girl with A- (Otieno / Atieno): two names.
- Kalenjin names mark a man with Kip- or Ki- and a woman with Chep-, Che-, Jep- or Je-
  (Kibet / Chebet, Kiprotich / Cherotich): two names.
- Kikuyu names are carried as given names and, a generation on, as surnames: the son of "Kamau
  Njoroge" is "Njoroge Kamau". A name in reverse order is then a possible son, not the father.
- Arabic-origin names are transliterated many ways (Ahmed / Ahmad, Ibrahim / Ebrahim, Hussein /
  Husein, Yusuf / Yusufu): one name.
- Swahili and English forms of Christian names (Yohana / John, Mariamu / Mary): one name.
- Nicknames (`app/identity/nicknames.py`): one name.

jellyfish's Metaphone gives the consonants of a transliteration; the vowels, which tell Hassan
from Hussein and Rashid from Rashida, are compared by rules written here.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import jellyfish
from rapidfuzz.distance import JaroWinkler

from app.identity.nicknames import known_alias, name_groups

_NAME_SPLIT = re.compile(r"[^a-z]+")

# Honorifics typed before a name say nothing about who it is.
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "dr", "prof", "rev", "eng", "hon", "sir"})

# Kikuyu names a man carries as his given name and, as his father's name, as his surname.
KIKUYU_GIVEN_AND_SURNAMES = frozenset(
    {
        "kamau", "njoroge", "mwangi", "kariuki", "kimani", "maina", "ndungu", "gitau", "njeru",
        "waweru", "karanja", "githinji", "macharia", "mbugua", "kinyua", "muriuki", "wainaina",
        "kiarie", "nganga", "kuria", "chege", "wambugu", "mureithi", "gachanja", "ngugi",
        "gathogo", "mugo", "kahara", "irungu", "wachira", "muchiri", "kagwe", "kinuthia",
        "mathenge", "njuguna", "kabiru", "gicheru", "ngure", "kiragu", "mburu", "waithaka",
    }
)  # fmt: skip

# Arabic-origin names Kenyans carry; the transliteration rule speaks only for these, other
# names keep the typo rules (where one vowel changed can be another person).
ARABIC_ORIGIN = frozenset(
    {
        "ahmed", "mohamed", "ibrahim", "abdullahi", "hussein", "yusuf", "hassan", "omar", "ali",
        "abdi", "rashid", "said", "salim", "hamisi", "bakari", "abubakar", "ismail", "idris",
        "musa", "issa", "adan", "osman", "mahmoud", "mustafa", "suleiman", "abdirahman",
        "abdulrahman", "abdikadir", "abdulkadir", "khalid", "hamid", "farah", "noor", "yakub",
        "ayub", "shariff", "juma", "fatuma", "amina", "halima", "khadija", "zainab", "mariam",
        "asha", "aisha", "saida", "hawa", "zuhura", "rukia", "mwanaisha", "habiba", "sofia",
    }
)  # fmt: skip

# Swahili forms of Christian names, as churches and registries write them, and the English.
CHRISTIAN_FORMS: dict[str, tuple[str, ...]] = {
    "john": ("yohana", "yohane"),
    "peter": ("petro",),
    "paul": ("paulo",),
    "mary": ("mariamu", "maria"),
    "joseph": ("yusufu",),
    "james": ("yakobo",),
    "jacob": ("yakobo",),
    "david": ("daudi",),
    "samuel": ("samweli",),
    "daniel": ("danieli",),
    "stephen": ("stefano",),
    "thomas": ("tomaso",),
    "andrew": ("andrea",),
    "philip": ("filipo",),
    "matthew": ("mathayo",),
    "mark": ("marko",),
    "luke": ("luka",),
    "moses": ("musa",),
    "abraham": ("ibrahimu",),
    "isaac": ("isaka",),
    "elizabeth": ("elizabeti",),
    "esther": ("esta",),
    "ruth": ("ruthu",),
    "sarah": ("sara",),
    "joshua": ("yoshua",),
    "solomon": ("sulemani",),
    "simon": ("simeoni",),
    "timothy": ("timotheo",),
    "gabriel": ("jibrili",),
    "michael": ("mikaeli",),
}
_CHRISTIAN = name_groups(CHRISTIAN_FORMS)

# Gendered prefixes: Kalenjin men's Kip-/Ki-, women's Chep-/Che-/Jep-/Je-; Luo boys' O-, girls'
# A-.
_KALENJIN_MEN, _KALENJIN_WOMEN = ("kip", "ki"), ("chep", "che", "jep", "je")


# A component compares each name with many others: its tokens are made once. Bounded: some
# two batches' worth of names.
@functools.lru_cache(maxsize=32_768)
def written(name: str | None) -> tuple[str, ...]:
    """Lower-case tokens without accents or titles, in the order written, initials kept."""
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    tokens = _NAME_SPLIT.split(plain.casefold())
    return tuple(t for t in tokens if t and t not in _TITLES)


@functools.lru_cache(maxsize=32_768)
def tokens(name: str | None) -> tuple[str, ...]:
    """The name's tokens without initials: what names are compared by."""
    return tuple(t for t in written(name) if len(t) > 1)


def same_start(a: str, b: str) -> bool:
    """One token begins with the other's first three letters: how short forms are made ('Joe'
    for 'Joseph', 'Pure' for 'Purity')."""
    return min(len(a), len(b)) >= 3 and (a.startswith(b[:3]) or b.startswith(a[:3]))


def variant(a: str, b: str) -> str | None:
    """How two different name tokens are known forms of one name: 'nickname', 'christian_form'
    or 'transliteration'; None when they are not."""
    if a == b:
        return None
    if known_alias(a, b):
        return "nickname"
    if b in _CHRISTIAN.get(a, ()):
        return "christian_form"
    if (a in ARABIC_ORIGIN or b in ARABIC_ORIGIN) and _transliteration(a) == _transliteration(b):
        return "transliteration"
    return None


@functools.lru_cache(maxsize=32_768)
def _transliteration(token: str) -> tuple[str, str]:
    """What stays of an Arabic-origin name across its Latin spellings: its consonants (Metaphone)
    and its vowels, once the spellings' differences are set aside: kh written h, a leading E
    read as I and a leading U as O, doubled letters once, ou as u, a y after the first letter
    as i, a Swahili final -u or -i after a consonant dropped (Yusufu, Rashidi), u and o one
    vowel, and e past the first letter an a (Ahmed / Ahmad, Hussein / Husain)."""
    word = token.replace("kh", "h")
    word = {"e": "i", "u": "o"}.get(word[:1], word[:1]) + word[1:]
    word = re.sub(r"(.)\1+", r"\1", word).replace("ou", "u")
    word = word[:1] + word[1:].replace("y", "i")
    if len(word) > 3 and word[-1] in "iu" and word[-2] not in "aeiou":
        word = word[:-1]
    vowels = word[:1] + word[1:].replace("u", "o").replace("e", "a")
    return jellyfish.metaphone(word), " ".join(re.findall(r"[aeio]+", vowels))


@functools.lru_cache(maxsize=65_536)
def gendered_forms(a: str, b: str) -> bool:
    """The male and the female form of one name: Luo O- and A- (Otieno / Atieno), Kalenjin
    Kip-/Ki- and Chep-/Che-/Jep-/Je- (Kibet / Chebet, Kiprotich / Cherotich)."""
    if len(a) > 3 and len(b) > 3 and {a[0], b[0]} == {"o", "a"} and a[1:] == b[1:]:
        return True
    man, woman = (a, b) if a[:1] == "k" else (b, a)
    if man[:1] != "k" or woman[:1] not in ("c", "j"):
        return False
    return any(
        man.startswith(m) and woman.startswith(w) and man[len(m) :] == woman[len(w) :]
        for m in _KALENJIN_MEN
        for w in _KALENJIN_WOMEN
    )


def generational_kikuyu(name: str | None) -> bool:
    """The given name and the surname are both Kikuyu names a man carries as either, so his
    son, named after his grandfather, carries the same two reversed ('Kamau Njoroge')."""
    theirs = tokens(name)
    return (
        len(theirs) >= 2
        and theirs[0] != theirs[-1]
        and {theirs[0], theirs[-1]} <= KIKUYU_GIVEN_AND_SURNAMES
    )


def reversed_kikuyu(record: str | None, holder: str | None) -> bool:
    """`record` writes `holder`'s Kikuyu names in reverse order ('Njoroge K.' or 'Njoroge
    Kamau' for 'Kamau Njoroge'), both of them names a man carries as a given name and as a
    surname: his son, named after his own grandfather, is written so."""
    theirs, mine = tokens(holder), written(record)
    if not mine or not generational_kikuyu(holder):
        return False
    given, surname = theirs[0], theirs[-1]
    if mine[0] != surname:
        return False
    rest = mine[1:]
    return not rest or any(t == given or (len(t) == 1 and given.startswith(t)) for t in rest)


def evidence(record: str | None, other: str | None) -> dict[str, object] | None:
    """How `record`'s name reads against `other`'s, token by token, for a steward: each written
    token with the token of the other name it stands for and how (same, initial, nickname,
    christian_form, transliteration, same start, similar), and the order (as written, surname
    first); None when either has no name."""
    reading = _reading(record, other)
    if reading is None:
        return None
    pairs, order = reading
    return {"names": [record, other], "tokens": list(pairs), "order": order}


# the names of a component's records recur in its links and held items: each pair read once
@functools.lru_cache(maxsize=32_768)
def _reading(record: str | None, other: str | None) -> tuple[tuple[str, ...], str] | None:
    mine, theirs = written(record), tokens(other)
    if not mine or not theirs:
        return None
    pairs: list[str] = []
    free = list(theirs)
    for token in mine:
        match, how = _stands_for(token, free)
        if match is None:
            pairs.append(f"{token}: not in the other name")
            continue
        free.remove(match)
        pairs.append(f"{token} = {match}" if how == "same" else f"{token} ~ {match}: {how}")
    full = [t for t in mine if len(t) > 1]
    if reversed_kikuyu(record, other):
        order = "reverse order of Kikuyu names carried as given names and surnames: a possible son"
    elif len(theirs) > 1 and full and full[0] != theirs[0] and _same(full[0], theirs[-1]):
        order = "surname first"
    else:
        order = "as written"
    return tuple(pairs), order


def _same(a: str, b: str) -> bool:
    return a == b or variant(a, b) is not None


def _stands_for(token: str, candidates: list[str]) -> tuple[str | None, str]:
    if token in candidates:
        return token, "same"
    if len(token) == 1:
        found = next((c for c in candidates if c.startswith(token)), None)
        return found, "initial"
    for candidate in candidates:
        how = variant(token, candidate)
        if how:
            return candidate, how
    for candidate in candidates:
        if same_start(token, candidate):
            return candidate, "same start"
    close = [c for c in candidates if c[:1] == token[:1]]
    if close:
        best = max(close, key=lambda c: JaroWinkler.similarity(token, c))
        if JaroWinkler.similarity(token, best) >= 0.8:
            return best, "similar"
    return None, ""
