"""Given names and the nicknames people go by.

English nicknames come from the `nicknames` package (a maintained, hand-curated list: Bob for
Robert, Peggy for Margaret). Listed here are the forms Kenyans use that it does not know: Sheng
and Kikuyu short forms ('Bryo', 'Shiru', 'Njesh') and English ones it lacks ('Denno', 'Cate').
A nickname a name's first letters already give away ('Pete' for 'Peter') needs no entry at all:
the loose name comparison accepts those.
"""

from __future__ import annotations

from collections.abc import Mapping

from nicknames import NickNamer

KENYAN_NICKNAMES: dict[str, tuple[str, ...]] = {
    "abdullahi": ("abdi",),
    "brian": ("bryo", "bri"),
    "catherine": ("cate", "kate", "shiko"),
    "charles": ("chalo",),
    "deborah": ("debra",),
    "dennis": ("denno",),
    "esther": ("essy", "esta"),
    "francis": ("franco",),
    "george": ("jojo",),
    "joseph": ("jose",),
    "josephine": ("jose",),
    "kennedy": ("ken", "kenny"),
    "margaret": ("magi",),
    "mohamed": ("mo", "moha"),
    "mohammed": ("mo", "moha"),
    "nicholas": ("nicko",),
    "njeri": ("njesh",),
    "patrick": ("pato",),
    "stephen": ("stevo",),
    "timothy": ("timo",),
    "wairimu": ("shiro",),
    "wambui": ("wambo",),
    "wanjiku": ("shiku",),
    "wanjiru": ("shiru",),
}


def name_groups(table: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """Per form of a name in `table` (a name and its other forms), every form it goes with."""
    groups: dict[str, frozenset[str]] = {}
    for name, forms in table.items():
        for form in (name, *forms):
            groups[form] = groups.get(form, frozenset()) | {name, *forms}
    return groups


_GROUPS = name_groups(KENYAN_NICKNAMES)

_ENGLISH = NickNamer()


def known_alias(a: str, b: str) -> bool:
    """Are two lower-case name tokens a given name and one of its nicknames (or, for the forms
    listed here, two nicknames of one name)? Two English nicknames of one name are not taken
    for each other: Ian and Jack are both John's."""
    if a == b:
        return False
    return b in _GROUPS.get(a, ()) or b in _ENGLISH.nicknames_of(a) or a in _ENGLISH.nicknames_of(b)
