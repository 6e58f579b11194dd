"""The grouping rules as a pure function: priority, conflicts, ambiguity, typos, order."""

import random
from datetime import date

from app.identity.clustering import Node, cluster, confirms, names_agree, one_edit_pairs


def node(key, national_id=None, phone=None, email=None, name=None, dob=None, passport=None):
    return Node(
        key=("src", key),
        national_id=national_id,
        passport=passport,
        phone=phone,
        email=email,
        full_name=name,
        date_of_birth=dob,
    )


def groups(result):
    return sorted(sorted(k[1] for k in keys) for keys in result.clusters)


def test_national_id_then_phone_then_email():
    result = cluster(
        [
            node("core", "12345678", "+254711000001"),
            node("dfs", "12345678", email="a@b.co"),
            node("channel", phone="+254711000001"),
            node("web", email="a@b.co"),
        ]
    )
    assert groups(result) == [["channel", "core", "dfs", "web"]]
    assert result.joined_by[("src", "dfs")] == "national_id"


def test_two_national_ids_never_merge_whatever_they_share():
    result = cluster(
        [
            node("parent", "12345678", "+254711000001", "family@mail.com"),
            node("child", "87654321", "+254711000001", "family@mail.com"),
        ]
    )
    assert groups(result) == [["child"], ["parent"]]
    assert any("ambiguous" in r for r in result.refusals[("src", "child")])


def test_a_record_between_two_people_joins_by_phone_before_email():
    result = cluster(
        [
            node("a", "12345678", phone="+254711000001"),
            node("b", "87654321", email="x@mail.com"),
            node("r", phone="+254711000001", email="x@mail.com"),
        ]
    )
    assert groups(result) == [["a", "r"], ["b"]]


def test_a_phone_of_two_people_links_nobody_else():
    result = cluster(
        [
            node("mother", "12345678", "+254711000001"),
            node("son", "87654321", "+254711000001"),
            node("login", phone="+254711000001"),
        ]
    )
    assert groups(result) == [["login"], ["mother"], ["son"]]


def test_shared_identifiers_are_not_used():
    shared = {("phone", "+254711000001")}
    result = cluster([node("a", phone="+254711000001"), node("b", phone="+254711000001")], shared)
    assert groups(result) == [["a"], ["b"]]
    assert "shared" in result.refusals[("src", "a")][0]


def test_passport_never_meets_a_national_id_but_two_passports_conflict():
    result = cluster(
        [
            node("p1", passport="A1234567", phone="+254711000001"),
            node("p2", passport="B7654321", phone="+254711000001"),
        ]
    )
    assert groups(result) == [["p1"], ["p2"]]


def test_typo_in_national_id_joins_when_name_confirms():
    result = cluster(
        [
            node("core", "12345678", name="Achieng Otieno", dob=date(1990, 1, 2)),
            node("branch", "12345679", name="ACHIENG OTIENO", dob=None),
        ]
    )
    assert groups(result) == [["branch", "core"]]
    assert result.joined_by[("src", "branch")] == "national_id_typo"


def test_typo_without_confirmation_is_a_suspected_duplicate():
    # twins: consecutive IDs, same birthday, different first names
    result = cluster(
        [
            node("twin1", "22345678", name="Wanjiru Kamau", dob=date(2001, 5, 5)),
            node("twin2", "22345679", name="Njeri Kamau", dob=date(2001, 5, 5)),
        ]
    )
    assert groups(result) == [["twin1"], ["twin2"]]
    assert [(s.national_id_a, s.national_id_b) for s in result.suspected] == [
        ("22345678", "22345679")
    ]


def test_name_and_birth_rules():
    assert names_agree("Achieng Otieno", "achieng  otieno")
    assert names_agree("Achieng Otieno", "Achieng Atieno Otieno")
    assert not names_agree("Wanjiru Kamau", "Njeri Kamau")
    assert not names_agree("Kamau", "Kamau")  # one token confirms nothing
    a = node("a", "1", name="Achieng Otieno", dob=date(1990, 1, 2))
    assert not confirms(a, node("b", "2", name="Achieng Otieno", dob=date(1991, 1, 2)))
    assert confirms(a, node("b", "2", dob=date(1990, 1, 2)))


def test_one_edit_pairs():
    values = ["12345678", "12345679", "12345687", "1234567", "99999999"]
    assert one_edit_pairs(values) == [
        ("1234567", "12345678"),
        ("1234567", "12345679"),
        ("1234567", "12345687"),
        ("12345678", "12345679"),
        ("12345678", "12345687"),
    ]


def test_grouping_does_not_depend_on_input_order():
    nodes = [
        node("a", "12345678", "+254711000001"),
        node("b", "87654321", "+254711000001"),
        node("c", phone="+254711000001", email="c@mail.com"),
        node("d", email="c@mail.com"),
        node("e", "12345679", name="Achieng Otieno"),
        node("f", "12345678", name="Achieng Otieno"),
    ]
    expected = groups(cluster(nodes))
    rng = random.Random(3)
    for _ in range(20):
        rng.shuffle(nodes)
        assert groups(cluster(nodes)) == expected


def test_an_id_with_several_near_neighbours_is_not_guessed():
    result = cluster(
        [
            node("a", "30345678", name="Alice Wanjiru"),
            node("b", "31345678", name="Alice Wanjiru"),
            node("c", "32345678", name="Alice Wanjiru"),
        ]
    )
    assert groups(result) == [["a"], ["b"], ["c"]]
    assert len(result.suspected) == 3


def test_a_name_picks_one_person_of_a_family_phone_or_nobody():
    family = [
        node("mother", "12345678", "+254711000001", name="Achieng Nekesa Koech"),
        node("son", "87654321", "+254711000001", name="Otieno Mumbua Koech"),
    ]
    named = cluster([*family, node("login", phone="+254711000001", name="Achieng")])
    assert groups(named) == [["login", "mother"], ["son"]]
    assert named.joined_by[("src", "login")] == "phone_and_name"
    surname_only = cluster([*family, node("login", phone="+254711000001", name="Koech")])
    assert groups(surname_only) == [["login"], ["mother"], ["son"]]
