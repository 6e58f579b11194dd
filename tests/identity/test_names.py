"""Naming conventions, one at a time: which two spellings are one name, which two people's."""

import pytest

from app.identity import names


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("ahmed", "ahmad"),
        ("ibrahim", "ebrahim"),
        ("mohamed", "mohammed"),
        ("mohamed", "muhammad"),
        ("abdullahi", "abdulahi"),
        ("hussein", "husein"),
        ("hussein", "hussain"),
        ("yusuf", "yussuf"),
        ("yusuf", "yusufu"),
        ("yusuf", "yousuf"),
        ("omar", "umar"),
        ("khadija", "hadija"),
        ("said", "saidi"),
        ("zainab", "zeinab"),
    ],
)
def test_arabic_origin_spellings_are_one_name(a: str, b: str) -> None:
    assert names.variant(a, b) == "transliteration"
    assert names.variant(b, a) == "transliteration"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("hassan", "hussein"),  # two names, one consonant skeleton
        ("mohamed", "mahmoud"),
        ("rashid", "rashida"),  # a man's name and a woman's
        ("said", "saida"),
        ("ali", "eli"),
        ("omar", "amar"),
    ],
)
def test_names_that_only_sound_alike_stay_two_names(a: str, b: str) -> None:
    assert names.variant(a, b) is None


def test_the_transliteration_rule_speaks_only_for_arabic_origin_names() -> None:
    # one vowel changed in a name of another origin can be another person
    assert names.variant("mercy", "marcy") is None
    assert names.variant("ahmed", "ahmad") == "transliteration"


@pytest.mark.parametrize(
    ("english", "swahili"),
    [("john", "yohana"), ("peter", "petro"), ("mary", "mariamu"), ("joseph", "yusufu")],
)
def test_swahili_forms_of_christian_names(english: str, swahili: str) -> None:
    assert names.variant(english, swahili) == "christian_form"
    assert names.variant(swahili, english) == "christian_form"


def test_nicknames_stay_known_forms() -> None:
    assert names.variant("bryo", "brian") == "nickname"  # Sheng, listed by the project
    assert names.variant("shiru", "wanjiru") == "nickname"
    assert names.variant("peggy", "margaret") == "nickname"  # English, from `nicknames`
    assert names.variant("ian", "jack") is None  # both John's, not each other's


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("otieno", "atieno"),  # Luo: born at night, a boy and a girl
        ("odhiambo", "adhiambo"),
        ("kibet", "chebet"),  # Kalenjin: Ki- for a man, Che- for a woman
        ("kiprotich", "cherotich"),
        ("kimutai", "jemutai"),
        ("kipkoech", "jepkoech"),
    ],
)
def test_gendered_forms_are_a_brother_and_a_sister(a: str, b: str) -> None:
    assert names.gendered_forms(a, b) and names.gendered_forms(b, a)
    assert names.variant(a, b) is None


def test_sisters_one_letter_apart_are_not_variants() -> None:
    assert names.variant("wanjiru", "wanjiku") is None
    assert not names.gendered_forms("wanjiru", "wanjiku")
    assert not names.gendered_forms("kamau", "njoroge")


@pytest.mark.parametrize("login", ["Njoroge K.", "Njoroge Kamau", "NJOROGE KAMAU", "Njoroge"])
def test_kikuyu_names_in_reverse_order_are_a_possible_son(login: str) -> None:
    assert names.reversed_kikuyu(login, "Kamau Njoroge")
    assert names.reversed_kikuyu(login, "Kamau Mwangi Njoroge")  # a middle name changes nothing


@pytest.mark.parametrize(
    ("login", "holder"),
    [
        ("Kamau N.", "Kamau Njoroge"),  # his own names, in his order
        ("Kamau Njoroge", "Kamau Njoroge"),
        ("OTIENO JOHN", "John Otieno"),  # honest surname first: John is no surname
        ("Njoroge Peter", "Peter Njoroge"),
        ("Njoroge W.", "Kamau Njoroge"),  # the initial is not the father's given name
    ],
)
def test_other_orders_are_not_a_son(login: str, holder: str) -> None:
    assert not names.reversed_kikuyu(login, holder)


def test_evidence_says_how_each_written_token_reads() -> None:
    assert names.evidence("Ahmad A.", "Ahmed Ali") == {
        "names": ["Ahmad A.", "Ahmed Ali"],
        "tokens": ["ahmad ~ ahmed: transliteration", "a ~ ali: initial"],
        "order": "as written",
    }
    son = names.evidence("Njoroge K.", "Kamau Njoroge")
    assert son is not None and "possible son" in str(son["order"])
    assert names.evidence("OTIENO JOHN", "John Otieno") == {
        "names": ["OTIENO JOHN", "John Otieno"],
        "tokens": ["otieno = otieno", "john = john"],
        "order": "surname first",
    }
    assert names.evidence("Dave K.", "David Kariuki") == {
        "names": ["Dave K.", "David Kariuki"],
        "tokens": ["dave ~ david: nickname", "k ~ kariuki: initial"],
        "order": "as written",
    }
    assert names.evidence("Gracie W.", "Grace Wambui")["tokens"][0] == "gracie ~ grace: same start"
    assert names.evidence(None, "David Kariuki") is None
