"""The population in the group's other systems, typed the way each of them writes people:

- dfs (some of those with a national ID): one `full_name`, the ID as typed (digits, or spaced),
  the phone only for the few whose sign-up saved it (07XX…), the email if given;

- core_v1 (some of those with a national ID or passport): First/Last only, the ID as
  `ID12345678`, `12345678` or `KE-ID-12345678`, an E.164 phone or '' and the email, or VIF's
  `<32 hex>@vif.local` when none;
- openbanking (some of those with an email): customer number, lower-case email, E.164 phone or
  none, never a national ID or a birth date;
- global (some of those with an email): one `full_name` as the user typed it (a nickname, the
  middle name, the surname first), lower-case email, a phone or none.

Each person is in any of them independently; the truth records which row is whose.
"""

from __future__ import annotations

import random
import uuid
from typing import Any

from sandbox.population import NICKNAMES, Person, Population

CORE_V1_SHARE, OPENBANKING_SHARE, GLOBAL_SHARE, DFS_SHARE = 0.25, 0.2, 0.2, 0.2
# the dfs web app accepts a phone at sign-up and saves it only on another path (sample data)
WITHOUT_PHONE = {"core_v1": 0.1, "openbanking": 0.1, "global": 0.3, "dfs": 0.75}


def spread_over_group(population: Population, rng: random.Random) -> None:
    core_v1: list[dict[str, Any]] = []
    openbanking: list[dict[str, Any]] = []
    wallets_users: list[dict[str, Any]] = []
    dfs_users: list[dict[str, Any]] = []
    identifications: set[str] = set()
    for person in population.people:
        if person.national_id and rng.random() < DFS_SHARE:
            dfs_users.append(_dfs(rng, person, len(dfs_users) + 1))
        document = person.national_id or person.passport
        if document and rng.random() < CORE_V1_SHARE:
            typed = _typed_id(rng, person)
            if typed not in identifications:
                identifications.add(typed)
                core_v1.append(_core_v1(rng, person, typed))
        if person.email and rng.random() < OPENBANKING_SHARE:
            openbanking.append(_openbanking(rng, person, len(openbanking) + 1))
        if person.email and rng.random() < GLOBAL_SHARE:
            wallets_users.append(_global(rng, person))
    population.group_rows = {
        "core_v1": [("Customers", core_v1)],
        "openbanking": [("customers", openbanking)],
        "global": [("users", wallets_users)],
        "dfs": [("users", dfs_users)],
    }
    population.truth |= {("core_v1", str(r["Id"])): r.pop("_person") for r in core_v1}
    population.truth |= {("openbanking", str(r["id"])): r.pop("_person") for r in openbanking}
    population.truth |= {("global", str(r["user_id"])): r.pop("_person") for r in wallets_users}
    population.truth |= {("dfs", str(r["user_id"])): r.pop("_person") for r in dfs_users}


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _phone(rng: random.Random, person: Person, source: str) -> str | None:
    return None if rng.random() < WITHOUT_PHONE[source] else person.phone


def _typed_id(rng: random.Random, person: Person) -> str:
    if person.passport:
        return person.passport
    number = person.national_id or ""
    return rng.choice((f"ID{number}", f"ID{number}", number, f"KE-ID-{number}"))


def _core_v1(rng: random.Random, person: Person, identification: str) -> dict[str, Any]:
    row_id = _uuid(rng)
    return {
        "_person": person.person_id,
        "Id": row_id,
        "FirstName": person.first_name,
        "LastName": person.last_name,
        "Email": person.email or f"{row_id.hex}@vif.local",
        "PhoneNumber": _phone(rng, person, "core_v1") or "",
        "IdentificationNumber": identification,
        "RiskRating": rng.choice((0, 1, 1, 2)),
        "IsActive": True,
    }


def _openbanking(rng: random.Random, person: Person, n: int) -> dict[str, Any]:
    return {
        "_person": person.person_id,
        "id": _uuid(rng),
        "customer_number": f"CUST{n:03d}",
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.email,
        "phone": _phone(rng, person, "openbanking"),
        "date_of_birth": None,
        "kyc_status": "verified",
    }


def _global(rng: random.Random, person: Person) -> dict[str, Any]:
    first, middle, last = person.first_name, person.middle_name, person.last_name
    forms = [f"{first} {last}", f"{first} {last}", f"{last} {first}"]
    if middle:
        forms.append(f"{first} {middle} {last}")
    if first in NICKNAMES:
        forms.append(f"{NICKNAMES[first]} {last}")
    return {
        "_person": person.person_id,
        "user_id": _uuid(rng),
        "full_name": rng.choice(forms),
        "email": person.email,
        "phone_number": _phone(rng, person, "global"),
        # NOT NULL at the source: a stand-in the connector never reads
        "password_hash": "$2a$10$" + "x" * 53,
        "kyc_status": rng.choice(("verified", "pending")),
    }


def _dfs(rng: random.Random, person: Person, user_id: int) -> dict[str, Any]:
    number = person.national_id or ""
    phone = _phone(rng, person, "dfs")
    forms = [f"{person.first_name} {person.last_name}", f"{person.last_name} {person.first_name}"]
    if person.middle_name:
        forms.append(f"{person.first_name} {person.middle_name} {person.last_name}")
    return {
        "_person": person.person_id,
        "user_id": user_id,
        "full_name": rng.choice(forms),
        "email": person.email,
        "phone_number": f"0{phone[4:]}" if phone else None,  # 07XXXXXXXX
        "national_id": rng.choice((number, number, f"{number[:2]} {number[2:5]} {number[5:]}")),
        "kyc_tier": "TIER_1",
        "is_active": True,
    }
