import pytest

from app.identity import normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", ("12345678", "national_id")),
        ("ID12345678", ("12345678", "national_id")),
        ("KE-ID-12345678", ("12345678", "national_id")),
        ("12 345 678", ("12345678", "national_id")),
        ("12.345.678", ("12345678", "national_id")),
        ("ID01000001", ("01000001", "national_id")),
        ("1234567", ("01234567", "national_id")),
        ("01234567", ("01234567", "national_id")),
        ("KE-ID-00001", ("00000001", "national_id")),
        ("A1234567", ("A1234567", "passport")),
    ],
)
def test_national_id_formats(raw, expected):
    assert normalize.national_id(raw) == expected


@pytest.mark.parametrize("raw", [None, "", "   ", "00000000", "11111111", "00001", "123", "ID-0"])
def test_national_id_placeholders_and_invalid_identify_nobody(raw):
    assert normalize.national_id(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "+254712345678",
        "254712345678",
        "0712345678",
        "0712 345 678",
        "712345678",
        "00254712345678",
        "+254 712-345-678",
    ],
)
def test_phone_forms_give_one_e164(raw):
    assert normalize.phone(raw) == "+254712345678"


def test_phone_new_01xx_range():
    assert normalize.phone("0110345678") == "+254110345678"
    # a block the phonenumbers metadata does not list yet is still a Kenyan mobile
    assert normalize.phone("0176 394 806") == "+254176394806"


@pytest.mark.parametrize("raw", [None, "", "0700000000", "12", "not a phone", "+2547"])
def test_phone_placeholders_and_invalid_identify_nobody(raw):
    assert normalize.phone(raw) is None


def test_email_trimmed_and_case_folded():
    assert normalize.email("  Alice.Wanjiru@Mail.COM ") == "alice.wanjiru@mail.com"


@pytest.mark.parametrize("raw", ["noemail@wekeza.co.ke", "na@na.com", "NA@NA.COM", "x", "a@b"])
def test_email_placeholders_and_invalid_identify_nobody(raw):
    assert normalize.email(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Male", "male"),
        ("M", "male"),
        (" male ", "male"),
        ("MWANAMUME", "male"),
        ("Female", "female"),
        ("f", "female"),
        ("F.", "female"),
        ("Mwanamke", "female"),
        ("Other", None),
        ("Unknown", None),
        ("", None),
        (None, None),
    ],
)
def test_gender_male_female_or_unknown(raw, expected):
    assert normalize.gender(raw) == expected
