"""The grouping rules as a pure function: priority, conflicts, ambiguity, typos, order."""

import random
from datetime import date
from uuid import uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from app.identity import names
from app.identity.clustering import (
    REVERSED_NAMES,
    RISK_GATE,
    SHARED_LINE,
    TYPO,
    Node,
    StewardRules,
    cluster,
    name_tokens,
    one_edit_pairs,
    typo_checks,
    typo_confirmed,
)


def node(
    key, national_id=None, phone=None, email=None, name=None, dob=None, passport=None, gender=None
):
    return Node(
        key=("src", key),
        national_id=national_id,
        passport=passport,
        phone=phone,
        email=email,
        full_name=name,
        date_of_birth=dob,
        gender=gender,
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


def test_a_record_on_a_sisters_line_with_its_own_email_joins_the_one_it_names():
    # Njeri's core record has no phone; she gave an open-banking app the family line, which
    # only her sister Nyeri (one letter apart) has on file, and her own email
    sisters = [
        node("njeri", "36029119", email="notieno@yahoo.com", name="Njeri Chepkemoi Otieno"),
        node("nyeri", "36029120", "+254788538823", "nyerio3@yahoo.com", "Nyeri Jepkoech Otieno"),
    ]
    app = node("app", phone="+254788538823", email="notieno@yahoo.com", name="Njeri Otieno")
    for order in (sisters + [app], [app] + sisters[::-1]):
        assert groups(cluster(order)) == [["app", "njeri"], ["nyeri"]]


def test_a_sister_on_the_family_line_with_her_own_email_is_not_joined_by_the_phone():
    result = cluster(
        [
            node("wanjiru", "19466271", "+254734049525", "wakinyi@gmail.com", "Wanjiru Akinyi"),
            node("app", phone="+254734049525", email="wanjikua@outlook.com", name="Wanjiku Akinyi"),
            node("login", phone="+254734049525", name="Akinyi Wanjiru"),
        ]
    )
    assert groups(result) == [["app"], ["login", "wanjiru"]]
    assert "another person on the line" in result.refusals[("src", "app")][0]


def test_a_name_one_letter_off_the_only_holder_of_a_line_is_her_sister():
    # Nyeri's own core record has no identifier at all; her app record has the family line
    result = cluster(
        [
            node("njeri", "05424049", "+254707094578", name="Njeri Wafula"),
            node("app", phone="+254707094578", email="nyeriw@gmail.com", name="Nyeri Wafula"),
            node("login", phone="+254707094578", name="Njeri W."),
            node("nick", phone="+254707094578", name="Njesh Wafula"),  # a nickname of Njeri
        ]
    )
    assert groups(result) == [["app"], ["login", "nick", "njeri"]]


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


def test_typo_in_national_id_joins_when_birth_date_and_name_confirm():
    result = cluster(
        [
            node("core", "12345678", name="Achieng Otieno", dob=date(1990, 1, 2)),
            node("branch", "12345679", name="ACHIENG OTIENO", dob=date(1990, 1, 2)),
        ]
    )
    assert groups(result) == [["branch", "core"]]
    assert result.joined_by[("src", "branch")] == "national_id_typo"


def test_a_name_alone_does_not_confirm_a_typo():
    # two men called James Owino whose IDs happen to be one digit apart, one birth date unknown
    result = cluster(
        [
            node("a", "08588830", "+254781655653", name="James Owino"),
            node("b", "08788830", "+254119453803", name="James Owino", dob=date(1997, 12, 31)),
        ]
    )
    assert groups(result) == [["a"], ["b"]]
    # a phone they share (a family line) proves no more
    family = cluster(
        [
            node("a", "08588830", "+254781655653", name="James Owino"),
            node("b", "08788830", "+254781655653", name="James Owino", dob=date(1997, 12, 31)),
        ]
    )
    assert groups(family) == [["a"], ["b"]]
    assert [s.reason for s in result.suspected] == [
        "national IDs one edit apart; date of birth unknown: not enough to confirm"
    ]


def test_ids_and_birth_dates_one_typo_apart_are_two_people():
    # siblings registered together: IDs one apart, birthdays a day apart, the same name typed
    result = cluster(
        [
            node("a", "03559862", name="Wanjiru Probe1", dob=date(1980, 5, 1), gender="female"),
            node("b", "03559863", name="Wanjiru Probe2", dob=date(1980, 5, 2), gender="female"),
        ]
    )
    assert groups(result) == [["a"], ["b"]]
    [suspect] = result.suspected
    assert suspect.checks == {"date_of_birth": "differs", "names": "equal", "gender": "equal"}
    assert suspect.reason == (
        "national IDs one edit apart; date of birth differ: two people until reviewed"
    )


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


def test_twins_named_alike_in_the_middle_stay_apart():
    # Wafula resembles Nafula, the other twin's middle name: the given names still differ
    result = cluster(
        [
            node("t1", "07972812", name="Akinyi Nafula Mohamed", dob=date(1995, 5, 26)),
            node("t2", "07972813", name="Wafula Mohamed", dob=date(1995, 5, 26)),
        ]
    )
    assert groups(result) == [["t1"], ["t2"]]
    assert len(result.suspected) == 1


def test_the_typo_rule_wants_nothing_that_tells_two_apart():
    a = [node("a", "1", name="Achieng Otieno", dob=date(1990, 1, 2), gender="female")]

    def checks(**other):
        return typo_checks(a, [node("b", "2", **other)])

    same = checks(name="achieng  OTIENO", dob=date(1990, 1, 2), gender="female")
    assert same == {"date_of_birth": "equal", "names": "equal", "gender": "equal"}
    assert typo_confirmed(same)
    assert typo_confirmed(checks(name="Otieno Achieng", dob=date(1990, 1, 2)))  # surname first
    assert typo_confirmed(checks(name="Achieng Auma Otieno", dob=date(1990, 1, 2)))  # middle name
    assert typo_confirmed(checks(name="Áchieng Otieno", dob=date(1990, 1, 2)))  # accents
    # a birth date one typo off is another birthday, a name one letter off another name
    assert not typo_confirmed(checks(name="Achieng Otieno", dob=date(1991, 1, 2)))
    assert not typo_confirmed(checks(name="Akinyi Otieno", dob=date(1990, 1, 2)))
    assert checks(name="Achieng Otieno", dob=date(1990, 1, 2), gender="male")["gender"] == (
        "differs"
    )
    assert not typo_confirmed(checks(name="Achieng Otieno", dob=date(1990, 1, 2), gender="male"))
    # what is unknown confirms nothing: a birth date, a one-token name
    assert not typo_confirmed(checks(name="Achieng Otieno"))
    assert checks(name="Otieno", dob=date(1990, 1, 2))["names"] == "unknown"
    assert not typo_confirmed(checks(name="Otieno", dob=date(1990, 1, 2)))


def test_boy_girl_twins_named_for_the_same_hour_stay_apart():
    # Luo names tell the time of birth: twins born at night are Otieno and Atieno
    born = date(2001, 3, 4)
    result = cluster(
        [
            node("him", "22345678", name="Otieno Ouma", dob=born, gender="male"),
            node("her", "22345679", name="Atieno Ouma", dob=born, gender="female"),
        ]
    )
    assert groups(result) == [["her"], ["him"]]
    [suspect] = result.suspected
    assert suspect.checks == {"date_of_birth": "equal", "names": "differs", "gender": "differs"}


def test_twins_one_letter_apart_stay_apart_even_without_a_gender():
    born = date(2001, 3, 4)
    result = cluster(
        [
            node("a", "22345678", name="Ochieng Ouma", dob=born),
            node("b", "22345679", name="Achieng Ouma", dob=born),
        ]
    )
    assert groups(result) == [["a"], ["b"]]
    assert len(result.suspected) == 1


def test_a_gender_difference_blocks_an_otherwise_perfect_typo():
    born = date(1985, 7, 7)
    result = cluster(
        [
            node("a", "22345678", name="Imani Wekesa", dob=born, gender="female"),
            node("b", "22345679", name="Imani Wekesa", dob=born, gender="male"),
        ]
    )
    assert groups(result) == [["a"], ["b"]]
    assert result.suspected[0].checks["gender"] == "differs"


def test_a_re_registration_with_an_id_typo_merges():
    born = date(1979, 11, 30)
    result = cluster(
        [
            node("first", "22345678", name="Mary Wanjiru Kamau", dob=born, gender="female"),
            node("again", "22345778", name="Mary Wanjiru Kamau", dob=born, gender="female"),
        ]
    )
    assert groups(result) == [["again", "first"]]
    assert result.joined_by[("src", "again")] == "national_id_typo"
    assert result.suspected == []


def test_a_gender_difference_blocks_phone_and_email_links():
    # a core record without an ID on the line of a documented man, in her own name
    for kind in ("phone", "email"):
        value = "+254711000001" if kind == "phone" else "ouma@mail.com"
        result = cluster(
            [
                node("him", "22345678", name="Otieno Ouma", gender="male", **{kind: value}),
                node("her", name="Otieno Ouma", gender="female", **{kind: value}),
            ]
        )
        assert groups(result) == [["her"], ["him"]], kind
        assert any("2 different people" in r for r in result.refusals[("src", "her")])
        # the same record without a gender on file would have joined him
        same = cluster(
            [
                node("him", "22345678", name="Otieno Ouma", gender="male", **{kind: value}),
                node("her", name="Otieno Ouma", **{kind: value}),
            ]
        )
        assert groups(same) == [["her", "him"]], kind


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
            node("a", "30345678", name="Alice Wanjiru", dob=date(1990, 1, 2)),
            node("b", "31345678", name="Alice Wanjiru", dob=date(1990, 1, 2)),
            node("c", "32345678", name="Alice Wanjiru", dob=date(1990, 1, 2)),
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


def test_a_secondary_phone_links_like_the_primary():
    core = Node(
        key=("core", "c1"),
        national_id="12345678",
        phone="+254711000001",
        secondary_phone="+254733000002",
        full_name="Achieng Otieno",
    )
    login = node("login", phone="+254733000002", name="Achieng O.")
    other = node("other", phone="+254733000003")
    result = cluster([core, login, other])
    assert sorted(sorted(k[1] for k in c) for c in result.clusters) == [
        ["c1", "login"],
        ["other"],
    ]
    assert core.soft_identifiers() == [("phone", "+254711000001"), ("phone", "+254733000002")]


def test_a_nickname_picks_one_person_of_a_family_phone():
    family = [
        node("father", "12345678", "+254711000001", name="David Atieno Kariuki"),
        node("daughter", "87654321", "+254711000001", name="Mercy Kariuki"),
    ]
    result = cluster([*family, node("login", phone="+254711000001", name="Dave Kariuki")])
    assert groups(result) == [["daughter"], ["father", "login"]]
    # a loose resemblance is not enough to pick one: 'Juma' is not 'Faith Auma Kiprop'
    kiprops = [
        node("faith", "12345678", "+254711000001", name="Faith Auma Kiprop"),
        node("brother", "87654321", "+254711000001", name="Kiprono Kiprop"),
    ]
    result = cluster([*kiprops, node("login", phone="+254711000001", name="Juma")])
    assert groups(result) == [["brother"], ["faith"], ["login"]]


def test_a_known_nickname_does_not_contradict_a_name():
    person = node("core", "12345678", "+254711000001", name="Brian Chepkemoi Njeru")
    assert groups(cluster([person, node("login", phone="+254711000001", name="Bryo")])) == [
        ["core", "login"]
    ]
    assert groups(cluster([person, node("login", phone="+254711000001", name="Hassan")])) == [
        ["core"],
        ["login"],
    ]


def test_a_relative_without_an_id_makes_the_phone_ambiguous():
    # Sharon's record has the line; so has her twin Alice's, whose ID was never typed in: a
    # login without a name on that line could be either of them
    result = cluster(
        [
            node("sharon", "39713319", "+254780032260", name="Sharon Moraa Odhiambo"),
            node("alice", None, "+254780032260", name="Alice Odhiambo"),
            node("login", phone="+254780032260"),
        ]
    )
    assert groups(result) == [["alice"], ["login"], ["sharon"]]
    assert "ambiguous" in result.refusals[("src", "login")][0]
    named = cluster(
        [
            node("sharon", "39713319", "+254780032260", name="Sharon Moraa Odhiambo"),
            node("alice", None, "+254780032260", name="Alice Odhiambo"),
            node("login", phone="+254780032260", name="Alice O."),
        ]
    )
    assert groups(named) == [["alice", "login"], ["sharon"]]


def test_a_twin_without_an_id_does_not_pass_for_the_other():
    # Juma Koech's record lacks his ID; 'Juma' resembles 'Auma', his twin Kevin's middle name
    result = cluster(
        [
            node("kevin", "05738853", "+254721809488", name="Kevin Auma Koech"),
            node("juma", None, "+254721809488", name="Juma Koech", dob=date(1966, 1, 30)),
        ]
    )
    assert groups(result) == [["juma"], ["kevin"]]


def test_titles_are_not_names():
    person = node("core", "12345678", "+254711000001", name="Achieng Otieno")
    login = node("login", phone="+254711000001", name="Mrs. Achieng Otieno")
    assert groups(cluster([person, login])) == [["core", "login"]]


def test_two_people_without_ids_on_a_line_leave_a_nameless_login_apart():
    # twins Peter and Kiprono: neither ID is on file, both records carry the line
    records = [
        node("peter", None, "+254114351715", name="Peter Auma Cheruiyot", dob=date(1978, 4, 6)),
        node("kiprono", None, "+254114351715", name="Kiprono Cheruiyot", dob=date(1978, 4, 6)),
        node("login", phone="+254114351715"),
    ]
    assert groups(cluster(records)) == [["kiprono"], ["login"], ["peter"]]


def test_given_names_that_merely_look_alike_contradict():
    mercy = node("mercy", "37798719", "+254739218273", name="Mercy Ochieng")
    mary = node("mary", None, "+254739218273", name="Mary Chepkemoi Ochieng")
    assert groups(cluster([mercy, mary])) == [["mary"], ["mercy"]]


def test_a_login_on_the_twins_line_joins_the_twin_whose_name_it_writes():
    born, line = date(2001, 3, 4), "+254711000001"
    twins = [
        node("him", "22345678", line, name="Otieno Ouma", dob=born, gender="male"),
        node("her", "22345679", line, name="Atieno Ouma", dob=born, gender="female"),
    ]
    # 'Atieno O.' fits both loosely (one letter apart); it writes only her name
    assert groups(cluster([*twins, node("login", phone=line, name="Atieno O.")])) == [
        ["her", "login"],
        ["him"],
    ]
    # the surname alone is written in both names: nobody is guessed
    assert groups(cluster([*twins, node("login", phone=line, name="OUMA")])) == [
        ["her"],
        ["him"],
        ["login"],
    ]


def test_a_twin_without_an_id_or_gender_named_with_another_first_letter_stays_apart():
    # her core record lacks ID and gender; 'Anyango' is one letter from 'Onyango', but a
    # different first letter is a different name (Luo names mark the girl with A-)
    born, line = date(1954, 5, 4), "+254750116655"
    result = cluster(
        [
            node("him", "23377531", line, name="Onyango Kamau", dob=born, gender="male"),
            node("her", phone=line, name="Anyango Kamau", dob=born),
        ]
    )
    assert groups(result) == [["her"], ["him"]]


def test_stewards_decisions_stand_above_every_rule():
    records = [
        node("a", "12345678", name="Achieng Otieno"),
        node("b", "12345678", name="Achieng Otieno"),
        node("c", email="x@y.co", name="Brian Kip"),
    ]
    apart = StewardRules(different=((("src", "a"), ("src", "b")),))
    together = StewardRules(same=((("src", "a"), ("src", "c")),))

    assert groups(cluster(records)) == [["a", "b"], ["c"]]
    split = cluster(records, rules=apart)
    assert groups(split) == [["a"], ["b"], ["c"]]
    assert any("steward declared them different" in r for r in split.refusals[("src", "b")])
    joined = cluster(records, rules=together)
    assert groups(joined) == [["a", "b", "c"]]
    assert (("src", "a"), ("src", "c"), "steward") in joined.links
    # a record joining one of two people declared different cannot join them through it
    bridge = node("d", "12345678", email="x@y.co", name="Achieng Otieno")
    both = StewardRules(different=((("src", "a"), ("src", "c")),))
    result = cluster([*records, bridge], rules=both)
    assert not any({("src", "a"), ("src", "c")} <= set(keys) for keys in result.clusters)


def test_a_phone_alone_never_merges_a_profile_under_a_fraud_case():
    flagged, other = uuid4(), uuid4()
    suspect = Node(("core", "1"), national_id="12345678", phone="+254711000001",
                   full_name="Juma Hassan", global_customer_id=flagged)  # fmt: skip
    mule = Node(("dfs", "9"), phone="+254711000001", full_name="Juma Hassan",
                global_customer_id=other)  # fmt: skip
    rules = StewardRules(gated_profiles=frozenset({flagged}))

    result = cluster([suspect, mule], rules=rules)

    assert len(result.clusters) == 2
    (held,) = result.held_apart
    assert (held.kind, held.identifier) == (RISK_GATE, "phone")
    assert {held.side_a, held.side_b} == {(("core", "1"),), (("dfs", "9"),)}
    # without the case the phone merges them; the same national ID merges them even with it
    assert len(cluster([suspect, mule]).clusters) == 1
    same_id = Node(("dfs", "9"), national_id="12345678", global_customer_id=other)
    assert len(cluster([suspect, same_id], rules=rules).clusters) == 1
    # a new record (no profile yet) still joins the flagged profile by its phone
    newcomer = Node(("channel", "u"), phone="+254711000001", full_name="Juma Hassan")
    assert len(cluster([suspect, newcomer], rules=rules).clusters) == 1


def test_what_the_rules_held_back_is_listed_with_both_sides():
    result = cluster(
        [
            node("a", "31234567", "+254711000001", name="Otieno Ouma", dob=date(2001, 3, 4)),
            node("b", "31234568", name="Atieno Ouma", dob=date(2001, 3, 4)),
            node("c", phone="+254711000001", name="Mary Wambui", dob=date(1970, 1, 1)),
        ]
    )

    kinds = {(h.kind, h.side_a, h.side_b) for h in result.held_apart}
    assert (TYPO, (("src", "a"),), (("src", "b"),)) in kinds
    # her phone, held by someone whose name and birth date contradict hers: another person
    assert (SHARED_LINE, (("src", "c"),), (("src", "a"),)) in kinds


LINE = "+254722000111"


@pytest.mark.parametrize("login", ["Njoroge K.", "Njoroge Kamau", "Njoroge"])
def test_the_sons_login_on_his_fathers_line_is_held_back_as_a_possible_son(login):
    result = cluster(
        [
            node("father", "21234567", LINE, name="Kamau Njoroge"),
            node("login", phone=LINE, name=login),
        ]
    )
    assert groups(result) == [["father"], ["login"]]
    (held,) = result.held_apart
    assert (held.kind, held.identifier) == (REVERSED_NAMES, "phone")
    assert held.side_b == (("src", "login"),) and held.side_a == (("src", "father"),)
    assert held.names is not None and "possible son" in held.names["order"]
    assert any("possible son" in r for r in result.refusals[("src", "login")])


def test_the_sons_login_joins_the_son_when_he_is_known_on_the_line():
    result = cluster(
        [
            node("father", "21234567", LINE, name="Kamau Njoroge"),
            node("son", "33445566", LINE, name="Njoroge Kamau"),
            node("login", phone=LINE, name="Njoroge K."),
        ]
    )
    assert groups(result) == [["father"], ["login", "son"]]
    assert result.why[("src", "login")]["with"] == ["src", "son"]


def test_a_grandfather_and_grandson_of_one_name_leave_the_login_to_review():
    result = cluster(
        [
            node("father", "21234567", LINE, name="Kamau Njoroge"),
            node("grandfather", "11223344", LINE, name="Njoroge Kamau", dob=date(1940, 1, 1)),
            node("son", "33445566", LINE, name="Njoroge Kamau", dob=date(1995, 1, 1)),
            node("login", phone=LINE, name="Njoroge K."),
        ]
    )
    assert ["login"] in groups(result)


@pytest.mark.parametrize(
    ("holder", "login"),
    [
        ("John Otieno", "OTIENO JOHN"),  # surname first, honestly: John is no surname
        ("Kamau Njoroge", "Kamau N."),  # his own names in his order
        ("Peter Njoroge", "Njoroge Peter"),
    ],
)
def test_a_swapped_order_that_cannot_be_a_son_still_joins(holder, login):
    result = cluster(
        [node("core", "21234567", LINE, name=holder), node("login", phone=LINE, name=login)]
    )
    assert groups(result) == [["core", "login"]]


@pytest.mark.parametrize(
    ("holder", "login", "spelled"),
    [
        ("Ahmed Ali", "Ahmad A.", "ahmad ~ ahmed: transliteration"),
        ("Ibrahim Mohamed", "Ebrahim M.", "ebrahim ~ ibrahim: transliteration"),
        ("Hussein Abdi", "Husein Abdi", "husein ~ hussein: transliteration"),
        ("Yusuf Omar", "Yusufu Omar", "yusufu ~ yusuf: transliteration"),
        ("John Kamau", "Yohana Kamau", "yohana ~ john: christian_form"),
    ],
)
def test_a_transliterated_login_on_his_own_line_joins_him_and_says_why(holder, login, spelled):
    result = cluster(
        [node("core", "21234567", LINE, name=holder), node("login", phone=LINE, name=login)]
    )
    assert groups(result) == [["core", "login"]]
    why = result.why[("src", "login")]
    assert why["rule"] == "phone" and why["with"] == ["src", "core"]
    assert spelled in why["names"]["tokens"]


@pytest.mark.parametrize(
    ("holder", "login"),
    [
        ("Wanjiru Kamau", "Wanjiku Kamau"),
        ("Otieno Ouma", "Atieno Ouma"),
        ("Kibet Rotich", "Chebet Rotich"),
    ],
)
def test_sisters_and_gendered_twins_on_a_line_stay_apart(holder, login):
    result = cluster(
        [node("core", "21234567", LINE, name=holder), node("login", phone=LINE, name=login)]
    )
    assert groups(result) == [["core"], ["login"]]


def test_every_record_linked_has_a_why_naming_a_record_of_its_group():
    result = cluster(
        [
            node("a", "21234567", LINE, name="Ahmed Ali"),
            node("b", "21234567", name="Ahmed Ali"),
            node("c", phone=LINE, email="ahmed@example.com", name="Ahmad A."),
            node("d", email="ahmed@example.com", name="Ahmad Ali"),
            node("e", phone="+254733000999", name="Someone Else"),
        ]
    )
    cluster_of = {k: tuple(keys) for keys in result.clusters for k in keys}
    for keys in result.clusters:
        for key in keys:
            if len(keys) == 1:
                assert key not in result.why
                continue
            why = result.why[key]
            assert tuple(why["with"]) in cluster_of[key] and tuple(why["with"]) != key
            assert why["rule"] in {"national_id", "phone", "email"}


KENYAN_NAMES = (
    "Kamau Njoroge", "Njoroge Kamau", "Njoroge K.", "Njoroge", "Kamau", "Ahmed Ali", "Ahmad A.",
    "Ebrahim M.", "Ibrahim Mohamed", "Wanjiru Kamau", "Wanjiku Kamau", "Otieno Ouma",
    "Atieno Ouma", "Kibet Rotich", "Chebet Rotich", None,
)  # fmt: skip
LINES = (None, "+254722000001", "+254722000002")


@settings(max_examples=500, deadline=None)
@given(
    people=st.lists(
        st.tuples(st.sampled_from(KENYAN_NAMES), st.sampled_from(LINES)), min_size=0, max_size=4
    ),
    logins=st.lists(
        st.tuples(st.sampled_from(KENYAN_NAMES), st.sampled_from(LINES[1:])), min_size=1, max_size=4
    ),
)
def test_links_explain_themselves_and_never_give_a_son_to_his_father(people, logins):
    """Whatever documented people and logins share the lines: every record in a group of
    several says why, naming another record of its group; a record alone says nothing; two
    national IDs never meet; a login never joins a documented holder whose Kikuyu names it
    writes in reverse; sisters and gendered twins are never joined by a line."""
    nodes = [
        node(f"p{i}", f"{31000000 + i}", phone, name=name) for i, (name, phone) in enumerate(people)
    ]
    nodes += [node(f"l{i}", phone=phone, name=name) for i, (name, phone) in enumerate(logins)]
    by_key = {n.key: n for n in nodes}
    result = cluster(nodes)
    for keys in result.clusters:
        members = [by_key[k] for k in keys]
        assert len({n.national_id for n in members if n.national_id}) <= 1
        for key in keys:
            if len(keys) == 1:
                assert key not in result.why
                continue
            assert tuple(result.why[key]["with"]) in set(keys) - {key}
        documented = [n for n in members if n.national_id]
        for login in (n for n in members if not n.national_id):
            for holder in documented:
                assert not names.reversed_kikuyu(login.full_name, holder.full_name)
                mine, theirs = name_tokens(login.full_name), name_tokens(holder.full_name)
                for a in set(mine) - set(theirs):
                    for b in set(theirs) - set(mine):
                        assert not names.gendered_forms(a, b)
                        one_letter_off = len(a) == len(b) and OSA.distance(a, b) == 1
                        assert not one_letter_off or names.variant(a, b)


def test_on_a_line_of_several_people_a_sisters_login_joins_none_of_them():
    result = cluster(
        [
            node("wanjiru", "21234567", LINE, name="Wanjiru Kamau"),
            node("cousin", phone=LINE, name="Kamau Njoroge"),  # contradicts her: another person
            node("login", phone=LINE, name="Wanjiku Kamau"),
        ]
    )
    assert ["login"] in groups(result) and ["wanjiru"] in groups(result)


def test_a_sons_record_writing_his_names_surname_first_with_his_own_email_is_not_his_fathers():
    # the son "Njoroge Kamau" types "Kamau Njoroge" in a wallet app, on the household line
    father = node("father", "21234567", LINE, "kamau.n@example.com", name="Kamau Njoroge")
    result = cluster(
        [father, node("wallet", phone=LINE, email="njoro@example.com", name="Kamau Njoroge")]
    )
    assert groups(result) == [["father"], ["wallet"]]
    # his own record, with his own email, is his; and names of other peoples still join
    same_email = node("app", phone=LINE, email="kamau.n@example.com", name="Kamau Njoroge")
    assert groups(cluster([father, same_email])) == [["app", "father"]]
    john = node("core", "21234567", LINE, "john@example.com", name="John Otieno")
    other_email = node("app", phone=LINE, email="jotieno@example.com", name="John Otieno")
    assert groups(cluster([john, other_email])) == [["app", "core"]]
