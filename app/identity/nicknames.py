"""Given names and the nicknames Kenyans commonly go by (Sheng and English forms).

A nickname a name's first letters already give away ('Pete' for 'Peter') needs no entry: the
loose name comparison accepts those. Listed are the ones it cannot guess ('Bryo', 'Shiru').
"""

from __future__ import annotations

NICKNAMES: dict[str, tuple[str, ...]] = {
    "abdullahi": ("abdi",),
    "alexander": ("alex", "sandy"),
    "anthony": ("tony",),
    "brian": ("bryo", "bri"),
    "catherine": ("cate", "kate", "cathy", "shiko"),
    "charles": ("charlie", "chalo"),
    "christopher": ("chris",),
    "deborah": ("debbie", "debra"),
    "dennis": ("denno",),
    "edward": ("eddie", "ted"),
    "elizabeth": ("liz", "lizzy", "beth", "betty"),
    "esther": ("essy", "esta"),
    "francis": ("frank", "franco"),
    "george": ("jojo",),
    "james": ("jim", "jimmy", "jimmie"),
    "jacqueline": ("jackie",),
    "john": ("johnny", "jack"),
    "joseph": ("joe", "jose"),
    "josephine": ("josie", "jose"),
    "kennedy": ("ken", "kenny"),
    "margaret": ("maggie", "peggy", "magi"),
    "michael": ("mike", "mikey"),
    "mohamed": ("mo", "moha"),
    "mohammed": ("mo", "moha"),
    "nicholas": ("nick", "nicko"),
    "njeri": ("njesh",),
    "patrick": ("pato", "pat"),
    "rebecca": ("becky",),
    "richard": ("rich", "dick", "rick"),
    "robert": ("bob", "rob", "robby"),
    "samuel": ("sam", "sammy"),
    "stephen": ("steve", "stevo"),
    "susan": ("sue", "susie"),
    "timothy": ("tim", "timo"),
    "wairimu": ("shiro",),
    "wambui": ("wambo",),
    "wanjiku": ("shiku",),
    "wanjiru": ("shiru",),
    "william": ("bill", "will", "willy"),
}

_GROUPS: dict[str, frozenset[str]] = {}
for _name, _nicknames in NICKNAMES.items():
    for _token in (_name, *_nicknames):
        _GROUPS[_token] = _GROUPS.get(_token, frozenset()) | {_name, *_nicknames}


def known_alias(a: str, b: str) -> bool:
    """Are two lower-case name tokens a given name and one of its listed nicknames (or two
    nicknames of one name)?"""
    return a != b and b in _GROUPS.get(a, ())
