"""The synthetic population: deterministic, every hard case present, truth consistent, and
loadable into real demo sources without breaking their UNIQUE constraints."""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from app.identity import normalize
from sandbox.accuracy import pairwise_scores
from sandbox.population import (
    ARABIC_MEN,
    ARABIC_WOMEN,
    BOY_GIRL_TWIN_NAMES,
    NICKNAMES,
    PLACEHOLDER_EMAILS,
    PLACEHOLDER_IDS,
    SISTER_NAMES,
    SPELLINGS,
    Person,
    Population,
    _Generator,
    generate_population,
    write_population,
)
from sandbox.sources import PLACEHOLDER_PHONE
from tests.connectors.helpers import throwaway_sources

PHONE_FORMS = {
    "e164": r"\+254\d{9}",
    "msisdn": r"254\d{9}",
    "spaced": r"0\d{3} \d{3} \d{3}",
    "bare": r"[17]\d{8}",
    "local": r"0[17]\d{8}",
    "international 00": r"00254\d{9}",
}
ID_FORMS = {
    "plain": r"\d{8}",
    "ID prefix": r"ID\d{8}",
    "spaced": r"\d{2} \d{3} \d{3}",
    "dotted": r"\d{2}\.\d{3}\.\d{3}",
    "KE-ID": r"KE-ID-\d{8}",
    "stray spaces": r" \d{8} ",
    "passport": r"[A-Z]\d{7}",
}


@pytest.fixture(scope="module")
def population() -> Population:
    return generate_population(1000, seed=3)


def person_of(population: Population, source: str, row: dict[str, Any]) -> Person:
    key = row["Id"] if source == "core" else row["user_id"]
    return population.people[population.truth[(source, str(key))] - 1]


def form_of(value: str, forms: dict[str, str]) -> str | None:
    return next((name for name, pattern in forms.items() if re.fullmatch(pattern, value)), None)


def test_same_seed_same_population() -> None:
    assert generate_population(300, seed=11) == generate_population(300, seed=11)
    assert generate_population(300, seed=11) != generate_population(300, seed=12)


def test_truth_covers_every_row_and_person(population: Population) -> None:
    assert [p.person_id for p in population.people] == list(range(1, 1001))
    keys = [("core", str(c["Id"])) for c in population.core_customers]
    keys += [("channel", str(u["user_id"])) for u in population.channel_users]
    assert sorted(keys) == sorted(population.truth)
    assert set(population.truth.values()) == {p.person_id for p in population.people}
    # Core ~85%, channel ~60%; some people are in one system only.
    systems = defaultdict(set)
    for (source, _), person_id in population.truth.items():
        systems[person_id].add(source)
    shares = Counter(frozenset(s) for s in systems.values())
    assert 0.80 < (shares[frozenset({"core"})] + shares[frozenset({"core", "channel"})]) / 1000
    assert 0.52 < (shares[frozenset({"channel"})] + shares[frozenset({"core", "channel"})]) / 1000
    assert shares[frozenset({"core"})] > 200 and shares[frozenset({"channel"})] > 50


def test_rows_describe_their_person(population: Population) -> None:
    """Same person => same truth id: every identifier a row carries, once normalized, is its
    person's own (or a placeholder, a gap, or the typo of a typo duplicate)."""
    typos = set(population.cases["typo_duplicate"])
    for customer in population.core_customers:
        person = person_of(population, "core", customer)
        assert (customer["FirstName"], customer["LastName"]) == (
            person.first_name,
            person.last_name,
        )
        assert customer["MiddleName"] in (person.middle_name, None)
        born = customer["DateOfBirth"]
        assert born is None or born.date() == person.date_of_birth
        assert normalize.gender(customer["Gender"]) in (person.gender, None)
        if customer["PrimaryPhone"] not in (None, PLACEHOLDER_PHONE):
            assert normalize.phone(customer["PrimaryPhone"]) == person.phone
        if customer["SecondaryPhone"]:
            assert normalize.phone(customer["SecondaryPhone"]) in (
                person.second_phone,
                person.channel_phone,
            )
        document = normalize.national_id(customer["IdentificationNumber"])
        if document and person.person_id not in typos:
            assert document[0] in (person.national_id, person.passport)
    for user in population.channel_users:
        person = person_of(population, "channel", user)
        assert person.channel_phone in (person.phone, person.second_phone, person.former_phone)
        assert user["account_id"] == (person.channel_phone or "").removeprefix("+")
    # Distinct people never share a national ID or an email, typed in any form.
    by_id: dict[str, set[int]] = defaultdict(set)
    by_email: dict[str, set[int]] = defaultdict(set)
    for customer in population.core_customers:
        person_id = person_of(population, "core", customer).person_id
        if document := normalize.national_id(customer["IdentificationNumber"]):
            by_id[document[0]].add(person_id)
        if address := normalize.email(customer["Email"]):
            by_email[address].add(person_id)
    assert all(len(owners) == 1 for owners in (*by_id.values(), *by_email.values()))


def test_duplicate_customers(population: Population) -> None:
    copies = defaultdict(list)
    for customer in population.core_customers:
        copies[person_of(population, "core", customer).person_id].append(customer)
    twice = {pid for pid, rows in copies.items() if len(rows) == 2}
    formats, typos = population.cases["format_duplicate"], population.cases["typo_duplicate"]
    assert twice == set(formats) | set(typos)
    assert len(formats) == 50 and len(typos) == 30  # 5% and 3% of 1000 people
    for pid in formats:
        first, second = copies[pid]
        assert first["IdentificationNumber"] != second["IdentificationNumber"]
        assert normalize.national_id(first["IdentificationNumber"]) == normalize.national_id(
            second["IdentificationNumber"]
        )
    for pid in typos:
        first, second = copies[pid]
        a = normalize.national_id(first["IdentificationNumber"])
        b = normalize.national_id(second["IdentificationNumber"])
        assert a and b and a[1] == b[1] == "national_id"
        assert sum(x != y for x, y in zip(a[0], b[0], strict=True)) == 1
        for column in ("FirstName", "MiddleName", "LastName", "DateOfBirth"):
            assert first[column] == second[column]
        assert first["DateOfBirth"] is not None
    for pid in twice:
        first, second = copies[pid]
        assert first["CustomerNumber"] != second["CustomerNumber"]
        assert first["Email"] is None or first["Email"] != second["Email"]


def test_mobile_banking_lines_are_on_the_core_record(population: Population) -> None:
    """Enrolment needs the bank to know the line: a customer's channel MSISDN is their core
    PrimaryPhone or, when that is missing, a placeholder or another line, SecondaryPhone."""
    primary, secondary = defaultdict(set), defaultdict(set)
    for customer in population.core_customers:
        person_id = person_of(population, "core", customer).person_id
        primary[person_id].add(normalize.phone(customer["PrimaryPhone"]))
        secondary[person_id].add(normalize.phone(customer["SecondaryPhone"]))
    through_secondary = 0
    for user in population.channel_users:
        person_id = person_of(population, "channel", user).person_id
        if person_id not in primary or population.people[person_id - 1].former_phone:
            continue  # in channel only, or banking on a line since recycled
        line = normalize.phone(user["account_id"])
        assert line in primary[person_id] | secondary[person_id]
        through_secondary += line not in primary[person_id]
    second_lines = population.cases["second_line"]
    assert through_secondary > 20 and len(second_lines) > 20
    assert all(population.people[pid - 1].second_phone for pid in second_lines)


def test_families_twins_and_siblings_share_a_phone_not_an_id(population: Population) -> None:
    by_phone = defaultdict(list)
    for person in population.people:
        by_phone[person.phone].append(person)
    shared = [group for group in by_phone.values() if len(group) > 1]
    cases = population.cases
    assert {p.person_id for group in shared for p in group} == set(
        cases["family"] + cases["twin"] + cases["sibling"] + cases["father_son"]
    )
    assert 45 <= len(cases["family"]) <= 55
    assert len(cases["twin"]) == 30 and len(cases["sibling"]) == 20  # 3% and 2% of 1000
    for group in shared:
        assert 2 <= len(group) <= 4
        assert len({p.national_id for p in group}) == len(group)
        assert len({p.first_name for p in group}) == len(group)
    boy_girl_pairs = [{(boy, "male"), (girl, "female")} for boy, girl in BOY_GIRL_TWIN_NAMES]
    boy_girl = 0
    for case in ("twin", "sibling"):
        pairs = zip(cases[case][::2], cases[case][1::2], strict=True)
        for a, b in pairs:
            first, second = population.people[a - 1], population.people[b - 1]
            # registered together: consecutive national IDs, one surname, one phone
            assert int(second.national_id or 0) == int(first.national_id or 0) + 1
            assert first.last_name == second.last_name and first.phone == second.phone
            days = (second.date_of_birth - first.date_of_birth).days
            assert days == 0 if case == "twin" else days in (1, 365, 366, 730)
            names = {(first.first_name, first.gender), (second.first_name, second.gender)}
            if names in boy_girl_pairs:
                boy_girl += 1
            elif case == "twin":
                assert first.gender == second.gender
    assert boy_girl >= 4
    sibling_names = [
        {population.people[a - 1].first_name, population.people[b - 1].first_name}
        for a, b in zip(cases["sibling"][::2], cases["sibling"][1::2], strict=True)
    ]
    assert any(set(pair) in sibling_names for pair in SISTER_NAMES)
    in_core = {person_of(population, "core", c).person_id for c in population.core_customers}
    assert set(cases["family"] + cases["twin"] + cases["sibling"]) <= in_core


def test_fathers_and_sons_share_the_household_line_the_son_banks_on(
    population: Population,
) -> None:
    """The son of "Kamau Njoroge" is "Njoroge Kamau", on the line core lists for his father; his
    login writes his given name first."""
    pairs = population.cases["father_son"]
    assert len(pairs) == 20  # 2% of 1000 people, in pairs
    logins = {
        person_of(population, "channel", u).person_id: u["account_name"]
        for u in population.channel_users
    }
    fathers_lines = {
        normalize.phone(c["PrimaryPhone"])
        for c in population.core_customers
        if person_of(population, "core", c).person_id in pairs[::2]
    }
    for father_id, son_id in zip(pairs[::2], pairs[1::2], strict=True):
        father, son = population.people[father_id - 1], population.people[son_id - 1]
        assert (son.first_name, son.last_name) == (father.last_name, father.first_name)
        assert son.phone == father.phone == son.channel_phone
        assert father.date_of_birth < son.date_of_birth < date(2016, 1, 1)
        assert son.gender == father.gender
        assert father_id not in logins
        assert logins[son_id].split()[0] == son.first_name
    assert fathers_lines & {population.people[s - 1].channel_phone for s in pairs[1::2]}


def test_transliterated_names_and_recycled_lines(population: Population) -> None:
    """Channel spells some Arabic-origin names its own way; an old login on a recycled line is
    its former holder's, while core lists the line for its new holder."""
    spelled = population.cases["transliterated"]
    assert len(spelled) >= 10
    for user in population.channel_users:
        person = person_of(population, "channel", user)
        if person.person_id in spelled:
            written = user["account_name"].split()
            assert written[0] in SPELLINGS.get(person.first_name, (person.first_name,))
            assert written != [person.first_name, person.last_name]
    recycled = population.cases["recycled_line"]
    assert len(recycled) == 20  # 1% of 1000 people: former and new holder
    core_lines = defaultdict(set)
    for customer in population.core_customers:
        person_id = person_of(population, "core", customer).person_id
        core_lines[person_id] |= {
            normalize.phone(customer["PrimaryPhone"]),
            normalize.phone(customer["SecondaryPhone"]),
        }
    for former_id, holder_id in zip(recycled[::2], recycled[1::2], strict=True):
        former, holder = population.people[former_id - 1], population.people[holder_id - 1]
        assert former.channel_phone == former.former_phone == holder.phone != former.phone
        assert former.former_phone not in core_lines.get(former_id, set())


def test_placeholders_and_passports(population: Population) -> None:
    customers = population.core_customers
    ids = {c["IdentificationNumber"] for c in customers}
    emails = {c["Email"] for c in customers}
    assert "00000000" in ids
    assert {"noemail@wekeza.co.ke", "na@na.com"} <= emails
    assert sum(c["PrimaryPhone"] == PLACEHOLDER_PHONE for c in customers) >= 5
    placeholders = set(population.cases["placeholder"])
    assert len(placeholders) == 30
    for customer in customers:
        if (
            customer["IdentificationNumber"] in PLACEHOLDER_IDS
            or customer["PrimaryPhone"] == PLACEHOLDER_PHONE
            or customer["Email"] in PLACEHOLDER_EMAILS
        ):
            assert person_of(population, "core", customer).person_id in placeholders
    foreigners = [population.people[pid - 1] for pid in population.cases["foreigner"]]
    assert len(foreigners) == 20
    assert all(p.national_id is None and p.passport for p in foreigners)
    passports = [
        c for c in customers if form_of(c["IdentificationNumber"] or "", ID_FORMS) == "passport"
    ]
    assert passports and all(
        normalize.national_id(c["IdentificationNumber"]) == (c["IdentificationNumber"], "passport")
        for c in passports
    )


def test_every_typed_form_is_present(population: Population) -> None:
    customers = population.core_customers
    phones = Counter(
        form_of(c["PrimaryPhone"], PHONE_FORMS) for c in customers if c["PrimaryPhone"]
    )
    assert set(PHONE_FORMS) <= set(phones)
    assert any(re.fullmatch(r"0?11\d{7}", c["PrimaryPhone"] or "") for c in customers)
    ids = Counter(form_of(c["IdentificationNumber"] or "", ID_FORMS) for c in customers)
    assert set(ID_FORMS) <= set(ids)
    emails = [c["Email"] for c in customers if c["Email"]]
    assert any(e != e.strip() for e in emails)
    assert any(e.strip() != e.strip().lower() for e in emails)
    names = Counter()
    for user in population.channel_users:
        person, name = person_of(population, "channel", user), user["account_name"]
        if name == f"{person.first_name} {person.last_name}".upper():
            names["upper"] += 1
        elif name == person.first_name:
            names["first only"] += 1
        elif name and name.split()[0] == NICKNAMES.get(person.first_name):
            names["nickname"] += 1
    assert min(names["upper"], names["first only"], names["nickname"]) > 0
    assert names["nickname"] == len(population.cases["nickname"])


def test_truth_scores_itself_perfectly(population: Population) -> None:
    scores = pairwise_scores(population.truth, population.truth)
    assert scores.true_pairs > 0 and scores.f1 == 1.0


@pytest.fixture
def empty_sources(tmp_path: Path) -> Iterator[dict[str, str]]:
    with throwaway_sources("pop_test", tmp_path / "risk_management.db", sample=False) as urls:
        yield urls


def test_write_population(empty_sources: dict[str, str]) -> None:
    population = generate_population(2000, seed=5)
    write_population(empty_sources, population)

    def query(source: str, sql: str) -> list[Any]:
        engine = create_engine(empty_sources[source])
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(sql)).all())
        finally:
            engine.dispose()

    customers = query("core", 'SELECT "Id"::text, "CreatedAt" IS NOT NULL FROM "Customers"')
    assert len(customers) == len(population.core_customers)
    assert {("core", key) for key, _ in customers} == {
        k for k in population.truth if k[0] == "core"
    }
    assert all(stamped for _, stamped in customers)
    assert query("core", 'SELECT COUNT(*) FROM "Accounts"')[0][0] == len(population.core_accounts)
    users = query("channel", "SELECT user_id::text FROM users")
    assert {("channel", key) for (key,) in users} == {
        k for k in population.truth if k[0] == "channel"
    }
    with pytest.raises(ValueError, match="not empty"):
        write_population(empty_sources, population)


def test_the_group_spread_leaves_core_and_channel_as_they_were_and_types_each_system_its_way():
    plain = generate_population(600, seed=5)
    spread = generate_population(600, seed=5, group=True)
    assert spread.core_customers == plain.core_customers
    assert spread.channel_users == plain.channel_users
    people = {p.person_id: p for p in spread.people}
    (_, core_v1), (_, openbanking), (_, wallets), (_, dfs) = (
        spread.group_rows[s][0] for s in ("core_v1", "openbanking", "global", "dfs")
    )
    assert core_v1 and openbanking and wallets and dfs
    for row in dfs:
        person = people[spread.truth[("dfs", str(row["user_id"]))]]
        assert row["national_id"].replace(" ", "") == person.national_id
    for row in core_v1:
        person = people[spread.truth[("core_v1", str(row["Id"]))]]
        document = person.national_id or person.passport
        assert row["IdentificationNumber"] in (document, f"ID{document}", f"KE-ID-{document}")
        assert row["Email"] == person.email or row["Email"].endswith("@vif.local")
    for row in openbanking:
        person = people[spread.truth[("openbanking", str(row["id"]))]]
        assert row["email"] == person.email and row["date_of_birth"] is None
    for row in wallets:
        person = people[spread.truth[("global", str(row["user_id"]))]]
        assert row["email"] == person.email and row["phone_number"] in (None, person.phone)


def test_a_twin_or_sibling_never_draws_the_others_given_name() -> None:
    """Twins and siblings registered together have names of their own: two with one given
    name, one surname and one birthday would be one person to any matcher."""
    generator = _Generator(random.Random(7))
    for gender, names in (("male", ARABIC_MEN), ("female", ARABIC_WOMEN)):
        for taken in names[:3]:
            drawn = {generator._first_name(gender, other_than=taken) for _ in range(500)}
            assert taken not in drawn and drawn & set(names)
